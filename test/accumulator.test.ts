/**
 * MessageAccumulator: through a streamed call against a loopback server (empty tool inputs, citations), then on
 * synthetic streams (message_delta fields, tool input cut by max_tokens, block index rules).
 */
import { partialParse } from "@anthropic-ai/sdk/_vendor/partial-json-parser/parser"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as fc from "fast-check"
import { StreamError } from "../src/Errors.js"
import type * as Messages from "../src/Messages.js"
import * as MessageStream from "../src/MessageStream.js"
import * as StandIn from "../src/testing/StandIn.js"
import { API_KEY, hello, stack } from "./fixtures.js"

type Event = { readonly type: string; readonly [key: string]: unknown }

const encoder = new TextEncoder()

/** The events as the API sends them: SSE bytes, through the real decoder. */
const eventsOf = (events: ReadonlyArray<Event>) =>
  Stream.make(encoder.encode(StandIn.sse(events.map((data) => ({ event: data.type, data }))))).pipe(
    MessageStream.decodeSse({ credential: "api_key" })
  )

const finalOf = (events: ReadonlyArray<Event>) => MessageStream.finalMessage(eventsOf(events))

const malformedOf = (events: ReadonlyArray<Event>) =>
  Effect.map(Effect.flip(finalOf(events)), (error) => {
    expect(error._tag).toBe("StreamError")
    return error as Extract<typeof error, { _tag: "StreamError" }>
  })

const messageStart = (fields: Record<string, unknown> = {}): Event => ({
  type: "message_start",
  message: {
    id: "msg_synthetic",
    type: "message",
    role: "assistant",
    model: "claude-sonnet-4-5",
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: 1 },
    ...fields
  }
})
const blockStart = (index: number, content_block: Record<string, unknown>): Event => ({ type: "content_block_start", index, content_block })
const blockDelta = (index: number, delta: Record<string, unknown>): Event => ({ type: "content_block_delta", index, delta })
const blockStop = (index: number): Event => ({ type: "content_block_stop", index })
const text = (index: number, value: string): ReadonlyArray<Event> => [
  blockStart(index, { type: "text", text: "" }),
  blockDelta(index, { type: "text_delta", text: value }),
  blockStop(index)
]
const messageEnd = (delta: Record<string, unknown> = { stop_reason: "end_turn", stop_sequence: null }, usage: Record<string, unknown> = { output_tokens: 5 }): ReadonlyArray<Event> => [
  { type: "message_delta", delta, usage },
  { type: "message_stop" }
]

/** The final message of a streamed call whose answer is these events, as the API writes them, over loopback. */
const streamedFinal = (events: ReadonlyArray<Event>) =>
  Effect.gen(function*() {
    const standIn = yield* StandIn.scoped({
      replies: [{ type: "stream", body: StandIn.sse(events.map((data) => ({ event: data.type, data }))) }]
    })
    const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
    return yield* MessageStream.finalMessage(client.stream(hello))
  })

/** A reply as the API streams it (shapes from recorded traffic): message_start, ping, `blocks`, message_delta, stop. */
const apiStream = (blocks: ReadonlyArray<Event>, stopReason = "tool_use"): ReadonlyArray<Event> => [
  messageStart({
    id: "msg_019Q1hrJbZG26Fb9BQhrkHEr",
    usage: { input_tokens: 377, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1, service_tier: "standard" }
  }),
  { type: "ping" },
  ...blocks,
  ...messageEnd({ stop_reason: stopReason, stop_sequence: null }, { output_tokens: 41 })
]
const toolStart = (index: number) =>
  blockStart(index, { type: "tool_use", id: "toolu_01NRLabsLyVHZPKxbKvkfSMn", name: "get_time", input: {} })

