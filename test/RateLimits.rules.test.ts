/**
 * The limiter's rules in one process, on the TestClock against the stand-in: pacing from the API's own state (its
 * reported remaining budget until each limit's reset), a learned limit never raising a configured one, the 429 pause
 * holding calls already queued, every wait bounded, the concurrency cap, per-second spacing of a burst, and what a
 * program can see of it all (snapshots, metrics, each call's wait in its metadata).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as TestClock from "effect/testing/TestClock"
import * as AnthropicClient from "../src/AnthropicClient.js"
import * as RateLimiter from "../src/RateLimiter.js"
import * as StandIn from "../src/testing/StandIn.js"
import { API_KEY, hello } from "./fixtures.js"
import { failureOf, realPause, runClocked } from "./helpers.js"

/** The whole stack on the stand-in, with the limiter service, on the test's clock. */
const setup = (anthropic: Record<string, unknown> = {}) =>
  Effect.gen(function*() {
    const clock = yield* Clock.Clock
    const standIn = yield* StandIn.scoped({ now: () => clock.currentTimeMillisUnsafe() })
    const services = yield* Layer.build(AnthropicClient.layerFile({
      config: { providers: { anthropic: { api_key: API_KEY, base_url: standIn.url, ...anthropic } } },
      env: {}
    }))
    // When each Messages request arrived, on the test's clock.
    const arrivals: Array<number> = []
    standIn.setDefault({
      type: "dynamic",
      reply: (request) => {
        if (request.path.startsWith("/v1/messages")) arrivals.push(clock.currentTimeMillisUnsafe())
        return StandIn.echo
      }
    })
    /** `reply`, its arrival recorded too. */
    const recorded = (reply: StandIn.Reply): StandIn.Reply => ({
      type: "dynamic",
      reply: () => {
        arrivals.push(clock.currentTimeMillisUnsafe())
        return reply
      }
    })
    return {
      standIn,
      arrivals,
      recorded,
      client: Context.get(services, AnthropicClient.AnthropicClient),
      limiter: Context.get(services, RateLimiter.RateLimiter)
    }
  })

/** An RFC 3339 time `ms` from now on the test's clock (the API's `-reset` form, to the second). */
const resetIn = (ms: number) =>
  Effect.map(Clock.currentTimeMillis, (now) => new Date(now + ms).toISOString().replace(/\.\d{3}Z$/, "Z"))

/** A Message whose answer reports `dimension`'s limit, what remains and when it resets. */
const reporting = (dimension: "requests" | "input-tokens" | "output-tokens", limit: number, remaining: number, reset: string): StandIn.Reply => ({
  ...StandIn.text("ok"),
  headers: {
    [`anthropic-ratelimit-${dimension}-limit`]: String(limit),
    [`anthropic-ratelimit-${dimension}-remaining`]: String(remaining),
    [`anthropic-ratelimit-${dimension}-reset`]: reset
  }
} as StandIn.Reply)

/**
 * {@link runClocked}, moving the clock only while no request of the client is in flight (its limiter's
 * `snapshot.inFlight`): a request sent before a wake-up reaches the stand-in, and its answer (a 429, say) reaches the
 * client, before the clock passes that wake-up.
 */
const runSettled = <A, E>(limiter: RateLimiter.Service, effect: Effect.Effect<A, E>) =>
  runClocked(effect, 120_000, Effect.map(limiter.snapshot, ({ inFlight }) => inFlight === 0))

const calls = (client: AnthropicClient.Service, n: number) =>
  Effect.all(Array.from({ length: n }, () => client.createMessage(hello)), { concurrency: "unbounded" })

