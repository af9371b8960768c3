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
import type { RateLimit } from "../errors.js"
import { type Cost, type LimiterOptions, makeDemands } from "./demands.js"
import { makeBudgetGauges } from "./gauges.js"
import { pausedTooLong, reasonOf, waitedTooLong } from "./heldBy.js"
import * as Metrics from "./metrics.js"
import type { Admission, BudgetView, Correction, Demand, Report, Store, StoreDown, SyncStore, Usage } from "./store.js"
import { makeWaiting } from "./waiting.js"

type Waiting = ReturnType<typeof makeWaiting>

export type { Cost, LimiterOptions } from "./demands.js"

export type { Usage } from "./store.js"

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

type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

/** What the steps of an admission share. */
interface Parts {
  readonly options: LimiterOptions
  readonly withStore: WithStore
  readonly clock: Clock.Clock
  readonly waiting: Waiting
  /** This client's attempts sent and not yet over. */
  readonly flight: { count: number }
  /** Milliseconds left of the 429 pause. */
  readonly pauseLeft: Effect.Effect<number>
}

export const make = (
  options: LimiterOptions,
  withStore: WithStore,
  location: () => string,
  clock: Clock.Clock,
  /** The store when it is this process's alone (no Redis): admissions that need no wait skip the Effect machinery. */
  syncStore: (Store & SyncStore) | undefined
) => {
  const parts: Parts = {
    options,
    withStore,
    clock,
    waiting: makeWaiting(),
    flight: { count: 0 },
    pauseLeft: withStore((store) => store.pauseLeft)
  }
  const demands = makeDemands(options, MAX_SCOPES)
  const setGauges = makeBudgetGauges(clock, MAX_SCOPES * 3)

  /** Learns what an answer reported: one step in this process's store, this runs on every answer. */
  const observe = (model: string | undefined, reports: ReadonlyArray<Report>): Effect.Effect<void> => {
    if (reports.length === 0 || !options.adaptive) return Effect.void
    const scope = model ?? "*"
    // The gauges are set in the answering fiber's context, where the metric registry is.
    return syncStore !== undefined
      ? Effect.withFiberSucceed((fiber) => {
        syncStore.learnNow(scope, reports)
        setGauges(scope, reports, fiber.context)
      })
      : Effect.andThen(
        withStore((store) => store.learn(scope, reports)),
        Effect.withFiberSucceed((fiber) => setGauges(scope, reports, fiber.context))
      )
  }

  const snapshot: Effect.Effect<Snapshot> = Effect.flatMap(
    Effect.all([
      parts.pauseLeft,
      // The scopes this client has seen, and those the store learned (from every process sharing it).
      withStore((store) => Effect.flatMap(store.knownScopes, (known) => store.inspect(demands.views(known))))
    ]),
    ([pausedForMs, budgets]) =>
      Effect.succeed({
        store: location(),
        pausedForMs,
        inFlight: parts.flight.count,
        maxConcurrent: options.maxConcurrent,
        waiting: parts.waiting.total(),
        waitingFor: parts.waiting.byReason(),
        budgets
      })
  )

  return { admit: makeAdmit(parts, demands.demandOf, syncStore), observe, snapshot }
}

/**
 * Admits an attempt. Uninterruptible but for its waits: an attempt interrupted while it waits (its caller's
 * timeout, a shutdown) gives back what it holds, as it sent nothing; one interrupted elsewhere would leak it.
 */
const makeAdmit = (parts: Parts, demandOf: (cost: Cost | undefined) => Demand, syncStore: (Store & SyncStore) | undefined) => {
  const { clock, flight, options, withStore } = parts
  const reservations = makeReservations(parts)

  /** One round with the store: admitted, or a wait and another round. */
  const attempt = (demand: Demand, startedAt: number, permit: boolean, restore: Restore): Effect.Effect<Reservation, RateLimit> => {
    let used: Store | undefined
    return Effect.flatMap(
      withStore((store) => {
        used = store
        return store.admit(demand)
      }),
      (admission) => handle(used!, admission, demand, startedAt, permit, restore)
    )
  }
  const permitted = makePermitted(parts, reservations, attempt)
  const handle = makeHandle(parts, reservations.giveBack, permitted, attempt)

  const admitWaiting = (cost: Cost | undefined, permit: boolean): Effect.Effect<Reservation, RateLimit> =>
    Effect.uninterruptibleMask((restore) =>
      attempt(demandOf(cost), clock.currentTimeMillisUnsafe(), permit && options.maxConcurrent !== undefined, restore)
    )

  return (cost: Cost | undefined, permit: boolean): Effect.Effect<Reservation, RateLimit> =>
    syncStore === undefined || (permit && options.maxConcurrent !== undefined)
      ? admitWaiting(cost, permit)
      : Effect.suspend(() => {
        // The common case in one step: admitted at once (nothing in it can be interrupted half-way).
        const demand = demandOf(cost)
        const admission = syncStore.admitNow(demand)
        if (admission._tag !== "Admitted" || admission.waitMs > 0) {
          return Effect.uninterruptibleMask((restore) =>
            handle(syncStore, admission, demand, clock.currentTimeMillisUnsafe(), false, restore)
          )
        }
        flight.count++
        return Effect.succeed(admission.took === false ? reservations.untouched : reservations.settledNow(syncStore, demand))
      })
}

type Attempt = (demand: Demand, startedAt: number, permit: boolean, restore: Restore) => Effect.Effect<Reservation, RateLimit>
type Permitted = (
  store: Store,
  demand: Demand,
  startedAt: number,
  permit: boolean,
  waitedMs: number,
  restore: Restore
) => Effect.Effect<Reservation, RateLimit>

