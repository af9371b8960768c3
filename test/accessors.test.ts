/**
 * The accessors: each call where an SDK user finds it (`Messages.create`, `Models.list`, `MessageBatches.results`,
 * `Files.upload`, …), reading the client from the context, against the stand-in through the whole stack.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as AnthropicClient from "../src/AnthropicClient.js"
import * as Files from "../src/Files.js"
import * as MessageBatches from "../src/MessageBatches.js"
import * as Messages from "../src/Messages.js"
import * as Models from "../src/Models.js"
import * as StandIn from "../src/testing/StandIn.js"
import { API_KEY } from "./fixtures.js"

const provided = <A, E>(program: (standIn: StandIn.StandIn) => Effect.Effect<A, E, AnthropicClient.AnthropicClient>) =>
  Effect.gen(function*() {
    const standIn = yield* StandIn.scoped()
    const layer = AnthropicClient.layerFile({ config: { providers: { anthropic: { api_key: API_KEY, base_url: standIn.url } } }, env: {} })
    return yield* Effect.provide(program(standIn), Layer.fresh(layer))
  })

const params = { model: "claude-haiku-4-5", max_tokens: 16, messages: [{ role: "user" as const, content: "ping" }] }

describe("accessors", () => {
  it.effect("Messages: create, stream, countTokens, createWithResponse, streamWithResponse", () =>
    provided((standIn) =>
      Effect.gen(function*() {
        standIn.enqueue(StandIn.text("pong"))
        const message = yield* Messages.create(params)
        expect(Messages.textOf(message)).toBe("pong")
        const events = yield* Stream.runCollect(Messages.stream(params))
        expect(events.at(-1)?.type).toBe("message_stop")
        const count = yield* Messages.countTokens({ model: params.model, messages: params.messages })
        expect(count.input_tokens).toBeGreaterThan(0)
        const { requestId } = yield* Messages.createWithResponse(params)
        expect(requestId).toMatch(/^req_/)
        const started = yield* Effect.scoped(Effect.flatMap(Messages.streamWithResponse(params), (s) => Stream.runCount(s.events)))
        expect(started).toBeGreaterThan(2)
        expect(standIn.requests.map((r) => r.path)).toEqual([
          "/v1/messages",
          "/v1/messages",
          "/v1/messages/count_tokens",
          "/v1/messages",
          "/v1/messages"
        ])
      })
    ))

  it.effect("Models: list (every page), listPage, retrieve", () =>
    provided((standIn) =>
      Effect.gen(function*() {
        const all = yield* Stream.runCollect(Models.list({ limit: 10 }))
        // Every model the API lists by default: the active and the deprecated ones.
        expect(all.length).toBe(standIn.models.filter((m) => m.lifecycle !== "retired").length)
        const page = yield* Models.listPage({ limit: 2 })
        expect(page.data).toHaveLength(2)
        const model = yield* Models.retrieve(standIn.models[0]!.id)
        expect(model.id).toBe(standIn.models[0]!.id)
      })
    ))

  it.effect("MessageBatches: create, retrieve, wait, results, list, cancel, delete", () =>
    provided(() =>
      Effect.gen(function*() {
        const batch = yield* MessageBatches.create({ requests: [{ custom_id: "a", params }, { custom_id: "b", params }] })
        expect((yield* MessageBatches.retrieve(batch.id)).id).toBe(batch.id)
        const ended = yield* MessageBatches.wait(batch.id, { initialDelay: "1 millis", maxDelay: "1 millis" })
        expect(ended.processing_status).toBe("ended")
        const results = yield* Stream.runCollect(MessageBatches.results(batch.id))
        expect(results.map((r) => r.custom_id).sort()).toEqual(["a", "b"])
        expect((yield* Stream.runCollect(MessageBatches.list())).map((b) => b.id)).toContain(batch.id)
        expect((yield* MessageBatches.listPage({ limit: 1 })).data).toHaveLength(1)
        const other = yield* MessageBatches.create({ requests: [{ custom_id: "c", params }] })
        expect((yield* MessageBatches.cancel(other.id)).id).toBe(other.id)
        expect(yield* MessageBatches.delete(batch.id)).toEqual({ type: "message_batch_deleted", id: batch.id })
      })
    ))

  it.effect("Files: upload, list, listPage, retrieve, download, downloadWithResponse, delete", () =>
    provided((standIn) =>
      Effect.gen(function*() {
        standIn.files.setDownloadableUploads(true)
        const bytes = new TextEncoder().encode("hello, file")
        const file = yield* Files.upload({ bytes, filename: "hello.txt" })
        expect(file.size_bytes).toBe(bytes.length)
        expect((yield* Files.retrieve(file.id)).filename).toBe("hello.txt")
        expect((yield* Stream.runCollect(Files.list())).map((f) => f.id)).toEqual([file.id])
        expect((yield* Files.listPage()).data.map((f) => f.id)).toEqual([file.id])
        const downloaded = Buffer.concat(yield* Stream.runCollect(Files.download(file.id)))
        expect(downloaded.toString()).toBe("hello, file")
        const started = yield* Effect.scoped(Effect.flatMap(Files.downloadWithResponse(file.id), (d) => Stream.runCount(d.stream)))
        expect(started).toBeGreaterThan(0)
        expect(yield* Files.delete(file.id)).toMatchObject({ id: file.id })
        expect(standIn.files.all().map((f) => f.metadata.id)).not.toContain(file.id)
      })
    ))
})
