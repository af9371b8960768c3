/**
 * `AiAnthropicCredentials.transformClient`: this project's credentials on `@effect/ai-anthropic`'s HTTP client, an
 * OAuth bundle's token refreshed when due, the OAuth beta merged, x-api-key removed, a 401 marking the token stale,
 * requests routed to the configured `base_url` and refused anywhere else.
 *
 * Effect 4: `@effect/ai-anthropic` 4.0.0-beta.106 (its only version for Effect 4) imports `effect/unstable/*` and does
 * not load on effect 4.1.5. Its client is reproduced here as its source wires it (`AnthropicClient.make`): the
 * `HttpClient` in context with each request's URL prefixed by `apiUrl` (default `https://api.anthropic.com`), its
 * `x-api-key` (when given an `apiKey`), `anthropic-version` and `accept: application/json`, then `transformClient`
 * over that; a Message is `POST /v1/messages?beta=true`, a stream `POST /v1/messages` with `stream: true`. The
 * requests go through that client to the stand-in; what its language model makes of the answers is not tested.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/testing/TestClock"
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

/** The `HttpClient` the tests send through: the project's undici client. */
const undici = Effect.map(Layer.build(UndiciHttpClient.layer), (services) => Context.get(services, HttpClient.HttpClient))

/**
 * The HttpClient underneath `@effect/ai-anthropic`, recording where each request goes (the final URL, after every
 * transform) and whether it carries a credential. Nothing but loopback leaves the machine: a request elsewhere fails
 * here, recorded.
 */
const recording = (sent: Array<Sent>) =>
  Effect.map(undici, (client) =>
    HttpClient.transform(client, (effect, request) => {
      const credential = request.headers["x-api-key"] !== undefined || request.headers["authorization"] !== undefined
      sent.push({ url: request.url, credential })
      return new URL(request.url).hostname === "127.0.0.1"
        ? effect
        : Effect.fail(
          new HttpClientError.HttpClientError({
            reason: new HttpClientError.TransportError({ request, description: "the test sends nothing off loopback" })
          })
        )
    }))

/**
 * `@effect/ai-anthropic`'s client over `base`, as its `AnthropicClient.make` (4.0.0-beta.106) builds it: each
 * request's URL prefixed with `apiUrl`, its API key, version and accept headers set, then `transformClient`.
 */
const aiAnthropicClient = (
  base: HttpClient.HttpClient,
  options: {
    readonly apiUrl?: string | undefined
    readonly apiKey?: Redacted.Redacted<string> | undefined
    readonly transformClient: (client: HttpClient.HttpClient) => HttpClient.HttpClient
  }
): HttpClient.HttpClient =>
  options.transformClient(HttpClient.mapRequest(base, (request) => {
    let prepared = HttpClientRequest.prependUrl(request, options.apiUrl ?? "https://api.anthropic.com")
    if (options.apiKey !== undefined) prepared = HttpClientRequest.setHeader(prepared, "x-api-key", Redacted.value(options.apiKey))
    return HttpClientRequest.acceptJson(HttpClientRequest.setHeader(prepared, "anthropic-version", "2023-06-01"))
  }))

/** A Message asked for `prompt`, as `@effect/ai-anthropic`'s `createMessage` sends it. */
const createMessage = (client: HttpClient.HttpClient, prompt: string) =>
  client.execute(
    HttpClientRequest.post("/v1/messages?beta=true").pipe(HttpClientRequest.bodyJsonUnsafe({
      model: "claude-haiku-4-5",
      max_tokens: 4096,
      messages: [{ role: "user", content: [{ type: "text", text: prompt }] }]
    }))
  )

/** A streamed Message, as `@effect/ai-anthropic`'s `createMessageStream` sends it. */
const createMessageStream = (client: HttpClient.HttpClient, prompt: string) =>
  client.execute(
    HttpClientRequest.post("/v1/messages").pipe(HttpClientRequest.bodyJsonUnsafe({
      model: "claude-haiku-4-5",
      max_tokens: 4096,
      messages: [{ role: "user", content: [{ type: "text", text: prompt }] }],
      stream: true
    }))
  )

/** The text of a Message answer. */
const textOf = (response: HttpClientResponse.HttpClientResponse) =>
  Effect.map(response.json, (body) =>
    ((body as { content: Array<{ type: string; text?: string }> }).content).map((block) => block.text ?? "").join(""))

