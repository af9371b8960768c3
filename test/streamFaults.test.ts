/** Streams against a server that is slow, silent, overloaded at the start, or a client that goes away. */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type * as AnthropicClient from "../src/AnthropicClient.js"
import { type Client, ClientClosed, createClient, type ServerError, type StreamError } from "../src/index.js"
import type * as Messages from "../src/Messages.js"
import * as MessageStream from "../src/MessageStream.js"
import * as StandIn from "../src/testing/StandIn.js"
import { API_KEY, hello, stack, withPromiseClient } from "./fixtures.js"
import { failureOf, runClocked } from "./helpers.js"

/** The SSE of a text reply, one event per element (pings left out). */
const eventsOf = (text: string, pieces: number) =>
  StandIn.streamEventsOf(StandIn.messageJson([{ type: "text", text }]), { piecesPerBlock: pieces })
    .filter((e) => e.event !== "ping")
    .map((e) => StandIn.sse([e]))

/** Two events, then silence with the connection open (idle timeout 1 s): the stream fails with idle_timeout. */
const silentAfterTwoEvents = <E>(clientFor: (url: string) => Effect.Effect<AnthropicClient.Service, E, Scope.Scope>) =>
  Effect.gen(function*() {
    const standIn = yield* StandIn.scoped()
    const { channel, reply } = StandIn.live()
    standIn.enqueue(reply)
    const client = yield* clientFor(standIn.url)
    const events = eventsOf("a b c", 3)
    const server = Effect.gen(function*() {
      const ch = yield* Effect.promise(() => channel)
      yield* Effect.promise(() => ch.write(events[0]! + events[1]!))
    })
    const { exit } = yield* runClocked(Effect.andThen(Effect.forkChild(server), Stream.runCollect(client.stream(hello))))
    const error = failureOf(exit) as StreamError
    expect(error._tag).toBe("StreamError")
    expect(error.reason).toBe("idle_timeout")
  })

const overloadedAtStart = (type = "overloaded_error"): StandIn.Reply => ({
  type: "stream",
  body: StandIn.sse([
    { event: "ping", data: { type: "ping" } },
    { event: "error", data: { type: "error", error: { type, message: `${type} at the start` } } }
  ])
})

describe("stream idle timeout: silence on the connection, not a slow consumer", () => {
  it.effect("a consumer taking 1.5 s per event with a 1 s idle timeout is not timed out", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      const { channel, reply } = StandIn.live()
      standIn.enqueue(reply)
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url, stream_idle_timeout_ms: 1000 })
      const events = eventsOf("one two three four five six", 6)
      let sent = 0
      // The server sends the next event as soon as the previous one was taken, well within the idle timeout;
      // the consumer then spends 1.5 s (TestClock) on each event.
      const next = Effect.promise(async () => {
        const ch = await channel
        if (sent < events.length) await ch.write(events[sent++]!)
        if (sent === events.length) ch.end()
      })
      const consumed = client.stream(hello).pipe(
        Stream.tap(() => Effect.andThen(next, Effect.sleep(1500))),
        MessageStream.finalMessage
      )
      // The first event goes out once the request has arrived (`next` waits for the connection).
      const { exit } = yield* runClocked(Effect.andThen(Effect.forkChild(next), consumed))
      expect(Exit.isSuccess(exit)).toBe(true)
      if (Exit.isSuccess(exit)) expect(exit.value.content).toEqual([{ type: "text", text: "one two three four five six" }])
    }))

  it.effect("bytes every 0.6 s for 6 s in all, idle timeout 1 s: no timeout (measured from the last bytes)", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      const { channel, reply } = StandIn.live()
      standIn.enqueue(reply)
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url, stream_idle_timeout_ms: 1000 })
      const events = eventsOf("a b c d e f g h", 8)
      const server = Effect.gen(function*() {
        const ch = yield* Effect.promise(() => channel)
        for (const event of events) {
          yield* Effect.promise(() => ch.write(event))
          yield* Effect.sleep(600)
        }
        ch.end()
      })
      const { exit } = yield* runClocked(
        Effect.andThen(Effect.forkChild(server), MessageStream.finalMessage(client.stream(hello)))
      )
      expect(events.length * 600).toBeGreaterThan(6000)
      expect(Exit.isSuccess(exit)).toBe(true)
    }))

  it.effect("a server silent for the idle timeout while the client waits fails with idle_timeout", () =>
    silentAfterTwoEvents((url) => Effect.map(stack({ api_key: API_KEY, base_url: url, stream_idle_timeout_ms: 1000 }), (s) => s.client)))
})

