/**
 * The @effect/ai provider and the tool loop against careless prompts and odd answers: prompts the API would refuse,
 * values JSON cannot carry, tools that share an API name, streamed tool calls without deltas or cut off, handler
 * errors holding secrets, a recursive structured-output schema.
 */
import { describe, expect, it } from "@effect/vitest"
import * as LanguageModel from "effect/ai/LanguageModel"
import * as Tool from "effect/ai/Tool"
import * as Toolkit from "effect/ai/Toolkit"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as AnthropicTools from "../src/AnthropicTools.js"
import * as StructuredOutput from "../src/StructuredOutput.js"
import * as StandIn from "../src/testing/StandIn.js"
import * as ToolLoop from "../src/ToolLoop.js"
import { languageModel, message } from "./languageModelFixtures.js"

const lastBody = (standIn: StandIn.StandIn) => standIn.requests[standIn.requests.length - 1]!.body

describe("prompts the API would refuse", () => {
  it.effect("empty and whitespace-only texts are left out; a prompt with nothing left is a MalformedInput, unsent", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel()
      yield* provide(LanguageModel.generateText({
        prompt: [
          { role: "user", content: [{ type: "text", text: "   " }, { type: "text", text: "Real question" }] },
          { role: "assistant", content: "   \n" }
        ]
      }))
      expect(lastBody(standIn).messages).toEqual([{ role: "user", content: [{ type: "text", text: "Real question" }] }])
      const empty = yield* Effect.flip(provide(LanguageModel.generateText({ prompt: [{ role: "user", content: " " }] })))
      // Effect 4: Effect 3's MalformedInput is the AiError's InvalidUserInputError reason.
      expect(empty.reason._tag).toBe("InvalidUserInputError")
      expect(empty.message).toContain("no message to send")
      expect(standIn.requests.length).toBe(1)
    }))

  it.effect("a tool result JSON cannot carry (a BigInt, a cycle) is a MalformedInput, never a defect", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel()
      const cyclic: Record<string, unknown> = {}
      cyclic.loopbackProperty = cyclic
      for (const result of [10n, cyclic]) {
        const error = yield* Effect.flip(provide(LanguageModel.generateText({
          prompt: [
            { role: "user", content: "q" },
            { role: "assistant", content: [{ type: "tool-call", id: "toolu_1", name: "t", params: {} }] },
            { role: "tool", content: [{ type: "tool-result", id: "toolu_1", name: "t", result, isFailure: false, providerExecuted: false }] }
          ]
        })))
        expect(error.reason._tag).toBe("InvalidUserInputError")
        expect(error.message).toContain("the result of tool call toolu_1 cannot be sent as JSON")
        expect(error.message).not.toContain("loopbackProperty")
      }
      expect(standIn.requests).toEqual([])
    }))

  it.effect("two tools with one API name are refused: a call of that name could reach either handler", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel()
      const Bash = Tool.make("bash", { parameters: Schema.Struct({ command: Schema.String }), success: Schema.String })
      const kit = Toolkit.make(AnthropicTools.Bash_20250124({}), Bash)
      const error = yield* Effect.flip(provide(LanguageModel.generateText({ prompt: "ls", toolkit: kit, disableToolCallResolution: true })).pipe(
        Effect.provide(kit.toLayer({ AnthropicBash: () => Effect.succeed(""), bash: () => Effect.succeed("") }))
      ))
      expect(error.reason._tag).toBe("InvalidUserInputError")
      expect((error.reason as { description?: string }).description).toBe(`two tools are named "bash" for the API`)
      expect(standIn.requests).toEqual([])
    }))
})

