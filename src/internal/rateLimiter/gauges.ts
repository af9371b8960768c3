/**
 * The remaining budget the API reports, as a gauge per scope and dimension: each tagged once, and set at most every
 * {@link GAUGE_EVERY_MS} (an update looks its key up in the metric registry: on every answer it cost more than the
 * rest of the learning), and at once when the budget is gone.
 */
import type * as Clock from "effect/Clock"
import type * as Context from "effect/Context"
import type * as Metric from "effect/Metric"
import * as Metrics from "./metrics.js"
import { type Dimension, LIMIT_NAME, type Report } from "./store.js"

const GAUGE_EVERY_MS = 250

/** Sets the gauges of `scope` from an answer's reports; at most `maxGauges` gauges (scopes are the caller's). */
export const makeBudgetGauges = (clock: Clock.Clock, maxGauges: number) => {
  const gauges = new Map<string, { readonly gauge: Metric.Gauge<number>; at: number }>()
  const setGauge = (scope: string, dimension: Dimension, remaining: number, now: number, context: Context.Context<never>) => {
    const key = `${scope}:${dimension}`
    let entry = gauges.get(key)
    if (entry === undefined) {
      if (gauges.size >= maxGauges) return
      const gauge = Metrics.apiRemainingOf(scope, LIMIT_NAME[dimension])
      gauges.set(key, entry = { gauge, at: -Infinity })
    }
    if (now - entry.at < GAUGE_EVERY_MS && remaining > 0) return
    entry.at = now
    entry.gauge.updateUnsafe(remaining, context)
  }
  /** `context`: the answering fiber's (Effect 4 keeps the metric registry in the context, not in a global). */
  return (scope: string, reports: ReadonlyArray<Report>, context: Context.Context<never>) => {
    const now = clock.currentTimeMillisUnsafe()
    for (const report of reports) {
      if (report.remaining !== undefined) setGauge(scope, report.dimension, report.remaining, now, context)
    }
  }
}
