/**
 * The library's progress: `onProgress` on `waitForBatch` (request counts after each poll, on the TestClock), on
 * `uploadFile` (bytes sent, counted again by a retry) and on `downloadFile` (bytes received of the answer's
 * `content-length`), and the same as plain callbacks in the Promise client.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Stream from "effect/Stream"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import type * as Files from "../src/Files.js"
import * as MessageBatches from "../src/MessageBatches.js"
import type * as Messages from "../src/Messages.js"
import * as StandIn from "../src/testing/StandIn.js"
import { API_KEY, stack, withPromiseClient } from "./fixtures.js"
import { runClocked, tempDir } from "./helpers.js"

const setup = (anthropic: Record<string, unknown> = {}) =>
  Effect.gen(function*() {
    const standIn = yield* StandIn.scoped()
    const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url, ...anthropic })
    return { standIn, client }
  })

const params = (text: string): Messages.MessageCreateParams => ({
  model: "claude-haiku-4-5",
  max_tokens: 32,
  messages: [{ role: "user", content: text }]
})
const requests = (n: number): MessageBatches.BatchCreateParams => ({
  requests: Array.from({ length: n }, (_, i) => ({ custom_id: `req-${i}`, params: params(`q${i}`) }))
})

/** Each report's bytes grow, and the last one is the whole file. */
const expectCountedUpTo = (reports: ReadonlyArray<Files.TransferProgress>, size: number, total: number | undefined) => {
  expect(reports.length).toBeGreaterThan(0)
  for (let i = 1; i < reports.length; i++) expect(reports[i]!.bytes).toBeGreaterThan(reports[i - 1]!.bytes)
  expect(reports.at(-1)).toEqual({ bytes: size, total })
  expect(reports.every((r) => r.total === total)).toBe(true)
}

describe("onProgress: waitForBatch", () => {
  it.effect("reports the request counts after every poll, of the batch's total, with the batch's id and status", () =>
    Effect.gen(function*() {
      const { standIn, client } = yield* setup()
      standIn.batches.setEndAfterPolls(1)
      const created = yield* client.createBatch(requests(3))
      // The API's counts move as requests finish: two polls answered with counts of our own, then the stand-in's.
      const counts = (c: Partial<MessageBatches.MessageBatch["request_counts"]>) => ({
        type: "json" as const,
        status: 200,
        body: { ...created, request_counts: { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0, ...c } }
      })
      standIn.enqueue(counts({ processing: 3 }), counts({ processing: 1, succeeded: 1, errored: 1 }))
      const seen: Array<MessageBatches.BatchProgress> = []
      const { exit, waits } = yield* runClocked(client.waitForBatch(created.id, {
        onProgress: (progress) => Effect.sync(() => seen.push(progress))
      }))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(waits).toEqual([1000, 2000])
      expect(seen.map((p) => [p.processingStatus, p.done, p.total])).toEqual([
        ["in_progress", 0, 3],
        ["in_progress", 2, 3],
        ["ended", 3, 3]
      ])
      expect(seen[1]!.requestCounts).toEqual({ processing: 1, succeeded: 1, errored: 1, canceled: 0, expired: 0 })
      expect(seen.every((p) => p.id === created.id)).toBe(true)
    }))

  it("batchProgress: the total is the sum of the counts, done all but those processing", () => {
    const batch = {
      id: "msgbatch_1",
      processing_status: "canceling",
      request_counts: { processing: 4, succeeded: 3, errored: 2, canceled: 1, expired: 5 }
    } as MessageBatches.MessageBatch
    expect(MessageBatches.batchProgress(batch)).toMatchObject({ id: "msgbatch_1", processingStatus: "canceling", total: 15, done: 11 })
  })
})

