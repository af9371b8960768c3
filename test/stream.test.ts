import { describe, expect, it } from "@effect/vitest"
import * as Arr from "effect/Array"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Filter from "effect/Filter"
import * as Option from "effect/Option"
import * as Pull from "effect/Pull"
import * as Result from "effect/Result"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/testing/TestClock"
import * as fc from "fast-check"
import type * as Messages from "../src/Messages.js"
import * as MessageStream from "../src/MessageStream.js"
import type { Client } from "../src/PromiseClient.js"
import * as StandIn from "../src/testing/StandIn.js"
import { API_KEY, hello, stack, withPromiseClient } from "./fixtures.js"
import { failureOf, realPause, runClocked } from "./helpers.js"

/** A reply that uses every block and delta kind, with non-ASCII text to split inside characters. */
const rich: Messages.Message = StandIn.messageJson([
  { type: "thinking", thinking: "Weighing the options… ünïcödé 🤔", signature: "EqQBCgIYAhIMsig==" },
  { type: "redacted_thinking", data: "EmwKAhgBEgy3va" },
  {
    type: "text",
    text: "Paris is the capital — 首都 — of France. 🇫🇷",
    citations: [{ type: "char_location", cited_text: "Paris", document_index: 0, start_char_index: 0, end_char_index: 5 }]
  },
  { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: { query: "weather Paris" } },
  { type: "web_search_tool_result", tool_use_id: "srvtoolu_1", content: [{ type: "web_search_result", url: "https://x" }] },
  { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris", units: ["c", "f"], nested: { deep: true } } }
] as never, { stop_reason: "tool_use", usage: { input_tokens: 20, output_tokens: 42 } })

const encoder = new TextEncoder()

const decodeChunks = (chunks: ReadonlyArray<Uint8Array>, options: { readonly maxEventBytes?: number } = {}) =>
  Stream.fromIterable(chunks).pipe(MessageStream.decodeSse({ credential: "api_key", ...options }))

const collect = (chunks: ReadonlyArray<Uint8Array>) => Effect.runSync(Stream.runCollect(decodeChunks(chunks)))
const finalOf = (chunks: ReadonlyArray<Uint8Array>) => Effect.runSync(MessageStream.finalMessage(decodeChunks(chunks)))

/** Split bytes at the given cut points. */
const splitAt = (bytes: Uint8Array, cuts: ReadonlyArray<number>): Array<Uint8Array> => {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const out: Array<Uint8Array> = []
  let last = 0
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(last, p))
    last = p
  }
  return out
}

/** SSE with the awkward parts the format allows: comments, multi-line data, CRLF or CR line endings. */
const awkwardSse = (message: Messages.Message, lineEnding: "\n" | "\r\n" | "\r") => {
  let out = `: a comment line${lineEnding}${lineEnding}`
  for (const e of StandIn.streamEventsOf(message)) {
    out += `event: ${e.event}${lineEnding}`
    // Pretty-printed JSON spreads the data over several data: lines; the parser joins them with "\n".
    for (const line of JSON.stringify(e.data, null, 1).split("\n")) out += `data: ${line}${lineEnding}`
    out += `: keep-alive${lineEnding}${lineEnding}`
  }
  return encoder.encode(out)
}


