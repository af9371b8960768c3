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
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { AnthropicConfig } from "./AnthropicConfig.js"
import { type AuthHeaders, Credentials } from "./Credentials.js"
import {
  type ApiError,
  ConnectionError,
  type CredentialKind,
  Other,
  RateLimit,
  ServerError,
  StreamError
} from "./internal/errors.js"
import { causeText } from "./internal/causeText.js"
import { currentSink, listeners } from "./internal/http/responseSink.js"
import { classify, clip, MAX_IDENTIFIER, withRetries } from "./internal/http/classify.js"
import { MAX_MILLISECONDS } from "./internal/configSchema.js"
import { estimateInputTokens } from "./internal/rateLimiter/estimate.js"
import type * as MessageStream from "./MessageStream.js"
import * as ResponseMetadata from "./internal/responseMetadata.js"
import { connectionError, readError } from "./internal/http/transportErrors.js"
import * as RateLimiter from "./RateLimiter.js"
import * as UndiciHttpClient from "./internal/http/undici.js"

/**
 * What a caller may set for one call of the client.
 *
 * @since 0.2.0
 * @category models
 */
export interface CallOptions {
  /** Extra `anthropic-beta` values for this call. */
  readonly betas?: ReadonlyArray<string> | undefined
  /**
   * Extra headers for this call, names in any case. `authorization` and `x-api-key` are the credential's alone (a
   * caller's are dropped); an `anthropic-beta` is merged with the other betas.
   */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /**
   * This call's bound in place of `timeout_ms`, in milliseconds (1 to 2^31-1): each attempt, from sending until the
   * answer is complete (for a stream, until its first event).
   */
  readonly timeoutMs?: number | undefined
  /** This call's retries in place of `retry.max_retries` (0 to 100). */
  readonly maxRetries?: number | undefined
  /**
   * Called with the metadata of the call's answer (`request-id`, status, headers, the rate limits they report, the
   * limiter's wait) as soon as a 2xx answer arrives; for a call retried, with the answer that succeeded. The rate
   * limits are parsed only if read.
   */
  readonly onResponse?: ((response: ResponseMetadata.ResponseMetadata) => void) | undefined
}

/**
 * Only the call options of `options`: a caller (or code without types) cannot slip a path, method or body in
 * through them.
 *
 * @since 0.2.0
 * @category utils
 */
export const callOptionsOf = (options: CallOptions | undefined): CallOptions => {
  if (options === undefined) return {}
  const out: { -readonly [K in keyof CallOptions]: CallOptions[K] } = {}
  if (options.betas !== undefined) out.betas = options.betas
  if (options.headers !== undefined) out.headers = options.headers
  if (options.timeoutMs !== undefined) out.timeoutMs = options.timeoutMs
  if (options.maxRetries !== undefined) out.maxRetries = options.maxRetries
  if (typeof options.onResponse === "function") out.onResponse = options.onResponse
  return out
}

/**
 * One API request.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestOptions extends CallOptions {
  /** Default `POST`. */
  readonly method?: "GET" | "POST" | "DELETE" | undefined
  /** Path under `base_url`, e.g. `/v1/messages`. Path parameters must already be encoded (see {@link pathOf}). */
  readonly path: string
  /** Query parameters; `undefined` values are left out, a list becomes the parameter repeated. */
  readonly query?: Readonly<Record<string, string | number | boolean | ReadonlyArray<string> | undefined>> | undefined
  /** JSON body (POST); serialized once, by the first attempt, and reused by the retries. */
  readonly body?: unknown
  /**
   * A body that is not JSON (a multipart upload), made afresh for each attempt: a retry sends it again from its
   * start. Takes the place of `body`.
   */
  readonly rawBody?: Effect.Effect<HttpBody.HttpBody, ApiError> | undefined
  /**
   * A Messages request: before each attempt the rate limiter reserves one request, the body's estimated input
   * tokens and `maxTokens` of output for `model`, corrected from the answer's `usage` (a failed attempt gives its
   * tokens back). Without it an attempt takes only a request slot.
   */
  readonly meter?: { readonly model: string | undefined; readonly maxTokens: number } | undefined
  /**
   * Which failures are retried: `all` the retryable ones (the default), or only those after which the request surely
   * was not carried out (`unprocessed`: a 429, a 529 overload), for requests that must not happen twice (creating a
   * batch, uploading a file, deleting).
   */
  readonly retry?: "all" | "unprocessed" | undefined
  /** Why the body could not be sent, when it was its source that failed (then no retry): see `Files`. */
  readonly bodyFailure?: (() => ApiError | undefined) | undefined
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
  scope: Scope.CloseableScope | undefined,
  charge: Charge
) => Effect.Effect<A, ApiError>

