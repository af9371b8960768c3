/**
 * The client-side rate limiter: `rate_limit.requests_per_second`, and the API's own kinds of limit — requests,
 * input tokens and output tokens per minute, for every model or per model — shared by every call through one
 * client, or through Redis by every process and host on one budget.
 *
 * - **Requests per second** are spaced evenly, one every `1 / requests_per_second` seconds, with no initial burst.
 *   Every attempt takes a slot, retries included.
 * - **Per minute** (`requests_per_minute`, `input_tokens_per_minute`, `output_tokens_per_minute`): token buckets
 *   that hold a minute's worth and refill continuously, as the API's own limits do. Before a Messages request is
 *   sent it reserves one request, its estimated input tokens (see `internal/rateLimiter/estimate.ts`) and its
 *   `max_tokens` of output; when the answer comes, the reservation is corrected from its `usage` (input tokens plus
 *   cache writes, and output tokens, as the API counts them); a failed attempt gives its tokens back.
 * - **Adaptive** (`rate_limit.adaptive`, default true): the `anthropic-ratelimit-*` headers of every answer teach the
 *   limits (the lower of the configured and the reported one applies) and what remains (a budget the API says is
 *   lower than ours is lowered); a 429 with `retry-after` pauses every call of the client (of every process, with
 *   Redis) until then.
 * - **Store** (`rate_limit.store`): `memory` keeps the budget in this process; `redis` keeps it in the Redis at
 *   `redis_url`, so every process and host shares it. The buckets are `@effect/experimental`'s `RateLimiter` over its
 *   memory or Redis store. When Redis is unreachable (at start or mid-run) the limiter keeps the limits in this
 *   process and logs one warning, and one more when Redis is back; calls go on.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import { AnthropicConfig, type AnthropicSettings, type MinuteLimits } from "./AnthropicConfig.js"
import type { AnthropicConfigError } from "./Errors.js"
import * as MemoryStore from "./internal/rateLimiter/memoryStore.js"
import * as RedisStore from "./internal/rateLimiter/redisStore.js"
import type { RateLimits } from "./ResponseMetadata.js"

/**
 * What one Messages request is about to use.
 *
 * @since 0.2.0
 * @category models
 */
export interface Cost {
  readonly model: string | undefined
  readonly inputTokens: number
  readonly outputTokens: number
}

/**
 * What an answer used, as the API counts it against the limits.
 *
 * @since 0.2.0
 * @category models
 */
export interface Usage {
  readonly inputTokens: number
  readonly outputTokens: number
}

/**
 * A reservation made by {@link Service.reserve}.
 *
 * @since 0.2.0
 * @category models
 */
export interface Reservation {
  /** Corrects the reservation from what the answer used; `undefined`: nothing was used (a failed attempt). */
  readonly settle: (usage: Usage | undefined) => Effect.Effect<void>
}

/**
 * The limits in force for one scope (every model, or one model), for `status`.
 *
 * @since 0.2.0
 * @category models
 */
export interface Description {
  readonly store: string
  readonly adaptive: boolean
  readonly requestsPerSecond: number | undefined
  readonly limits: MinuteLimits
  readonly models: Readonly<Record<string, MinuteLimits>>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Waits for the next request slot (requests per second, and any 429 pause): calls outside Messages. */
  readonly take: Effect.Effect<void>
  /** Waits until the budget has room for this Messages request, and reserves it. */
  readonly reserve: (cost: Cost) => Effect.Effect<Reservation>
  /** Learns from an answer's `anthropic-ratelimit-*` headers (adaptive only). */
  readonly observe: (model: string | undefined, limits: RateLimits) => Effect.Effect<void>
  /** Pauses every call for `ms` (a 429's `retry-after`; adaptive only). */
  readonly pause: (ms: number) => Effect.Effect<void>
  readonly description: Description
}

/**
 * @since 0.1.0
 * @category tags
 */
export class RateLimiter extends Context.Tag("effect-anthropic/RateLimiter")<RateLimiter, Service>() {}

const noReservation: Reservation = { settle: () => Effect.void }

const unlimited: Service = {
  take: Effect.void,
  reserve: () => Effect.succeed(noReservation),
  observe: () => Effect.void,
  pause: () => Effect.void,
  description: { store: "none", adaptive: false, requestsPerSecond: undefined, limits: {}, models: {} }
}

const MINUTE = 60_000
type Dimension = "requests" | "input" | "output"
const CONFIGURED: Record<Dimension, keyof MinuteLimits> = {
  requests: "requestsPerMinute",
  input: "inputTokensPerMinute",
  output: "outputTokensPerMinute"
}
const REPORTED: Record<Dimension, keyof RateLimits> = { requests: "requests", input: "inputTokens", output: "outputTokens" }

