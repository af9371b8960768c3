/**
 * The @effect/ai provider through the whole stack against the stand-in: generateText with a toolkit, streamText's
 * exact parts, failures that fail the stream, generateObject's native structured output, Chat over several turns
 * (thinking signatures sent back), prompt conversion and the error mapping.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Chat from "effect/ai/Chat"
import * as LanguageModel from "effect/ai/LanguageModel"
import * as Prompt from "effect/ai/Prompt"
import * as Tool from "effect/ai/Tool"
import * as Toolkit from "effect/ai/Toolkit"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as AnthropicLanguageModel from "../src/AnthropicLanguageModel.js"
import * as AnthropicTools from "../src/AnthropicTools.js"
import * as Files from "../src/Files.js"
import { TurnCache } from "../src/internal/languageModel/prompt.js"
import * as StandIn from "../src/testing/StandIn.js"
import { failureOf, runClocked } from "./helpers.js"
import { languageModel, message } from "./languageModelFixtures.js"

const GetWeather = Tool.make("get_weather", {
  description: "The weather in a city",
  parameters: Schema.Struct({ city: Schema.String }),
  success: Schema.Struct({ city: Schema.String, celsius: Schema.Number })
})
const toolkit = Toolkit.make(GetWeather)
const handlers = toolkit.toLayer({ get_weather: ({ city }) => Effect.succeed({ city, celsius: 21 }) })
const searchKit = Toolkit.make(GetWeather, AnthropicTools.WebSearch_20250305({ max_uses: 2 }))
const searchHandlers = searchKit.toLayer({ get_weather: ({ city }) => Effect.succeed({ city, celsius: 21 }) })

const lastBody = (standIn: StandIn.StandIn) => standIn.requests[standIn.requests.length - 1]!.body

/** A usage as plain data (Effect 4's is a class with its parts). */
const usageOf = (usage: { readonly inputTokens: object; readonly outputTokens: object }) => ({
  inputTokens: { ...usage.inputTokens },
  outputTokens: { ...usage.outputTokens }
})

/** A message the API could send with every kind of block the stream mapping handles. */
const rich = message([
  { type: "thinking", thinking: "Let me think about Paris.", signature: "sig-abc" },
  { type: "text", text: "Searching. " },
  { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: { query: "Paris weather" } },
  {
    type: "web_search_tool_result",
    tool_use_id: "srvtoolu_1",
    content: [{ type: "web_search_result", url: "https://weather.example/paris", title: "Paris", encrypted_content: "e", page_age: null }]
  },
  {
    type: "text",
    text: "It is sunny.",
    citations: [{ type: "web_search_result_location", url: "https://weather.example/paris", title: "Paris", encrypted_index: "i", cited_text: "sunny" }]
  },
  { type: "tool_use", id: "toolu_9", name: "get_weather", input: { city: "Paris" } }
], {
  stop_reason: "tool_use",
  usage: { input_tokens: 100, output_tokens: 40, cache_read_input_tokens: 900, cache_creation_input_tokens: 50 }
})