describe("MessageStream: parsing", () => {
  const whole = encoder.encode(StandIn.sse(StandIn.streamEventsOf(rich)))
  // Written down apart from the parser (the events the stand-in renders, less pings, as JSON carries them), so a
  // parser bug that also spoils the whole stream is caught.
  const expectedEvents: ReadonlyArray<Messages.MessageStreamEvent> = StandIn.streamEventsOf(rich)
    .filter((e) => e.event !== "ping")
    .map((e) => JSON.parse(JSON.stringify(e.data)))

  it("accumulates every block and delta kind back into the message", () => {
    expect(collect([whole])).toEqual(expectedEvents)
    expect(finalOf([whole])).toEqual(rich)
    const deltas = new Set(expectedEvents.flatMap((e) => e.type === "content_block_delta" ? [(e as any).delta.type] : []))
    expect([...deltas].sort()).toEqual(["citations_delta", "input_json_delta", "signature_delta", "text_delta", "thinking_delta"])
  })

  it("property: every way of splitting the stream into chunks gives the same events and final message", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 40 }), fc.constantFrom<"\n" | "\r\n" | "\r">("\n", "\r\n", "\r"), (cuts, nl) => {
        const bytes = nl === "\n" ? whole : awkwardSse(rich, nl)
        const chunks = splitAt(bytes, cuts)
        expect(collect(chunks)).toEqual(expectedEvents)
        expect(finalOf(chunks)).toEqual(rich)
      }),
      { numRuns: 300 }
    )
  })

  it("byte-at-a-time with CRLF, comments and multi-line data", () => {
    const bytes = awkwardSse(rich, "\r\n")
    const chunks = Array.from(bytes, (b) => Uint8Array.of(b))
    expect(collect(chunks)).toEqual(expectedEvents)
  })

  it("passes unknown event types through and the accumulator ignores them", () => {
    const events = StandIn.streamEventsOf(StandIn.messageJson([{ type: "text", text: "hi" }]))
    events.splice(2, 0, { event: "brand_new_event", data: { type: "brand_new_event", payload: 1 } })
    const chunks = [encoder.encode(StandIn.sse(events))]
    expect(collect(chunks).map((e) => e.type)).toContain("brand_new_event")
    expect(Messages_text(finalOf(chunks))).toBe("hi")
  })

  it("shows the partial tool input while it streams", () => {
    const message = StandIn.messageJson([{ type: "tool_use", id: "t1", name: "f", input: { a: "long value here" } }])
    const chunks = [encoder.encode(StandIn.sse(StandIn.streamEventsOf(message, { piecesPerBlock: 4 })))]
    const partials = Effect.runSync(
      MessageStream.withAccumulator(decodeChunks(chunks)).pipe(
        Stream.filterMap(Filter.fromPredicateOption(([, acc]: readonly [unknown, MessageStream.MessageAccumulator]) => acc.partialInput(0))),
        Stream.runCollect
      )
    )
    const seen = partials
    expect(seen[0]).toBe("")
    expect(seen.at(-1)).toBe(JSON.stringify({ a: "long value here" }))
    expect(seen.length).toBeGreaterThan(3)
  })

  it("a stream that stops before message_stop is truncated, never a silent end", () => {
    const events = StandIn.streamEventsOf(rich)
    const chunks = [encoder.encode(StandIn.sse(events.slice(0, -2)))]
    const exit = Effect.runSyncExit(Stream.runDrain(decodeChunks(chunks)))
    const error = failureOf(exit)
    expect(error._tag).toBe("StreamError")
    if (error._tag === "StreamError") expect(error.reason).toBe("truncated")
  })

  it("malformed data fails with StreamError malformed", () => {
    const exit = Effect.runSyncExit(Stream.runDrain(decodeChunks([encoder.encode("event: message_start\ndata: {oops\n\n")])))
    const error = failureOf(exit)
    expect(error._tag === "StreamError" && error.reason).toBe("malformed")
  })

  describe("an event larger than maxEventBytes fails with StreamError malformed, after the events before it", () => {
    const start = StandIn.sse(StandIn.streamEventsOf(rich).slice(0, 1))
    const cases = {
      // A comment line that never ends, and an event whose data: lines never end: both grew without bound.
      "a line that never ends": [start, ": ", "x".repeat(600), "y".repeat(600)],
      "an event of many data: lines": [start, "event: content_block_delta\n", ..."data: 0123456789\n".repeat(100).match(/.{1,400}/gs)!]
    }
    for (const [what, pieces] of Object.entries(cases)) {
      it(what, () => {
        const seen: Array<string> = []
        const exit = Effect.runSyncExit(
          Stream.fromIterable(pieces.map((p) => encoder.encode(p))).pipe(
            MessageStream.decodeSse({ credential: "api_key", requestId: "req_big", maxEventBytes: 1000 }),
            Stream.runForEach((e) => Effect.sync(() => void seen.push(e.type)))
          )
        )
        const error = failureOf(exit)
        expect(error._tag === "StreamError" && error.reason).toBe("malformed")
        expect(error._tag === "StreamError" && error.detail).toBe("an event larger than 1000 bytes")
        expect(error._tag === "StreamError" && error.requestId).toBe("req_big")
        expect(seen).toEqual(["message_start"])
      })
    }

    it("what trails message_stop is not read: a huge unfinished event after it, in the same read or the next, is no error", () => {
      const whole = StandIn.sse(StandIn.streamEventsOf(StandIn.messageJson([{ type: "text", text: "hi" }])))
      for (const pieces of [[whole + "data: " + "x".repeat(5000)], [whole, "data: " + "x".repeat(5000)]]) {
        const events = Stream.fromArray(pieces.map((p) => encoder.encode(p)))
          .pipe(MessageStream.decodeSse({ credential: "api_key", maxEventBytes: 2000 }))
        expect(Messages_text(Effect.runSync(MessageStream.finalMessage(events)))).toBe("hi")
      }
    })

    it("events just under the bound pass, and the bound is per event, not per stream", () => {
      const message = StandIn.messageJson([{ type: "text", text: "y".repeat(800) }, { type: "text", text: "z".repeat(800) }])
      const bytes = encoder.encode(StandIn.sse(StandIn.streamEventsOf(message, { piecesPerBlock: 1 })))
      expect(bytes.length).toBeGreaterThan(2000)
      // In 50-byte chunks, so that the bound is checked all along the way.
      const decoded = decodeChunks(splitAt(bytes, Array.from({ length: bytes.length / 50 }, (_, i) => i * 50)), { maxEventBytes: 1000 })
      expect(Messages_text(Effect.runSync(MessageStream.finalMessage(decoded)))).toBe("y".repeat(800) + "z".repeat(800))
    })

    it("by default the bound is 64 MiB: a line that never ends fails once past it, and no more is read", () => {
      const mib = encoder.encode("x".repeat(1024 * 1024))
      let fed = 0
      const exit = Effect.runSyncExit(
        Stream.concat(Stream.make(encoder.encode(": ")), Stream.fromEffectRepeat(Effect.sync(() => (fed++, mib)))).pipe(
          Stream.take(200),
          MessageStream.decodeSse({ credential: "api_key" }),
          Stream.runDrain
        )
      )
      const error = failureOf(exit)
      expect(error._tag === "StreamError" && error.detail).toBe(`an event larger than ${64 * 1024 * 1024} bytes`)
      // ": " and 64 MiB is past the bound: it stopped reading there.
      expect(fed).toBe(64)
    })
  })

  it("deltaText and textDeltas are total: a content_block_delta without its delta or text is no text", () => {
    const weird = [
      { type: "content_block_delta", index: 0 },
      { type: "content_block_delta", index: 0, delta: null },
      { type: "content_block_delta", index: 0, delta: { type: "text_delta" } },
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: 7 } },
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "yes" } },
      { type: "message_stop" }
    ] as unknown as ReadonlyArray<Messages.MessageStreamEvent>
    expect(weird.map(MessageStream.deltaText)).toEqual([undefined, undefined, undefined, undefined, "yes", undefined])
    const texts = Effect.runSync(Stream.runCollect(MessageStream.textDeltas(Stream.fromIterable(weird))))
    expect(texts).toEqual(["yes"])
  })

  for (const [errorType, tag, status] of [
    ["overloaded_error", "ServerError", 529],
    ["api_error", "ServerError", 500],
    ["rate_limit_error", "RateLimit", 429],
    ["invalid_request_error", "Other", 400],
    ["authentication_error", "CredentialInvalid", 401],
    // Anything else is ServerError 500 (the README's mapping): a type the API adds later, and names that are keys
    // of every object, which must not be looked up on the prototype.
    ["brand_new_error", "ServerError", 500],
    ["constructor", "ServerError", 500],
    ["toString", "ServerError", 500],
    ["__proto__", "ServerError", 500]
  ] as const) {
    it(`a mid-stream ${errorType} event fails with ${tag} ${status}, after the events before it`, () => {
      const events = StandIn.streamEventsOf(StandIn.messageJson([{ type: "text", text: "partial" }])).slice(0, 4)
      events.push({ event: "error", data: { type: "error", error: { type: errorType, message: "boom" } } })
      const stream = decodeChunks([encoder.encode(StandIn.sse(events))])
      const seen: Array<string> = []
      const exit = Effect.runSyncExit(Stream.runForEach(stream, (e) => Effect.sync(() => void seen.push(e.type))))
      const error = failureOf(exit)
      expect(error._tag).toBe(tag)
      expect((error as { status: number }).status).toBe(status)
      expect((error as { apiMessage: string }).apiMessage).toBe("boom")
      expect(seen).toEqual(["message_start", "content_block_start", "content_block_delta"])
    })
  }
})

