/**
 * The shared budget in Redis: `@effect/experimental`'s `RateLimiter` over its Redis store, kept alive across Redis
 * outages. One ioredis connection of our own (with an error listener) watches Redis and holds the 429 pause key; the
 * experimental store is made while Redis is reachable and dropped when it is not. (Its own connection, left to
 * itself, prints every failed reconnection to stderr and dies on close while Redis is down: so it never reconnects
 * on its own, and a new one is made when ours is back.)
 *
 * While Redis is unreachable every operation fails at once (no command waits for a connection), and the limiter
 * falls back to limits kept in this process.
 */
import * as ExperimentalRateLimiter from "@effect/experimental/RateLimiter"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Redacted from "effect/Redacted"
import * as Runtime from "effect/Runtime"
import * as Scope from "effect/Scope"
import type { RedisOptions } from "ioredis"
import { AnthropicConfigError } from "../../Errors.js"

export interface ConsumeOptions {
  readonly key: string
  readonly limit: number
  readonly windowMs: number
  readonly tokens: number
}

/** A budget store: where token buckets and the pause live. */
export interface Store {
  readonly consume: (options: ConsumeOptions) => Effect.Effect<ExperimentalRateLimiter.ConsumeResult, StoreDown>
  /**
   * Takes the next free slot of a series spaced `intervalMs` apart (GCRA) and returns how many milliseconds until
   * it. Exact, unlike a token bucket of one token, whose delay ignores the time since its last refill.
   */
  readonly nextSlot: (key: string, intervalMs: number) => Effect.Effect<number, StoreDown>
  /** Milliseconds left of the current 429 pause (0: none). */
  readonly pauseLeft: Effect.Effect<number, StoreDown>
  /** Pause every call for `ms` (never shortening a longer pause). */
  readonly pauseFor: (ms: number) => Effect.Effect<void, StoreDown>
  /** Where the budget lives, for `status` (never a password). */
  readonly location: string
}

/** Redis could not be used for this operation. */
export class StoreDown {
  readonly _tag = "StoreDown"
  constructor(readonly reason: string) {}
}

/** The URL as ioredis options, and as it may be shown (without credentials). */
export const redisOptions = (url: Redacted.Redacted<string>): { readonly options: RedisOptions; readonly location: string } => {
  const parsed = new URL(Redacted.value(url))
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0
  // A bare `%` in a password is not an escape: then the text is the password as written.
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text)
    } catch {
      return text
    }
  }
  const options: RedisOptions = {
    host: parsed.hostname.replace(/^\[|\]$/g, ""),
    port: parsed.port === "" ? 6379 : Number(parsed.port),
    db,
    ...(parsed.username === "" ? {} : { username: decode(parsed.username) }),
    ...(parsed.password === "" ? {} : { password: decode(parsed.password) }),
    ...(parsed.protocol === "rediss:" ? { tls: {} } : {})
  }
  return { options, location: `${parsed.protocol}//${parsed.host}/${db}` }
}

/** Command timeout: a Redis that stops answering must not hold calls. */
const COMMAND_TIMEOUT_MS = 1000
/** After a failed command, the first wait before Redis is tried again, and the longest. */
const RECHECK_MIN_MS = 2000
const RECHECK_MAX_MS = 60_000
/** How long reaching Redis may take before it counts as unreachable (at start: how long building the store waits). */
const CONNECT_TIMEOUT_MS = 5000

// The slot series on Redis's own clock (TIME), so hosts with skewed clocks still space their requests right.
const NEXT_SLOT = `
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local next = math.max(tonumber(redis.call("GET", KEYS[1]) or "0"), now)
redis.call("SET", KEYS[1], tostring(next + interval), "PX", math.ceil(next + interval - now) + 1000)
return math.ceil(next - now)`