/**
 * An attempt's rate-limit reservation, settled from what the answer used (see {@link RequestOptions.meter}).
 *
 * @since 0.2.0
 * @category models
 */
export interface Charge {
  /** Settles from what the answer used; `undefined`: nothing (a failed attempt). Once: later calls do nothing. */
  readonly settle: (usage: { readonly inputTokens: number; readonly outputTokens: number } | undefined) => Effect.Effect<void>
  /** Settles as reserved: an answer that says nothing of its usage was still carried out (and charged). */
  readonly settleAsReserved: Effect.Effect<void>
  /** Milliseconds the call has waited for the rate limiter, every attempt so far. */
  readonly waitedMs: number
}

/** What an answer's `usage` counts against the limits: input tokens and cache writes, output tokens. */
export const chargedUsage = (usage: unknown): { inputTokens: number; outputTokens: number } | undefined => {
  if (typeof usage !== "object" || usage === null) return undefined
  const u = usage as Record<string, unknown>
  const n = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0)
  return { inputTokens: n(u.input_tokens) + n(u.cache_creation_input_tokens), outputTokens: n(u.output_tokens) }
}

/**
 * What a {@link Decode} needs to read a streamed body: who asked, and the idle watchdog's hooks.
 *
 * @since 0.2.0
 * @category models
 */
export interface BodyReader {
  readonly credential: CredentialKind
  readonly requestId: string | undefined
  /** Call for every chunk of bytes as it is read (the idle watchdog's heartbeat). */
  readonly onBytes: () => void
  /** Call each time the reader starts waiting for more bytes: only then is silence the server's. */
  readonly onWaiting: () => void
  /** The error for bytes that failed (their cause) or ended early (`undefined`): idle, first-event or truncated. */
  readonly broken: (cause: Cause.Cause<unknown> | undefined) => StreamError
  /** Record what the answer has used so far (an event's `usage`): the reservation is settled with it at the end. */
  readonly used: (usage: { readonly inputTokens?: number; readonly outputTokens?: number }) => void
}

/**
 * Turns a 2xx answer's body into the elements of a {@link Service.stream}.
 *
 * @since 0.2.0
 * @category models
 */
export type Decode<A> = (
  body: Stream.Stream<Uint8Array, HttpClientError.ResponseError>,
  reader: BodyReader
) => Stream.Stream<A, ApiError>

/**
 * A {@link Decode} on pulls: given the body's pull, the pull of the stream's elements. The client's own decoders are
 * this (no Stream between the bytes and the elements: each Stream layer runs a channel executor per chunk); make one
 * with {@link pullDecode}.
 *
 * @since 0.2.0
 * @category models
 */
export interface PullDecode<A> {
  readonly _tag: "PullDecode"
  readonly decode: (body: UndiciHttpClient.Pull, reader: BodyReader) => MessageStream.Pull<A, ApiError>
}

/**
 * @since 0.2.0
 * @category constructors
 */
export const pullDecode = <A>(decode: PullDecode<A>["decode"]): PullDecode<A> => ({ _tag: "PullDecode", decode })

/**
 * A body's bytes as they arrive, with the watchdog's hooks called around each read and a failure of the connection
 * (or the watchdog's abort) as the reader's `StreamError`: the {@link Decode} of a download.
 *
 * @since 0.2.0
 * @category utils
 */
