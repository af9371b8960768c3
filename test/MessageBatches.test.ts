/**
 * Message Batches through the whole stack against the stand-in: a batch through to its results, the checks before
 * sending, cancel and delete, listing, hostile results files, 100 MB of results in constant memory, and the Promise
 * client.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { execFile } from "node:child_process"
import type * as MessageBatches from "../src/MessageBatches.js"
import type * as Messages from "../src/Messages.js"
import * as StandIn from "../src/testing/StandIn.js"
import { API_KEY, stack, withPromiseClient } from "./fixtures.js"
import { runClocked } from "./helpers.js"
import { bundledForFile } from "./nodeScript.js"

const setup = Effect.gen(function*() {
  const standIn = yield* StandIn.scoped()
  const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
  return { standIn, client }
})

const params = (text: string): Messages.MessageCreateParams => ({
  model: "claude-haiku-4-5",
  max_tokens: 32,
  messages: [{ role: "user", content: text }]
})
const requests = (...texts: ReadonlyArray<string>): MessageBatches.BatchCreateParams => ({
  requests: texts.map((text, i) => ({ custom_id: `req-${i}`, params: params(text) }))
})

describe("Message Batches: a batch through to its results", () => {
  it.effect("create, wait (backoff on the TestClock), results decoded and typed", () =>
    Effect.gen(function*() {
      const { standIn, client } = yield* setup
      standIn.batches.setEndAfterPolls(4)
      const created = yield* client.createBatch(requests("one", "two", "three"))
      expect(created).toMatchObject({ type: "message_batch", processing_status: "in_progress", results_url: null })
      expect(created.request_counts.processing).toBe(3)
      expect(standIn.requests[0]!.body).toEqual(requests("one", "two", "three"))
      const polls: Array<string> = []
      const { exit, waits } = yield* runClocked(client.waitForBatch(created.id, {
        onPoll: (batch) => Effect.sync(() => polls.push(batch.processing_status))
      }))
      const ended = Option.getOrThrow(Exit.getSuccess(exit))
      expect(ended.processing_status).toBe("ended")
      expect(ended.request_counts).toEqual({ processing: 0, succeeded: 3, errored: 0, canceled: 0, expired: 0 })
      expect(polls).toEqual(["in_progress", "in_progress", "in_progress", "ended"])
      expect(waits).toEqual([1000, 2000, 4000])
      const results = yield* Stream.runCollect(client.batchResults(created.id))
      expect(results.map((r) => r.custom_id)).toEqual(["req-0", "req-1", "req-2"])
      const texts = results.map((r) => r.result.type === "succeeded" ? Messages_textOf(r.result.message) : r.result.type)
      expect(texts).toEqual(["echo: one", "echo: two", "echo: three"])
      expect(standIn.requests.at(-1)).toMatchObject({ method: "GET", path: `/v1/messages/batches/${created.id}/results` })
    }))

  it.effect("waitForBatch: delays double up to maxDelay; an ended batch is returned at once", () =>
    Effect.gen(function*() {
      const { standIn, client } = yield* setup
      standIn.batches.setEndAfterPolls(6)
      const created = yield* client.createBatch(requests("x"))
      const { waits } = yield* runClocked(client.waitForBatch(created.id, { initialDelay: "10 seconds", maxDelay: "30 seconds" }))
      expect(waits).toEqual([10_000, 20_000, 30_000, 30_000, 30_000])
      const { waits: none } = yield* runClocked(client.waitForBatch(created.id))
      expect(none).toEqual([])
    }))

  it.effect("errored, canceled and expired results are typed; an unknown result type is kept whole", () =>
    Effect.gen(function*() {
      const { standIn, client } = yield* setup
      standIn.batches.setEndAfterPolls(0)
      const outcomes: Record<string, MessageBatches.BatchResult["result"]> = {
        "req-0": { type: "errored", error: { type: "error", error: { type: "invalid_request_error", message: "bad" }, request_id: "req_1" } },
        "req-1": { type: "canceled" },
        "req-2": { type: "expired" },
        "req-3": { type: "brand_new", detail: 1 } as never
      }
      standIn.batches.setResultFor((request) => outcomes[request.custom_id]!)
      const batch = yield* client.createBatch(requests("a", "b", "c", "d"))
      expect(batch.request_counts).toEqual({ processing: 0, succeeded: 0, errored: 1, canceled: 1, expired: 1 })
      const results = yield* Stream.runCollect(client.batchResults(batch.id))
      expect(results.map((r) => r.result)).toEqual(Object.values(outcomes))
      const errored = results[0]!.result
      if (errored.type !== "errored") throw new Error("narrowing")
      expect(errored.error.error.message).toBe("bad")
    }))

  it.effect("cancel: canceling, then ended with every request canceled; delete only once ended", () =>
    Effect.gen(function*() {
      const { standIn, client } = yield* setup
      standIn.batches.setEndAfterPolls(100)
      const batch = yield* client.createBatch(requests("a", "b"))
      const early = yield* Effect.flip(client.deleteBatch(batch.id))
      expect(early).toMatchObject({ _tag: "Other", status: 400 })
      expect(early.message).toContain("cancel it first")
      const canceling = yield* client.cancelBatch(batch.id)
      expect(canceling.processing_status).toBe("canceling")
      expect(typeof canceling.cancel_initiated_at).toBe("string")
      expect(standIn.requests.at(-1)).toMatchObject({ method: "POST", path: `/v1/messages/batches/${batch.id}/cancel` })
      const ended = yield* client.retrieveBatch(batch.id)
      expect(ended.request_counts).toEqual({ processing: 0, succeeded: 0, errored: 0, canceled: 2, expired: 0 })
      const results = yield* Stream.runCollect(client.batchResults(batch.id))
      expect(results.map((r) => r.result.type)).toEqual(["canceled", "canceled"])
      expect(yield* client.deleteBatch(batch.id)).toEqual({ id: batch.id, type: "message_batch_deleted" })
      expect(standIn.requests.at(-1)!.method).toBe("DELETE")
      expect(yield* Effect.flip(client.retrieveBatch(batch.id))).toMatchObject({ status: 404, errorType: "not_found_error" })
    }))

  it.effect("waitForBatch after a cancel polls on through canceling and returns only once the batch has ended", () =>
    Effect.gen(function*() {
      const { standIn, client } = yield* setup
      standIn.batches.setEndAfterPolls(100)
      const batch = yield* client.createBatch(requests("a", "b"))
      const canceling = yield* client.cancelBatch(batch.id)
      expect(canceling.processing_status).toBe("canceling")
      // The API takes a while to cancel: three polls still find it canceling, the fourth finds it ended.
      const stillCanceling: StandIn.Reply = { type: "json", status: 200, body: canceling }
      standIn.enqueue(stillCanceling, stillCanceling, stillCanceling)
      const polls: Array<string> = []
      const { exit, waits } = yield* runClocked(client.waitForBatch(batch.id, {
        onPoll: (b) => Effect.sync(() => polls.push(b.processing_status))
      }))
      expect(polls).toEqual(["canceling", "canceling", "canceling", "ended"])
      expect(waits).toEqual([1000, 2000, 4000])
      const ended = Option.getOrThrow(Exit.getSuccess(exit))
      expect(ended.processing_status).toBe("ended")
      expect(ended.request_counts).toEqual({ processing: 0, succeeded: 0, errored: 0, canceled: 2, expired: 0 })
      expect(standIn.requests.filter((r) => r.method === "GET").length).toBe(4)
    }))

  it.effect("results of a batch still running: the API's 400, not an empty stream", () =>
    Effect.gen(function*() {
      const { client } = yield* setup
      const batch = yield* client.createBatch(requests("a"))
      const error = yield* Effect.flip(Stream.runDrain(client.batchResults(batch.id)))
      expect(error).toMatchObject({ _tag: "Other", status: 400 })
    }))

  it.effect("batches(): every batch, newest first, across pages", () =>
    Effect.gen(function*() {
      const { standIn, client } = yield* setup
      const ids: Array<string> = []
      for (let i = 0; i < 12; i++) ids.unshift((yield* client.createBatch(requests(`n${i}`))).id)
      const listed = (yield* Stream.runCollect(client.batches({ limit: 5 }))).map((b) => b.id)
      expect(listed).toEqual(ids)
      expect(standIn.requests.filter((r) => r.method === "GET").length).toBe(3)
      expect((yield* client.listBatches({ limit: 2 })).data.map((b) => b.id)).toEqual(ids.slice(0, 2))
    }))
})

describe("Message Batches: checked before sending", () => {
  const refused = (batch: unknown) =>
    Effect.gen(function*() {
      const { standIn, client } = yield* setup
      const error = yield* Effect.flip(client.createBatch(batch as MessageBatches.BatchCreateParams))
      expect(standIn.requests).toEqual([])
      expect(error).toMatchObject({ _tag: "InvalidRequest" })
      return error.message
    })

  it.effect("each request's params against MessageCreateParams, naming the index, custom_id and field", () =>
    Effect.gen(function*() {
      const bad = { requests: [{ custom_id: "ok", params: params("a") }, { custom_id: "r2", params: { model: "claude-haiku-4-5", messages: [] } }] }
      // Effect 4's wording of a schema's issue ("Missing key" for Effect 3's "is missing").
      expect(yield* refused(bad)).toContain(`requests[1] (custom_id "r2"): params.max_tokens: Missing key`)
      const thinking = { requests: [{ custom_id: "t", params: { ...params("a"), thinking: { type: "enabled", budget_tokens: 10 } } }] }
      expect(yield* refused(thinking)).toContain(`requests[0] (custom_id "t"): params.thinking`)
      const streamed = { requests: [{ custom_id: "s", params: { ...params("a"), stream: true } }] }
      expect(yield* refused(streamed)).toContain("params.stream must not be true")
    }))

  it.effect("custom_id: 1 to 64 of a-z A-Z 0-9 _ -, unique in the batch", () =>
    Effect.gen(function*() {
      expect(yield* refused({ requests: [{ custom_id: "has space", params: params("a") }] })).toContain("custom_id must be 1 to 64")
      expect(yield* refused({ requests: [{ custom_id: "x".repeat(65), params: params("a") }] })).toContain("requests[0]")
      expect(yield* refused({ requests: [{ params: params("a") }] })).toContain("requests[0]: custom_id must be")
      const twice = { requests: [{ custom_id: "a", params: params("1") }, { custom_id: "a", params: params("2") }] }
      expect(yield* refused(twice)).toContain(`requests[1] (custom_id "a"): custom_id is used twice`)
    }))

  it.effect("the API's limits: no requests, more than 100,000, a body over 256 MB", () =>
    Effect.gen(function*() {
      expect(yield* refused({ requests: [] })).toContain("non-empty list")
      expect(yield* refused(null)).toContain("non-empty list")
      const many = { requests: Array.from({ length: 100_001 }, (_, i) => ({ custom_id: `r${i}`, params: params("a") })) }
      expect(yield* refused(many)).toContain("at most 100000 requests; this one has 100001")
      // 90 Mi characters of three bytes each: 283 MB as UTF-8, the bound being on bytes (in characters, a third).
      const big = "€".repeat(1024 * 1024)
      const huge = { requests: Array.from({ length: 90 }, (_, i) => ({ custom_id: `r${i}`, params: params(big) })) }
      expect(yield* refused(huge)).toMatch(/at most 268435456 bytes; this one is 283\d{6}$/)
    }))

  it.effect("an empty or path-like batch id never reaches another route", () =>
    Effect.gen(function*() {
      const { standIn, client } = yield* setup
      expect(yield* Effect.flip(client.retrieveBatch(""))).toMatchObject({ _tag: "InvalidRequest" })
      expect(yield* Effect.flip(Stream.runDrain(client.batchResults("")))).toMatchObject({ _tag: "InvalidRequest" })
      expect(standIn.requests).toEqual([])
      yield* Effect.flip(client.cancelBatch("../../files"))
      expect(standIn.requests[0]!.path).toBe("/v1/messages/batches/..%2F..%2Ffiles/cancel")
    }))
})

describe("Message Batches: hostile results files", () => {
  const ended = Effect.gen(function*() {
    const { standIn, client } = yield* setup
    standIn.batches.setEndAfterPolls(0)
    const batch = yield* client.createBatch(requests("a"))
    return { standIn, client, batch }
  })
  const line = (id: string) => JSON.stringify({ custom_id: id, result: { type: "canceled" } })

  it.effect("blank lines and CRLF are read; a bad line fails after the ones before", () =>
    Effect.gen(function*() {
      const { standIn, client, batch } = yield* ended
      standIn.batches.setResultLines(batch.id, () => [line("a") + "\r", "", line("b") + "\n" + line("c")])
      const ids = (yield* Stream.runCollect(client.batchResults(batch.id))).map((r) => r.custom_id)
      expect(ids).toEqual(["a", "b", "c"])
      standIn.batches.setResultLines(batch.id, () => [line("a"), "{not json", line("c")])
      const seen: Array<string> = []
      const error = yield* Effect.flip(Stream.runForEach(client.batchResults(batch.id), (r) => Effect.sync(() => seen.push(r.custom_id))))
      expect(seen).toEqual(["a"])
      expect(error).toMatchObject({ _tag: "StreamError", reason: "malformed", detail: "line 2: not JSON" })
      standIn.batches.setResultLines(batch.id, () => [line("a"), JSON.stringify({ custom_id: 5, result: {} })])
      const notResult = yield* Effect.flip(Stream.runDrain(client.batchResults(batch.id)))
      expect(notResult).toMatchObject({ _tag: "StreamError", reason: "malformed" })
      expect((notResult as { detail: string }).detail).toContain("result 2 of the results file: custom_id:")
    }))

  it.effect("a line that never ends is cut off at its bound instead of filling memory", () =>
    Effect.gen(function*() {
      const { standIn, client, batch } = yield* ended
      // 70 MB without a newline, written as it is read: past the 64 MiB bound of one line.
      standIn.enqueue({
        type: "write",
        write: (res) => {
          res.writeHead(200, { "content-type": "application/x-jsonl" })
          const piece = "x".repeat(1024 * 1024)
          let sent = 0
          const more = () => {
            while (sent < 70 && !res.destroyed) {
              sent++
              if (!res.write(piece)) return void res.once("drain", more)
            }
            res.end()
          }
          more()
        }
      })
      const error = yield* Effect.flip(Stream.runDrain(client.batchResults(batch.id)))
      expect(error).toMatchObject({ _tag: "StreamError", reason: "malformed", detail: "line 1: longer than 67108864 bytes" })
    }))

  it.effect("a connection cut in the middle of the file is a StreamError, after the results before it", () =>
    Effect.gen(function*() {
      const { standIn, client, batch } = yield* ended
      standIn.enqueue({ ...({ type: "stream", body: `${line("a")}\n${line("b")}\n${line("c")}`, cutAfter: 80 } as const) })
      const seen: Array<string> = []
      const error = yield* Effect.flip(Stream.runForEach(client.batchResults(batch.id), (r) => Effect.sync(() => seen.push(r.custom_id))))
      expect(seen).toEqual(["a"])
      expect(error).toMatchObject({ _tag: "StreamError", reason: "truncated" })
    }))
})

describe("Message Batches: a results file whose last line has no newline", () => {
  // The last line holds characters of 2, 3 and 4 bytes, so cuts fall inside them too.
  const first = JSON.stringify({ custom_id: "first", result: { type: "canceled" } })
  const last = JSON.stringify({
    custom_id: "last",
    result: { type: "succeeded", message: StandIn.messageJson([{ type: "text", text: "café ✓ 首都 🇫🇷" }], { id: "msg_last" }) }
  })
  const file = new TextEncoder().encode(`${first}\n${last}`)
  const lastStart = first.length + 1
  const expected = [JSON.parse(first), JSON.parse(last)]

  /** The file's bytes cut at `cuts`, each piece its own network write (the next one after the client could read it). */
  const cutAt = (cuts: ReadonlyArray<number>): StandIn.Reply => ({
    type: "write",
    write: (res) => {
      res.writeHead(200, { "content-type": "application/x-jsonl", "request-id": "req_results" })
      const points = [0, ...cuts, file.length]
      const next = (i: number): void => {
        if (i === points.length - 1 || res.destroyed) return void res.end()
        res.write(file.subarray(points[i], points[i + 1]), () => setTimeout(() => next(i + 1), 1))
      }
      next(0)
    }
  })
  /** Every byte its own write. */
  const byteByByte: StandIn.Reply = {
    type: "stream",
    body: file,
    chunkSize: 1,
    headers: { "content-type": "application/x-jsonl" }
  }
  // Cuts all along the last line, at every byte of its non-ASCII text and its end, and a few in the first line.
  const textAt = lastStart + new TextEncoder().encode(last.slice(0, last.indexOf("café"))).length
  const cuts = [...new Set([
    1, 20, lastStart - 1,
    ...Array.from({ length: Math.ceil((file.length - lastStart) / 9) }, (_, i) => lastStart + i * 9),
    ...Array.from({ length: 26 }, (_, i) => textAt + i),
    file.length - 2, file.length - 1
  ])].sort((a, b) => a - b)

  it.effect("through the Effect API: whole, byte by byte, and cut all along the last line", () =>
    Effect.gen(function*() {
      const { standIn, client } = yield* setup
      const read = Stream.runCollect(client.batchResults("msgbatch_1"))
      standIn.enqueue({ type: "raw", status: 200, body: `${first}\n${last}`, headers: { "content-type": "application/x-jsonl" } })
      expect(yield* read).toEqual(expected)
      standIn.enqueue(byteByByte)
      expect(yield* read).toEqual(expected)
      for (const cut of cuts) {
        standIn.enqueue(cutAt([cut]))
        expect({ cut, results: yield* read }).toEqual({ cut, results: expected })
      }
    }))

  it("through the Promise client: whole, byte by byte, and cut inside the last line", () =>
    withPromiseClient(async (client, standIn) => {
      const read = async () => {
        const results: Array<MessageBatches.BatchResult> = []
        for await (const result of client.messages.batches.results("msgbatch_1")) results.push(result)
        return results
      }
      standIn.enqueue({ type: "raw", status: 200, body: `${first}\n${last}`, headers: { "content-type": "application/x-jsonl" } })
      expect(await read()).toEqual(expected)
      standIn.enqueue(byteByByte)
      expect(await read()).toEqual(expected)
      for (const cut of cuts.filter((_, i) => i % 3 === 0)) {
        standIn.enqueue(cutAt([cut]))
        expect({ cut, results: await read() }).toEqual({ cut, results: expected })
      }
    }), 60_000)
})