/** The text of a streamed answer: its text deltas, joined. */
const streamedTextOf = (response: HttpClientResponse.HttpClientResponse) =>
  Effect.map(Stream.mkString(Stream.decodeText(response.stream)), (sse) =>
    sse.split("\n")
      .filter((line) => line.startsWith("data: "))
      .map((line) => JSON.parse(line.slice("data: ".length)) as { type: string; delta?: { type: string; text?: string } })
      .flatMap((event) => event.type === "content_block_delta" && event.delta?.type === "text_delta" ? [event.delta.text ?? ""] : [])
      .join(""))

/** The stack's services for an API key and `base_url`, and `@effect/ai-anthropic`'s client over them with `apiUrl`. */
const aiAnthropicOver = (baseUrl: string, sent: Array<Sent>, apiUrl?: string) =>
  Effect.gen(function*() {
    const services = yield* Layer.build(AnthropicClient.layerFile({
      config: { providers: { anthropic: { api_key: API_KEY, base_url: baseUrl, auth: { mode: "static" } } } },
      env: {}
    }))
    const transformClient = yield* Effect.provide(AiAnthropicCredentials.make, services)
    return aiAnthropicClient(yield* recording(sent), { apiUrl, transformClient })
  })

/** A gateway on loopback that serves the Messages API under a path of its own, recording the paths asked for. */
const gatewayUnder = (prefix: string) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly url: string; readonly paths: Array<string>; readonly server: http.Server }>((resume) => {
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
    ({ server }) => Effect.callback<void>((resume) => void server.close(() => resume(Effect.void)))
  )

describe("AiAnthropicCredentials.transformClient", () => {
  it.effect("an OAuth bundle for @effect/ai-anthropic: refreshed when due, Bearer with the OAuth beta, stale after a 401", () =>
    Effect.gen(function*() {
      // Due for refresh (60 s before expiry) from the start.
      const { credentials, pair, standIn } = yield* bundleSetup(30_000)
      standIn.oauth.requireIssuedTokens(true)
      const client = aiAnthropicClient(yield* undici, {
        apiUrl: standIn.url,
        apiKey: undefined,
        transformClient: AiAnthropicCredentials.transformClient(credentials, { baseUrl: standIn.url })
      })
      const ask = (prompt: string) => createMessage(client, prompt)

      expect(yield* Effect.flatMap(ask("hello"), textOf)).toBe("echo: hello")
      expect(standIn.oauth.refreshes()).toBe(1)
      const sent = standIn.requests[0]!
      expect(sent.headers["authorization"]).toMatch(/^Bearer sk-ant-oat01-/)
      expect(sent.headers["authorization"]).not.toBe(`Bearer ${pair.access_token}`)
      expect(sent.headers["x-api-key"]).toBeUndefined()
      expect(sent.headers["anthropic-beta"]?.split(",")).toContain("oauth-2025-04-20")

      // A 401 (@effect/ai-anthropic fails the call on it): the token is marked stale, so the next request refreshes
      // first.
      standIn.enqueue(StandIn.error(401, { message: "token revoked" }))
      const refused = yield* ask("again")
      expect(refused.status).toBe(401)
      expect(yield* credentials.isStale).toBe(true)
      expect(yield* Effect.flatMap(ask("third"), textOf)).toBe("echo: third")
      expect(standIn.oauth.refreshes()).toBe(2)
      expect(standIn.requests[2]!.headers["authorization"]).not.toBe(sent.headers["authorization"])
    }))

  it.effect("streaming goes through it too; a caller's anthropic-beta is kept beside the OAuth beta", () =>
    Effect.gen(function*() {
      const { credentials, standIn } = yield* bundleSetup(3_600_000)
      const client = aiAnthropicClient(yield* undici, {
        apiUrl: standIn.url,
        // A beta of the caller's own, set before ours runs.
        transformClient: (client) =>
          AiAnthropicCredentials.transformClient(credentials, { baseUrl: standIn.url })(
            HttpClient.mapRequest(client, HttpClientRequest.setHeader("anthropic-beta", "caller-beta-1"))
          )
      })
      standIn.enqueue(StandIn.streamText("streamed words", { piecesPerBlock: 2 }))
      const text = yield* Effect.flatMap(createMessageStream(client, "stream"), streamedTextOf)
      expect(text).toBe("streamed words")
      const sent = standIn.requests[0]!
      expect(sent.body.stream).toBe(true)
      expect(sent.headers["authorization"]).toMatch(/^Bearer sk-ant-oat01-/)
      expect(sent.headers["anthropic-beta"]).toBe("oauth-2025-04-20,caller-beta-1")
    }))

  it.effect("a credential that cannot be refreshed fails the request with a TransportError caused by LoginRequired", () =>
    Effect.gen(function*() {
      // Expired, and its refresh token revoked: only a new login helps.
      const { credentials, standIn } = yield* bundleSetup(1_000)
      const revoked: StandIn.Reply = { type: "json", status: 400, body: { error: "invalid_grant", error_description: "revoked" } }
      standIn.oauth.enqueueToken(revoked, revoked)
      yield* TestClock.adjust("2 seconds")
      const client = aiAnthropicClient(yield* undici, {
        apiUrl: standIn.url,
        transformClient: AiAnthropicCredentials.transformClient(credentials, { baseUrl: standIn.url })
      })
      const error = yield* Effect.flip(createMessage(client, "hi"))
      // Effect 4: an HttpClientError whose reason is a TransportError (Effect 3: a RequestError, reason Transport).
      expect(error._tag).toBe("HttpClientError")
      expect(error.reason._tag).toBe("TransportError")
      expect((error.reason.cause as { _tag?: string } | undefined)?._tag).toBe("LoginRequired")
      expect(standIn.requests).toEqual([])
    }))

  it("this project's provider has an augmentation key of its own (`@effect/ai-anthropic`'s is `anthropic`)", () => {
    expect(AnthropicLanguageModel.optionsKey).toBe("effect-anthropic")
  })
})

describe("AiAnthropicCredentials: where @effect/ai-anthropic's requests go", () => {
  it.effect("with no apiUrl (its default, api.anthropic.com), requests go to the configured base_url, with the credential", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      const sent: Array<Sent> = []
      const client = yield* aiAnthropicOver(standIn.url, sent)
      expect(yield* Effect.flatMap(createMessage(client, "hello"), textOf)).toBe("echo: hello")
      // Its own query (`?beta=true`) kept.
      expect(sent).toEqual([{ url: `${standIn.url}/v1/messages?beta=true`, credential: true }])
      expect(standIn.requests[0]!.headers["x-api-key"]).toBe(API_KEY)
    }))

  it.effect("a base_url with a path (a gateway): the API's path goes after it", () =>
    Effect.gen(function*() {
      const gateway = yield* gatewayUnder("/anthropic/v1beta")
      const sent: Array<Sent> = []
      const client = yield* aiAnthropicOver(gateway.url, sent)
      expect(yield* Effect.flatMap(createMessage(client, "hello"), textOf)).toBe("through the gateway")
      expect(gateway.paths).toEqual(["/anthropic/v1beta/v1/messages"])
    }))

  it.effect("an apiUrl naming another host than the configured one fails the request; no credential is sent anywhere", () =>
    Effect.gen(function*() {
      const configured = yield* StandIn.scoped()
      const elsewhere = yield* StandIn.scoped()
      const sent: Array<Sent> = []
      const client = yield* aiAnthropicOver(configured.url, sent, elsewhere.url)
      const error = yield* Effect.flip(createMessage(client, "hello"))
      // Effect 4: an HttpClientError whose reason is an InvalidUrlError (Effect 3: a RequestError, reason InvalidUrl).
      expect(error.reason._tag).toBe("InvalidUrlError")
      expect(error.message).toContain(`addressed to ${elsewhere.url}, which the configuration does not name`)
      expect(error.message).toContain(`only to the configured base_url ${configured.url}`)
      expect(error.message).not.toContain(API_KEY)
      expect(sent).toEqual([])
      expect(elsewhere.requests).toEqual([])
      expect(configured.requests).toEqual([])
    }))

  it.effect("a base_url with a path does not cover a sibling path on the same host", () =>
    Effect.gen(function*() {
      const gateway = yield* gatewayUnder("/anthropic")
      const sent: Array<Sent> = []
      const client = yield* aiAnthropicOver(gateway.url, sent, gateway.url.replace(/\/anthropic$/, "/anthropic-other"))
      const error = yield* Effect.flip(createMessage(client, "hello"))
      expect(error.reason._tag).toBe("InvalidUrlError")
      expect(sent).toEqual([])
      expect(gateway.paths).toEqual([])
    }))

  it.effect("transformClient without a baseUrl sends the credential to https://api.anthropic.com only", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      const sent: Array<Sent> = []
      const credentials = Context.get(yield* Layer.build(Credentials.layerFixed("api_key", Redacted.make(API_KEY))), Credentials.Credentials)
      const client = aiAnthropicClient(yield* recording(sent), {
        apiUrl: standIn.url,
        transformClient: AiAnthropicCredentials.transformClient(credentials)
      })
      const error = yield* Effect.flip(createMessage(client, "hello"))
      expect(error.reason._tag).toBe("InvalidUrlError")
      expect(error.message).toContain("only to the configured base_url https://api.anthropic.com")
      expect(sent).toEqual([])
      expect(standIn.requests).toEqual([])
    }))
})