const Messages_text = (m: Messages.Message) => m.content.flatMap((b) => b.type === "text" ? [(b as { text: string }).text] : []).join("")

describe("AnthropicClient.stream over HTTP", () => {
  it.effect("streams events and the final message, sending stream: true and accept: text/event-stream", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped({ replies: [StandIn.streamOf(rich, { chunkSize: 7 })] })
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
      const message = yield* MessageStream.finalMessage(client.stream(hello))
      expect(message).toEqual(rich)
      expect(standIn.requests[0]!.body.stream).toBe(true)
      expect(standIn.requests[0]!.headers["accept"]).toBe("text/event-stream")
    }))

  it.effect("a 429 before the stream is retried (rate limiter and credentials included)", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped({ replies: [StandIn.error(429, { retryAfterMs: "250" }), StandIn.streamText("after the retry")] })
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url, rate_limit: { requests_per_second: 10 } })
      const { exit, waits } = yield* runClocked(MessageStream.finalMessage(client.stream(hello)))
      expect(Exit.isSuccess(exit) && Messages_text(exit.value)).toBe("after the retry")
      expect(standIn.requests.length).toBe(2)
      // The retry went out 250 ms after the 429 (the clock also stops at the limiter's 100 ms slots).
      expect(waits.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(250)
      expect(standIn.requests[1]!.headers["x-api-key"]).toBe(API_KEY)
    }))

  it.effect("a mid-stream overloaded_error is ServerError 529 and is not retried", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped({ replies: [StandIn.streamError()] })
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
      const { exit } = yield* runClocked(Stream.runDrain(client.stream(hello)))
      const error = failureOf(exit)
      expect(error._tag).toBe("ServerError")
      expect((error as { status: number }).status).toBe(529)
      expect((error as { requestId?: string }).requestId).toMatch(/^req_/)
      expect(standIn.requests.length).toBe(1)
    }))

  it.effect("a connection cut mid-stream is StreamError truncated", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped({ replies: [{ ...StandIn.streamOf(rich), cutAfter: 400 }] as Array<StandIn.Reply> })
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
      const { exit } = yield* runClocked(Stream.runDrain(client.stream(hello)))
      const error = failureOf(exit)
      expect(error._tag === "StreamError" && error.reason).toBe("truncated")
      expect(standIn.requests.length).toBe(1)
    }))

  it.effect("no bytes for stream_idle_timeout_ms fails with StreamError idle_timeout (TestClock)", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped({ replies: [{ ...StandIn.streamOf(rich), stallAfter: 300 }] as Array<StandIn.Reply> })
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url, stream_idle_timeout_ms: 5000 })
      const { exit, waits } = yield* runClocked(Stream.runDrain(client.stream(hello)))
      const error = failureOf(exit)
      expect(error._tag === "StreamError" && error.reason).toBe("idle_timeout")
      expect(error.message).toContain("5000 ms")
      expect(waits.at(-1)).toBe(5000)
    }))

  /** streamWithResponse on a live reply, started by its first event; `writeRest` sends the others and leaves the body open. */
  const startedLive = (settings: Record<string, unknown> = {}) => Effect.gen(function*() {
    const standIn = yield* StandIn.scoped()
    const { channel, reply } = StandIn.live()
    standIn.enqueue(reply)
    const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url, ...settings })
    const events = StandIn.streamEventsOf(rich).map((e) => StandIn.sse([e]))
    const starting = yield* Effect.forkChild(client.streamWithResponse(hello))
    const ch = yield* Effect.promise(() => channel)
    yield* Effect.promise(() => ch.write(events[0]!))
    const started = yield* Fiber.join(starting)
    return { standIn, started, writeRest: Effect.promise(() => ch.write(events.slice(1).join(""))) }
  })

  it.effect("streamWithResponse: a run stopped early leaves the rest to the next run; a run to the end releases the request at once", () =>
    Effect.gen(function*() {
      const { standIn, started, writeRest } = yield* startedLive()
      const head = yield* Stream.runHead(started.events)
      expect(Option.map(head, (e) => e.type)).toEqual(Option.some("message_start"))
      // The rest only now, and no end: the body goes silent after message_stop.
      yield* writeRest
      const all = yield* Stream.runCollect(started.events)
      expect(Option.map(Arr.last(all), (e) => e.type)).toEqual(Option.some("message_stop"))
      expect(standIn.abandoned.length).toBe(0)
      // Released while the scope is still open.
      yield* StandIn.until(standIn, () => standIn.abandoned.length === 1)
    }))

  it.effect("streamWithResponse's pull: the same events a chunk at a time, Done at the end and after it, the request released there", () =>
    Effect.gen(function*() {
      const { standIn, started, writeRest } = yield* startedLive()
      const first = yield* started.pull
      expect(first.map((e) => e.type)).toEqual(["message_start"])
      // The rest, and no end of the body: message_stop ends the events.
      yield* writeRest
      const rest: Array<Messages.MessageStreamEvent> = []
      while (true) {
        const chunk = yield* Effect.exit(started.pull)
        if (Exit.isFailure(chunk) && Pull.isDoneCause(chunk.cause)) break
        rest.push(...(yield* chunk))
      }
      expect([...first, ...rest]).toEqual(StandIn.streamEventsOf(rich).map((e) => e.data as Messages.MessageStreamEvent).filter((e) => e.type !== "ping"))
      // Effect 4: the end is a `Cause.Done` failure (Effect 3: `Option.none()`), again on every pull after it.
      expect(Cause.isDone(failureOf(yield* Effect.exit(started.pull)))).toBe(true)
      // Released while the scope is still open.
      yield* StandIn.until(standIn, () => standIn.abandoned.length === 1)
    }))

  it.effect("a pull given up on stops the idle clock: a consumer away longer than stream_idle_timeout_ms still gets the events", () =>
    Effect.gen(function*() {
      const { started, writeRest } = yield* startedLive({ stream_idle_timeout_ms: 1000 })
      yield* started.pull
      // A poll that gives up after 100 ms: from then on nobody waits on the connection.
      const poll = yield* Effect.forkChild(Effect.result(Effect.timeout(started.pull, "100 millis")))
      yield* realPause(10)
      yield* TestClock.adjust(100)
      const gaveUp = yield* Fiber.join(poll)
      expect(Result.isFailure(gaveUp) && Cause.isTimeoutError(gaveUp.failure)).toBe(true)
      // The consumer does other work for 2 s; then the server sends the rest, and the consumer pulls again.
      yield* TestClock.adjust(2000)
      yield* realPause(20)
      yield* writeRest
      const next = yield* Effect.result(started.pull)
      expect(Result.isSuccess(next) ? next.success.length : next.failure).toBeGreaterThan(0)
    }))

  it.effect("streamWithResponse's pull fails mid-stream with the tagged error, and stays failed", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped({ replies: [{ ...StandIn.streamOf(rich), cutAfter: 400 }] as Array<StandIn.Reply> })
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
      const started = yield* client.streamWithResponse(hello)
      const read = Effect.gen(function*() {
        while (true) yield* started.pull
      })
      const error = failureOf(yield* Effect.exit(read))
      expect(error._tag === "StreamError" && error.reason).toBe("truncated")
      expect(failureOf(yield* Effect.exit(started.pull))).toEqual(error)
    }))

  it.effect("interrupting the stream aborts the request: the server sees its client go", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped({ replies: [{ ...StandIn.streamOf(rich), stallAfter: 300 }] as Array<StandIn.Reply> })
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
      const first = yield* Effect.forkChild(Stream.runHead(client.stream(hello)))
      const event = yield* Fiber.join(first)
      expect(Option.map(event, (e) => e.type)).toEqual(Option.some("message_start"))
      yield* StandIn.until(standIn, () => standIn.abandoned.length === 1)
    }))
})

