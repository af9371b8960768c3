/**
 * The HTTP client itself, composed of the pieces beside it: each attempt admitted by the rate limiter (outside the
 * timeout: waiting for budget is not the server being slow), authorized by the credential, sent with its headers
 * (`request.ts`), bounded by `timeout_ms`, classified when not 2xx (`classify.ts`: a 401 marks the token stale, a
 * retryable 429 pauses every call), metered (`metering.ts`), read as JSON or as a stream (`streamBody.ts`), and
 * retried by the policy (`classify.ts`).
 */
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as HttpBody from "effect/http/HttpBody"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Result from "effect/Result"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { AuthHeaders } from "../credentials/authHeaders.js"
import { type ApiError, type CallError, ConnectionError, type InvalidRequest, Other } from "../errors.js"
import * as ResponseMetadata from "../responseMetadata.js"
import { classify } from "../apiErrors.js"
import { clip, MAX_IDENTIFIER } from "../clip.js"
import { withRetries } from "./retry.js"
import { chargedUsage, chargeOf, recorded } from "./metering.js"
import { encodeBody } from "./jsonBody.js"
import { checkCallOptions, makeHeaders, queryString } from "./request.js"
import { makeStreamReader } from "./streamBody.js"
import { connectionError, readError } from "./transportErrors.js"
import type {
  Charge,
  Decode,
  HttpCredentials,
  HttpLimiter,
  HttpSettings,
  Options,
  PullDecode,
  Read,
  RequestOptions,
  Service
} from "./types.js"
import { traceAttempt } from "../telemetry/attempt.js"
import * as Deadlines from "./deadlines.js"
import { executeWholeOf } from "./executeWhole.js"

/** The platform client in context, by the tag loaded with this module. */
export const platformClient: Effect.Effect<HttpClient.HttpClient, never, HttpClient.HttpClient> = Effect.service(HttpClient.HttpClient)

/** What the client is made of. */
export interface Dependencies {
  readonly settings: HttpSettings
  readonly credentials: HttpCredentials
  readonly limiter: HttpLimiter
  readonly client: HttpClient.HttpClient
  readonly clock: Clock.Clock
  readonly options: Options
}

/** A non-2xx answer as its tagged error: a 401/403 marks the token stale; a retryable 429 pauses every call. */
const failedWith = ({ clock, credentials, limiter, settings }: Dependencies) =>
(
  response: HttpClientResponse.HttpClientResponse,
  auth: AuthHeaders
): Effect.Effect<never, CallError> =>
  Effect.flatMap(Effect.orElseSucceed(response.text, () => ""), (text) => {
    const error = classify(
      response.status,
      (name) => response.headers[name],
      text,
      auth.kind,
      clock.currentTimeMillisUnsafe(),
      response.status === 429 ? response.headers : undefined
    )
    if (error._tag === "CredentialInvalid" && error.reason === "rejected") {
      return Effect.andThen(credentials.markStale(auth), Effect.fail(error))
    }
    // Every call of the client waits out a 429 that will be retried, not only the one that got it.
    if (error._tag === "RateLimit" && error.retryable && error.retryAfterMs <= settings.maxRetryAfterMs) {
      return Effect.andThen(limiter.pause(error.retryAfterMs), Effect.fail(error))
    }
    return Effect.fail(error)
  })

/** An event on the current span, if there is one. */
const spanEvent = (name: string, attributes: Record<string, unknown>): Effect.Effect<void> =>
  Effect.ignore(Effect.flatMap(Effect.currentSpan, (span) =>
    Effect.clockWith((clock) => Effect.sync(() => span.event(name, clock.currentTimeNanosUnsafe(), attributes)))))

/** What every call of one client shares: its `HttpClient`s, header maker and classification, made once. */
const makeShared = (deps: Dependencies) => {
  const { settings } = deps
  // Trace header propagation is the `TracerPropagationEnabled` reference.
  const http = deps.options.traceHeaders === "client"
    ? deps.client
    : HttpClient.transformResponse(deps.client, Effect.provideService(HttpClient.TracerPropagationEnabled, false))
  const timeoutDetail = `no complete answer within timeout_ms (${settings.timeoutMs} ms)`
  return {
    http,
    scopedHttp: HttpClient.withScope(http),
    executeWhole: executeWholeOf(http),
    headersFor: makeHeaders(settings),
    failed: failedWith(deps),
    adaptive: deps.limiter.description.adaptive,
    timeoutDetailOf: (ms: number) =>
      ms === settings.timeoutMs ? timeoutDetail : `no complete answer within the call's timeoutMs (${ms} ms)`
  }
}

