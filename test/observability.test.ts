/**
 * Spans and metrics through a real OpenTelemetry SDK (`@effect/opentelemetry`'s NodeSdk, an in-memory exporter):
 * a `chat {model}` span of kind CLIENT per Messages call with the GenAI convention's attributes, a stream's span
 * ended with the stream and carrying its time to first token, a failure's `error.type` and error status, retries as
 * events, spans for the other calls, the convention's metrics; and no secret anywhere.
 */
import { describe, expect, it } from "@effect/vitest"
import { SpanKind, SpanStatusCode } from "@opentelemetry/api"
import { BasicTracerProvider, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Stream from "effect/Stream"
import * as AnthropicClient from "../src/AnthropicClient.js"
import * as Messages from "../src/Messages.js"
import * as Models from "../src/Models.js"
import * as StandIn from "../src/testing/StandIn.js"
import { API_KEY, hello } from "./fixtures.js"
import { KeptSpans, sdkLayer } from "./otel.js"

const require_tmp = () => process.env.TMPDIR ?? "/tmp"

/** A stand-in, the client over it, and an OpenTelemetry SDK exporting to memory; `spans()` once the program is done. */
const traced = <A, E>(
  program: (standIn: StandIn.StandIn) => Effect.Effect<A, E, AnthropicClient.AnthropicClient>,
  replies: ReadonlyArray<StandIn.Reply> = []
) =>
  Effect.gen(function*() {
    const exporter = new KeptSpans()
    const standIn = yield* StandIn.scoped({ replies })
    const client = AnthropicClient.layerFile({ config: { providers: { anthropic: { api_key: API_KEY, base_url: standIn.url } } }, env: {} })
    const sdk = sdkLayer(exporter)
    const result = yield* Effect.result(Effect.provide(program(standIn), Layer.merge(client, sdk)))
    return { result, spans: exporter.getFinishedSpans(), standIn }
  })

const named = (spans: ReadonlyArray<ReadableSpan>, name: string) => {
  const found = spans.filter((s) => s.name === name)
  expect(found.map((s) => s.name), spans.map((s) => s.name).join(", ")).toEqual([name])
  return found[0]!
}

/** How many retries the counter has seen for `cause`. */
const retriesOf = (cause: string) =>
  Effect.map(Metric.snapshot, (snapshot) => {
    const point = snapshot.find((p) => p.id === "effect_anthropic.client.retries" && p.attributes?.["error.type"] === cause)
    return point === undefined ? 0 : Number((point.state as unknown as { count: number }).count)
  })

describe("observability", () => {
  it.live("createMessage: a chat span of kind CLIENT with the convention's attributes, and no secret", () =>
    Effect.gen(function*() {
      const { spans, standIn } = yield* traced(() =>
        Messages.create({ ...hello, max_tokens: 32, temperature: 0.5, stop_sequences: ["END"] })
      )
      const span = named(spans, `chat ${hello.model}`)
      expect(span.kind).toBe(SpanKind.CLIENT)
      const port = Number(new URL(standIn.url).port)
      expect(span.attributes).toMatchObject({
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "anthropic",
        "gen_ai.request.model": hello.model,
        "gen_ai.request.max_tokens": 32,
        "gen_ai.request.temperature": 0.5,
        "gen_ai.request.stop_sequences": ["END"],
        // The API answers with the model the alias stands for.
        "gen_ai.response.model": "claude-haiku-4-5-20251001",
        "gen_ai.response.finish_reasons": ["end_turn"],
        "server.address": "127.0.0.1",
        "server.port": port
      })
      expect(span.attributes["gen_ai.response.id"]).toMatch(/^msg_/)
      expect(span.attributes["gen_ai.usage.input_tokens"]).toBeGreaterThan(0)
      expect(span.attributes["gen_ai.usage.output_tokens"]).toBeGreaterThan(0)
      expect(span.status.code).not.toBe(SpanStatusCode.ERROR)
      const everything = JSON.stringify(spans.map((s) => [s.name, s.attributes, s.events]))
      expect(everything).not.toContain(API_KEY)
      expect(everything).not.toContain("hello")
    }))

  it.live("a stream: its span ends with the stream and carries the time to first token and the usage", () =>
    Effect.gen(function*() {
      const { spans } = yield* traced(() => Stream.runDrain(Messages.stream(hello)), [
        StandIn.streamText("streamed words", { piecesPerBlock: 3 })
      ])
      const span = named(spans, `chat ${hello.model}`)
      expect(span.kind).toBe(SpanKind.CLIENT)
      expect(span.attributes["gen_ai.response.finish_reasons"]).toEqual(["end_turn"])
      expect(span.attributes["gen_ai.usage.output_tokens"]).toBeGreaterThan(0)
      expect(span.attributes["effect_anthropic.time_to_first_token"]).toBeGreaterThanOrEqual(0)
      expect(span.ended).toBe(true)
    }))

  it.live("a stream dropped after its first events still ends its span", () =>
    Effect.gen(function*() {
      const { spans } = yield* traced(() => Stream.runDrain(Stream.take(Messages.stream(hello), 2)), [
        StandIn.streamText("dropped early", { piecesPerBlock: 3 })
      ])
      const span = named(spans, `chat ${hello.model}`)
      expect(span.ended).toBe(true)
      expect(span.attributes["error.type"]).toBeUndefined()
    }))

  it.live("a stream whose first attempt breaks before any event is retried: its span shows the retry, not a failure", () =>
    Effect.gen(function*() {
      const overloaded = StandIn.sse([
        { event: "ping", data: { type: "ping" } },
        { event: "error", data: { type: "error", error: { type: "overloaded_error", message: "overloaded at the start" } } }
      ])
      const { result, spans } = yield* traced(() => Stream.runDrain(Messages.stream(hello)), [
        { type: "stream", body: overloaded },
        StandIn.streamText("after the retry")
      ])
      expect(result._tag).toBe("Success")
      const span = named(spans, `chat ${hello.model}`)
      expect(span.attributes["error.type"]).toBeUndefined()
      expect(span.status.code).not.toBe(SpanStatusCode.ERROR)
      expect(span.events.map((e) => e.name)).toContain("retry")
      expect(span.attributes["gen_ai.response.finish_reasons"]).toEqual(["end_turn"])
    }))

  it.live("a failure: error.type is the error's tag, the status an error; a retry is an event with its status and delay", () =>
    Effect.gen(function*() {
      const { result, spans } = yield* traced(() => Messages.create(hello), [
        StandIn.error(429, { retryAfterMs: "5" }),
        StandIn.error(400, { message: "bad request" })
      ])
      expect(result._tag).toBe("Failure")
      const span = named(spans, `chat ${hello.model}`)
      expect(span.attributes["error.type"]).toBe("Other")
      expect(span.attributes["http.response.status_code"]).toBe(400)
      expect(span.status.code).toBe(SpanStatusCode.ERROR)
      const retry = span.events.find((e) => e.name === "retry")
      expect(retry?.attributes).toMatchObject({
        "error.type": "RateLimit",
        "http.response.status_code": 429,
        "effect_anthropic.retry.attempt": 1,
        "effect_anthropic.retry.delay_ms": 5
      })
    }))

  it.live("count_tokens and the other calls get spans of their own", () =>
    Effect.gen(function*() {
      const { result, spans } = yield* traced((standIn) =>
        Effect.zip(
          Messages.countTokens({ model: hello.model, messages: hello.messages }),
          Effect.zip(Models.retrieve(standIn.models[0]!.id), Stream.runDrain(Models.list({ limit: 50 })))
        )
      )
      expect(result._tag, JSON.stringify(result)).toBe("Success")
      expect(named(spans, `count_tokens ${hello.model}`).attributes["gen_ai.operation.name"]).toBe("count_tokens")
      expect(named(spans, "anthropic.models.retrieve").kind).toBe(SpanKind.CLIENT)
      expect(named(spans, "anthropic.models.list").kind).toBe(SpanKind.CLIENT)
    }))

  it.live("a wait for the rate limiter is an event on the call's span, with its milliseconds", () =>
    Effect.gen(function*() {
      const exporter = new KeptSpans()
      const standIn = yield* StandIn.scoped()
      const client = AnthropicClient.layerFile({
        config: { providers: { anthropic: { api_key: API_KEY, base_url: standIn.url, rate_limit: { requests_per_second: 20 } } } },
        env: {}
      })
      yield* Effect.provide(Effect.zip(Messages.create(hello), Messages.create(hello)), Layer.merge(client, sdkLayer(exporter)))
      const waits = exporter.getFinishedSpans().flatMap((s) => s.events.filter((e) => e.name === "rate_limiter.wait"))
      expect(waits).toHaveLength(1)
      expect(waits[0]!.attributes?.["effect_anthropic.rate_limiter.wait_ms"]).toBeGreaterThan(0)
    }))

  it.live("Effect.withTracerEnabled(false) turns the spans off", () =>
    Effect.gen(function*() {
      const { result, spans } = yield* traced(() => Effect.withTracerEnabled(Messages.create(hello), false))
      expect(result._tag).toBe("Success")
      expect(spans.map((s) => s.name)).toEqual([])
    }))

  it.live("an OAuth refresh started by a call is a span of its own, with no token in it", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      standIn.oauth.requireIssuedTokens(true)
      const pair = standIn.oauth.issue(30)
      const exporter = new KeptSpans()
      const sdk = sdkLayer(exporter)
      const dir = yield* Effect.promise(() => import("node:fs/promises").then((fs) => fs.mkdtemp(`${require_tmp()}/ea-otel-`)))
      const bundle = `${dir}/anthropic_oauth.json`
      yield* Effect.promise(() =>
        import("node:fs/promises").then((fs) =>
          fs.writeFile(bundle, JSON.stringify({ access_token: pair.access_token, refresh_token: pair.refresh_token, expires_at: new Date(Date.now() + 30_000).toISOString() }))
        )
      )
      const client = AnthropicClient.layerFile({
        config: { providers: { anthropic: { base_url: standIn.url, auth: { mode: "oauth_bundle", bundle, token_url: `${standIn.url}/v1/oauth/token` } } } },
        env: {}
      })
      // The tracer under the client's layer too: a refresh due at once runs while the layer is built.
      yield* Effect.provide(Messages.create(hello), Layer.provideMerge(client, sdk))
      const spans = exporter.getFinishedSpans()
      expect(spans.map((s) => s.name)).toContain("anthropic.oauth.refresh")
      const everything = JSON.stringify(spans.map((s) => [s.name, s.attributes, s.events]))
      expect(everything).not.toContain(pair.access_token)
      expect(everything).not.toContain(pair.refresh_token)
    }))

  it.live("metrics: gen_ai.client.token.usage by token type and gen_ai.client.operation.duration, with or without a tracer", () =>
    Effect.gen(function*() {
      // A model no other test here calls: its metrics are this test's alone.
      const model = "claude-sonnet-4-6"
      const standIn = yield* StandIn.scoped()
      const client = AnthropicClient.layerFile({ config: { providers: { anthropic: { api_key: API_KEY, base_url: standIn.url } } }, env: {} })
      yield* Effect.provide(Messages.create({ ...hello, model }), client)
      const snapshot = yield* Metric.snapshot
      const ofModel = (name: string) =>
        snapshot.filter((p) => p.id === name && p.attributes?.["gen_ai.request.model"] === model)
      const tokenTypes = ofModel("gen_ai.client.token.usage").map((p) => p.attributes?.["gen_ai.token.type"]).sort()
      expect(tokenTypes).toEqual(["input", "output"])
      expect(ofModel("gen_ai.client.operation.duration")).toHaveLength(1)
    }))

  it.live("metrics: a stream's time to first token, and retries counted by their cause", () =>
    Effect.gen(function*() {
      const model = "claude-opus-4-7"
      const standIn = yield* StandIn.scoped({ replies: [StandIn.error(529, { retryAfterMs: "1" })] })
      const client = AnthropicClient.layerFile({ config: { providers: { anthropic: { api_key: API_KEY, base_url: standIn.url } } }, env: {} })
      const retriesBefore = yield* retriesOf("ServerError")
      yield* Effect.provide(Stream.runDrain(Messages.stream({ ...hello, model })), client)
      const snapshot = yield* Metric.snapshot
      const ttft = snapshot.filter((p) =>
        p.id === "effect_anthropic.client.time_to_first_token" && p.attributes?.["gen_ai.request.model"] === model
      )
      expect(ttft).toHaveLength(1)
      expect((ttft[0]!.state as unknown as { count: number }).count).toBe(1)
      expect(yield* retriesOf("ServerError")).toBe(retriesBefore + 1)
    }))
})

describe("observability from the Promise client", () => {
  it("spans reach the global OpenTelemetry provider through fromLayer and @effect/opentelemetry's layerGlobal", async () => {
    const { trace } = await import("@opentelemetry/api")
    const OtelTracer = await import("@effect/opentelemetry/OtelTracer")
    const OtelResource = await import("@effect/opentelemetry/Resource")
    const { fromLayer } = await import("../src/PromiseClient.js")
    const exporter = new KeptSpans()
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
    trace.setGlobalTracerProvider(provider)
    const standIn = await StandIn.start()
    try {
      const tracer = OtelTracer.layerGlobal.pipe(Layer.provide(OtelResource.layer({ serviceName: "my-app" })))
      const client = await fromLayer(
        AnthropicClient.layerFile({ config: { providers: { anthropic: { api_key: API_KEY, base_url: standIn.url } } }, env: {} }).pipe(
          Layer.provideMerge(tracer)
        )
      )
      await client.messages.create(hello)
      await client.close()
      expect(exporter.getFinishedSpans().map((s) => s.name)).toContain(`chat ${hello.model}`)
    } finally {
      trace.disable()
      await standIn.close()
    }
  })
})