describe("generateText", () => {
  it.effect("text, usage with cached input, finish reason and response metadata; the request carries the config", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel({ config: { temperature: 0.2, betas: ["some-beta"] } })
      standIn.enqueue({
        type: "json",
        status: 200,
        body: message([{ type: "text", text: "Hello!" }], {
          usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 30, cache_creation_input_tokens: 2 }
        })
      })
      const response = yield* provide(LanguageModel.generateText({ prompt: "Hi" }))
      expect(response.text).toBe("Hello!")
      expect(response.finishReason).toBe("stop")
      // Effect 4's usage: the input's total (every token of the prompt: uncached, read from and written to the
      // cache) and its parts, the output apart (Effect 3: 42 in, 5 out, 47 in all, 30 cached).
      expect(usageOf(response.usage)).toEqual({
        inputTokens: { uncached: 10, total: 42, cacheRead: 30, cacheWrite: 2 },
        outputTokens: { total: 5, text: undefined, reasoning: undefined }
      })
      const metadata = response.content.find((p) => p.type === "response-metadata")!
      expect(metadata.modelId).toBe("claude-haiku-4-5-20251001")
      const body = lastBody(standIn)
      expect(body).toMatchObject({ model: "claude-haiku-4-5", max_tokens: 1000, temperature: 0.2, messages: [{ role: "user", content: [{ type: "text", text: "Hi" }] }] })
      expect(body.betas).toBeUndefined()
      expect(standIn.requests[0]!.headers["anthropic-beta"]).toBe("some-beta")
    }))

  it.effect("a toolkit's tools are sent with their JSON schema; the handler runs and its result is returned", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel()
      standIn.enqueue(StandIn.toolUse("get_weather", { city: "Oslo" }, "Checking."))
      const response = yield* provide(LanguageModel.generateText({ prompt: "Weather in Oslo?", toolkit })).pipe(Effect.provide(handlers))
      expect(lastBody(standIn).tools).toEqual([{
        name: "get_weather",
        description: "The weather in a city",
        input_schema: { type: "object", required: ["city"], properties: { city: { type: "string" } }, additionalProperties: false }
      }])
      expect(lastBody(standIn).tool_choice).toEqual({ type: "auto" })
      expect(response.finishReason).toBe("tool-calls")
      expect(response.toolCalls.map((c) => [c.name, c.params])).toEqual([["get_weather", { city: "Oslo" }]])
      expect(response.toolResults.map((r) => r.result)).toEqual([{ city: "Oslo", celsius: 21 }])
    }))

  it.effect("server tool calls and results (provider-executed), citations as sources, thinking with its signature", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel()
      standIn.enqueue({ type: "json", status: 200, body: rich })
      const response = yield* provide(LanguageModel.generateText({ prompt: "Weather?", toolkit: searchKit, disableToolCallResolution: true })).pipe(
        Effect.provide(searchHandlers)
      )
      expect(lastBody(standIn).tools[1]).toEqual({ type: "web_search_20250305", name: "web_search", max_uses: 2 })
      const parts = response.content.map((p) => p.type === "tool-call" || p.type === "tool-result" ? `${p.type}:${p.name}:${p.providerExecuted}` : p.type)
      expect(parts).toEqual([
        "response-metadata",
        "reasoning",
        "text",
        "tool-call:AnthropicWebSearch:true",
        "tool-result:AnthropicWebSearch:true",
        "text",
        "source",
        "tool-call:get_weather:false",
        "finish"
      ])
      const reasoning = response.content.find((p) => p.type === "reasoning")!
      expect(reasoning.metadata["effect-anthropic"]).toEqual({ type: "thinking", signature: "sig-abc" })
      const source = response.content.find((p) => p.type === "source")!
      expect(source).toMatchObject({ sourceType: "url", title: "Paris" })
      const result = response.content.find((p) => p.type === "tool-result")!
      expect(result.result).toEqual(rich.content[3])
      expect(usageOf(response.usage)).toEqual({
        inputTokens: { uncached: 100, total: 1050, cacheRead: 900, cacheWrite: 50 },
        outputTokens: { total: 40, text: undefined, reasoning: undefined }
      })
    }))

  it.effect("prompt conversion: every system message, user and tool turns merged, files, cache breakpoints, tool choice", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel({ config: { system: "Be brief.", disableParallelToolCalls: true } })
      const cache = { "effect-anthropic": { cacheControl: { type: "ephemeral" as const } } }
      yield* provide(LanguageModel.generateText({
        toolkit,
        toolChoice: { tool: "get_weather" },
        prompt: Prompt.make([
          { role: "system", content: "You are a weather bot." },
          {
            role: "user",
            content: [
              { type: "text", text: "Look:", options: cache },
              { type: "file", mediaType: "image/png", data: new Uint8Array([1, 2, 3]) },
              { type: "file", mediaType: "application/pdf", data: "https://example.com/a.pdf", fileName: "a.pdf", options: { "effect-anthropic": { citations: true } } },
              { type: "file", mediaType: "text/plain", data: new TextEncoder().encode("plain words") },
              { type: "file", mediaType: "application/pdf", data: "", options: { "effect-anthropic": { fileId: "file_123" } } }
            ]
          },
          { role: "system", content: "Use Celsius." },
          { role: "assistant", content: [{ type: "tool-call", id: "toolu_1", name: "get_weather", params: { city: "Rome" } }] },
          { role: "tool", content: [{ type: "tool-result", id: "toolu_1", name: "get_weather", result: { celsius: 30 }, isFailure: false, providerExecuted: false }] },
          { role: "user", content: "And tomorrow?", options: cache },
          { role: "assistant", content: "Tomorrow it will be   " }
        ])
      })).pipe(Effect.provide(handlers))
      const body = lastBody(standIn)
      expect(body.system).toEqual([
        { type: "text", text: "Be brief." },
        { type: "text", text: "You are a weather bot." },
        { type: "text", text: "Use Celsius." }
      ])
      expect(body.messages).toEqual([
        {
          role: "user",
          content: [
            { type: "text", text: "Look:", cache_control: { type: "ephemeral" } },
            { type: "image", source: { type: "base64", media_type: "image/png", data: "AQID" } },
            { type: "document", source: { type: "url", url: "https://example.com/a.pdf" }, title: "a.pdf", citations: { enabled: true } },
            { type: "document", source: { type: "text", media_type: "text/plain", data: "plain words" } },
            { type: "document", source: { type: "file", file_id: "file_123" } }
          ]
        },
        { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Rome" } }] },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_1", content: '{"celsius":30}' },
            { type: "text", text: "And tomorrow?", cache_control: { type: "ephemeral" } }
          ]
        },
        // A prefill: the API refuses one that ends in whitespace.
        { role: "assistant", content: [{ type: "text", text: "Tomorrow it will be" }] }
      ])
      expect(body.tool_choice).toEqual({ type: "tool", name: "get_weather", disable_parallel_tool_use: true })
      expect(body.disableParallelToolCalls).toBeUndefined()
      expect(standIn.requests[0]!.headers["anthropic-beta"]).toBe(Files.BETA)
    }))

  it.effect("a file the API cannot take is a MalformedInput before anything is sent", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel()
      const error = yield* Effect.flip(provide(LanguageModel.generateText({
        prompt: [{ role: "user", content: [{ type: "file", mediaType: "application/zip", data: new Uint8Array([1]) }] }]
      })))
      // Effect 4: Effect 3's MalformedInput is the AiError's InvalidUserInputError reason.
      expect(error.reason._tag).toBe("InvalidUserInputError")
      expect(error.message).toContain("not application/zip")
      expect(standIn.requests).toEqual([])
    }))
})

