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
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as AiAnthropicCredentials from "../src/AiAnthropicCredentials.js"
import * as AnthropicClient from "../src/AnthropicClient.js"
import * as AnthropicLanguageModel from "../src/AnthropicLanguageModel.js"
import * as Credentials from "../src/Credentials.js"
import * as StandIn from "../src/testing/StandIn.js"
import * as UndiciHttpClient from "../src/UndiciHttpClient.js"
import { bundleSetup } from "./bundles.js"
import { API_KEY } from "./fixtures.js"

interface Sent {
  readonly url: string
  readonly credential: boolean
}

/**
 * The HttpClient underneath `@effect/ai-anthropic`, recording where each request goes (the final URL, after every
 * transform) and whether it carries a credential. Nothing but loopback leaves the machine: a request elsewhere fails
 * here, recorded.
 */
const recordingHttpClient = (sent: Array<Sent>) =>
  Layer.effect(
    HttpClient.HttpClient,
    Effect.map(HttpClient.HttpClient, (client) =>
      HttpClient.transform(client, (effect, request) => {
        const credential = request.headers["x-api-key"] !== undefined || request.headers["authorization"] !== undefined
        sent.push({ url: request.url, credential })
        return new URL(request.url).hostname === "127.0.0.1"
          ? effect
          : Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", description: "the test sends nothing off loopback" }))
      }))
  ).pipe(Layer.provide(UndiciHttpClient.layer))

/** The stack's services for an API key and `base_url`, and `@effect/ai-anthropic`'s model over them with `apiUrl`. */
const aiAnthropicOver = (baseUrl: string, sent: Array<Sent>, apiUrl?: string) =>
  Effect.gen(function*() {
    const services = yield* Layer.build(AnthropicClient.layerFile({
      config: { providers: { anthropic: { api_key: API_KEY, base_url: baseUrl, auth: { mode: "static" } } } },
      env: {}
    }))
    const transformClient = yield* Effect.provide(AiAnthropicCredentials.make, services)
    return AiAnthropicLanguageModel.model("claude-haiku-4-5").pipe(
      Layer.provide(AiAnthropicClient.layer({ ...(apiUrl === undefined ? {} : { apiUrl }), transformClient })),
      Layer.provide(recordingHttpClient(sent))
    )
  })

/** A gateway on loopback that serves the Messages API under a path of its own, recording the paths asked for. */
const gatewayUnder = (prefix: string) =>
  Effect.acquireRelease(
    Effect.async<{ readonly url: string; readonly paths: Array<string>; readonly server: http.Server }>((resume) => {
      const paths: Array<string> = []
      const server = http.createServer((req, res) => {
        const path = new URL(req.url ?? "/", "http://gateway").pathname
        paths.push(path)
        req.resume().on("end", () => {
          const ok = path === `${prefix}/v1/messages` && req.headers["x-api-key"] === API_KEY
          res.writeHead(ok ? 200 : 404, { "content-type": "application/json" })
            .end(JSON.stringify(ok ? StandIn.messageJson([{ type: "text", text: "through the gateway" }]) : { type: "error" }))
        })
      })
      server.listen(0, "127.0.0.1", () =>
        resume(Effect.succeed({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${prefix}`, paths, server })))
    }),
    ({ server }) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
  )

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
          transformClient: AiAnthropicCredentials.transformClient(credentials, { baseUrl: standIn.url })
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
            AiAnthropicCredentials.transformClient(credentials, { baseUrl: standIn.url })(
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
        Layer.provide(AiAnthropicClient.layer({
          apiUrl: standIn.url,
          transformClient: AiAnthropicCredentials.transformClient(credentials, { baseUrl: standIn.url })
        })),
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

describe("AiAnthropicCredentials: where @effect/ai-anthropic's requests go", () => {
  it.scoped("with no apiUrl (its default, api.anthropic.com), requests go to the configured base_url, with the credential", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      const sent: Array<Sent> = []
      const model = yield* aiAnthropicOver(standIn.url, sent)
      const answer = yield* LanguageModel.generateText({ prompt: "hello" }).pipe(Effect.provide(model))
      expect(answer.text).toBe("echo: hello")
      // Its own query (`?beta=true`) kept.
      expect(sent).toEqual([{ url: `${standIn.url}/v1/messages?beta=true`, credential: true }])
      expect(standIn.requests[0]!.headers["x-api-key"]).toBe(API_KEY)
    }))

  it.scoped("a base_url with a path (a gateway): the API's path goes after it", () =>
    Effect.gen(function*() {
      const gateway = yield* gatewayUnder("/anthropic/v1beta")
      const sent: Array<Sent> = []
      const model = yield* aiAnthropicOver(gateway.url, sent)
      const answer = yield* LanguageModel.generateText({ prompt: "hello" }).pipe(Effect.provide(model))
      expect(answer.text).toBe("through the gateway")
      expect(gateway.paths).toEqual(["/anthropic/v1beta/v1/messages"])
    }))

  it.scoped("an apiUrl naming another host than the configured one fails the request; no credential is sent anywhere", () =>
    Effect.gen(function*() {
      const configured = yield* StandIn.scoped()
      const elsewhere = yield* StandIn.scoped()
      const sent: Array<Sent> = []
      const model = yield* aiAnthropicOver(configured.url, sent, elsewhere.url)
      const error = yield* Effect.flip(LanguageModel.generateText({ prompt: "hello" }).pipe(Effect.provide(model)))
      expect(error._tag).toBe("HttpRequestError")
      expect((error as { reason?: string }).reason).toBe("InvalidUrl")
      expect(error.message).toContain(`addressed to ${elsewhere.url}, which the configuration does not name`)
      expect(error.message).toContain(`only to the configured base_url ${configured.url}`)
      expect(error.message).not.toContain(API_KEY)
      expect(sent).toEqual([])
      expect(elsewhere.requests).toEqual([])
      expect(configured.requests).toEqual([])
    }))

  it.scoped("a base_url with a path does not cover a sibling path on the same host", () =>
    Effect.gen(function*() {
      const gateway = yield* gatewayUnder("/anthropic")
      const sent: Array<Sent> = []
      const model = yield* aiAnthropicOver(gateway.url, sent, gateway.url.replace(/\/anthropic$/, "/anthropic-other"))
      const error = yield* Effect.flip(LanguageModel.generateText({ prompt: "hello" }).pipe(Effect.provide(model)))
      expect((error as { reason?: string }).reason).toBe("InvalidUrl")
      expect(sent).toEqual([])
      expect(gateway.paths).toEqual([])
    }))

  it.scoped("transformClient without a baseUrl sends the credential to https://api.anthropic.com only", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      const sent: Array<Sent> = []
      const model = AiAnthropicLanguageModel.model("claude-haiku-4-5").pipe(
        Layer.provide(AiAnthropicClient.layer({
          apiUrl: standIn.url,
          transformClient: AiAnthropicCredentials.transformClient(
            Context.get(yield* Layer.build(Credentials.layerFixed("api_key", Redacted.make(API_KEY))), Credentials.Credentials)
          )
        })),
        Layer.provide(recordingHttpClient(sent))
      )
      const error = yield* Effect.flip(LanguageModel.generateText({ prompt: "hello" }).pipe(Effect.provide(model)))
      expect((error as { reason?: string }).reason).toBe("InvalidUrl")
      expect(error.message).toContain("only to the configured base_url https://api.anthropic.com")
      expect(sent).toEqual([])
      expect(standIn.requests).toEqual([])
    }))
})