/** What a limiter is built from: the file's `rate_limit` section as settings. */
export type Options = Pick<AnthropicSettings, "requestsPerSecond" | "rateLimit">

/**
 * A limiter for these settings, its store's connections in the scope. With no limit at all and adaptive off it
 * costs nothing.
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeWith = (options: Options): Effect.Effect<Service, AnthropicConfigError, Scope.Scope> =>
  Effect.gen(function*() {
    const { rateLimit } = options
    const rps = Option.getOrUndefined(Option.filter(options.requestsPerSecond, (r) => r !== Infinity))
    if (rps !== undefined && !(rps > 0)) {
      return yield* Effect.dieMessage(`RateLimiter: requests per second must be a number above 0, not ${rps}`)
    }
    const anyMinute = [rateLimit, ...Object.values(rateLimit.models)].some((l) =>
      l.requestsPerMinute !== undefined || l.inputTokensPerMinute !== undefined || l.outputTokensPerMinute !== undefined
    )
    if (rps === undefined && !anyMinute && !rateLimit.adaptive) return unlimited

    const local = yield* MemoryStore.make
    let shared: RedisStore.Store | undefined
    if (rateLimit.store === "redis" && Option.isSome(rateLimit.redisUrl)) {
      const where = RedisStore.redisOptions(rateLimit.redisUrl.value).location
      let outage = false
      shared = yield* RedisStore.make(rateLimit.redisUrl.value, rateLimit.keyPrefix, (reachable, reason) => {
        if (!reachable) {
          outage = true
          return Effect.logWarning(
            `rate limits: Redis at ${where} is not reachable (${reason}); limits are kept in this process until it is back`
          )
        }
        // Connecting at the start is not news; coming back after an outage is.
        const back = outage
        outage = false
        const line = `rate limits: Redis at ${where} is reachable: the budget is shared`
        return back ? Effect.logInfo(line) : Effect.logDebug(line)
      })
    }
    const location = shared?.location ?? local.location
    /** The shared store, else this process's when Redis cannot be used right now. */
    const use = <A>(f: (store: RedisStore.Store | typeof local) => Effect.Effect<A, RedisStore.StoreDown>): Effect.Effect<A> =>
      // Suspended: which store is usable is decided at each use, not when the effect is built.
      Effect.suspend(() =>
        shared === undefined
          ? Effect.orDie(f(local))
          : Effect.catchAll(f(shared), () => Effect.orDie(f(local)))
      )

    // Own keys only: a model named `constructor` or `__proto__` must not find Object.prototype's (absent) limits.
    const scopeOf = (model: string | undefined) => (model !== undefined && Object.hasOwn(rateLimit.models, model) ? model : "*")
    const configured = (scope: string): MinuteLimits => (scope === "*" ? rateLimit : rateLimit.models[scope]!)
    /** Limits the API reported, by scope. */
    const learned = new Map<string, Partial<Record<Dimension, number>>>()
    /** What each bucket had left after its last use, by key. */
    const lastRemaining = new Map<string, number>()

    const limitOf = (scope: string, dimension: Dimension): number | undefined => {
      const mine = configured(scope)[CONFIGURED[dimension]]
      const theirs = learned.get(scope)?.[dimension]
      return mine === undefined ? theirs : theirs === undefined ? mine : Math.min(mine, theirs)
    }
    const keyOf = (scope: string, dimension: Dimension) => `${scope}:${dimension}`

    const consume = (key: string, limit: number, tokens: number) =>
      Effect.tap(
        use((store) => store.consume({ key, limit, windowMs: MINUTE, tokens: Math.min(tokens, limit) })),
        (result) => Effect.sync(() => lastRemaining.set(key, result.remaining))
      )

    const waitForPause = Effect.flatMap(use((store) => store.pauseLeft), (ms) => (ms > 0 ? Effect.sleep(ms) : Effect.void))
    const slot = rps === undefined
      ? Effect.void
      : Effect.flatMap(
        // One slot every 1/rps seconds: even spacing, no burst.
        use((store) => store.nextSlot("rps", 1000 / rps)),
        (ms) => (ms > 0 ? Effect.sleep(ms) : Effect.void)
      )
    const take = Effect.zipRight(waitForPause, slot)

    const reserve = (cost: Cost): Effect.Effect<Reservation> =>
      Effect.zipRight(take, Effect.uninterruptibleMask((restore) => reserveTokens(cost, restore)))

    /**
     * Takes the cost from every bucket, then waits until they all have room. Taking is not interrupted half-way;
     * a call interrupted while it waits (its own timeout, a shutdown) gives everything back, as it sent nothing.
     */
    const reserveTokens = (cost: Cost, restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>): Effect.Effect<Reservation> =>
      Effect.gen(function*() {
        const scope = scopeOf(cost.model)
        const reserved: Array<{ key: string; limit: number; dimension: Dimension; tokens: number }> = []
        let wait = 0
        for (const dimension of ["requests", "input", "output"] as const) {
          const limit = limitOf(scope, dimension)
          if (limit === undefined) continue
          const tokens = dimension === "requests" ? 1 : dimension === "input" ? cost.inputTokens : cost.outputTokens
          if (tokens <= 0) continue
          const key = keyOf(scope, dimension)
          const result = yield* consume(key, limit, tokens)
          wait = Math.max(wait, Duration.toMillis(result.delay))
          reserved.push({ key, limit, dimension, tokens: Math.min(tokens, limit) })
        }
        if (wait > 0) {
          yield* restore(Effect.sleep(wait)).pipe(
            Effect.onInterrupt(() => Effect.forEach(reserved, ({ key, limit, tokens }) => consume(key, limit, -tokens), { discard: true }))
          )
        }
        if (reserved.every((r) => r.dimension === "requests")) return noReservation
        return {
          settle: (usage) =>
            Effect.forEach(reserved, ({ dimension, key, limit, tokens }) => {
              if (dimension === "requests") return Effect.void
              const used = usage === undefined ? 0 : dimension === "input" ? usage.inputTokens : usage.outputTokens
              const delta = Math.min(used, limit) - tokens
              // A correction: more tokens when the answer used more than reserved, some back when it used less.
              return delta === 0 ? Effect.void : Effect.asVoid(consume(key, limit, delta))
            }, { discard: true })
        }
      })

    const observe = (model: string | undefined, limits: RateLimits): Effect.Effect<void> => {
      if (!rateLimit.adaptive) return Effect.void
      const scope = scopeOf(model)
      return Effect.forEach(["requests", "input", "output"] as const, (dimension) => {
        const reported = limits[REPORTED[dimension]] as { limit?: number; remaining?: number } | undefined
        if (reported === undefined) return Effect.void
        if (reported.limit !== undefined && reported.limit >= 1) {
          const known = learned.get(scope) ?? {}
          known[dimension] = reported.limit
          learned.set(scope, known)
        }
        const key = keyOf(scope, dimension)
        const ours = lastRemaining.get(key)
        const limit = limitOf(scope, dimension)
        // The API has less left than we think (other clients on the key, a budget already used): use up the gap.
        return reported.remaining !== undefined && ours !== undefined && limit !== undefined && reported.remaining < ours
          ? Effect.asVoid(consume(key, limit, ours - reported.remaining))
          : Effect.void
      }, { discard: true })
    }

    return {
      take,
      reserve,
      observe,
      pause: (ms) => (rateLimit.adaptive && ms > 0 ? use((store) => store.pauseFor(ms)) : Effect.void),
      description: {
        store: location,
        adaptive: rateLimit.adaptive,
        requestsPerSecond: rps,
        limits: { ...rateLimit, models: undefined } as MinuteLimits,
        models: rateLimit.models
      }
    }
  })

