/**
 * One rate budget in a real Redis (redis-server on a free loopback port, no persistence): shared by several OS
 * processes, and what happens when Redis is unreachable at start or goes away mid-run (limits kept in the process,
 * one warning, shared again once Redis is back). Skipped, saying so, where redis-server is not installed.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as References from "effect/References"
import type { ChildProcess } from "node:child_process"
import { Redis } from "ioredis"
import * as StandIn from "../src/testing/StandIn.js"
import { API_KEY, hello, stack } from "./fixtures.js"
import { lineLog, runClocked } from "./helpers.js"
import { bundledForFile, startWorker } from "./nodeScript.js"
import { freePort, redisServer, startRedis } from "./redis.js"

/** `effect` with its log lines (Debug and up) pushed to `push` instead of the console. */
const withLogs = <A, E, R>(effect: Effect.Effect<A, E, R>, push: (line: string) => void) =>
  effect.pipe(
    Effect.provideService(
      Logger.CurrentLoggers,
      new Set([Logger.make(({ message }) => push(Array.isArray(message) ? message.map(String).join(" ") : String(message)))])
    ),
    Effect.provideService(References.MinimumLogLevel, "Debug")
  )

const keysOf = async (url: string, prefix: string) => {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 })
  await redis.connect()
  try {
    return await redis.keys(`${prefix}*`)
  } finally {
    redis.disconnect()
  }
}

