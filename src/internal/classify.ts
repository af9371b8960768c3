/**
 * The seed's error table: an HTTP answer that is not 2xx becomes one tagged error, and the retry policy's delays.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import * as Schedule from "effect/Schedule"
import {
  type ApiError,
  CredentialInvalid,
  type CredentialKind,
  isRetryable,
  Other,
  RateLimit,
  ServerError
} from "../Errors.js"

/** What the API puts in an error body: `{"type":"error","error":{"type","message"},"request_id"}`. */
interface ErrorBody {
  readonly errorType: string
  readonly apiMessage: string
  readonly requestId: string | undefined
  /** `error.details.error_code`, where the API gives one (`enforced_spend_limit_reached`). */
  readonly errorCode: string | undefined
}

/** The most of an API message an error keeps: a hostile body may be megabytes long. (Errors scrub secrets.) */
const MAX_MESSAGE = 2000

const clip = (text: string): string => text.length <= MAX_MESSAGE ? text : `${text.slice(0, MAX_MESSAGE)}… (cut)`

export const parseErrorBody = (text: string): ErrorBody => {
  try {
    const json = JSON.parse(text) as {
      error?: { type?: unknown; message?: unknown; details?: { error_code?: unknown } | null } | string
      error_description?: unknown
      request_id?: unknown
    } | null
    const error = json?.error
    if (typeof error === "object" && error !== null) {
      const errorCode = error.details?.error_code
      return {
        errorType: typeof error.type === "string" ? error.type : "unknown",
        apiMessage: clip(typeof error.message === "string" ? error.message : JSON.stringify(error)),
        requestId: typeof json!.request_id === "string" ? json!.request_id : undefined,
        errorCode: typeof errorCode === "string" ? errorCode : undefined
      }
    }
    // OAuth endpoints answer `{"error":"invalid_grant","error_description":"…"}`.
    if (typeof error === "string") {
      return {
        errorType: error,
        apiMessage: clip(typeof json!.error_description === "string" ? json!.error_description : error),
        requestId: undefined,
        errorCode: undefined
      }
    }
  } catch {
    // not JSON: fall through and keep the start of the text
  }
  return {
    errorType: "unknown",
    apiMessage: clip(text.trim()) || "(empty body)",
    requestId: undefined,
    errorCode: undefined
  }
}

type HeaderLookup = (name: string) => string | undefined

/** `retry-after-ms` (milliseconds) first, then `retry-after` (seconds or an HTTP date). */
export const retryAfterMs = (header: HeaderLookup, nowMs: number): number | undefined => {
  const ms = header("retry-after-ms")
  if (ms !== undefined) {
    const n = Number.parseFloat(ms)
    if (Number.isFinite(n) && n >= 0) return n
  }
  const after = header("retry-after")
  if (after !== undefined) {
    const seconds = Number.parseFloat(after)
    if (Number.isFinite(seconds) && /^\s*[\d.]+\s*$/.test(after)) return Math.max(0, seconds * 1000)
    const date = Date.parse(after)
    if (!Number.isNaN(date)) return Math.max(0, date - nowMs)
  }
  return undefined
}

/** `x-should-retry: true|false` overrides the default; anything else leaves it. */
const shouldRetry = (header: HeaderLookup): boolean | undefined => {
  const v = header("x-should-retry")
  return v === "true" ? true : v === "false" ? false : undefined
}

/** The 400 Anthropic answers when a subscription token is used outside Claude Code. */
const SUBSCRIPTION_POLICY = /only authorized for use with Claude Code/i

/** The 60 s the seed prescribes when a 429 carries no retry header. */
export const RATE_LIMIT_FALLBACK_MS = 60_000

/** The 429 that only a person can end: the organization's spend limit is reached. */
const SPEND_LIMIT_REACHED = "enforced_spend_limit_reached"

/** Statuses retried like the official SDK: request timeout and conflict (besides 429 and 5xx). */
const RETRIED_CLIENT_ERRORS: ReadonlySet<number> = new Set([408, 409])

