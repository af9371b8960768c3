/**
 * (The public `ResponseMetadata` module is this module.) What an answer's headers say besides its body: the `request-id`, every header, and the rate limits parsed from
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
import * as Schema from "effect/Schema"
import { clip, MAX_IDENTIFIER } from "./clip.js"
import { numberOf, timeOf } from "./headerValues.js"

/**
 * One limit: its size per minute, what remains of it, and when it is full again (RFC 3339 as sent, and epoch ms).
 *
 * @since 0.2.0
 * @category schemas
 */
export const Limit = Schema.Struct({
  limit: Schema.optional(Schema.Number),
  remaining: Schema.optional(Schema.Number),
  reset: Schema.optional(Schema.String),
  resetAtMs: Schema.optional(Schema.Number)
})
/**
 * @since 0.2.0
 * @category models
 */
export type Limit = typeof Limit.Type

/**
 * One window of a subscription's unified limit: the fraction used (0–1), its status, when it resets.
 *
 * @since 0.2.0
 * @category schemas
 */
export const UnifiedWindow = Schema.Struct({
  utilization: Schema.optional(Schema.Number),
  status: Schema.optional(Schema.String),
  resetAtMs: Schema.optional(Schema.Number)
})
/**
 * @since 0.2.0
 * @category models
 */
export type UnifiedWindow = typeof UnifiedWindow.Type

/**
 * A subscription's unified limit (claude.ai plans): its status (`allowed`, `allowed_warning`, `rejected`), which
 * window is the binding one, and every window the headers name (`5h`, `7d`, `7d_oi`, …), the two common ones also as
 * `fiveHour` and `sevenDay`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const Unified = Schema.Struct({
  status: Schema.optional(Schema.String),
  resetAtMs: Schema.optional(Schema.Number),
  representativeClaim: Schema.optional(Schema.String),
  overageStatus: Schema.optional(Schema.String),
  fallbackPercentage: Schema.optional(Schema.Number),
  fiveHour: Schema.optional(UnifiedWindow),
  sevenDay: Schema.optional(UnifiedWindow),
  windows: Schema.Record(Schema.String, UnifiedWindow)
})
/**
 * @since 0.2.0
 * @category models
 */
export type Unified = typeof Unified.Type

/**
 * The rate limits an answer reports.
 *
 * @since 0.2.0
 * @category schemas
 */
export const RateLimits = Schema.Struct({
  requests: Schema.optional(Limit),
  inputTokens: Schema.optional(Limit),
  outputTokens: Schema.optional(Limit),
  tokens: Schema.optional(Limit),
  unified: Schema.optional(Unified)
})
/**
 * @since 0.2.0
 * @category models
 */
export type RateLimits = typeof RateLimits.Type

/**
 * An answer's metadata.
 *
 * @since 0.2.0
 * @category models
 */
export interface ResponseMetadata {
  readonly requestId: string | undefined
  readonly status: number
  /** Every header, names in lower case (as the HTTP client gives them). */
  readonly headers: Readonly<Record<string, string>>
  readonly rateLimits: RateLimits
  /** Milliseconds the call waited for this client's rate limiter before it was sent (every attempt). */
  readonly limiterWaitMs: number
}

type Lookup = (name: string) => string | undefined

/** Epoch seconds (the unified headers' form) as epoch ms. */
const epochSecondsOf = (value: string | undefined): number | undefined => {
  const seconds = numberOf(value)
  return seconds === undefined ? undefined : seconds * 1000
}

const textOf = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === "" ? undefined : clip(value.trim(), MAX_IDENTIFIER)

const defined = <A extends Record<string, unknown>>(record: A): A | undefined => {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(record)) if (value !== undefined) out[key] = value
  return Object.keys(out).length === 0 ? undefined : out as A
}

const limitOf = (header: Lookup, kind: string): Limit | undefined =>
  defined({
    limit: numberOf(header(`anthropic-ratelimit-${kind}-limit`)),
    remaining: numberOf(header(`anthropic-ratelimit-${kind}-remaining`)),
    ...timeOf(header(`anthropic-ratelimit-${kind}-reset`))
  })

const UNIFIED = "anthropic-ratelimit-unified-"
const WINDOW_FIELD = /^(.+)-(utilization|reset|status)$/

/** The unified (subscription) headers: the overall fields, and each window's. */
const unifiedOf = (headers: Readonly<Record<string, string>>): Unified | undefined => {
  // A Map, not an object: a header named `…-__proto__-status` must not reach Object.prototype.
  const windows = new Map<string, { utilization?: number; status?: string; resetAtMs?: number }>()
  let any = false
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith(UNIFIED)) continue
    any = true
    const rest = name.slice(UNIFIED.length)
    const m = WINDOW_FIELD.exec(rest)
    // `status` and `reset` alone are the overall ones; `overage-status` / `overage-reset` are not a window.
    if (m === null || m[1] === "overage" || (windows.size >= 32 && !windows.has(m[1]!))) continue
    let window = windows.get(m[1]!)
    if (window === undefined) windows.set(m[1]!, window = {})
    if (m[2] === "utilization") {
      const u = numberOf(value)
      if (u !== undefined) window.utilization = u
    } else if (m[2] === "reset") {
      const at = epochSecondsOf(value)
      if (at !== undefined) window.resetAtMs = at
    } else {
      const status = textOf(value)
      if (status !== undefined) window.status = status
    }
  }
  if (!any) return undefined
  const header = (n: string) => headers[UNIFIED + n]
  const kept = Object.fromEntries([...windows].filter(([, w]) => Object.keys(w).length > 0))
  return {
    ...defined({
      status: textOf(header("status")),
      resetAtMs: epochSecondsOf(header("reset")),
      representativeClaim: textOf(header("representative-claim")),
      overageStatus: textOf(header("overage-status")),
      fallbackPercentage: numberOf(header("fallback-percentage")),
      fiveHour: kept["5h"],
      sevenDay: kept["7d"]
    }),
    windows: kept
  }
}

/**
 * The rate limits these headers report (names in lower case).
 *
 * @since 0.2.0
 * @category constructors
 */
export const rateLimitsOf = (headers: Readonly<Record<string, string>>): RateLimits => {
  const header: Lookup = (name) => headers[name]
  return defined({
    requests: limitOf(header, "requests"),
    inputTokens: limitOf(header, "input-tokens"),
    outputTokens: limitOf(header, "output-tokens"),
    tokens: limitOf(header, "tokens"),
    unified: unifiedOf(headers)
  }) ?? {}
}

/**
 * An answer's metadata from its status and headers.
 *
 * @since 0.2.0
 * @category constructors
 */
export const fromHeaders = (
  status: number,
  headers: Readonly<Record<string, string>>,
  limiterWaitMs = 0
): ResponseMetadata => {
  let rateLimits: RateLimits | undefined
  return {
    requestId: clip(headers["request-id"], MAX_IDENTIFIER),
    status,
    headers,
    // Parsed when first read: a caller that only wants the request id does not pay for them.
    get rateLimits() {
      return rateLimits ??= rateLimitsOf(headers)
    },
    limiterWaitMs
  }
}
