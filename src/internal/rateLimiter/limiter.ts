/**
 * The limiter's rules over a store: an attempt is admitted by the store in one step (the 429 pause, the per-second
 * slot, the configured and learned buckets, the budget the API reported), waits what it was told, and is held again
 * by a pause that began while it waited; then it takes a concurrency permit. Every wait is bounded: a pause longer
 * than `retry.max_retry_after_ms`, or any wait past `rate_limit.max_wait_ms`, fails the attempt with a `RateLimit`
 * naming what held it. What waits is counted (for snapshots) and measured (Effect metrics).
 */
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import type * as Clock from "effect/Clock"
import { RateLimit } from "../errors.js"
import * as Metrics from "./metrics.js"
import {
  type Admission,
  type BudgetView,
  type Correction,
  type Demand,
  type Dimension,
  type Holder,
  LIMIT_NAME,
  type Need,
  type Report,
  type Store,
  type StoreDown,
  type SyncStore
} from "./store.js"

/** The limits and bounds the limiter keeps. */
export interface LimiterOptions {
  readonly requestsPerSecond: number | undefined
  /** Per-minute limits for every model (`*`), and per model where configured. */
  readonly limits: Readonly<Partial<Record<Dimension, number>>>
  readonly models: Readonly<Record<string, Readonly<Partial<Record<Dimension, number>>>>>
  readonly adaptive: boolean
  readonly maxWaitMs: number
  readonly maxRetryAfterMs: number
  readonly maxConcurrent: number | undefined
}

/** What one attempt is about to use: Messages requests say; other calls only take a slot. */
export interface Cost {
  readonly model: string | undefined
  readonly inputTokens: number
  readonly outputTokens: number
}

export interface Usage {
  readonly inputTokens: number
  readonly outputTokens: number
}

/** An admitted attempt's hold on the budget, settled once when it is over. */
export interface Reservation {
  /** Corrects the reservation from what the answer used (`undefined`: nothing, a failed attempt) and frees its permit. */
  readonly settle: (usage: Usage | undefined) => Effect.Effect<void>
  /** How long the attempt waited for the limiter. */
  readonly waitedMs: number
}

/** The limiter as it is now. */
export interface Snapshot {
  readonly store: string
  /** Milliseconds left of the 429 pause (0: none). */
  readonly pausedForMs: number
  /** This client's attempts sent and not yet over. */
  readonly inFlight: number
  readonly maxConcurrent: number | undefined
  /** This client's attempts waiting for the limiter now, and what holds them. */
  readonly waiting: number
  readonly waitingFor: Readonly<Record<string, number>>
  readonly budgets: ReadonlyArray<BudgetView>
}

/** The store in use for one operation: Redis, or this process's while Redis cannot be used. */
export type WithStore = <A>(f: (store: Store) => Effect.Effect<A, StoreDown>) => Effect.Effect<A>

/** The most model scopes a snapshot lists (a program that names thousands of models does not grow it without end). */
const MAX_SCOPES = 64
/** The API's remaining budget goes to its gauge at most this often per scope and dimension (and at once when 0). */
const GAUGE_EVERY_MS = 250

