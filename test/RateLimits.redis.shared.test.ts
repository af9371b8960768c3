/**
 * What clients sharing one Redis share, in a real redis-server: what the API taught (a remaining budget until its
 * reset), the 429 pause, the concurrency cap across the fleet, buckets on Redis's clock whatever each host's clock
 * says; and what the limiter does with a Redis holding what it did not write (a corrupted key, a pause for ever).
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as References from "effect/References"
import { Redis } from "ioredis"
import * as AnthropicConfig from "../src/AnthropicConfig.js"
import * as CliAuth from "../src/cli/auth.js"
import * as StandIn from "../src/testing/StandIn.js"
import { API_KEY, hello, stack } from "./fixtures.js"
import { lineLog, realPause } from "./helpers.js"
import { redisServer, type RunningRedis, startRedis } from "./redis.js"

let redis: RunningRedis
let prefixes = 0

/** `effect` with its log lines (Debug and up) pushed to `push` instead of the console. */
const withLogs = <A, E, R>(effect: Effect.Effect<A, E, R>, push: (line: string) => void) =>
  effect.pipe(
    Effect.provideService(
      Logger.CurrentLoggers,
      new Set([Logger.make(({ message }) => push(Array.isArray(message) ? message.map(String).join(" ") : String(message)))])
    ),
    Effect.provideService(References.MinimumLogLevel, "Debug")
  )

/** Two clients (two stores, as two processes have) on one stand-in and one key prefix. */
const fleet = (rateLimit: Record<string, unknown>, anthropic: Record<string, unknown> = {}) =>
  Effect.gen(function*() {
    const standIn = yield* StandIn.scoped()
    const key_prefix = `shared-${Date.now()}-${++prefixes}:`
    const config = {
      api_key: API_KEY,
      base_url: standIn.url,
      ...anthropic,
      rate_limit: { store: "redis", redis_url: redis.url, key_prefix, ...rateLimit }
    }
    const a = yield* stack(config)
    const b = yield* stack(config)
    return { standIn, a: a.client, b: b.client, prefix: key_prefix }
  })

/** A command on the test's own connection to the Redis. */
const redisCommand = <A>(f: (client: Redis) => Promise<A>) =>
  Effect.promise(async () => {
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 })
    await client.connect()
    try {
      return await f(client)
    } finally {
      client.disconnect()
    }
  })

/** The next whole second at least `ms` from now (the API's resets are to the second), as epoch ms. */
const wholeSecondIn = (ms: number) => Math.ceil((Date.now() + ms) / 1000) * 1000

