/**
 * A real OpenTelemetry SDK for the tests: `@effect/opentelemetry`'s NodeSdk exporting to memory.
 */
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"

/** An in-memory exporter that keeps its spans when the SDK shuts down (the layer's end), for the test to read. */
export class KeptSpans extends InMemorySpanExporter {
  override shutdown(): Promise<void> {
    return Promise.resolve()
  }
}

/** The SDK as a layer, every span ending in `exporter`. */
export const sdkLayer = (exporter: InMemorySpanExporter) =>
  NodeSdk.layer(() => ({ resource: { serviceName: "test" }, spanProcessor: new SimpleSpanProcessor(exporter) }))
