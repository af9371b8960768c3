/**
 * Files through the whole stack against the stand-in: uploads from a path, bytes and a stream (multipart, streamed,
 * retried only when they can be replayed), downloads byte for byte, listing, deleting, the beta header, hostile
 * downloads, and the Promise client.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/testing/TestClock"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Readable } from "node:stream"
import * as Files from "../src/Files.js"
import * as StandIn from "../src/testing/StandIn.js"
import { API_KEY, stack, stackOn, withPromiseClient } from "./fixtures.js"
import { realPause, runClocked, tempDir } from "./helpers.js"

const setup = (anthropic: Record<string, unknown> = {}) =>
  Effect.gen(function*() {
    const standIn = yield* StandIn.scoped()
    const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url, ...anthropic })
    return { standIn, client }
  })

const layerUndici = NodeHttpClient.layerUndici

const collect = (stream: Stream.Stream<Uint8Array, unknown>) =>
  Effect.map(Stream.runCollect(stream), (chunks) => Buffer.concat(chunks))

describe("Files: upload and download", () => {
  it.effect("a 5 MB file from a path: streamed multipart with its length, name and type; downloaded byte for byte", () =>
    Effect.gen(function*() {
      const { standIn, client } = yield* setup()
      standIn.files.setDownloadableUploads(true)
      const dir = yield* tempDir
      const file = path.join(dir, "report.pdf")
      const bytes = randomBytes(5 * 1024 * 1024 + 17)
      yield* Effect.promise(() => fs.writeFile(file, bytes))
      const meta = yield* client.uploadFile({ path: file })
      expect(meta).toMatchObject({ type: "file", filename: "report.pdf", mime_type: "application/pdf", size_bytes: bytes.length, downloadable: true })
      const upload = standIn.requests[0]!
      expect(upload.method).toBe("POST")
      expect(upload.path).toBe("/v1/files")
      expect(upload.headers["anthropic-beta"]).toBe(Files.BETA)
      expect(upload.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=-+effect-anthropic-[0-9a-f]{32}$/)
      expect(Number(upload.headers["content-length"])).toBe(upload.raw.length)
      expect(Buffer.compare(Buffer.from(standIn.files.all()[0]!.bytes), bytes)).toBe(0)
      const downloaded = yield* collect(client.downloadFile(meta.id))
      expect(downloaded.length).toBe(bytes.length)
      expect(Buffer.compare(downloaded, bytes)).toBe(0)
      expect(standIn.requests[1]).toMatchObject({ method: "GET", path: `/v1/files/${meta.id}/content` })
      expect(standIn.requests[1]!.headers["accept"]).toBe("application/binary")
    }))

  it.effect("bytes and a stream: names and types as given; a stream is sent chunked", () =>
    Effect.gen(function*() {
      const { standIn, client } = yield* setup()
      const a = yield* client.uploadFile({ bytes: new Uint8Array([1, 2, 3]), filename: "a.bin" })
      expect(a).toMatchObject({ filename: "a.bin", mime_type: "application/octet-stream", size_bytes: 3 })
      const parts = [randomBytes(70_000), randomBytes(1), randomBytes(300_000)]
      const b = yield* client.uploadFile({ stream: Stream.fromIterable(parts), filename: "notes.md" })
      expect(b).toMatchObject({ filename: "notes.md", mime_type: "text/markdown", size_bytes: 370_001 })
      expect(standIn.requests[1]!.headers["content-length"]).toBeUndefined()
      expect(standIn.requests[1]!.headers["transfer-encoding"]).toBe("chunked")
      expect(Buffer.compare(Buffer.from(standIn.files.all()[0]!.bytes), Buffer.concat(parts))).toBe(0)
      const c = yield* client.uploadFile({ bytes: new Uint8Array(10), filename: "x.data", mimeType: "application/x-custom" })
      expect(c.mime_type).toBe("application/x-custom")
    }))

  it.effect("a file name with quotes or line breaks cannot break out of its multipart header", () =>
    Effect.gen(function*() {
      const { standIn, client } = yield* setup()
      const meta = yield* client.uploadFile({ bytes: new Uint8Array([9]), filename: 'a"b\r\nContent-Type: text/html\r\n\r\nx.txt' })
      const head = Buffer.from(standIn.requests[0]!.raw).toString("latin1").split("\r\n\r\n")[0]!
      expect(head).toContain('filename="a%22b%0D%0AContent-Type: text/html%0D%0A%0D%0Ax.txt"')
      expect(meta.size_bytes).toBe(1)
      const refused = yield* Effect.flip(client.uploadFile({ bytes: new Uint8Array(1), filename: "x", mimeType: "text/plain\r\nX-Evil: 1" }))
      expect(refused).toMatchObject({ _tag: "InvalidRequest" })
    }))

  it.effect("an upload is retried only when the API surely stored nothing (529), then sent again whole; a stream is sent once", () =>
    Effect.gen(function*() {
      const { standIn, client } = yield* setup({ retry: { max_retries: 2 } })
      const dir = yield* tempDir
      const file = path.join(dir, "data.csv")
      yield* Effect.promise(() => fs.writeFile(file, "a,b\n1,2\n"))
      standIn.enqueue(StandIn.error(529, { retryAfterMs: "0" }))
      const meta = yield* client.uploadFile({ path: file })
      expect(meta.size_bytes).toBe(8)
      expect(standIn.requests.length).toBe(2)
      // Both attempts carried the whole file (each with a boundary of its own).
      for (const request of standIn.requests) expect(Buffer.from(request.raw).toString()).toContain("\r\n\r\na,b\n1,2\n\r\n--")
      // A 500 may come after the file was stored: a second upload would be a second file.
      standIn.enqueue(StandIn.error(500, { retryAfterMs: "0" }))
      expect(yield* Effect.flip(client.uploadFile({ path: file }))).toMatchObject({ _tag: "ServerError", status: 500 })
      expect(standIn.requests.length).toBe(3)
      standIn.enqueue(StandIn.error(529, { retryAfterMs: "0" }))
      const once = yield* Effect.flip(client.uploadFile({ stream: Stream.make(new Uint8Array([1])), filename: "s.bin" }))
      expect(once).toMatchObject({ _tag: "ServerError", status: 529 })
      expect(standIn.requests.length).toBe(4)
    }))

  it.effect("a source that fails or gives another size than it said is the caller's error, not retried", () =>
    Effect.gen(function*() {
      const { standIn, client } = yield* setup({ retry: { max_retries: 2 } })
      const failing = yield* Effect.flip(client.uploadFile({
        stream: Stream.concat(Stream.make(new Uint8Array(100)), Stream.fail(new Error("disk gone"))),
        filename: "x.bin"
      }))
      expect(failing).toMatchObject({ _tag: "InvalidRequest" })
      expect(failing.message).toContain("the upload's stream failed: disk gone")
      const short = yield* Effect.flip(client.uploadFile({ stream: Stream.make(new Uint8Array(10)), filename: "y.bin", size: 20 }))
      expect(short.message).toContain("the upload's source gave 10 bytes, not the 20 its size said")
      const long = yield* Effect.flip(client.uploadFile({ stream: Stream.make(new Uint8Array(30)), filename: "z.bin", size: 20 }))
      expect(long.message).toContain("its size said")
      expect(standIn.files.all()).toEqual([])
      expect(standIn.requests.length).toBeLessThanOrEqual(3)
    }))

  it.effect("a file that cannot be read fails before anything is sent, naming it", () =>
    Effect.gen(function*() {
      const { standIn, client } = yield* setup()
      const dir = yield* tempDir
      const missing = yield* Effect.flip(client.uploadFile({ path: path.join(dir, "nope.pdf") }))
      expect(missing).toMatchObject({ _tag: "InvalidRequest" })
      expect(missing.message).toContain(`cannot read ${path.join(dir, "nope.pdf")} to upload it: ENOENT`)
      const folder = yield* Effect.flip(client.uploadFile({ path: dir }))
      expect(folder.message).toContain("it is not a file")
      const noName = yield* Effect.flip(client.uploadFile({ bytes: new Uint8Array(1), filename: "" }))
      expect(noName.message).toContain("needs a filename")
      expect(standIn.requests).toEqual([])
    }))

  it.effect("an uploaded file is not downloadable (as the API says): the API's 400", () =>
    Effect.gen(function*() {
      const { client } = yield* setup()
      const meta = yield* client.uploadFile({ bytes: new Uint8Array([1]), filename: "a.txt" })
      expect(meta.downloadable).toBe(false)
      const error = yield* Effect.flip(Stream.runDrain(client.downloadFile(meta.id)))
      expect(error).toMatchObject({ _tag: "Other", status: 400 })
      expect(error.message).toContain("not downloadable")
    }))
})

describe("Files: metadata, lists, deletes", () => {
  it.effect("files() across pages, retrieveFile, deleteFile; every request carries the beta", () =>
    Effect.gen(function*() {
      const { standIn, client } = yield* setup()
      const ids: Array<string> = []
      for (let i = 0; i < 7; i++) ids.unshift((yield* client.uploadFile({ bytes: new Uint8Array([i]), filename: `f${i}.txt` })).id)
      const listed = (yield* Stream.runCollect(client.files({ limit: 3 }))).map((f) => f.id)
      expect(listed).toEqual(ids)
      expect((yield* client.retrieveFile(ids[2]!)).filename).toBe("f4.txt")
      expect(yield* client.deleteFile(ids[2]!)).toEqual({ id: ids[2], type: "file_deleted" })
      expect(yield* Effect.flip(client.retrieveFile(ids[2]!))).toMatchObject({ status: 404 })
      expect(standIn.requests.every((r) => r.headers["anthropic-beta"] === Files.BETA)).toBe(true)
      const custom = yield* client.listFiles({ limit: 1 }, { betas: ["other-beta"] })
      expect(custom.data.length).toBe(1)
      expect(standIn.requests.at(-1)!.headers["anthropic-beta"]).toBe(`${Files.BETA},other-beta`)
    }))
})

describe("Files: hostile downloads", () => {
  it.effect("a download that goes silent mid-body fails with StreamError idle_timeout at stream_idle_timeout_ms", () =>
    Effect.gen(function*() {
      const { standIn, client } = yield* setup({ stream_idle_timeout_ms: 1000 })
      standIn.enqueue({ type: "stream", body: "x".repeat(10_000), stallAfter: 4000 })
      const seen: Array<number> = []
      const fiber = yield* Effect.forkChild(Stream.runForEach(client.downloadFile("file_1"), (c) => Effect.sync(() => seen.push(c.length))))
      yield* StandIn.until(standIn, () => standIn.requests.length === 1)
      while (seen.length === 0) yield* realPause()
      yield* TestClock.adjust("999 millis")
      yield* realPause(20)
      expect(fiber.pollUnsafe()).toBe(undefined)
      yield* TestClock.adjust("1 millis")
      const error = yield* Effect.flip(Fiber.join(fiber))
      expect(error).toMatchObject({ _tag: "StreamError", reason: "idle_timeout" })
      expect(seen.reduce((a, b) => a + b, 0)).toBe(4000)
      yield* StandIn.until(standIn, () => standIn.abandoned.length === 1)
    }))

  it.effect("through another HttpClient (NodeHttpClient.layerUndici), a silent download fails with idle_timeout too", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      const client = yield* stackOn(layerUndici, { base_url: standIn.url, stream_idle_timeout_ms: 1000 })
      standIn.enqueue({ type: "stream", body: "x".repeat(10_000), stallAfter: 4000 })
      const seen: Array<number> = []
      const fiber = yield* Effect.forkChild(Stream.runForEach(client.downloadFile("file_1"), (c) => Effect.sync(() => seen.push(c.length))))
      while (seen.length === 0) yield* realPause()
      yield* TestClock.adjust("1 second")
      const error = yield* Effect.flip(Fiber.join(fiber))
      expect(error).toMatchObject({ _tag: "StreamError", reason: "idle_timeout" })
      expect(seen.reduce((a, b) => a + b, 0)).toBe(4000)
    }))

  it.effect("a connection dropped before the first byte is retried; one cut after bytes is a StreamError", () =>
    Effect.gen(function*() {
      const { standIn, client } = yield* setup({ retry: { max_retries: 1 } })
      standIn.files.setDownloadableUploads(true)
      const meta = yield* client.uploadFile({ bytes: new Uint8Array([7, 8, 9]), filename: "a.bin" })
      standIn.enqueue({ type: "hangup" })
      const { exit, waits } = yield* runClocked(collect(client.downloadFile(meta.id)))
      expect(Exit.map(exit, (bytes) => [...bytes])).toEqual(Exit.succeed([7, 8, 9]))
      expect(waits.length).toBe(1) // one backoff before the retry
      expect(standIn.requests.length).toBe(3)
      standIn.enqueue({ type: "stream", body: "abcdef", cutAfter: 3 })
      const seen: Array<number> = []
      const cut = yield* Effect.flip(Stream.runForEach(client.downloadFile(meta.id), (c) => Effect.sync(() => seen.push(...c))))
      expect(seen).toEqual([97, 98, 99])
      expect(cut).toMatchObject({ _tag: "StreamError", reason: "truncated" })
      expect(standIn.requests.length).toBe(4)
    }))
})

describe("Files from plain code", () => {
  it("upload a path, bytes and a Node stream; download with for await and bytes(); list; delete", () =>
    withPromiseClient(async (client, standIn) => {
      standIn.files.setDownloadableUploads(true)
      const bytes = randomBytes(200_000)
      const fromBytes = await client.files.upload({ bytes, filename: "b.png" })
      expect(fromBytes.mime_type).toBe("image/png")
      const fromStream = await client.files.upload({ stream: Readable.from([bytes.subarray(0, 5), bytes.subarray(5)]), filename: "s.bin" })
      expect(fromStream.size_bytes).toBe(bytes.length)
      const chunks: Array<Uint8Array> = []
      for await (const chunk of client.files.download(fromStream.id)) chunks.push(chunk)
      expect(Buffer.compare(Buffer.concat(chunks), bytes)).toBe(0)
      const whole = await client.files.download(fromBytes.id).bytes()
      expect(Buffer.compare(Buffer.from(whole), bytes)).toBe(0)
      const names: Array<string> = []
      for await (const file of client.files.list()) names.push(file.filename)
      expect(names).toEqual(["s.bin", "b.png"])
      expect((await client.files.retrieve(fromBytes.id)).size_bytes).toBe(bytes.length)
      expect((await client.files.delete(fromBytes.id)).id).toBe(fromBytes.id)
      const handle = client.files.download(fromStream.id)
      await handle.bytes()
      expect(() => handle[Symbol.asyncIterator]()).toThrow(TypeError)
    }))
})
