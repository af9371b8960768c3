/**
 * The Promise client's stream handle against the loopback stand-in: ending it at any stage (the request and its
 * retries stop at once), malformed events, concurrent reads, the caller's signal, break after message_stop, reading
 * it twice.
 */
import { getEventListeners } from "node:events"
import { Agent } from "undici"
import { describe, expect, it } from "vitest"
import { ClientClosed, StreamError } from "../src/Errors.js"
import type * as Messages from "../src/Messages.js"
import type { Client } from "../src/PromiseClient.js"
import * as StandIn from "../src/testing/StandIn.js"
import { hello, withPromiseClient } from "./fixtures.js"

const withClient = (f: (client: Client, standIn: StandIn.StandIn) => Promise<void>, anthropic: Record<string, unknown> = {}) =>
  withPromiseClient(f, { anthropic })

/** What `promise` rejects with; a test failure if it resolves. */
const rejection = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then((value) => {
    throw new Error(`expected a rejection, got ${JSON.stringify(value)}`)
  }, (error: unknown) => error)

const drain = async (stream: AsyncIterable<Messages.MessageStreamEvent>) => {
  const types: Array<string> = []
  for await (const event of stream) types.push(event.type)
  return types
}

const message = StandIn.messageJson([{ type: "text", text: "one two three four five six seven" }])
const eventTypes = StandIn.streamEventsOf(message).filter((e) => e.event !== "ping").map((e) => e.event)

describe("Promise streams: ended before the first event, the request and its retries stop at once", () => {
  // Where the stream is when it is ended: nothing answered yet, headers but no event, waiting 20 s to retry a 429.
  const stages = {
    "the request waits for its answer": (standIn: StandIn.StandIn) => standIn.enqueue({ type: "stall" }),
    "the headers came, no event yet": (standIn: StandIn.StandIn) => standIn.enqueue(StandIn.live().reply),
    "it waits 20 s to retry a 429": (standIn: StandIn.StandIn) => standIn.enqueue(StandIn.error(429, { retryAfterMs: "20000" }))
  }
  interface Ending {
    readonly stream: ReturnType<Client["messages"]["stream"]>
    readonly iterator: AsyncIterator<Messages.MessageStreamEvent>
    readonly controller: AbortController
    readonly client: Client
  }
  // How it is ended, and what a read waiting then rejects with.
  const ways: Record<string, { readonly end: (e: Ending) => unknown; readonly expected: (error: unknown) => void }> = {
    "abort()": {
      end: ({ stream }) => stream.abort(),
      expected: (error) => {
        expect(error).toBeInstanceOf(DOMException)
        expect((error as DOMException).name).toBe("AbortError")
      }
    },
    "the iterator's return()": {
      end: ({ iterator }) => iterator.return!(),
      expected: (error) => expect((error as DOMException).message).toBe("The stream was closed before its end")
    },
    "the signal": {
      end: ({ controller }) => controller.abort(new Error("user stop")),
      expected: (error) => expect((error as Error).message).toBe("user stop")
    },
    "client.close()": {
      end: ({ client }) => client.close(),
      expected: (error) => expect(error).toBeInstanceOf(ClientClosed)
    }
  }
  for (const [stage, arrange] of Object.entries(stages)) {
    for (const [way, { end, expected }] of Object.entries(ways)) {
      it(`${way} while ${stage}: the waiting read and finalMessage() reject with it, the request is dropped`, () =>
        withClient(async (client, standIn) => {
          arrange(standIn)
          const controller = new AbortController()
          const stream = client.messages.stream(hello, { signal: controller.signal })
          const iterator = stream[Symbol.asyncIterator]()
          const pending = rejection(iterator.next())
          await standIn.waitFor(() => standIn.requests.length === 1)
          await end({ stream, iterator, controller, client })
          const error = await pending
          expected(error)
          expect(await rejection(stream.finalMessage())).toBe(error)
          // The stand-in saw its client go (the 429 was answered whole: there it is the retry that never comes).
          if (!stage.includes("429")) await standIn.waitFor(() => standIn.abandoned.length === 1)
          expect(standIn.requests.length).toBe(1)
        }, { retry: { max_retries: 2 } }), 10_000)
    }
  }
})

describe("Promise streams: malformed events", () => {
  const start = StandIn.streamEventsOf(message)[0]!
  const blockStart = { event: "content_block_start", data: { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } } }
  const delta = (d: unknown) => ({ event: "content_block_delta", data: { type: "content_block_delta", index: 0, delta: d } })

  it("the events before a malformed one in the same chunk come first; then the loop and finalMessage() throw StreamError malformed", () =>
    withClient(async (client, standIn) => {
      // One network write: the malformed delta comes in the same chunk as the events before it.
      standIn.enqueue({ type: "stream", body: StandIn.sse([start, blockStart, delta({ type: "text_delta", text: "ok" }), delta(null), delta({ type: "text_delta", text: "never" })]) })
      const stream = client.messages.stream(hello)
      const types: Array<string> = []
      const error = await rejection((async () => {
        for await (const event of stream) types.push(event.type)
      })())
      expect(types).toEqual(["message_start", "content_block_start", "content_block_delta"])
      expect(error).toBeInstanceOf(StreamError)
      expect((error as StreamError).reason).toBe("malformed")
      expect((error as StreamError).detail).toBe("a content_block_delta without a delta")
      expect(await rejection(stream.finalMessage())).toBe(error)
    }))

  for (
    const [what, events] of [
      ["a message_start without message", [{ event: "message_start", data: { type: "message_start" } }]],
      ["a message_start whose content is null", [{ event: "message_start", data: { type: "message_start", message: { ...message, content: null } } }]],
      ["a text_delta without text", [start, blockStart, delta({ type: "text_delta" })]]
    ] as const
  ) {
    it(`${what}: StreamError malformed, never a TypeError, from the loop and from finalMessage()`, () =>
      withClient(async (client, standIn) => {
        const body = StandIn.sse([...events, { event: "message_stop", data: { type: "message_stop" } }])
        standIn.enqueue({ type: "stream", body }, { type: "stream", body })
        const looped = await rejection(drain(client.messages.stream(hello)))
        const awaited = await rejection(client.messages.stream(hello).finalMessage())
        for (const error of [looped, awaited]) {
          expect(error).toBeInstanceOf(StreamError)
          expect((error as StreamError).reason).toBe("malformed")
        }
      }))
  }
})

