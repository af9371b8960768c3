/**
 * The shared budget in Redis: the memory store's rules (`memoryStore.ts`) as Lua scripts run on Redis's own clock
 * (`TIME`), so hosts with skewed clocks agree, and an attempt is admitted in one round trip. Keys, under the
 * configured prefix: `pause`, `rps` (the per-second slots), `inflight` (a sorted set of leases on the concurrency
 * permits, renewed while held, so a process killed mid-request frees its permits within a lease), and per scope and
 * dimension `c:{scope}:{dim}` (a configured bucket), `l:{scope}:{dim}` (a learned limit) with its bucket
 * `lb:{scope}:{dim}`, and `api:{scope}:{dim}` (what the API reported remaining, until when).
 *
 * Why not `@effect/experimental`'s Redis store (which this store used before): its token bucket takes the calling
 * host's clock, refills in whole tokens, keeps its keys for ever, and its module imports `ioredis` at its top, which
 * breaks bundlers for programs that never use Redis.
 *
 * One ioredis connection, made when the store is built, never waits for a connection (no offline queue, a command
 * timeout): while Redis is unreachable, or after it answered something the store did not write (a corrupted or
 * foreign key), every operation fails at once and the limiter falls back to limits kept in this process, until a
 * PING answers again (tried less and less often while commands keep failing).
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import type { Redis as RedisClient, RedisOptions } from "ioredis"
import { AnthropicConfigError } from "../errors.js"
import { randomHex } from "../randomHex.js"
import {
  type Admission,
  type BudgetView,
  type Correction,
  type Demand,
  type Dimension,
  DIMENSIONS,
  type Holder,
  type Report,
  type Store,
  StoreDown
} from "./store.js"

/**
 * `ioredis`, an optional peer, loaded only for a Redis store. Named by a variable so that bundlers (wrangler,
 * esbuild) leave the import to run time instead of failing a build that never uses Redis.
 */
const IOREDIS = "ioredis"
const importIoredis = (): Promise<typeof import("ioredis")> => import(IOREDIS)

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
/** A concurrency permit's lease: renewed every third of it while held. */
const LEASE_MS = 30_000
/** How often a call waiting for a permit asks again (another process's release is not announced). */
const PERMIT_POLL_MS = 25
/** What the API taught is kept an hour (a learned limit is refreshed by every answer). */
const LEARNED_TTL_MS = 3_600_000

/** The most scopes a snapshot lists from what the fleet learned. */
const MAX_KNOWN_SCOPES = 200

/** The scripts' marker for a key holding what the store did not write. */
const GARBAGE = "EA_GARBAGE"

/** Shared by every script: Redis's clock, and reading a number the store wrote (anything else fails the script). */
const PRELUDE = `
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local MINUTE = 60000
local function num(key, value)
  if value == false or value == nil or value == "" then return nil end
  local n = tonumber(value)
  if n == nil or n ~= n then error({ err = "${GARBAGE} " .. key }) end
  return n
end
local function level_of(key, limit)
  local fields = redis.call("HMGET", key, "l", "t")
  local l = num(key, fields[1])
  if l == nil then return limit end
  local at = num(key, fields[2]) or now
  return math.min(limit, l + math.max(0, now - at) * limit / MINUTE)
end
local function store_level(key, level, limit)
  redis.call("HSET", key, "l", tostring(level), "t", tostring(now), "c", tostring(limit))
  local refill = math.ceil((limit - level) * MINUTE / limit)
  redis.call("PEXPIRE", key, math.max(1000, refill + 1000))
end
local function take(key, limit, tokens)
  local level = level_of(key, limit) - math.min(tokens, limit)
  store_level(key, level, limit)
  if level >= 0 then return 0 end
  return math.ceil(-level * MINUTE / limit)
end
local function give(key, reserved, used)
  local limit = num(key, redis.call("HGET", key, "c"))
  if limit == nil then return end
  local delta = math.min(reserved, limit) - math.min(used, limit)
  store_level(key, math.min(limit, level_of(key, limit) + delta), limit)
end
-- The API's budget: { remaining, reset or nil, limit or nil }, refilled to its limit once its reset has passed.
local function api_of(key)
  local fields = redis.call("HMGET", key, "r", "z", "c")
  local r = num(key, fields[1])
  if r == nil then return nil end
  local z = num(key, fields[2])
  local c = num(key, fields[3])
  if z ~= nil and now >= z then
    if c == nil then
      redis.call("DEL", key)
      return nil
    end
    r = c
    z = nil
    redis.call("HSET", key, "r", tostring(r), "z", "")
  end
  return { r, z, c }
end
`