/** A wait on the real clock: it bounds network time, which a test clock does not drive. */
const networkWait = (ms: number) =>
  Effect.async<void>((resume) => {
    const timer = setTimeout(() => resume(Effect.void), ms)
    return Effect.sync(() => clearTimeout(timer))
  })

const PAUSE = `
local left = redis.call("PTTL", KEYS[1])
if left < tonumber(ARGV[1]) then redis.call("SET", KEYS[1], "1", "PX", ARGV[1]) end
return 0`

/**
 * Whether the Redis at `url` answers a PING, within a few seconds (for `status`). Never fails.
 */
export const probe = (url: Redacted.Redacted<string>): Effect.Effect<{ readonly reachable: boolean; readonly detail: string }> =>
  Effect.promise(async () => {
    const { options } = redisOptions(url)
    let Redis: typeof import("ioredis").Redis
    try {
      Redis = (await import("ioredis")).Redis
    } catch {
      return { reachable: false, detail: "the ioredis package is not installed (npm install ioredis)" }
    }
    const redis = new Redis({
      ...options,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 2000,
      commandTimeout: COMMAND_TIMEOUT_MS
    })
    let failure = ""
    redis.on("error", (error: Error) => (failure = (error as { code?: string }).code ?? error.message))
    try {
      await redis.connect()
      await redis.ping()
      return { reachable: true, detail: "answers PING" }
    } catch (error) {
      return { reachable: false, detail: failure !== "" ? failure : (error as { code?: string }).code ?? String(error) }
    } finally {
      redis.disconnect()
    }
  })

/**
 * The store over the Redis at `url`, its connections closed with the scope. `onChange` is told when Redis becomes
 * unreachable or reachable again (for one warning per outage).
 */