describe("streamText", () => {
  it.effect("the exact parts for thinking, text, a server tool, citations and tool input deltas, as they arrive", () =>
    Effect.gen(function*() {
      const { provideStream, standIn } = yield* languageModel()
      // One network write per event: no two deltas arrive together.
      standIn.enqueue(StandIn.streamOf(rich as never, { piecesPerBlock: 2, chunkSize: 1 }))
      const parts = yield* Stream.runCollect(
        provideStream(LanguageModel.streamText({ prompt: "Weather?", toolkit: searchKit, disableToolCallResolution: true }))
      ).pipe(Effect.provide(searchHandlers))
      const shown = parts.map((p) => {
        switch (p.type) {
          case "text-delta":
          case "reasoning-delta":
          case "tool-params-delta":
            return `${p.type}:${p.id}:${p.delta}`
          case "tool-params-start":
          case "tool-call":
          case "tool-result":
            return `${p.type}:${p.id}:${p.name}`
          case "text-start":
          case "text-end":
          case "reasoning-start":
          case "reasoning-end":
          case "tool-params-end":
            return `${p.type}:${p.id}`
          default:
            return p.type
        }
      })
      expect(shown).toEqual([
        "response-metadata",
        "reasoning-start:0",
        "reasoning-delta:0:Let me think ",
        "reasoning-delta:0:about Paris.",
        "reasoning-delta:0:",
        "reasoning-end:0",
        "text-start:1",
        "text-delta:1:Search",
        "text-delta:1:ing. ",
        "text-end:1",
        "tool-params-start:srvtoolu_1:AnthropicWebSearch",
        'tool-params-delta:srvtoolu_1:{"query":"Par',
        'tool-params-delta:srvtoolu_1:is weather"}',
        "tool-params-end:srvtoolu_1",
        "tool-call:srvtoolu_1:AnthropicWebSearch",
        "tool-result:srvtoolu_1:AnthropicWebSearch",
        "text-start:4",
        "source",
        "text-delta:4:It is ",
        "text-delta:4:sunny.",
        "text-end:4",
        "tool-params-start:toolu_9:get_weather",
        'tool-params-delta:toolu_9:{"city":',
        'tool-params-delta:toolu_9:"Paris"}',
        "tool-params-end:toolu_9",
        "tool-call:toolu_9:get_weather",
        "finish"
      ])
      const signature = parts.find((p) => p.type === "reasoning-delta" && p.delta === "")!
      expect(signature.metadata["effect-anthropic"]).toEqual({ type: "thinking", signature: "sig-abc" })
      const call = parts.find((p) => p.type === "tool-call" && p.id === "toolu_9")!
      expect(call.type === "tool-call" && call.params).toEqual({ city: "Paris" })
      const finish = parts[parts.length - 1]!
      expect(finish.type === "finish" && finish.reason).toBe("tool-calls")
      expect(finish.type === "finish" && usageOf(finish.usage)).toEqual({
        inputTokens: { uncached: 100, total: 1050, cacheRead: 900, cacheWrite: 50 },
        outputTokens: { total: 40, text: undefined, reasoning: undefined }
      })
    }))

  it.effect("deltas that arrive in one network read come out as one delta", () =>
    Effect.gen(function*() {
      const { provideStream, standIn } = yield* languageModel()
      standIn.enqueue(StandIn.streamText("one two three four five six", { piecesPerBlock: 6 }))
      const parts = yield* Stream.runCollect(provideStream(LanguageModel.streamText({ prompt: "count" })))
      expect(parts.filter((p) => p.type === "text-delta").map((p) => p.type === "text-delta" && p.delta)).toEqual(["one two three four five six"])
    }))

  it.effect("an error event mid-stream fails the stream with the AiError of the tagged error, after the parts before", () =>
    Effect.gen(function*() {
      const { provideStream, standIn } = yield* languageModel()
      standIn.enqueue(StandIn.streamError("overloaded_error", "Overloaded"))
      const seen: Array<string> = []
      const error = yield* Effect.flip(Stream.runForEach(
        provideStream(LanguageModel.streamText({ prompt: "Hi" })),
        (part) => Effect.sync(() => seen.push(part.type))
      ))
      expect(seen).toEqual(["response-metadata", "text-start", "text-delta"])
      // Effect 4: the AiError's reason says what the answer was (Effect 3: an HttpResponseError with the status).
      expect(error).toMatchObject({ _tag: "AiError", method: "streamText", reason: { _tag: "InternalProviderError", http: { response: { status: 529 } } } })
      expect(AnthropicLanguageModel.apiError(error)).toMatchObject({ _tag: "ServerError", errorType: "overloaded_error" })
    }))

  it.effect("a stream cut off, or one that goes silent, fails too: never a quiet end", () =>
    Effect.gen(function*() {
      const { provideStream, standIn } = yield* languageModel({ anthropic: { stream_idle_timeout_ms: 1000, retry: { max_retries: 0 } } })
      standIn.enqueue({ ...StandIn.streamText("a long answer that breaks"), cutAfter: 500 } as StandIn.Reply)
      const cut = yield* Effect.flip(Stream.runDrain(provideStream(LanguageModel.streamText({ prompt: "Hi" }))))
      // Effect 4: a stream that broke is a NetworkError (Effect 3: an HttpRequestError).
      expect(cut.reason).toMatchObject({ _tag: "NetworkError", reason: "TransportError" })
      expect(AnthropicLanguageModel.apiError(cut)).toMatchObject({ _tag: "StreamError", reason: "truncated" })
      standIn.enqueue({ ...StandIn.streamText("an answer that stops"), stallAfter: 500 } as StandIn.Reply)
      // The clock moves to each wake-up the call schedules (the idle timer's), whenever it is scheduled: no real
      // wait for the answer to have gone silent first.
      const { exit } = yield* runClocked(Stream.runDrain(provideStream(LanguageModel.streamText({ prompt: "Hi" }))))
      const silent = failureOf(exit)
      expect(standIn.requests.length).toBe(2)
      expect(silent.reason).toMatchObject({ _tag: "NetworkError", reason: "TransportError" })
      expect(AnthropicLanguageModel.apiError(silent)).toMatchObject({ _tag: "StreamError", reason: "idle_timeout" })
    }))
})

