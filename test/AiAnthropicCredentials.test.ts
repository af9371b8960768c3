/**
 * `@effect/ai-anthropic` 0.27 on this project's credentials through its `transformClient`: an OAuth bundle's token,
 * refreshed when due, the OAuth beta merged, x-api-key removed, a 401 marking the token stale. The same program
 * uses this project's provider too: both modules' Prompt / Response augmentations live side by side.
 */
import * as LanguageModel from "@effect/ai/LanguageModel"
import * as AiAnthropicClient from "@effect/ai-anthropic/AnthropicClient"
import * as AiAnthropicLanguageModel from "@effect/ai-anthropic/AnthropicLanguageModel"
import { describe, expect, it } from "@effect/vitest"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as AiAnthropicCredentials from "../src/AiAnthropicCredentials.js"
import * as AnthropicLanguageModel from "../src/AnthropicLanguageModel.js"
import * as StandIn from "../src/testing/StandIn.js"
import * as UndiciHttpClient from "../src/UndiciHttpClient.js"
import { bundleSetup } from "./bundles.js"

describe("AiAnthropicCredentials.transformClient", () => {
  it.scoped("an OAuth bundle for @effect/ai-anthropic: refreshed when due, Bearer with the OAuth beta, stale after a 401", () =>
    Effect.gen(function*() {
      // Due for refresh (60 s before expiry) from the start.
      const { credentials, pair, standIn } = yield* bundleSetup(30_000)
      standIn.oauth.requireIssuedTokens(true)
      const aiAnthropic = AiAnthropicLanguageModel.model("claude-haiku-4-5").pipe(
        Layer.provide(AiAnthropicClient.layer({
          apiUrl: standIn.url,
          apiKey: undefined,
          transformClient: AiAnthropicCredentials.transformClient(credentials)
        })),
        Layer.provide(UndiciHttpClient.layer)
      )
      const ask = (prompt: string) => LanguageModel.generateText({ prompt }).pipe(Effect.provide(aiAnthropic))

      const first = yield* ask("hello")
      expect(first.text).toBe("echo: hello")
      expect(standIn.oauth.refreshes()).toBe(1)
      const sent = standIn.requests[0]!
      expect(sent.headers["authorization"]).toMatch(/^Bearer sk-ant-oat01-/)
      expect(sent.headers["authorization"]).not.toBe(`Bearer ${pair.access_token}`)
      expect(sent.headers["x-api-key"]).toBeUndefined()
      expect(sent.headers["anthropic-beta"]?.split(",")).toContain("oauth-2025-04-20")

      // A 401: ai-anthropic fails the call; the token is marked stale, so the next request refreshes first.
      standIn.enqueue(StandIn.error(401, { message: "token revoked" }))
      const refused = yield* Effect.flip(ask("again"))
      expect(refused._tag).toBe("HttpResponseError")
      expect(yield* credentials.isStale).toBe(true)
      const third = yield* ask("third")
      expect(third.text).toBe("echo: third")
      expect(standIn.oauth.refreshes()).toBe(2)
      expect(standIn.requests[2]!.headers["authorization"]).not.toBe(sent.headers["authorization"])
    }))

  it.scoped("streaming goes through it too; a caller's anthropic-beta is kept beside the OAuth beta", () =>
    Effect.gen(function*() {
      const { credentials, standIn } = yield* bundleSetup(3_600_000)
      const aiAnthropic = AiAnthropicLanguageModel.model("claude-haiku-4-5").pipe(
        Layer.provide(AiAnthropicClient.layer({
          apiUrl: standIn.url,
          // A beta of the caller's own, set before ours runs.
          transformClient: (client) =>
            AiAnthropicCredentials.transformClient(credentials)(
              HttpClient.mapRequest(client, HttpClientRequest.setHeader("anthropic-beta", "caller-beta-1"))
            )
        })),
        Layer.provide(UndiciHttpClient.layer)
      )
      standIn.enqueue(StandIn.streamText("streamed words", { piecesPerBlock: 2 }))
      const parts = yield* Stream.runCollect(LanguageModel.streamText({ prompt: "stream" })).pipe(Effect.provide(aiAnthropic))
      const text = Chunk.toReadonlyArray(parts).map((p) => (p.type === "text-delta" ? p.delta : "")).join("")
      expect(text).toBe("streamed words")
      const sent = standIn.requests[0]!
      expect(sent.body.stream).toBe(true)
      expect(sent.headers["authorization"]).toMatch(/^Bearer sk-ant-oat01-/)
      expect(sent.headers["anthropic-beta"]).toBe("oauth-2025-04-20,caller-beta-1")
    }))

  it.scoped("a credential that cannot be refreshed fails the request with a RequestError caused by LoginRequired", () =>
    Effect.gen(function*() {
      // Expired, and its refresh token revoked: only a new login helps.
      const { credentials, standIn } = yield* bundleSetup(1_000)
      const revoked: StandIn.Reply = { type: "json", status: 400, body: { error: "invalid_grant", error_description: "revoked" } }
      standIn.oauth.enqueueToken(revoked, revoked)
      yield* TestClock.adjust("2 seconds")
      const aiAnthropic = AiAnthropicLanguageModel.model("claude-haiku-4-5").pipe(
        Layer.provide(AiAnthropicClient.layer({ apiUrl: standIn.url, transformClient: AiAnthropicCredentials.transformClient(credentials) })),
        Layer.provide(UndiciHttpClient.layer)
      )
      const error = yield* Effect.flip(LanguageModel.generateText({ prompt: "hi" }).pipe(Effect.provide(aiAnthropic)))
      expect(error._tag).toBe("HttpRequestError")
      expect((error as { cause?: { cause?: { _tag?: string } } }).cause?.cause?._tag).toBe("LoginRequired")
      expect(standIn.requests).toEqual([])
    }))

  it("this project's provider is loaded in the same program (its augmentation key is its own)", () => {
    expect(AnthropicLanguageModel.optionsKey).toBe("effect-anthropic")
    expect(AiAnthropicLanguageModel.model).toBeTypeOf("function")
  })
})
