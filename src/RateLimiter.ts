/**
 * The client-side rate limiter: `rate_limit.requests_per_second`, the API's own kinds of limit — requests, input
 * tokens and output tokens per minute, for every model or per model —, the budget the API reports in its headers,
 * the 429 pause and a cap on requests in flight, shared by every call through one client, or through Redis by every
 * process and host on one key prefix.
 *
 * - **Requests per second** are spaced evenly, one every `1 / requests_per_second` seconds, with no initial burst.
 *   Every attempt takes a slot, retries included.
 * - **Per minute** (`requests_per_minute`, `input_tokens_per_minute`, `output_tokens_per_minute`): token buckets
 *   that hold a minute's worth and refill continuously, as the API's own limits do. Before a Messages request is
 *   sent it reserves one request, its estimated input tokens (see `internal/rateLimiter/estimate.ts`) and its
 *   `max_tokens` of output; when the answer comes, the reservation is corrected from its `usage` (input tokens plus
 *   cache writes, and output tokens, as the API counts them); a failed attempt gives its tokens back.
 * - **Adaptive** (`rate_limit.adaptive`, default true): every answer's `anthropic-ratelimit-*` headers teach the
 *   model's limits (a bucket of its own, beside any configured one: a reported limit never raises a configured one)
 *   and what remains until each limit's reset: once the API reports less left than a request needs (`remaining: 0`,
 *   say), no request of that model is sent before that limit's reset. A 429 with `retry-after` pauses every call of
 *   the client — those already waiting for a slot or for budget too — until then.
 * - **Bounds**: a pause longer than `retry.max_retry_after_ms` fails the call at once with `RateLimit`, as such a
 *   429 does; a call that would wait longer than `rate_limit.max_wait_ms` (default 300 000) for budget fails with
 *   `RateLimit` whose `heldBy` names the limit that held it. Nothing is sent in either case.
 * - **Concurrency** (`rate_limit.max_concurrent`): at most that many requests in flight per client (with Redis, per
 *   key prefix: the whole fleet), a stream counting until it ends.
 * - **Store** (`rate_limit.store`): `memory` keeps all of it in this process; `redis` keeps it in the Redis at
 *   `redis_url` on Redis's own clock, so every process and host shares the budget, what the API taught and the pause.
 *   When Redis is unreachable, or answers with something the limiter did not write, the limiter keeps the limits in
 *   this process and logs one warning saying which, and one more when Redis is back; calls go on.
 *
 * With no limit configured and nothing learned an attempt's admission is a few map lookups (the bench's unary row).
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import { AnthropicConfig, type AnthropicSettings, type MinuteLimits } from "./AnthropicConfig.js"
import type { AnthropicConfigError, RateLimit } from "./internal/errors.js"
import * as Limiter from "./internal/rateLimiter/limiter.js"
import * as MemoryStore from "./internal/rateLimiter/memoryStore.js"
import * as Metrics from "./internal/rateLimiter/metrics.js"
import type * as RedisStore from "./internal/rateLimiter/redisStore.js"
import { lazyImportAsync } from "./internal/lazyImport.js"
import { reportsOf } from "./internal/rateLimiter/reports.js"
import { type Dimension, LIMIT_NAME, type Report, type Store } from "./internal/rateLimiter/store.js"
import type { RateLimits } from "./internal/responseMetadata.js"

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
 * An attempt's hold on the budget, made by {@link Service.reserve} or {@link Service.admit}: settle it once, when
 * the attempt is over.
 *
 * @since 0.2.0
 * @category models
 */
export interface Reservation {
  /**
   * Corrects the reservation from what the answer used (`undefined`: nothing was used, a failed attempt) and frees
   * its place among the requests in flight.
   */
  readonly settle: (usage: Usage | undefined) => Effect.Effect<void>
  /** How long the attempt waited for the limiter before it could be sent, in milliseconds. */
  readonly waitedMs: number
}

/**
 * The limits in force, for `status`.
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
  readonly maxWaitMs: number
  readonly maxConcurrent: number | undefined
}

/**
 * One budget as it is now, for one scope (a model, or `*` for every model) and one limit.
 *
 * @since 0.2.0
 * @category models
 */
export interface Budget {
  readonly scope: string
  readonly limit: "requests_per_minute" | "input_tokens_per_minute" | "output_tokens_per_minute"
  /** The limit configured in `rate_limit` (for the scope's model, or every model), and what its bucket holds now. */
  readonly configured?: { readonly limit: number; readonly available: number } | undefined
  /** The limit the API reported for this model, and what its bucket holds now. */
  readonly learned?: { readonly limit: number; readonly available: number } | undefined
  /** What the API last reported remaining (less what was sent since), and when it said it is full again. */
  readonly api?: { readonly remaining: number; readonly resetAtMs: number | undefined } | undefined
}