/**
 * KEYS: pause, rps, then four per need (configured bucket, learned limit, learned bucket, API budget).
 * ARGV: slot interval ("" none), then two per need (tokens, configured limit or "").
 * Returns {0, ms} paused, {1, ms, need} held by the API's budget, {2, wait, holder kind, need} admitted
 * (holder kind: 0 none, 1 per-second slot, 2 configured, 3 learned).
 */
const ADMIT = `${PRELUDE}
local paused = redis.call("PTTL", KEYS[1])
if paused > 0 then return { 0, paused } end
if paused == -1 then error({ err = "${GARBAGE} " .. KEYS[1] }) end
local needs = (#ARGV - 1) / 2
for i = 1, needs do
  local tokens = tonumber(ARGV[2 * i])
  if tokens > 0 then
    local api = api_of(KEYS[2 + 4 * i])
    if api ~= nil and api[2] ~= nil and api[1] < math.min(tokens, api[3] or math.huge) then
      return { 1, api[2] - now, i }
    end
  end
end
local wait, kind, at = 0, 0, 0
if ARGV[1] ~= "" then
  local interval = tonumber(ARGV[1])
  local next = math.max(num(KEYS[2], redis.call("GET", KEYS[2])) or 0, now)
  redis.call("SET", KEYS[2], tostring(next + interval), "PX", math.ceil(next + interval - now) + 1000)
  if next - now > wait then wait, kind, at = next - now, 1, 0 end
end
for i = 1, needs do
  local tokens = tonumber(ARGV[2 * i])
  if tokens > 0 then
    local base = 4 * i - 1
    if ARGV[2 * i + 1] ~= "" then
      local w = take(KEYS[base], tonumber(ARGV[2 * i + 1]), tokens)
      if w > wait then wait, kind, at = w, 2, i end
    end
    local learned = num(KEYS[base + 1], redis.call("GET", KEYS[base + 1]))
    if learned ~= nil then
      local w = take(KEYS[base + 2], learned, tokens)
      if w > wait then wait, kind, at = w, 3, i end
    end
    local api = api_of(KEYS[base + 3])
    if api ~= nil then
      redis.call("HINCRBYFLOAT", KEYS[base + 3], "r", -math.min(tokens, api[3] or math.huge))
    end
  end
end
return { 2, math.ceil(wait), kind, at }`

/**
 * KEYS: three per correction (configured bucket, learned bucket, API budget). ARGV: "1" when the attempt was sent
 * (the API's budget is left to its next report), then two per correction (reserved, used).
 */
const CORRECT = `${PRELUDE}
local sent = ARGV[1] == "1"
for i = 1, (#ARGV - 1) / 2 do
  local reserved = tonumber(ARGV[2 * i])
  local used = tonumber(ARGV[2 * i + 1])
  give(KEYS[3 * i - 2], reserved, used)
  give(KEYS[3 * i - 1], reserved, used)
  local api = nil
  if not sent then api = api_of(KEYS[3 * i]) end
  if api ~= nil then
    local limit = api[3] or math.huge
    redis.call("HINCRBYFLOAT", KEYS[3 * i], "r", math.min(reserved, limit) - math.min(used, limit))
  end
end
return 0`

/** KEYS: two per report (learned limit, API budget). ARGV: three per report (limit, remaining, reset; "" for none). */
const LEARN = `${PRELUDE}
for i = 1, #ARGV / 3 do
  local limit = ARGV[3 * i - 2]
  local remaining = ARGV[3 * i - 1]
  local reset = ARGV[3 * i]
  if limit ~= "" then redis.call("SET", KEYS[2 * i - 1], limit, "PX", ${LEARNED_TTL_MS}) end
  if remaining ~= "" then
    local key = KEYS[2 * i]
    if limit == "" then
      limit = redis.call("HGET", key, "c") or ""
      num(key, limit)
    end
    if reset ~= "" and tonumber(reset) <= now then reset = "" end
    redis.call("HSET", key, "r", remaining, "z", reset, "c", limit)
    redis.call("PEXPIRE", key, ${LEARNED_TTL_MS})
  end
end
return 0`

