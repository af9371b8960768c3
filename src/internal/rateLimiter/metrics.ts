/**
 * The limiter's Effect metrics (exported like any other, by `@effect/opentelemetry` for instance). Each is updated
 * only when something happens to it — a wait, an answer reporting its budget — so an idle limiter updates none.
 */
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"

/** How long calls waited for the limiter before being sent, in milliseconds (calls that waited at all). */
export const waitTime = Metric.histogram(
  "effect_anthropic.rate_limiter.wait_time_ms",
  MetricBoundaries.exponential({ start: 1, factor: 2, count: 20 }),
  "Milliseconds an attempt waited for the client's rate limiter before it was sent"
)

/** Attempts waiting for the limiter now. */
export const waiting = Metric.gauge("effect_anthropic.rate_limiter.waiting", {
  description: "Attempts of this client waiting for its rate limiter"
})

/** What the API last reported remaining, tagged with `scope` (the model) and `dimension` (`requests_per_minute`, …). */
export const apiRemaining = Metric.gauge("effect_anthropic.rate_limiter.api_remaining", {
  description: "The budget the API's anthropic-ratelimit-*-remaining headers last reported"
})
