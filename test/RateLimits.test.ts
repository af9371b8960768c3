/**
 * Rate limits in one process, against the stand-in's own (token buckets per minute, reported in headers, 429 when
 * exceeded) on the TestClock: response metadata, token pacing with corrections, per-model limits, adaptive limits
 * and the shared 429 pause.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/testing/TestClock"
import type * as Messages from "../src/Messages.js"
import * as ResponseMetadata from "../src/ResponseMetadata.js"
import * as StandIn from "../src/testing/StandIn.js"
import { API_KEY, hello, stack, withPromiseClient } from "./fixtures.js"
import { realPause, runClocked } from "./helpers.js"

/** A stand-in whose rate limits run on the test's clock, and a client on it. */
const setup = (
  rateLimit: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
  models: "catalogue" | "any" = "catalogue"
) =>
  Effect.gen(function*() {
    const clock = yield* Clock.Clock
    const standIn = yield* StandIn.scoped({ now: () => clock.currentTimeMillisUnsafe(), models })
    const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url, rate_limit: rateLimit, ...extra })
    return { standIn, client }
  })

/** A request of about `tokens` input tokens as the stand-in counts them (four characters a token). */
const sized = (tokens: number, max_tokens = 64): Messages.MessageCreateParams => ({
  model: "claude-haiku-4-5",
  max_tokens,
  messages: [{ role: "user", content: "x".repeat(tokens * 4 - 40) }]
})

describe("response metadata", () => {
  it.effect("createMessageWithResponse: the request id, every header, and the parsed limits", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup()
      standIn.rateLimits.set({ requestsPerMinute: 50, inputTokensPerMinute: 40_000, outputTokensPerMinute: 8000 })
      const { headers, message, rateLimits, requestId } = yield* client.createMessageWithResponse(hello)
      expect(message.content).toEqual([{ type: "text", text: "echo: hello" }])
      expect(requestId).toMatch(/^req_/)
      expect(headers["content-type"]).toBe("application/json")
      expect(rateLimits.requests).toMatchObject({ limit: 50, remaining: 49 })
      expect(rateLimits.inputTokens?.limit).toBe(40_000)
      expect(rateLimits.inputTokens?.remaining).toBe(40_000 - standIn.rateLimits.charges[0]!.inputTokens)
      expect(rateLimits.outputTokens).toMatchObject({ limit: 8000 })
      expect(typeof rateLimits.requests?.reset).toBe("string")
      expect(rateLimits.requests?.resetAtMs).toBe(Date.parse(rateLimits.requests!.reset!))
    }))

  it.effect("streamWithResponse: the metadata arrives with the headers, before the events are read", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup()
      standIn.rateLimits.set({ requestsPerMinute: 7 })
      const started = yield* client.streamWithResponse(hello)
      expect(started.rateLimits.requests).toMatchObject({ limit: 7, remaining: 6 })
      expect(started.requestId).toMatch(/^req_/)
      const events = yield* Stream.runCollect(started.events)
      expect(events.at(-1)?.type).toBe("message_stop")
    }))

  it.effect("a 429 carries the limits it reports", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup({ adaptive: false }, { retry: { max_retries: 0 } })
      standIn.rateLimits.set({ requestsPerMinute: 1 })
      yield* client.createMessage(hello)
      const error = yield* Effect.flip(client.createMessage(hello))
      expect(error._tag).toBe("RateLimit")
      if (error._tag !== "RateLimit") throw new Error("narrowing")
      expect(error.rateLimits?.requests).toMatchObject({ limit: 1, remaining: 0 })
      expect(error.retryAfterMs).toBe(60_000)
    }))

  it("subscription (unified) headers, and hostile ones ignored", () => {
    const limits = ResponseMetadata.rateLimitsOf({
      "anthropic-ratelimit-unified-status": "allowed_warning",
      "anthropic-ratelimit-unified-reset": "1790256000",
      "anthropic-ratelimit-unified-representative-claim": "five_hour",
      "anthropic-ratelimit-unified-5h-utilization": "0.42",
      "anthropic-ratelimit-unified-5h-reset": "1790256000",
      "anthropic-ratelimit-unified-5h-status": "allowed",
      "anthropic-ratelimit-unified-7d-utilization": "0.18",
      "anthropic-ratelimit-unified-7d_oi-utilization": "0.5",
      "anthropic-ratelimit-unified-overage-status": "rejected",
      "anthropic-ratelimit-unified-__proto__-status": "polluted",
      "anthropic-ratelimit-requests-limit": "NaN",
      "anthropic-ratelimit-requests-remaining": "-5",
      "anthropic-ratelimit-input-tokens-limit": "9".repeat(400),
      "anthropic-ratelimit-output-tokens-reset": "tomorrow"
    })
    const { __proto__: _, ...windows } = Object.fromEntries(Object.entries(limits.unified!.windows))
    expect({ ...limits, unified: { ...limits.unified, windows } }).toEqual({
      unified: {
        status: "allowed_warning",
        resetAtMs: 1_790_256_000_000,
        representativeClaim: "five_hour",
        overageStatus: "rejected",
        fiveHour: { utilization: 0.42, resetAtMs: 1_790_256_000_000, status: "allowed" },
        sevenDay: { utilization: 0.18 },
        windows: {
          "5h": { utilization: 0.42, resetAtMs: 1_790_256_000_000, status: "allowed" },
          "7d": { utilization: 0.18 },
          "7d_oi": { utilization: 0.5 }
        }
      }
    })
    // A window named like a prototype is an own entry, and no object got a `status` from it.
    expect(Object.getOwnPropertyDescriptor(limits.unified!.windows, "__proto__")?.value).toEqual({ status: "polluted" })
    expect(({} as Record<string, unknown>).status).toBeUndefined()
  })

  it("Promise client: create().withResponse() and stream.withResponse(), one request each", () =>
    withPromiseClient(async (client, standIn) => {
      const { message, rateLimits, requestId } = await client.messages.create(hello).withResponse()
      expect(message.content[0]).toEqual({ type: "text", text: "echo: hello" })
      expect(requestId).toMatch(/^req_/)
      expect(rateLimits.requests?.limit).toBe(4000)
      expect((await client.messages.create(hello)).id).toMatch(/^msg_/)
      const stream = client.messages.stream(hello)
      const info = await stream.withResponse()
      expect(info.rateLimits.requests?.limit).toBe(4000)
      expect(await stream.finalText()).toBe("echo: hello")
      expect(standIn.requests.length).toBe(3)
    }))
})

