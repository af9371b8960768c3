/**
 * The retry policy: which failures are retried (the retryable ones, or only those surely not carried out), after
 * what delay (the server's `retry-after` within `retry.max_retry_after_ms`, else the official SDK's backoff), how
 * many times; the schedule is made only after a first failure.
 */
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as Random from "effect/Random"
import * as Schedule from "effect/Schedule"
// Effect treats a sleep past it as endless: no wait may be longer, whatever settings made in code say.
import { MAX_MILLISECONDS } from "../config/schema.js"
import { type ApiError, isRetryable } from "../errors.js"
import * as GenAi from "../telemetry/genAi.js"
import { MAX_BACKOFF_MS } from "./retryBounds.js"

/**
 * How retries behave: how many, and the longest server-requested wait (`retry-after`) that is honoured.
 */
export interface RetryOptions {
  readonly maxRetries: number
  readonly maxRetryAfterMs: number
  /** Retry only the errors this allows, besides the usual rules (requests that must not run twice). */
  readonly only?: ((error: ApiError) => boolean) | undefined
}


/** The official SDK's backoff: min(0.5·2ⁿ, 8) s, less up to 25 % jitter. */
const backoff = (attempt: number): Effect.Effect<Duration.Duration> =>
  Effect.map(Random.next, (r) => Duration.millis(Math.min(500 * 2 ** attempt, MAX_BACKOFF_MS) * (1 - 0.25 * r)))

/**
 * Whether a retry may follow `error`. A 429 asking to wait longer than `maxRetryAfterMs` is not retried: the call
 * fails at once with the server's `retryAfterMs`, instead of hanging for as long as the server likes.
 */
export const mayRetry = (error: ApiError, options: RetryOptions): boolean =>
  isRetryable(error) && (options.only === undefined || options.only(error)) &&
  (error._tag !== "RateLimit" || error.retryAfterMs <= Math.min(options.maxRetryAfterMs, MAX_MILLISECONDS))

/**
 * How long to wait before retry number `attempt + 1`: the server's word where it gave one within
 * `maxRetryAfterMs`, else backoff (as the SDK, which trusts a server-given delay only within a minute).
 */
export const retryDelay = (
  error: ApiError,
  attempt: number,
  maxRetryAfterMs: number
): Effect.Effect<Duration.Duration> => {
  if (error._tag === "RateLimit") return Effect.succeed(Duration.millis(error.retryAfterMs))
  const after = error._tag === "ServerError" || error._tag === "Other" ? error.retryAfterMs : undefined
  return after !== undefined && after <= Math.min(maxRetryAfterMs, MAX_MILLISECONDS)
    ? Effect.succeed(Duration.millis(after))
    : backoff(attempt)
}

/**
 * The retry policy: at most `maxRetries` retries, only of errors {@link mayRetry} allows, each after
 * {@link retryDelay}. Retries are logged at debug level.
 *
 * One step of its own: the retry count, the error's verdict and its delay decided together; its output is the number
 * of the retry, from 0.
 */
export const retryPolicy = (options: RetryOptions): Schedule.Schedule<unknown, ApiError> =>
  Schedule.fromStepWithMetadata(Effect.succeed((meta: Schedule.InputMetadata<ApiError>) => {
    const error = meta.input
    const attempt = meta.attempt - 1
    if (attempt >= options.maxRetries || !mayRetry(error, options)) return Cause.done(attempt)
    return Effect.map(
      Effect.tap(retryDelay(error, attempt, options.maxRetryAfterMs), (delay) =>
        Effect.andThen(
          observeRetry(error, attempt, Duration.toMillis(delay)),
          Effect.logDebug(
            `${error._tag}: retry ${attempt + 1} of ${options.maxRetries} in ${Math.round(Duration.toMillis(delay))} ms`
          ).pipe(Effect.annotateLogs({ error: error.message }))
        )),
      (delay): [number, Duration.Duration] => [attempt, delay]
    )
  }))

/**
 * A retry, seen from outside: counted by its cause, and an event on the call's span (when traced) with the failed
 * attempt's status and the delay before the next.
 */
const observeRetry = (error: ApiError, attempt: number, delayMs: number): Effect.Effect<void> =>
  Effect.andThen(
    Metric.update(Metric.withAttributes(GenAi.retries, { "error.type": error._tag }), 1),
    Effect.flatMap(Effect.currentSpan, (span) =>
      Effect.clockWith((clock) =>
        Effect.sync(() =>
          span.event("retry", clock.currentTimeNanosUnsafe(), {
            "error.type": error._tag,
            ...("status" in error && error.status > 0 ? { "http.response.status_code": error.status } : {}),
            "effect_anthropic.retry.attempt": attempt + 1,
            "effect_anthropic.retry.delay_ms": Math.round(delayMs)
          })
        ))).pipe(Effect.ignore)
  )

/**
 * `effect` retried by {@link retryPolicy}. The schedule's driver is made only after a first failure, so a call that
 * succeeds at once pays nothing for retries.
 */
export const withRetries = <A, E extends ApiError, R>(
  effect: Effect.Effect<A, E, R>,
  options: RetryOptions
): Effect.Effect<A, E, R> => {
  if (options.maxRetries <= 0) return effect
  // The schedule is made only after a first failure: most calls never need it. Its step sleeps the delay; it fails
  // (with `Cause.Done`) when no retry follows.
  return Effect.catch(effect, (first) =>
    Effect.flatMap(Schedule.toStepWithSleep(retryPolicy(options)), (step) => {
      const again = (error: E): Effect.Effect<A, E, R> =>
        Effect.matchEffect(step(error), {
          onFailure: () => Effect.fail(error),
          onSuccess: () => Effect.catch(effect, again)
        })
      return again(first)
    }))
}
