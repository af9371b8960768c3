import { describe, expect, it } from "@effect/vitest"
import * as HttpClient from "effect/http/HttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import type * as HttpClientError from "effect/http/HttpClientError"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Pull from "effect/Pull"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/testing/TestClock"
import * as FetchClient from "../src/internal/http/fetch.js"
import * as StandIn from "../src/testing/StandIn.js"
import * as UndiciHttpClient from "../src/UndiciHttpClient.js"
import { executeWholeOf } from "../src/internal/http/executeWhole.js"
import { failureOf, realPause, runClocked, sleeps } from "./helpers.js"

/** The library's two clients: the same semantics over undici's dispatcher and over `fetch` (Bun's and Workers' default). */
const clients = [
  ["UndiciHttpClient", UndiciHttpClient.layerWith],
  ["the fetch client", FetchClient.layerWith]
] as const

const nodeUndici: readonly [string, Layer.Layer<HttpClient.HttpClient>] = ["NodeHttpClient.layerUndici", NodeHttpClient.layerUndici]

const post = (url: string, body: unknown) =>
  HttpClientRequest.post(`${url}/v1/messages`).pipe(HttpClientRequest.bodyJsonUnsafe(body))

/** The cause the client gave: Effect 4's `HttpClientError` carries it on its `reason` (a `TransportError`, ...). */
const causeOf = (error: HttpClientError.HttpClientError): unknown => error.reason.cause

/** A request sent as the library's client sends a JSON call's: its answer will be read whole. */
const executeWhole = (http: HttpClient.HttpClient, url: string) => executeWholeOf(http)(post(url, {}))

/** An answer of `length` declared bytes of which only `sent` are written; then the connection is cut, or left open. */
const shortBody = (sent: number, length: number, then: "cut" | "stall"): StandIn.Reply => ({
  type: "write",
  write: (res) => {
    res.writeHead(200, { "content-type": "application/json", "content-length": String(length) })
    res.write("x".repeat(sent), () => {
      if (then === "cut") res.socket?.destroy()
    })
  }
})

