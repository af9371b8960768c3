/**
 * The remaining budget the API reports, as a gauge per scope and dimension: each tagged once, and set at most every
 * {@link GAUGE_EVERY_MS} (an update looks its key up in the metric registry: on every answer it cost more than the
 * rest of the learning), and at once when the budget is gone.
 */
import type * as Clock from "effect/Clock"
import * as Metric from "effect/Metric"
import * as Metrics from "./metrics.js"
import { type Dimension, LIMIT_NAME, type Report } from "./store.js"

const GAUGE_EVERY_MS = 250

/** Sets the gauges of `scope` from an answer's reports; at most `maxGauges` gauges (scopes are the caller's). */
export const makeBudgetGauges = (clock: Clock.Clock, maxGauges: number) => {
  const gauges = new Map<string, { readonly gauge: Metric.Metric.Gauge<number>; at: number }>()
  const setGauge = (scope: string, dimension: Dimension, remaining: number, now: number) => {
    const key = `${scope}:${dimension}`
    let entry = gauges.get(key)
    if (entry === undefined) {
      if (gauges.size >= maxGauges) return
      const gauge = Metric.tagged(Metric.tagged(Metrics.apiRemaining, "scope", scope), "dimension", LIMIT_NAME[dimension])
      gauges.set(key, entry = { gauge, at: -Infinity })
    }
    if (now - entry.at < GAUGE_EVERY_MS && remaining > 0) return
    entry.at = now
    entry.gauge.unsafeUpdate(remaining, [])
  }
  return (scope: string, reports: ReadonlyArray<Report>) => {
    const now = clock.unsafeCurrentTimeMillis()
    for (const report of reports) {
      if (report.remaining !== undefined) setGauge(scope, report.dimension, report.remaining, now)
    }
  }
}