describe("generateObject", () => {
  // Effect 4: `Schema.Finite` is the JSON number (`Schema.Number` takes the non-finite ones too, as strings in JSON).
  const Forecast = Schema.Struct({ city: Schema.String, celsius: Schema.Finite.check(Schema.isBetween({ minimum: -90, maximum: 60 })) })

  it.effect("native structured output: output_config.format with the schema's JSON schema, with extended thinking", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel({ config: { max_tokens: 4000, thinking: { type: "enabled", budget_tokens: 1024 }, output_config: { effort: "low" } } })
      standIn.enqueue({
        type: "json",
        status: 200,
        body: message([
          { type: "thinking", thinking: "hmm", signature: "s" },
          { type: "text", text: '{"city":"Paris","celsius":21}' }
        ])
      })
      const response = yield* provide(LanguageModel.generateObject({ prompt: "Forecast for Paris", schema: Forecast }))
      expect(response.value).toEqual({ city: "Paris", celsius: 21 })
      const body = lastBody(standIn)
      expect(body.output_config).toEqual({
        effort: "low",
        format: {
          type: "json_schema",
          schema: {
            type: "object",
            properties: {
              city: { type: "string" },
              // Effect 4's descriptions of the checks, and no title.
              celsius: { type: "number", description: "a finite number and a value between -90 and 60\n\n{minimum: -90, maximum: 60}" }
            },
            additionalProperties: false,
            required: ["city", "celsius"]
          }
        }
      })
      expect(body.thinking).toEqual({ type: "enabled", budget_tokens: 1024 })
      // No forced tool: the API refuses one together with extended thinking.
      expect(body.tools).toBeUndefined()
      expect(body.tool_choice).toBeUndefined()
    }))

  it.effect("the answer is decoded from its JSON: a Date from its ISO string, an optional field from null", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel()
      const Dated = Schema.Struct({ at: Schema.Date, note: Schema.optional(Schema.String) })
      standIn.enqueue(StandIn.text('{"at":"2026-12-02T10:00:00.000Z","note":null}'))
      const response = yield* provide(LanguageModel.generateObject({ prompt: "When?", schema: Dated }))
      expect(response.value).toEqual({ at: new Date("2026-12-02T10:00:00.000Z"), note: undefined })
      expect(lastBody(standIn).output_config.format.schema.properties.at).toEqual({ type: "string", description: "a string that will be decoded as a Date" })
    }))

  it.effect("an answer that does not fit the schema is @effect/ai's MalformedOutput", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel()
      standIn.enqueue(StandIn.text('{"city":"Paris","celsius":500}'))
      const error = yield* Effect.flip(provide(LanguageModel.generateObject({ prompt: "Forecast", schema: Forecast })))
      // Effect 4: Effect 3's MalformedOutput is the AiError's StructuredOutputError reason.
      expect(error).toMatchObject({ _tag: "AiError", module: "LanguageModel", method: "generateObject", reason: { _tag: "StructuredOutputError" } })
    }))
})

