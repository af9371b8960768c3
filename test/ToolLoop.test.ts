/**
 * The tool loop through the provider and the stand-in: parallel tools with a bound, failing tools as is_error
 * results, the step limit, pause_turn continued, and Chat.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Chat from "effect/ai/Chat"
import * as LanguageModel from "effect/ai/LanguageModel"
import type * as Response from "effect/ai/Response"
import * as Tool from "effect/ai/Tool"
import * as Toolkit from "effect/ai/Toolkit"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as AnthropicTools from "../src/AnthropicTools.js"
import * as StandIn from "../src/testing/StandIn.js"
import * as ToolLoop from "../src/ToolLoop.js"
import { languageModel, message } from "./languageModelFixtures.js"
import { KeptSpans, sdkLayer } from "./otel.js"

const Lookup = Tool.make("lookup", {
  parameters: Schema.Struct({ key: Schema.String }),
  success: Schema.String,
  failure: Schema.Struct({ reason: Schema.String })
})
const toolkit = Toolkit.make(Lookup)

const calls = (...keys: ReadonlyArray<string>): StandIn.Reply => ({
  type: "json",
  status: 200,
  body: message(keys.map((key, i) => ({ type: "tool_use", id: `toolu_${key}_${i}`, name: "lookup", input: { key } })), { stop_reason: "tool_use" })
})

const bodies = (standIn: StandIn.StandIn) => standIn.requests.map((r) => r.body)

describe("ToolLoop.run", () => {
  it.effect("runs the calls of one answer concurrently, sends their results back as tool_result, stops at the answer", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel()
      const bothStarted = yield* Deferred.make<void>()
      let started = 0
      const handlers = toolkit.toLayer({
        // Each waits until both have started: sequential handlers would never finish.
        lookup: ({ key }) =>
          Effect.gen(function*() {
            if (++started === 2) yield* Deferred.succeed(bothStarted, undefined)
            yield* Deferred.await(bothStarted)
            return `value of ${key}`
          })
      })
      standIn.enqueue(calls("a", "b"), StandIn.text("a and b are known."))
      const result = yield* provide(ToolLoop.run({ prompt: "Look up a and b", toolkit })).pipe(Effect.provide(handlers))
      expect(result.stoppedBy).toBe("finish")
      expect(result.steps.length).toBe(2)
      expect(result.response.text).toBe("a and b are known.")
      const second = bodies(standIn)[1]!.messages
      expect(second).toEqual([
        { role: "user", content: [{ type: "text", text: "Look up a and b" }] },
        {
          role: "assistant",
          content: [
            { type: "tool_use", id: "toolu_a_0", name: "lookup", input: { key: "a" } },
            { type: "tool_use", id: "toolu_b_1", name: "lookup", input: { key: "b" } }
          ]
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_a_0", content: "value of a" },
            { type: "tool_result", tool_use_id: "toolu_b_1", content: "value of b" }
          ]
        }
      ])
      expect(result.transcript.content.map((m) => m.role)).toEqual(["user", "assistant", "tool", "assistant"])
    }))

  it.effect("no more handlers at once than `concurrency`", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel()
      let running = 0
      let most = 0
      const handlers = toolkit.toLayer({
        lookup: ({ key }) =>
          Effect.acquireUseRelease(
            Effect.sync(() => {
              most = Math.max(most, ++running)
            }),
            () => Effect.as(Effect.yieldNow, key),
            () => Effect.sync(() => running--)
          )
      })
      standIn.enqueue(calls("a", "b", "c", "d", "e"), StandIn.text("done"))
      yield* provide(ToolLoop.run({ prompt: "five", toolkit, concurrency: 2 })).pipe(Effect.provide(handlers))
      expect(most).toBe(2)
      expect(bodies(standIn)[1]!.messages[2].content.length).toBe(5)
    }))

  it.effect("a failing or dying handler becomes an is_error result with its message; the loop goes on", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel()
      const handlers = toolkit.toLayer({
        lookup: ({ key }) =>
          key === "missing"
            ? Effect.fail({ reason: `no entry for ${key}` })
            : key === "broken"
            ? Effect.die(new RangeError("index out of range"))
            : Effect.succeed(`value of ${key}`)
      })
      standIn.enqueue(calls("missing", "broken", "fine"), StandIn.text("Some lookups failed."))
      const result = yield* provide(ToolLoop.run({ prompt: "three", toolkit })).pipe(Effect.provide(handlers))
      expect(result.stoppedBy).toBe("finish")
      expect(bodies(standIn)[1]!.messages[2].content).toEqual([
        { type: "tool_result", tool_use_id: "toolu_missing_0", content: '{"reason":"no entry for missing"}', is_error: true },
        { type: "tool_result", tool_use_id: "toolu_broken_1", content: "RangeError: index out of range", is_error: true },
        { type: "tool_result", tool_use_id: "toolu_fine_2", content: "value of fine" }
      ])
    }))

  it.effect("stops after maxSteps model calls when the model keeps calling tools", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel()
      standIn.setDefault(calls("again"))
      const handlers = toolkit.toLayer({ lookup: () => Effect.succeed("more") })
      const seen: Array<number> = []
      const result = yield* provide(ToolLoop.run({
        prompt: "loop",
        toolkit,
        maxSteps: 3,
        onStep: (step) => Effect.sync(() => seen.push(step))
      })).pipe(Effect.provide(handlers))
      expect(result.stoppedBy).toBe("maxSteps")
      expect(standIn.requests.length).toBe(3)
      expect(seen).toEqual([1, 2, 3])
      expect(result.response.finishReason).toBe("tool-calls")
    }))

  it.effect("a pause_turn is continued by sending the transcript again, the paused turn as the API sent it", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel()
      const paused = [
        { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: { query: "q" } },
        { type: "text", text: "Still searching" }
      ]
      standIn.enqueue({ type: "json", status: 200, body: message(paused, { stop_reason: "pause_turn" }) }, StandIn.text("Found it."))
      // The server tool is in the toolkit: its call's id is what lets the provider send the paused turn back whole.
      const searching = Toolkit.make(Lookup, AnthropicTools.WebSearch_20250305({}))
      const handlers = searching.toLayer({ lookup: () => Effect.succeed("x") })
      const result = yield* provide(ToolLoop.run({ prompt: "search", toolkit: searching })).pipe(Effect.provide(handlers))
      expect(result.steps.map((s) => s.finishReason)).toEqual(["pause", "stop"])
      expect(bodies(standIn)[1]!.messages).toEqual([
        { role: "user", content: [{ type: "text", text: "search" }] },
        { role: "assistant", content: paused }
      ])
    }))
})

describe("ToolLoop.runChat", () => {
  it.effect("starts from the chat's history and leaves the whole transcript in it", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel()
      const handlers = toolkit.toLayer({ lookup: ({ key }) => Effect.succeed(`value of ${key}`) })
      standIn.enqueue(StandIn.text("Hello."), calls("a"), StandIn.text("a is known."), StandIn.text("You asked about a."))
      yield* provide(Effect.gen(function*() {
        const chat = yield* Chat.empty
        yield* chat.generateText({ prompt: "Hi" })
        yield* ToolLoop.runChat(chat, { prompt: "Look up a", toolkit })
        yield* chat.generateText({ prompt: "What did I ask?" })
      })).pipe(Effect.provide(handlers))
      const last = bodies(standIn)[3]!.messages
      expect(last.map((m: any) => m.role)).toEqual(["user", "assistant", "user", "assistant", "user", "assistant", "user"])
      expect(last[4].content).toEqual([{ type: "tool_result", tool_use_id: "toolu_a_0", content: "value of a" }])
    }))
})

/** A turn of the model: these blocks, ending in tool_use. */
const turn = (content: ReadonlyArray<Record<string, unknown>>): StandIn.Reply => ({
  type: "json",
  status: 200,
  body: message(content, { stop_reason: content.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn" })
})

const handlers = toolkit.toLayer({
  lookup: ({ key }) => key === "missing" ? Effect.fail({ reason: `no entry for ${key}` }) : Effect.succeed(`value of ${key}`)
})

describe("ToolLoop.run: calls the toolkit cannot run go back to the model", () => {
  it.effect("a call of a tool the toolkit does not have is an is_error result naming it and the tools; the others run; the loop goes on", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel()
      const first = [
        { type: "text", text: "Let me look." },
        { type: "tool_use", id: "toolu_nope", name: "search_web", input: { q: "x" } },
        { type: "tool_use", id: "toolu_a", name: "lookup", input: { key: "a" } }
      ]
      standIn.enqueue(turn(first), StandIn.text("a is known; there is no search."))
      const result = yield* provide(ToolLoop.run({ prompt: "go", toolkit })).pipe(Effect.provide(handlers))
      expect(result.stoppedBy).toBe("finish")
      expect(result.response.text).toBe("a is known; there is no search.")
      const second = bodies(standIn)[1]!.messages
      // The turn goes back as the API sent it: every tool_use has its tool_result.
      expect(second[1]).toEqual({ role: "assistant", content: first })
      expect(second[2].content).toEqual([
        { type: "tool_result", tool_use_id: "toolu_a", content: "value of a" },
        { type: "tool_result", tool_use_id: "toolu_nope", content: "Tool 'search_web' not found. Available tools: lookup", is_error: true }
      ])
      // The step's response holds the calls it could type: the refused one is in the transcript only.
      expect(result.steps[0]!.toolCalls.map((c) => [c.name, c.params])).toEqual([["lookup", { key: "a" }]])
      const transcriptCalls = result.transcript.content.flatMap((m) => m.role === "assistant" ? m.content.filter((p) => p.type === "tool-call") : [])
      expect(transcriptCalls.map((c) => c.type === "tool-call" && c.name)).toEqual(["lookup", "search_web"])
    }))

  it.effect("input the tool's schema refuses is an is_error result with every problem; the handler never sees it", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel()
      const keys: Array<string> = []
      const counting = toolkit.toLayer({ lookup: ({ key }) => Effect.sync(() => keys.push(key)).pipe(Effect.as(`value of ${key}`)) })
      standIn.enqueue(
        turn([
          { type: "tool_use", id: "toolu_num", name: "lookup", input: { key: 42 } },
          { type: "tool_use", id: "toolu_empty", name: "lookup", input: {} },
          { type: "tool_use", id: "toolu_ok", name: "lookup", input: { key: "b" } }
        ]),
        StandIn.text("b is known.")
      )
      const result = yield* provide(ToolLoop.run({ prompt: "go", toolkit })).pipe(Effect.provide(counting))
      expect(result.stoppedBy).toBe("finish")
      expect(keys).toEqual(["b"])
      expect(bodies(standIn)[1]!.messages[2].content).toEqual([
        // Effect 4's wording of a schema's issues ("got" for Effect 3's "actual", "Missing key" for "is missing").
        { type: "tool_result", tool_use_id: "toolu_num", content: "Invalid input for tool 'lookup': key: Expected string, got 42", is_error: true },
        { type: "tool_result", tool_use_id: "toolu_empty", content: "Invalid input for tool 'lookup': key: Missing key", is_error: true },
        { type: "tool_result", tool_use_id: "toolu_ok", content: "value of b" }
      ])
    }))

  it.effect("the step limit still applies when the model keeps calling a tool that is not there", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel()
      standIn.setDefault({ type: "dynamic", reply: () => turn([{ type: "tool_use", id: `toolu_${standIn.requests.length}`, name: "ghost", input: {} }]) })
      const result = yield* provide(ToolLoop.run({ prompt: "go", toolkit, maxSteps: 3 })).pipe(Effect.provide(handlers))
      expect(result.stoppedBy).toBe("maxSteps")
      expect(standIn.requests.length).toBe(3)
      expect(bodies(standIn)[2]!.messages.length).toBe(5)
    }))

  it.effect("what the model is told is clipped and never holds a key: a hostile tool name", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel()
      const secret = `sk-ant-api03-${"s".repeat(40)}`
      standIn.enqueue(
        turn([
          { type: "tool_use", id: "toolu_long", name: `${secret} ${"n".repeat(5000)}`, input: {} },
          { type: "tool_use", id: "toolu_bad", name: "lookup", input: { key: { secret, pad: "p".repeat(5000) } } }
        ]),
        StandIn.text("ok")
      )
      yield* provide(ToolLoop.run({ prompt: "go", toolkit })).pipe(Effect.provide(handlers))
      const results = bodies(standIn)[1]!.messages[2].content as Array<{ tool_use_id: string; content: string; is_error: boolean }>
      for (const result of results) {
        expect(result.is_error).toBe(true)
        expect(result.content).not.toContain(secret)
        expect(result.content.length).toBeLessThan(2100)
      }
      const text = (id: string) => results.find((r) => r.tool_use_id === id)!.content
      expect(text("toolu_long")).toMatch(/^Tool 'sk-ant-api03-…\[redacted\] n+… \(cut\)' not found/)
      expect(text("toolu_bad")).toMatch(/^Invalid input for tool 'lookup': key: Expected string, got \{"secret":"sk-ant-api03-…\[redacted\]/)
    }))

  it.effect("with extended thinking, a turn with a refused call goes back with its thinking block and signature", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel({ config: { max_tokens: 4000, thinking: { type: "enabled", budget_tokens: 2000 } } })
      const first = [
        { type: "thinking", thinking: "Which tool?", signature: "sig-loop" },
        { type: "tool_use", id: "toolu_ghost", name: "ghost", input: {} }
      ]
      standIn.enqueue(turn(first), StandIn.text("No such tool."))
      yield* provide(ToolLoop.run({ prompt: "go", toolkit })).pipe(Effect.provide(handlers))
      expect(bodies(standIn)[1]!.messages[1]).toEqual({ role: "assistant", content: first })
    }))
})