/** Settings with the per-second limit alone (what {@link make} and {@link layer} take). */
const perSecondOnly = (requestsPerSecond: Option.Option<number>): Options => ({
  requestsPerSecond,
  rateLimit: { models: {}, adaptive: false, store: "memory", redisUrl: Option.none(), keyPrefix: "" }
})

/**
 * A limiter for `requestsPerSecond` alone, or none when it is `None` (or `Infinity`). Any finite rate above 0 is
 * accepted; a rate of 0, below 0 or NaN is a programming error (a defect).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (requestsPerSecond: Option.Option<number>): Effect.Effect<Service, never, Scope.Scope> =>
  Effect.orDie(makeWith(perSecondOnly(requestsPerSecond)))

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (requestsPerSecond: Option.Option<number>): Layer.Layer<RateLimiter> =>
  Layer.scoped(RateLimiter, make(requestsPerSecond))

/**
 * The limiter from `rate_limit` of the settings in context (the `AnthropicConfig` service).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFromSettings: Layer.Layer<RateLimiter, AnthropicConfigError, AnthropicConfig> = Layer.scoped(
  RateLimiter,
  Effect.flatMap(AnthropicConfig, makeWith)
)

/**
 * No limit at all.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerUnlimited: Layer.Layer<RateLimiter> = Layer.succeed(RateLimiter, unlimited)
