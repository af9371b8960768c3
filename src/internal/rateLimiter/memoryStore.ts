/**
 * The budget kept in this process, on Effect's clock: token buckets refilled continuously (a minute's worth each,
 * as the API's own), the per-second slots, the API's reported budget, the 429 pause and the concurrency permits.
 * Every operation is a few map lookups, done synchronously: with nothing configured or learned an admission costs
 * next to nothing. The Redis store keeps the same rules in Lua (`redisStore.ts`).
 *
 * Why not `@effect/experimental`'s `RateLimiter` (which this store used before): its buckets refill in whole tokens
 * and run through an Effect per bucket per call (about 70 µs a call at concurrency 32, measured on the bench's unary
 * row), and its Redis store takes the client's clock.
 */
import * as Deferred from "effect/Deferred"
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import {
  type Admission,
  type BudgetView,
  type Correction,
  type Demand,
  type Dimension,
  DIMENSIONS,
  type Holder,
  MINUTE,
  type Need,
  type Report,
  type Store,
  type SyncStore
} from "./store.js"

/** A token bucket: its level when last touched, and when that was (mutated in place: this runs on every call). */
interface Bucket {
  level: number
  at: number
}

/** The API's word on one dimension: what remains (less what was sent since), until when, of what limit. */
interface ApiBudget {
  remaining: number
  resetAt: number | undefined
  limit: number | undefined
}

/** What is known of one dimension of one scope (a model): the limit learned, its bucket, the API's budget. */
interface Learned {
  limit: number | undefined
  bucket: Bucket | undefined
  api: ApiBudget | undefined
}

type ScopeState = Record<Dimension, Learned>

const newScope = (): ScopeState => ({
  requests: { limit: undefined, bucket: undefined, api: undefined },
  input: { limit: undefined, bucket: undefined, api: undefined },
  output: { limit: undefined, bucket: undefined, api: undefined }
})

/** The level of `bucket` (of `limit` a minute) at `now`, full when never used. */
const levelAt = (bucket: Bucket | undefined, limit: number, now: number): number =>
  bucket === undefined ? limit : Math.min(limit, bucket.level + (Math.max(0, now - bucket.at) * limit) / MINUTE)

/** A reset that has passed refills the API's budget to its limit (unknown: no bound), and nothing holds any more. */
const refreshed = (budget: ApiBudget, now: number): ApiBudget => {
  if (budget.resetAt !== undefined && now >= budget.resetAt) {
    budget.remaining = budget.limit ?? Infinity
    budget.resetAt = undefined
  }
  return budget
}

/** Takes `tokens` (at most the limit: a larger request waits for a full bucket) and returns the wait for them. */
const take = (bucket: Bucket, limit: number, tokens: number, now: number): number => {
  const level = levelAt(bucket, limit, now) - Math.min(tokens, limit)
  bucket.level = level
  bucket.at = now
  return level >= 0 ? 0 : Math.ceil((-level * MINUTE) / limit)
}

/** A bucket that has never been used: full. */
const fullBucket = (limit: number, now: number): Bucket => ({ level: limit, at: now })

const give = (bucket: Bucket | undefined, limit: number, tokens: number, now: number) => {
  if (bucket === undefined) return
  bucket.level = Math.min(limit, levelAt(bucket, limit, now) + tokens)
  bucket.at = now
}