describe("Chat over several turns", () => {
  // Effect 4: Chat's history keeps each part's metadata (in its options), signatures included, where Effect 3's
  // dropped them: a turn without tool calls goes back with its thinking too, and the history holds the signatures.
  it.effect("a tool-use turn's thinking signature and redacted thinking go back unchanged; so does a later turn's thinking", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel({ config: { max_tokens: 4000, thinking: { type: "enabled", budget_tokens: 2000 } } })
      const first = [
        { type: "thinking", thinking: "First thoughts.", signature: "sig-1" },
        { type: "redacted_thinking", data: "opaque-data" },
        { type: "text", text: "Let me check." },
        { type: "tool_use", id: "toolu_chat_1", name: "get_weather", input: { city: "Paris" } }
      ]
      standIn.enqueue({ type: "json", status: 200, body: message(first, { stop_reason: "tool_use" }) })
      standIn.enqueue(StandIn.streamOf(message([
        { type: "thinking", thinking: "Second thoughts.", signature: "sig-2" },
        { type: "text", text: "It is 21 degrees." }
      ]) as never))
      standIn.enqueue(StandIn.text("Goodbye."))
      const history = yield* provide(Effect.gen(function*() {
        const chat = yield* Chat.empty
        yield* chat.generateText({ prompt: "Weather in Paris?", toolkit })
        yield* Stream.runDrain(chat.streamText({ prompt: "And so?", toolkit }))
        yield* chat.generateText({ prompt: "Bye" })
        return yield* chat.exportJson
      })).pipe(Effect.provide(handlers))
      const turn = { role: "assistant", content: first }
      const results = { type: "tool_result", tool_use_id: "toolu_chat_1", content: '{"city":"Paris","celsius":21}' }
      // Continuing after the tool call: the turn goes back as the API sent it, signature and redacted data included.
      expect(standIn.requests[1]!.body.messages).toEqual([
        { role: "user", content: [{ type: "text", text: "Weather in Paris?" }] },
        turn,
        { role: "user", content: [results, { type: "text", text: "And so?" }] }
      ])
      // A turn without tool calls needs nothing back (the API drops earlier turns' thinking), but its thinking is in
      // the history with its signature now: it goes back signed (Effect 3: its text alone).
      expect(standIn.requests[2]!.body.messages.slice(1)).toEqual([
        turn,
        { role: "user", content: [results, { type: "text", text: "And so?" }] },
        {
          role: "assistant",
          content: [{ type: "thinking", thinking: "Second thoughts.", signature: "sig-2" }, { type: "text", text: "It is 21 degrees." }]
        },
        { role: "user", content: [{ type: "text", text: "Bye" }] }
      ])
      // What Chat keeps itself has the signatures (Effect 3: none; the provider matched the turn to the one it made).
      expect(history).toContain("sig-1")
      expect(history).toContain("sig-2")
    }))

  it.effect("another conversation's turn with the same words is never taken for this one's (its blocks stay its own)", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel()
      const cited = [{
        type: "text",
        text: "Done.",
        citations: [{ type: "char_location", cited_text: "ALICE: confidential", document_index: 0, start_char_index: 0, end_char_index: 5 }]
      }]
      standIn.enqueue({ type: "json", status: 200, body: message(cited) })
      yield* provide(LanguageModel.generateText({ prompt: "Alice asks" }))
      yield* provide(LanguageModel.generateText({
        prompt: [{ role: "user", content: "Bob asks" }, { role: "assistant", content: "Done." }, { role: "user", content: "Thanks" }]
      }))
      expect(JSON.stringify(lastBody(standIn))).not.toContain("ALICE")
      expect(lastBody(standIn).messages[1]).toEqual({ role: "assistant", content: [{ type: "text", text: "Done." }] })
    }))

  it.effect("a reasoning part carrying its signature in its options is sent as thinking; one without is left out", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel()
      yield* provide(LanguageModel.generateText({
        prompt: [
          { role: "user", content: "Q" },
          {
            role: "assistant",
            content: [
              { type: "reasoning", text: "kept", options: { "effect-anthropic": { signature: "sig-x" } } },
              { type: "reasoning", text: "no signature" },
              { type: "text", text: "A" }
            ]
          },
          { role: "user", content: "Q2" }
        ]
      }))
      expect(lastBody(standIn).messages[1]).toEqual({
        role: "assistant",
        content: [{ type: "thinking", thinking: "kept", signature: "sig-x" }, { type: "text", text: "A" }]
      })
    }))
})

