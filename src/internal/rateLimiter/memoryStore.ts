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
  type ScopeWanted,
  type Store,
  type SyncStore,
  type Usage
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

/** Everything the store knows (mutated in place: admissions run on every call). */
interface State {
  pausedUntil: number
  nextSlot: number
  /** What was learned of each scope (a model) from the API's answers. */
  readonly scopes: Map<string, ScopeState>
  /** The configured limits' buckets, per limit scope. */
  readonly configured: Map<string, Partial<Record<Dimension, Bucket>>>
  /** Who holds a concurrency permit. */
  readonly holders: Set<string>
  /** Completed (and replaced) whenever a permit is released. */
  released: Deferred.Deferred<void>
}

const scopeOf = (state: State, scope: string): ScopeState => {
  let learned = state.scopes.get(scope)
  if (learned === undefined) state.scopes.set(scope, learned = newScope())
  return learned
}

const configuredOf = (state: State, limitScope: string): Partial<Record<Dimension, Bucket>> => {
  let buckets = state.configured.get(limitScope)
  if (buckets === undefined) state.configured.set(limitScope, buckets = {})
  return buckets
}

/** The API's own budget, when it says a need cannot be met before its reset: the attempt is held until then. */
const heldByApi = (demand: Demand, learned: ScopeState | undefined, now: number): Admission | undefined => {
  if (learned === undefined) return undefined
  for (const need of demand.needs) {
    const budget = learned[need.dimension].api
    if (budget === undefined || need.tokens <= 0) continue
    refreshed(budget, now)
    if (budget.resetAt !== undefined && budget.remaining < Math.min(need.tokens, budget.limit ?? Infinity)) {
      return { _tag: "Held", ms: budget.resetAt - now, holder: { kind: "api", dimension: need.dimension, scope: demand.scope } }
    }
  }
  return undefined
}

