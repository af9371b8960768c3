/**
 * The HTTP layer under every API call: base URL and headers, the rate limiter before each attempt, the credential's
 * auth header, classification of non-2xx answers into tagged errors, and the retry policy.
 *
 * Built on `@effect/platform`'s `HttpClient`; {@link layer} provides it with undici (`NodeHttpClient.layerUndici`).
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import { AnthropicConfig } from "./Config.js"
import { type AuthHeaders, Credentials } from "./Credentials.js"
import { type ApiError, ConnectionError, Other } from "./Errors.js"
import { classify, withRetries } from "./internal/classify.js"
import { RateLimiter } from "./RateLimiter.js"

/**
 * One API request.
 *
 * @since 0.1.0
 */
export interface RequestOptions {
  /** Path under `base_url`, e.g. `/v1/messages`. */
  readonly path: string
  /** JSON body; serialized once, reused by every attempt. */
  readonly body: unknown
  /** Extra `anthropic-beta` values for this request, merged with the configured ones and the credential's. */
  readonly betas?: ReadonlyArray<string> | undefined
  /** Extra headers for this request. */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /**
   * Ties the request to this scope: closing it aborts the request, even after its answer has arrived (streams use
   * it to end a response whose body went silent). Without it the request ends with the calling fiber.
   */
  readonly scope?: Scope.Scope | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /**
   * Sends the request until it gets a 2xx answer or the retry policy gives up, then hands the answer to `read`
   * inside the same attempt (so a body that breaks off while being read is retried like a failed connection).
   * `timeout_ms` bounds each attempt, from sending until `read` is done.
   */
  readonly execute: <A>(
    options: RequestOptions,
    read: (response: HttpClientResponse.HttpClientResponse, auth: AuthHeaders) => Effect.Effect<A, ApiError>
  ) => Effect.Effect<A, ApiError>
  /** {@link execute} reading the answer as JSON. */
  readonly json: (options: RequestOptions) => Effect.Effect<unknown, ApiError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class AnthropicHttpClient extends Context.Tag("effect-anthropic/AnthropicHttpClient")<
  AnthropicHttpClient,
  Service
>() {}

const describe = (request: HttpClientRequest.HttpClientRequest) => `${request.method} ${request.url}`

const transportError = (request: HttpClientRequest.HttpClientRequest) =>
(error: HttpClientError.HttpClientError): ConnectionError =>
  new ConnectionError({
    reason: "transport",
    request: describe(request),
    detail: causeText(error.cause) ?? error.message
  })

const causeText = (cause: unknown): string | undefined => {
  if (!(cause instanceof Error)) return undefined
  const code = (cause as NodeJS.ErrnoException).code
  const inner = cause.cause instanceof Error ? causeText(cause.cause) : undefined
  return inner ?? (code !== undefined ? `${code}: ${cause.message}` : cause.message)
}

/** Merge beta lists into one `anthropic-beta` value, first occurrence wins, no duplicates. */
export const mergeBetas = (...lists: ReadonlyArray<ReadonlyArray<string> | undefined>): string => {
  const seen = new Set<string>()
  for (const list of lists) {
    if (list === undefined) continue
    for (const beta of list) for (const part of beta.split(",")) if (part.trim() !== "") seen.add(part.trim())
  }
  return [...seen].join(",")
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, HttpClient.HttpClient | Credentials | RateLimiter | AnthropicConfig> =
  Effect.gen(function*() {
    const settings = yield* AnthropicConfig
    const credentials = yield* Credentials
    const limiter = yield* RateLimiter
    // Trace headers (b3, traceparent) are of no use to the API; spans are still recorded locally.
    const http = (yield* HttpClient.HttpClient).pipe(HttpClient.withTracerPropagation(false))
    const scopedHttp = HttpClient.withScope(http)
    const baseHeaders = {
      "anthropic-version": settings.anthropicVersion,
      "content-type": "application/json",
      accept: "application/json"
    }

    const authHeaders = (auth: AuthHeaders, options: RequestOptions): Record<string, string> => {
      const headers: Record<string, string> = { ...options.headers }
      headers[auth.header] = Redacted.value(auth.value)
      const betas = mergeBetas(auth.betas, settings.betas, options.betas)
      if (betas !== "") headers["anthropic-beta"] = betas
      return headers
    }

    const execute = <A>(
      options: RequestOptions,
      read: (response: HttpClientResponse.HttpClientResponse, auth: AuthHeaders) => Effect.Effect<A, ApiError>
    ): Effect.Effect<A, ApiError> => {
      const request = HttpClientRequest.post(settings.baseUrl + options.path).pipe(
        HttpClientRequest.setHeaders(baseHeaders),
        HttpClientRequest.bodyText(JSON.stringify(options.body), "application/json")
      )
      const send = Effect.gen(function*() {
        const auth = yield* credentials.authorize
        const withAuth = HttpClientRequest.setHeaders(request, authHeaders(auth, options))
        const response = yield* (options.scope === undefined
          ? http.execute(withAuth)
          : Effect.provideService(scopedHttp.execute(withAuth), Scope.Scope, options.scope)).pipe(
            Effect.mapError(transportError(request))
          )
        if (response.status >= 200 && response.status < 300) return yield* read(response, auth)
        const text = yield* response.text.pipe(Effect.orElseSucceed(() => ""))
        const error = classify(response.status, (name) => response.headers[name], text, auth.kind, yield* Clock.currentTimeMillis)
        if (error._tag === "CredentialInvalid" && error.reason === "rejected") yield* credentials.markStale(auth)
        return yield* error
      }).pipe(
        Effect.timeoutFail({
          duration: settings.timeoutMs,
          onTimeout: () =>
            new ConnectionError({
              reason: "timeout",
              request: describe(request),
              detail: `no complete answer within timeout_ms (${settings.timeoutMs} ms)`
            })
        })
      )
      // The limiter is outside the timeout: waiting for a slot is not the server being slow.
      return withRetries(Effect.zipRight(limiter.take, send), settings.maxRetries)
    }

    const json = (options: RequestOptions) =>
      execute(options, (response) =>
        response.text.pipe(
          Effect.mapError(transportError(response.request)),
          Effect.flatMap((text) =>
            Effect.try({
              try: () => JSON.parse(text) as unknown,
              catch: () =>
                new Other({
                  status: response.status,
                  errorType: "invalid_response",
                  apiMessage: `the answer to ${describe(response.request)} is not JSON`,
                  requestId: response.headers["request-id"],
                  retryable: false
                })
            })
          )
        ))

    return { execute, json }
  })

/**
 * The HTTP client on whatever `HttpClient` is provided (a fake one in tests).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWithoutHttpClient: Layer.Layer<
  AnthropicHttpClient,
  never,
  HttpClient.HttpClient | Credentials | RateLimiter | AnthropicConfig
> = Layer.effect(AnthropicHttpClient, make)

/**
 * The HTTP client on undici.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<AnthropicHttpClient, never, Credentials | RateLimiter | AnthropicConfig> =
  layerWithoutHttpClient.pipe(Layer.provide(NodeHttpClient.layerUndici))