export const make = (
  options: LimiterOptions,
  withStore: WithStore,
  location: () => string,
  clock: Clock.Clock,
  /** The store when it is this process's alone (no Redis): admissions that need no wait skip the Effect machinery. */
  syncStore: (Store & SyncStore) | undefined
) => {
  const { maxConcurrent, maxRetryAfterMs, maxWaitMs } = options
  const slotIntervalMs = options.requestsPerSecond === undefined ? undefined : 1000 / options.requestsPerSecond
  let inFlight = 0
  let waitingTotal = 0
  const waiting = new Map<string, number>()
  const scopes = new Set<string>(["*", ...Object.keys(options.models)])
  let holders = 0

  // Own keys only: a model named `constructor` or `__proto__` must not find Object.prototype's (absent) limits.
  const limitScopeOf = (model: string | undefined) => model !== undefined && Object.hasOwn(options.models, model) ? model : "*"
  const configuredOf = (limitScope: string) => limitScope === "*" ? options.limits : options.models[limitScope]!

  const demandOf = (cost: Cost | undefined): Demand => {
    if (cost === undefined) return { scope: "*", limitScope: "*", needs: [], slotIntervalMs }
    const scope = cost.model ?? "*"
    if (scopes.size < MAX_SCOPES) scopes.add(scope)
    const limitScope = limitScopeOf(cost.model)
    const configured = configuredOf(limitScope)
    const needs: Array<Need> = [
      { dimension: "requests", tokens: 1, configured: configured.requests },
      { dimension: "input", tokens: cost.inputTokens, configured: configured.input },
      { dimension: "output", tokens: cost.outputTokens, configured: configured.output }
    ]
    return { scope, limitScope, needs, slotIntervalMs }
  }

  /** Counts `effect` as waiting for `reason` while it runs (the snapshot's `waitingFor`, the `waiting` gauge). */
  const countedWhile = <A>(reason: string, effect: Effect.Effect<A>): Effect.Effect<A> =>
    Effect.suspend(() => {
      waitingTotal++
      waiting.set(reason, (waiting.get(reason) ?? 0) + 1)
      return Effect.ensuring(
        Effect.zipRight(Metric.set(Metrics.waiting, waitingTotal), effect),
        Effect.suspend(() => {
          waitingTotal--
          const left = waiting.get(reason)! - 1
          if (left === 0) waiting.delete(reason)
          else waiting.set(reason, left)
          return Metric.set(Metrics.waiting, waitingTotal)
        })
      )
    })

  const wait = (ms: number, reason: string): Effect.Effect<void> => countedWhile(reason, Effect.sleep(ms))

  const giveBack = (store: Store, demand: Demand) =>
    Effect.ignore(store.correct(demand, demand.needs.map((n): Correction => ({ dimension: n.dimension, reserved: n.tokens, used: undefined })), false))

  /**
   * Admits an attempt. Uninterruptible but for its waits: an attempt interrupted while it waits (its caller's
   * timeout, a shutdown) gives back what it holds, as it sent nothing; one interrupted elsewhere would leak it.
   */
  const admit = (cost: Cost | undefined, permit: boolean): Effect.Effect<Reservation, RateLimit> =>
    syncStore === undefined || (permit && maxConcurrent !== undefined)
      ? admitWaiting(cost, permit)
      : Effect.suspend(() => {
        // The common case in one step: admitted at once (nothing in it can be interrupted half-way).
        const demand = demandOf(cost)
        const admission = syncStore.admitNow(demand)
        if (admission._tag !== "Admitted" || admission.waitMs > 0) {
          return Effect.uninterruptibleMask((restore) =>
            handle(syncStore, admission, demand, clock.unsafeCurrentTimeMillis(), false, restore)
          )
        }
        inFlight++
        return Effect.succeed(admission.took === false ? untouched : settledNow(demand))
      })

  /** A reservation of the in-process store that took no budget: settling it only counts it out. */
  const untouched: Reservation = {
    waitedMs: 0,
    settle: () => countOut
  }
  const countOut = Effect.sync(() => {
    inFlight--
  })

  /** A reservation of the in-process store admitted with no wait, settled in one step. */
  const settledNow = (demand: Demand): Reservation => ({
    waitedMs: 0,
    settle: (usage) =>
      Effect.sync(() => {
        inFlight--
        syncStore!.settleNow(demand, usage)
      })
  })

  const admitWaiting = (cost: Cost | undefined, permit: boolean): Effect.Effect<Reservation, RateLimit> =>
    Effect.uninterruptibleMask((restore) => {
      const demand = demandOf(cost)
      const startedAt = clock.unsafeCurrentTimeMillis()
      return attempt(demand, startedAt, permit && maxConcurrent !== undefined, restore)
    })

  type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

  /** One round with the store: admitted, or a wait and another round. */
  const attempt = (demand: Demand, startedAt: number, permit: boolean, restore: Restore): Effect.Effect<Reservation, RateLimit> =>
    withStoreResult(demand, (store, admission) => handle(store, admission, demand, startedAt, permit, restore))

  /** The store's answer: a wait and another round, a failure past the bounds, or the reservation. */
  const handle = (
    store: Store,
    admission: Admission,
    demand: Demand,
    startedAt: number,
    permit: boolean,
    restore: Restore
  ): Effect.Effect<Reservation, RateLimit> => {
    const left = startedAt + maxWaitMs - clock.unsafeCurrentTimeMillis()
    const again = Effect.suspend(() => attempt(demand, startedAt, permit, restore))
    switch (admission._tag) {
      case "Paused":
        if (admission.ms > maxRetryAfterMs) return Effect.fail(pausedTooLong(admission.ms))
        if (admission.ms > left) return Effect.fail(waitedTooLong({ kind: "pause" }, admission.ms))
        return Effect.zipRight(restore(wait(admission.ms, "pause")), again)
      case "Held":
        if (admission.ms > left) return Effect.fail(waitedTooLong(admission.holder, admission.ms))
        return Effect.zipRight(restore(wait(admission.ms, reasonOf(admission.holder))), again)
      case "Admitted": {
        if (admission.waitMs === 0) return permitted(store, demand, startedAt, permit, 0, restore)
        if (admission.waitMs > left) {
          return Effect.zipRight(giveBack(store, demand), Effect.fail(waitedTooLong(admission.holder!, admission.waitMs)))
        }
        // A pause that began while this attempt waited holds it too: it gives its budget back and starts over.
        return Effect.zipRight(
          Effect.onInterrupt(restore(wait(admission.waitMs, reasonOf(admission.holder!))), () => giveBack(store, demand)),
          Effect.flatMap(pauseLeft, (paused) =>
            paused > 0
              ? Effect.zipRight(giveBack(store, demand), again)
              : permitted(store, demand, startedAt, permit, clock.unsafeCurrentTimeMillis() - startedAt, restore))
        )
      }
    }
  }

  const withStoreResult = <A, E>(
    demand: Demand,
    f: (store: Store, admission: Admission) => Effect.Effect<A, E>
  ): Effect.Effect<A, E> => {
    let used: Store | undefined
    return Effect.flatMap(
      withStore((store) => {
        used = store
        return store.admit(demand)
      }),
      (admission) => f(used!, admission)
    )
  }

  const pauseLeft = withStore((store) => store.pauseLeft)

  /** Admitted: takes a permit when `max_concurrent` is set, then hands out the reservation. */
  const permitted = (
    store: Store,
    demand: Demand,
    startedAt: number,
    permit: boolean,
    waitedMs: number,
    restore: Restore
  ): Effect.Effect<Reservation, RateLimit> => {
    if (!permit) return reservationOf(store, demand, undefined, waitedMs)
    const holder = `${++holders}`
    const acquire = (waited: boolean): Effect.Effect<Reservation, RateLimit> =>
      Effect.flatMap(
        // A store that cannot count permits right now lets the attempt go: the budget was had.
        Effect.orElseSucceed(store.tryAcquire(holder, maxConcurrent!), () => true),
        (acquired) => {
          const now = clock.unsafeCurrentTimeMillis()
          if (acquired) {
            const reserved = reservationOf(store, demand, holder, now - startedAt)
            // A pause that began while this attempt waited for its permit holds it too.
            return waited
              ? Effect.flatMap(pauseLeft, (paused) =>
                paused > 0
                  ? Effect.zipRight(
                    Effect.zipRight(Effect.ignore(store.release(holder)), giveBack(store, demand)),
                    attempt(demand, startedAt, true, restore)
                  )
                  : reserved)
              : reserved
          }
          const left = startedAt + maxWaitMs - now
          if (left <= 0) {
            return Effect.zipRight(giveBack(store, demand), Effect.fail(waitedTooLong({ kind: "max_concurrent" }, maxWaitMs)))
          }
          const released = countedWhile("max_concurrent", Effect.raceFirst(store.permitReleased, Effect.sleep(left)))
          return Effect.zipRight(Effect.onInterrupt(restore(released), () => giveBack(store, demand)), acquire(true))
        }
      )
    return acquire(false)
  }

  const reservationOf = (store: Store, demand: Demand, holder: string | undefined, waitedMs: number): Effect.Effect<Reservation> => {
    const reservation = Effect.sync((): Reservation => {
      inFlight++
      return {
        waitedMs,
        settle: (usage) =>
          Effect.suspend(() => {
            inFlight--
            const corrections = demand.needs.length === 0 ? [] : correctionsOf(demand, usage)
            const corrected = corrections.length === 0 ? Effect.void : Effect.ignore(store.correct(demand, corrections, true))
            return holder === undefined ? corrected : Effect.zipRight(corrected, Effect.ignore(store.release(holder)))
          })
      }
    })
    return waitedMs > 0 ? Effect.zipRight(Metric.update(Metrics.waitTime, waitedMs), reservation) : reservation
  }

  // The remaining-budget gauge of each scope and dimension, tagged once, and set at most every GAUGE_EVERY_MS (an
  // update looks its key up in the metric registry: on every answer it cost more than the rest of the learning).
  const gauges = new Map<string, { readonly gauge: Metric.Metric.Gauge<number>; at: number }>()
  const setGauge = (scope: string, dimension: Dimension, remaining: number, now: number) => {
    const key = `${scope}:${dimension}`
    let entry = gauges.get(key)
    if (entry === undefined) {
      if (gauges.size >= MAX_SCOPES * 3) return
      const gauge = Metric.tagged(Metric.tagged(Metrics.apiRemaining, "scope", scope), "dimension", LIMIT_NAME[dimension])
      gauges.set(key, entry = { gauge, at: -Infinity })
    }
    if (now - entry.at < GAUGE_EVERY_MS && remaining > 0) return
    entry.at = now
    entry.gauge.unsafeUpdate(remaining, [])
  }

  const setGauges = (scope: string, reports: ReadonlyArray<Report>) => {
    const now = clock.unsafeCurrentTimeMillis()
    for (const report of reports) {
      if (report.remaining !== undefined) setGauge(scope, report.dimension, report.remaining, now)
    }
  }

  /** Learns what an answer reported: one step in this process's store, this runs on every answer. */
  const observe = (model: string | undefined, reports: ReadonlyArray<Report>): Effect.Effect<void> => {
    if (reports.length === 0 || !options.adaptive) return Effect.void
    const scope = model ?? "*"
    return syncStore !== undefined
      ? Effect.sync(() => {
        syncStore.learnNow(scope, reports)
        setGauges(scope, reports)
      })
      : Effect.zipRight(withStore((store) => store.learn(scope, reports)), Effect.sync(() => setGauges(scope, reports)))
  }

  const snapshot: Effect.Effect<Snapshot> = Effect.flatMap(
    Effect.all([
      pauseLeft,
      // The scopes this client has seen, and those the store learned (from every process sharing it).
      withStore((store) =>
        Effect.flatMap(store.knownScopes, (known) =>
          store.inspect([...new Set([...scopes, ...known])].map((scope) => {
            const limitScope = limitScopeOf(scope === "*" ? undefined : scope)
            return { scope, limitScope, configured: configuredOf(limitScope) }
          })))
      )
    ]),
    ([pausedForMs, budgets]) =>
      Effect.succeed({
        store: location(),
        pausedForMs,
        inFlight,
        maxConcurrent,
        waiting: waitingTotal,
        waitingFor: Object.fromEntries(waiting),
        budgets
      })
  )

  return { admit, observe, snapshot }

  function waitedTooLong(holder: Holder, ms: number): RateLimit {
    return new RateLimit({
      status: 0,
      errorType: "rate_limit_wait",
      apiMessage: heldText(holder, ms, maxWaitMs),
      retryAfterMs: Math.ceil(ms),
      retryable: false,
      heldBy: heldByOf(holder)
    })
  }

  function pausedTooLong(ms: number): RateLimit {
    return new RateLimit({
      status: 0,
      errorType: "rate_limit_error",
      apiMessage: `every call is paused for ${Math.ceil(ms)} ms after a 429 (its retry-after), longer than ` +
        `retry.max_retry_after_ms (${maxRetryAfterMs} ms)`,
      retryAfterMs: Math.ceil(ms),
      retryable: false,
      heldBy: { limit: "pause", source: "api" }
    })
  }
}