describe("adaptive pacing from the API's own state", () => {
  it.effect("remaining 0 with no limit configured: no call of that model is sent before the reset", () =>
    Effect.gen(function*() {
      const { arrivals, client, limiter, standIn } = yield* setup()
      standIn.enqueue(reporting("requests", 50, 0, yield* resetIn(2000)))
      yield* client.createMessage(hello)
      const { exit } = yield* runSettled(limiter, calls(client, 3))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(arrivals).toHaveLength(3)
      expect(Math.min(...arrivals)).toBeGreaterThanOrEqual(2000)
    }))

  it.effect("remaining 0 beside a configured 1000 a minute: the API's word bounds ours", () =>
    Effect.gen(function*() {
      const { arrivals, client, limiter, standIn } = yield* setup({ rate_limit: { requests_per_minute: 1000 } })
      standIn.enqueue(reporting("requests", 1000, 0, yield* resetIn(3000)))
      yield* client.createMessage(hello)
      const { exit } = yield* runSettled(limiter, calls(client, 2))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(Math.min(...arrivals)).toBeGreaterThanOrEqual(3000)
    }))

  it.effect("less left than the calls need: what remains goes now, the rest at the reset", () =>
    Effect.gen(function*() {
      const { arrivals, client, limiter, standIn } = yield* setup()
      standIn.enqueue(reporting("requests", 50, 2, yield* resetIn(4000)))
      yield* client.createMessage(hello)
      const { exit } = yield* runSettled(limiter, calls(client, 5))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(arrivals.filter((t) => t < 4000)).toHaveLength(2)
      expect(arrivals.filter((t) => t >= 4000)).toHaveLength(3)
    }))

  it.effect("input tokens: a request needing more than the API says remains waits for the reset", () =>
    Effect.gen(function*() {
      const { arrivals, client, limiter, standIn } = yield* setup()
      standIn.enqueue(reporting("input-tokens", 40_000, 3, yield* resetIn(2000)))
      yield* client.createMessage(hello)
      const { exit } = yield* runSettled(limiter, client.createMessage({ ...hello, messages: [{ role: "user", content: "x".repeat(400) }] }))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(arrivals[0]).toBeGreaterThanOrEqual(2000)
    }))

  it.effect("the reset is per model: another model's calls are not held", () =>
    Effect.gen(function*() {
      const { arrivals, client, limiter, standIn } = yield* setup()
      standIn.enqueue(reporting("requests", 50, 0, yield* resetIn(5000)))
      yield* client.createMessage(hello)
      const { exit } = yield* runSettled(limiter, client.createMessage({ ...hello, model: "claude-opus-4-7" }))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(arrivals).toEqual([0])
    }))

  it.effect("a limit the API reports higher than the configured one never raises it", () =>
    Effect.gen(function*() {
      const { arrivals, client, limiter, recorded, standIn } = yield* setup({ rate_limit: { requests_per_minute: 2 } })
      const reset = yield* resetIn(60_000)
      standIn.enqueue(...Array.from({ length: 3 }, () => recorded(reporting("requests", 1000, 999, reset))))
      const { exit } = yield* runSettled(limiter, Effect.forEach(Array.from({ length: 3 }), () => client.createMessage(hello)))
      expect(Exit.isSuccess(exit)).toBe(true)
      // Two a minute: the third waits for a request's refill, 30 s.
      expect(arrivals).toEqual([0, 0, 30_000])
    }))
})

describe("the 429 pause holds every call", () => {
  it.effect("calls already queued for a per-second slot are not sent during the pause", () =>
    Effect.gen(function*() {
      const { arrivals, client, limiter, standIn } = yield* setup({ rate_limit: { requests_per_second: 1 } })
      standIn.enqueue(StandIn.error(429, { retryAfterMs: "5000" }))
      const { exit } = yield* runSettled(limiter, calls(client, 9))
      expect(Exit.isSuccess(exit)).toBe(true)
      // The first got the 429 at 0; the 8 queued behind it and its retry go only after the pause, 1 s apart.
      expect(standIn.requests).toHaveLength(10)
      expect([...arrivals].sort((a, b) => a - b)).toEqual([5000, 6000, 7000, 8000, 9000, 10_000, 11_000, 12_000, 13_000])
    }))

  it.effect("calls queued for per-minute budget are not sent during the pause", () =>
    Effect.gen(function*() {
      const { arrivals, client, limiter, standIn } = yield* setup({ rate_limit: { requests_per_minute: 60 } })
      // The minute's budget spent: the next calls queue for its refill, one a second.
      yield* calls(client, 60)
      arrivals.length = 0
      standIn.enqueue(StandIn.error(429, { retryAfterMs: "10000" }))
      const { exit } = yield* runSettled(limiter, calls(client, 5))
      expect(Exit.isSuccess(exit)).toBe(true)
      // The 429 came at 1 s; the 4 queued then and its retry go only after 11 s.
      expect(arrivals).toHaveLength(5)
      expect(arrivals.filter((t) => t < 11_000)).toEqual([])
    }))
})