describe("MessageAccumulator through a streamed call", () => {
  it.effect("a tool call whose only input_json_delta is \"\" has input {}", () =>
    Effect.gen(function*() {
      const message = yield* streamedFinal(apiStream([
        ...text(0, "Let me check the time."),
        toolStart(1),
        blockDelta(1, { type: "input_json_delta", partial_json: "" }),
        blockStop(1)
      ]))
      expect(message.content).toEqual([
        { type: "text", text: "Let me check the time." },
        { type: "tool_use", id: "toolu_01NRLabsLyVHZPKxbKvkfSMn", name: "get_time", input: {} }
      ])
      expect(message.stop_reason).toBe("tool_use")
    }))

  it.effect("a tool call with no input_json_delta at all has input {}", () =>
    Effect.gen(function*() {
      const message = yield* streamedFinal(apiStream([toolStart(0), blockStop(0)]))
      expect(message.content).toEqual([{ type: "tool_use", id: "toolu_01NRLabsLyVHZPKxbKvkfSMn", name: "get_time", input: {} }])
    }))

  it.effect("two citations_delta on one text block are both kept, in order", () =>
    Effect.gen(function*() {
      const citation = (cited_text: string) => ({
        type: "web_search_result_location",
        cited_text,
        url: "https://www.apple.com/newsroom/2025/09/apple-ginza/",
        title: "Apple Ginza",
        encrypted_index: `Eo8BCioICBgC${cited_text.length}`
      })
      const first = citation("Apple today announced the grand reopening of Apple Ginza.")
      const second = citation("Apple Ginza opens to customers Friday, September 26.")
      const message = yield* streamedFinal(apiStream([
        blockStart(0, { citations: [], type: "text", text: "" }),
        blockDelta(0, { type: "citations_delta", citation: first }),
        blockDelta(0, { type: "citations_delta", citation: second }),
        blockDelta(0, { type: "text_delta", text: "Apple Ginza reopens " }),
        blockDelta(0, { type: "text_delta", text: "on September 26." }),
        blockStop(0)
      ], "end_turn"))
      expect(message.content).toEqual([{ type: "text", text: "Apple Ginza reopens on September 26.", citations: [first, second] }])
    }))
})

describe("MessageAccumulator: message_delta", () => {
  it.effect("keeps every field of delta, usage and the event itself, as the non-streamed Message has them", () =>
    Effect.gen(function*() {
      const container = { id: "container_011CU6pTr2hLT47seQ5Xs4yj", expires_at: "2025-10-14T10:02:00.044495Z", skills: [{ type: "anthropic", skill_id: "pdf" }] }
      const stopDetails = { type: "refusal", category: "cyber", explanation: "blocked under the Usage Policy" }
      const iterations = [{ type: "compaction", input_tokens: 60385, output_tokens: 522 }, { type: "message", input_tokens: 612, output_tokens: 40 }]
      const message = yield* finalOf([
        messageStart({ stop_details: null, usage: { input_tokens: 10, cache_read_input_tokens: 7, cache_creation: { ephemeral_5m_input_tokens: 0 }, output_tokens: 1, service_tier: "standard" } }),
        ...text(0, "no"),
        {
          type: "message_delta",
          delta: { stop_reason: "refusal", stop_sequence: null, stop_details: stopDetails, container },
          usage: {
            output_tokens: 40,
            input_tokens: 612,
            cache_read_input_tokens: null, // not applicable at the end: message_start's 7 stands
            server_tool_use: { web_search_requests: 2, web_fetch_requests: 0 },
            iterations
          },
          context_management: { applied_edits: [] }
        },
        { type: "message_stop" }
      ])
      expect(message).toStrictEqual({
        id: "msg_synthetic",
        type: "message",
        role: "assistant",
        model: "claude-sonnet-4-5",
        content: [{ type: "text", text: "no" }],
        stop_reason: "refusal",
        stop_sequence: null,
        stop_details: stopDetails,
        container,
        context_management: { applied_edits: [] },
        usage: {
          input_tokens: 612,
          cache_read_input_tokens: 7,
          cache_creation: { ephemeral_5m_input_tokens: 0 },
          output_tokens: 40,
          service_tier: "standard",
          server_tool_use: { web_search_requests: 2, web_fetch_requests: 0 },
          iterations
        }
      })
    }))

  it.effect("a null never erases what message_start said, but is kept where it said nothing", () =>
    Effect.gen(function*() {
      const container = { id: "container_1", expires_at: "2026-01-01T00:00:00Z" }
      const message = yield* finalOf([
        messageStart({ container }),
        ...messageEnd({ stop_reason: "end_turn", stop_sequence: null, container: null, stop_details: null }, { output_tokens: 3 })
      ])
      expect(message.container).toEqual(container)
      expect(message).toHaveProperty("stop_details", null)
      expect(message.stop_sequence).toBeNull()
    }))

  it.effect("a snapshot taken before message_delta keeps its usage", () =>
    Effect.gen(function*() {
      const pairs = yield* Stream.runCollect(
        MessageStream.withAccumulator(eventsOf([messageStart(), ...text(0, "hi"), ...messageEnd()])).pipe(
          Stream.map(([event, acc]) => [event.type, Option.getOrThrow(acc.snapshot)] as const)
        )
      )
      const [, before] = pairs.find(([type]) => type === "content_block_stop")!
      const [, after] = pairs.at(-1)!
      expect(before.usage.output_tokens).toBe(1)
      expect(after.usage.output_tokens).toBe(5)
    }))
})