/** The store's answer: a wait and another round, a failure past the bounds, or the reservation. */
const makeHandle = (
  { clock, options: { maxRetryAfterMs, maxWaitMs }, pauseLeft, waiting }: Parts,
  giveBack: (store: Store, demand: Demand) => Effect.Effect<void>,
  permitted: Permitted,
  attempt: Attempt
) =>
(store: Store, admission: Admission, demand: Demand, startedAt: number, permit: boolean, restore: Restore): Effect.Effect<
  Reservation,
  RateLimit
> => {
  const left = startedAt + maxWaitMs - clock.currentTimeMillisUnsafe()
  const again = Effect.suspend(() => attempt(demand, startedAt, permit, restore))
  switch (admission._tag) {
    case "Paused":
      if (admission.ms > maxRetryAfterMs) return Effect.fail(pausedTooLong(admission.ms, maxRetryAfterMs))
      if (admission.ms > left) return Effect.fail(waitedTooLong({ kind: "pause" }, admission.ms, maxWaitMs))
      return Effect.andThen(restore(waiting.wait(admission.ms, "pause")), again)
    case "Held":
      if (admission.ms > left) return Effect.fail(waitedTooLong(admission.holder, admission.ms, maxWaitMs))
      return Effect.andThen(restore(waiting.wait(admission.ms, reasonOf(admission.holder))), again)
    case "Admitted": {
      if (admission.waitMs === 0) return permitted(store, demand, startedAt, permit, 0, restore)
      if (admission.waitMs > left) {
        return Effect.andThen(giveBack(store, demand), Effect.fail(waitedTooLong(admission.holder!, admission.waitMs, maxWaitMs)))
      }
      // A pause that began while this attempt waited holds it too: it gives its budget back and starts over.
      return Effect.andThen(
        Effect.onInterrupt(restore(waiting.wait(admission.waitMs, reasonOf(admission.holder!))), () => giveBack(store, demand)),
        Effect.flatMap(pauseLeft, (paused) =>
          paused > 0
            ? Effect.andThen(giveBack(store, demand), again)
            : permitted(store, demand, startedAt, permit, clock.currentTimeMillisUnsafe() - startedAt, restore))
      )
    }
  }
}

/** Admitted: takes a permit when `max_concurrent` is set, then hands out the reservation. */
const makePermitted = (parts: Parts, reservations: Reservations, attempt: Attempt): Permitted => {
  const { clock, options: { maxConcurrent, maxWaitMs }, pauseLeft, waiting } = parts
  const { giveBack, reservationOf } = reservations
  let holders = 0
  return (store, demand, startedAt, permit, waitedMs, restore) => {
    if (!permit) return reservationOf(store, demand, undefined, waitedMs)
    const holder = `${++holders}`
    const acquire = (waited: boolean): Effect.Effect<Reservation, RateLimit> =>
      Effect.flatMap(
        // A store that cannot count permits right now lets the attempt go: the budget was had.
        Effect.orElseSucceed(store.tryAcquire(holder, maxConcurrent!), () => true),
        (acquired) => {
          const now = clock.currentTimeMillisUnsafe()
          if (acquired) {
            const reserved = reservationOf(store, demand, holder, now - startedAt)
            // A pause that began while this attempt waited for its permit holds it too.
            return waited
              ? Effect.flatMap(pauseLeft, (paused) =>
                paused > 0
                  ? Effect.andThen(
                    Effect.andThen(Effect.ignore(store.release(holder)), giveBack(store, demand)),
                    attempt(demand, startedAt, true, restore)
                  )
                  : reserved)
              : reserved
          }
          const left = startedAt + maxWaitMs - now
          if (left <= 0) {
            return Effect.andThen(
              giveBack(store, demand),
              Effect.fail(waitedTooLong({ kind: "max_concurrent" }, maxWaitMs, maxWaitMs))
            )
          }
          const released = waiting.countedWhile("max_concurrent", Effect.raceFirst(store.permitReleased, Effect.sleep(left)))
          return Effect.andThen(Effect.onInterrupt(restore(released), () => giveBack(store, demand)), acquire(true))
        }
      )
    return acquire(false)
  }
}

type Reservations = ReturnType<typeof makeReservations>

/** Reservations, and the budget given back by an attempt that never went. */
const makeReservations = ({ flight }: Parts) => {
  const countOut = Effect.sync(() => {
    flight.count--
  })
  /** A reservation of the in-process store that took no budget: settling it only counts it out. */
  const untouched: Reservation = { waitedMs: 0, settle: () => countOut }
  return {
    untouched,

    /** A reservation of the in-process store admitted with no wait, settled in one step. */
    settledNow: (syncStore: SyncStore, demand: Demand): Reservation => ({
      waitedMs: 0,
      settle: (usage) =>
        Effect.sync(() => {
          flight.count--
          syncStore.settleNow(demand, usage)
        })
    }),

    giveBack: (store: Store, demand: Demand) =>
      Effect.ignore(store.correct(demand, demand.needs.map((n): Correction => ({ dimension: n.dimension, reserved: n.tokens, used: undefined })), false)),

    reservationOf: (store: Store, demand: Demand, holder: string | undefined, waitedMs: number): Effect.Effect<Reservation> => {
      const reservation = Effect.sync((): Reservation => {
        flight.count++
        return {
          waitedMs,
          settle: (usage) =>
            Effect.suspend(() => {
              flight.count--
              const corrections = demand.needs.length === 0 ? [] : correctionsOf(demand, usage)
              const corrected = corrections.length === 0 ? Effect.void : Effect.ignore(store.correct(demand, corrections, true))
              return holder === undefined ? corrected : Effect.andThen(corrected, Effect.ignore(store.release(holder)))
            })
        }
      })
      return waitedMs > 0 ? Effect.andThen(Metric.update(Metrics.waitTime, waitedMs), reservation) : reservation
    }
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