/**
 * Each attempt bounded by its timeout: by the `HttpClient` itself when it says it can (`timeout: "client"`, which
 * bounds `timeout_ms` already and takes a call's own `timeoutMs` from `withTimeout`), else by `Effect.timeoutOrElse`.
 */
const boundedBy = (deps: Dependencies, options: RequestOptions, timeoutMs: number, description: string, detail: string) =>
<X, E>(send: Effect.Effect<X, E | ConnectionError>): Effect.Effect<X, E | ConnectionError> =>
  deps.options.timeout === "client"
    ? options.timeoutMs === undefined ? send : Deadlines.withTimeout(send, timeoutMs)
    : Effect.timeoutOrElse(send, {
      duration: timeoutMs,
      orElse: () => Effect.fail(new ConnectionError({ reason: "timeout", request: description, detail }))
    })

/** The retry settings of one call: the client's unless the call has its own (no object per call for the common case). */
const retriesOf = (settings: HttpSettings, options: RequestOptions) =>
  options.maxRetries === undefined && options.retry !== "unprocessed" ? settings : {
    ...settings,
    ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }),
    ...(options.retry === "unprocessed" ? { only: surelyUnprocessed } : {})
  }

/**
 * `execute`: a request sent until it gets a 2xx answer or the retry policy gives up, its answer read by `read` inside
 * the same attempt. Written as plain flatMaps, not Effect.gen: this runs for every call and a generator costs
 * microseconds.
 */
const makeExecute = (deps: Dependencies): Service["execute"] => {
  const { credentials, limiter, settings } = deps
  const { adaptive, executeWhole, failed, headersFor, scopedHttp, timeoutDetailOf } = makeShared(deps)
  return <A, E extends ApiError = ApiError>(options: RequestOptions, read: Read<A, E>): Effect.Effect<A, E | CallError> => {
    const refused = checkCallOptions(options)
    if (refused !== undefined) return Effect.fail(refused)
    const method = options.method ?? "POST"
    const url = settings.baseUrl + options.path + queryString(options.query)
    const description = `${method} ${url}`
    const timeoutMs = options.timeoutMs ?? settings.timeoutMs
    const detail = timeoutDetailOf(timeoutMs)
    const bound = boundedBy(deps, options, timeoutMs, description, detail)
    const { meter, scope: parentScope } = options
    // The status of the last answer and the number of attempts so far, for each attempt's span when traced.
    let lastStatus: number | undefined
    let attempts = 0
    const sendIn = (auth: AuthHeaders, scope: Scope.Closeable | undefined, payload: HttpBody.HttpBody, charge: Charge): Effect.Effect<A, E | CallError> => {
      const request = HttpClientRequest.make(method)(url, { headers: headersFor(auth, options), body: payload })
      // Without a scope, `timeout_ms` bounds the read as well (a JSON call): a client may read a small body with the head.
      const sent = scope === undefined
        ? executeWhole(request)
        : Effect.provideService(scopedHttp.execute(request), Scope.Scope, scope)
      return Effect.matchEffect(sent, {
        // A body that failed to be read (a file, a caller's stream) is the caller's problem, not the network's.
        onFailure: (error) => Effect.fail(options.bodyFailure?.() ?? connectionError(description, error, detail)),
        onSuccess: (response) => {
          lastStatus = response.status
          const answered: Effect.Effect<A, E | CallError> = response.status >= 200 && response.status < 300
            ? recorded(response, charge.waitedMs, options.onResponse, read(response, auth, scope, charge))
            : failed(response, auth)
          // The API's word on the limits, from every answer (adaptive limiting); nothing to learn is the common case.
          const learned = adaptive ? limiter.observeHeaders(meter?.model, response.headers) : Effect.void
          return learned === Effect.void ? answered : Effect.andThen(learned, answered)
        }
      })
    }
    // With a scope to tie the request to, each attempt's request gets a scope of its own forked from it.
    const send = (auth: AuthHeaders, payload: HttpBody.HttpBody, charge: Charge) =>
      parentScope === undefined ? sendIn(auth, undefined, payload, charge) : Effect.flatMap(
        Scope.fork(parentScope, "sequential"),
        (forked) => Effect.onError(sendIn(auth, forked, payload, charge), (cause) => Scope.close(forked, Exit.failCause(cause)))
      )
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
        lastStatus = undefined
        const sent = traceAttempt(
          method,
          settings.baseUrl,
          url,
          attempts++,
          Effect.onError(
            Effect.flatMap(credentials.authorize, (auth) => bound(send(auth, payload, charge))),
            () => charge.settle(undefined)
          ),
          () => lastStatus
        )
        // A wait for the limiter shows on the call's span (the common case, no wait, costs nothing).
        return reservation.waitedMs > 0 ? Effect.andThen(spanEvent("rate_limiter.wait", { "effect_anthropic.rate_limiter.wait_ms": reservation.waitedMs }), sent) : sent
      })
    }
    // Encoded by the first attempt and reused by the retries; not before, where params JSON cannot write (a BigInt,
    // a cycle) would throw out of the call that builds the Effect instead of failing it.
    let body: Result.Result<{ body: HttpBody.HttpBody; inputTokens: number }, InvalidRequest> | undefined
    const attempt: Effect.Effect<A, E | CallError> = options.rawBody !== undefined
      ? Effect.flatMap(options.rawBody, (payload) => attemptWith(payload, 0))
      : options.body === undefined
      ? attemptWith(HttpBody.empty, 0)
      : Effect.suspend(() => {
        const encoded = body ??= encodeBody(options.body, meter !== undefined)
        return Result.isFailure(encoded) ? Effect.fail(encoded.failure) : attemptWith(encoded.success.body, encoded.success.inputTokens)
      })
    return withRetries(attempt, retriesOf(settings, options))
  }
}

