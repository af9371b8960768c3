/**
 * The client-side rate limiter: `rate_limit.requests_per_second`, shared by every call through one client.
 *
 * Calls are spaced evenly, one every `1 / requests_per_second` seconds (fractions allowed: 0.5 is one call every
 * two seconds), with no initial burst. Every attempt takes a slot, retries included, so a retry storm cannot
 * exceed the configured rate.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as EffectRateLimiter from "effect/RateLimiter"
import type * as Scope from "effect/Scope"
import { AnthropicConfig } from "./AnthropicConfig.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Waits for the next free slot. */
  readonly take: Effect.Effect<void>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class RateLimiter extends Context.Tag("effect-anthropic/RateLimiter")<RateLimiter, Service>() {}

const unlimited: Service = { take: Effect.void }

/**
 * A limiter for `requestsPerSecond`, or none when it is `None` (or `Infinity`). Its refill fiber lives in the scope.
 *
 * Any finite rate above 0 is accepted: the interval is built as a number (a string such as `"1e-7 millis"` is not a
 * valid duration). Effect's token bucket rounds the interval up to whole milliseconds, so rates above 1,000/s run at
 * 1,000/s; very slow rates wait as long as they say. A rate of 0, below 0 or NaN is a programming error (a defect).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (requestsPerSecond: Option.Option<number>): Effect.Effect<Service, never, Scope.Scope> =>
  Option.match(Option.filter(requestsPerSecond, (rps) => rps !== Infinity), {
    onNone: () => Effect.succeed(unlimited),
    onSome: (rps) =>
      rps > 0
        ? Effect.map(
          // A token bucket of one token refilled every 1/rps seconds: even spacing, no burst.
          EffectRateLimiter.make({ limit: 1, interval: Duration.millis(1000 / rps), algorithm: "token-bucket" }),
          (limit): Service => ({ take: limit(Effect.void) })
        )
        : Effect.dieMessage(`RateLimiter: requests per second must be a number above 0, not ${rps}`)
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (requestsPerSecond: Option.Option<number>): Layer.Layer<RateLimiter> =>
  Layer.scoped(RateLimiter, make(requestsPerSecond))

/**
 * The limiter from `rate_limit.requests_per_second` of the settings in context (the `AnthropicConfig` service).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFromSettings: Layer.Layer<RateLimiter, never, AnthropicConfig> = Layer.scoped(
  RateLimiter,
  Effect.flatMap(AnthropicConfig, (settings) => make(settings.requestsPerSecond))
)

/**
 * No limit at all.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerUnlimited: Layer.Layer<RateLimiter> = Layer.succeed(RateLimiter, unlimited)
