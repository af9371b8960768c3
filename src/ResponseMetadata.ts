/**
 * What an answer's headers say besides its body: the `request-id`, every header, and the rate limits parsed from
 * `anthropic-ratelimit-*` — the organization's requests, input, output and total token limits, what remains of each
 * and when it is full again, and for subscription credentials the `anthropic-ratelimit-unified-*` status with the
 * utilization and reset of each window (5 hours, 7 days, …).
 *
 * Every value is read leniently: a header that is absent or does not parse is simply not there (a hostile or new
 * header never fails a call), numbers must be finite and non-negative, times are kept as the API wrote them and as
 * epoch milliseconds.
 *
 * @since 0.2.0
 */
export {
  fromHeaders,
  Limit,
  RateLimits,
  rateLimitsOf,
  type ResponseMetadata,
  Unified,
  UnifiedWindow
} from "./internal/responseMetadata.js"