/** Reads a 2xx answer as JSON, settling the reservation from its `usage`. */
const makeJsonReader = (settings: HttpSettings, timeoutDetailOf: (ms: number) => string) =>
(options: RequestOptions) =>
(response: HttpClientResponse.HttpClientResponse, charge: Charge): Effect.Effect<unknown, CallError> => {
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

/**
 * The client over its dependencies.
 */
export const make = (deps: Dependencies): Service => {
  const execute = makeExecute(deps)
  const readStream = makeStreamReader(deps.settings, deps.clock)
  const readJson = makeJsonReader(deps.settings, makeShared(deps).timeoutDetailOf)

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

  const started = <A>(options: StreamOptions, decode: Decode<A> | PullDecode<A>, streamScope: Scope.Scope) =>
    // Each attempt's request gets a scope forked from the stream's: the stream's end closes it, and so does the
    // idle watchdog, which aborts a response whose body stays silent.
    execute({ ...options, scope: streamScope }, (response, auth, requestScope, charge) =>
      Effect.map(readStream(response, auth, requestScope!, options, decode, charge), (read) => ({
        ...read,
        response,
        waitedMs: charge.waitedMs
      })))

  const stream = <A>(options: StreamOptions, decode: Decode<A> | PullDecode<A>): Stream.Stream<A, ApiError> =>
    Stream.unwrap(Effect.flatMap(Effect.scope, (streamScope) =>
      Effect.map(started(options, decode, streamScope), (s) => s.stream)))

  const streamWithResponse = <A>(options: StreamOptions, decode: Decode<A> | PullDecode<A>) =>
    Effect.flatMap(Effect.scope, (streamScope) =>
      Effect.map(started(options, decode, streamScope), ({ pull, response, stream, waitedMs }) => ({
        stream,
        pull,
        response: ResponseMetadata.fromHeaders(response.status, response.headers, waitedMs)
      })))

  return { execute, json, jsonWithResponse, stream, streamWithResponse }
}

/** A stream's request: no scope of the caller's (the stream has its own), and what its body must reach. */
type StreamOptions = Omit<RequestOptions, "scope"> & { readonly endOfBody?: string | undefined }

/** A 429 or an overload: the API did not carry the request out, so even a request that must not run twice may be retried. */
const surelyUnprocessed = (error: ApiError): boolean =>
  error._tag === "RateLimit" || (error._tag === "ServerError" && error.status === 529)
