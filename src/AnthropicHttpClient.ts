/**
 * The HTTP layer under every API call: base URL and headers, the rate limiter before each attempt, the credential's
 * auth header, classification of non-2xx answers into tagged errors, and the retry policy.
 *
 * Built on `@effect/platform`'s `HttpClient`; {@link layer} provides it with undici (`UndiciHttpClient.layer`).
 *
 * @since 0.1.0
 */
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import { AnthropicConfig } from "./AnthropicConfig.js"
import { type AuthHeaders, Credentials } from "./Credentials.js"
import { type ApiError, ConnectionError, Other } from "./Errors.js"
import { classify, clip, MAX_IDENTIFIER, withRetries } from "./internal/classify.js"
import { connectionError, readError } from "./internal/transportErrors.js"
import { RateLimiter } from "./RateLimiter.js"
import * as UndiciHttpClient from "./UndiciHttpClient.js"

/**
 * One API request.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestOptions {
  /** Path under `base_url`, e.g. `/v1/messages`. */
  readonly path: string
  /** JSON body; serialized once, by the first attempt, and reused by the retries. */
  readonly body: unknown
  /** Extra `anthropic-beta` values for this request, merged with the configured ones and the credential's. */
  readonly betas?: ReadonlyArray<string> | undefined
  /**
   * Extra headers for this request, names in any case. `authorization` and `x-api-key` are the credential's alone (a
   * caller's are dropped); an `anthropic-beta` is merged with the other betas.
   */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /**
   * Ties the request to this scope: each attempt's request lives in a scope of its own forked from it (handed to
   * `read`), so closing either aborts the request, even after its answer has arrived (streams use it to end a
   * response whose body went silent). A failed attempt's scope is closed before the next attempt. Without it the
   * request ends with the calling fiber.
   */
  readonly scope?: Scope.Scope | undefined
}

/**
 * Reads a 2xx answer inside its attempt. `scope` is the attempt's request scope when {@link RequestOptions.scope}
 * was given: resources that live as long as the answer (a stream's reader) belong there.
 *
 * @since 0.1.0
 * @category models
 */
export type Read<A> = (
  response: HttpClientResponse.HttpClientResponse,
  auth: AuthHeaders,
  scope: Scope.CloseableScope | undefined
) => Effect.Effect<A, ApiError>

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
  readonly execute: <A>(options: RequestOptions, read: Read<A>) => Effect.Effect<A, ApiError>
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

/** The headers only the credential sets, whatever case a caller writes them in. */
const AUTH_HEADERS: ReadonlySet<string> = new Set(["authorization", "x-api-key"])

/**
 * Merge beta lists into one `anthropic-beta` value, first occurrence wins, no duplicates.
 *
 * @category utils
 */
export const mergeBetas = (...lists: ReadonlyArray<ReadonlyArray<string> | undefined>): string => {
  const seen = new Set<string>()
  for (const list of lists) {
    if (list === undefined) continue
    for (const beta of list) for (const part of beta.split(",")) if (part.trim() !== "") seen.add(part.trim())
  }
  return [...seen].join(",")
}

/**
 * The params as a JSON body, or an `Other` saying why JSON cannot carry them. It never quotes them: they may hold
 * anything.
 */
const encodeBody = (params: unknown): Either.Either<HttpBody.HttpBody, Other> => {
  try {
    const text = JSON.stringify(params)
    return text === undefined
      ? Either.left(unencodable("they are not a JSON value (undefined, a function or a symbol)"))
      : Either.right(HttpBody.text(text, "application/json"))
  } catch (cause) {
    return Either.left(unencodable(whyNotJson(cause)))
  }
}

/** What `JSON.stringify` refused, in words of our own: its messages name properties of the params. */
const whyNotJson = (cause: unknown): string =>
  cause instanceof TypeError && /BigInt/.test(cause.message)
    ? "they hold a BigInt, for which JSON has no number (convert it with Number() or String())"
    : cause instanceof TypeError && /circular/i.test(cause.message)
    ? "they refer to themselves (an object or list inside itself), which JSON cannot write out"
    : cause instanceof RangeError
    ? "they nest too deeply to be written out"
    : `JSON.stringify threw ${cause instanceof Error ? `a ${cause.name}` : "a value that is not an Error"} (a toJSON method?)`