describe("Message Batches: a 100 MB results file", () => {
  const resultsWorker = bundledForFile("test/workers/batch-results-worker.ts")

  it("is decoded in constant memory (a child process with a 96 MB heap reads it all)", async () => {
    const standIn = await StandIn.start()
    try {
      standIn.batches.setEndAfterPolls(0)
      const client = await fetch(`${standIn.url}/v1/messages/batches`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(requests("a"))
      })
      const { id } = await client.json() as { id: string }
      // ~1 KB a line: a Message with a long text, 100,000 of them, produced as they are written.
      const message = StandIn.messageJson([{ type: "text", text: "t".repeat(800) }])
      const lines = 100_000
      let written = 0
      standIn.batches.setResultLines(id, function*() {
        for (let i = 0; i < lines; i++) {
          const text = JSON.stringify({ custom_id: `r${i}`, result: { type: "succeeded", message: { ...message, id: `msg_${i}` } } })
          written += text.length + 1
          yield text
        }
      })
      const summary = await new Promise<Record<"count" | "succeeded" | "heapBefore" | "maxHeap" | "buffersBefore" | "maxBuffers", number>>((resolve, reject) =>
        execFile(
          process.execPath,
          ["--max-old-space-size=96", resultsWorker.file()],
          { env: { PATH: process.env.PATH ?? "", STANDIN_URL: standIn.url, BATCH_ID: id }, timeout: 120_000 },
          (error, stdout, stderr) => error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout))
        )
      )
      expect(written).toBeGreaterThan(100 * 1000 * 1000)
      expect(summary.count).toBe(lines)
      expect(summary.succeeded).toBe(lines)
      // Neither the heap nor the buffers outside it grow by more than a few MB while 100 MB pass through them.
      expect(summary.maxHeap - summary.heapBefore).toBeLessThan(32 * 1024 * 1024)
      expect(summary.maxBuffers - summary.buffersBefore).toBeLessThan(16 * 1024 * 1024)
    } finally {
      await standIn.close()
    }
  }, 120_000)
})