export const watchedBytes: Decode<Uint8Array> = (body, reader) =>
  Stream.fromPull(Effect.map(Stream.toPull(body), (pull) =>
    Effect.suspend(() => {
      reader.onWaiting()
      return Effect.matchEffect(pull, {
        onFailure: Option.match({
          onNone: () => Effect.fail(Option.none()),
          onSome: (error) => Effect.fail(Option.some(reader.broken(Cause.fail(error))))
        }),
        onSuccess: (chunk) => {
          reader.onBytes()
          return Effect.succeed(chunk)
        }
      })
    })))

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
  /** {@link json}, with the answer's metadata (request id, headers, rate limits). */
  readonly jsonWithResponse: (
    options: RequestOptions
  ) => Effect.Effect<{ readonly json: unknown; readonly response: ResponseMetadata.ResponseMetadata }, ApiError>
  /**
   * A streamed answer (SSE events, a file's bytes, JSON lines): the request is retried like {@link execute} until
   * its first element has been read, so a failure before anything was delivered (an error answer, a broken or
   * silent start, an `event: error` first) is retried as the same HTTP answer would be; after that nothing is. The
   * first element is due within `timeout_ms` of the answer; later, no bytes for `stream_idle_timeout_ms` fail the
   * stream with `StreamError { reason: "idle_timeout" }` (the clock runs only while the reader waits on the
   * connection). Ending or interrupting the stream aborts the request.
   */
  readonly stream: <A>(
    options: Omit<RequestOptions, "scope"> & {
      /** What the body must reach to be complete, for messages (`message_stop`). */
      readonly endOfBody?: string | undefined
    },
    decode: Decode<A> | PullDecode<A>
  ) => Stream.Stream<A, ApiError>
  /**
   * {@link stream}, started: the request is sent and retried until its first element, and the answer's metadata
   * comes with its elements, which live as long as the scope (or until they are read to their end): as a `stream`,
   * and as a `pull` for a loop that wants no Stream around it (read one of them, not both).
   */
  readonly streamWithResponse: <A>(
    options: Omit<RequestOptions, "scope"> & { readonly endOfBody?: string | undefined },
    decode: Decode<A> | PullDecode<A>
  ) => Effect.Effect<StartedStream<A>, ApiError, Scope.Scope>
}

/**
 * A started stream ({@link Service.streamWithResponse}): its elements, and the answer's metadata.
 *
 * @since 0.2.0
 * @category models
 */
export interface StartedStream<A> {
  readonly stream: Stream.Stream<A, ApiError>
  /** The same elements a chunk at a time, failing with `None` at the end. */
  readonly pull: MessageStream.Pull<A, ApiError>
  readonly response: ResponseMetadata.ResponseMetadata
}

/**
 * @since 0.1.0
 * @category tags
 */
export class AnthropicHttpClient extends Context.Tag("effect-anthropic/AnthropicHttpClient")<
  AnthropicHttpClient,
  Service
>() {}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * An attempt's reservation as a {@link Charge}, settled exactly once: every attempt is settled (its place among the
 * requests in flight is freed then), and a stream's attempt interrupted after its first event (another client's
 * exchange runs in a fiber of its own, which may have finished) gives the reservation back while its request's scope,
 * closing, would settle it again.
 */
const chargeOf = (reservation: RateLimiter.Reservation, reserved: RateLimiter.Usage | undefined, waitedMs: number): Charge => {
  let settled = false
  const settle = (usage: RateLimiter.Usage | undefined) =>
    Effect.suspend(() => {
      if (settled) return Effect.void
      settled = true
      return reservation.settle(usage)
    })
  return {
    settle,
    // Made only when asked for: most answers say what they used.
    get settleAsReserved() {
      return settle(reserved)
    },
    waitedMs
  }
}

/**
 * A path with its parameters encoded: `pathOf("/v1/files/", id)` never lets an id such as `../x` or `a?b` reach
 * another route, and refuses an empty one (which would name the collection instead of an item).
 *
 * @since 0.2.0
 * @category utils
 */