const unencodable = (why: string): Other =>
  new Other({
    status: 0,
    errorType: "invalid_request",
    apiMessage: `the request params cannot be sent as JSON: ${why}`,
    retryable: false
  })

/**
 * How the client treats the `HttpClient` underneath.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * Who bounds each attempt by `timeout_ms`. `"attempt"` (the default): `Effect.timeoutFail` around each attempt,
   * which works with any `HttpClient` (two fibers per call: about 50 µs). `"client"`: the `HttpClient` does it
   * itself, as `UndiciHttpClient.layerWith({ timeout })` does for next to nothing; say so only for such a client.
   */
  readonly timeout?: "attempt" | "client" | undefined
  /**
   * Trace headers (b3, `traceparent`): `"off"` (the default) turns the platform's propagation off, since the API
   * has no use for them; `"client"` leaves them to the `HttpClient` (`UndiciHttpClient` sends none, and skipping
   * the switch saves about 10 µs a call).
   */
  readonly traceHeaders?: "off" | "client" | undefined
}

/**
 * The client over the `HttpClient`, credentials, limiter and settings in context.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<Service, never, HttpClient.HttpClient | Credentials | RateLimiter | AnthropicConfig> =>
  Effect.gen(function*() {
    const settings = yield* AnthropicConfig
    const credentials = yield* Credentials
    const limiter = yield* RateLimiter
    const client = yield* HttpClient.HttpClient
    const clock = yield* Effect.clock
    const bounded = options.timeout === "client"
    const http = options.traceHeaders === "client" ? client : client.pipe(HttpClient.withTracerPropagation(false))
    const scopedHttp = HttpClient.withScope(http)
    const timeoutDetail = `no complete answer within timeout_ms (${settings.timeoutMs} ms)`
    const baseHeaders = {
      "anthropic-version": settings.anthropicVersion,
      "content-type": "application/json",
      accept: "application/json"
    }

    const buildHeaders = (auth: AuthHeaders, options: RequestOptions): Record<string, string> => {
      const headers: Record<string, string> = { ...baseHeaders }
      let callerBetas: Array<string> | undefined
      // HTTP header names ignore case: `Authorization` must not travel beside the credential's `x-api-key`.
      for (const [name, value] of Object.entries(options.headers ?? {})) {
        const lower = name.toLowerCase()
        if (lower === "anthropic-beta") (callerBetas ??= []).push(value)
        else if (!AUTH_HEADERS.has(lower)) headers[lower] = value
      }
      // The credential's own header alone: a caller's other auth header would send two credentials.
      headers[auth.header] = Redacted.value(auth.value)
      const betas = mergeBetas(auth.betas, settings.betas, options.betas, callerBetas)
      if (betas !== "") headers["anthropic-beta"] = betas
      return headers
    }
    // Most calls add no headers or betas of their own: one header record per credential serves them all.
    const plainHeaders = new WeakMap<AuthHeaders, Record<string, string>>()
    const headersFor = (auth: AuthHeaders, options: RequestOptions): Record<string, string> => {
      if (options.headers !== undefined || options.betas !== undefined) return buildHeaders(auth, options)
      let headers = plainHeaders.get(auth)
      if (headers === undefined) plainHeaders.set(auth, headers = buildHeaders(auth, options))
      return headers
    }

    const failed = (
      response: HttpClientResponse.HttpClientResponse,
      auth: AuthHeaders
    ): Effect.Effect<never, ApiError> =>
      Effect.flatMap(Effect.orElseSucceed(response.text, () => ""), (text) => {
        const error = classify(
          response.status,
          (name) => response.headers[name],
          text,
          auth.kind,
          clock.unsafeCurrentTimeMillis()
        )
        return error._tag === "CredentialInvalid" && error.reason === "rejected"
          ? Effect.zipRight(credentials.markStale(auth), Effect.fail(error))
          : Effect.fail(error)
      })

    const execute = <A>(options: RequestOptions, read: Read<A>): Effect.Effect<A, ApiError> => {
      const url = settings.baseUrl + options.path
      const description = `POST ${url}`
      // Encoded by the first attempt and reused by the retries; not here, where params JSON cannot write (a BigInt,
      // a cycle) would throw out of the call that builds the Effect instead of failing it.
      let body: Either.Either<HttpBody.HttpBody, Other> | undefined
      const toConnectionError = (error: HttpClientError.HttpClientError) => connectionError(description, error, timeoutDetail)
      // Written as plain flatMaps, not Effect.gen: this runs for every call and a generator costs microseconds.
      const sendWith = (auth: AuthHeaders, scope: Scope.CloseableScope | undefined) => {
        const encoded = body ??= encodeBody(options.body)
        if (Either.isLeft(encoded)) return Effect.fail(encoded.left)
        const request = HttpClientRequest.post(url, { headers: headersFor(auth, options), body: encoded.right })
        const sent = scope === undefined
          ? http.execute(request)
          : Effect.provideService(scopedHttp.execute(request), Scope.Scope, scope)
        return Effect.matchEffect(sent, {
          onFailure: (error) => Effect.fail(toConnectionError(error)),
          onSuccess: (response) =>
            response.status >= 200 && response.status < 300 ? read(response, auth, scope) : failed(response, auth)
        })
      }
      const parent = options.scope
      const send = Effect.flatMap(
        credentials.authorize,
        (auth) =>
          parent === undefined ? sendWith(auth, undefined) : Effect.flatMap(
            Scope.fork(parent, ExecutionStrategy.sequential),
            (scope) => Effect.onError(sendWith(auth, scope), (cause) => Scope.close(scope, Exit.failCause(cause)))
          )
      )
      const attempt = bounded ? send : Effect.timeoutFail(send, {
        duration: settings.timeoutMs,
        onTimeout: () => new ConnectionError({ reason: "timeout", request: description, detail: timeoutDetail })
      })
      // The limiter is outside the timeout: waiting for a slot is not the server being slow.
      return withRetries(Effect.zipRight(limiter.take, attempt), settings)
    }

    const json = (options: RequestOptions) =>
      execute(options, (response) => {
        const description = `POST ${response.request.url}`
        return Effect.matchEffect(response.text, {
          onFailure: (error) => Effect.fail(readError(description, response, error, timeoutDetail)),
          onSuccess: (text) => {
            try {
              return Effect.succeed(JSON.parse(text) as unknown)
            } catch {
              return Effect.fail(
                new Other({
                  status: response.status,
                  errorType: "invalid_response",
                  apiMessage: `the answer to ${description} is not JSON`,
                  requestId: clip(response.headers["request-id"], MAX_IDENTIFIER),
                  retryable: false
                })
              )
            }
          }
        })
      })

    return { execute, json }
  })

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
  HttpClient.HttpClient | Credentials | RateLimiter | AnthropicConfig
> => Layer.effect(AnthropicHttpClient, make(options))

/**
 * How the client treats an `UndiciHttpClient` made with `timeout_ms`: it bounds requests and sends no trace headers.
 *
 * @category utils
 */
export const undiciOptions: Options = { timeout: "client", traceHeaders: "client" }

/**
 * The HTTP client on undici (`UndiciHttpClient`, bounded by `timeout_ms`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<AnthropicHttpClient, never, Credentials | RateLimiter | AnthropicConfig> = Layer
  .unwrapEffect(
    Effect.map(AnthropicConfig, (settings) =>
      layerWithoutHttpClient(undiciOptions).pipe(
        Layer.provide(UndiciHttpClient.layerWith({ timeout: settings.timeoutMs }))
      ))
  )