export const make = (
  url: Redacted.Redacted<string>,
  prefix: string,
  onChange: (reachable: boolean, reason: string) => Effect.Effect<void>
): Effect.Effect<Store, AnthropicConfigError, Scope.Scope> =>
  Effect.gen(function*() {
    const { location, options } = redisOptions(url)
    const modules = yield* Effect.tryPromise({
      try: () => Promise.all([import("ioredis"), import("@effect/experimental/RateLimiter/Redis")]),
      catch: () =>
        new AnthropicConfigError({
          file: "rate_limit",
          path: "rate_limit.store",
          problem: "is redis, but the ioredis package is not installed",
          fix: "npm install ioredis (version 5), or set rate_limit.store: memory"
        })
    })
    const [{ Redis }, RedisStore] = modules
    const runtime = yield* Effect.runtime<never>()
    const run = Runtime.runFork(runtime)

    let current: { readonly limiter: ExperimentalRateLimiter.RateLimiter; readonly scope: Scope.CloseableScope } | undefined
    // Unknown until the first connection or failure: both are said once.
    let reachable: boolean | undefined
    let closing = false

    // Settled by the first connection or failure: the store is handed out only then, so the first calls of a
    // process do not all fall back to local limits (a burst) while Redis is still being reached.
    const settled = yield* Deferred.make<void>()
    const changed = (now: boolean, reason: string) => {
      Deferred.unsafeDone(settled, Exit.void)
      if (now === reachable || closing) return
      reachable = now
      run(onChange(now, reason))
    }

    const drop = Effect.suspend(() => {
      const old = current
      current = undefined
      // Closing a store whose connection is gone fails (its quit() rejects): that is nothing to report.
      return old === undefined ? Effect.void : Effect.ignore(Effect.exit(Scope.close(old.scope, Exit.void)))
    })

    const connect = Effect.gen(function*() {
      yield* drop
      const scope = yield* Scope.make()
      const store = yield* RedisStore.make({
        ...(options as Parameters<typeof RedisStore.make>[0]),
        prefix,
        // Never reconnects by itself (see the module's comment); never waits for a connection without bound.
        retryStrategy: () => null,
        maxRetriesPerRequest: 0,
        commandTimeout: COMMAND_TIMEOUT_MS
      }).pipe(Scope.extend(scope))
      const limiter = yield* ExperimentalRateLimiter.make.pipe(
        Effect.provideService(ExperimentalRateLimiter.RateLimiterStore, store)
      )
      if (closing) return yield* Scope.close(scope, Exit.void).pipe(Effect.exit, Effect.ignore)
      current = { limiter, scope }
      // Reachable once the store is there to use, not merely once our own connection is.
      changed(true, "connected")
    })

    const watch = new Redis({
      ...options,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: CONNECT_TIMEOUT_MS,
      retryStrategy: (times: number) => (closing ? null : Math.min(times * 200, 2000))
    })
    watch.on("ready", () => run(connect))
    watch.on("error", (error: Error) => changed(false, (error as { code?: string }).code ?? error.message))
    watch.on("close", () => {
      changed(false, "the connection closed")
      run(drop)
    })
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        closing = true
        watch.disconnect()
        return drop
      })
    )

    yield* Effect.raceFirst(Deferred.await(settled), networkWait(CONNECT_TIMEOUT_MS + COMMAND_TIMEOUT_MS))

    /**
     * A command failed (timed out on a Redis that stopped answering, refused by one that errs, on a connection that
     * closed): Redis counts as unreachable at once, so later calls use the local limits without waiting on it, until
     * a PING answers again. A Redis that answers PING but keeps failing commands is tried again less and less often.
     */
    let recheckMs = RECHECK_MIN_MS
    let connectedAt = 0
    let recheck: ReturnType<typeof setTimeout> | undefined
    const scheduleRecheck = () => {
      if (closing || recheck !== undefined) return
      recheck = setTimeout(() => {
        recheck = undefined
        if (closing) return
        watch.ping().then(
          () => {
            connectedAt = Date.now()
            run(connect)
          },
          scheduleRecheck
        )
      }, recheckMs)
      recheck.unref()
    }
    const failed = (error: unknown): StoreDown => {
      const reason = error instanceof Error ? ((error as { code?: string }).code ?? error.message) : String(error)
      if (current !== undefined) {
        // Failing again soon after coming back: wait longer before the next try.
        recheckMs = Date.now() - connectedAt < RECHECK_MAX_MS ? Math.min(recheckMs * 2, RECHECK_MAX_MS) : RECHECK_MIN_MS
        run(drop)
        changed(false, reason)
        scheduleRecheck()
      }
      return new StoreDown(reason)
    }
    yield* Effect.addFinalizer(() => Effect.sync(() => clearTimeout(recheck)))
    /** Uses the store while Redis is usable; fails at once when it is not. */
    const whileUp = <A>(f: (limiter: ExperimentalRateLimiter.RateLimiter) => Effect.Effect<A, StoreDown>): Effect.Effect<A, StoreDown> =>
      Effect.suspend(() => current === undefined ? Effect.fail(new StoreDown("Redis is not reachable")) : f(current.limiter))
    const command = <A>(f: () => Promise<A>): Effect.Effect<A, StoreDown> => whileUp(() => Effect.tryPromise({ try: f, catch: failed }))
    const pauseKey = `${prefix}pause`
    return {
      location,
      consume: ({ key, limit, tokens, windowMs }) =>
        whileUp((limiter) =>
          Effect.mapError(
            limiter.consume({ key, limit, window: windowMs, tokens, algorithm: "token-bucket", onExceeded: "delay" }),
            (error) => failed(error.reason === "StoreError" ? error.message : error.reason)
          )
        ),
      nextSlot: (key, intervalMs) =>
        command(async () => Number(await watch.eval(NEXT_SLOT, 1, `${prefix}${key}`, String(intervalMs)))),
      pauseLeft: command(async () => Math.max(0, Number(await watch.pttl(pauseKey)))),
      pauseFor: (ms) =>
        command(async () => {
          await watch.eval(PAUSE, 1, pauseKey, String(Math.max(1, Math.ceil(ms))))
        })
    }
  })