export const pathOf = (
  template: TemplateStringsArray,
  ...params: ReadonlyArray<string>
): Either.Either<string, Other> => {
  let out = template[0]!
  for (let i = 0; i < params.length; i++) {
    const param = params[i]!
    if (typeof param !== "string" || param === "" || param === "." || param === ".." || LONE_SURROGATE.test(param)) {
      // `.` and `..` would be resolved as path segments; a lone surrogate cannot be encoded.
      return Either.left(invalidRequest(`an id in ${template.join("{id}")} is empty, ".", "..", not a string or not valid text`))
    }
    out += encodeURIComponent(param) + template[i + 1]!
  }
  return Either.right(out)
}

/** A request refused before sending: the caller's mistake, said in one line, never quoting secrets. */
export const invalidRequest = (why: string): Other =>
  new Other({ status: 0, errorType: "invalid_request", apiMessage: why, retryable: false })

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
const encodeBody = (params: unknown, metered: boolean): Either.Either<{ body: HttpBody.HttpBody; inputTokens: number }, Other> =>
  Either.map(
    jsonText(params, "the request params"),
    (text) => ({ body: HttpBody.text(text, "application/json"), inputTokens: metered ? estimateInputTokens(text) : 0 })
  )

/**
 * `value` as JSON text, or an `Other` (`invalid_request`) saying in our own words why JSON cannot carry it (its own
 * messages name properties of the value). `what` names the value in the message.
 *
 * @since 0.2.0
 * @category utils
 */
export const jsonText = (value: unknown, what: string): Either.Either<string, Other> => {
  try {
    const text = JSON.stringify(value)
    return text === undefined
      ? Either.left(invalidRequest(`${what} cannot be sent as JSON: they are not a JSON value (undefined, a function or a symbol)`))
      : Either.right(text)
  } catch (cause) {
    return Either.left(invalidRequest(`${what} cannot be sent as JSON: ${whyNotJson(cause)}`))
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

/** Per-call `timeoutMs` / `maxRetries` out of range: refused before anything is sent. */
const checkCallOptions = (options: RequestOptions): Other | undefined => {
  const { maxRetries, timeoutMs } = options
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs >= 1 && timeoutMs <= MAX_MILLISECONDS)) {
    return invalidRequest(`options.timeoutMs must be a number of milliseconds from 1 to ${MAX_MILLISECONDS}`)
  }
  if (maxRetries !== undefined && !(Number.isInteger(maxRetries) && maxRetries >= 0 && maxRetries <= 100)) {
    return invalidRequest("options.maxRetries must be a whole number from 0 to 100")
  }
  return undefined
}

