/**
 * Metering an attempt: its rate-limit reservation as a `Charge` settled exactly once, what an answer's `usage` counts
 * against the limits, and the answer's metadata handed to whoever listens (the call's `onResponse`, or
 * `AnthropicClient.withResponse` on the fiber).
 */
import * as Effect from "effect/Effect"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import type { Reservation, Usage } from "../rateLimiter/limiter.js"
import * as ResponseMetadata from "../responseMetadata.js"
import { currentSink, listeners } from "./responseSink.js"
import type { CallOptions, Charge } from "./types.js"

/**
 * An attempt's reservation as a {@link Charge}, settled exactly once: every attempt is settled (its place among the
 * requests in flight is freed then), and a stream's attempt interrupted after its first event (another client's
 * exchange runs in a fiber of its own, which may have finished) gives the reservation back while its request's scope,
 * closing, would settle it again.
 */
export const chargeOf = (reservation: Reservation, reserved: Usage | undefined, waitedMs: number): Charge => {
  let settled = false
  const settle = (usage: Usage | undefined) =>
    Effect.suspend(() => {
      if (settled) return Effect.void
      settled = true
      return reservation.settle(usage)
    })
  return {
    settle,
    // Made only when asked for: most answers say what they used.
    get settleAsReserved() {
      return settle(reserved)
    },
    waitedMs
  }
}

/** What an answer's `usage` counts against the limits: input tokens and cache writes, output tokens. */
export const chargedUsage = (usage: unknown): { inputTokens: number; outputTokens: number } | undefined => {
  if (typeof usage !== "object" || usage === null) return undefined
  const u = usage as Record<string, unknown>
  const n = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0)
  return { inputTokens: n(u.input_tokens) + n(u.cache_creation_input_tokens), outputTokens: n(u.output_tokens) }
}

/**
 * A 2xx answer told to the call's `onResponse` (with its metadata, rate limits parsed only if read) and, when the
 * fiber listens (`AnthropicClient.withResponse`), recorded in its sink. With nobody listening this costs nothing.
 */
export const recorded = <X, E>(
  response: HttpClientResponse.HttpClientResponse,
  waitedMs: number,
  onResponse: CallOptions["onResponse"],
  read: Effect.Effect<X, E>
): Effect.Effect<X, E> => {
  if (onResponse !== undefined) onResponse(ResponseMetadata.fromHeaders(response.status, response.headers, waitedMs))
  return listeners.count === 0 ? read : Effect.withFiber<X, E>((fiber) => {
    const sink = fiber.getRef(currentSink)
    if (sink !== undefined) sink.last = { status: response.status, headers: response.headers, waitedMs }
    return read
  })
}
