/**
 * A real OpenTelemetry SDK for the tests: `@effect/opentelemetry`'s tracer over a Node tracer provider, exporting to
 * memory.
 *
 * Built from the parts `NodeSdk.layer` puts together for traces (`Resource.layerFromEnv`, a `NodeTracerProvider`
 * flushed and shut down with the layer, `OtelTracer.layer`): `@effect/opentelemetry/NodeSdk` 4.x imports its logger
 * module, which needs `@opentelemetry/api-logs` and `@opentelemetry/sdk-logs` (optional peers, not installed here),
 * so the module itself does not load.
 */
import * as OtelTracer from "@effect/opentelemetry/OtelTracer"
import * as Resource from "@effect/opentelemetry/Resource"
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/** An in-memory exporter that keeps its spans when the SDK shuts down (the layer's end), for the test to read. */
export class KeptSpans extends InMemorySpanExporter {
  override shutdown(): Promise<void> {
    return Promise.resolve()
  }
}

/** A Node tracer provider ending every span in `exporter`, flushed and shut down with the layer (as NodeSdk's). */
const tracerProvider = (exporter: InMemorySpanExporter) =>
  Layer.effect(
    OtelTracer.OtelTracerProvider,
    Effect.gen(function*() {
      const resource = yield* Resource.Resource
      return yield* Effect.acquireRelease(
        Effect.sync(() => new NodeTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(exporter)] })),
        (provider) =>
          Effect.promise(() => provider.forceFlush().finally(() => provider.shutdown())).pipe(
            Effect.ignore,
            Effect.interruptible,
            Effect.timeoutOption(3000)
          )
      )
    })
  )

/** The SDK as a layer, every span ending in `exporter` (what `NodeSdk.layer` with a span processor provides). */
export const sdkLayer = (exporter: InMemorySpanExporter): Layer.Layer<OtelTracer.OtelTracer | Resource.Resource> =>
  Layer.provide(OtelTracer.layer, tracerProvider(exporter)).pipe(
    Layer.provideMerge(Resource.layerFromEnv(Resource.configToAttributes({ serviceName: "test" })))
  )