describe("what the provider remembers of its turns", () => {
  const thinking = { max_tokens: 4000, thinking: { type: "enabled" as const, budget_tokens: 2000 } }
  const first = [
    { type: "thinking", thinking: "First thoughts.", signature: "sig-1" },
    { type: "redacted_thinking", data: "opaque-data" },
    { type: "tool_use", id: "toolu_restored", name: "get_weather", input: { city: "Paris" } }
  ]

  // Effect 4: the exported history keeps the signatures and redacted data in its parts' options (Effect 3's had none,
  // so another instance, which never made the turn, left its thinking out).
  it.effect("a history restored on another provider instance keeps its signatures: its tool-use turn goes back whole there too", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel({ config: thinking })
      standIn.enqueue({ type: "json", status: 200, body: message(first, { stop_reason: "tool_use" }) }, StandIn.text("21 degrees."), StandIn.text("Again."))
      const exported = yield* provide(Effect.gen(function*() {
        const chat = yield* Chat.empty
        yield* chat.generateText({ prompt: "Weather in Paris?", toolkit })
        return yield* chat.exportJson
      })).pipe(Effect.provide(handlers))
      // The same history, restored where this provider was built again (another process, or a layer built per call).
      const again = AnthropicLanguageModel.layer({ model: "claude-haiku-4-5", config: thinking })
      yield* provide(Effect.gen(function*() {
        const chat = yield* Chat.fromJson(exported)
        yield* chat.generateText({ prompt: "And so?" })
      }).pipe(Effect.provide(again)))
      expect(standIn.requests[1]!.body.messages[1]).toEqual({ role: "assistant", content: first })
      // On the instance that made the turn, the same history goes back whole.
      yield* provide(Effect.gen(function*() {
        const chat = yield* Chat.fromJson(exported)
        yield* chat.generateText({ prompt: "And so?" })
      }))
      expect(standIn.requests[2]!.body.messages[1]).toEqual({ role: "assistant", content: first })
    }))

  it.effect("a matched turn goes as the API sent it: its parts' options are not applied, a message's cache breakpoint is", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel()
      const blocks = [
        { type: "text", text: "Let me check." },
        { type: "tool_use", id: "toolu_cached", name: "get_weather", input: { city: "Oslo" } }
      ]
      standIn.enqueue({ type: "json", status: 200, body: message(blocks, { stop_reason: "tool_use" }) })
      yield* provide(LanguageModel.generateText({ prompt: "Weather in Oslo?", toolkit, disableToolCallResolution: true })).pipe(Effect.provide(handlers))
      const cache = { "effect-anthropic": { cacheControl: { type: "ephemeral" as const } } }
      yield* provide(LanguageModel.generateText({
        prompt: [
          { role: "user", content: "Weather in Oslo?" },
          {
            role: "assistant",
            options: cache,
            content: [
              { type: "text", text: "Let me check.", options: cache },
              { type: "tool-call", id: "toolu_cached", name: "get_weather", params: { city: "Oslo" } }
            ]
          },
          { role: "tool", content: [{ type: "tool-result", id: "toolu_cached", name: "get_weather", result: "cold", isFailure: false, providerExecuted: false }] }
        ]
      }))
      expect(lastBody(standIn).messages[1]).toEqual({
        role: "assistant",
        content: [blocks[0], { ...blocks[1], cache_control: { type: "ephemeral" } }]
      })
    }))

  it("at most 512 turns and 16 MiB of blocks, the least recently used forgotten first; only turns with a call id are kept", () => {
    const parts = (i: number) => [{ type: "text", text: `turn ${i}` }, { type: "tool-call", id: `toolu_${i}` }]
    const blocks = (i: number) => [{ type: "text" as const, text: `turn ${i}` }]
    const cache = new TurnCache()
    for (let i = 0; i < 512; i++) cache.set(parts(i), blocks(i))
    expect(cache.get(parts(0))).toEqual(blocks(0))
    cache.set(parts(512), blocks(512))
    // Turn 0 was used last: turn 1 is the one forgotten.
    expect(cache.get(parts(1))).toBeUndefined()
    expect(cache.get(parts(0))).toEqual(blocks(0))
    expect(cache.get(parts(512))).toEqual(blocks(512))

    const big = (i: number) => [{ type: "text" as const, text: "x".repeat(6 * 1024 * 1024 + i) }]
    const bytes = new TurnCache()
    bytes.set(parts(0), big(0))
    bytes.set(parts(1), big(1))
    bytes.set(parts(2), big(2))
    expect(bytes.get(parts(0))).toBeUndefined()
    expect(bytes.get(parts(1))).toEqual(big(1))
    bytes.set(parts(3), [{ type: "text", text: "x".repeat(17 * 1024 * 1024) }])
    expect(bytes.get(parts(3))).toBeUndefined()
    expect(bytes.get(parts(1))).toEqual(big(1))

    const words = new TurnCache()
    words.set([{ type: "text", text: "no call" }], blocks(0))
    expect(words.get([{ type: "text", text: "no call" }])).toBeUndefined()
  })
})

