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
import { scrubSecrets } from "./tokens.js"

/** What the API puts in an error body: `{"type":"error","error":{"type","message"},"request_id"}`. */
interface ErrorBody {
  readonly errorType: string
  readonly apiMessage: string
  readonly requestId: string | undefined
}

const MAX_MESSAGE = 1000

export const parseErrorBody = (text: string): ErrorBody => {
  try {
    const json = JSON.parse(text) as {
      error?: { type?: unknown; message?: unknown } | string
      error_description?: unknown
      request_id?: unknown
    }
    const error = json.error
    if (typeof error === "object" && error !== null) {
      return {
        errorType: typeof error.type === "string" ? error.type : "unknown",
        apiMessage: scrubSecrets(typeof error.message === "string" ? error.message : JSON.stringify(error)),
        requestId: typeof json.request_id === "string" ? json.request_id : undefined
      }
    }
    // OAuth endpoints answer `{"error":"invalid_grant","error_description":"…"}`.
    if (typeof error === "string") {
      return {
        errorType: error,
        apiMessage: scrubSecrets(typeof json.error_description === "string" ? json.error_description : error),
        requestId: undefined
      }
    }
  } catch {
    // not JSON: fall through and keep the start of the text
  }
  return {
    errorType: "unknown",
    apiMessage: scrubSecrets(text.trim().slice(0, MAX_MESSAGE)) || "(empty body)",
    requestId: undefined
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
    return new RateLimit({ ...fields, retryable: override ?? true, retryAfterMs: after ?? RATE_LIMIT_FALLBACK_MS })
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
  return new Other({ ...fields, retryable: override ?? false, retryAfterMs: after })
}

/** The official SDK's backoff: min(0.5·2ⁿ, 8) s, less up to 25 % jitter. */
const backoff = (attempt: number): Effect.Effect<Duration.Duration> =>
  Effect.map(Random.next, (r) => Duration.millis(Math.min(500 * 2 ** attempt, 8000) * (1 - 0.25 * r)))

/** How long to wait before retry number `attempt + 1`: the server's word where it gave one, else backoff. */
export const retryDelay = (error: ApiError, attempt: number): Effect.Effect<Duration.Duration> => {
  if (error._tag === "RateLimit") return Effect.succeed(Duration.millis(error.retryAfterMs))
  const after = error._tag === "ServerError" || error._tag === "Other" ? error.retryAfterMs : undefined
  // Like the SDK, trust a server-given delay only within a minute; otherwise our own backoff.
  return after !== undefined && after <= 60_000 ? Effect.succeed(Duration.millis(after)) : backoff(attempt)
}

/**
 * The retry policy: at most `maxRetries` retries, only of retryable errors, each after {@link retryDelay}.
 * Retries are logged at debug level.
 */
export const retryPolicy = (maxRetries: number): Schedule.Schedule<unknown, ApiError> =>
  Schedule.identity<ApiError>().pipe(
    Schedule.intersect(Schedule.recurs(maxRetries)),
    Schedule.whileInput(isRetryable),
    Schedule.addDelayEffect(([error, attempt]) =>
      Effect.tap(retryDelay(error, attempt), (delay) =>
        Effect.logDebug(
          `${error._tag}: retry ${attempt + 1} of ${maxRetries} in ${Math.round(Duration.toMillis(delay))} ms`
        ).pipe(Effect.annotateLogs({ error: error.message })))
    )
  )

/**
 * `effect` retried by {@link retryPolicy}. The schedule's driver is made only after a first failure, so a call that
 * succeeds at once pays nothing for retries.
 */
export const withRetries = <A, R>(
  effect: Effect.Effect<A, ApiError, R>,
  maxRetries: number
): Effect.Effect<A, ApiError, R> => {
  if (maxRetries <= 0) return effect
  const policy = retryPolicy(maxRetries)
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