/** An admission: the demand taken from every budget it touches, and the longest wait any of them asks for. */
const admit = (state: State, demand: Demand, now: number): Admission => {
  if (state.pausedUntil > now) return { _tag: "Paused", ms: state.pausedUntil - now }
  const learnedAll = demand.needs.length === 0 ? undefined : state.scopes.get(demand.scope)
  const held = heldByApi(demand, learnedAll, now)
  if (held !== undefined) return held
  let waitMs = 0
  let took = false
  // What holds the attempt longest: a holder object is made only for the answer.
  let heldBy: "requests_per_second" | "configured" | "learned" | undefined
  let heldDimension: Dimension = "requests"
  if (demand.slotIntervalMs !== undefined) {
    const next = Math.max(state.nextSlot, now)
    state.nextSlot = next + demand.slotIntervalMs
    if (next - now > waitMs) {
      waitMs = next - now
      heldBy = "requests_per_second"
    }
  }
  for (const need of demand.needs) {
    if (need.tokens <= 0) continue
    if (need.configured !== undefined) {
      took = true
      const buckets = configuredOf(state, demand.limitScope)
      const wait = take(buckets[need.dimension] ??= fullBucket(need.configured, now), need.configured, need.tokens, now)
      if (wait > waitMs) {
        waitMs = wait
        heldBy = "configured"
        heldDimension = need.dimension
      }
    }
    const learned = learnedAll?.[need.dimension]
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
const correctOne = (
  state: State,
  demand: Demand,
  need: Need,
  used: number,
  sent: boolean,
  now: number
) => {
  const reserved = need.tokens
  const adjust = (limit: number) => Math.min(reserved, limit) - Math.min(used, limit)
  if (need.configured !== undefined) {
    give(state.configured.get(demand.limitScope)?.[need.dimension], need.configured, adjust(need.configured), now)
  }
  const learned = state.scopes.get(demand.scope)?.[need.dimension]
  if (learned === undefined) return
  if (learned.limit !== undefined) give(learned.bucket, learned.limit, adjust(learned.limit), now)
  if (!sent && learned.api !== undefined) learned.api.remaining += adjust(learned.api.limit ?? Infinity)
}

/** A sent request's tokens corrected against its usage (a request sent is a request counted). */
const settle = (state: State, demand: Demand, usage: Usage | undefined, now: number) => {
  for (const need of demand.needs) {
    if (need.dimension === "requests" || need.tokens <= 0) continue
    const used = usage === undefined ? 0 : need.dimension === "input" ? usage.inputTokens : usage.outputTokens
    if (used !== need.tokens) correctOne(state, demand, need, used, true, now)
  }
}

const correct = (state: State, demand: Demand, corrections: ReadonlyArray<Correction>, sent: boolean, now: number) => {
  for (const { dimension, reserved, used } of corrections) {
    const need = demand.needs.find((n) => n.dimension === dimension)
    correctOne(state, demand, need ?? { dimension, tokens: reserved, configured: undefined }, used ?? 0, sent, now)
  }
}

/** What the API's headers said of a scope's limits and what remains of them. */
const learn = (state: State, scope: string, reports: ReadonlyArray<Report>, now: number) => {
  const learnedAll = scopeOf(state, scope)
  for (const report of reports) {
    const learned = learnedAll[report.dimension]
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

/** Each budget of the scopes wanted, as it stands at `now`. */
const viewsOf = (state: State, wanted: ReadonlyArray<ScopeWanted>, now: number): Array<BudgetView> => {
  const views: Array<BudgetView> = []
  for (const { configured: limits, limitScope, scope } of wanted) {
    for (const dimension of DIMENSIONS) {
      const limit = limits[dimension]
      const learned = state.scopes.get(scope)?.[dimension]
      if (limit === undefined && learned?.limit === undefined && learned?.api === undefined) continue
      const api = learned?.api === undefined ? undefined : refreshed({ ...learned.api }, now)
      views.push({
        scope,
        dimension,
        configured: limit === undefined
          ? undefined
          : { limit, available: levelAt(state.configured.get(limitScope)?.[dimension], limit, now) },
        learned: learned?.limit === undefined
          ? undefined
          : { limit: learned.limit, available: levelAt(learned.bucket, learned.limit, now) },
        api: api === undefined ? undefined : { remaining: api.remaining, resetAtMs: api.resetAt }
      })
    }
  }
  return views
}

/** Wakes every waiter for a permit; each tries again (the first one in gets it). */
const release = (state: State, holder: string) => {
  if (!state.holders.delete(holder)) return
  const woken = state.released
  state.released = Deferred.makeUnsafe<void>()
  Deferred.doneUnsafe(woken, Effect.void)
}

export const make = (clock: Clock.Clock): Store & SyncStore => {
  const state: State = {
    pausedUntil: 0,
    nextSlot: 0,
    scopes: new Map(),
    configured: new Map(),
    holders: new Set(),
    released: Deferred.makeUnsafe<void>()
  }
  const now = () => clock.currentTimeMillisUnsafe()
  return {
    location: "memory (this process)",
    admitNow: (demand) => admit(state, demand, now()),
    settleNow: (demand, usage) => settle(state, demand, usage, now()),
    learnNow: (scope, reports) => learn(state, scope, reports, now()),
    admit: (demand) => Effect.sync(() => admit(state, demand, now())),
    correct: (demand, corrections, sent) => Effect.sync(() => correct(state, demand, corrections, sent, now())),
    learn: (scope, reports) => Effect.sync(() => learn(state, scope, reports, now())),
    pauseLeft: Effect.sync(() => Math.max(0, state.pausedUntil - now())),
    pauseFor: (ms) =>
      Effect.sync(() => {
        state.pausedUntil = Math.max(state.pausedUntil, now() + ms)
      }),
    tryAcquire: (holder, limit) =>
      Effect.sync(() => {
        if (state.holders.size >= limit) return false
        state.holders.add(holder)
        return true
      }),
    release: (holder) => Effect.sync(() => release(state, holder)),
    permitReleased: Effect.suspend(() => Deferred.await(state.released)),
    knownScopes: Effect.sync(() => [...state.scopes.keys()]),
    inspect: (wanted) => Effect.sync(() => viewsOf(state, wanted, now()))
  }
}
