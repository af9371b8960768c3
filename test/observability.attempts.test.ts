/**
 * Every HTTP attempt of a call is a span of its own under the call's span (OpenTelemetry's HTTP convention: named by
 * the method, kind CLIENT, the answer's status, the failure's error.type, the resend count of a retry), through a
 * real OpenTelemetry SDK.
 */
import { describe, expect, it } from "@effect/vitest"
import { SpanKind, SpanStatusCode } from "@opentelemetry/api"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as AnthropicClient from "../src/AnthropicClient.js"
import * as Messages from "../src/Messages.js"
import * as StandIn from "../src/testing/StandIn.js"
import { API_KEY, hello } from "./fixtures.js"
import { KeptSpans, sdkLayer } from "./otel.js"

const tracedCall = <A, E>(program: Effect.Effect<A, E, AnthropicClient.AnthropicClient>, replies: ReadonlyArray<StandIn.Reply>) =>
  Effect.gen(function*() {
    const exporter = new KeptSpans()
    const standIn = yield* StandIn.scoped({ replies })
    const client = AnthropicClient.layerFile({ config: { providers: { anthropic: { api_key: API_KEY, base_url: standIn.url } } }, env: {} })
    const result = yield* Effect.result(Effect.provide(program, Layer.merge(client, sdkLayer(exporter))))
    return { result, spans: exporter.getFinishedSpans(), standIn }
  })

describe("observability: a span per HTTP attempt", () => {
  it.live("a 529 retried, then a 200: two POST spans under the chat span, with their statuses and resend count", () =>
    Effect.gen(function*() {
      const { result, spans, standIn } = yield* tracedCall(Messages.create(hello), [StandIn.error(529, { retryAfterMs: "1" })])
      expect(result._tag).toBe("Success")
      const chat = spans.find((s) => s.name === `chat ${hello.model}`)!
      const attempts = spans.filter((s) => s.name === "POST").sort((a, b) => a.startTime[1] - b.startTime[1] + 1e9 * (a.startTime[0] - b.startTime[0]))
      expect(attempts).toHaveLength(2)
      for (const attempt of attempts) {
        expect(attempt.parentSpanContext?.spanId ?? (attempt as unknown as { parentSpanId?: string }).parentSpanId).toBe(chat.spanContext().spanId)
        expect(attempt.kind).toBe(SpanKind.CLIENT)
        expect(attempt.attributes["url.full"]).toBe(`${standIn.url}/v1/messages`)
        expect(attempt.attributes["http.request.method"]).toBe("POST")
      }
      expect(attempts[0]!.attributes["http.response.status_code"]).toBe(529)
      expect(attempts[0]!.attributes["error.type"]).toBe("ServerError")
      expect(attempts[0]!.status.code).toBe(SpanStatusCode.ERROR)
      expect(attempts[0]!.attributes["http.request.resend_count"]).toBeUndefined()
      expect(attempts[1]!.attributes["http.response.status_code"]).toBe(200)
      expect(attempts[1]!.attributes["http.request.resend_count"]).toBe(1)
      expect(attempts[1]!.status.code).not.toBe(SpanStatusCode.ERROR)
    }))

  it.live("a stream's attempt span carries its status and the server; no key in any attribute", () =>
    Effect.gen(function*() {
      const { result, spans, standIn } = yield* tracedCall(Stream.runDrain(Messages.stream(hello)), [StandIn.streamText("hi")])
      expect(result, JSON.stringify(result)).toMatchObject({ _tag: "Success" })
      const attempt = spans.find((s) => s.name === "POST")!
      expect(attempt.attributes["http.response.status_code"]).toBe(200)
      expect(attempt.attributes["server.port"]).toBe(Number(new URL(standIn.url).port))
      expect(JSON.stringify(spans.map((s) => [s.attributes, s.events]))).not.toContain(API_KEY)
    }))
})

describe("observability: content capture, by opt-in only", () => {
  const secretPrompt = { ...hello, system: "Be brief.", messages: [{ role: "user" as const, content: "my key is sk-ant-api03-abcdefghijklmnop, hi" }] }

  it.live("off by default: no prompt or completion on any span", () =>
    Effect.gen(function*() {
      const { spans } = yield* tracedCall(Messages.create(secretPrompt), [])
      const everything = JSON.stringify(spans.map((s) => s.attributes))
      expect(everything).not.toContain("gen_ai.input.messages")
      expect(everything).not.toContain("my key is")
    }))

  it.live("withContentCapture: the system, input and output messages in the convention's shape, keys masked", () =>
    Effect.gen(function*() {
      const { spans } = yield* tracedCall(AnthropicClient.withContentCapture(Messages.create(secretPrompt)), [])
      const chat = spans.find((s) => s.name === `chat ${hello.model}`)!
      expect(JSON.parse(String(chat.attributes["gen_ai.system_instructions"]))).toEqual([{ type: "text", content: "Be brief." }])
      const input = JSON.parse(String(chat.attributes["gen_ai.input.messages"]))
      expect(input).toEqual([{ role: "user", parts: [{ type: "text", content: "my key is sk-ant-api03-…[redacted], hi" }] }])
      const output = JSON.parse(String(chat.attributes["gen_ai.output.messages"]))
      expect(output[0]).toMatchObject({ role: "assistant", finish_reason: "end_turn" })
      expect(output[0].parts[0].type).toBe("text")
      expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain("abcdefghijklmnop")
    }))

  it.live("a stream under withContentCapture: its text on the span when it ends", () =>
    Effect.gen(function*() {
      const { spans } = yield* tracedCall(AnthropicClient.withContentCapture(Stream.runDrain(Messages.stream(hello))), [StandIn.streamText("streamed words")])
      const chat = spans.find((s) => s.name === `chat ${hello.model}`)!
      const output = JSON.parse(String(chat.attributes["gen_ai.output.messages"]))
      expect(output).toEqual([{ role: "assistant", parts: [{ type: "text", content: "streamed words" }], finish_reason: "end_turn" }])
    }))
})

describe("observability: content capture from the Promise client", () => {
  it("fromLayer with layerContentCapture records the content; without it, none", async () => {
    const { fromLayer } = await import("../src/PromiseClient.js")
    const standIn = await StandIn.start()
    const inputsWith = async (capture: boolean) => {
      const exporter = new KeptSpans()
      const sdk = sdkLayer(exporter)
      const stack = AnthropicClient.layerFile({ config: { providers: { anthropic: { api_key: API_KEY, base_url: standIn.url } } }, env: {} })
      const client = await fromLayer(Layer.mergeAll(stack, sdk, capture ? AnthropicClient.layerContentCapture : Layer.empty))
      await client.messages.create(hello)
      await client.close()
      return exporter.getFinishedSpans().find((s) => s.name === `chat ${hello.model}`)?.attributes["gen_ai.input.messages"]
    }
    try {
      expect(await inputsWith(false)).toBeUndefined()
      expect(JSON.parse(String(await inputsWith(true)))[0].role).toBe("user")
    } finally {
      await standIn.close()
    }
  })
})