/** Corrections of a settled reservation: each dimension it reserved, against what was used. */
const correctionsOf = (demand: Demand, usage: Usage | undefined): Array<Correction> => {
  const out: Array<Correction> = []
  for (const need of demand.needs) {
    if (need.tokens <= 0) continue
    // A request sent is a request counted, whatever came of it: only tokens are given back or corrected.
    if (need.dimension === "requests") continue
    const used = usage === undefined
      ? undefined
      : need.dimension === "input"
      ? usage.inputTokens
      : usage.outputTokens
    if (used !== need.tokens) out.push({ dimension: need.dimension, reserved: need.tokens, used })
  }
  return out
}

const reasonOf = (holder: Holder): string =>
  holder.kind === "configured" || holder.kind === "learned" || holder.kind === "api" ? LIMIT_NAME[holder.dimension] : holder.kind

const heldByOf = (holder: Holder) => {
  switch (holder.kind) {
    case "pause":
      return { limit: "pause", source: "api" as const }
    case "requests_per_second":
      return { limit: "requests_per_second", source: "configured" as const }
    case "max_concurrent":
      return { limit: "max_concurrent", source: "configured" as const }
    default:
      return { limit: LIMIT_NAME[holder.dimension], source: holder.kind, scope: holder.scope }
  }
}

const scopeText = (scope: string) => scope === "*" ? "" : ` of ${scope}`

const heldText = (holder: Holder, ms: number, maxWaitMs: number): string => {
  const over = `${Math.ceil(ms)} ms, longer than rate_limit.max_wait_ms (${maxWaitMs} ms)`
  switch (holder.kind) {
    case "pause":
      return `every call is paused after a 429 for ${over}`
    case "requests_per_second":
      return `rate_limit.requests_per_second would hold this call ${over}`
    case "max_concurrent":
      return `no request of the rate_limit.max_concurrent in flight ended within rate_limit.max_wait_ms (${maxWaitMs} ms)`
    case "configured":
      return `rate_limit.${LIMIT_NAME[holder.dimension]}${scopeText(holder.scope)} would hold this call ${over}`
    case "learned":
      return `the API's ${LIMIT_NAME[holder.dimension]}${scopeText(holder.scope)} would hold this call ${over}`
    case "api":
      return `the API reported too little ${LIMIT_NAME[holder.dimension]} left${scopeText(holder.scope)} until its reset, ${over}`
  }
}
