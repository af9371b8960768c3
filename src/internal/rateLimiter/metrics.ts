/**
 * The limiter's Effect metrics (exported like any other, by `@effect/opentelemetry` for instance). Each is updated
 * only when something happens to it — a wait, an answer reporting its budget — so an idle limiter updates none.
 */
import * as Metric from "effect/Metric"

/** How long calls waited for the limiter before being sent, in milliseconds (calls that waited at all). */
export const waitTime = Metric.histogram("effect_anthropic.rate_limiter.wait_time_ms", {
  boundaries: Metric.exponentialBoundaries({ start: 1, factor: 2, count: 20 }),
  description: "Milliseconds an attempt waited for the client's rate limiter before it was sent"
})

/** Attempts waiting for the limiter now. */
export const waiting = Metric.gauge("effect_anthropic.rate_limiter.waiting", {
  description: "Attempts of this client waiting for its rate limiter"
})

const API_REMAINING = "effect_anthropic.rate_limiter.api_remaining"
const API_REMAINING_DESCRIPTION = "The budget the API's anthropic-ratelimit-*-remaining headers last reported"

/** What the API last reported remaining, tagged with `scope` (the model) and `dimension` (`requests_per_minute`, …). */
export const apiRemaining = Metric.gauge(API_REMAINING, { description: API_REMAINING_DESCRIPTION })

/**
 * {@link apiRemaining} for one scope and dimension: the series `Metric.withAttributes(apiRemaining, { scope,
 * dimension })` names, made as a gauge of its own. Effect 4: `withAttributes` adds its attributes to the fiber's
 * context on every update (and the shared gauge recomputes its series key whenever the scope changes); a gauge with
 * the attributes built in does neither.
 */
export const apiRemainingOf = (scope: string, dimension: string): Metric.Gauge<number> =>
  Metric.gauge(API_REMAINING, { description: API_REMAINING_DESCRIPTION, attributes: { scope, dimension } })
