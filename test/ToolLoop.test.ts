/**
 * The tool loop through the provider and the stand-in: parallel tools with a bound, failing tools as is_error
 * results, the step limit, pause_turn continued, and Chat.
 */
import * as Chat from "@effect/ai/Chat"
import * as Tool from "@effect/ai/Tool"
import * as Toolkit from "@effect/ai/Toolkit"
import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as AnthropicTools from "../src/AnthropicTools.js"
import * as StandIn from "../src/testing/StandIn.js"
import * as ToolLoop from "../src/ToolLoop.js"
import { languageModel, message } from "./languageModelFixtures.js"

const Lookup = Tool.make("lookup", {
  parameters: { key: Schema.String },
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
  it.scoped("runs the calls of one answer concurrently, sends their results back as tool_result, stops at the answer", () =>
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

  it.scoped("no more handlers at once than `concurrency`", () =>
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
            () => Effect.as(Effect.yieldNow(), key),
            () => Effect.sync(() => running--)
          )
      })
      standIn.enqueue(calls("a", "b", "c", "d", "e"), StandIn.text("done"))
      yield* provide(ToolLoop.run({ prompt: "five", toolkit, concurrency: 2 })).pipe(Effect.provide(handlers))
      expect(most).toBe(2)
      expect(bodies(standIn)[1]!.messages[2].content.length).toBe(5)
    }))

  it.scoped("a failing or dying handler becomes an is_error result with its message; the loop goes on", () =>
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

  it.scoped("stops after maxSteps model calls when the model keeps calling tools", () =>
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

  it.scoped("a pause_turn is continued by sending the transcript again, the paused turn as the API sent it", () =>
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
  it.scoped("starts from the chat's history and leaves the whole transcript in it", () =>
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
