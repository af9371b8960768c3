/**
 * The stand-in's models: the API's catalogue (real ids, display names, release dates, newest first), aliases resolved
 * as the API resolves them (on `/v1/models/{id}` and in a Message's `model`), and the API's 404 for a model it does
 * not serve, on every Messages endpoint; `models: "any"` for a test that needs an arbitrary name.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as MessageStream from "../src/MessageStream.js"
import * as StandIn from "../src/testing/StandIn.js"
import { API_KEY, hello, stack } from "./fixtures.js"

const setup = (options: StandIn.StartOptions = {}) =>
  Effect.gen(function*() {
    const standIn = yield* StandIn.scoped(options)
    const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
    return { standIn, client }
  })

/** A raw POST to the stand-in, for the answer's exact body. */
const post = (url: string, body: unknown) =>
  Effect.promise(async () => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": API_KEY },
      body: JSON.stringify(body)
    })
    return { status: response.status, body: await response.json() as any }
  })

describe("the stand-in's models", () => {
  it.effect("GET /v1/models lists the API's models newest first, with their display names and release dates", () =>
    Effect.gen(function*() {
      const { client } = yield* setup()
      const models = (yield* client.listModels({ limit: 100 })).data
      expect(models.slice(0, 3).map((m) => m.id)).toEqual(["claude-fable-5-2", "claude-mythos-5-2", "claude-haiku-5-5"])
      const created = models.map((m) => Date.parse(m.created_at))
      expect(created).toEqual([...created].sort((a, b) => b - a))
      expect(models.find((m) => m.id === "claude-haiku-4-5-20251001")).toMatchObject({
        type: "model",
        display_name: "Claude Haiku 4.5",
        created_at: "2025-10-15T00:00:00Z",
        lifecycle: "active",
        line: "haiku"
      })
      expect(models.find((m) => m.id === "claude-opus-4-7")?.display_name).toBe("Claude Opus 4.7")
      // Retired models are listed only when asked for.
      expect(models.map((m) => m.lifecycle)).not.toContain("retired")
      const retired = (yield* client.listModels({ lifecycle: ["retired"] })).data
      expect(retired.map((m) => m.id)).toContain("claude-sonnet-4-20250514")
    }))

  it.effect("GET /v1/models/{alias} answers the model under its full id; an unknown one is the API's 404", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup()
      expect((yield* client.retrieveModel("claude-haiku-4-5")).id).toBe("claude-haiku-4-5-20251001")
      expect((yield* client.retrieveModel("claude-sonnet-4-5")).id).toBe("claude-sonnet-4-5-20250929")
      expect((yield* client.retrieveModel("claude-opus-4-6")).id).toBe("claude-opus-4-6")
      const raw = yield* Effect.promise(() => fetch(`${standIn.url}/v1/models/claude-haiku-4.5`))
      expect(raw.status).toBe(404)
      expect(yield* Effect.promise(() => raw.json())).toMatchObject({
        type: "error",
        error: { type: "not_found_error", message: "model: claude-haiku-4.5" },
        request_id: expect.stringMatching(/^req_/)
      })
    }))

  it.effect("a Message asked of an alias names the model the alias stands for, as the API's answer does", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup()
      expect((yield* client.createMessage(hello)).model).toBe("claude-haiku-4-5-20251001")
      const streamed = yield* MessageStream.finalMessage(client.stream({ ...hello, model: "claude-sonnet-4-5" }))
      expect(streamed.model).toBe("claude-sonnet-4-5-20250929")
      expect((yield* client.createMessage({ ...hello, model: "claude-opus-5-5" })).model).toBe("claude-opus-5-5")
      // The request is recorded as it was sent.
      expect(standIn.requests.map((r) => r.body.model)).toEqual(["claude-haiku-4-5", "claude-sonnet-4-5", "claude-opus-5-5"])
    }))

  it.effect("an unknown or retired model is the API's 404 on create, stream and count_tokens", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup()
      const unknown = { ...hello, model: "claude-haiku-4.5" }
      for (const call of [client.createMessage(unknown), Stream.runDrain(client.stream(unknown)), client.countTokens(unknown)]) {
        const error = yield* Effect.flip(call)
        expect(error).toMatchObject({ _tag: "Other", status: 404, errorType: "not_found_error" })
        expect(error.message).toContain("model: claude-haiku-4.5")
      }
      const raw = yield* post(`${standIn.url}/v1/messages`, unknown)
      expect(raw).toEqual({
        status: 404,
        body: {
          type: "error",
          error: { type: "not_found_error", message: "model: claude-haiku-4.5" },
          request_id: expect.stringMatching(/^req_/)
        }
      })
      const retired = yield* Effect.flip(client.createMessage({ ...hello, model: "claude-3-7-sonnet-20250219" }))
      expect(retired.message).toContain("model: claude-3-7-sonnet-20250219")
      const missing = yield* post(`${standIn.url}/v1/messages`, { max_tokens: 8, messages: [] })
      expect(missing).toMatchObject({ status: 400, body: { error: { type: "invalid_request_error", message: "model: Field required" } } })
    }))

  it.effect("models: \"any\" takes any name and answers with it; a scripted reply answers whatever is asked", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup({ models: "any" })
      expect((yield* client.createMessage({ ...hello, model: "my-fine-tune" })).model).toBe("my-fine-tune")
      expect((yield* client.createMessage(hello)).model).toBe("claude-haiku-4-5-20251001")
      const strict = yield* setup()
      strict.standIn.enqueue(StandIn.text("scripted"))
      expect((yield* strict.client.createMessage({ ...hello, model: "my-fine-tune" })).content).toEqual([{ type: "text", text: "scripted" }])
      expect(standIn.requests.length).toBe(2)
    }))

  it.effect("a batch's results name the resolved model", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* setup()
      standIn.batches.setEndAfterPolls(0)
      const batch = yield* client.createBatch({ requests: [{ custom_id: "a", params: hello }] })
      const [line] = yield* Stream.runCollect(client.batchResults(batch.id)).pipe(Effect.map((c) => [...c]))
      expect(line!.result.type === "succeeded" && line!.result.message.model).toBe("claude-haiku-4-5-20251001")
    }))
})
