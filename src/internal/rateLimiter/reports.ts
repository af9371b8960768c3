/**
 * What an answer's `anthropic-ratelimit-{requests,input-tokens,output-tokens}-*` headers report, for the adaptive
 * limiter: read straight from the three dimensions' headers (six lookups when there are none, as on most gateways
 * and stand-ins), not through the full response metadata.
 */
import { numberOf, timeOf } from "../headerValues.js"
import type { Dimension, Report } from "./store.js"

/** Each dimension's three header names, written out once (not built on every answer). */
const HEADERS: ReadonlyArray<{ readonly dimension: Dimension; readonly limit: string; readonly remaining: string; readonly reset: string }> = (
  [["requests", "requests"], ["input", "input-tokens"], ["output", "output-tokens"]] as const
).map(([dimension, name]) => ({
  dimension,
  limit: `anthropic-ratelimit-${name}-limit`,
  remaining: `anthropic-ratelimit-${name}-remaining`,
  reset: `anthropic-ratelimit-${name}-reset`
}))

const NONE: ReadonlyArray<Report> = []

// The last reset text read and its time: answers close together carry the same one (it is to the second).
let lastReset = ""
let lastResetAtMs: number | undefined

const resetOf = (text: string | undefined): number | undefined => {
  if (text === undefined) return undefined
  if (text !== lastReset) {
    lastReset = text
    lastResetAtMs = timeOf(text).resetAtMs
  }
  return lastResetAtMs
}

export const reportsOf = (headers: Readonly<Record<string, string | undefined>>): ReadonlyArray<Report> => {
  let reports: Array<Report> | undefined
  for (const names of HEADERS) {
    const limitText = headers[names.limit]
    const remainingText = headers[names.remaining]
    if (limitText === undefined && remainingText === undefined) continue
    const limit = numberOf(limitText)
    const remaining = numberOf(remainingText)
    if (limit === undefined && remaining === undefined) continue
    ;(reports ??= []).push({
      dimension: names.dimension,
      // A limit of 0 would hold every call for ever: the API never reports one, a hostile server may.
      limit: limit !== undefined && limit >= 1 ? limit : undefined,
      remaining,
      resetAtMs: resetOf(headers[names.reset])
    })
  }
  return reports ?? NONE
}