export const make = (clock: Clock.Clock): Store & SyncStore => {
  let pausedUntil = 0
  let nextSlot = 0
  const scopes = new Map<string, ScopeState>()
  const configured = new Map<string, Partial<Record<Dimension, Bucket>>>()
  const holders = new Set<string>()
  let released = Deferred.unsafeMake<void>(FiberId.none)

  const scopeOf = (scope: string): ScopeState => {
    let state = scopes.get(scope)
    if (state === undefined) scopes.set(scope, state = newScope())
    return state
  }
  const configuredOf = (limitScope: string) => {
    let buckets = configured.get(limitScope)
    if (buckets === undefined) configured.set(limitScope, buckets = {})
    return buckets
  }

  const admit = (demand: Demand): Admission => {
    const now = clock.unsafeCurrentTimeMillis()
    if (pausedUntil > now) return { _tag: "Paused", ms: pausedUntil - now }
    const state = demand.needs.length === 0 ? undefined : scopes.get(demand.scope)
    if (state !== undefined) {
      for (const need of demand.needs) {
        const budget = state[need.dimension].api
        if (budget === undefined || need.tokens <= 0) continue
        refreshed(budget, now)
        if (budget.resetAt !== undefined && budget.remaining < Math.min(need.tokens, budget.limit ?? Infinity)) {
          return { _tag: "Held", ms: budget.resetAt - now, holder: { kind: "api", dimension: need.dimension, scope: demand.scope } }
        }
      }
    }
    let waitMs = 0
    let took = false
    // What holds the attempt longest: a holder object is made only for the answer.
    let heldBy: "requests_per_second" | "configured" | "learned" | undefined
    let heldDimension: Dimension = "requests"
    if (demand.slotIntervalMs !== undefined) {
      const next = Math.max(nextSlot, now)
      nextSlot = next + demand.slotIntervalMs
      if (next - now > waitMs) {
        waitMs = next - now
        heldBy = "requests_per_second"
      }
    }
    for (const need of demand.needs) {
      if (need.tokens <= 0) continue
      if (need.configured !== undefined) {
        took = true
        const buckets = configuredOf(demand.limitScope)
        const wait = take(buckets[need.dimension] ??= fullBucket(need.configured, now), need.configured, need.tokens, now)
        if (wait > waitMs) {
          waitMs = wait
          heldBy = "configured"
          heldDimension = need.dimension
        }
      }
      const learned = state?.[need.dimension]
      if (learned === undefined) continue
      if (learned.limit !== undefined) {
        took = true
        const wait = take(learned.bucket ??= fullBucket(learned.limit, now), learned.limit, need.tokens, now)
        if (wait > waitMs) {
          waitMs = wait
          heldBy = "learned"
          heldDimension = need.dimension
        }
      }
      if (learned.api !== undefined) {
        took = true
        learned.api.remaining -= Math.min(need.tokens, learned.api.limit ?? Infinity)
      }
    }
    const holder: Holder | undefined = heldBy === undefined
      ? undefined
      : heldBy === "requests_per_second"
      ? { kind: heldBy }
      : { kind: heldBy, dimension: heldDimension, scope: heldBy === "configured" ? demand.limitScope : demand.scope }
    return { _tag: "Admitted", waitMs, holder, took }
  }

  /** One dimension's correction: each budget took at most its limit, and is corrected against what was used. */
  const correctOne = (demand: Demand, need: Need, state: ScopeState | undefined, used: number, sent: boolean, now: number) => {
    const reserved = need.tokens
    const adjust = (limit: number) => Math.min(reserved, limit) - Math.min(used, limit)
    if (need.configured !== undefined) give(configured.get(demand.limitScope)?.[need.dimension], need.configured, adjust(need.configured), now)
    const learned = state?.[need.dimension]
    if (learned === undefined) return
    if (learned.limit !== undefined) give(learned.bucket, learned.limit, adjust(learned.limit), now)
    if (!sent && learned.api !== undefined) learned.api.remaining += adjust(learned.api.limit ?? Infinity)
  }

  const settleNow: SyncStore["settleNow"] = (demand, usage) => {
    const now = clock.unsafeCurrentTimeMillis()
    const state = scopes.get(demand.scope)
    for (const need of demand.needs) {
      // A request sent is a request counted: only tokens are corrected.
      if (need.dimension === "requests" || need.tokens <= 0) continue
      const used = usage === undefined ? 0 : need.dimension === "input" ? usage.inputTokens : usage.outputTokens
      if (used !== need.tokens) correctOne(demand, need, state, used, true, now)
    }
  }

  const correct = (demand: Demand, corrections: ReadonlyArray<Correction>, sent: boolean) => {
    const now = clock.unsafeCurrentTimeMillis()
    const state = scopes.get(demand.scope)
    for (const { dimension, reserved, used } of corrections) {
      const need = demand.needs.find((n) => n.dimension === dimension)
      correctOne(demand, need ?? { dimension, tokens: reserved, configured: undefined }, state, used ?? 0, sent, now)
    }
  }

  const learn = (scope: string, reports: ReadonlyArray<Report>) => {
    const now = clock.unsafeCurrentTimeMillis()
    const state = scopeOf(scope)
    for (const report of reports) {
      const learned = state[report.dimension]
      if (report.limit !== undefined) learned.limit = report.limit
      if (report.remaining === undefined) continue
      const resetAt = report.resetAtMs !== undefined && report.resetAtMs > now ? report.resetAtMs : undefined
      const limit = report.limit ?? learned.api?.limit
      if (learned.api === undefined) learned.api = { remaining: report.remaining, resetAt, limit }
      else {
        learned.api.remaining = report.remaining
        learned.api.resetAt = resetAt
        learned.api.limit = limit
      }
    }
  }

  const inspect: Store["inspect"] = (wanted) =>
    Effect.sync(() => {
      const now = clock.unsafeCurrentTimeMillis()
      const views: Array<BudgetView> = []
      for (const { configured: limits, limitScope, scope } of wanted) {
        for (const dimension of DIMENSIONS) {
          const limit = limits[dimension]
          const learned = scopes.get(scope)?.[dimension]
          if (limit === undefined && learned?.limit === undefined && learned?.api === undefined) continue
          const api = learned?.api === undefined ? undefined : refreshed({ ...learned.api }, now)
          views.push({
            scope,
            dimension,
            configured: limit === undefined
              ? undefined
              : { limit, available: levelAt(configured.get(limitScope)?.[dimension], limit, now) },
            learned: learned?.limit === undefined
              ? undefined
              : { limit: learned.limit, available: levelAt(learned.bucket, learned.limit, now) },
            api: api === undefined ? undefined : { remaining: api.remaining, resetAtMs: api.resetAt }
          })
        }
      }
      return views
    })

  return {
    location: "memory (this process)",
    admitNow: admit,
    settleNow,
    learnNow: learn,
    admit: (demand) => Effect.sync(() => admit(demand)),
    correct: (demand, corrections, sent) => Effect.sync(() => correct(demand, corrections, sent)),
    learn: (scope, reports) => Effect.sync(() => learn(scope, reports)),
    pauseLeft: Effect.sync(() => Math.max(0, pausedUntil - clock.unsafeCurrentTimeMillis())),
    pauseFor: (ms) =>
      Effect.sync(() => {
        pausedUntil = Math.max(pausedUntil, clock.unsafeCurrentTimeMillis() + ms)
      }),
    tryAcquire: (holder, limit) =>
      Effect.sync(() => {
        if (holders.size >= limit) return false
        holders.add(holder)
        return true
      }),
    release: (holder) =>
      Effect.sync(() => {
        if (!holders.delete(holder)) return
        // Wakes every waiter; each tries again (the first one in gets the permit).
        const woken = released
        released = Deferred.unsafeMake<void>(FiberId.none)
        Deferred.unsafeDone(woken, Effect.void)
      }),
    permitReleased: Effect.suspend(() => Deferred.await(released)),
    knownScopes: Effect.sync(() => [...scopes.keys()]),
    inspect
  }
}