/** A tool call whose input streams as `pieces` and is cut off by max_tokens: no content_block_stop for it. */
const cutToolCall = (pieces: ReadonlyArray<string>): ReadonlyArray<Event> => [
  messageStart(),
  ...text(0, "Let me check."),
  blockStart(1, { type: "tool_use", id: "toolu_cut", name: "get_weather", input: {} }),
  ...pieces.map((partial_json) => blockDelta(1, { type: "input_json_delta", partial_json })),
  ...messageEnd({ stop_reason: "max_tokens", stop_sequence: null }, { output_tokens: 64 })
]

const inputOf = (message: Messages.Message, index: number) => (message.content[index] as { input: unknown }).input

describe("MessageAccumulator: a tool input cut by max_tokens", () => {
  it.effect("is the partial object, as the official SDK gives it (not {})", () =>
    Effect.gen(function*() {
      const message = yield* finalOf(cutToolCall(["", "{\"city\": \"Par", "is\", \"units\": [\"c\", \"f", "ahr"]))
      expect(message.stop_reason).toBe("max_tokens")
      // The string cut mid-way is dropped, as the SDK drops it.
      expect(inputOf(message, 1)).toEqual({ city: "Paris", units: ["c"] })
    }))

  it.effect("an empty input cut before its first character is {}", () =>
    Effect.map(finalOf(cutToolCall([""])), (message) => expect(inputOf(message, 1)).toEqual({})))

  it.effect("text that is not the start of JSON fails with StreamError malformed", () =>
    Effect.map(malformedOf(cutToolCall(["{\"city\": Paris"])), (error) => expect(error.reason).toBe("malformed")))

  it.effect("the snapshot shows the partial input while it streams", () =>
    Effect.gen(function*() {
      const inputs = yield* Stream.runCollect(
        MessageStream.withAccumulator(eventsOf(cutToolCall(["{\"city\": \"Par", "is\", \"units\": [\"c\"", ", \"f\"]}"]))).pipe(
          Stream.filter(([event]) => event.type === "content_block_delta" && (event as { index: number }).index === 1),
          Stream.map(([, acc]) => inputOf(Option.getOrThrow(acc.snapshot), 1))
        )
      )
      expect(inputs).toEqual([{}, { city: "Paris", units: ["c"] }, { city: "Paris", units: ["c", "f"] }])
    }))

  it("snapshots read after every delta cost linear parsing, may lag by a quarter, and the final input is exact", () => {
    // 400 kB of tool input in 4,000 deltas, a snapshot after each (what withAccumulator consumers do). Parsing the
    // whole text at every snapshot read 800 million characters (12 s); re-reading it only as it grows by a quarter
    // reads a few times its length, and shows as a snapshot that lags (never by more than a quarter). A lag of 0
    // would mean every read parsed the whole text again.
    const json = JSON.stringify({ items: Array.from({ length: 40_000 }, (_, i) => i % 1000) })
    const pieces = Array.from({ length: Math.ceil(json.length / 100) }, (_, i) => json.slice(i * 100, i * 100 + 100))
    const acc = new MessageStream.MessageAccumulator()
    let sent = ""
    let laggedMost = 0
    let deltas = 0
    for (const event of cutToolCall(pieces)) {
      acc.push(event as Messages.MessageStreamEvent)
      const snapshot = Option.getOrThrow(acc.snapshot)
      const piece = (event as { delta?: { partial_json?: string } }).delta?.partial_json
      if (piece === undefined) continue
      sent += piece
      if (++deltas % 50 !== 0) continue
      const input = inputOf(snapshot, 1) as { items?: ReadonlyArray<number> }
      // How far behind the text the snapshot is, in items (every 50th delta): never more than a quarter.
      const exact = (partialParse(sent) as { items?: ReadonlyArray<number> }).items?.length ?? 0
      laggedMost = Math.max(laggedMost, (exact - (input.items?.length ?? 0)) / exact)
    }
    expect(laggedMost).toBeGreaterThan(0)
    expect(laggedMost).toBeLessThanOrEqual(0.25)
    // After message_stop the snapshot, and the final message, are exact.
    expect(inputOf(Option.getOrThrow(acc.snapshot), 1)).toEqual(JSON.parse(json))
    expect(inputOf(acc.final(), 1)).toEqual(JSON.parse(json))
  })

  it("property: every cut of any JSON input reads as the official SDK's partial parser reads it", () => {
    const finalInput = (json: string) => {
      const acc = new MessageStream.MessageAccumulator()
      for (const event of cutToolCall([json])) acc.push(event as Messages.MessageStreamEvent)
      return inputOf(acc.final(), 1)
    }
    const outcome = (f: () => unknown) => {
      try {
        return { value: f() }
      } catch {
        return { threw: true }
      }
    }
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(0, 1, 2), (value, indent) => {
        const json = JSON.stringify({ value }, null, indent)
        for (let end = 1; end <= json.length; end++) {
          const cut = json.slice(0, end)
          expect(outcome(() => finalInput(cut))).toEqual(outcome(() => partialParse(cut)))
        }
      }),
      { numRuns: 200 }
    )
  })
})