/**
 * The limiter as it is now: where the budget lives, the pause, the requests in flight and the calls waiting (with
 * what holds them), and every budget known.
 *
 * @since 0.2.0
 * @category models
 */
export interface Snapshot {
  readonly store: string
  /** Milliseconds left of the 429 pause (0: none). */
  readonly pausedForMs: number
  /** This client's requests sent and not yet over (a stream until it ends). */
  readonly inFlight: number
  readonly maxConcurrent: number | undefined
  /** This client's attempts waiting for the limiter now. */
  readonly waiting: number
  /** The same, by what holds them: `pause`, `requests_per_second`, `requests_per_minute`, …, `max_concurrent`. */
  readonly waitingFor: Readonly<Record<string, number>>
  readonly budgets: ReadonlyArray<Budget>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Waits for the pause and the next per-second slot: for requests sent outside this client (`AiAnthropicCredentials`). */
  readonly take: Effect.Effect<void, RateLimit>
  /** Waits until the budget has room for this Messages request, reserves it, and takes its place in flight. */
  readonly reserve: (cost: Cost) => Effect.Effect<Reservation, RateLimit>
  /** {@link reserve} for any attempt: a Messages request's cost, or `undefined` for calls that take only a slot. */
  readonly admit: (cost: Cost | undefined) => Effect.Effect<Reservation, RateLimit>
  /** Learns from an answer's limits (adaptive only). */
  readonly observe: (model: string | undefined, limits: RateLimits) => Effect.Effect<void>
  /** Learns from an answer's headers as they came (adaptive only): what the HTTP client calls on every answer. */
  readonly observeHeaders: (model: string | undefined, headers: Readonly<Record<string, string>>) => Effect.Effect<void>
  /** Pauses every call for `ms` (a 429's `retry-after`; adaptive only). */
  readonly pause: (ms: number) => Effect.Effect<void>
  /** The limiter as it is now. */
  readonly snapshot: Effect.Effect<Snapshot>
  readonly description: Description
}

/**
 * @since 0.1.0
 * @category tags
 */
export class RateLimiter extends Context.Service<RateLimiter, Service>()("effect-anthropic/RateLimiter") {}

/**
 * The limiter's Effect metrics, exported like any other (by `@effect/opentelemetry`, say): `waitTime` (a histogram
 * of the milliseconds calls waited before being sent, calls that waited at all), `waiting` (a gauge of the calls
 * waiting now) and `apiRemaining` (a gauge of what the API last reported remaining, tagged `scope` and `dimension`).
 * Each is updated only when something happens to it: an idle limiter updates none.
 *
 * @since 0.2.0
 * @category metrics
 */
export const metrics = { waitTime: Metrics.waitTime, waiting: Metrics.waiting, apiRemaining: Metrics.apiRemaining } as const

const noReservation: Reservation = { settle: () => Effect.void, waitedMs: 0 }

const unlimited: Service = {
  take: Effect.void,
  reserve: () => Effect.succeed(noReservation),
  admit: () => Effect.succeed(noReservation),
  observe: () => Effect.void,
  observeHeaders: () => Effect.void,
  pause: () => Effect.void,
  snapshot: Effect.succeed({ store: "none", pausedForMs: 0, inFlight: 0, maxConcurrent: undefined, waiting: 0, waitingFor: {}, budgets: [] }),
  description: {
    store: "none",
    adaptive: false,
    requestsPerSecond: undefined,
    limits: {},
    models: {},
    maxWaitMs: Infinity,
    maxConcurrent: undefined
  }
}

/** What a limiter is built from: the file's `rate_limit` section, and the bound on a 429's pause. */
export type Options = Pick<AnthropicSettings, "requestsPerSecond" | "rateLimit"> & {
  readonly maxRetryAfterMs?: number | undefined
}

/** The default `rate_limit.max_wait_ms`. */
const DEFAULT_MAX_WAIT_MS = 300_000
/** The default `retry.max_retry_after_ms`. */
const DEFAULT_MAX_RETRY_AFTER_MS = 60_000

const dimensionsOf = (limits: MinuteLimits): Partial<Record<Dimension, number>> => ({
  ...(limits.requestsPerMinute === undefined ? {} : { requests: limits.requestsPerMinute }),
  ...(limits.inputTokensPerMinute === undefined ? {} : { input: limits.inputTokensPerMinute }),
  ...(limits.outputTokensPerMinute === undefined ? {} : { output: limits.outputTokensPerMinute })
})

/** The API's limits as reports for the store. */
const reportsOfLimits = (limits: RateLimits): ReadonlyArray<Report> =>
  ([["requests", limits.requests], ["input", limits.inputTokens], ["output", limits.outputTokens]] as const).flatMap(
    ([dimension, limit]) =>
      limit === undefined || (limit.limit === undefined && limit.remaining === undefined)
        ? []
        : [{
          dimension,
          limit: limit.limit !== undefined && limit.limit >= 1 ? limit.limit : undefined,
          remaining: limit.remaining,
          resetAtMs: limit.resetAtMs
        }]
  )

