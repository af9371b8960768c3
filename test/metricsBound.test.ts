/**
 * The metrics' tags come from what the server answers (the answered model): a server answering a new model name on
 * every call must not grow the metric registry for ever. Past 1,000 tag sets the updates go to the untagged metric.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import { recordCall } from "../src/internal/telemetry/genAi.js"

const durationsOf = (baseUrl: string) =>
  Effect.map(Metric.snapshot, (snapshot) =>
    snapshot.filter((p) =>
      p.metricKey.name === "gen_ai.client.operation.duration" &&
      p.metricKey.tags.some((t) => t.key === "server.address" && t.value === new URL(baseUrl).hostname)
    ))

const untaggedCount = Effect.map(Metric.snapshot, (snapshot) => {
  const point = snapshot.find((p) => p.metricKey.name === "gen_ai.client.operation.duration" && p.metricKey.tags.length === 0)
  return point === undefined ? 0 : Number((point.metricState as unknown as { count: number }).count)
})

describe("metrics under a hostile server", () => {
  it.effect("a new answered model on each of 1,500 calls: at most 1,000 tagged metrics, the rest counted untagged", () =>
    Effect.gen(function*() {
      const baseUrl = "http://metrics-bound.invalid:1"
      const untaggedBefore = yield* untaggedCount
      for (let i = 0; i < 1500; i++) {
        recordCall("chat", "claude-haiku-4-5", baseUrl, 0.01, { model: `model-${i}`, inputTokens: 1, outputTokens: 1 }, undefined)
      }
      const tagged = yield* durationsOf(baseUrl)
      expect(tagged.length).toBeGreaterThan(0)
      expect(tagged.length).toBeLessThanOrEqual(1000)
      expect((yield* untaggedCount) - untaggedBefore).toBe(1500 - tagged.length)
    }))
})