describe("createClient().messages.stream (Promise facade)", () => {
  const withClient = (replies: ReadonlyArray<StandIn.Reply>, f: (client: Client, standIn: StandIn.StandIn) => Promise<void>) =>
    withPromiseClient(f, { replies })

  it("for await over the events, then finalMessage()", () =>
    withClient([StandIn.streamOf(rich, { chunkSize: 50 })], async (client) => {
      const stream = client.messages.stream(hello)
      const types: Array<string> = []
      for await (const event of stream) types.push(event.type)
      expect(types[0]).toBe("message_start")
      expect(types.at(-1)).toBe("message_stop")
      expect(await stream.finalMessage()).toEqual(rich)
    }))

  it("finalText() without iterating", () =>
    withClient([StandIn.streamText("just the text, please")], async (client) => {
      expect(await client.messages.stream(hello).finalText()).toBe("just the text, please")
    }))

  it("leaving the loop early aborts the request", () =>
    withClient([{ ...StandIn.streamOf(rich), stallAfter: 300 } as StandIn.Reply], async (client, standIn) => {
      const stream = client.messages.stream(hello)
      for await (const event of stream) {
        expect(event.type).toBe("message_start")
        break
      }
      await standIn.waitFor(() => standIn.abandoned.length === 1)
      // Leaving the loop is the caller's abort: finalMessage() says so (as fetch does), not a broken stream.
      const error = await stream.finalMessage().then(() => undefined, (e: unknown) => e)
      expect(error).toBeInstanceOf(DOMException)
      expect((error as DOMException).name).toBe("AbortError")
      expect((error as DOMException).message).toBe("The stream was closed before its end")
    }))

  it("rejects with the tagged error mid-stream", () =>
    withClient([StandIn.streamError()], async (client) => {
      const stream = client.messages.stream(hello)
      const err = await (async () => {
        for await (const _ of stream) { /* drain */ }
      })().then(() => undefined, (e: unknown) => e)
      expect((err as { _tag: string })._tag).toBe("ServerError")
      await expect(stream.finalMessage()).rejects.toBe(err)
    }))

  it("an aborted signal stops the stream", () =>
    withClient([{ ...StandIn.streamOf(rich), stallAfter: 300 } as StandIn.Reply], async (client, standIn) => {
      const controller = new AbortController()
      const stream = client.messages.stream(hello, { signal: controller.signal })
      const pending = stream.finalMessage()
      await standIn.waitFor(() => standIn.requests.length === 1)
      const reason = new Error("stop")
      controller.abort(reason)
      await expect(pending).rejects.toBe(reason)
      await standIn.waitFor(() => standIn.abandoned.length === 1)
    }))
})
