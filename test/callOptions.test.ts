/**
 * Per-call `timeoutMs` and `maxRetries`: in place of the configuration for that call only, longer or shorter, on the
 * default undici client (its deadlines) and on another HttpClient (Effect.timeoutFail), for calls and streams.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/testing/TestClock"
import * as AnthropicClient from "../src/AnthropicClient.js"
import * as Deadlines from "../src/internal/http/deadlines.js"
import * as StandIn from "../src/testing/StandIn.js"
import * as TestLayers from "../src/testing/TestLayers.js"
import { API_KEY, hello, stack } from "./fixtures.js"
import { failureOf, realPause, runClocked, sleeps } from "./helpers.js"

const settle = Effect.repeat(Effect.yieldNow, { times: 10 })

describe("per-call timeoutMs", () => {
  it.effect("shorter than timeout_ms: the call gives up at its own bound, and says so; the next call has the config's", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped({ replies: [{ type: "stall" }, { type: "stall" }] })
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url, timeout_ms: 60_000, retry: { max_retries: 0 } })
      const { exit, waits } = yield* runClocked(client.createMessage(hello, { timeoutMs: 2000 }))
      expect(waits).toEqual([2000])
      expect(failureOf(exit)).toMatchObject({
        _tag: "ConnectionError",
        reason: "timeout",
        detail: "no complete answer within the call's timeoutMs (2000 ms)"
      })
      const second = yield* runClocked(client.createMessage(hello))
      expect(second.waits).toEqual([60_000])
    }))

  it.effect("longer than timeout_ms: an answer after the config's bound but within the call's arrives", () =>
    Effect.gen(function*() {
      let release!: () => void
      const later = new Promise<StandIn.Reply>((resolve) => {
        release = () => resolve(StandIn.text("late but fine"))
      })
      const standIn = yield* StandIn.scoped({ replies: [{ type: "later", reply: later }] })
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url, timeout_ms: 1000, retry: { max_retries: 0 } })
      const fiber = yield* Effect.forkChild(client.createMessage(hello, { timeoutMs: 10_000 }))
      yield* StandIn.until(standIn, () => standIn.requests.length === 1)
      yield* TestClock.adjust("5 seconds")
      yield* realPause(20)
      expect(fiber.pollUnsafe()).toBeUndefined()
      release()
      const message = yield* Fiber.join(fiber)
      expect(message.content).toEqual([{ type: "text", text: "late but fine" }])
    }))

  it.effect("on another HttpClient (Effect.timeoutFail) the call's bound applies too", () =>
    Effect.gen(function*() {
      const services = yield* Layer.build(TestLayers.layer({
        http: () => new Promise<never>(() => {}),
        config: { providers: { anthropic: { timeout_ms: 5000, retry: { max_retries: 0 } } } }
      }))
      const client = Context.get(services, AnthropicClient.AnthropicClient)
      const { exit, waits } = yield* runClocked(client.countTokens({ model: "claude-haiku-4-5", messages: [] }, { timeoutMs: 750 }))
      expect(waits).toEqual([750])
      expect(failureOf(exit)).toMatchObject({ _tag: "ConnectionError", reason: "timeout" })
    }))

  it.effect("a stream's first event is due within the call's timeoutMs", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped({ replies: [StandIn.live().reply] })
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url, timeout_ms: 60_000, retry: { max_retries: 0 } })
      const { exit, waits } = yield* runClocked(Stream.runDrain(client.stream(hello, { timeoutMs: 3000 })))
      expect(waits).toEqual([3000])
      expect(failureOf(exit)).toMatchObject({ _tag: "ConnectionError", reason: "timeout" })
      expect((failureOf(exit) as { detail: string }).detail).toContain("the call's timeoutMs (3000 ms)")
    }))

  it.effect("out of range: refused with a clear error before anything is sent", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
      for (const timeoutMs of [0, -5, Number.NaN, Infinity, 2 ** 31]) {
        const error = yield* Effect.flip(client.createMessage(hello, { timeoutMs }))
        expect(error).toMatchObject({ _tag: "InvalidRequest" })
        expect(error.message).toContain("options.timeoutMs must be a number of milliseconds from 1 to 2147483647")
      }
      for (const maxRetries of [-1, 1.5, 101, "x" as never]) {
        const error = yield* Effect.flip(client.createMessage(hello, { maxRetries }))
        expect(error.message).toContain("options.maxRetries must be a whole number from 0 to 100")
      }
      const stream = yield* Effect.flip(Stream.runDrain(client.stream(hello, { timeoutMs: -1 })))
      expect(stream).toMatchObject({ _tag: "InvalidRequest" })
      expect(standIn.requests).toEqual([])
    }))
})

describe("per-call maxRetries", () => {
  it.effect("more or fewer retries than retry.max_retries, for that call only", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      standIn.setDefault(StandIn.error(500, { retryAfterMs: "0" }))
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url, retry: { max_retries: 0 } })
      const more = yield* runClocked(client.createMessage(hello, { maxRetries: 3 }))
      expect(failureOf(more.exit)._tag).toBe("ServerError")
      expect(standIn.requests.length).toBe(4)
      yield* runClocked(client.createMessage(hello))
      expect(standIn.requests.length).toBe(5)
      const { client: retrying } = yield* stack({ api_key: API_KEY, base_url: standIn.url, retry: { max_retries: 5 } })
      yield* runClocked(retrying.createMessage(hello, { maxRetries: 0 }))
      expect(standIn.requests.length).toBe(6)
    }))

  it.effect("takes the bounds themselves: 0 retries nothing, 100 retries until the answer comes", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url, retry: { max_retries: 2 } })
      standIn.enqueue(StandIn.error(500, { retryAfterMs: "0" }))
      const none = yield* runClocked(client.createMessage(hello, { maxRetries: 0 }))
      expect(failureOf(none.exit)._tag).toBe("ServerError")
      expect(standIn.requests.length).toBe(1)
      standIn.enqueue(StandIn.error(500, { retryAfterMs: "0" }), StandIn.error(500, { retryAfterMs: "0" }), StandIn.error(500, { retryAfterMs: "0" }))
      const many = yield* runClocked(client.createMessage(hello, { maxRetries: 100 }))
      expect(Exit.isSuccess(many.exit)).toBe(true)
      expect(standIn.requests.length).toBe(5)
    }))
})

describe("deadlines of several lengths", () => {
  it.effect("each lane expires on time, and a shorter deadline armed later wakes the watchdog early", () =>
    Effect.gen(function*() {
      const deadlines = yield* Deadlines.make(10_000)
      const expired: Array<string> = []
      deadlines.arm(() => expired.push("default"))
      yield* settle
      deadlines.arm(() => expired.push("short"), 500)
      const long = deadlines.arm(() => expired.push("long"), 20_000)
      yield* settle
      // The watchdog slept until the default deadline (10 s); the short one made it wake at 500 ms instead.
      expect(Math.min(...(yield* sleeps))).toBe(500)
      yield* TestClock.adjust("499 millis")
      yield* settle
      expect(expired).toEqual([])
      yield* TestClock.adjust("1 millis")
      yield* settle
      expect(expired).toEqual(["short"])
      yield* TestClock.adjust("9500 millis")
      yield* settle
      expect(expired).toEqual(["short", "default"])
      long.disarm()
      yield* TestClock.adjust("20 seconds")
      yield* settle
      expect(expired).toEqual(["short", "default"])
      // Lanes other than the default one are dropped once empty: the watchdog parks with no timer due.
      const now = yield* Clock.currentTimeMillis
      expect((yield* sleeps).filter((at) => at > now)).toEqual([])
    }))
})