export const classify = (
  status: number,
  header: HeaderLookup,
  bodyText: string,
  credential: CredentialKind,
  nowMs: number
): ApiError => {
  const body = parseErrorBody(bodyText)
  const fields = {
    status,
    errorType: body.errorType,
    apiMessage: body.apiMessage,
    requestId: header("request-id") ?? body.requestId
  }
  const override = shouldRetry(header)
  const after = retryAfterMs(header, nowMs)
  if (status === 429) {
    const spendLimitReached = body.errorCode === SPEND_LIMIT_REACHED
    return new RateLimit({
      ...fields,
      // No retry can pass a spend limit, whatever x-should-retry says.
      retryable: !spendLimitReached && (override ?? true),
      retryAfterMs: after ?? RATE_LIMIT_FALLBACK_MS,
      spendLimitReached
    })
  }
  if (status === 401 || status === 403) {
    return new CredentialInvalid({ ...fields, retryable: false, credential, reason: "rejected" })
  }
  if (status === 400 && credential !== "api_key" && SUBSCRIPTION_POLICY.test(body.apiMessage)) {
    return new CredentialInvalid({ ...fields, retryable: false, credential, reason: "subscription_policy" })
  }
  if (status >= 500) {
    return new ServerError({ ...fields, retryable: override ?? true, retryAfterMs: after })
  }
  return new Other({ ...fields, retryable: override ?? RETRIED_CLIENT_ERRORS.has(status), retryAfterMs: after })
}

/**
 * How retries behave: how many, and the longest server-requested wait (`retry-after`) that is honoured.
 */
export interface RetryOptions {
  readonly maxRetries: number
  readonly maxRetryAfterMs: number
}

/** Effect treats a sleep over 2^31 − 1 ms as endless: no wait may be longer, whatever the configuration says. */
const LONGEST_SLEEP_MS = 2 ** 31 - 1

/** The official SDK's backoff: min(0.5·2ⁿ, 8) s, less up to 25 % jitter. */
const backoff = (attempt: number): Effect.Effect<Duration.Duration> =>
  Effect.map(Random.next, (r) => Duration.millis(Math.min(500 * 2 ** attempt, 8000) * (1 - 0.25 * r)))

/**
 * Whether a retry may follow `error`. A 429 asking to wait longer than `maxRetryAfterMs` is not retried: the call
 * fails at once with the server's `retryAfterMs`, instead of hanging for as long as the server likes.
 */
export const mayRetry = (error: ApiError, options: RetryOptions): boolean =>
  isRetryable(error) &&
  (error._tag !== "RateLimit" || error.retryAfterMs <= Math.min(options.maxRetryAfterMs, LONGEST_SLEEP_MS))

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
  return after !== undefined && after <= Math.min(maxRetryAfterMs, LONGEST_SLEEP_MS)
    ? Effect.succeed(Duration.millis(after))
    : backoff(attempt)
}

/**
 * The retry policy: at most `maxRetries` retries, only of errors {@link mayRetry} allows, each after
 * {@link retryDelay}. Retries are logged at debug level.
 */
export const retryPolicy = (options: RetryOptions): Schedule.Schedule<unknown, ApiError> =>
  Schedule.identity<ApiError>().pipe(
    Schedule.intersect(Schedule.recurs(options.maxRetries)),
    Schedule.whileInput((error: ApiError) => mayRetry(error, options)),
    Schedule.addDelayEffect(([error, attempt]) =>
      Effect.tap(retryDelay(error, attempt, options.maxRetryAfterMs), (delay) =>
        Effect.logDebug(
          `${error._tag}: retry ${attempt + 1} of ${options.maxRetries} in ${Math.round(Duration.toMillis(delay))} ms`
        ).pipe(Effect.annotateLogs({ error: error.message })))
    )
  )

/**
 * `effect` retried by {@link retryPolicy}. The schedule's driver is made only after a first failure, so a call that
 * succeeds at once pays nothing for retries.
 */
export const withRetries = <A, R>(
  effect: Effect.Effect<A, ApiError, R>,
  options: RetryOptions
): Effect.Effect<A, ApiError, R> => {
  if (options.maxRetries <= 0) return effect
  const policy = retryPolicy(options)
  return Effect.catchAll(effect, (first) =>
    Effect.flatMap(Schedule.driver(policy), (driver) => {
      const again = (error: ApiError): Effect.Effect<A, ApiError, R> =>
        Effect.matchEffect(driver.next(error), {
          onFailure: () => Effect.fail(error),
          onSuccess: () => Effect.catchAll(effect, again)
        })
      return again(first)
    }))
}