for (const [clientName, layerWith] of clients) {
  const client = (options: UndiciHttpClient.Options = {}) =>
    Effect.map(Layer.build(layerWith(options)), Context.get(HttpClient.HttpClient))

  describe(`${clientName}: requests and answers`, () => {
    it.effect("sends method, headers and body; answers status, lower-case headers and a body readable many ways", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped({
          replies: [StandIn.text("hi", { id: "msg_1" })].map((r) => ({ ...r, headers: { "X-Custom": "yes" } }) as StandIn.Reply)
        })
        const http = yield* client()
        const response = yield* http.execute(
          post(standIn.url, { hello: "world" }).pipe(HttpClientRequest.setHeader("x-api-key", "k"))
        )
        expect(response.status).toBe(200)
        expect(response.headers["x-custom"]).toBe("yes")
        const text = yield* response.text
        expect(JSON.parse(text).id).toBe("msg_1")
        // A whole-body read can be repeated, and the other readers agree with it.
        expect(yield* response.text).toBe(text)
        expect(yield* response.json).toEqual(JSON.parse(text))
        expect(new TextDecoder().decode(yield* response.arrayBuffer)).toBe(text)
        const [received] = standIn.requests
        expect(received!.method).toBe("POST")
        expect(received!.headers["x-api-key"]).toBe("k")
        expect(received!.headers["content-type"]).toBe("application/json")
        expect(received!.body).toEqual({ hello: "world" })
      }))

    it.effect("a non-2xx answer is an answer, not a failure (as with every HttpClient)", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped({ replies: [StandIn.error(529)] })
        const http = yield* client()
        const response = yield* http.execute(post(standIn.url, {}))
        expect(response.status).toBe(529)
        expect(((yield* response.json) as { error: { type: string } }).error.type).toBe("overloaded_error")
      }))

    it.effect("platform combinators apply (mapRequest, filterStatusOk)", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped({ replies: [StandIn.text("ok"), StandIn.error(404)] })
        const http = (yield* client()).pipe(HttpClient.mapRequest(HttpClientRequest.prependUrl(standIn.url)))
        const ok = yield* http.execute(HttpClientRequest.post("/v1/messages"))
        expect(ok.status).toBe(200)
        const error = yield* Effect.flip(HttpClient.filterStatusOk(http).execute(HttpClientRequest.post("/v1/messages")))
        expect(error._tag).toBe("HttpClientError")
        expect(error.reason._tag).toBe("StatusCodeError")
      }))

    it.effect("a streamed request body (Effect Stream) is sent whole", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped()
        const http = yield* client()
        const parts = ["{\"model\":", "\"claude-haiku-4-5\",\"messages\":", "[]}"].map((s) => new TextEncoder().encode(s))
        const response = yield* http.execute(
          HttpClientRequest.post(`${standIn.url}/v1/messages`).pipe(
            HttpClientRequest.bodyStream(Stream.fromIterable(parts), { contentType: "application/json" })
          )
        )
        yield* response.text
        expect(standIn.requests[0]!.body).toEqual({ model: "claude-haiku-4-5", messages: [] })
      }))

    it.effect("a refused connection is a TransportError carrying the cause", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped()
        const url = standIn.url
        yield* Effect.promise(() => standIn.close())
        const http = yield* client()
        const error = yield* Effect.flip(http.execute(post(url, {})))
        expect(error._tag).toBe("HttpClientError")
        expect(error.reason._tag).toBe("TransportError")
        expect(String((causeOf(error) as { code?: string }).code ?? causeOf(error))).toContain("ECONNREFUSED")
      }))
  })

  describe(`${clientName}: response bodies as streams`, () => {
    it.effect("delivers every byte of a large body in order, whatever the chunking", () =>
      Effect.gen(function*() {
        const body = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => i % 251)
        const standIn = yield* StandIn.scoped({ replies: [{ type: "stream", body, chunkSize: 65_536 }] })
        const http = yield* client()
        const response = yield* http.execute(post(standIn.url, {}))
        // A slow reader: undici is paused above the high-water mark and resumed as the reader catches up.
        const chunks = yield* response.stream.pipe(Stream.tap(() => realPause(0)), Stream.runCollect)
        const received = Buffer.concat(chunks)
        expect(received.length).toBe(body.length)
        expect(received.equals(Buffer.from(body))).toBe(true)
      }))

    it.effect("a connection cut mid-body fails the stream with a DecodeError", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped({
          replies: [{ type: "stream", body: "x".repeat(10_000), chunkSize: 1000, cutAfter: 3000 }]
        })
        const http = yield* client()
        const response = yield* http.execute(post(standIn.url, {}))
        const error = yield* Effect.flip(Stream.runDrain(response.stream))
        expect(error._tag).toBe("HttpClientError")
        expect(error.reason._tag).toBe("DecodeError")
      }))

    it.effect("ending the stream early aborts the request", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped({ replies: [{ type: "stream", body: "x".repeat(10_000), chunkSize: 100, stallAfter: 500 }] })
        const http = yield* client()
        const response = yield* http.execute(post(standIn.url, {}))
        const first = yield* response.stream.pipe(Stream.take(1), Stream.runCollect)
        expect(first.length).toBe(1)
        yield* StandIn.until(standIn, () => standIn.abandoned.length === 1)
      }))
  })

  describe(`${clientName}: bodies read whole`, () => {
    it.effect("bodies far over the 1 MiB pause mark arrive whole when read as text, json or bytes", () =>
      Effect.gen(function*() {
        const big = "b".repeat(5 * 1024 * 1024)
        const standIn = yield* StandIn.scoped({ replies: [StandIn.text(big), StandIn.text(big), StandIn.text(big)] })
        const http = yield* client()
        const text = yield* Effect.flatMap(http.execute(post(standIn.url, {})), (r) => r.text)
        expect(JSON.parse(text).content[0].text).toBe(big)
        const json = (yield* Effect.flatMap(http.execute(post(standIn.url, {})), (r) => r.json)) as any
        expect(json.content[0].text.length).toBe(big.length)
        // Read late: the body was paused at the mark while nobody read it, and resumes when someone does.
        const response = yield* http.execute(post(standIn.url, {}))
        yield* realPause(100)
        expect((yield* response.arrayBuffer).byteLength).toBe(text.length)
      }))

    it.effect("a body over maxBodyBytes read whole fails with BodyTooLarge and the request is aborted", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped({ replies: [StandIn.text("c".repeat(3 * 1024 * 1024))] })
        const http = yield* client({ maxBodyBytes: 2 * 1024 * 1024 })
        const error = yield* Effect.flip(Effect.flatMap(http.execute(post(standIn.url, {})), (r) => r.text))
        expect(error._tag).toBe("HttpClientError")
        expect(error.reason._tag).toBe("DecodeError")
        expect(causeOf(error)).toBeInstanceOf(UndiciHttpClient.BodyTooLarge)
        // A stream reader is not limited.
        standIn.enqueue(StandIn.text("d".repeat(3 * 1024 * 1024)))
        const streamed = yield* Effect.flatMap(http.execute(post(standIn.url, {})), (r) =>
          Stream.runFold(r.stream, () => 0, (n, bytes) => n + bytes.length))
        expect(streamed).toBeGreaterThan(3 * 1024 * 1024)
      }))
  })

  // The library sends a JSON call's request through the client's whole-body execute where it has one (the fetch
  // client reads a small body with the head, to resume the call once). What its readers see must not change.
  describe(`${clientName}: answers sent to be read whole`, () => {
    it.effect("every reader finds the whole body: text, json, bytes, and a stream of it", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped({ replies: [StandIn.text("whole", { id: "msg_w" })] })
        const http = yield* client()
        const response = yield* executeWhole(http, standIn.url)
        const text = yield* response.text
        expect(JSON.parse(text).id).toBe("msg_w")
        expect(yield* response.json).toEqual(JSON.parse(text))
        expect(new TextDecoder().decode(yield* response.arrayBuffer)).toBe(text)
        const streamed = yield* Stream.runCollect(response.stream)
        expect(Buffer.concat(streamed).toString()).toBe(text)
      }))

    it.effect("a body cut short of its content-length: the read fails with a DecodeError, the answer arrives", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped({ replies: [shortBody(10, 100, "cut"), shortBody(10, 100, "cut")] })
        const http = yield* client()
        for (const read of [(r: HttpClientResponse.HttpClientResponse) => r.text, (r: HttpClientResponse.HttpClientResponse) => Stream.runDrain(r.stream)]) {
          const response = yield* executeWhole(http, standIn.url)
          expect(response.status).toBe(200)
          const error = yield* Effect.flip(read(response))
          expect(error._tag).toBe("HttpClientError")
          expect(error.reason._tag).toBe("DecodeError")
        }
      }))

    it.effect("interrupting it while its body trickles aborts the request", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped({ replies: [shortBody(10, 100, "stall")] })
        const http = yield* client()
        const fiber = yield* Effect.forkChild(Effect.flatMap(executeWhole(http, standIn.url), (r) => r.text))
        yield* StandIn.until(standIn, () => standIn.requests.length === 1)
        yield* realPause(20)
        yield* Fiber.interrupt(fiber)
        yield* StandIn.until(standIn, () => standIn.abandoned.length === 1)
      }))

    it.effect("a body that stops short is bounded by the timeout from sending (TestClock)", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped({ replies: [shortBody(10, 100, "stall")] })
        const http = yield* client({ timeout: "5 seconds" })
        const fiber = yield* Effect.forkChild(Effect.flatMap(executeWhole(http, standIn.url), (r) => r.text))
        yield* StandIn.until(standIn, () => standIn.requests.length === 1)
        // The head and the first bytes are in before the clock moves.
        yield* realPause(20)
        yield* TestClock.adjust("6 seconds")
        const error = failureOf(yield* Fiber.await(fiber))
        expect(Cause.isTimeoutError(causeOf(error))).toBe(true)
        yield* StandIn.until(standIn, () => standIn.abandoned.length === 1)
      }))

    if (clientName === "the fetch client") {
      it.effect("the fetch client hands such a small answer over with its whole body, not at its head", () =>
        Effect.gen(function*() {
          const standIn = yield* StandIn.scoped({ replies: [shortBody(10, 100, "stall")] })
          const http = yield* client()
          const fiber = yield* Effect.forkChild(executeWhole(http, standIn.url))
          yield* StandIn.until(standIn, () => standIn.requests.length === 1)
          yield* realPause(50)
          expect(fiber.pollUnsafe()).toBeUndefined()
          yield* Fiber.interrupt(fiber)
        }))
    }

    it.effect("an answer sent through execute is handed over at its head, before a trickling body ends", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped({ replies: [shortBody(10, 100, "stall")] })
        const http = yield* client()
        const response = yield* http.execute(post(standIn.url, {}))
        expect(response.status).toBe(200)
        const pull = yield* Stream.toPull(response.stream)
        expect(Buffer.concat(yield* pull).toString()).toBe("x".repeat(10))
      }))
  })

  describe(`${clientName}: interruption and scopes`, () => {
    it.effect("interrupting a request that has no answer yet aborts it", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped({ replies: [{ type: "stall" }] })
        const http = yield* client()
        const fiber = yield* Effect.forkChild(http.execute(post(standIn.url, {})))
        yield* StandIn.until(standIn, () => standIn.requests.length === 1)
        yield* Fiber.interrupt(fiber)
        yield* StandIn.until(standIn, () => standIn.abandoned.length === 1)
      }))

    it.effect("interrupting a whole-body read aborts the request", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped({ replies: [{ type: "stream", body: "x".repeat(10_000), stallAfter: 100 }] })
        const http = yield* client()
        const response = yield* http.execute(post(standIn.url, {}))
        const fiber = yield* Effect.forkChild(response.text)
        yield* realPause(20)
        yield* Fiber.interrupt(fiber)
        yield* StandIn.until(standIn, () => standIn.abandoned.length === 1)
      }))

    it.effect("closing the scope a body stream is pulled in aborts the request, even while a read waits", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped({ replies: [{ type: "stream", body: "x".repeat(10_000), stallAfter: 100 }] })
        const http = yield* client()
        const response = yield* http.execute(post(standIn.url, {}))
        const scope = yield* Scope.make()
        const pull = yield* Scope.provide(Stream.toPull(response.stream), scope)
        yield* pull
        const reading = yield* Effect.forkChild(pull)
        yield* realPause(20)
        yield* Scope.close(scope, Exit.void)
        const exit = yield* Fiber.await(reading)
        expect(Exit.isFailure(exit)).toBe(true)
        yield* StandIn.until(standIn, () => standIn.abandoned.length === 1)
      }))
  })

  describe(`${clientName}: timeout (one watchdog fiber, TestClock)`, () => {
    it.effect("no answer within the timeout: aborted, a TransportError whose cause is a TimeoutError", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped({ replies: [{ type: "stall" }] })
        const http = yield* client({ timeout: "5 seconds" })
        const { exit, waits } = yield* runClocked(http.execute(post(standIn.url, {})), 10_000)
        const error = failureOf(exit)
        expect(error._tag).toBe("HttpClientError")
        expect(error.reason._tag).toBe("TransportError")
        expect(Cause.isTimeoutError(causeOf(error))).toBe(true)
        expect(waits).toEqual([5000])
        yield* StandIn.until(standIn, () => standIn.abandoned.length === 1)
      }))

    it.effect("a body read whole is bounded too, from sending", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped({ replies: [{ type: "stream", body: "x".repeat(10_000), stallAfter: 100 }] })
        const http = yield* client({ timeout: "5 seconds" })
        // The answer is in before the clock moves (moving it while the headers are on their way would time the request
        // out before there is a body to read): the deadline armed at sending still bounds the read.
        const response = yield* http.execute(post(standIn.url, {}))
        const { exit } = yield* runClocked(response.text, 10_000)
        const error = failureOf(exit)
        expect(error._tag).toBe("HttpClientError")
        expect(error.reason._tag).toBe("DecodeError")
        expect(Cause.isTimeoutError(causeOf(error))).toBe(true)
      }))

    it.effect("a body read as a stream is not bounded once the stream starts", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped({ replies: [{ type: "stream", body: "x".repeat(10_000), stallAfter: 100 }] })
        const http = yield* client({ timeout: "5 seconds" })
        const response = yield* http.execute(post(standIn.url, {}))
        const reading = yield* Effect.forkChild(Stream.runDrain(response.stream))
        yield* realPause(20)
        yield* TestClock.adjust("1 minute")
        yield* realPause(20)
        expect(reading.pollUnsafe()).toBeUndefined()
        expect(standIn.abandoned.length).toBe(0)
        yield* Fiber.interrupt(reading)
      }))

    it.effect("answers within the timeout are never touched, and the idle watchdog leaves no sleep behind", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped()
        const http = yield* client({ timeout: "5 seconds" })
        for (let i = 0; i < 20; i++) {
          const response = yield* http.execute(post(standIn.url, { model: "claude-haiku-4-5", messages: [{ role: "user", content: `n${i}` }] }))
          expect(response.status).toBe(200)
          yield* response.text
        }
        // Past every deadline: the watchdog wakes, finds nothing armed, and parks without a timer.
        yield* TestClock.adjust("6 seconds")
        yield* realPause(5)
        expect(yield* sleeps).toEqual([])
        expect(standIn.abandoned.length).toBe(0)
      }))
  })
}

