/**
 * The attempts waiting for the limiter, counted by what holds them (a snapshot's `waiting` and `waitingFor`, the
 * `waiting` gauge).
 */
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as Metrics from "./metrics.js"

export const makeWaiting = () => {
  let total = 0
  const byReason = new Map<string, number>()

  /** Counts `effect` as waiting for `reason` while it runs. */
  const countedWhile = <A>(reason: string, effect: Effect.Effect<A>): Effect.Effect<A> =>
    Effect.suspend(() => {
      total++
      byReason.set(reason, (byReason.get(reason) ?? 0) + 1)
      return Effect.ensuring(Effect.andThen(Metric.update(Metrics.waiting, total), effect), done(reason))
    })

  const done = (reason: string) =>
    Effect.suspend(() => {
      total--
      const left = byReason.get(reason)! - 1
      if (left === 0) byReason.delete(reason)
      else byReason.set(reason, left)
      return Metric.update(Metrics.waiting, total)
    })

  return {
    countedWhile,
    /** A sleep of `ms`, counted as waiting for `reason`. */
    wait: (ms: number, reason: string): Effect.Effect<void> => countedWhile(reason, Effect.sleep(ms)),
    total: () => total,
    byReason: (): Readonly<Record<string, number>> => Object.fromEntries(byReason)
  }
}