describe("streamed tool calls", () => {
  const Lookup = Tool.make("lookup", { parameters: Schema.Struct({ key: Schema.optional(Schema.String) }), success: Schema.String })
  const kit = Toolkit.make(Lookup)
  const handlers = kit.toLayer({ lookup: () => Effect.succeed("v") })

  it.effect("an input given whole in content_block_start, or a call cut off by max_tokens, has the params a whole answer has", () =>
    Effect.gen(function*() {
      const { provideStream, standIn } = yield* languageModel()
      const start = { type: "message_start", message: message([], { stop_reason: null }) }
      standIn.enqueue({
        type: "stream",
        body: StandIn.sse([
          { event: "message_start", data: start },
          { event: "content_block_start", data: { type: "content_block_start", index: 0, content_block: { type: "tool_use", id: "toolu_a", name: "lookup", input: { key: "abc" } } } },
          { event: "content_block_stop", data: { type: "content_block_stop", index: 0 } },
          { event: "content_block_start", data: { type: "content_block_start", index: 1, content_block: { type: "tool_use", id: "toolu_b", name: "lookup", input: {} } } },
          { event: "content_block_delta", data: { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: '{"key": "de' } } },
          { event: "message_delta", data: { type: "message_delta", delta: { stop_reason: "max_tokens" }, usage: { output_tokens: 9 } } },
          { event: "message_stop", data: { type: "message_stop" } }
        ])
      })
      const parts = yield* Stream.runCollect(
        provideStream(LanguageModel.streamText({ prompt: "go", toolkit: kit, disableToolCallResolution: true }))
      ).pipe(Effect.provide(handlers))
      const calls = parts.filter((p) => p.type === "tool-call").map((p) => p.type === "tool-call" && [p.id, p.params])
      expect(calls).toEqual([["toolu_a", { key: "abc" }], ["toolu_b", {}]])
      expect(parts.filter((p) => p.type === "tool-params-end").length).toBe(2)
      expect(parts[parts.length - 1]!.type).toBe("finish")
    }))

  it.effect("a citation delta that is no object is passed over, not taken for the caller's mistake", () =>
    Effect.gen(function*() {
      const { provideStream, standIn } = yield* languageModel()
      const events = StandIn.streamEventsOf(message([{ type: "text", text: "hi" }]))
      events.splice(3, 0, { event: "content_block_delta", data: { type: "content_block_delta", index: 0, delta: { type: "citations_delta", citation: null } } })
      standIn.enqueue({ type: "stream", body: StandIn.sse(events) })
      const parts = yield* Stream.runCollect(provideStream(LanguageModel.streamText({ prompt: "go" })))
      expect(parts.some((p) => p.type === "source")).toBe(false)
      expect(parts.map((p) => p.type === "text-delta" ? p.delta : "").join("")).toBe("hi")
    }))
})

describe("the tool loop", () => {
  it.effect("a handler's error that holds a key reaches the model masked; maxSteps NaN is the default, not zero", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel()
      const Lookup = Tool.make("lookup", { parameters: Schema.Struct({ key: Schema.String }), success: Schema.String })
      const kit = Toolkit.make(Lookup)
      const handlers = kit.toLayer({
        lookup: () => Effect.die(new Error("db login failed for sk-ant-api03-" + "s".repeat(40)))
      })
      standIn.enqueue(StandIn.toolUse("lookup", { key: "k" }), StandIn.text("sorry"))
      const result = yield* provide(ToolLoop.run({ prompt: "x", toolkit: kit, maxSteps: Number.NaN })).pipe(Effect.provide(handlers))
      expect(result.stoppedBy).toBe("finish")
      const sent = JSON.stringify(lastBody(standIn).messages)
      expect(sent).toContain("db login failed for sk-ant-api03-")
      expect(sent).not.toContain("s".repeat(40))
    }))
})

describe("the tool loop, hostile calls", () => {
  it.effect("calls named like Object's own properties are unknown tools, never something the toolkit inherits", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* languageModel()
      const Lookup = Tool.make("lookup", { parameters: Schema.Struct({ key: Schema.String }), success: Schema.String })
      const kit = Toolkit.make(Lookup)
      standIn.enqueue(
        {
          type: "json",
          status: 200,
          body: message([
            { type: "tool_use", id: "toolu_c", name: "constructor", input: {} },
            { type: "tool_use", id: "toolu_p", name: "__proto__", input: {} },
            { type: "tool_use", id: "toolu_s", name: "toString", input: { key: "k" } }
          ], { stop_reason: "tool_use" })
        },
        StandIn.text("ok")
      )
      const result = yield* provide(ToolLoop.run({ prompt: "x", toolkit: kit })).pipe(
        Effect.provide(kit.toLayer({ lookup: () => Effect.succeed("v") }))
      )
      expect(result.stoppedBy).toBe("finish")
      expect(lastBody(standIn).messages[2].content.map((r: { content: string; is_error: boolean }) => [r.content, r.is_error])).toEqual([
        ["Tool 'constructor' not found. Available tools: lookup", true],
        ["Tool '__proto__' not found. Available tools: lookup", true],
        ["Tool 'toString' not found. Available tools: lookup", true]
      ])
    }))
})

describe("structured output", () => {
  it("a recursive Schema.Class at the root keeps its own definition for its $ref", () => {
    interface Tree {
      readonly value: number
      readonly children: ReadonlyArray<Tree>
    }
    const Tree: Schema.Schema<Tree> = Schema.Struct({
      value: Schema.Number,
      children: Schema.Array(Schema.suspend((): Schema.Schema<Tree> => Tree))
    }).annotate({ identifier: "Tree" })
    const schema = StructuredOutput.jsonSchema(Tree)
    const refs = new Set([...JSON.stringify(schema).matchAll(/"\$ref":"#\/\$defs\/(\w+)"/g)].map((m) => m[1]))
    // Every $ref names a definition that is there.
    expect([...refs]).toEqual(["Tree"])
    expect(Object.keys((schema.$defs ?? {}) as object)).toEqual(["Tree"])
    expect(schema.type).toBe("object")
  })
})