/**
 * KEYS: four per budget (configured bucket, learned limit, learned bucket, API budget). ARGV: the configured limit
 * of each ("" none). Returns five numbers per budget (-1: none): configured available, learned limit, learned
 * available, API remaining, API reset.
 */
const INSPECT = `${PRELUDE}
local out = {}
for i = 1, #ARGV do
  local base = 4 * i - 3
  local configured = ARGV[i]
  if configured ~= "" then
    table.insert(out, tostring(level_of(KEYS[base], tonumber(configured))))
  else
    table.insert(out, "-1")
  end
  local learned = num(KEYS[base + 1], redis.call("GET", KEYS[base + 1]))
  table.insert(out, tostring(learned or -1))
  table.insert(out, learned and tostring(level_of(KEYS[base + 2], learned)) or "-1")
  local api = api_of(KEYS[base + 3])
  table.insert(out, api and tostring(api[1]) or "-1")
  table.insert(out, api and api[2] and tostring(api[2]) or "-1")
end
return out`

/** KEYS: pause. ARGV: ms. Never shortens a longer pause. */
const PAUSE = `
local left = redis.call("PTTL", KEYS[1])
if left < tonumber(ARGV[1]) then redis.call("SET", KEYS[1], "1", "PX", ARGV[1]) end
return 0`

/** KEYS: inflight. ARGV: holder, limit, lease. 1 when the permit was taken. */
const ACQUIRE = `
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", now)
if redis.call("ZCARD", KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call("ZADD", KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call("PEXPIRE", KEYS[1], tonumber(ARGV[3]) * 2)
return 1`

/** KEYS: inflight. ARGV: lease, holders. Extends the leases of the holders still there. */
const RENEW = `
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 2, #ARGV do redis.call("ZADD", KEYS[1], "XX", now + tonumber(ARGV[1]), ARGV[i]) end
redis.call("PEXPIRE", KEYS[1], tonumber(ARGV[1]) * 2)
return 0`

interface Scripts {
  eaAdmit(...args: Array<string | number>): Promise<unknown>
  eaCorrect(...args: Array<string | number>): Promise<unknown>
  eaLearn(...args: Array<string | number>): Promise<unknown>
  eaInspect(...args: Array<string | number>): Promise<unknown>
  eaPause(...args: Array<string | number>): Promise<unknown>
  eaAcquire(...args: Array<string | number>): Promise<unknown>
  eaRenew(...args: Array<string | number>): Promise<unknown>
}

const SCRIPTS: ReadonlyArray<readonly [keyof Scripts, string]> = [
  ["eaAdmit", ADMIT],
  ["eaCorrect", CORRECT],
  ["eaLearn", LEARN],
  ["eaInspect", INSPECT],
  ["eaPause", PAUSE],
  ["eaAcquire", ACQUIRE],
  ["eaRenew", RENEW]
]

/** A wait on the real clock: it bounds network time, which a test clock does not drive. */
const networkWait = (ms: number) =>
  Effect.callback<void>((resume) => {
    const timer = setTimeout(() => resume(Effect.void), ms)
    return Effect.sync(() => clearTimeout(timer))
  })

/** An answer of the shape the scripts give, else the store did not write what Redis holds. */
const numbers = (reply: unknown, what: string): ReadonlyArray<number> => {
  if (!Array.isArray(reply) || reply.some((x) => typeof x !== "number" && typeof x !== "string")) {
    throw new StoreDown(`Redis answered ${what} with something the rate limiter did not write`, "garbage")
  }
  const out = reply.map(Number)
  if (out.some((x) => !Number.isFinite(x))) throw new StoreDown(`Redis answered ${what} with something the rate limiter did not write`, "garbage")
  return out
}

/**
 * Whether the Redis at `url` answers a PING, within a few seconds (for `status`). Never fails.
 */
