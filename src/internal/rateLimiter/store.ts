/**
 * What a budget store does (in this process, or in Redis for a fleet), in one vocabulary both stores share: an
 * attempt's admission in one step, the corrections when its answer is in, what the API's headers taught, the 429
 * pause, and the concurrency permits. The two stores keep the same rules; `memoryStore.ts` is their reference, and
 * `redisStore.ts` runs them in Lua on Redis's clock.
 */
import type * as Effect from "effect/Effect"

/** The dimensions of the API's per-minute limits. */
export type Dimension = "requests" | "input" | "output"

export const DIMENSIONS: ReadonlyArray<Dimension> = ["requests", "input", "output"]

/** The config key of each dimension, for messages and snapshots. */
export const LIMIT_NAME: Readonly<Record<Dimension, string>> = {
  requests: "requests_per_minute",
  input: "input_tokens_per_minute",
  output: "output_tokens_per_minute"
}

/** The window of every per-minute limit. */
export const MINUTE = 60_000

/** One dimension of an attempt: what it needs, and the limit configured for it (if any). */
export interface Need {
  readonly dimension: Dimension
  readonly tokens: number
  /** The configured limit of `limitScope` for this dimension. */
  readonly configured: number | undefined
}

/**
 * An attempt asking to be sent. `scope` is what the API's limits are learned for (the model, or `*`);
 * `limitScope` is where the configured limits live (`rate_limit.models.<model>`, or `*`).
 */
export interface Demand {
  readonly scope: string
  readonly limitScope: string
  readonly needs: ReadonlyArray<Need>
  /** `1000 / requests_per_second`: the spacing of the per-second slots, when configured. */
  readonly slotIntervalMs: number | undefined
}

/** What held an attempt: the 429 pause, a limit of this client's, or the budget the API reported. */
export type Holder =
  | { readonly kind: "pause" }
  | { readonly kind: "requests_per_second" }
  | { readonly kind: "configured"; readonly dimension: Dimension; readonly scope: string }
  | { readonly kind: "learned"; readonly dimension: Dimension; readonly scope: string }
  | { readonly kind: "api"; readonly dimension: Dimension; readonly scope: string }
  | { readonly kind: "max_concurrent" }

/**
 * The store's answer to a demand. `Paused` and `Held` took nothing: wait `ms`, then ask again. `Admitted` took a
 * slot and the budget; the attempt may go after `waitMs` (its tokens borrowed from the future, as a token bucket
 * lets a request wait for the refill it has reserved).
 */
export type Admission =
  | { readonly _tag: "Paused"; readonly ms: number }
  | { readonly _tag: "Held"; readonly ms: number; readonly holder: Holder }
  | {
    readonly _tag: "Admitted"
    readonly waitMs: number
    readonly holder: Holder | undefined
    /** `false` when no budget was taken (nothing configured or learned for the scope): nothing to correct. */
    readonly took?: boolean | undefined
  }

/** What an answer used against what was reserved, per dimension: `used` undefined gives everything back. */
export interface Correction {
  readonly dimension: Dimension
  readonly reserved: number
  readonly used: number | undefined
}

/** What one answer's headers reported for one dimension. */
export interface Report {
  readonly dimension: Dimension
  readonly limit: number | undefined
  readonly remaining: number | undefined
  readonly resetAtMs: number | undefined
}

/** One budget as the store sees it now, for snapshots. */
export interface BudgetView {
  readonly scope: string
  readonly dimension: Dimension
  /** The configured limit (of the scope's limit scope) and what its bucket holds now. */
  readonly configured?: { readonly limit: number; readonly available: number } | undefined
  /** The limit learned from the API and what its bucket holds now. */
  readonly learned?: { readonly limit: number; readonly available: number } | undefined
  /** What the API last reported remaining (less what was sent since), and when it said it is full again. */
  readonly api?: { readonly remaining: number; readonly resetAtMs: number | undefined } | undefined
}

/** The tokens an answer used. */
export interface Usage {
  readonly inputTokens: number
  readonly outputTokens: number
}

/** A scope whose budgets are wanted: the model's, the configured limits' scope and their limits. */
export interface ScopeWanted {
  readonly scope: string
  readonly limitScope: string
  readonly configured: Readonly<Partial<Record<Dimension, number>>>
}

/** A store of budgets. Every operation fails with `StoreDown` when it cannot be done (Redis away or misbehaving). */
export interface Store {
  /** Where the budget lives, for `status` (never a password). */
  readonly location: string
  readonly admit: (demand: Demand) => Effect.Effect<Admission, StoreDown>
  /**
   * Gives back or corrects what an admitted demand took. The API's reported budget is given back only for an
   * attempt that was never `sent`: once sent, the API's next report says what it counted.
   */
  readonly correct: (demand: Demand, corrections: ReadonlyArray<Correction>, sent: boolean) => Effect.Effect<void, StoreDown>
  /** Learns what an answer's headers reported for `scope`. */
  readonly learn: (scope: string, reports: ReadonlyArray<Report>) => Effect.Effect<void, StoreDown>
  /** Milliseconds left of the current 429 pause (0: none). */
  readonly pauseLeft: Effect.Effect<number, StoreDown>
  /** Pauses every call for `ms` (never shortening a longer pause). */
  readonly pauseFor: (ms: number) => Effect.Effect<void, StoreDown>
  /** Takes one of `limit` concurrency permits for `holder` if one is free. */
  readonly tryAcquire: (holder: string, limit: number) => Effect.Effect<boolean, StoreDown>
  readonly release: (holder: string) => Effect.Effect<void, StoreDown>
  /** Waits until a permit may have been freed (this process's next release; for Redis, a short poll). */
  readonly permitReleased: Effect.Effect<void>
  /** The scopes the store has learned something about (from any process sharing it), at most a few hundred. */
  readonly knownScopes: Effect.Effect<ReadonlyArray<string>, StoreDown>
  /** The budgets of these scopes as they are now. */
  readonly inspect: (scopes: ReadonlyArray<ScopeWanted>) => Effect.Effect<ReadonlyArray<BudgetView>, StoreDown>
}

/**
 * The in-process store's operations done at once, for the limiter's fast path: an attempt admitted with no wait
 * costs no Effect step of its own, and its settlement one.
 */
export interface SyncStore {
  readonly admitNow: (demand: Demand) => Admission
  /** Corrects a sent attempt from what its answer used (`undefined`: nothing), with no correction list made. */
  readonly settleNow: (demand: Demand, usage: Usage | undefined) => void
  readonly learnNow: (scope: string, reports: ReadonlyArray<Report>) => void
}

/** The store could not do an operation: Redis unreachable, or answering what the store did not write. */
export class StoreDown {
  readonly _tag = "StoreDown"
  constructor(
    readonly reason: string,
    /** `garbage`: Redis answered, but with something the store did not write (a corrupted or foreign key). */
    readonly kind: "unreachable" | "garbage" = "unreachable"
  ) {}
}