describe("MessageAccumulator: block indexes", () => {
  it.effect("content_block_start appends: a repeated index (seen in real traffic) neither overwrites nor leaves a hole", () =>
    Effect.gen(function*() {
      const message = yield* finalOf([
        messageStart(),
        ...text(0, "Checking."),
        blockStart(1, { type: "server_tool_use", id: "srvtoolu_1", name: "bash_code_execution", input: {} }),
        blockDelta(1, { type: "input_json_delta", partial_json: "{\"command\": \"ls\"}" }),
        blockStop(1),
        blockStart(2, { type: "bash_code_execution_tool_result", tool_use_id: "srvtoolu_1", content: { stdout: "a.txt" } }),
        blockStop(2),
        // the next block says index 2 again; its deltas and stop say 3
        blockStart(2, { type: "text", text: "" }),
        blockDelta(3, { type: "text_delta", text: "Done." }),
        blockStop(3),
        ...messageEnd()
      ])
      expect(message.content).toEqual([
        { type: "text", text: "Checking." },
        { type: "server_tool_use", id: "srvtoolu_1", name: "bash_code_execution", input: { command: "ls" } },
        { type: "bash_code_execution_tool_result", tool_use_id: "srvtoolu_1", content: { stdout: "a.txt" } },
        { type: "text", text: "Done." }
      ])
    }))

  for (
    const [what, events] of [
      ["a start that skips an index", [messageStart(), ...text(0, "a"), blockStart(2, { type: "text", text: "" })]],
      ["a start at index 50,000,000", [messageStart(), blockStart(50_000_000, { type: "text", text: "" })]],
      ["a delta for an index with no block", [messageStart(), ...text(0, "a"), blockDelta(1, { type: "text_delta", text: "b" })]],
      ["a delta for a negative index", [messageStart(), ...text(0, "a"), blockDelta(-1, { type: "text_delta", text: "b" })]],
      ["a delta whose index is not a number", [messageStart(), ...text(0, "a"), blockDelta("length" as never, { type: "text_delta", text: "b" })]],
      ["a stop for an index with no block", [messageStart(), ...text(0, "a"), blockStop(1)]]
    ] as const
  ) {
    it.effect(`${what} fails with StreamError malformed at once, after the events before it`, () =>
      Effect.gen(function*() {
        const seen: Array<string> = []
        const error = yield* Effect.flip(
          MessageStream.withAccumulator(eventsOf([...events, ...messageEnd()])).pipe(
            Stream.runForEach(([event]) => Effect.sync(() => void seen.push(event.type)))
          )
        )
        expect(error._tag === "StreamError" && error.reason).toBe("malformed")
        expect(seen).toEqual(events.slice(0, -1).map((e) => e.type))
      }))
  }
})