describe.skipIf(redisServer === undefined)("what clients sharing one Redis share", () => {
  beforeAll(async () => {
    redis = await startRedis()
  }, 20_000)
  afterAll(async () => {
    await redis?.stop()
  })

  it.live("what one client learns (nothing left until the reset) holds the other's calls until then", () =>
    Effect.gen(function*() {
      const { a, b, standIn } = yield* fleet({})
      const reset = wholeSecondIn(1200)
      standIn.enqueue({
        ...StandIn.text("ok"),
        headers: {
          "anthropic-ratelimit-requests-limit": "50",
          "anthropic-ratelimit-requests-remaining": "0",
          "anthropic-ratelimit-requests-reset": new Date(reset).toISOString().replace(/\.\d{3}Z$/, "Z")
        }
      } as StandIn.Reply)
      yield* a.createMessage(hello)
      yield* b.createMessage(hello)
      expect(standIn.requests).toHaveLength(2)
      expect(standIn.requests[1]!.receivedAt).toBeGreaterThanOrEqual(reset - 5)
    }), 20_000)

  it.live("a 429's retry-after pauses the calls of every client on the Redis", () =>
    Effect.gen(function*() {
      const { a, b, standIn } = yield* fleet({})
      standIn.enqueue(StandIn.error(429, { retryAfterMs: "1500" }))
      const first = yield* Effect.forkChild(a.createMessage(hello))
      yield* Effect.promise(() => standIn.waitFor(() => standIn.requests.length === 1))
      const pausedAt = standIn.requests[0]!.receivedAt
      yield* realPause(100)
      yield* b.createMessage(hello)
      yield* Fiber.join(first)
      const fromB = standIn.requests[1]!
      expect(fromB.receivedAt - pausedAt).toBeGreaterThanOrEqual(1400)
      expect(standIn.requests).toHaveLength(3)
    }), 20_000)

  it.live("a snapshot (and status) in any process shows what the fleet shares: the pause, every budget learned", () =>
    Effect.gen(function*() {
      const { a, b, prefix, standIn } = yield* fleet({ requests_per_minute: 500 })
      const reset = wholeSecondIn(30_000)
      standIn.enqueue({
        ...StandIn.text("ok"),
        headers: {
          "anthropic-ratelimit-input-tokens-limit": "40000",
          "anthropic-ratelimit-input-tokens-remaining": "31000",
          "anthropic-ratelimit-input-tokens-reset": new Date(reset).toISOString().replace(/\.\d{3}Z$/, "Z")
        }
      } as StandIn.Reply)
      yield* a.createMessage({ ...hello, model: "claude-opus-4-7" })
      void b
      const settings = yield* Effect.orDie(Effect.suspend(() =>
        Effect.fromResult(AnthropicConfig.fromObject({
          providers: {
            anthropic: {
              api_key: API_KEY,
              rate_limit: { requests_per_minute: 500, store: "redis", redis_url: redis.url, key_prefix: prefix }
            }
          }
        }, { env: {} }))
      ))
      const report = yield* CliAuth.statusReport(settings)
      expect(report.rateLimit.shared?.pausedForMs).toBe(0)
      expect(report.rateLimit.shared?.budgets).toContainEqual({
        scope: "claude-opus-4-7",
        limit: "input_tokens_per_minute",
        configured: undefined,
        learned: { limit: 40_000, available: expect.any(Number) },
        api: { remaining: 31_000, resetAtMs: reset }
      })
      expect(report.rateLimit.shared?.budgets).toContainEqual(expect.objectContaining({
        scope: "claude-opus-4-7",
        limit: "requests_per_minute",
        configured: { limit: 500, available: expect.any(Number) }
      }))
    }), 20_000)

  it.effect("buckets run on Redis's clock: a host whose clock says 1970 and one that says today share one budget", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      const config = {
        api_key: API_KEY,
        base_url: standIn.url,
        rate_limit: {
          requests_per_minute: 2,
          adaptive: false,
          max_wait_ms: 1000,
          store: "redis",
          redis_url: redis.url,
          key_prefix: `clock-${Date.now()}:`
        }
      }
      // `a` runs on the test's clock (epoch 0), `b` on the real one: buckets on either host's clock would refill
      // from 1970 to today between a's calls and b's.
      const a = (yield* stack(config)).client
      const b = (yield* Effect.provideService(stack(config), Clock.Clock, Clock.Clock.defaultValue())).client
      expect(yield* Clock.currentTimeMillis).toBe(0)
      yield* a.createMessage(hello)
      yield* a.createMessage(hello)
      const error = yield* Effect.flip(b.createMessage(hello))
      expect(error).toMatchObject({ _tag: "RateLimit", heldBy: { limit: "requests_per_minute", source: "configured" } })
      expect(standIn.requests).toHaveLength(2)
    }), 20_000)

  it.live("a key holding what the limiter did not write: one warning saying so, calls go on with local limits", () =>
    Effect.gen(function*() {
      const log = lineLog()
      const standIn = yield* StandIn.scoped()
      const prefix = `garbage-${Date.now()}:`
      yield* redisCommand((r) => r.set(`${prefix}c:*:requests`, "not a bucket"))
      const { client } = yield* withLogs(stack({
        api_key: API_KEY,
        base_url: standIn.url,
        rate_limit: { requests_per_minute: 100, store: "redis", redis_url: redis.url, key_prefix: prefix }
      }), log.push)
      yield* log.until((lines) => lines.some((l) => /is reachable: the budget is shared/.test(l)))
      for (let i = 0; i < 3; i++) yield* client.createMessage(hello)
      expect(standIn.requests).toHaveLength(3)
      const warnings = log.lines.filter((l) => /rate limits: Redis/.test(l) && !/is reachable/.test(l))
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toContain("holds something the rate limiter did not write")
      expect(warnings[0]).not.toContain("not reachable")
    }), 20_000)

  it.live("a pause in Redis longer than retry.max_retry_after_ms fails calls at once; nothing is sent", () =>
    Effect.gen(function*() {
      const { a, prefix, standIn } = yield* fleet({})
      yield* redisCommand((r) => r.set(`${prefix}pause`, "1", "PX", 10 * 365 * 86_400_000))
      const started = Date.now()
      const exit = yield* Effect.exit(a.createMessage(hello))
      expect(Date.now() - started).toBeLessThan(5000)
      // One failure, nothing else in the cause (Effect 4: a cause is a flat list of reasons).
      const reason = Exit.isFailure(exit) && exit.cause.reasons.length === 1 ? exit.cause.reasons[0] : undefined
      expect(reason !== undefined && Cause.isFailReason(reason) && reason.error).toMatchObject({
        _tag: "RateLimit",
        heldBy: { limit: "pause" }
      })
      expect(standIn.requests).toHaveLength(0)
    }), 20_000)

  it.live("max_concurrent holds for the fleet: one client's open request holds the other's", () =>
    Effect.gen(function*() {
      const { a, b, standIn } = yield* fleet({ max_concurrent: 1 })
      const { channel, reply } = StandIn.live()
      standIn.enqueue(reply)
      const open = yield* Effect.forkChild(Effect.scoped(Effect.flatMap(a.streamWithResponse(hello), (s) => s.pull)))
      const live = yield* Effect.promise(() => channel)
      const second = yield* Effect.forkChild(b.createMessage(hello))
      yield* realPause(300)
      expect(standIn.requests).toHaveLength(1)
      yield* Effect.promise(() => live.write(StandIn.sse(StandIn.streamEventsOf(StandIn.messageJson([{ type: "text", text: "hi" }])))))
      live.end()
      yield* Fiber.join(open)
      yield* Fiber.join(second)
      expect(standIn.requests).toHaveLength(2)
    }), 20_000)
})
