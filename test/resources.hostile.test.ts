/**
 * Models, Batches and Files against hostile servers and careless callers: ids that would leave their route,
 * pagination that goes round, a results file cut inside its first line or not UTF-8, bad `limit`s, a download read
 * twice, a busy poll, and a stand-in path that is not valid percent-encoding.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Stream from "effect/Stream"
import type * as AnthropicClient from "../src/AnthropicClient.js"
import * as StandIn from "../src/testing/StandIn.js"
import * as path from "node:path"
import * as CliModels from "../src/cli/models.js"
import { API_KEY, stack, withPromiseClient } from "./fixtures.js"
import { runClocked, tempDir, writeFile } from "./helpers.js"

const setup = (anthropic: Record<string, unknown> = {}) =>
  Effect.gen(function*() {
    const standIn = yield* StandIn.scoped()
    const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url, ...anthropic })
    return { standIn, client }
  })

const page = (ids: ReadonlyArray<string>, more: Record<string, unknown>): StandIn.Reply => ({
  type: "json",
  status: 200,
  body: { data: ids.map((id) => ({ type: "model", id, display_name: id, created_at: "2026-01-01T00:00:00Z" })), ...more }
})

describe("ids", () => {
  it.effect('".", ".." and text that is not valid Unicode are refused before sending: no other route is reached', () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup()
      const refused = [
        client.retrieveBatch("."),
        client.cancelBatch(".."),
        client.deleteFile("."),
        Stream.runDrain(client.downloadFile("..")),
        client.retrieveModel("\uD800"),
        client.retrieveFile("a\uDC00b")
      ]
      for (const call of refused) {
        expect(yield* Effect.flip(call as Effect.Effect<unknown, unknown>)).toMatchObject({ _tag: "InvalidRequest" })
      }
      expect(standIn.requests).toEqual([])
      // Dots inside an id are just characters.
      yield* Effect.flip(client.retrieveModel("a..b"))
      expect(standIn.requests[0]!.path).toBe("/v1/models/a..b")
    }))
})

describe("pagination", () => {
  it.effect("a cursor pointing back two pages, or a token cycle, fails instead of going round", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup()
      standIn.enqueue(page(["a"], { has_more: true, last_id: "a" }), page(["b"], { has_more: true, last_id: "b" }), page(["c"], { has_more: true, last_id: "a" }))
      const cycle = yield* Effect.flip(Stream.runDrain(client.models()))
      expect(cycle.message).toContain("points back to a page already listed")
      expect(standIn.requests.length).toBe(3)
      standIn.enqueue(page(["a"], { next_page: "t1" }), page(["b"], { next_page: "t2" }), page(["c"], { next_page: "t1" }))
      const tokens = yield* Effect.flip(Stream.runDrain(client.models()))
      expect(tokens.message).toContain("points back")
      expect(standIn.requests.length).toBe(6)
    }))

  /** Empty pages that always claim more, each with a fresh cursor and token: a server that never ends its list. */
  const endless = (n = 50): ReadonlyArray<StandIn.Reply> =>
    Array.from({ length: n }, (_, i) => ({
      type: "json",
      status: 200,
      body: { data: [], has_more: true, first_id: `f${i}`, last_id: `l${i}`, next_page: `p${i}` }
    }))

  it.effect("an empty page ends every list, whatever it claims (models, batches, files; forwards and backwards)", () =>
    Effect.gen(function*() {
      const lists = [
        (client: AnthropicClient.Service) => client.models(),
        (client: AnthropicClient.Service) => client.batches(),
        (client: AnthropicClient.Service) => client.files(),
        (client: AnthropicClient.Service) => client.models({ before_id: "x" })
      ]
      for (const list of lists) {
        const { client, standIn } = yield* setup()
        standIn.enqueue(...endless())
        expect((yield* Stream.runCollect(list(client) as Stream.Stream<unknown, unknown>)).length).toBe(0)
        expect(standIn.requests.length).toBe(1)
      }
      const { client, standIn } = yield* setup()
      standIn.enqueue(page(["a"], { has_more: true, last_id: "a" }), ...endless())
      expect((yield* Stream.runCollect(client.models())).map((m) => m.id)).toEqual(["a"])
      expect(standIn.requests.length).toBe(2)
    }))

  it("an empty page ends every list of the Promise client", async () => {
    for (const list of ["models", "batches", "files"] as const) {
      await withPromiseClient(async (client, standIn) => {
        let items = 0
        const iterable: AsyncIterable<unknown> = list === "models"
          ? client.models.list()
          : list === "batches"
          ? client.messages.batches.list()
          : client.files.list()
        for await (const _ of iterable) items++
        expect(items).toBe(0)
        expect(standIn.requests.length).toBe(1)
      }, { replies: endless() })
    }
  })

  it.effect("the models command ends on an empty page", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      const dir = yield* tempDir
      const configPath = path.join(dir, "llm.yaml")
      yield* writeFile(configPath, `providers:\n  anthropic:\n    api_key: ${API_KEY}\n    base_url: ${standIn.url}\n`)
      standIn.enqueue(page(["a"], { has_more: true, last_id: "a" }), ...endless())
      const lines: Array<string> = []
      yield* CliModels.list({ configPath, json: true, write: (line) => lines.push(line) })
      expect(lines.map((line) => JSON.parse(line).id)).toEqual(["a"])
      expect(standIn.requests.length).toBe(2)
    }))

  it.effect("a page that lists only items already listed, under a fresh cursor, fails instead of going round", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup()
      standIn.enqueue(
        page(["a", "b"], { has_more: true, last_id: "b" }),
        page(["c"], { has_more: true, last_id: "c" }),
        ...Array.from({ length: 20 }, (_, i) => page(i % 2 === 0 ? ["a", "b"] : ["c"], { has_more: true, last_id: `n${i}` }))
      )
      const error = yield* Effect.flip(Stream.runDrain(client.models()))
      expect(error).toMatchObject({ _tag: "Other", errorType: "invalid_response" })
      expect(error.message).toContain("lists only items already listed")
      expect(standIn.requests.length).toBe(3)
    }))

  it.effect("a token replaces the cursors, and has_more: false ends the walk even beside a token", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup()
      standIn.enqueue(page(["a"], { next_page: "t1" }), page(["b"], { next_page: "t2", has_more: false }))
      const ids = (yield* Stream.runCollect(client.models({ after_id: "zzz" }))).map((m) => m.id)
      expect(ids).toEqual(["a", "b"])
      expect(standIn.requests.map((r) => r.path)).toEqual(["/v1/models?after_id=zzz", "/v1/models?page=t1"])
    }))

  it.effect("a limit outside 1–1000 is refused before sending", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup()
      for (const limit of [0, 1.5, Number.NaN, -1, Infinity, 1001]) {
        const error = yield* Effect.flip(client.listModels({ limit }))
        expect(error).toMatchObject({ _tag: "InvalidRequest" })
        expect(error.message).toContain("limit must be a whole number from 1 to 1000")
      }
      expect(standIn.requests).toEqual([])
    }))
})