describe("stream: an error event before any event is retried like its HTTP answer", () => {
  it.effect("overloaded_error as the very first event: retried, then the stream succeeds", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      standIn.enqueue(overloadedAtStart(), StandIn.streamText("after the overload"))
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
      const { exit, waits } = yield* runClocked(MessageStream.finalMessage(client.stream(hello)))
      expect(Exit.isSuccess(exit)).toBe(true)
      if (Exit.isSuccess(exit)) expect(exit.value.content).toEqual([{ type: "text", text: "after the overload" }])
      expect(standIn.requests.length).toBe(2)
      // The SDK's backoff before the retry (0.5 s less up to 25 %).
      expect(waits.some((w) => w >= 375 && w <= 500)).toBe(true)
    }))

  it.effect("overloaded at the start every time: ServerError 529 after max_retries retries", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      standIn.enqueue(overloadedAtStart(), overloadedAtStart(), overloadedAtStart())
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url, retry: { max_retries: 2 } })
      const { exit } = yield* runClocked(Stream.runCollect(client.stream(hello)))
      const error = failureOf(exit) as ServerError
      expect(error._tag).toBe("ServerError")
      expect(error.status).toBe(529)
      expect(standIn.requests.length).toBe(3)
    }))

  it.effect("an error after events were delivered is not retried", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      standIn.enqueue(StandIn.streamError("overloaded_error"))
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
      const seen: Array<string> = []
      const { exit } = yield* runClocked(
        client.stream(hello).pipe(Stream.runForEach((e) => Effect.sync(() => seen.push(e.type))))
      )
      expect(failureOf(exit)._tag).toBe("ServerError")
      expect(seen[0]).toBe("message_start")
      expect(standIn.requests.length).toBe(1)
    }))
})

describe("Promise streams: abort and close", () => {
  const withClient = (f: (standIn: StandIn.StandIn, client: Client) => Promise<void>) =>
    withPromiseClient((client, standIn) => f(standIn, client))

  it("abort() while a for await waits: the loop and finalMessage() both reject with the abort", () =>
    withClient(async (standIn) => {
      const { channel, reply } = StandIn.live()
      standIn.enqueue(reply)
      const client = await createClient({
        config: { providers: { anthropic: { api_key: API_KEY, base_url: standIn.url } } },
        env: {}
      })
      try {
        const stream = client.messages.stream(hello)
        const events = eventsOf("partial", 1)
        const iterator = stream[Symbol.asyncIterator]()
        const firstRead = iterator.next()
        const ch = await channel
        await ch.write(events[0]!)
        const first = await firstRead
        expect((first.value as Messages.MessageStreamEvent).type).toBe("message_start")
        // The next read waits on the connection (its pull starts at once): abort it there.
        const pending = iterator.next().then(() => undefined, (e: unknown) => e)
        await stream.abort()
        const loopError = await pending
        const finalError = await stream.finalMessage().then(() => undefined, (e: unknown) => e)
        expect((loopError as DOMException).name).toBe("AbortError")
        expect(finalError).toBe(loopError)
      } finally {
        await client.close()
      }
    }))

  it("after close(): create rejects with ClientClosed, a stream's finalMessage() rejects with ClientClosed", () =>
    withClient(async (_standIn, client) => {
      await client.messages.create(hello)
      await client.close()
      const created = await client.messages.create(hello).then(() => undefined, (e: unknown) => e)
      expect(created).toBeInstanceOf(ClientClosed)
      expect((created as ClientClosed)._tag).toBe("ClientClosed")
      const streamed = await client.messages.stream(hello).finalMessage().then(() => undefined, (e: unknown) => e)
      expect((streamed as ClientClosed)._tag).toBe("ClientClosed")
      const counted = await client.messages.countTokens(hello).then(() => undefined, (e: unknown) => e)
      expect((counted as ClientClosed)._tag).toBe("ClientClosed")
    }))

  it("close() while a stream is open and a call is in flight: both reject with ClientClosed", () =>
    withClient(async (standIn, client) => {
      const { channel, reply } = StandIn.live()
      standIn.enqueue(reply, { type: "stall" })
      const stream = client.messages.stream(hello)
      const iterator = stream[Symbol.asyncIterator]()
      const firstRead = iterator.next()
      const ch = await channel
      await ch.write(eventsOf("x", 1)[0]!)
      await firstRead
      const pendingRead = iterator.next().then(() => undefined, (e: unknown) => e)
      const call = client.messages.create(hello).then(() => undefined, (e: unknown) => e)
      await standIn.waitFor(() => standIn.requests.length === 2)
      await client.close()
      expect(((await pendingRead) as ClientClosed)._tag).toBe("ClientClosed")
      expect(((await stream.finalMessage().catch((e: unknown) => e)) as ClientClosed)._tag).toBe("ClientClosed")
      expect(((await call) as ClientClosed)._tag).toBe("ClientClosed")
    }))
})
