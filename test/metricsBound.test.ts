/**
 * The metrics' tags come from what the server answers (the answered model): a server answering a new model name on
 * every call must not grow the metric registry for ever. Past 1,000 tag sets the updates go to the untagged metric.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"

// The bound counts the tag sets made by the module: the test files of a worker share their modules, so the module is
// imported here as an instance of its own (a query makes it another module), whatever the files before it recorded.
const ownInstance = "../src/internal/telemetry/genAi.js?metrics-bound"
const { operationDuration, recordCall } = (await import(ownInstance)) as typeof import("../src/internal/telemetry/genAi.js")

/** The tagged metrics of calls to `baseUrl`, of one name or of any. */
const taggedOf = (baseUrl: string, name?: string) =>
  Effect.map(Metric.snapshot, (snapshot) =>
    snapshot.filter((p) =>
      (name === undefined || p.id === name) &&
      p.attributes?.["server.address"] === new URL(baseUrl).hostname
    ))

/** Calls counted by the untagged duration metric: the one the calls past the bound update. */
const untaggedCount = Effect.map(Metric.value(operationDuration), (state) => state.count)

describe("metrics under a hostile server", () => {
  it.effect("a new answered model on each of 1,500 calls: at most 1,000 tagged metrics, the rest counted untagged", () =>
    Effect.gen(function*() {
      const baseUrl = "http://metrics-bound.invalid:1"
      const untaggedBefore = yield* untaggedCount
      // The metrics are recorded in the registry the fiber's context names, as the client's calls do.
      const context = yield* Effect.context<never>()
      for (let i = 0; i < 1500; i++) {
        recordCall(context, "chat", "claude-haiku-4-5", baseUrl, 0.01, { model: `model-${i}`, inputTokens: 1, outputTokens: 1 }, undefined)
      }
      // Each call makes three (its duration, its input and its output tokens) until 1,000 are made.
      expect((yield* taggedOf(baseUrl)).length).toBe(1000)
      const tagged = yield* taggedOf(baseUrl, "gen_ai.client.operation.duration")
      expect(tagged.length).toBe(334)
      expect((yield* untaggedCount) - untaggedBefore).toBe(1500 - tagged.length)
    }).pipe(
      // A registry of the test's own: the metrics recorded by the other files of the worker are not counted.
      Effect.provideService(Metric.MetricRegistry, new Map())
    ))
})