/** What a stream part shows in the tests. */
const shown = (part: ToolLoop.StreamPart<any>): string =>
  part.type === "tool-call"
    ? `call:${part.name}:${JSON.stringify(part.params)}`
    : part.type === "tool-result"
    ? `result:${part.id}:${part.isFailure ? "failed:" : ""}${JSON.stringify(part.result)}`
    : part.type === "text-delta"
    ? `text:${part.delta}`
    : part.type === "finish"
    ? `finish:${part.reason}`
    : part.type

describe("ToolLoop.stream", () => {
  it.effect("every step's parts as they arrive, each call's result after them, then the next step, as run sends it", () =>
    Effect.gen(function*() {
      const { provideStream, standIn } = yield* languageModel()
      standIn.enqueue(
        StandIn.streamOf(StandIn.messageJson([
          { type: "text", text: "Looking." },
          { type: "tool_use", id: "toolu_a", name: "lookup", input: { key: "a" } }
        ]), { piecesPerBlock: 1 }),
        StandIn.streamText("a is known.", { piecesPerBlock: 1 })
      )
      const steps: Array<string> = []
      const parts = yield* Stream.runCollect(provideStream(ToolLoop.stream({
        prompt: "Look up a",
        toolkit,
        onStep: (step, response) => Effect.sync(() => steps.push(`${step}:${response.text}:${response.toolCalls.length}:${response.finishReason}`))
      }))).pipe(Effect.provide(handlers))
      expect(parts.map(shown).filter((s) => !s.startsWith("tool-params") && s !== "text-start" && s !== "text-end")).toEqual([
        "response-metadata",
        "text:Looking.",
        'call:lookup:{"key":"a"}',
        "finish:tool-calls",
        'result:toolu_a:"value of a"',
        "response-metadata",
        "text:a is known.",
        "finish:stop"
      ])
      expect(steps).toEqual(["1:Looking.:1:tool-calls", "2:a is known.:0:stop"])
      expect(bodies(standIn)[1]!.messages).toEqual([
        { role: "user", content: [{ type: "text", text: "Look up a" }] },
        {
          role: "assistant",
          content: [{ type: "text", text: "Looking." }, { type: "tool_use", id: "toolu_a", name: "lookup", input: { key: "a" } }]
        },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_a", content: "value of a" }] }
      ])
    }))

  it.effect("an unknown tool, refused input and a failing handler are is_error results in the stream too; the loop goes on", () =>
    Effect.gen(function*() {
      const { provideStream, standIn } = yield* languageModel()
      standIn.enqueue(
        StandIn.streamOf(StandIn.messageJson([
          { type: "tool_use", id: "toolu_ghost", name: "ghost", input: { x: 1 } },
          { type: "tool_use", id: "toolu_num", name: "lookup", input: { key: 7 } },
          { type: "tool_use", id: "toolu_missing", name: "lookup", input: { key: "missing" } }
        ])),
        StandIn.streamText("Nothing worked.")
      )
      const parts = yield* Stream.runCollect(provideStream(ToolLoop.stream({ prompt: "go", toolkit }))).pipe(
        Effect.provide(handlers)
      )
      const calls = parts.filter((p) => p.type === "tool-call" || p.type === "tool-result" || p.type === "finish").map(shown)
      expect(calls.slice(0, 4)).toEqual([
        'call:lookup:{"key":7}',
        'call:lookup:{"key":"missing"}',
        'call:ghost:{"x":1}',
        "finish:tool-calls"
      ])
      // Results as each is known: their order is the handlers'.
      expect(calls.slice(4, 7).sort()).toEqual([
        'result:toolu_ghost:failed:"Tool \'ghost\' not found. Available tools: lookup"',
        `result:toolu_missing:failed:${JSON.stringify('{"reason":"no entry for missing"}')}`,
        'result:toolu_num:failed:"Invalid input for tool \'lookup\': key: Expected string, got 7"'
      ])
      expect(calls[7]).toBe("finish:stop")
      expect(bodies(standIn)[1]!.messages[2].content).toEqual([
        { type: "tool_result", tool_use_id: "toolu_num", content: "Invalid input for tool 'lookup': key: Expected string, got 7", is_error: true },
        { type: "tool_result", tool_use_id: "toolu_missing", content: '{"reason":"no entry for missing"}', is_error: true },
        { type: "tool_result", tool_use_id: "toolu_ghost", content: "Tool 'ghost' not found. Available tools: lookup", is_error: true }
      ])
    }))

  it.effect("a call of an unknown tool loses nothing of its answer: the calls after it, the finish, and the thinking sent back", () =>
    Effect.gen(function*() {
      const { provideStream, standIn } = yield* languageModel({ config: { max_tokens: 4000, thinking: { type: "enabled", budget_tokens: 2000 } } })
      const first = [
        { type: "thinking", thinking: "Hmm.", signature: "sig-stream" },
        { type: "tool_use", id: "toolu_ghost", name: "ghost", input: {} },
        { type: "tool_use", id: "toolu_a", name: "lookup", input: { key: "a" } }
      ]
      const events = StandIn.streamEventsOf(StandIn.messageJson(first as never))
      // Up to the end of the unknown call's block in one network read, the rest in another.
      const cut = events.findIndex((e) => e.event === "content_block_stop" && (e.data as { index: number }).index === 1) + 1
      const { channel, reply } = StandIn.live()
      standIn.enqueue(reply, StandIn.streamText("No such tool; a is known."))
      const seen: Array<string> = []
      const blockEnded = yield* Deferred.make<void>()
      const fiber = yield* Effect.forkChild(Stream.runForEach(provideStream(ToolLoop.stream({ prompt: "go", toolkit })), (part) =>
        Effect.andThen(
          Effect.sync(() => seen.push(shown(part))),
          part.type === "tool-params-end" ? Deferred.succeed(blockEnded, undefined) : Effect.void
        )).pipe(Effect.provide(handlers)))
      const live = yield* Effect.promise(() => channel)
      yield* Effect.promise(() => live.write(StandIn.sse(events.slice(0, cut))))
      yield* Deferred.await(blockEnded)
      yield* Effect.promise(() => live.write(StandIn.sse(events.slice(cut))))
      live.end()
      yield* Fiber.join(fiber)
      const calls = seen.filter((s) => s.startsWith("call") || s.startsWith("finish") || s.startsWith("result"))
      expect(calls.slice(0, 3)).toEqual(['call:lookup:{"key":"a"}', "call:ghost:{}", "finish:tool-calls"])
      expect(calls.slice(3, 5).sort()).toEqual([
        'result:toolu_a:"value of a"',
        `result:toolu_ghost:failed:"Tool 'ghost' not found. Available tools: lookup"`
      ])
      expect(calls[5]).toBe("finish:stop")
      // The turn goes back as the API sent it, thinking first (the API refuses a tool-use turn without it).
      expect(bodies(standIn)[1]!.messages[1]).toEqual({ role: "assistant", content: first })
    }))

  it.effect("pause_turn is continued and maxSteps bounds the stream", () =>
    Effect.gen(function*() {
      const { provideStream, standIn } = yield* languageModel()
      standIn.enqueue(StandIn.streamOf(StandIn.messageJson([{ type: "text", text: "Still going" }], { stop_reason: "pause_turn" })))
      standIn.setDefault({
        type: "dynamic",
        reply: () => StandIn.streamOf(StandIn.messageJson([{ type: "tool_use", id: `toolu_${standIn.requests.length}`, name: "lookup", input: { key: "k" } }]))
      })
      const parts = yield* Stream.runCollect(provideStream(ToolLoop.stream({ prompt: "go", toolkit, maxSteps: 3 }))).pipe(
        Effect.provide(handlers)
      )
      expect(standIn.requests.length).toBe(3)
      expect(parts.filter((p) => p.type === "finish").map(shown)).toEqual(["finish:pause", "finish:tool-calls", "finish:tool-calls"])
      expect(parts.filter((p) => p.type === "tool-result").length).toBe(2)
      expect(bodies(standIn)[1]!.messages[1]).toEqual({ role: "assistant", content: [{ type: "text", text: "Still going" }] })
    }))

  it.effect("streamChat starts from the chat's history and leaves the whole transcript in it once the loop ends", () =>
    Effect.gen(function*() {
      const { provide, provideStream, standIn } = yield* languageModel()
      standIn.enqueue(
        StandIn.text("Hello."),
        StandIn.streamOf(StandIn.messageJson([{ type: "tool_use", id: "toolu_a", name: "lookup", input: { key: "a" } }])),
        StandIn.streamText("a is known."),
        StandIn.text("You asked about a.")
      )
      const chat = yield* provide(Chat.empty)
      yield* provide(chat.generateText({ prompt: "Hi" }))
      yield* Stream.runDrain(provideStream(ToolLoop.streamChat(chat, { prompt: "Look up a", toolkit }))).pipe(Effect.provide(handlers))
      yield* provide(chat.generateText({ prompt: "What did I ask?" }))
      const last = bodies(standIn)[3]!.messages
      expect(last.map((m: any) => m.role)).toEqual(["user", "assistant", "user", "assistant", "user", "assistant", "user"])
      expect(last[4].content).toEqual([{ type: "tool_result", tool_use_id: "toolu_a", content: "value of a" }])
    }))
})