describe("every wait is bounded", () => {
  it.effect("a wait for budget past rate_limit.max_wait_ms fails at once, naming the limit; nothing is sent", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup({ rate_limit: { requests_per_minute: 1, max_wait_ms: 1000 } })
      yield* client.createMessage(hello)
      const { exit, waits } = yield* runClocked(client.createMessage(hello))
      const error = failureOf(exit)
      expect(error).toMatchObject({
        _tag: "RateLimit",
        retryable: false,
        heldBy: { limit: "requests_per_minute", source: "configured" }
      })
      expect(error.message).toContain("rate_limit.requests_per_minute would hold this call 60000 ms")
      expect(error.message).toContain("rate_limit.max_wait_ms (1000 ms)")
      expect(waits).toEqual([])
      expect(standIn.requests).toHaveLength(1)
    }))

  it.effect("a reset further than max_wait_ms fails at once with the API's limit named", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup({ rate_limit: { max_wait_ms: 2000 } })
      standIn.enqueue(reporting("output-tokens", 8000, 0, yield* resetIn(30_000)))
      yield* client.createMessage(hello)
      const error = failureOf((yield* runClocked(client.createMessage(hello))).exit)
      expect(error).toMatchObject({ _tag: "RateLimit", heldBy: { limit: "output_tokens_per_minute", source: "api", scope: "claude-haiku-4-5" } })
      expect(standIn.requests).toHaveLength(1)
    }))

  it.effect("the budget is given back by a call that gave up: the next one is not held by it", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup({ rate_limit: { requests_per_minute: 2, max_wait_ms: 40_000 } })
      yield* calls(client, 2)
      // Would wait 30 s (allowed), then a second 60 s (refused, its request given back).
      const waiting = yield* Effect.forkChild(client.createMessage(hello))
      yield* realPause(20)
      expect(failureOf((yield* runClocked(client.createMessage(hello))).exit)).toMatchObject({ _tag: "RateLimit" })
      yield* TestClock.adjust(30_000)
      yield* Fiber.join(waiting)
      expect(standIn.requests).toHaveLength(3)
    }))

  it.effect("a pause longer than retry.max_retry_after_ms fails every call at once, as such a 429 does", () =>
    Effect.scoped(Effect.gen(function*() {
      const limiter = yield* RateLimiter.makeWith({
        requestsPerSecond: Option.none(),
        rateLimit: { models: {}, adaptive: true, store: "memory", redisUrl: Option.none(), keyPrefix: "" },
        maxRetryAfterMs: 5000
      })
      yield* limiter.pause(60_000)
      const error = yield* Effect.flip(limiter.reserve({ model: "claude-haiku-4-5", inputTokens: 1, outputTokens: 1 }))
      expect(error).toMatchObject({ _tag: "RateLimit", retryAfterMs: 60_000, heldBy: { limit: "pause" } })
      expect(error.message).toContain("longer than retry.max_retry_after_ms (5000 ms)")
    })))
})