export const probe = (url: Redacted.Redacted<string>): Effect.Effect<{ readonly reachable: boolean; readonly detail: string }> =>
  Effect.promise(async () => {
    const { options } = redisOptions(url)
    let Redis: typeof import("ioredis").Redis
    try {
      Redis = (await importIoredis()).Redis
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

/** What the store tells of Redis: usable again, or not (unreachable, or holding what the store did not write). */
export type OnChange = (usable: boolean, reason: string, kind: StoreDown["kind"]) => Effect.Effect<void>

/** One warning when Redis cannot be used (saying why), one line when it is back. */
export const logChanges = (url: Redacted.Redacted<string>): OnChange => {
  const where = redisOptions(url).location
  let outage = false
  return (usable, reason, kind) => {
    if (!usable) {
      outage = true
      return Effect.logWarning(
        kind === "garbage"
          ? `rate limits: Redis at ${where} holds something the rate limiter did not write (${reason}); limits are kept in this process until it is fixed (delete the rate limiter's keys)`
          : `rate limits: Redis at ${where} is not reachable (${reason}); limits are kept in this process until it is back`
      )
    }
    // Connecting at the start is not news; coming back after an outage is.
    const back = outage
    outage = false
    const line = `rate limits: Redis at ${where} is reachable: the budget is shared`
    return back ? Effect.logInfo(line) : Effect.logDebug(line)
  }
}

/** The store over the Redis at `url`, its connection closed with the scope. */
export const make = (
  url: Redacted.Redacted<string>,
  prefix: string,
  onChange: OnChange
): Effect.Effect<Store & { readonly usable: () => boolean }, AnthropicConfigError, Scope.Scope> =>
  Effect.gen(function*() {
    const { location, options } = redisOptions(url)
    const { Redis } = yield* Effect.tryPromise({
      try: importIoredis,
      catch: () =>
        new AnthropicConfigError({
          file: "rate_limit",
          path: "rate_limit.store",
          problem: "is redis, but the ioredis package is not installed",
          fix: "npm install ioredis (version 5), or set rate_limit.store: memory"
        })
    })
    const run = Effect.runForkWith(yield* Effect.context<never>())

    // Unknown until the first connection or failure: both are said once.
    let usable: boolean | undefined
    let closing = false
    // Settled by the first connection or failure: the store is handed out only then, so the first calls of a
    // process do not all fall back to local limits (a burst) while Redis is still being reached.
    const settled = yield* Deferred.make<void>()
    const changed = (now: boolean, reason: string, kind: StoreDown["kind"] = "unreachable") => {
      if (now !== usable && !closing) {
        usable = now
        run(onChange(now, reason, kind))
      }
      // Only once `usable` says so: Effect 4 resumes the fiber waiting for `settled` (this store's maker) inside this
      // call, and its first command, made at once, would find Redis not usable yet and take the local limits.
      Deferred.doneUnsafe(settled, Exit.void)
    }

    const redis = new Redis({
      ...options,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: CONNECT_TIMEOUT_MS,
      retryStrategy: (times: number) => (closing ? null : Math.min(times * 200, 2000))
    }) as RedisClient & Scripts
    for (const [name, lua] of SCRIPTS) redis.defineCommand(name, { lua })
    redis.on("ready", () => changed(true, "connected"))
    redis.on("error", (error: Error) => changed(false, (error as { code?: string }).code ?? error.message))
    redis.on("close", () => changed(false, "the connection closed"))
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        closing = true
        redis.disconnect()
      })
    )
    yield* Effect.raceFirst(Deferred.await(settled), networkWait(CONNECT_TIMEOUT_MS + COMMAND_TIMEOUT_MS))

    /**
     * A command failed (timed out on a Redis that stopped answering, refused by one that errs, on a connection that
     * closed, or on a key holding what the store did not write): Redis counts as unusable at once, so later calls
     * use the local limits without waiting on it, until a PING answers again. A Redis that answers PING but keeps
     * failing commands is tried again less and less often.
     */
    let recheckMs = RECHECK_MIN_MS
    let usableSince = 0
    let recheck: ReturnType<typeof setTimeout> | undefined
    const scheduleRecheck = () => {
      if (closing || recheck !== undefined) return
      recheck = setTimeout(() => {
        recheck = undefined
        if (closing) return
        redis.ping().then(
          () => {
            usableSince = Date.now()
            changed(true, "answers again")
          },
          scheduleRecheck
        )
      }, recheckMs)
      recheck.unref()
    }
    yield* Effect.addFinalizer(() => Effect.sync(() => clearTimeout(recheck)))
    const failed = (error: unknown): StoreDown => {
      const down = error instanceof StoreDown ? error : downOf(error)
      if (usable === true) {
        // Failing again soon after coming back: wait longer before the next try.
        recheckMs = Date.now() - usableSince < RECHECK_MAX_MS ? Math.min(recheckMs * 2, RECHECK_MAX_MS) : RECHECK_MIN_MS
        changed(false, down.reason, down.kind)
        scheduleRecheck()
      }
      return down
    }
    /** A command while Redis is usable; fails at once when it is not. */
    const command = <A>(f: () => Promise<A>): Effect.Effect<A, StoreDown> =>
      Effect.suspend(() =>
        usable === true ? Effect.tryPromise({ try: f, catch: failed }) : Effect.fail(new StoreDown("Redis cannot be used now"))
      )

    const key = (kind: string, scope: string, dimension: Dimension) => `${prefix}${kind}:${scope}:${dimension}`
    const pauseKey = `${prefix}pause`
    const inflightKey = `${prefix}inflight`
    const me = randomHex(6)
    const held = new Set<string>()

    const admit = (demand: Demand): Effect.Effect<Admission, StoreDown> => {
      const keys = [pauseKey, `${prefix}rps`]
      const args: Array<string | number> = [demand.slotIntervalMs === undefined ? "" : demand.slotIntervalMs]
      for (const need of demand.needs) {
        keys.push(
          key("c", demand.limitScope, need.dimension),
          key("l", demand.scope, need.dimension),
          key("lb", demand.scope, need.dimension),
          key("api", demand.scope, need.dimension)
        )
        args.push(need.tokens, need.configured ?? "")
      }
      return command(async () => {
        const reply = numbers(await redis.eaAdmit(keys.length, ...keys, ...args), "an admission")
        return admissionOf(reply, demand)
      })
    }

    const correct = (demand: Demand, corrections: ReadonlyArray<Correction>, sent: boolean) => {
      const keys: Array<string> = []
      const args: Array<number> = [sent ? 1 : 0]
      for (const { dimension, reserved, used } of corrections) {
        keys.push(key("c", demand.limitScope, dimension), key("lb", demand.scope, dimension), key("api", demand.scope, dimension))
        args.push(reserved, used ?? 0)
      }
      return command(() => redis.eaCorrect(keys.length, ...keys, ...args)).pipe(Effect.asVoid)
    }

    const learn = (scope: string, reports: ReadonlyArray<Report>) => {
      const keys: Array<string> = []
      const args: Array<string | number> = []
      for (const report of reports) {
        keys.push(key("l", scope, report.dimension), key("api", scope, report.dimension))
        args.push(report.limit ?? "", report.remaining ?? "", report.resetAtMs ?? "")
      }
      return command(() => redis.eaLearn(keys.length, ...keys, ...args)).pipe(Effect.asVoid)
    }

    const inspect: Store["inspect"] = (scopes) => {
      const keys: Array<string> = []
      const args: Array<string | number> = []
      const which: Array<{ scope: string; dimension: Dimension; configured: number | undefined }> = []
      for (const { configured, limitScope, scope } of scopes) {
        for (const dimension of DIMENSIONS) {
          keys.push(key("c", limitScope, dimension), key("l", scope, dimension), key("lb", scope, dimension), key("api", scope, dimension))
          args.push(configured[dimension] ?? "")
          which.push({ scope, dimension, configured: configured[dimension] })
        }
      }
      return command(async () => {
        const reply = numbers(await redis.eaInspect(keys.length, ...keys, ...args), "a snapshot")
        return which.flatMap(({ configured, dimension, scope }, i): Array<BudgetView> => {
          const [available, learned, learnedAvailable, remaining, reset] = reply.slice(5 * i, 5 * i + 5) as [number, number, number, number, number]
          if (configured === undefined && learned < 0 && remaining < 0) return []
          return [{
            scope,
            dimension,
            configured: configured === undefined ? undefined : { limit: configured, available },
            learned: learned < 0 ? undefined : { limit: learned, available: learnedAvailable },
            api: remaining < 0 ? undefined : { remaining, resetAtMs: reset < 0 ? undefined : reset }
          }]
        })
      })
    }

    // Renews the leases of the permits this process holds, so they outlive a lease only while really held.
    const renew = setInterval(() => {
      if (held.size === 0 || usable !== true) return
      redis.eaRenew(1, inflightKey, LEASE_MS, ...held).catch(() => {})
    }, LEASE_MS / 3)
    renew.unref()
    yield* Effect.addFinalizer(() => Effect.sync(() => clearInterval(renew)))

    return {
      location,
      usable: () => usable === true,
      admit,
      correct,
      learn,
      pauseLeft: command(async () => {
        const left = Number(await redis.pttl(pauseKey))
        if (left === -1) throw new StoreDown(`${pauseKey} has no expiry`, "garbage")
        return Math.max(0, left)
      }),
      pauseFor: (ms) => command(() => redis.eaPause(1, pauseKey, Math.max(1, Math.ceil(ms)))).pipe(Effect.asVoid),
      tryAcquire: (holder, limit) =>
        command(async () => {
          const id = `${me}:${holder}`
          const taken = Number(await redis.eaAcquire(1, inflightKey, id, limit, LEASE_MS)) === 1
          if (taken) held.add(id)
          return taken
        }),
      release: (holder) =>
        Effect.suspend(() => {
          const id = `${me}:${holder}`
          held.delete(id)
          return command(() => redis.zrem(inflightKey, id)).pipe(Effect.asVoid)
        }),
      permitReleased: networkWait(PERMIT_POLL_MS),
      knownScopes: command(async () => {
        const scopes = new Set<string>()
        const pattern = `${prefix}api:*`
        let cursor = "0"
        // A bounded walk: a snapshot lists what it finds in a few rounds, never the whole of a shared Redis.
        for (let round = 0; round < 10 && scopes.size < MAX_KNOWN_SCOPES; round++) {
          const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 100)
          for (const found of keys) {
            const rest = found.slice(prefix.length + "api:".length)
            scopes.add(rest.slice(0, rest.lastIndexOf(":")))
          }
          cursor = next
          if (cursor === "0") break
        }
        return [...scopes]
      }),
      inspect
    }
  })