/** The Redis store's module, loaded only for a Redis store: a program on memory limits (or a Worker) never loads it. */
const loadRedisStore: Effect.Effect<typeof RedisStore> = lazyImportAsync(() => import("./internal/rateLimiter/redisStore.js"))

/**
 * A limiter for these settings, its store's connections in the scope. With no limit at all, adaptive off and no
 * concurrency cap it costs nothing.
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeWith = (options: Options): Effect.Effect<Service, AnthropicConfigError, Scope.Scope> =>
  Effect.gen(function*() {
    const { rateLimit } = options
    const rps = Option.getOrUndefined(Option.filter(options.requestsPerSecond, (r) => r !== Infinity))
    if (rps !== undefined && !(rps > 0)) {
      // Effect 4 has no `dieMessage`: the defect is an `IllegalArgumentError` with the same message.
      return yield* Effect.die(new Cause.IllegalArgumentError(`RateLimiter: requests per second must be a number above 0, not ${rps}`))
    }
    const maxConcurrent = rateLimit.maxConcurrent
    const anyMinute = [rateLimit, ...Object.values(rateLimit.models)].some((l) =>
      l.requestsPerMinute !== undefined || l.inputTokensPerMinute !== undefined || l.outputTokensPerMinute !== undefined
    )
    if (rps === undefined && !anyMinute && !rateLimit.adaptive && maxConcurrent === undefined) return unlimited

    const clock = yield* Clock.Clock
    const local = MemoryStore.make(clock)
    const redisUrl = rateLimit.store === "redis" ? Option.getOrUndefined(rateLimit.redisUrl) : undefined
    const shared = redisUrl === undefined
      ? undefined
      : yield* Effect.flatMap(loadRedisStore, (Redis) => Redis.make(redisUrl, rateLimit.keyPrefix, Redis.logChanges(redisUrl)))
    /** The shared store, else this process's while Redis cannot be used right now. */
    const withStore: Limiter.WithStore = shared === undefined
      ? (f) => Effect.orDie(f(local))
      // Suspended: which store is usable is decided at each use, not when the effect is built.
      : (f) => Effect.catch(f(shared), () => Effect.orDie(f(local)))
    const maxWaitMs = rateLimit.maxWaitMs ?? DEFAULT_MAX_WAIT_MS
    const limiter = Limiter.make({
      requestsPerSecond: rps,
      limits: dimensionsOf(rateLimit),
      models: Object.fromEntries(Object.entries(rateLimit.models).map(([model, limits]) => [model, dimensionsOf(limits)])),
      adaptive: rateLimit.adaptive,
      maxWaitMs,
      maxRetryAfterMs: options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS,
      maxConcurrent
    }, withStore, () => shared === undefined ? local.location : shared.usable() ? shared.location : `${local.location}: Redis at ${shared.location} cannot be used now`, clock, shared === undefined ? local : undefined)
    const observe = (model: string | undefined, reports: ReadonlyArray<Report>) =>
      rateLimit.adaptive ? limiter.observe(model, reports) : Effect.void
    return {
      take: Effect.flatMap(limiter.admit(undefined, false), (reservation) => reservation.settle(undefined)),
      reserve: (cost) => limiter.admit(cost, true),
      admit: (cost) => limiter.admit(cost, true),
      observe: (model, limits) => observe(model, reportsOfLimits(limits)),
      observeHeaders: (model, headers) => rateLimit.adaptive ? observe(model, reportsOf(headers)) : Effect.void,
      pause: (ms) => (rateLimit.adaptive && ms > 0 ? withStore((store: Store) => store.pauseFor(ms)) : Effect.void),
      snapshot: Effect.map(limiter.snapshot, (snapshot) => ({
        ...snapshot,
        budgets: snapshot.budgets.map(({ dimension, ...budget }) => ({ ...budget, limit: LIMIT_NAME[dimension] as Budget["limit"] }))
      })),
      description: {
        store: shared?.location ?? local.location,
        adaptive: rateLimit.adaptive,
        requestsPerSecond: rps,
        limits: { ...rateLimit, models: undefined } as MinuteLimits,
        models: rateLimit.models,
        maxWaitMs,
        maxConcurrent
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
  Layer.effect(RateLimiter, make(requestsPerSecond))

/**
 * The limiter from `rate_limit` (and `retry.max_retry_after_ms`) of the settings in context (the `AnthropicConfig`
 * service).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFromSettings: Layer.Layer<RateLimiter, AnthropicConfigError, AnthropicConfig> = Layer.effect(
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