describe("batch results and polling", () => {
  const ended = Effect.gen(function*() {
    const { client, standIn } = yield* setup({ retry: { max_retries: 1 } })
    standIn.batches.setEndAfterPolls(0)
    const batch = yield* client.createBatch({ requests: [{ custom_id: "a", params: { model: "claude-haiku-4-5", max_tokens: 1, messages: [{ role: "user", content: "x" }] } }] })
    return { client, standIn, batch }
  })

  it.effect("a connection cut inside the first line is retried (nothing was delivered)", () =>
    Effect.gen(function*() {
      const { batch, client, standIn } = yield* ended
      standIn.enqueue({ type: "stream", body: '{"custom_id":"a","result":{"type":"canc', cutAfter: 20 })
      const { exit } = yield* runClocked(Stream.runCollect(client.batchResults(batch.id)))
      expect(Exit.map(exit, (results) => results.map((r) => r.custom_id))).toEqual(Exit.succeed(["a"]))
      expect(standIn.requests.filter((r) => r.path.endsWith("/results")).length).toBe(2)
    }))

  it.effect("a results file that is not UTF-8 is a malformed line, not replacement characters", () =>
    Effect.gen(function*() {
      const { batch, client, standIn } = yield* ended
      const line = Buffer.concat([Buffer.from('{"custom_id":"'), Buffer.from([0xff, 0xfe]), Buffer.from('","result":{"type":"canceled"}}\n')])
      standIn.enqueue({ type: "stream", body: new Uint8Array(line) })
      const error = yield* Effect.flip(Stream.runDrain(client.batchResults(batch.id)))
      expect(error).toMatchObject({ _tag: "StreamError", reason: "malformed", detail: "line 1: not UTF-8 text" })
    }))

  it.effect("waitForBatch never polls in a busy loop: a zero or negative delay is a millisecond", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup()
      standIn.batches.setEndAfterPolls(5)
      const batch = yield* client.createBatch({ requests: [{ custom_id: "a", params: { model: "claude-haiku-4-5", max_tokens: 1, messages: [{ role: "user", content: "x" }] } }] })
      const { waits } = yield* runClocked(client.waitForBatch(batch.id, { initialDelay: 0, maxDelay: -5 }))
      expect(waits).toEqual([1, 1, 1, 1])
    }))

  it.effect("a batch is not created twice: a 500 after the create is not retried, a 529 is", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup({ retry: { max_retries: 2 } })
      const requests = { requests: [{ custom_id: "a", params: { model: "claude-haiku-4-5", max_tokens: 1, messages: [{ role: "user" as const, content: "x" }] } }] }
      standIn.enqueue(StandIn.error(500, { retryAfterMs: "0" }))
      expect(yield* Effect.flip(client.createBatch(requests))).toMatchObject({ _tag: "ServerError", status: 500 })
      expect(standIn.requests.length).toBe(1)
      standIn.enqueue(StandIn.error(529, { retryAfterMs: "0" }))
      const { exit } = yield* runClocked(client.createBatch(requests))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(standIn.requests.length).toBe(3)
      expect(standIn.batches.all().length).toBe(1)
    }))

  it.effect("validate: false sends params this client's schemas do not know yet", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup()
      const params = { model: "claude-haiku-4-5", max_tokens: 1, messages: [{ role: "user", content: "x" }], service_tier: "priority" }
      expect(yield* Effect.flip(client.createBatch({ requests: [{ custom_id: "a", params }] } as never))).toMatchObject({ _tag: "InvalidRequest" })
      yield* client.createBatch({ requests: [{ custom_id: "a", params }] } as never, { validate: false })
      expect(standIn.requests[0]!.body.requests[0].params.service_tier).toBe("priority")
      const notObject = yield* Effect.flip(client.createBatch({ requests: [{ custom_id: "a", params: null }] } as never, { validate: false }))
      expect(notObject.message).toContain("params must be the request's MessageCreateParams")
      expect(notObject.message.length).toBeLessThan(400)
    }))
})

describe("Promise downloads", () => {
  it("bytes() after a for await is a TypeError, never an empty file", () =>
    withPromiseClient(async (client, standIn) => {
      standIn.files.setDownloadableUploads(true)
      const file = await client.files.upload({ bytes: new Uint8Array(1000).fill(7), filename: "a.bin" })
      const handle = client.files.download(file.id)
      let got = 0
      for await (const chunk of handle) got += chunk.length
      expect(got).toBe(1000)
      await expect(handle.bytes()).rejects.toBeInstanceOf(TypeError)
    }))
})

describe("the stand-in", () => {
  it("a path that is not valid percent-encoding is its 400, not a crash", () =>
    withPromiseClient(async (_client, standIn) => {
      const response = await fetch(`${standIn.url}/v1/files/%E0%A4%A`, { headers: { "anthropic-beta": "files-api-2025-04-14" } })
      expect(response.status).toBe(400)
    }))
})