describe("Promise streams: reads", () => {
  it("next() called many times without awaiting: one request, the events in order", () =>
    withClient(async (client, standIn) => {
      // Small writes: the reads made at once span several chunks.
      standIn.enqueue(StandIn.streamOf(message, { chunkSize: 40 }))
      const stream = client.messages.stream(hello)
      const iterator = stream[Symbol.asyncIterator]()
      const results = await Promise.all(eventTypes.map(() => iterator.next()))
      expect(results.map((r) => (r.value as Messages.MessageStreamEvent).type)).toEqual(eventTypes)
      expect(await iterator.next()).toEqual({ value: undefined, done: true })
      expect((await stream.finalMessage()).content).toEqual(message.content)
      expect(standIn.requests.length).toBe(1)
    }))

  it("break right after message_stop: the message is complete, finalMessage() resolves", () =>
    withClient(async (client, standIn) => {
      standIn.enqueue(StandIn.streamOf(message), StandIn.streamOf(message))
      const stream = client.messages.stream(hello)
      for await (const event of stream) if (event.type === "message_stop") break
      expect((await stream.finalMessage()).content).toEqual(message.content)
      // abort() once the message is complete changes nothing either.
      const aborted = client.messages.stream(hello)
      for await (const event of aborted) if (event.type === "message_stop") await aborted.abort()
      expect((await aborted.finalMessage()).content).toEqual(message.content)
    }))

  it("a stream is read once: a second for await, or one after finalMessage(), throws a TypeError saying so", () =>
    withClient(async (client) => {
      const twice = client.messages.stream(hello)
      await drain(twice)
      const again = await rejection(drain(twice))
      expect(again).toBeInstanceOf(TypeError)
      expect((again as TypeError).message).toMatch(/already being read .* Read it once/)
      const awaited = client.messages.stream(hello)
      const final = awaited.finalMessage()
      expect(() => awaited[Symbol.asyncIterator]()).toThrow(again as TypeError)
      expect((await final).content).toEqual([{ type: "text", text: "echo: hello" }])
    }))

  it("a signal aborted before the first read: every way of reading rejects with its reason, and no request is sent", () =>
    withClient(async (client, standIn) => {
      const stop = new Error("stopped before it began")
      const options = { signal: AbortSignal.abort(stop) }
      expect(await rejection(client.messages.stream(hello, options).finalMessage())).toBe(stop)
      expect(await rejection(drain(client.messages.stream(hello, options)))).toBe(stop)
      const prefetched = client.messages.stream(hello, options)
      await prefetched.withResponse().catch(() => undefined)
      expect(await rejection(prefetched.finalText())).toBe(stop)
      expect(standIn.requests.length).toBe(0)
    }))

  it("the caller's signal is listened to only while the stream is open: one long-lived signal keeps nothing", () =>
    withClient(async (client, standIn) => {
      const shutdown = new AbortController()
      const listeners = () => getEventListeners(shutdown.signal, "abort").length
      const options = { signal: shutdown.signal }
      client.messages.stream(hello, options) // never read
      expect(listeners()).toBe(0)
      for (let i = 0; i < 20; i++) await client.messages.stream(hello, options).finalMessage()
      const looped = client.messages.stream(hello, options)
      for await (const _ of looped) expect(listeners()).toBe(1)
      standIn.enqueue(StandIn.streamError())
      await rejection(client.messages.stream(hello, options).finalMessage())
      const aborted = client.messages.stream(hello, options)
      for await (const _ of aborted) break
      expect(listeners()).toBe(0)
    }))
})

describe("Promise streams: client.close() during the first read", () => {
  it("no request goes out once close() has begun, and the stream rejects with ClientClosed", () =>
    withClient(async (client, standIn) => {
      standIn.enqueue({ type: "stall" })
      // Which phase the client was in when undici was handed each request (a read's first pull sends it at once).
      let phase = "open"
      const sent: Array<string> = []
      const dispatch = Agent.prototype.dispatch
      Agent.prototype.dispatch = function(this: Agent, ...args: Parameters<Agent["dispatch"]>) {
        sent.push(phase)
        return dispatch.apply(this, args)
      }
      try {
        // The read starts, and close() comes before anything else runs.
        const outcome = rejection(client.messages.stream(hello).finalMessage())
        phase = "closing"
        await client.close()
        phase = "closed"
        expect(await outcome).toBeInstanceOf(ClientClosed)
        expect(sent.length).toBeLessThanOrEqual(1)
        expect(sent.filter((p) => p !== "open")).toEqual([])
      } finally {
        Agent.prototype.dispatch = dispatch
      }
    }))
})
