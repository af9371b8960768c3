/**
 * Response metadata for every call, not only Messages: `AnthropicClient.withResponse` around any Effect call, and
 * `withResponse()` on every Promise the plain client returns (and on a download handle).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Stream from "effect/Stream"
import * as AnthropicClient from "../src/AnthropicClient.js"
import type * as ResponseMetadata from "../src/ResponseMetadata.js"
import * as StandIn from "../src/testing/StandIn.js"
import { API_KEY, hello, stack, withPromiseClient } from "./fixtures.js"

const LIMIT_HEADERS = {
  "anthropic-ratelimit-requests-limit": "50",
  "anthropic-ratelimit-requests-remaining": "49",
  "anthropic-ratelimit-requests-reset": "2026-12-06T10:00:00Z"
}

const setup = Effect.gen(function*() {
  const standIn = yield* StandIn.scoped()
  const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
  return { standIn, client }
})

describe("AnthropicClient.withResponse", () => {
  it.effect("gives the result with its answer's request id, status, headers and rate limits, for every kind of call", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup
      standIn.files.setDownloadableUploads(true)
      standIn.batches.setEndAfterPolls(0)
      const modelId = standIn.models[0]!.id
      const batch = yield* client.createBatch({ requests: [{ custom_id: "a", params: hello }] })
      const file = yield* client.uploadFile({ bytes: new TextEncoder().encode("hello"), filename: "a.txt" })
      const calls: ReadonlyArray<Effect.Effect<unknown, unknown>> = [
        client.retrieveModel(modelId),
        client.listModels({ limit: 2 }),
        client.countTokens(hello),
        client.retrieveBatch(batch.id),
        client.listBatches(),
        client.createBatch({ requests: [{ custom_id: "b", params: hello }] }),
        client.uploadFile({ bytes: new TextEncoder().encode("x"), filename: "b.txt" }),
        client.retrieveFile(file.id),
        client.listFiles(),
        Stream.runCollect(client.downloadFile(file.id)),
        Stream.runCollect(client.batchResults(batch.id)),
        client.waitForBatch(batch.id),
        client.createMessage(hello),
        client.cancelBatch(batch.id),
        client.deleteBatch(batch.id),
        client.deleteFile(file.id)
      ]
      for (const call of calls) {
        const answer = yield* AnthropicClient.withResponse(call)
        expect(answer.status).toBe(200)
        expect(answer.requestId).toMatch(/^req_/)
        expect(answer.headers["request-id"]).toBe(answer.requestId)
        expect(answer.data).toBeDefined()
      }
      const model = yield* AnthropicClient.withResponse(client.retrieveModel(modelId))
      expect(model.data.id).toBe(modelId)
    }))

  it.effect("parses the answer's rate limits, and takes the last answer of an effect that makes several calls", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup
      standIn.enqueue(
        { type: "json", status: 200, body: { input_tokens: 7 }, headers: { ...LIMIT_HEADERS, "request-id": "req_first" } },
        { type: "json", status: 200, body: { input_tokens: 8 }, headers: { "request-id": "req_second" } }
      )
      const first = yield* AnthropicClient.withResponse(client.countTokens(hello))
      expect(first.data).toEqual({ input_tokens: 7 })
      expect(first.requestId).toBe("req_first")
      expect(first.rateLimits.requests).toMatchObject({ limit: 50, remaining: 49, reset: "2026-12-06T10:00:00Z" })
      const second = yield* AnthropicClient.withResponse(client.countTokens(hello))
      expect(second.requestId).toBe("req_second")
      expect(second.rateLimits).toEqual({})
      standIn.enqueue(
        { type: "json", status: 200, body: { input_tokens: 1 }, headers: { "request-id": "req_a" } },
        { type: "json", status: 200, body: { input_tokens: 2 }, headers: { "request-id": "req_b" } }
      )
      const both = yield* AnthropicClient.withResponse(Effect.zip(client.countTokens(hello), client.countTokens(hello)))
      expect(both.requestId).toBe("req_b")
    }))

  it.effect("a retried call gives the answer that succeeded; a failed call fails with its error", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup
      standIn.enqueue(StandIn.error(529, { retryAfterMs: "0" }), { type: "json", status: 200, body: { input_tokens: 3 }, headers: { "request-id": "req_ok" } })
      expect((yield* AnthropicClient.withResponse(client.countTokens(hello))).requestId).toBe("req_ok")
      standIn.enqueue(StandIn.error(404))
      const failed = yield* Effect.exit(AnthropicClient.withResponse(client.retrieveModel("nope")))
      // Effect 4: a cause is a flat list of reasons; this one is a single failure.
      const failure = Exit.isFailure(failed) && failed.cause.reasons.length === 1 ? failed.cause.reasons[0]! : undefined
      expect(failure !== undefined && Cause.isFailReason(failure) && failure.error).toMatchObject({ _tag: "Other", status: 404 })
    }))

  it.effect("the onResponse call option: every call's answer, once it succeeded (a retried call: the answer that did)", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup
      const seen: Array<ResponseMetadata.ResponseMetadata> = []
      standIn.enqueue(
        StandIn.error(529, { retryAfterMs: "0" }),
        { type: "json", status: 200, body: { input_tokens: 3 }, headers: { ...LIMIT_HEADERS, "request-id": "req_counted" } }
      )
      yield* client.countTokens(hello, { onResponse: (response) => seen.push(response) })
      expect(seen.map((r) => [r.status, r.requestId])).toEqual([[200, "req_counted"]])
      expect(seen[0]!.rateLimits.requests).toMatchObject({ limit: 50, remaining: 49 })
      const file = yield* client.uploadFile({ bytes: new Uint8Array([1]), filename: "a.bin" }, { onResponse: (response) => seen.push(response) })
      expect(seen[1]!.requestId).toMatch(/^req_/)
      expect(file.id).toBeDefined()
    }))

  it.effect("an effect that received no answer is a defect naming the mistake", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(AnthropicClient.withResponse(Effect.succeed(1)))
      const defect = Exit.isFailure(exit) && exit.cause.reasons.length === 1 ? exit.cause.reasons[0]! : undefined
      expect(defect !== undefined && Cause.isDieReason(defect) && String(defect.defect)).toContain("received no answer from the API")
    }))

  it.effect("downloadFileWithResponse: the metadata once the first bytes are in, then the bytes", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup
      standIn.files.setDownloadableUploads(true)
      const file = yield* client.uploadFile({ bytes: new TextEncoder().encode("hello bytes"), filename: "a.txt" })
      const started = yield* client.downloadFileWithResponse(file.id)
      expect(started.requestId === undefined || started.requestId.startsWith("req_")).toBe(true)
      expect(started.status).toBe(200)
      const bytes = yield* Stream.runCollect(started.stream)
      expect(new TextDecoder().decode(Buffer.concat(bytes))).toBe("hello bytes")
    }))
})

describe("withResponse() on the Promise client", () => {
  it("every call's promise has withResponse(): the result as data, with the metadata, from one request", () =>
    withPromiseClient(async (client, standIn) => {
      const batch = await client.messages.batches.create({ requests: [{ custom_id: "a", params: hello }] })
      const file = await client.files.upload({ bytes: new TextEncoder().encode("hello"), filename: "a.txt" })
      const modelId = standIn.models[0]!.id
      const before = standIn.requests.length
      const answers = [
        await client.models.retrieve(modelId).withResponse(),
        await client.models.listPage({ limit: 1 }).withResponse(),
        await client.messages.countTokens(hello).withResponse(),
        await client.messages.batches.retrieve(batch.id).withResponse(),
        await client.messages.batches.listPage().withResponse(),
        await client.files.retrieve(file.id).withResponse(),
        await client.files.listPage().withResponse(),
        await client.messages.create(hello).withResponse()
      ]
      expect(standIn.requests.length - before).toBe(answers.length)
      for (const answer of answers) {
        expect(answer.status).toBe(200)
        expect(answer.requestId).toMatch(/^req_/)
        expect(answer.data).toBeDefined()
      }
      const created = answers[answers.length - 1] as { data: unknown; message: unknown }
      expect(created.message).toBe(created.data)
      // Awaited plainly, the same promise gives the result alone.
      expect((await client.models.retrieve(modelId)).id).toBe(modelId)
    }))

  it("a download handle's withResponse(): the metadata, and the bytes still all there", () =>
    withPromiseClient(async (client, standIn) => {
      standIn.files.setDownloadableUploads(true)
      const file = await client.files.upload({ bytes: new TextEncoder().encode("some bytes"), filename: "a.txt" })
      const handle = client.files.download(file.id)
      const info = await handle.withResponse()
      expect(info.status).toBe(200)
      expect(new TextDecoder().decode(await handle.bytes())).toBe("some bytes")
    }))

  it("a failed call rejects both the promise and withResponse() with the tagged error", () =>
    withPromiseClient(async (client) => {
      const call = client.models.retrieve("no-such-model")
      await expect(call).rejects.toMatchObject({ _tag: "Other", status: 404 })
      await expect(call.withResponse()).rejects.toMatchObject({ _tag: "Other", status: 404 })
    }))
})
