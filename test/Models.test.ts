/**
 * Models through the whole stack against the stand-in: a page, every page as a Stream (forwards and backwards),
 * retrieve, hostile pagination, and the Promise client.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as StandIn from "../src/testing/StandIn.js"
import { API_KEY, stack, withPromiseClient } from "./fixtures.js"

const setup = Effect.gen(function*() {
  const standIn = yield* StandIn.scoped()
  const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
  return { standIn, client }
})

/** The ids `GET /v1/models` lists by default, newest first: the active and deprecated models, not the retired ones. */
const listedIds = (standIn: StandIn.StandIn) => standIn.models.filter((m) => m.lifecycle !== "retired").map((m) => m.id)

const pageJson = (ids: ReadonlyArray<string>, more: Partial<Record<"has_more" | "first_id" | "last_id", unknown>>): StandIn.Reply => ({
  type: "json",
  status: 200,
  body: {
    data: ids.map((id) => ({ type: "model", id, display_name: id, created_at: "2026-01-01T00:00:00Z" })),
    has_more: false,
    first_id: ids[0] ?? null,
    last_id: ids[ids.length - 1] ?? null,
    ...more
  }
})

describe("Models", () => {
  it.effect("listModels: one page, sent as GET with the credential and no body", () =>
    Effect.gen(function*() {
      const { standIn, client } = yield* setup
      const page = yield* client.listModels({ limit: 5 })
      const ids = listedIds(standIn)
      expect(page.data.map((m) => m.id)).toEqual(ids.slice(0, 5))
      expect(page).toMatchObject({ has_more: true, first_id: ids[0], last_id: ids[4] })
      const [request] = standIn.requests
      expect(request).toMatchObject({ method: "GET", path: "/v1/models?limit=5", body: undefined })
      expect(request!.headers["x-api-key"]).toBe(API_KEY)
      expect(request!.headers["anthropic-version"]).toBe("2023-06-01")
      expect(request!.headers["content-length"]).toBeUndefined()
    }))

  it.effect("models(): every model across pages, each next page after the last id of the one before", () =>
    Effect.gen(function*() {
      const { standIn, client } = yield* setup
      const all = yield* Stream.runCollect(client.models({ limit: 7 }))
      const ids = listedIds(standIn)
      expect(ids.length).toBe(19)
      expect(all.map((m) => m.id)).toEqual(ids)
      expect(standIn.requests.map((r) => r.path)).toEqual([
        "/v1/models?limit=7",
        `/v1/models?limit=7&after_id=${ids[6]}`,
        `/v1/models?limit=7&after_id=${ids[13]}`
      ])
    }))

  it.effect("models(): pages are fetched only as the stream is read", () =>
    Effect.gen(function*() {
      const { standIn, client } = yield* setup
      const first = yield* Stream.runCollect(Stream.take(client.models({ limit: 10 }), 3))
      expect(first.length).toBe(3)
      expect(standIn.requests.length).toBe(1)
    }))

  it.effect("models({ before_id }): walks backwards, nearest page first", () =>
    Effect.gen(function*() {
      const { standIn, client } = yield* setup
      const ids = listedIds(standIn)
      const back = yield* Stream.runCollect(client.models({ limit: 3, before_id: ids[8]! }))
      expect(back.map((m) => m.id)).toEqual([...ids.slice(5, 8), ...ids.slice(2, 5), ...ids.slice(0, 2)])
      expect(standIn.requests.map((r) => r.path)).toEqual([
        `/v1/models?limit=3&before_id=${ids[8]}`,
        `/v1/models?limit=3&before_id=${ids[5]}`,
        `/v1/models?limit=3&before_id=${ids[2]}`
      ])
    }))

  it.effect("lifecycle is sent as a repeated parameter", () =>
    Effect.gen(function*() {
      const { standIn, client } = yield* setup
      const page = yield* client.listModels({ lifecycle: ["deprecated", "retired"] })
      expect(page.data.map((m) => m.id)).toEqual(
        standIn.models.filter((m) => m.lifecycle === "deprecated" || m.lifecycle === "retired").map((m) => m.id)
      )
      expect(new Set(page.data.map((m) => m.lifecycle))).toEqual(new Set(["deprecated", "retired"]))
      expect(page.data.map((m) => m.id)).toContain("claude-3-7-sonnet-20250219")
      expect(standIn.requests[0]!.path).toBe("/v1/models?lifecycle=deprecated&lifecycle=retired")
    }))

  it.effect("retrieveModel: by id; an unknown one is Other 404; an id cannot leave its route; an empty one is refused unsent", () =>
    Effect.gen(function*() {
      const { standIn, client } = yield* setup
      const model = standIn.models[3]!
      expect(yield* client.retrieveModel(model.id)).toEqual(model)
      const missing = yield* Effect.flip(client.retrieveModel("claude-haiku-4.5"))
      expect(missing).toMatchObject({ _tag: "Other", status: 404, errorType: "not_found_error" })
      expect(missing.message).toContain("model: claude-haiku-4.5")
      yield* Effect.flip(client.retrieveModel("../messages?x=1"))
      expect(standIn.requests[2]!.path).toBe("/v1/models/..%2Fmessages%3Fx%3D1")
      const empty = yield* Effect.flip(client.retrieveModel(""))
      expect(empty).toMatchObject({ _tag: "InvalidRequest" })
      expect(standIn.requests.length).toBe(3)
    }))

  it.effect("a page broken off by a 529 is retried; the stream goes on where it was", () =>
    Effect.gen(function*() {
      const { standIn, client } = yield* setup
      standIn.enqueue(
        pageJson(["a", "b"], { has_more: true }),
        StandIn.error(529, { retryAfterMs: "0" }),
        pageJson(["c"], {})
      )
      const ids = (yield* Stream.runCollect(client.models())).map((m) => m.id)
      expect(ids).toEqual(["a", "b", "c"])
      expect(standIn.requests.map((r) => r.path)).toEqual(["/v1/models", "/v1/models?after_id=b", "/v1/models?after_id=b"])
    }))

  it.effect("a hostile page: has_more without a cursor, or pointing back to itself, fails instead of looping", () =>
    Effect.gen(function*() {
      const { standIn, client } = yield* setup
      standIn.enqueue(pageJson(["a"], { has_more: true, last_id: "" }))
      const noCursor = yield* Effect.flip(Stream.runDrain(client.models()))
      expect(noCursor).toMatchObject({ _tag: "Other", errorType: "invalid_response" })
      expect(noCursor.message).toContain("has_more but gives no last_id")
      standIn.enqueue(pageJson(["a"], { has_more: true }), pageJson(["b"], { has_more: true, last_id: "a" }))
      const loop = yield* Effect.flip(Stream.runDrain(client.models()))
      expect(loop.message).toContain("points back to a page already listed")
      expect(standIn.requests.length).toBe(3)
      standIn.enqueue({ type: "json", status: 200, body: { data: "nope" } })
      const bad = yield* Effect.flip(client.listModels())
      expect(bad.message).toContain("page of models does not match its schema: data:")
    }))

  it.effect("a page token (next_page) is followed as the page parameter", () =>
    Effect.gen(function*() {
      const { standIn, client } = yield* setup
      standIn.enqueue(
        { type: "json", status: 200, body: { data: [{ type: "model", id: "a", display_name: "a", created_at: "2026-01-01T00:00:00Z" }], next_page: "tok1" } },
        pageJson(["b"], {})
      )
      const ids = (yield* Stream.runCollect(client.models())).map((m) => m.id)
      expect(ids).toEqual(["a", "b"])
      expect(standIn.requests.map((r) => r.path)).toEqual(["/v1/models", "/v1/models?page=tok1"])
    }))
})

describe("Models from plain code", () => {
  it("models.list() is an AsyncIterable over every page; retrieve and listPage", () =>
    withPromiseClient(async (client, standIn) => {
      const ids: Array<string> = []
      for await (const model of client.models.list({ limit: 10 })) ids.push(model.id)
      expect(ids).toEqual(listedIds(standIn))
      expect(standIn.requests.length).toBe(2)
      // Each for await lists afresh.
      let again = 0
      for await (const _ of client.models.list()) again++
      expect(again).toBe(19)
      expect((await client.models.retrieve(ids[1]!)).id).toBe(ids[1])
      expect((await client.models.listPage({ limit: 2 })).data.map((m) => m.id)).toEqual(ids.slice(0, 2))
      await expect(client.models.retrieve("nope")).rejects.toMatchObject({ _tag: "Other", status: 404 })
    }))

  it("leaving the loop early stops fetching pages", () =>
    withPromiseClient(async (client, standIn) => {
      for await (const _ of client.models.list({ limit: 5 })) break
      expect(standIn.requests.length).toBe(1)
    }))
})