describe("rate_limit.max_concurrent", () => {
  it.effect("at most N requests in flight; a stream counts until it ends", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup({ rate_limit: { max_concurrent: 2 } })
      const lives = Array.from({ length: 4 }, () => StandIn.live())
      standIn.enqueue(...lives.map((l) => l.reply))
      const streams = yield* Effect.forkChild(Effect.all(
        Array.from({ length: 4 }, () => Effect.scoped(Effect.flatMap(client.streamWithResponse(hello), (s) => s.pull))),
        { concurrency: "unbounded" }
      ))
      const channels = yield* Effect.promise(() => Promise.all(lives.slice(0, 2).map((l) => l.channel)))
      yield* realPause(50)
      expect(standIn.requests).toHaveLength(2)
      // One stream ends: one more request goes.
      const message = StandIn.messageJson([{ type: "text", text: "hi" }])
      yield* Effect.promise(() => channels[0]!.write(StandIn.sse(StandIn.streamEventsOf(message))))
      channels[0]!.end()
      yield* StandIn.until(standIn, () => standIn.requests.length === 3)
      yield* realPause(50)
      expect(standIn.requests).toHaveLength(3)
      for (const channel of [channels[1]!, yield* Effect.promise(() => lives[2]!.channel)]) {
        yield* Effect.promise(() => channel.write(StandIn.sse(StandIn.streamEventsOf(message))))
        channel.end()
      }
      const last = yield* Effect.promise(() => lives[3]!.channel)
      yield* Effect.promise(() => last.write(StandIn.sse(StandIn.streamEventsOf(message))))
      last.end()
      yield* Fiber.join(streams)
      expect(standIn.requests).toHaveLength(4)
    }))

  it.effect("a call that finds no free place within max_wait_ms fails naming max_concurrent", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup({ rate_limit: { max_concurrent: 1, max_wait_ms: 1000 } })
      standIn.enqueue({ type: "stall" })
      const stuck = yield* Effect.forkChild(client.createMessage(hello, { timeoutMs: 100_000 }))
      yield* StandIn.until(standIn, () => standIn.requests.length === 1)
      const { exit, waits } = yield* runClocked(client.countTokens({ model: "claude-haiku-4-5", messages: [] }), 5000)
      expect(failureOf(exit)).toMatchObject({ _tag: "RateLimit", heldBy: { limit: "max_concurrent" } })
      expect(waits).toEqual([1000])
      expect(standIn.requests).toHaveLength(1)
      yield* Fiber.interrupt(stuck)
    }))
})

describe("per-second spacing", () => {
  it.effect("a burst of 5 at 2 a second goes out 500 ms apart, the first at once", () =>
    Effect.gen(function*() {
      const { arrivals, client, limiter } = yield* setup({ rate_limit: { requests_per_second: 2 } })
      const { exit } = yield* runSettled(limiter, calls(client, 5))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect([...arrivals].sort((a, b) => a - b)).toEqual([0, 500, 1000, 1500, 2000])
    }))
})

describe("what a program sees", () => {
  it.effect("a snapshot: the budgets, the calls waiting and what holds them; metrics; each call's wait", () =>
    Effect.gen(function*() {
      const { client, limiter, standIn } = yield* setup({ rate_limit: { requests_per_minute: 1, models: { "claude-opus-4-7": { output_tokens_per_minute: 8000 } } } })
      standIn.enqueue(reporting("requests", 50, 40, yield* resetIn(20_000)))
      yield* client.createMessage(hello)
      const queued = yield* Effect.forkChild(AnthropicClient.withResponse(client.createMessage(hello)))
      yield* realPause(20)
      const snapshot = yield* limiter.snapshot
      console.log(JSON.stringify(snapshot, null, 1))
      expect(snapshot).toMatchObject({ store: "memory (this process)", pausedForMs: 0, inFlight: 0, waiting: 1, waitingFor: { requests_per_minute: 1 } })
      expect(snapshot.budgets).toContainEqual({
        scope: "claude-haiku-4-5",
        limit: "requests_per_minute",
        configured: { limit: 1, available: -1 },
        learned: { limit: 50, available: 49 },
        api: { remaining: 39, resetAtMs: 20_000 }
      })
      expect(snapshot.budgets).toContainEqual(expect.objectContaining({ scope: "claude-opus-4-7", limit: "output_tokens_per_minute", configured: { limit: 8000, available: 8000 } }))
      expect((yield* Metric.value(RateLimiter.metrics.waiting)).value).toBe(1)
      const remaining = Metric.withAttributes(RateLimiter.metrics.apiRemaining, { scope: "claude-haiku-4-5", dimension: "requests_per_minute" })
      expect((yield* Metric.value(remaining)).value).toBe(40)
      yield* TestClock.adjust(60_000)
      const answer = yield* Fiber.join(queued)
      expect(answer.limiterWaitMs).toBe(60_000)
      expect((yield* Metric.value(RateLimiter.metrics.waiting)).value).toBe(0)
      expect((yield* Metric.value(RateLimiter.metrics.waitTime)).count).toBeGreaterThanOrEqual(1)
      expect((yield* limiter.snapshot).waiting).toBe(0)
    }))
})