/** The query string of {@link RequestOptions.query}, with its `?`, or "". */
const queryString = (query: RequestOptions["query"]): string => {
  if (query === undefined) return ""
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue
    if (Array.isArray(value)) for (const item of value) params.append(key, item)
    else params.append(key, String(value))
  }
  const text = params.toString()
  return text === "" ? "" : `?${text}`
}

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
): Effect.Effect<Service, never, HttpClient.HttpClient | Credentials | RateLimiter.RateLimiter | AnthropicConfig> =>
  Effect.gen(function*() {
    const settings = yield* AnthropicConfig
    const credentials = yield* Credentials
    const limiter = yield* RateLimiter.RateLimiter
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
          clock.unsafeCurrentTimeMillis(),
          response.status === 429 ? response.headers : undefined
        )
        if (error._tag === "CredentialInvalid" && error.reason === "rejected") {
          return Effect.zipRight(credentials.markStale(auth), Effect.fail(error))
        }
        // Every call of the client waits out a 429 that will be retried, not only the one that got it.
        if (error._tag === "RateLimit" && error.retryable && error.retryAfterMs <= settings.maxRetryAfterMs) {
          return Effect.zipRight(limiter.pause(error.retryAfterMs), Effect.fail(error))
        }
        return Effect.fail(error)
      })

    /** A 2xx answer, recorded for `AnthropicClient.withResponse` when the fiber listens. */
    const recorded = <X, E>(
      response: HttpClientResponse.HttpClientResponse,
      waitedMs: number,
      onResponse: CallOptions["onResponse"],
      read: Effect.Effect<X, E>
    ) => {
      if (onResponse !== undefined) onResponse(ResponseMetadata.fromHeaders(response.status, response.headers, waitedMs))
      return listeners.count === 0 ? read : Effect.withFiberRuntime<X, E>((fiber) => {
        const sink = fiber.getFiberRef(currentSink)
        if (sink !== undefined) sink.last = { status: response.status, headers: response.headers, waitedMs }
        return read
      })
    }

    const adaptive = limiter.description.adaptive

    const timeoutDetailOf = (ms: number) =>
      ms === settings.timeoutMs ? timeoutDetail : `no complete answer within the call's timeoutMs (${ms} ms)`

    const execute = <A>(options: RequestOptions, read: Read<A>): Effect.Effect<A, ApiError> => {
      const refused = checkCallOptions(options)
      if (refused !== undefined) return Effect.fail(refused)
      const method = options.method ?? "POST"
      const url = settings.baseUrl + options.path + queryString(options.query)
      const description = `${method} ${url}`
      const timeoutMs = options.timeoutMs ?? settings.timeoutMs
      const detail = timeoutDetailOf(timeoutMs)
      // Encoded by the first attempt and reused by the retries; not here, where params JSON cannot write (a BigInt,
      // a cycle) would throw out of the call that builds the Effect instead of failing it.
      let body: Either.Either<{ body: HttpBody.HttpBody; inputTokens: number }, Other> | undefined
      const meter = options.meter
      const toConnectionError = (error: HttpClientError.HttpClientError) => connectionError(description, error, detail)
      // Written as plain flatMaps, not Effect.gen: this runs for every call and a generator costs microseconds.
      const sendBody = (
        auth: AuthHeaders,
        scope: Scope.CloseableScope | undefined,
        payload: HttpBody.HttpBody,
        charge: Charge
      ) => {
        const request = HttpClientRequest.make(method)(url, { headers: headersFor(auth, options), body: payload })
        const sent = scope === undefined
          ? http.execute(request)
          : Effect.provideService(scopedHttp.execute(request), Scope.Scope, scope)
        return Effect.matchEffect(sent, {
          // A body that failed to be read (a file, a caller's stream) is the caller's problem, not the network's.
          onFailure: (error) => Effect.fail(options.bodyFailure?.() ?? toConnectionError(error)),
          onSuccess: (response) => {
            const answered = response.status >= 200 && response.status < 300
              ? recorded(response, charge.waitedMs, options.onResponse, read(response, auth, scope, charge))
              : failed(response, auth)
            // The API's word on the limits, from every answer (adaptive limiting); nothing to learn is the common case.
            const learned = adaptive ? limiter.observeHeaders(meter?.model, response.headers) : Effect.void
            return learned === Effect.void ? answered : Effect.zipRight(learned, answered)
          }
        })
      }
      const sendWith = (auth: AuthHeaders, _: undefined, payload: HttpBody.HttpBody, charge: Charge) =>
        parentScope === undefined ? sendBody(auth, undefined, payload, charge) : Effect.flatMap(
          Scope.fork(parentScope, ExecutionStrategy.sequential),
          (forked) => Effect.onError(sendBody(auth, forked, payload, charge), (cause) => Scope.close(forked, Exit.failCause(cause)))
        )
      const parentScope = options.scope
      const bound = <X, E>(send: Effect.Effect<X, E | ConnectionError>): Effect.Effect<X, E | ConnectionError> =>
        bounded
          ? options.timeoutMs === undefined ? send : UndiciHttpClient.withTimeout(send, timeoutMs)
          : Effect.timeoutFail(send, {
            duration: timeoutMs,
            onTimeout: () => new ConnectionError({ reason: "timeout", request: description, detail })
          })
      // What this call has waited for the limiter, every attempt (for its response metadata).
      let waitedMs = 0
      /** One attempt: a reservation (outside the timeout: waiting for the budget is not the server being slow), then the request. */
      const attemptWith = (payload: HttpBody.HttpBody, inputTokens: number) => {
        const cost = meter === undefined ? undefined : { model: meter.model, inputTokens, outputTokens: meter.maxTokens }
        // The bound is on the exchange only, never on `authorize`: a refresh it starts is shared by every caller
        // and must keep `timeout_ms`, whatever bound this one call has (a refresh cut short can lose the token).
        return Effect.flatMap(limiter.admit(cost), (reservation) => {
          waitedMs += reservation.waitedMs
          const charge = chargeOf(reservation, cost, waitedMs)
          return Effect.onError(
            Effect.flatMap(credentials.authorize, (auth) => bound(sendWith(auth, undefined, payload, charge))),
            () => charge.settle(undefined)
          )
        })
      }
      const attempt: Effect.Effect<A, ApiError> = options.rawBody !== undefined
        ? Effect.flatMap(options.rawBody, (payload) => attemptWith(payload, 0))
        : options.body === undefined
        ? attemptWith(HttpBody.empty, 0)
        : Effect.suspend(() => {
          const encoded = body ??= encodeBody(options.body, meter !== undefined)
          return Either.isLeft(encoded) ? Effect.fail(encoded.left) : attemptWith(encoded.right.body, encoded.right.inputTokens)
        })
      // The settings themselves unless this call has its own (no object per call for the common case).
      const retries = options.maxRetries === undefined && options.retry !== "unprocessed" ? settings : {
        ...settings,
        ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }),
        ...(options.retry === "unprocessed" ? { only: surelyUnprocessed } : {})
      }
      return withRetries(attempt, retries)
    }

    const readJson = (options: RequestOptions) =>
    (response: HttpClientResponse.HttpClientResponse, charge: Charge): Effect.Effect<unknown, ApiError> => {
      const description = () => `${response.request.method} ${response.request.url}`
      return Effect.matchEffect(response.text, {
        onFailure: (error) =>
          Effect.fail(readError(description(), response, error, timeoutDetailOf(options.timeoutMs ?? settings.timeoutMs))),
        onSuccess: (text) => {
          let json: unknown
          try {
            json = JSON.parse(text)
          } catch {
            return Effect.fail(
              new Other({
                status: response.status,
                errorType: "invalid_response",
                apiMessage: `the answer to ${description()} is not JSON`,
                requestId: clip(response.headers["request-id"], MAX_IDENTIFIER),
                retryable: false
              })
            )
          }
          const used = options.meter === undefined ? undefined : chargedUsage((json as { usage?: unknown } | null)?.usage)
          // An answer without usage was still processed (and charged): its reservation stands as estimated.
          return Effect.as(used === undefined ? charge.settleAsReserved : charge.settle(used), json)
        }
      })
    }

    const json = (options: RequestOptions) => {
      const read = readJson(options)
      return execute(options, (response, _auth, _scope, charge) => read(response, charge))
    }

    const jsonWithResponse = (options: RequestOptions) => {
      const read = readJson(options)
      return execute(options, (response, _auth, _scope, charge) =>
        Effect.map(read(response, charge), (json) => ({
          json,
          response: ResponseMetadata.fromHeaders(response.status, response.headers, charge.waitedMs)
        })))
    }

    const started = <A>(
      options: Omit<RequestOptions, "scope"> & { readonly endOfBody?: string | undefined },
      decode: Decode<A> | PullDecode<A>,
      streamScope: Scope.Scope
    ) =>
      // Each attempt's request gets a scope forked from the stream's: the stream's end closes it, and so does the
      // idle watchdog, which aborts a response whose body stays silent.
      execute({ ...options, scope: streamScope }, (response, auth, requestScope, charge) =>
        Effect.map(readStream(response, auth, requestScope!, options, decode, charge), (read) => ({
          ...read,
          response,
          waitedMs: charge.waitedMs
        })))

    const stream = <A>(
      options: Omit<RequestOptions, "scope"> & { readonly endOfBody?: string | undefined },
      decode: Decode<A> | PullDecode<A>
    ): Stream.Stream<A, ApiError> =>
      Stream.unwrapScoped(Effect.flatMap(Effect.scope, (streamScope) =>
        Effect.map(started(options, decode, streamScope), (s) => s.stream)))

    const streamWithResponse = <A>(
      options: Omit<RequestOptions, "scope"> & { readonly endOfBody?: string | undefined },
      decode: Decode<A> | PullDecode<A>
    ) =>
      Effect.flatMap(Effect.scope, (streamScope) =>
        Effect.map(started(options, decode, streamScope), ({ pull, response, stream, waitedMs }) => ({
          stream,
          pull,
          response: ResponseMetadata.fromHeaders(response.status, response.headers, waitedMs)
        })))

    const readStream = <A>(
      response: HttpClientResponse.HttpClientResponse,
      auth: AuthHeaders,
      scope: Scope.CloseableScope,
      options: { readonly timeoutMs?: number | undefined; readonly endOfBody?: string | undefined },
      decode: Decode<A> | PullDecode<A>,
      charge: Charge
    ): Effect.Effect<Omit<StartedStream<A>, "response">, ApiError> =>
      Effect.suspend(() => {
        // What the answer has used, from its events; the reservation is settled with it when the request is released.
        let inputTokens: number | undefined
        let outputTokens: number | undefined
        const requestId = clip(response.headers["request-id"], MAX_IDENTIFIER)
        const timeoutMs = options.timeoutMs ?? settings.timeoutMs
        const idleMs = settings.streamIdleTimeoutMs
        const end = options.endOfBody === undefined ? "the body was complete" : options.endOfBody
        // The idle clock runs only while the client waits on the connection (from a read until its bytes): a
        // consumer that takes its time is not the server going silent.
        let waitingSince: number | undefined = clock.unsafeCurrentTimeMillis()
        // The first element is due within timeout_ms of the answer, however many pings come before it.
        let firstBy: number | undefined = clock.unsafeCurrentTimeMillis() + timeoutMs
        let ended: "idle" | "no_first_event" | undefined
        // Closing the scope aborts a read of this client's answers. Another client's read is failed through `stopped`
        // instead (closing its scope left a silent body waited on forever, or ended it as if it were complete); its
        // request is aborted when the failure has closed the scope.
        const stopped = Deferred.unsafeMake<never, HttpClientError.ResponseError>(FiberId.none)
        const endsWithScope = UndiciHttpClient.readEndsWithScope(response)
        const body = () => endsWithScope ? response.stream : Stream.interruptWhenDeferred(response.stream, stopped)
        const stop = (why: string) =>
          endsWithScope ? Scope.close(scope, Exit.void) : Deferred.fail(
            stopped,
            new HttpClientError.ResponseError({ request: response.request, response, reason: "Decode", cause: new Cause.TimeoutException(why) })
          )
        // One fiber beside the stream instead of a timer per read: reads only stamp the time.
        const watchdog: Effect.Effect<void> = Effect.suspend(() => {
          const now = clock.unsafeCurrentTimeMillis()
          const idleLeft = waitingSince === undefined ? idleMs : idleMs - (now - waitingSince)
          const firstLeft = firstBy === undefined ? Infinity : firstBy - now
          if (idleLeft > 0 && firstLeft > 0) return Effect.zipRight(Effect.sleep(Math.min(idleLeft, firstLeft)), watchdog)
          ended = idleLeft <= 0 ? "idle" : "no_first_event"
          return stop(ended === "idle" ? "the body went silent" : "no first element in time")
        })
        const reader: BodyReader = {
          credential: auth.kind,
          requestId,
          onBytes: () => {
            waitingSince = undefined
          },
          onWaiting: () => {
            waitingSince = clock.unsafeCurrentTimeMillis()
          },
          broken: (cause) =>
            ended !== undefined
              ? new StreamError({
                reason: "idle_timeout",
                detail: ended === "idle"
                  ? `no bytes for stream_idle_timeout_ms (${idleMs} ms)`
                  : `nothing within ${options.timeoutMs === undefined ? "timeout_ms" : "the call's timeoutMs"} (${timeoutMs} ms) of the answer`,
                requestId
              })
              : new StreamError({
                reason: "truncated",
                detail: cause === undefined
                  ? `the connection closed before ${end}`
                  : `the connection broke: ${causeText(cause)}`,
                requestId
              }),
          used: (usage) => {
            if (usage.inputTokens !== undefined) inputTokens = usage.inputTokens
            if (usage.outputTokens !== undefined) outputTokens = usage.outputTokens
          }
        }
        const settle = Effect.suspend(() =>
          charge.settle(
            inputTokens === undefined && outputTokens === undefined
              ? undefined
              : { inputTokens: inputTokens ?? 0, outputTokens: outputTokens ?? 0 }
          )
        )
        const description = `${response.request.method} ${response.request.url}`
        return Effect.gen(function*() {
          yield* Effect.forkIn(watchdog, scope)
          // The first elements are read inside the attempt: a failure before anything was delivered is retried.
          const pull = typeof decode === "function"
            ? yield* Scope.extend(Stream.toPull(decode(body(), reader)), scope)
            : decode.decode(
              yield* Scope.extend(endsWithScope ? UndiciHttpClient.toPull(response) : Stream.toPull(body()), scope),
              reader
            )
          // Until a chunk that holds something: a decoder may hand out empty chunks (a read that completed no line).
          const pullSome: Effect.Effect<Chunk.Chunk<A> | undefined, ApiError> = Effect.flatMap(
            Effect.catchAll(pull, Option.match({
              onNone: () => Effect.succeed(undefined),
              onSome: (error) => Effect.fail(retryableBeforeStart(error, description))
            })),
            (chunk) => (chunk !== undefined && Chunk.isEmpty(chunk) ? pullSome : Effect.succeed(chunk))
          )
          const first = yield* pullSome
          firstBy = undefined
          // The reservation is settled when the request is released, once however many runs read the stream, and
          // whether they read it to its end or not (an attempt interrupted from here has settled it already).
          yield* Scope.addFinalizer(scope, settle)
          // A read that reaches the end or fails releases the request (and its watchdog) at once, even when the scope
          // lives on (`streamWithResponse`); a run stopped early leaves it to the next run or the scope.
          const release = Scope.close(scope, Exit.void)
          if (first === undefined) yield* release
          // A read given up on (a timeout, a race) leaves nobody waiting on the connection: the idle clock stops.
          const stopWaiting = Effect.sync(() => {
            waitingSince = undefined
          })
          const rest = Effect.onError(pull, (cause) => Cause.isInterruptedOnly(cause) ? stopWaiting : release)
          let firstTaken = false
          return {
            stream: first === undefined
              ? Stream.empty
              : Stream.concat(Stream.fromChunk(first), Stream.repeatEffectChunkOption(rest)),
            pull: first === undefined ? Effect.fail(Option.none()) : Effect.suspend(() => {
              if (firstTaken) return rest
              firstTaken = true
              return Effect.succeed(first)
            })
          }
        })
      })

    return { execute, json, jsonWithResponse, stream, streamWithResponse }
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
  HttpClient.HttpClient | Credentials | RateLimiter.RateLimiter | AnthropicConfig
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
export const layer: Layer.Layer<AnthropicHttpClient, never, Credentials | RateLimiter.RateLimiter | AnthropicConfig> = Layer
  .unwrapEffect(
    Effect.map(AnthropicConfig, (settings) =>
      layerWithoutHttpClient(undiciOptions).pipe(
        Layer.provide(UndiciHttpClient.layerWith({ timeout: settings.timeoutMs }))
      ))
  )

/** A 429 or an overload: the API did not carry the request out, so even a request that must not run twice may be retried. */
const surelyUnprocessed = (error: ApiError): boolean =>
  error._tag === "RateLimit" || (error._tag === "ServerError" && error.status === 529)

/**
 * A failure before anything was delivered is retried as a whole call would retry it: an error event as the same
 * HTTP answer (`overloaded_error` as a 529, `api_error` as a 500, `rate_limit_error` as a 429), a connection that
 * breaks or goes silent (or sends only pings) as a `ConnectionError`.
 */
const retryableBeforeStart = (error: ApiError, request: string): ApiError => {
  switch (error._tag) {
    case "ServerError":
      return new ServerError({ ...error, retryable: true })
    case "RateLimit":
      return error.spendLimitReached ? error : new RateLimit({ ...error, retryable: true })
    case "StreamError":
      return error.reason === "malformed"
        ? error
        : new ConnectionError({
          reason: error.reason === "idle_timeout" ? "timeout" : "transport",
          request,
          detail: `before the first event: ${error.detail}`
        })
    default:
      return error
  }
}