describe("errors as AiError, the tagged error kept", () => {
  it.effect("429: HttpResponseError with status, retry-after-ms and request-id; apiError gives the RateLimit", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel({ anthropic: { retry: { max_retries: 0 } } })
      standIn.enqueue(StandIn.error(429, { retryAfterMs: "1234", message: "slow down" }))
      const error = yield* Effect.flip(provide(LanguageModel.generateText({ prompt: "Hi" })))
      // Effect 4: a RateLimitError reason with the answer as its `http` and the wait as `retryAfter` (Effect 3: an
      // HttpResponseError with the response and body, its description the tagged error's message).
      expect(error.reason._tag).toBe("RateLimitError")
      if (error.reason._tag !== "RateLimitError") throw new Error("narrowing")
      const http = error.reason.http!
      expect(http.response!.status).toBe(429)
      expect(http.response!.headers["retry-after-ms"]).toBe("1234")
      expect(http.response!.headers["request-id"]).toMatch(/^req_/)
      expect(JSON.parse(http.body!)).toEqual({ type: "error", error: { type: "rate_limit_error", message: "slow down" } })
      expect(Duration.toMillis(error.retryAfter!)).toBe(1234)
      expect(error.reason.metadata["effect-anthropic"]).toEqual({ errorType: "rate_limit_error", requestId: http.response!.headers["request-id"] })
      const original = AnthropicLanguageModel.apiError(error)
      expect(original).toMatchObject({ _tag: "RateLimit", retryAfterMs: 1234, status: 429 })
      // The words Effect 3's AiError carried as its description are the tagged error's, reached from the reason.
      expect(original!.message).toContain("Rate limited")
      expect(error.message).toBe("AnthropicLanguageModel.generateText: Rate limit exceeded. Retry after 1s 234ms")
      expect(JSON.stringify(error)).not.toContain("sk-ant")
    }))

  it.effect("401 keeps CredentialInvalid; no answer is HttpRequestError over ConnectionError", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel({ anthropic: { retry: { max_retries: 0 } } })
      standIn.enqueue(StandIn.error(401))
      const rejected = yield* Effect.flip(provide(LanguageModel.generateText({ prompt: "Hi" })))
      // Effect 4: CredentialInvalid is an AuthenticationError reason, no answer a NetworkError (Effect 3: an
      // HttpRequestError, reason Transport).
      expect(rejected.reason).toMatchObject({ _tag: "AuthenticationError", kind: "InvalidKey", http: { response: { status: 401 } } })
      expect(AnthropicLanguageModel.apiError(rejected)).toMatchObject({ _tag: "CredentialInvalid", credential: "api_key" })
      standIn.enqueue({ type: "hangup" })
      const dropped = yield* Effect.flip(provide(LanguageModel.generateText({ prompt: "Hi" })))
      expect(dropped.reason).toMatchObject({ _tag: "NetworkError", reason: "TransportError" })
      expect(AnthropicLanguageModel.apiError(dropped)?._tag).toBe("ConnectionError")
    }))
})

describe("provider-defined tools", () => {
  it.effect("typed args sent as the API's tool (failureMode never leaks); bash calls reach the bash handler by its API name", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel()
      const kit = Toolkit.make(
        AnthropicTools.Bash_20250124({ failureMode: "return" }),
        AnthropicTools.TextEditor_20250728({ max_characters: 10_000 }),
        AnthropicTools.Memory_20250818({}),
        AnthropicTools.WebFetch_20250910({ max_uses: 1, citations: { enabled: true } }),
        AnthropicTools.CodeExecution_20250825({})
      )
      const layer = kit.toLayer({
        AnthropicBash: ({ command }) => Effect.succeed(`ran ${command}`),
        AnthropicTextEditor: () => Effect.succeed("edited"),
        AnthropicMemory: () => Effect.succeed("remembered")
      })
      standIn.enqueue(StandIn.toolUse("bash", { command: "ls" }))
      const response = yield* provide(LanguageModel.generateText({ prompt: "list files", toolkit: kit })).pipe(Effect.provide(layer))
      expect(lastBody(standIn).tools).toEqual([
        { type: "bash_20250124", name: "bash" },
        { type: "text_editor_20250728", name: "str_replace_based_edit_tool", max_characters: 10_000 },
        { type: "memory_20250818", name: "memory" },
        { type: "web_fetch_20250910", name: "web_fetch", max_uses: 1, citations: { enabled: true } },
        { type: "code_execution_20250825", name: "code_execution" }
      ])
      // Effect 4's tool parts have no `providerName`: it is in the part's metadata.
      expect(response.toolCalls.map((c) => [c.name, c.metadata["effect-anthropic"]?.providerName])).toEqual([["AnthropicBash", "bash"]])
      expect(response.toolResults.map((r) => r.result)).toEqual(["ran ls"])
    }))

  it.effect("a user tool called bash is the user's: no renaming when the toolkit has no Anthropic bash", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel()
      const Bash = Tool.make("bash", { parameters: Schema.Struct({ command: Schema.String }), success: Schema.String })
      const kit = Toolkit.make(Bash)
      standIn.enqueue(StandIn.toolUse("bash", { command: "pwd" }))
      const response = yield* provide(LanguageModel.generateText({ prompt: "where", toolkit: kit })).pipe(
        Effect.provide(kit.toLayer({ bash: ({ command }) => Effect.succeed(`mine: ${command}`) }))
      )
      expect(response.toolResults.map((r) => r.result)).toEqual(["mine: pwd"])
      expect(lastBody(standIn).tools).toEqual([{ name: "bash", input_schema: { type: "object", required: ["command"], properties: { command: { type: "string" } }, additionalProperties: false } }])
    }))
})