describe("pacing by tokens", () => {
  it.effect("concurrent calls against an input-token budget stay within it: the stand-in refuses none", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup({ input_tokens_per_minute: 6000 })
      standIn.rateLimits.set({ inputTokensPerMinute: 6000 })
      const calls = Effect.all(Array.from({ length: 12 }, () => client.createMessage(sized(1000))), { concurrency: "unbounded" })
      const { exit } = yield* runClocked(calls)
      expect(Exit.isSuccess(exit)).toBe(true)
      const charges = standIn.rateLimits.charges
      expect(charges.filter((c) => c.limited)).toEqual([])
      expect(charges.length).toBe(12)
      // A minute's worth (6,000) at once, then 100 tokens a second: the last of 12,000 tokens near 60 s, not much later.
      const last = Math.max(...charges.map((c) => c.at))
      expect(last).toBeGreaterThanOrEqual(55_000)
      expect(last).toBeLessThanOrEqual(75_000)
    }))

  it.effect("without the limit the same calls are refused by the stand-in", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup({ adaptive: false }, { retry: { max_retries: 0 } })
      standIn.rateLimits.set({ inputTokensPerMinute: 6000 })
      const calls = Effect.all(Array.from({ length: 12 }, () => Effect.result(client.createMessage(sized(1000)))), { concurrency: "unbounded" })
      yield* runClocked(calls)
      expect(standIn.rateLimits.charges.filter((c) => c.limited).length).toBeGreaterThanOrEqual(5)
    }))

  it.effect("max_tokens is reserved, then corrected from usage: short answers do not wait for unused output", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup({ output_tokens_per_minute: 1000 })
      // Each reserves 500 output tokens; each answer uses a few: without the correction the third would wait 30 s.
      const { exit, waits } = yield* runClocked(Effect.forEach(Array.from({ length: 6 }), () => client.createMessage({ ...hello, max_tokens: 500 })))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(waits).toEqual([])
      expect(standIn.requests.length).toBe(6)
    }))

  it.effect("a stream read in two runs is corrected once: its output reservation is not given back twice", () =>
    Effect.gen(function*() {
      // The held stream's idle watchdog sleeps past the horizon runClocked advances the clock to.
      const { client } = yield* setup({ output_tokens_per_minute: 1000, adaptive: false }, { stream_idle_timeout_ms: 600_000 })
      const big = { ...hello, max_tokens: 500 }
      // B holds 500 until its scope closes; A is peeked, then read to its end.
      const held = yield* client.streamWithResponse(big)
      const peeked = yield* client.streamWithResponse(big)
      yield* Stream.runHead(peeked.events)
      const rest = yield* Stream.runCollect(peeked.events)
      expect(rest.at(-1)?.type).toBe("message_stop")
      // A used a few tokens and holds nothing now; B still holds 500: a third 500 waits for the minute to refill.
      // Settled at each run's end, A gave back its 500 twice and the third call went at once.
      const { exit, waits } = yield* runClocked(client.createMessage(big))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(waits.length).toBeGreaterThan(0)
      expect(held.requestId).toMatch(/^req_/)
    }))

  it.effect("a model with limits of its own is paced apart; the others are not", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup({ models: { "claude-opus-4-7": { requests_per_minute: 2 } } })
      const opus = { ...hello, model: "claude-opus-4-7" }
      const fiber = yield* Effect.forkChild(Effect.all([client.createMessage(opus), client.createMessage(opus), client.createMessage(opus)], { concurrency: "unbounded" }))
      yield* StandIn.until(standIn, () => standIn.requests.length === 2)
      yield* client.createMessage(hello)
      yield* client.createMessage(hello)
      expect(standIn.requests.length).toBe(4 + 0)
      yield* TestClock.adjust("29 seconds")
      yield* realPause(30)
      expect(standIn.requests.filter((r) => r.body.model === "claude-opus-4-7").length).toBe(2)
      yield* TestClock.adjust("1 second")
      yield* StandIn.until(standIn, () => standIn.requests.length === 5)
      yield* Fiber.join(fiber)
    }))
})

