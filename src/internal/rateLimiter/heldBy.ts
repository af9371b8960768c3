/**
 * What held an attempt, in words and as a `RateLimit`: the limiter's failures name the limit, where it came from
 * (configured, learned, the API) and the setting that bounds the wait.
 */
import { RateLimit } from "../errors.js"
import { type Holder, LIMIT_NAME } from "./store.js"

/** What a wait is counted as in snapshots (`waitingFor`): the limit's name, or the kind of hold. */
export const reasonOf = (holder: Holder): string =>
  holder.kind === "configured" || holder.kind === "learned" || holder.kind === "api" ? LIMIT_NAME[holder.dimension] : holder.kind

/** An attempt that would wait past `rate_limit.max_wait_ms` for `holder`. */
export const waitedTooLong = (holder: Holder, ms: number, maxWaitMs: number): RateLimit =>
  new RateLimit({
    status: 0,
    errorType: "rate_limit_wait",
    apiMessage: heldText(holder, ms, maxWaitMs),
    retryAfterMs: Math.ceil(ms),
    retryable: false,
    heldBy: heldByOf(holder)
  })

/** An attempt held by a 429's pause longer than `retry.max_retry_after_ms`. */
export const pausedTooLong = (ms: number, maxRetryAfterMs: number): RateLimit =>
  new RateLimit({
    status: 0,
    errorType: "rate_limit_error",
    apiMessage: `every call is paused for ${Math.ceil(ms)} ms after a 429 (its retry-after), longer than ` +
      `retry.max_retry_after_ms (${maxRetryAfterMs} ms)`,
    retryAfterMs: Math.ceil(ms),
    retryable: false,
    heldBy: { limit: "pause", source: "api" }
  })

const heldByOf = (holder: Holder) => {
  switch (holder.kind) {
    case "pause":
      return { limit: "pause", source: "api" as const }
    case "requests_per_second":
      return { limit: "requests_per_second", source: "configured" as const }
    case "max_concurrent":
      return { limit: "max_concurrent", source: "configured" as const }
    default:
      return { limit: LIMIT_NAME[holder.dimension], source: holder.kind, scope: holder.scope }
  }
}

const scopeText = (scope: string) => scope === "*" ? "" : ` of ${scope}`

const heldText = (holder: Holder, ms: number, maxWaitMs: number): string => {
  const over = `${Math.ceil(ms)} ms, longer than rate_limit.max_wait_ms (${maxWaitMs} ms)`
  switch (holder.kind) {
    case "pause":
      return `every call is paused after a 429 for ${over}`
    case "requests_per_second":
      return `rate_limit.requests_per_second would hold this call ${over}`
    case "max_concurrent":
      return `no request of the rate_limit.max_concurrent in flight ended within rate_limit.max_wait_ms (${maxWaitMs} ms)`
    case "configured":
      return `rate_limit.${LIMIT_NAME[holder.dimension]}${scopeText(holder.scope)} would hold this call ${over}`
    case "learned":
      return `the API's ${LIMIT_NAME[holder.dimension]}${scopeText(holder.scope)} would hold this call ${over}`
    case "api":
      return `the API reported too little ${LIMIT_NAME[holder.dimension]} left${scopeText(holder.scope)} until its reset, ${over}`
  }
}