describe.skipIf(redisServer === undefined)("rate limits shared through Redis", () => {
  const rateWorker = bundledForFile("test/workers/redis-rate-worker.ts")

  it("4 OS processes on one budget of R requests/s for 3 s send between 0.8·R·3 and 1.1·R·3 requests together", async () => {
    const redis = await startRedis()
    const standIn = await StandIn.start()
    const children: Array<ChildProcess> = []
    try {
      const rps = 10
      const duration = 3000
      const env = {
        PATH: process.env.PATH ?? "",
        STANDIN_URL: standIn.url,
        REDIS_URL: redis.url,
        RPS: String(rps),
        PREFIX: `test-${Date.now()}:`,
        DURATION_MS: String(duration)
      }
      const workers = Array.from({ length: 4 }, () => {
        const w = startWorker<{ calls: number }>(rateWorker.file(), env)
        children.push(w.child)
        return w
      })
      // Every process starts together once all are built (their start-up time varies with the machine's load).
      await Promise.all(workers.map((w) => w.ready))
      const startAt = Date.now() + 300
      for (const w of workers) w.start(startAt)
      const results = await Promise.all(workers.map((w) => w.done))
      const inWindow = standIn.requests.filter((r) => r.receivedAt >= startAt && r.receivedAt < startAt + duration).length
      expect(results.every((r) => r.calls > 0)).toBe(true)
      expect(inWindow).toBeGreaterThanOrEqual(0.8 * rps * 3)
      expect(inWindow).toBeLessThanOrEqual(1.1 * rps * 3)
    } finally {
      for (const child of children) child.kill()
      await standIn.close()
      await redis.stop()
    }
  }, 90_000)

  it.effect("Redis unreachable at the start: the client works, limits kept in the process, one warning", () =>
    Effect.gen(function*() {
      const log = lineLog()
      const port = yield* Effect.promise(() => freePort())
      const standIn = yield* StandIn.scoped()
      const { client } = yield* withLogs(stack({
        api_key: API_KEY,
        base_url: standIn.url,
        rate_limit: { requests_per_second: 2, store: "redis", redis_url: `redis://127.0.0.1:${port}/0` }
      }), log.push)
      yield* log.until((lines) => lines.some((l) => /Redis at redis:\/\/127\.0\.0\.1:\d+\/0 is not reachable/.test(l)))
      // Spaced in this process as the budget says: one request every 500 ms.
      const { waits } = yield* runClocked(Effect.all([client.createMessage(hello), client.createMessage(hello), client.createMessage(hello)], { concurrency: "unbounded" }))
      expect(waits).toEqual([500, 500])
      expect(standIn.requests.length).toBe(3)
      expect(log.lines.filter((l) => /not reachable/.test(l)).length).toBe(1)
    }))

  it.live("Redis going away mid-run: calls go on with local limits and one warning; once it is back the budget is shared again", () =>
    Effect.gen(function*() {
      const log = lineLog()
      let redis = yield* Effect.promise(() => startRedis())
      yield* Effect.addFinalizer(() => Effect.promise(() => redis.stop()))
      const prefix = `midrun-${Date.now()}:`
      const standIn = yield* StandIn.scoped()
      const { client } = yield* withLogs(stack({
        api_key: API_KEY,
        base_url: standIn.url,
        rate_limit: { requests_per_second: 200, store: "redis", redis_url: redis.url, key_prefix: prefix }
      }), log.push)
      yield* log.until((lines) => lines.some((l) => /is reachable: the budget is shared/.test(l)))
      yield* client.createMessage(hello)
      expect(yield* Effect.promise(() => keysOf(redis.url, prefix))).toContain(`${prefix}rps`)

      yield* Effect.promise(() => redis.stop())
      yield* log.until((lines) => lines.some((l) => /is not reachable/.test(l)))
      for (let i = 0; i < 3; i++) yield* client.createMessage(hello)
      expect(standIn.requests.length).toBe(4)

      redis = yield* Effect.promise(() => startRedis(redis.port))
      yield* log.until((lines) => lines.filter((l) => /is reachable: the budget is shared/.test(l)).length === 2, 10_000)
      yield* client.createMessage(hello)
      expect(yield* Effect.promise(() => keysOf(redis.url, prefix))).toContain(`${prefix}rps`)
      expect(log.lines.filter((l) => /not reachable/.test(l)).length).toBe(1)
    }), 30_000)

  it.live("a Redis that stops answering (frozen) or refuses the scripts: one warning, then calls do not wait on it", () =>
    Effect.gen(function*() {
      const log = lineLog()
      const redis = yield* Effect.promise(() => startRedis())
      yield* Effect.addFinalizer(() => Effect.promise(() => redis.stop()))
      const standIn = yield* StandIn.scoped()
      const { client } = yield* withLogs(stack({
        api_key: API_KEY,
        base_url: standIn.url,
        rate_limit: { requests_per_second: 200, store: "redis", redis_url: redis.url, key_prefix: `frozen-${Date.now()}:` }
      }), log.push)
      yield* log.until((lines) => lines.some((l) => /is reachable: the budget is shared/.test(l)))
      yield* client.createMessage(hello)

      redis.freeze(true)
      // The first call finds out (a command's 1 s bound); the ones after it use the local limits at once.
      yield* client.createMessage(hello)
      const started = Date.now()
      for (let i = 0; i < 5; i++) yield* client.createMessage(hello)
      // Waiting on the frozen Redis would take a 1 s bound a call: 5 s for these five.
      expect(Date.now() - started).toBeLessThan(2500)
      expect(log.lines.filter((l) => /is not reachable \(Command timed out\)/.test(l)).length).toBe(1)

      redis.freeze(false)
      yield* log.until((lines) => lines.filter((l) => /is reachable: the budget is shared/.test(l)).length === 2, 10_000)
      expect(standIn.requests.length).toBe(7)
    }), 30_000)

  it.live("a Redis that answers PING but refuses EVAL: a warning naming the error, local limits", () =>
    Effect.gen(function*() {
      const log = lineLog()
      const redis = yield* Effect.promise(() => startRedis(undefined, ["--rename-command", "EVAL", "", "--rename-command", "EVALSHA", ""]))
      yield* Effect.addFinalizer(() => Effect.promise(() => redis.stop()))
      const standIn = yield* StandIn.scoped()
      const { client } = yield* withLogs(stack({
        api_key: API_KEY,
        base_url: standIn.url,
        rate_limit: { requests_per_second: 200, store: "redis", redis_url: redis.url }
      }), log.push)
      yield* log.until((lines) => lines.some((l) => /is reachable/.test(l)))
      for (let i = 0; i < 3; i++) yield* client.createMessage(hello)
      expect(standIn.requests.length).toBe(3)
      const warnings = log.lines.filter((l) => /is not reachable/.test(l))
      expect(warnings.length).toBe(1)
      expect(warnings[0]).toMatch(/unknown command/i)
    }), 30_000)

  it.effect("store: redis without redis_url is one clear configuration error", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(stack({ api_key: API_KEY, rate_limit: { store: "redis" } }))
      expect(error).toMatchObject({ _tag: "AnthropicConfigError", path: "providers.anthropic.rate_limit.redis_url" })
      expect(error.message).toContain("add redis_url: redis://host:6379/0")
    }))
})