describe("reservations under stress", () => {
  it.effect("a model named like an Object.prototype property gets the global limits, not none", () =>
    Effect.gen(function*() {
      // The stand-in takes any model name here: this one is no model, on purpose.
      const { client, standIn } = yield* setup({ requests_per_minute: 2, adaptive: false }, {}, "any")
      const odd = { ...hello, model: "constructor" }
      const fiber = yield* Effect.forkChild(Effect.all([client.createMessage(odd), client.createMessage(odd), client.createMessage(odd)], { concurrency: "unbounded" }))
      yield* StandIn.until(standIn, () => standIn.requests.length === 2)
      yield* realPause(30)
      expect(standIn.requests.length).toBe(2)
      yield* TestClock.adjust("30 seconds")
      yield* StandIn.until(standIn, () => standIn.requests.length === 3)
      yield* Fiber.join(fiber)
    }))

  it.effect("calls interrupted while they wait for budget give it back: the next call is not held by them", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup({ requests_per_minute: 60, adaptive: false })
      // The minute's budget used up, then 30 calls queued behind it and abandoned (their callers' timeouts, say).
      yield* Effect.forEach(Array.from({ length: 60 }), () => client.createMessage(hello), { concurrency: "unbounded" })
      const waiting = yield* Effect.forkChild(Effect.all(Array.from({ length: 30 }, () => client.createMessage(hello)), { concurrency: "unbounded" }))
      yield* realPause(30)
      yield* Fiber.interrupt(waiting)
      expect(standIn.requests.length).toBe(60)
      // One request refills in a second: a fresh call waits that long, not 31 s behind the abandoned ones.
      const { waits } = yield* runClocked(client.createMessage(hello))
      expect(waits.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1000)
      expect(standIn.requests.length).toBe(61)
    }))
})

describe("adaptive limits", () => {
  it.effect("limits learned from the headers pace a client that has none: no 429", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup({}, { retry: { max_retries: 0 } })
      standIn.rateLimits.set({ requestsPerMinute: 3 })
      const { exit, waits } = yield* runClocked(Effect.forEach(Array.from({ length: 5 }), () => client.createMessage(hello)))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(standIn.rateLimits.charges.filter((c) => c.limited)).toEqual([])
      // The first answer says 3 a minute with 2 left: the fourth waits for a request's refill (20 s), the fifth too.
      expect(waits.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(20_000)
    }))

  it.effect("a budget the API says is lower than ours is lowered (another client spent it)", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup({ requests_per_minute: 10 }, { retry: { max_retries: 0 } })
      standIn.rateLimits.set({ requestsPerMinute: 10 })
      yield* client.createMessage(hello)
      // Someone else on the same key takes 8 of the stand-in's requests.
      for (let i = 0; i < 8; i++) yield* Effect.promise(() => fetch(`${standIn.url}/v1/messages`, { method: "POST", body: JSON.stringify(hello) }))
      yield* client.createMessage(hello)
      const { exit } = yield* runClocked(client.createMessage(hello))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(standIn.rateLimits.charges.filter((c) => c.limited)).toEqual([])
    }))

  it.effect("one 429 pauses every call of the client until its retry-after", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup()
      standIn.enqueue(StandIn.error(429, { retryAfterMs: "5000" }))
      const first = yield* Effect.forkChild(client.createMessage(hello))
      yield* StandIn.until(standIn, () => standIn.requests.length === 1)
      yield* realPause(30)
      // Calls made while the client is paused wait too, instead of meeting their own 429s.
      const others = yield* Effect.forkChild(Effect.all([client.createMessage(hello), client.countTokens({ model: hello.model, messages: [] })], { concurrency: "unbounded" }))
      yield* TestClock.adjust("4999 millis")
      yield* realPause(50)
      expect(standIn.requests.length).toBe(1)
      yield* TestClock.adjust("1 millis")
      yield* StandIn.until(standIn, () => standIn.requests.length === 4)
      yield* Fiber.join(first)
      yield* Fiber.join(others)
    }))

  it.effect("adaptive: false learns nothing and does not pause", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup({ adaptive: false }, { retry: { max_retries: 0 } })
      standIn.rateLimits.set({ requestsPerMinute: 2 })
      const results = yield* Effect.forEach(Array.from({ length: 3 }), () => Effect.result(client.createMessage(hello)))
      expect(results.map((r) => r._tag)).toEqual(["Success", "Success", "Failure"])
    }))
})
