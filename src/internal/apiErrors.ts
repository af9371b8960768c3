/**
 * The seed's error table: an HTTP answer that is not 2xx (or a stream's `event: error`, read as the same answer)
 * becomes one tagged error, with its `retry-after` read leniently.
 */
import {
  CredentialInvalid,
  type CredentialKind,
  Other,
  RateLimit,
  ServerError
} from "./errors.js"

/** What the API puts in an error body: `{"type":"error","error":{"type","message"},"request_id"}`. */
interface ErrorBody {
  readonly errorType: string
  readonly apiMessage: string
  readonly requestId: string | undefined
  /** `error.details.error_code`, where the API gives one (`enforced_spend_limit_reached`). */
  readonly errorCode: string | undefined
}

import { rateLimitsOf } from "./responseMetadata.js"
import { clip, MAX_IDENTIFIER } from "./clip.js"

export { clip, MAX_IDENTIFIER }

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
        errorType: typeof error.type === "string" ? clip(error.type, MAX_IDENTIFIER) : "unknown",
        apiMessage: clip(typeof error.message === "string" ? error.message : JSON.stringify(error)),
        requestId: typeof json!.request_id === "string" ? clip(json!.request_id, MAX_IDENTIFIER) : undefined,
        errorCode: typeof errorCode === "string" ? errorCode : undefined
      }
    }
    // OAuth endpoints answer `{"error":"invalid_grant","error_description":"…"}`.
    if (typeof error === "string") {
      return {
        errorType: clip(error, MAX_IDENTIFIER),
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

/**
 * A non-negative decimal number at the start of a header value, up to the end or a comma: a header sent twice arrives
 * joined as `"5, 10"`, and the first is taken. `retry-after-ms` may use an exponent (`1e12`); `retry-after` may not.
 */
const MILLISECONDS = /^(\d+(?:\.\d*)?|\.\d+)(e[-+]?\d+)?\s*(?:,|$)/i
const SECONDS = /^(\d+(?:\.\d*)?|\.\d+)\s*(?:,|$)/

const DAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
const MONTH = "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
const TIME = "(\\d{2}):(\\d{2}):(\\d{2})"
/** The HTTP-date forms of RFC 9110 §5.6.7, each followed by the end or a comma (a duplicated header). */
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT\\s*(?:,|$)`)
const RFC_850 = new RegExp(`^(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT\\s*(?:,|$)`)
const ASCTIME = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})\\s*(?:,|$)`)
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

/** Epoch milliseconds of a date's parts (all UTC), or `undefined` when they name no real instant (31 Feb, 25:00). */
const utc = (year: number, month: string, day: string, hh: string, mm: string, ss: string): number | undefined => {
  const m = MONTHS.indexOf(month)
  const ms = Date.UTC(year, m, Number(day), Number(hh), Number(mm), Number(ss))
  const date = new Date(ms)
  return date.getUTCDate() === Number(day) && date.getUTCMonth() === m && date.getUTCHours() === Number(hh) &&
      date.getUTCMinutes() === Number(mm) && date.getUTCSeconds() === Number(ss)
    ? ms
    : undefined
}

/** An HTTP-date in any of its three forms, as epoch milliseconds. Never `Date.parse`, which takes "-1" or "5, 10". */
const httpDate = (value: string, nowMs: number): number | undefined => {
  let m = IMF_FIXDATE.exec(value)
  if (m !== null) return utc(Number(m[3]), m[2]!, m[1]!, m[4]!, m[5]!, m[6]!)
  m = RFC_850.exec(value)
  if (m !== null) {
    // A two-digit year more than 50 years ahead is the most recent past year with those digits (RFC 9110).
    const thisYear = new Date(nowMs).getUTCFullYear()
    let year = Math.floor(thisYear / 100) * 100 + Number(m[3])
    if (year > thisYear + 50) year -= 100
    return utc(year, m[2]!, m[1]!, m[4]!, m[5]!, m[6]!)
  }
  m = ASCTIME.exec(value)
  return m === null ? undefined : utc(Number(m[6]), m[1]!, m[2]!.trim(), m[3]!, m[4]!, m[5]!)
}

/** A finite number of milliseconds from the first number of `value`, or `undefined`. */
const delay = (pattern: RegExp, value: string, unitMs: number): number | undefined => {
  const m = pattern.exec(value)
  if (m === null) return undefined
  const ms = Number(m[1]! + (m[2] ?? "")) * unitMs
  return Number.isFinite(ms) ? ms : undefined
}

/**
 * `retry-after-ms` (a non-negative number of milliseconds) first, then `retry-after` (non-negative seconds or an
 * HTTP-date; a date in the past is 0). Anything else is ignored, so the fallback or the backoff applies.
 */
export const retryAfterMs = (header: HeaderLookup, nowMs: number): number | undefined => {
  const ms = header("retry-after-ms")
  const fromMs = ms === undefined ? undefined : delay(MILLISECONDS, ms.trim(), 1)
  if (fromMs !== undefined) return fromMs
  const after = header("retry-after")?.trim()
  if (after === undefined) return undefined
  const seconds = delay(SECONDS, after, 1000)
  if (seconds !== undefined) return seconds
  const date = httpDate(after, nowMs)
  return date === undefined ? undefined : Math.max(0, date - nowMs)
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
  nowMs: number,
  /** Every header of the answer, for the rate limits a 429 reports. */
  headers?: Readonly<Record<string, string>> | undefined
): RateLimit | CredentialInvalid | ServerError | Other => {
  const body = parseErrorBody(bodyText)
  const fields = {
    status,
    errorType: body.errorType,
    apiMessage: body.apiMessage,
    requestId: clip(header("request-id"), MAX_IDENTIFIER) ?? body.requestId
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
      spendLimitReached,
      ...(headers === undefined ? {} : { rateLimits: rateLimitsOf(headers) })
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