describe("UndiciHttpClient.toPull: a body as a pull, from this client or another", () => {
  /** Pulls a body to its end: its bytes, or the read's failure. */
  const pullAll = (pull: UndiciHttpClient.Pull) =>
    Effect.gen(function*() {
      const parts: Array<Uint8Array> = []
      while (true) {
        // Effect 4: the end is a `Cause.Done` failure (was `Option.none()`); a read's failure fails here.
        const chunk = yield* Pull.catchDone(pull, () => Effect.succeed(undefined))
        if (chunk === undefined) return Buffer.concat(parts)
        parts.push(...chunk)
      }
    })

  const owned = ["UndiciHttpClient", "the fetch client"]
  for (
    const [name, layer] of [
      ["UndiciHttpClient", UndiciHttpClient.layer],
      ["the fetch client", FetchClient.layerWith({})],
      nodeUndici
    ] as const
  ) {
    it.effect(`${name}: every byte in order; readEndsWithScope says whose answer it is`, () =>
      Effect.gen(function*() {
        const body = new Uint8Array(300_000).map((_, i) => i % 251)
        const standIn = yield* StandIn.scoped({ replies: [{ type: "stream", body, chunkSize: 65_536 }] })
        const http = Context.get(yield* Layer.build(layer), HttpClient.HttpClient)
        const response = yield* http.execute(post(standIn.url, {}))
        expect(UndiciHttpClient.readEndsWithScope(response)).toBe(owned.includes(name))
        const received = yield* pullAll(yield* UndiciHttpClient.toPull(response))
        expect(received.equals(Buffer.from(body))).toBe(true)
      }))
  }

  it.effect("closing the scope of this client's pull aborts the request, even while a read waits", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped({ replies: [{ type: "stream", body: "x".repeat(10_000), stallAfter: 500 }] })
      const http = Context.get(yield* Layer.build(UndiciHttpClient.layer), HttpClient.HttpClient)
      const response = yield* http.execute(post(standIn.url, {}))
      const scope = yield* Scope.make()
      const pull = yield* Scope.provide(UndiciHttpClient.toPull(response), scope)
      const reading = yield* Effect.forkChild(pullAll(pull))
      yield* StandIn.until(standIn, () => standIn.requests.length === 1)
      yield* Scope.close(scope, Exit.void)
      const exit = yield* Fiber.await(reading)
      expect(Exit.isFailure(exit)).toBe(true)
      yield* StandIn.until(standIn, () => standIn.abandoned.length === 1)
    }))
})