describe("MessageAccumulator: events of a shape it cannot use", () => {
  it("null or undefined as an event: StreamError malformed, never a TypeError", () => {
    for (const bad of [null, undefined]) {
      const acc = new MessageStream.MessageAccumulator()
      acc.push(messageStart() as Messages.MessageStreamEvent)
      expect(() => acc.push(bad as never)).toThrow(StreamError)
    }
  })

  const start = messageStart()
  const textBlock = blockStart(0, { type: "text", text: "" })
  for (
    const [what, before, bad, detail] of [
      ["a message_start without message", [], { type: "message_start" }, "message_start without a message"],
      ["a message_start whose content is null", [], messageStart({ content: null }), "message_start without a message"],
      ["a message_start whose usage is missing", [], messageStart({ usage: undefined }), "its usage"],
      ["a second message_start (it would erase the content so far)", [start, ...text(0, "first")], start, "a second message_start"],
      ["a message_stop before message_start", [], { type: "message_stop" }, "before message_start"],
      ["a content_block_start for index -1", [start], blockStart(-1, { type: "text", text: "" }), "index -1, which is not a block index"],
      ["a content_block_start for index 0.5", [start], blockStart(0.5, { type: "text", text: "" }), "index 0.5, which is not a block index"],
      ["a content_block_start without content_block", [start], { type: "content_block_start", index: 0 }, "without a content_block"],
      ["a content_block_delta without delta", [start, textBlock], { type: "content_block_delta", index: 0 }, "content_block_delta without a delta"],
      ["a content_block_delta whose delta is null", [start, textBlock], blockDelta(0, null as never), "content_block_delta without a delta"],
      ["a text_delta without text", [start, textBlock], blockDelta(0, { type: "text_delta" }), "text_delta whose text is not a string"],
      ["a text_delta whose text is a number", [start, textBlock], blockDelta(0, { type: "text_delta", text: 42 }), "text_delta whose text is not a string"],
      // The same with text already pending for the block (the accumulator's fast path for text deltas).
      ["a text_delta without text, after one", [start, textBlock, blockDelta(0, { type: "text_delta", text: "a" })], blockDelta(0, { type: "text_delta" }), "text_delta whose text is not a string"],
      ["a text_delta whose index is the string \"0\", after one", [start, textBlock, blockDelta(0, { type: "text_delta", text: "a" })], { type: "content_block_delta", index: "0", delta: { type: "text_delta", text: "b" } }, "where no block was started"],
      ["a content_block_delta whose delta is null, after a text_delta", [start, textBlock, blockDelta(0, { type: "text_delta", text: "a" })], blockDelta(0, null as never), "content_block_delta without a delta"],
      ["a thinking_delta whose thinking is an object", [start, blockStart(0, { type: "thinking", thinking: "" })], blockDelta(0, { type: "thinking_delta", thinking: {} }), "thinking_delta whose thinking"],
      ["a signature_delta whose signature is null", [start, blockStart(0, { type: "thinking", thinking: "" })], blockDelta(0, { type: "signature_delta", signature: null }), "signature_delta whose signature"],
      ["an input_json_delta whose partial_json is a list", [start, blockStart(0, { type: "tool_use", id: "t", name: "f", input: {} })], blockDelta(0, { type: "input_json_delta", partial_json: [] }), "input_json_delta whose partial_json"]
    ] as const
  ) {
    it.effect(`${what}: StreamError malformed naming it, after the events before it`, () =>
      Effect.gen(function*() {
        // Pushed by hand: a StreamError (never a TypeError) that says what was wrong.
        const acc = new MessageStream.MessageAccumulator()
        for (const event of before) acc.push(event as Messages.MessageStreamEvent)
        const thrown = (() => {
          try {
            acc.push(bad as Messages.MessageStreamEvent)
          } catch (error) {
            return error
          }
        })()
        expect(thrown).toBeInstanceOf(StreamError)
        expect((thrown as StreamError).reason).toBe("malformed")
        expect((thrown as StreamError).detail).toContain(detail)
        // Over the wire: the events before it are delivered, then the stream fails with it.
        const seen: Array<string> = []
        const error = yield* Effect.flip(
          MessageStream.withAccumulator(eventsOf([...before, bad, ...messageEnd()])).pipe(
            Stream.runForEach(([event]) => Effect.sync(() => void seen.push(event.type)))
          )
        )
        expect(error).toEqual(thrown)
        expect(seen).toEqual(before.map((e) => e.type))
      }))
  }

  it("an exception of another kind while accumulating is a StreamError malformed too", () => {
    const acc = new MessageStream.MessageAccumulator()
    acc.push(messageStart() as Messages.MessageStreamEvent)
    // A message_delta whose usage throws when read: nothing the accumulator checks, still not a bare exception.
    const hostile = { type: "message_delta", delta: {}, get usage(): never { throw new TypeError("boom") } }
    const thrown = (() => {
      try {
        acc.push(hostile as unknown as Messages.MessageStreamEvent)
      } catch (error) {
        return error
      }
    })()
    expect(thrown).toBeInstanceOf(StreamError)
    expect((thrown as StreamError).detail).toBe("a message_delta event: boom")
  })
})
