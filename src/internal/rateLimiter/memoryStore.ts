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
  type Report,
  type Store
} from "./store.js"

/** A token bucket: its level when last touched, and when that was. */
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

export const make = (clock: Clock.Clock): Store => {
  let pausedUntil = 0
  const slots = new Map<string, number>()
  const buckets = new Map<string, Bucket>()
  const learned = new Map<string, number>()
  const api = new Map<string, ApiBudget>()
  const holders = new Set<string>()
  let released = Deferred.unsafeMake<void>(FiberId.none)

  /** Takes `tokens` (at most the limit: a larger request waits for a full bucket) and returns the wait for them. */
  const take = (key: string, limit: number, tokens: number, now: number): number => {
    const level = levelAt(buckets.get(key), limit, now) - Math.min(tokens, limit)
    buckets.set(key, { level, at: now })
    return level >= 0 ? 0 : Math.ceil((-level * MINUTE) / limit)
  }
  const give = (key: string, limit: number, tokens: number, now: number) => {
    const bucket = buckets.get(key)
    if (bucket !== undefined) buckets.set(key, { level: Math.min(limit, levelAt(bucket, limit, now) + tokens), at: now })
  }
  const configuredKey = (demand: Demand, dimension: Dimension) => `c:${demand.limitScope}:${dimension}`
  const scopedKey = (scope: string, dimension: Dimension) => `${scope}:${dimension}`

  const admit = (demand: Demand): Admission => {
    const now = clock.unsafeCurrentTimeMillis()
    if (pausedUntil > now) return { _tag: "Paused", ms: pausedUntil - now }
    for (const need of demand.needs) {
      const budget = api.get(scopedKey(demand.scope, need.dimension))
      if (budget === undefined || need.tokens <= 0) continue
      refreshed(budget, now)
      if (budget.resetAt !== undefined && budget.remaining < Math.min(need.tokens, budget.limit ?? Infinity)) {
        return { _tag: "Held", ms: budget.resetAt - now, holder: { kind: "api", dimension: need.dimension, scope: demand.scope } }
      }
    }
    let waitMs = 0
    let holder: Holder | undefined
    const longer = (ms: number, by: Holder) => {
      if (ms > waitMs) {
        waitMs = ms
        holder = by
      }
    }
    if (demand.slotIntervalMs !== undefined) {
      const next = Math.max(slots.get("rps") ?? 0, now)
      slots.set("rps", next + demand.slotIntervalMs)
      longer(next - now, { kind: "requests_per_second" })
    }
    for (const need of demand.needs) {
      if (need.tokens <= 0) continue
      if (need.configured !== undefined) {
        longer(take(configuredKey(demand, need.dimension), need.configured, need.tokens, now), {
          kind: "configured",
          dimension: need.dimension,
          scope: demand.limitScope
        })
      }
      const key = scopedKey(demand.scope, need.dimension)
      const limit = learned.get(key)
      if (limit !== undefined) {
        longer(take(`l:${key}`, limit, need.tokens, now), { kind: "learned", dimension: need.dimension, scope: demand.scope })
      }
      const budget = api.get(key)
      if (budget !== undefined) budget.remaining -= Math.min(need.tokens, budget.limit ?? Infinity)
    }
    return { _tag: "Admitted", waitMs, holder }
  }

  const correct = (demand: Demand, corrections: ReadonlyArray<Correction>) => {
    const now = clock.unsafeCurrentTimeMillis()
    for (const { dimension, reserved, used } of corrections) {
      const need = demand.needs.find((n) => n.dimension === dimension)
      // Each budget took at most its limit: give back (or take more of) what it took, against what was used.
      const adjust = (limit: number) => Math.min(reserved, limit) - Math.min(used ?? 0, limit)
      if (need?.configured !== undefined) give(configuredKey(demand, dimension), need.configured, adjust(need.configured), now)
      const key = scopedKey(demand.scope, dimension)
      const limit = learned.get(key)
      if (limit !== undefined) give(`l:${key}`, limit, adjust(limit), now)
      const budget = api.get(key)
      if (budget !== undefined) budget.remaining += adjust(budget.limit ?? Infinity)
    }
  }

  const learn = (scope: string, reports: ReadonlyArray<Report>) => {
    const now = clock.unsafeCurrentTimeMillis()
    for (const report of reports) {
      const key = scopedKey(scope, report.dimension)
      if (report.limit !== undefined) learned.set(key, report.limit)
      if (report.remaining === undefined) continue
      const limit = report.limit ?? api.get(key)?.limit
      api.set(key, {
        remaining: report.remaining,
        resetAt: report.resetAtMs !== undefined && report.resetAtMs > now ? report.resetAtMs : undefined,
        limit
      })
    }
  }

  const inspect: Store["inspect"] = (scopes) =>
    Effect.sync(() => {
      const now = clock.unsafeCurrentTimeMillis()
      const views: Array<BudgetView> = []
      for (const { configured, limitScope, scope } of scopes) {
        for (const dimension of DIMENSIONS) {
          const limit = configured[dimension]
          const key = scopedKey(scope, dimension)
          const learnedLimit = learned.get(key)
          const budget = api.get(key)
          if (limit === undefined && learnedLimit === undefined && budget === undefined) continue
          const current = budget === undefined ? undefined : refreshed({ ...budget }, now)
          views.push({
            scope,
            dimension,
            configured: limit === undefined
              ? undefined
              : { limit, available: levelAt(buckets.get(`c:${limitScope}:${dimension}`), limit, now) },
            learned: learnedLimit === undefined
              ? undefined
              : { limit: learnedLimit, available: levelAt(buckets.get(`l:${key}`), learnedLimit, now) },
            api: current === undefined ? undefined : { remaining: current.remaining, resetAtMs: current.resetAt }
          })
        }
      }
      return views
    })

  return {
    location: "memory (this process)",
    admit: (demand) => Effect.sync(() => admit(demand)),
    correct: (demand, corrections) => Effect.sync(() => correct(demand, corrections)),
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
    inspect
  }
}