/** The script's answer as an admission. */
const admissionOf = (reply: ReadonlyArray<number>, demand: Demand): Admission => {
  const need = (i: number) => demand.needs[i - 1]
  switch (reply[0]) {
    case 0:
      return { _tag: "Paused", ms: reply[1]! }
    case 1: {
      const held = need(reply[2]!)
      if (held === undefined) throw new StoreDown("Redis answered an admission with something the rate limiter did not write", "garbage")
      return { _tag: "Held", ms: Math.max(0, reply[1]!), holder: { kind: "api", dimension: held.dimension, scope: demand.scope } }
    }
    case 2: {
      const kind = reply[2]
      const at = need(reply[3]!)
      const holder: Holder | undefined = kind === 1
        ? { kind: "requests_per_second" }
        : kind === 2 && at !== undefined
        ? { kind: "configured", dimension: at.dimension, scope: demand.limitScope }
        : kind === 3 && at !== undefined
        ? { kind: "learned", dimension: at.dimension, scope: demand.scope }
        : undefined
      return { _tag: "Admitted", waitMs: reply[1]!, holder }
    }
    default:
      throw new StoreDown("Redis answered an admission with something the rate limiter did not write", "garbage")
  }
}

/** A failed command as the store's failure: a key the store did not write, or Redis not usable. */
const downOf = (error: unknown): StoreDown => {
  const message = error instanceof Error ? error.message : String(error)
  if (message.includes(GARBAGE) || message.includes("WRONGTYPE")) {
    const at = message.match(new RegExp(`${GARBAGE} (\\S+)`))?.[1]
    return new StoreDown(at === undefined ? "a key holds a value of another type" : `${at} holds a value it did not write`, "garbage")
  }
  return new StoreDown(error instanceof Error ? ((error as { code?: string }).code ?? error.message) : message)
}
