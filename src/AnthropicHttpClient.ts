/**
 * The HTTP layer under every API call: base URL and headers, the rate limiter before each attempt, the credential's
 * auth header, classification of non-2xx answers into tagged errors, the retry policy, and the reading of answers
 * (JSON, or a stream with its watchdogs).
 *
 * Built on Effect's `HttpClient` (`effect/http`); {@link layer} provides it with undici (`UndiciHttpClient.layer`). Its
 * parts live in `internal/http/`: `request.ts` (headers, body, path, query), `retry.ts` (the retry policy; answers
 * become errors in `internal/apiErrors.ts`), `metering.ts` (the rate-limit charge, the answer's metadata), `streamBody.ts` (a streamed answer and
 * its watchdogs), `client.ts` (the composition).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import { defaultHttpClient } from "./internal/http/defaultClient.js"
import { AnthropicConfig } from "./AnthropicConfig.js"
import { Credentials } from "./Credentials.js"
import { loadStack } from "./internal/http/loadStack.js"
import type { Options, Service } from "./internal/http/types.js"
import * as RateLimiter from "./RateLimiter.js"

export { callOptionsOf } from "./internal/http/request.js"
export { pullDecode, watchedBytes } from "./internal/http/decoders.js"
export type {
  BodyReader,
  CallOptions,
  Charge,
  Decode,
  Options,
  PullDecode,
  Read,
  RequestOptions,
  Service,
  StartedStream
} from "./internal/http/types.js"

/**
 * @since 0.1.0
 * @category tags
 */
export class AnthropicHttpClient extends Context.Service<AnthropicHttpClient, Service>()(
  "effect-anthropic/AnthropicHttpClient"
) {}

/**
 * The client over the `HttpClient`, credentials, limiter and settings in context.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<Service, never, HttpClient.HttpClient | Credentials | RateLimiter.RateLimiter | AnthropicConfig> =>
  Effect.flatMap(loadStack, ({ Client }) =>
    Effect.map(
      Effect.all([
        Effect.service(AnthropicConfig),
        Effect.service(Credentials),
        Effect.service(RateLimiter.RateLimiter),
        Client.platformClient,
        Effect.clockWith(Effect.succeed)
      ]),
      ([settings, credentials, limiter, client, clock]) => Client.make({ settings, credentials, limiter, client, clock, options })
    ))

/**
 * The HTTP client on whatever `HttpClient` is provided (`NodeHttpClient.layerUndici`, a proxy-aware one, a fake one
 * in tests). With `{ timeout: "client", traceHeaders: "client" }` for an `UndiciHttpClient` made with a timeout.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWithoutHttpClient = (options: Options = {}): Layer.Layer<
  AnthropicHttpClient,
  never,
  HttpClient.HttpClient | Credentials | RateLimiter.RateLimiter | AnthropicConfig
> => Layer.effect(AnthropicHttpClient, make(options))

export {
  /**
   * How the client treats an `UndiciHttpClient` made with `timeout_ms`: it bounds requests and sends no trace headers.
   *
   * @since 0.1.0
   * @category utils
   */
  undiciOptions
} from "./internal/http/defaultClient.js"

/**
 * The HTTP client on the runtime's default `HttpClient`: undici (`UndiciHttpClient`, bounded by `timeout_ms`) on
 * Node and Deno, the platform's `fetch` client on Bun, Cloudflare Workers and elsewhere.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<AnthropicHttpClient, never, Credentials | RateLimiter.RateLimiter | AnthropicConfig> = Layer
  .unwrap(
    Effect.map(Effect.service(AnthropicConfig), (settings) => {
      const client = defaultHttpClient(settings.timeoutMs)
      return layerWithoutHttpClient(client.options).pipe(Layer.provide(client.layer))
    })
  )

