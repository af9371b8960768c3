/**
 * What an answer's `anthropic-ratelimit-{requests,input-tokens,output-tokens}-*` headers report, for the adaptive
 * limiter: read straight from the three dimensions' headers (six lookups when there are none, as on most gateways
 * and stand-ins), not through the full response metadata.
 */
import { numberOf, timeOf } from "../headerValues.js"
import type { Dimension, Report } from "./store.js"

const HEADERS: ReadonlyArray<readonly [Dimension, string]> = [
  ["requests", "anthropic-ratelimit-requests-"],
  ["input", "anthropic-ratelimit-input-tokens-"],
  ["output", "anthropic-ratelimit-output-tokens-"]
]

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
  for (const [dimension, prefix] of HEADERS) {
    const limitText = headers[`${prefix}limit`]
    const remainingText = headers[`${prefix}remaining`]
    if (limitText === undefined && remainingText === undefined) continue
    const limit = numberOf(limitText)
    const remaining = numberOf(remainingText)
    if (limit === undefined && remaining === undefined) continue
    ;(reports ??= []).push({
      dimension,
      // A limit of 0 would hold every call for ever: the API never reports one, a hostile server may.
      limit: limit !== undefined && limit >= 1 ? limit : undefined,
      remaining,
      resetAtMs: resetOf(headers[`${prefix}reset`])
    })
  }
  return reports ?? NONE
}