describe("ToolLoop with a LanguageModel that is not this provider", () => {
  const Add = Tool.make("add", {
    description: "Adds two numbers",
    parameters: Schema.Struct({ a: Schema.NumberFromString, b: Schema.NumberFromString }),
    success: Schema.Number
  })
  const adder = Toolkit.make(Add)
  const added: Array<unknown> = []
  const adding = adder.toLayer({ add: (params) => Effect.sync(() => added.push(params)).pipe(Effect.as(params.a + params.b)) })

  /** A model made by hand: its answers, and every request it got. */
  const scripted = (answers: {
    readonly text?: Array<ReadonlyArray<Response.PartEncoded>>
    readonly stream?: Array<ReadonlyArray<ReadonlyArray<Response.StreamPartEncoded>>>
  }) => {
    const requests: Array<LanguageModel.ProviderOptions> = []
    const layer = Layer.effect(
      LanguageModel.LanguageModel,
      LanguageModel.make({
        generateText: (options) => Effect.sync(() => (requests.push(options), [...answers.text!.shift()!])),
        streamText: (options) =>
          Stream.suspend(() => (requests.push(options), Stream.fromArrays(...answers.stream!.shift()!)))
      })
    )
    return { layer, requests }
  }

  const finish = (reason: Response.FinishReason): Response.PartEncoded => ({
    type: "finish",
    reason,
    // Effect 4's usage: input and output apart, each with its parts.
    usage: {
      inputTokens: { uncached: 1, total: 1, cacheRead: undefined, cacheWrite: undefined },
      outputTokens: { total: 1, text: undefined, reasoning: undefined }
    }
  })
  const call = (id: string, name: string, params: unknown): Response.PartEncoded => ({ type: "tool-call", id, name, params })

  /** The tool parts of the prompt a request carried after the first: what the loop sent back. */
  const sentBack = (request: LanguageModel.ProviderOptions) =>
    request.prompt.content.flatMap((m) =>
      m.role === "assistant" || m.role === "tool"
        ? m.content.flatMap((p) =>
          p.type === "tool-call" ? [`call:${p.id}:${p.name}:${JSON.stringify(p.params)}`]
          : p.type === "tool-result" ? [`result:${p.id}:${p.isFailure}:${JSON.stringify(p.result)}`]
          : []
        )
        : []
    )

  it.effect("run: the model gets the real tools' JSON schema; unknown tools and refused input go back; valid params decoded once", () =>
    Effect.gen(function*() {
      added.length = 0
      const { layer, requests } = scripted({
        text: [
          [
            { type: "text", text: "Adding." },
            call("c1", "add", { a: "1", b: "2" }),
            call("c2", "multiply", { a: "1" }),
            call("c3", "add", { a: 1 }),
            finish("tool-calls")
          ],
          [{ type: "text", text: "1 + 2 = 3" }, finish("stop")]
        ]
      })
      const result = yield* ToolLoop.run({ prompt: "1 + 2?", toolkit: adder }).pipe(Effect.provide(adding), Effect.provide(layer))
      expect(result.response.text).toBe("1 + 2 = 3")
      const offered = requests[0]!.tools
      expect(offered.map((t) => t.name)).toEqual(["add"])
      expect(Tool.getJsonSchema(offered[0] as typeof Add)).toEqual(Tool.getJsonSchema(Add))
      expect(Tool.getDescription(offered[0] as typeof Add)).toBe("Adds two numbers")
      expect(added).toEqual([{ a: 1, b: 2 }])
      expect(result.steps[0]!.toolCalls.map((c) => [c.id, c.params])).toEqual([["c1", { a: 1, b: 2 }]])
      const back = sentBack(requests[1]!)
      expect(back.slice(0, 3)).toEqual(['call:c1:add:{"a":"1","b":"2"}', 'call:c2:multiply:{"a":"1"}', 'call:c3:add:{"a":1}'])
      expect(back.slice(3)).toEqual([
        "result:c1:false:3",
        `result:c2:true:"Tool 'multiply' not found. Available tools: add"`,
        `result:c3:true:"Invalid input for tool 'add': a: Expected string, got 1; b: Missing key"`
      ])
    }))

  // Effect 3's @effect/ai refused a chunk holding a call of an unknown tool, so the loop recovered that chunk and lost
  // the chunks after it. Effect 4's deferred validation hands every call through: nothing is lost any more.
  it.effect("stream: a call of an unknown tool loses nothing, in its answer's chunk or in the chunks after it", () =>
    Effect.gen(function*() {
      added.length = 0
      const { layer, requests } = scripted({
        stream: [
          // The unknown call comes with the finish.
          [
            [{ type: "text-start", id: "t" }, { type: "text-delta", id: "t", delta: "Adding." }, { type: "text-end", id: "t" }],
            [call("c1", "add", { a: "2", b: "2" }) as Response.StreamPartEncoded, call("c2", "multiply", {}) as Response.StreamPartEncoded, finish("tool-calls") as Response.StreamPartEncoded]
          ],
          // The unknown call comes before another call and the finish, in chunks of their own.
          [
            [call("c3", "multiply", {}) as Response.StreamPartEncoded],
            [call("c4", "add", { a: "5", b: "5" }) as Response.StreamPartEncoded, finish("tool-calls") as Response.StreamPartEncoded]
          ],
          [[{ type: "text-start", id: "u" }, { type: "text-delta", id: "u", delta: "4" }, { type: "text-end", id: "u" }, finish("stop") as Response.StreamPartEncoded]]
        ]
      })
      const parts = yield* Stream.runCollect(ToolLoop.stream({ prompt: "2 + 2?", toolkit: adder })).pipe(
        Effect.provide(adding),
        Effect.provide(layer)
      )
      const seen = parts.filter((p) => p.type === "tool-call" || p.type === "tool-result" || p.type === "finish").map(shown)
      expect(seen.slice(0, 5)).toEqual([
        'call:add:{"a":2,"b":2}',
        "call:multiply:{}",
        "finish:tool-calls",
        "result:c1:4",
        `result:c2:failed:"Tool 'multiply' not found. Available tools: add"`
      ])
      expect(seen.slice(5, 8)).toEqual(["call:multiply:{}", 'call:add:{"a":5,"b":5}', "finish:tool-calls"])
      // Results as each is known: their order is the handlers'.
      expect(seen.slice(8, 10).sort()).toEqual(["result:c3:failed:\"Tool 'multiply' not found. Available tools: add\"", "result:c4:10"])
      expect(seen.slice(10)).toEqual(["finish:stop"])
      expect(added).toEqual([{ a: 2, b: 2 }, { a: 5, b: 5 }])
      expect(sentBack(requests[2]!).slice(-4)).toEqual([
        "call:c3:multiply:{}",
        'call:c4:add:{"a":"5","b":"5"}',
        `result:c3:true:"Tool 'multiply' not found. Available tools: add"`,
        "result:c4:false:10"
      ])
    }))
})

describe("ToolLoop.run under a tracer", () => {
  it.live("each tool execution is an execute_tool span, under the run, with no argument or result in it", () =>
    Effect.gen(function*() {
      const exporter = new KeptSpans()
      const sdk = sdkLayer(exporter)
      const { provide, standIn } = yield* languageModel()
      const handlers = toolkit.toLayer({ lookup: ({ key }) => Effect.succeed(`secret value of ${key}`) })
      standIn.enqueue(calls("a"), StandIn.text("done"))
      yield* provide(ToolLoop.run({ prompt: "Look up a", toolkit })).pipe(Effect.provide(Layer.merge(handlers, sdk)))
      const spans = exporter.getFinishedSpans()
      const tool = spans.find((s) => s.name === "execute_tool lookup")
      expect(tool?.attributes).toMatchObject({
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "lookup",
        "gen_ai.tool.call.id": "toolu_a_0",
        "gen_ai.tool.type": "function"
      })
      expect(spans.filter((s) => s.name.startsWith("chat ")).length).toBe(2)
      expect(JSON.stringify(spans.map((s) => [s.attributes, s.events]))).not.toContain("secret value")
    }))
})