describe("onProgress: uploadFile and downloadFile", () => {
  it.effect("an upload from a path reports the bytes sent of its size; a download the bytes received of its content-length", () =>
    Effect.gen(function*() {
      const { standIn, client } = yield* setup()
      standIn.files.setDownloadableUploads(true)
      const dir = yield* tempDir
      const file = path.join(dir, "data.bin")
      const bytes = randomBytes(1024 * 1024 + 5)
      yield* Effect.promise(() => fs.writeFile(file, bytes))
      const sent: Array<Files.TransferProgress> = []
      const meta = yield* client.uploadFile({ path: file }, { onProgress: (p) => Effect.sync(() => sent.push(p)) })
      expectCountedUpTo(sent, bytes.length, bytes.length)
      // Read 256 KiB at a time: more than one report.
      expect(sent.length).toBeGreaterThan(1)
      const received: Array<Files.TransferProgress> = []
      const chunks = yield* Stream.runCollect(client.downloadFile(meta.id, { onProgress: (p) => Effect.sync(() => received.push(p)) }))
      expect(Buffer.compare(Buffer.concat(chunks), bytes)).toBe(0)
      expectCountedUpTo(received, bytes.length, bytes.length)
    }))

  it.effect("a stream of unknown size has no total; a retried upload counts again from 0", () =>
    Effect.gen(function*() {
      const { standIn, client } = yield* setup({ retry: { max_retries: 1 } })
      const parts = [randomBytes(1000), randomBytes(2000)]
      const seen: Array<Files.TransferProgress> = []
      yield* client.uploadFile(
        { stream: Stream.fromIterable(parts), filename: "s.bin" },
        { onProgress: (p) => Effect.sync(() => seen.push(p)) }
      )
      expect(seen).toEqual([{ bytes: 1000, total: undefined }, { bytes: 3000, total: undefined }])
      standIn.enqueue(StandIn.error(529, { retryAfterMs: "0" }))
      const retried: Array<number> = []
      const { exit } = yield* runClocked(client.uploadFile(
        { bytes: new Uint8Array(10), filename: "b.bin" },
        { onProgress: (p) => Effect.sync(() => retried.push(p.bytes)) }
      ))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(standIn.requests.filter((r) => r.path === "/v1/files").length).toBe(3)
      expect(retried).toEqual([10, 10])
    }))

  it.effect("downloadFileWithResponse counts what its stream delivers", () =>
    Effect.gen(function*() {
      const { standIn, client } = yield* setup()
      const bytes = randomBytes(200_000)
      const meta = standIn.files.add({ filename: "made.bin", bytes })
      const seen: Array<Files.TransferProgress> = []
      const started = yield* client.downloadFileWithResponse(meta.id, { onProgress: (p) => Effect.sync(() => seen.push(p)) })
      yield* Stream.runDrain(started.stream)
      expectCountedUpTo(seen, bytes.length, bytes.length)
    }))
})

describe("onProgress from plain code", () => {
  it("upload, download and wait take plain callbacks", () =>
    withPromiseClient(async (client, standIn) => {
      standIn.files.setDownloadableUploads(true)
      const bytes = randomBytes(300_000)
      const sent: Array<Files.TransferProgress> = []
      const meta = await client.files.upload({ bytes, filename: "p.bin" }, { onProgress: (p) => sent.push(p) })
      expect(sent.at(-1)).toEqual({ bytes: bytes.length, total: bytes.length })
      const received: Array<Files.TransferProgress> = []
      const back = await client.files.download(meta.id, { onProgress: (p) => received.push(p) }).bytes()
      expect(Buffer.compare(Buffer.from(back), bytes)).toBe(0)
      expectCountedUpTo(received, bytes.length, bytes.length)
      standIn.batches.setEndAfterPolls(1)
      const batch = await client.messages.batches.create(requests(2))
      const progress: Array<MessageBatches.BatchProgress> = []
      const ended = await client.messages.batches.wait(batch.id, { onProgress: (p) => progress.push(p) })
      expect(ended.processing_status).toBe("ended")
      expect(progress.map((p) => [p.processingStatus, p.done, p.total])).toEqual([["ended", 2, 2]])
    }))
})
