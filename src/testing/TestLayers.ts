/**
 * Layers for tests: the whole client stack over a fake HTTP handler and/or fixed credentials, no network.
 *
 * One line runs any program against fakes:
 *
 * ```ts
 * program.pipe(Effect.provide(TestLayers.layer({ http: () => TestLayers.json(200, message) })))
 * ```
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as HttpBody from "effect/http/HttpBody"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as AnthropicClient from "../AnthropicClient.js"
import * as AnthropicConfig from "../AnthropicConfig.js"
import * as Credentials from "../Credentials.js"
import type { AnthropicConfigError, CredentialKind, NoCredentials } from "../internal/errors.js"
import type { RecordedRequest, Reply } from "./StandIn.js"
import { echo } from "./StandIn.js"

/**
 * A fake server: a function from the request to a web `Response`, or to one of the stand-in's replies.
 *
 * @since 0.1.0
 * @category models
 */
export type Handler = (request: RecordedRequest) => Response | Reply | Promise<Response | Reply>

/**
 * A JSON `Response`.
 *
 * @since 0.1.0
 * @category utils
 */
export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } })

const decoder = new TextDecoder()

const toResponse = (reply: Response | Reply, request: RecordedRequest): Response => {
  if (reply instanceof Response) return reply
  switch (reply.type) {
    case "dynamic":
      return toResponse(reply.reply(request), request)
    case "json":
      return json(reply.status, reply.body, reply.headers)
    case "raw":
      return new Response(reply.body, { status: reply.status, headers: reply.headers ?? {} })
    case "stream":
      if (reply.cutAfter !== undefined || reply.stallAfter !== undefined) {
        throw new Error("the fake HTTP layer cannot cut or stall a stream; use the loopback StandIn for that")
      }
      return new Response(reply.body as BodyInit, { status: 200, headers: { "content-type": "text/event-stream", ...reply.headers } })
    case "hangup":
    case "stall":
    case "live":
    case "later":
    case "write":
      throw new Error(`the fake HTTP layer cannot ${reply.type}; use the loopback StandIn for that`)
  }
}

/** A request body's bytes: the client sends JSON as text (`Raw`), other bodies as bytes. */
const bytesOf = (body: HttpBody.HttpBody): Uint8Array =>
  body._tag === "Uint8Array"
    ? body.body
    : body._tag === "Raw" && typeof body.body === "string"
    ? new TextEncoder().encode(body.body)
    : new Uint8Array()

/**
 * An `HttpClient` that never touches the network: every request goes to `handler`.
 *
 * @since 0.1.0
 * @category layers
 */
export const httpClient = (handler: Handler = () => echo): Layer.Layer<HttpClient.HttpClient> =>
  Layer.succeed(
    HttpClient.HttpClient,
    HttpClient.make((request, url) => {
      const raw = bytesOf(request.body)
      const body = decoder.decode(raw)
      let parsed: unknown = body
      try {
        parsed = body === "" ? undefined : JSON.parse(body)
      } catch {
        // keep the text
      }
      const recorded: RecordedRequest = {
        method: request.method,
        path: url.pathname + url.search,
        headers: request.headers,
        body: parsed,
        raw,
        receivedAt: Date.now()
      }
      return Effect.tryPromise({
        try: async () => HttpClientResponse.fromWeb(request, toResponse(await handler(recorded), recorded)),
        catch: (cause) =>
          new HttpClientError.HttpClientError({ reason: new HttpClientError.TransportError({ request, cause }) })
      })
    })
  )

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The fake server. Default: the stand-in's echo. */
  readonly http?: Handler
  /** Fixed credentials. Default: an API key `sk-ant-api03-test`. Set `fromConfig: true` to resolve from `config`. */
  readonly credentials?: { readonly kind: CredentialKind; readonly secret: string } | { readonly fromConfig: true }
  /** Configuration in the file's shape. Default: `{ providers: { anthropic: {} } }`. */
  readonly config?: object
  readonly env?: Record<string, string | undefined>
}

/**
 * The whole stack (config, credentials, rate limiter, retries, Messages) over fakes.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<AnthropicClient.Services, AnthropicConfigError | NoCredentials> => {
  const config = AnthropicConfig.layerFile({ config: options.config ?? { providers: { anthropic: {} } }, env: options.env ?? {} })
  const creds = options.credentials === undefined
    ? Credentials.layerFixed("api_key", Redacted.make("sk-ant-api03-test"))
    : "fromConfig" in options.credentials
    ? Credentials.layer
    : Credentials.layerFixed(options.credentials.kind, Redacted.make(options.credentials.secret))
  return AnthropicClient.layerFrom({ config, credentials: creds, httpClient: httpClient(options.http) })
}
