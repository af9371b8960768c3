/**
 * The HTTP layer's vocabulary (the public `AnthropicHttpClient` module re-exports it): what a call may set, one
 * request, how an answer is read, a stream decoded and an attempt charged, and the service itself. Also what it needs
 * of the stack, written as shapes: the settings, the credentials and the rate limiter it uses.
 */
import type * as Cause from "effect/Cause"
import type * as Effect from "effect/Effect"
import type * as HttpBody from "effect/http/HttpBody"
import type * as HttpClientError from "effect/http/HttpClientError"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import type { AuthHeaders } from "../credentials/authHeaders.js"
import type { ApiError, CallError, CredentialKind, LoginRequired, RateLimit, RefreshFailed, StreamError } from "../errors.js"
import type { Cost, Reservation } from "../rateLimiter/limiter.js"
import type * as ResponseMetadata from "../responseMetadata.js"
import type { Pull } from "../stream/pull.js"
import type * as DirectPull from "./directPull.js"

/** What the HTTP layer reads of the settings. */
export interface HttpSettings {
  readonly baseUrl: string
  readonly anthropicVersion: string
  readonly betas: ReadonlyArray<string>
  readonly timeoutMs: number
  readonly streamIdleTimeoutMs: number
  readonly maxRetries: number
  readonly maxRetryAfterMs: number
}

/** What the HTTP layer uses of the credentials. */
export interface HttpCredentials {
  readonly authorize: Effect.Effect<AuthHeaders, LoginRequired | RefreshFailed>
  readonly markStale: (sent: AuthHeaders) => Effect.Effect<void>
}

/** What the HTTP layer uses of the rate limiter. */
export interface HttpLimiter {
  readonly admit: (cost: Cost | undefined) => Effect.Effect<Reservation, RateLimit>
  readonly observeHeaders: (model: string | undefined, headers: Readonly<Record<string, string>>) => Effect.Effect<void>
  readonly pause: (ms: number) => Effect.Effect<void>
  readonly description: { readonly adaptive: boolean }
}

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
  readonly rawBody?: Effect.Effect<HttpBody.HttpBody, CallError> | undefined
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
  readonly bodyFailure?: (() => CallError | undefined) | undefined
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
export type Read<A, E extends ApiError = ApiError> = (
  response: HttpClientResponse.HttpClientResponse,
  auth: AuthHeaders,
  scope: Scope.Closeable | undefined,
  charge: Charge
) => Effect.Effect<A, E>

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
  body: Stream.Stream<Uint8Array, HttpClientError.HttpClientError>,
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
  readonly decode: (body: DirectPull.Pull, reader: BodyReader) => Pull<A, ApiError>
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
  readonly execute: <A, E extends ApiError = ApiError>(options: RequestOptions, read: Read<A, E>) => Effect.Effect<A, E | CallError>
  /** {@link execute} reading the answer as JSON. */
  readonly json: (options: RequestOptions) => Effect.Effect<unknown, CallError>
  /** {@link json}, with the answer's metadata (request id, headers, rate limits). */
  readonly jsonWithResponse: (
    options: RequestOptions
  ) => Effect.Effect<{ readonly json: unknown; readonly response: ResponseMetadata.ResponseMetadata }, CallError>
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
  /** The same elements a chunk at a time, failing with `Cause.Done` at the end. */
  readonly pull: Pull<A, ApiError>
  readonly response: ResponseMetadata.ResponseMetadata
}

/**
 * How the client treats the `HttpClient` underneath.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * Who bounds each attempt by `timeout_ms`. `"attempt"` (the default): `Effect.timeoutOrElse` around each attempt,
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