/**
 * Effect 4: `@effect/ai-anthropic` (4.0.0-beta.106, its Effect 4 version) imports `effect/unstable/*` and does not load
 * on effect 4.1.5, so its own model can no longer answer beside ours for a side-by-side comparison: our `anthropic`
 * metadata is checked against the shapes its source gives (`info` on reasoning; the container, context management,
 * stop sequence and usage on the finish; the citation's fields on a source).
 */
describe("response metadata also where @effect/ai-anthropic puts it (`anthropic`)", () => {
  const cited = message([
    { type: "thinking", thinking: "Let me see.", signature: "sig-peer" },
    { type: "redacted_thinking", data: "opaque" },
    {
      type: "text",
      text: "As written.",
      citations: [
        { type: "char_location", cited_text: "hello", document_index: 0, document_title: "notes", start_char_index: 0, end_char_index: 5 },
        { type: "page_location", cited_text: "page", document_index: 0, document_title: null, start_page_number: 1, end_page_number: 2 },
        { type: "web_search_result_location", cited_text: "web", url: "https://example.com/", title: "Example", encrypted_index: "enc" }
      ]
    }
  ], {
    stop_reason: "stop_sequence",
    stop_sequence: "STOP",
    usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 3 }
  })
  const prompt = [{
    role: "user" as const,
    content: [
      {
        type: "file" as const,
        mediaType: "text/plain",
        fileName: "notes.txt",
        data: "hello world",
        options: { "effect-anthropic": { citations: true }, anthropic: { citations: { enabled: true } } }
      },
      { type: "text" as const, text: "Quote it." }
    ]
  }]

  const peerMetadata = (parts: ReadonlyArray<{ readonly type: string; readonly metadata?: Record<string, unknown> }>, type: string) =>
    parts.filter((p) => p.type === type).map((p) => p.metadata?.anthropic)

  const peerUsage = {
    input_tokens: 10,
    output_tokens: 5,
    cache_read_input_tokens: 3,
    cache_creation_input_tokens: null,
    cache_creation: null,
    server_tool_use: null,
    service_tier: null
  }

  it.effect("generateText: reasoning, sources and the finish carry what @effect/ai-anthropic's do", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel()
      standIn.enqueue({ type: "json", status: 200, body: cited })
      const ours = (yield* provide(LanguageModel.generateText({ prompt }))).content
      expect(peerMetadata(ours, "source")).toEqual([
        { source: "document", type: "char_location", citedText: "hello", startCharIndex: 0, endCharIndex: 5 },
        { source: "document", type: "page_location", citedText: "page", startPageNumber: 1, endPageNumber: 2 },
        { source: "url", citedText: "web", encryptedIndex: "enc" }
      ])
      // Effect 4's @effect/ai-anthropic: the container and context management beside the usage and stop sequence.
      expect(peerMetadata(ours, "finish")).toEqual([{ container: null, contextManagement: null, usage: peerUsage, stopSequence: "STOP" }])
      // Ours stays where it was.
      expect(ours.find((p) => p.type === "finish")!.metadata["effect-anthropic"]).toMatchObject({ stopReason: "stop_sequence", stopSequence: "STOP" })
      // Effect 4's @effect/ai-anthropic nests the reasoning's signature or redacted data in `info`.
      expect(peerMetadata(ours, "reasoning")).toEqual([
        { info: { type: "thinking", signature: "sig-peer" } },
        { info: { type: "redacted_thinking", redactedData: "opaque" } }
      ])
    }))

  it.effect("streamText: the signature and redacted data on the same parts as @effect/ai-anthropic's; the finish's usage and stop sequence", () =>
    Effect.gen(function*() {
      const { provideStream, standIn } = yield* languageModel()
      standIn.enqueue(StandIn.streamOf(cited))
      const ours = yield* Stream.runCollect(provideStream(LanguageModel.streamText({ prompt })))
      // Where @effect/ai-anthropic puts them: the signature on a reasoning delta, the redacted data on the start.
      expect(peerMetadata(ours, "reasoning-delta").filter((m) => m !== undefined)).toEqual([{ info: { type: "thinking", signature: "sig-peer" } }])
      expect(peerMetadata(ours, "reasoning-start").filter((m) => m !== undefined)).toEqual([{ info: { type: "redacted_thinking", redactedData: "opaque" } }])
      expect(peerMetadata(ours, "finish")).toEqual([{
        container: null,
        contextManagement: null,
        usage: expect.objectContaining({ input_tokens: 10, output_tokens: 5 }),
        stopSequence: "STOP"
      }])
    }))
})
