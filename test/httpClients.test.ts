/**
 * One HTTP stack over any platform `HttpClient`: the same behaviour over this library's undici client (the default on
 * Node and Deno), `NodeHttpClient.layerUndici`, and `FetchHttpClient` (the default on Bun and Workers; here Node's
 * own `fetch`): whole streams and their final message, a 429 retried after `retry-after-ms`, `timeout_ms`, a cut
 * connection, the idle watchdog, the first-event retry, an interrupted stream aborting its request, the answer's
 * metadata. Time rules run on the TestClock.
 */
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import type * as HttpClient from "effect/http/HttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type * as AnthropicClient from "../src/AnthropicClient.js"
import type { ConnectionError, StreamError } from "../src/Errors.js"
import * as MessageStream from "../src/MessageStream.js"
import * as Messages from "../src/Messages.js"
import { undiciOptions } from "../src/internal/http/defaultClient.js"
import * as FetchClient from "../src/internal/http/fetch.js"
import * as StandIn from "../src/testing/StandIn.js"
import { API_KEY, hello, stack, stackOn } from "./fixtures.js"
import { failureOf, runClocked } from "./helpers.js"

type ClientFor = (anthropic: Record<string, unknown>) => Effect.Effect<AnthropicClient.Service, unknown, Scope.Scope>

const on = (layer: Layer.Layer<HttpClient.HttpClient>): ClientFor => (anthropic) => stackOn(layer, anthropic)

const nodeUndici: readonly [string, Layer.Layer<HttpClient.HttpClient>] = ["NodeHttpClient.layerUndici", NodeHttpClient.layerUndici]

/** The library's own `fetch` client, bounded by `timeout_ms` as the default stack makes it on Bun and Workers. */
const onOwnFetch: ClientFor = (anthropic) => {
  const timeoutMs = typeof anthropic.timeout_ms === "number" ? anthropic.timeout_ms : 600_000
  return stackOn(FetchClient.layerWith({ timeout: timeoutMs }), anthropic, undiciOptions)
}

const clients: ReadonlyArray<readonly [string, ClientFor]> = [
  ["the default (UndiciHttpClient)", (anthropic) => Effect.map(stack({ api_key: API_KEY, ...anthropic }), (s) => s.client)],
  [nodeUndici[0], on(nodeUndici[1])],
  ["the default on Bun and Workers (the library's fetch client)", onOwnFetch],
  ["FetchHttpClient (fetch)", on(FetchHttpClient.layer)]
]

const eventsOf = (text: string, pieces: number) =>
  StandIn.streamEventsOf(StandIn.messageJson([{ type: "text", text }]), { piecesPerBlock: pieces })
const ping = StandIn.sse([{ event: "ping", data: { type: "ping" } }])

for (const [name, clientFor] of clients) {
  describe(`over ${name}`, () => {
    it.effect("a whole stream: every event, and the final message; create with its metadata", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped({ replies: [StandIn.streamText("through this client", { piecesPerBlock: 4 })] })
        const client = yield* clientFor({ base_url: standIn.url })
        const message = yield* MessageStream.finalMessage(client.stream(hello))
        expect(message.content).toEqual([{ type: "text", text: "through this client" }])
        const answered = yield* client.createMessageWithResponse(hello)
        expect(Messages.textOf(answered.message)).toBe("echo: hello")
        expect(answered.requestId).toMatch(/^req_/)
      }))

    it.effect("a 429 with retry-after-ms is retried after exactly that delay", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped({ replies: [StandIn.error(429, { retryAfterMs: "1500" })] })
        const client = yield* clientFor({ base_url: standIn.url })
        const { exit, waits } = yield* runClocked(client.createMessage(hello))
        expect(Exit.isSuccess(exit)).toBe(true)
        expect(waits).toContain(1500)
        expect(standIn.requests.length).toBe(2)
      }))

    it.effect("no answer within timeout_ms: ConnectionError timeout, the request abandoned", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped({ replies: [{ type: "stall" }] })
        const client = yield* clientFor({ base_url: standIn.url, timeout_ms: 5000, retry: { max_retries: 0 } })
        const { exit } = yield* runClocked(client.createMessage(hello))
        const error = failureOf(exit) as ConnectionError
        expect(error._tag).toBe("ConnectionError")
        expect(error.reason).toBe("timeout")
        yield* StandIn.until(standIn, () => standIn.abandoned.length === 1)
      }))

    it.effect("a connection cut after the first events: StreamError truncated, the events before it delivered", () =>
      Effect.gen(function*() {
        const body = StandIn.sse(eventsOf("cut short here", 3))
        const standIn = yield* StandIn.scoped({ replies: [{ type: "stream", body, cutAfter: body.indexOf("content_block_stop") }] })
        const client = yield* clientFor({ base_url: standIn.url })
        const seen: Array<string> = []
        const error = yield* Effect.flip(Stream.runForEach(client.stream(hello), (e) => Effect.sync(() => void seen.push(e.type))))
        expect(error._tag === "StreamError" && error.reason).toBe("truncated")
        expect(seen.filter((t) => t === "content_block_delta").length).toBe(3)
        expect(standIn.requests.length).toBe(1)
      }))

    it.effect("silence after the first events for stream_idle_timeout_ms: StreamError idle_timeout", () =>
      Effect.gen(function*() {
        const events = eventsOf("a b c", 3)
        const body = StandIn.sse(events)
        const firstTwo = StandIn.sse(events.slice(0, 2)).length
        const standIn = yield* StandIn.scoped({ replies: [{ type: "stream", body, stallAfter: firstTwo }] })
        const client = yield* clientFor({ base_url: standIn.url, stream_idle_timeout_ms: 1000 })
        const { exit } = yield* runClocked(Stream.runCollect(client.stream(hello)))
        const error = failureOf(exit) as StreamError
        expect(error._tag).toBe("StreamError")
        expect(error.reason).toBe("idle_timeout")
        yield* StandIn.until(standIn, () => standIn.abandoned.length === 1)
      }))

    it.effect("a start that goes silent before the first event is retried", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped({
          replies: [{ type: "stream", body: ping + ping, stallAfter: ping.length }, StandIn.streamText("after the silence")]
        })
        const client = yield* clientFor({ base_url: standIn.url, stream_idle_timeout_ms: 1000 })
        const { exit } = yield* runClocked(MessageStream.finalMessage(client.stream(hello)))
        expect(Exit.isSuccess(exit)).toBe(true)
        if (Exit.isSuccess(exit)) expect(exit.value.content).toEqual([{ type: "text", text: "after the silence" }])
        expect(standIn.requests.length).toBe(2)
      }))

    it.effect("a stream taken in part and dropped aborts its request", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped()
        const { channel, reply } = StandIn.live()
        standIn.enqueue(reply)
        const client = yield* clientFor({ base_url: standIn.url })
        const events = eventsOf("one two three", 3)
        yield* Effect.forkScoped(Effect.promise(async () => (await channel).write(StandIn.sse(events.slice(0, 3)))))
        const taken = yield* Stream.runCollect(Stream.take(client.stream(hello), 2))
        expect([...taken].map((e) => e.type)).toEqual(["message_start", "content_block_start"])
        yield* StandIn.until(standIn, () => standIn.abandoned.length === 1)
      }))
  })
}