describe("Message Batches from plain code", () => {
  it("create, wait, results as an AsyncIterable, list, cancel, delete", () =>
    withPromiseClient(async (client, standIn) => {
      standIn.batches.setEndAfterPolls(1)
      const batch = await client.messages.batches.create(requests("p", "q"))
      const polled: Array<string> = []
      const ended = await client.messages.batches.wait(batch.id, { initialDelay: "1 millis", onPoll: (b) => polled.push(b.processing_status) })
      expect(ended.processing_status).toBe("ended")
      expect(polled).toEqual(["ended"])
      const ids: Array<string> = []
      for await (const result of client.messages.batches.results(batch.id)) ids.push(result.custom_id)
      expect(ids).toEqual(["req-0", "req-1"])
      const listed: Array<string> = []
      for await (const b of client.messages.batches.list()) listed.push(b.id)
      expect(listed).toEqual([batch.id])
      expect((await client.messages.batches.retrieve(batch.id)).id).toBe(batch.id)
      expect((await client.messages.batches.delete(batch.id)).type).toBe("message_batch_deleted")
      await expect(client.messages.batches.create({ requests: [] })).rejects.toMatchObject({ _tag: "InvalidRequest" })
    }))

  it("wait() stops polling when its signal is aborted", () =>
    withPromiseClient(async (client, standIn) => {
      standIn.batches.setEndAfterPolls(1000)
      const batch = await client.messages.batches.create(requests("p"))
      const controller = new AbortController()
      const waiting = client.messages.batches.wait(batch.id, { initialDelay: "1 millis", signal: controller.signal })
      await standIn.waitFor(() => standIn.requests.length >= 3)
      controller.abort(new Error("enough"))
      await expect(waiting).rejects.toThrow("enough")
      const sent = standIn.requests.length
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(standIn.requests.length).toBe(sent)
    }))
})

const Messages_textOf = (message: Messages.Message) =>
  message.content.map((b) => (b.type === "text" ? b.text : "")).join("")
