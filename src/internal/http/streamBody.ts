/**
 * Reading a streamed answer inside its attempt: the body's bytes decoded (by a `Decode` on a Stream, or a
 * `PullDecode` on pulls), the first element read before the attempt ends (so a failure before anything was
 * delivered is retried), and one watchdog fiber beside the stream for the two clocks a stream has: the first element
 * within `timeout_ms` of the answer, then no silence longer than `stream_idle_timeout_ms` while the reader waits on
 * the connection. The reservation is settled when the request is released.
 */
import type * as Arr from "effect/Array"
import * as Cause from "effect/Cause"
import * as Channel from "effect/Channel"
import type * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as HttpClientError from "effect/http/HttpClientError"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { causeText } from "../causeText.js"
import type { AuthHeaders } from "../credentials/authHeaders.js"
import { type ApiError, ConnectionError, RateLimit, ServerError, StreamError } from "../errors.js"
import { clip, MAX_IDENTIFIER } from "../clip.js"
import type { Pull } from "../stream/pull.js"
import type { BodyReader, Charge, Decode, HttpSettings, PullDecode, StartedStream } from "./types.js"
import * as DirectPull from "./directPull.js"

/** What an attempt's streamed answer is read with: its body, the reader's hooks, the watchdog, the settlement. */
interface Watched {
  readonly reader: BodyReader
  /** The one fiber beside the stream that ends it when a clock runs out. */
  readonly watchdog: Effect.Effect<void>
  /** Whether closing the request's scope ends a read of the body (this client's answers), or a failure must. */
  readonly endsWithScope: boolean
  readonly body: () => Stream.Stream<Uint8Array, HttpClientError.HttpClientError>
  /** The first element has arrived: its clock stops. */
  readonly started: () => void
  /** Nobody waits on the connection any more (a read given up on): the idle clock stops. */
  readonly stopWaiting: () => void
  /** Settles the reservation from what the events said was used. */
  readonly settle: Effect.Effect<void>
}

/** What a stream reader reads of the settings. */
type StreamSettings = Pick<HttpSettings, "timeoutMs" | "streamIdleTimeoutMs">

/**
 * The two clocks of a stream, kept by stamps: the first element is due within `timeout_ms` of the answer however
 * many pings come before it; later, the idle clock runs only while the client waits on the connection (from a read
 * until its bytes), so a consumer that takes its time is not the server going silent.
 */
const watch = (
  settings: StreamSettings,
  clock: Clock.Clock,
  response: HttpClientResponse.HttpClientResponse,
  auth: AuthHeaders,
  scope: Scope.Closeable,
  options: { readonly timeoutMs?: number | undefined; readonly endOfBody?: string | undefined },
  charge: Charge
): Watched => {
  // What the answer has used, from its events; the reservation is settled with it when the request is released.
  let inputTokens: number | undefined
  let outputTokens: number | undefined
  const requestId = clip(response.headers["request-id"], MAX_IDENTIFIER)
  const timeoutMs = options.timeoutMs ?? settings.timeoutMs
  const idleMs = settings.streamIdleTimeoutMs
  const end = options.endOfBody === undefined ? "the body was complete" : options.endOfBody
  let waitingSince: number | undefined = clock.currentTimeMillisUnsafe()
  let firstBy: number | undefined = clock.currentTimeMillisUnsafe() + timeoutMs
  let ended: "idle" | "no_first_event" | undefined
  // Closing the scope aborts a read of this client's answers. Another client's read is failed through `stopped`
  // instead (closing its scope left a silent body waited on forever, or ended it as if it were complete); its
  // request is aborted when the failure has closed the scope.
  const stopped = Deferred.makeUnsafe<never, HttpClientError.HttpClientError>()
  const endsWithScope = DirectPull.readEndsWithScope(response)
  const stop = (why: string): Effect.Effect<void> =>
    endsWithScope ? Scope.close(scope, Exit.void) : Effect.asVoid(Deferred.fail(
      stopped,
      new HttpClientError.HttpClientError({
        reason: new HttpClientError.DecodeError({ request: response.request, response, cause: new Cause.TimeoutError(why) })
      })
    ))
  // One fiber beside the stream instead of a timer per read: reads only stamp the time.
  const watchdog: Effect.Effect<void> = Effect.suspend(() => {
    const now = clock.currentTimeMillisUnsafe()
    const idleLeft = waitingSince === undefined ? idleMs : idleMs - (now - waitingSince)
    const firstLeft = firstBy === undefined ? Infinity : firstBy - now
    if (idleLeft > 0 && firstLeft > 0) return Effect.andThen(Effect.sleep(Math.min(idleLeft, firstLeft)), watchdog)
    ended = idleLeft <= 0 ? "idle" : "no_first_event"
    return stop(ended === "idle" ? "the body went silent" : "no first element in time")
  })
  const broken = (cause: Cause.Cause<unknown> | undefined) =>
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
        detail: cause === undefined ? `the connection closed before ${end}` : `the connection broke: ${causeText(cause)}`,
        requestId
      })
  return {
    reader: {
      credential: auth.kind,
      requestId,
      onBytes: () => {
        waitingSince = undefined
      },
      onWaiting: () => {
        waitingSince = clock.currentTimeMillisUnsafe()
      },
      broken,
      used: (usage) => {
        if (usage.inputTokens !== undefined) inputTokens = usage.inputTokens
        if (usage.outputTokens !== undefined) outputTokens = usage.outputTokens
      }
    },
    watchdog,
    endsWithScope,
    body: () => endsWithScope ? response.stream : Stream.interruptWhen(response.stream, Deferred.await(stopped)),
    started: () => {
      firstBy = undefined
    },
    stopWaiting: () => {
      waitingSince = undefined
    },
    settle: Effect.suspend(() =>
      charge.settle(
        inputTokens === undefined && outputTokens === undefined
          ? undefined
          : { inputTokens: inputTokens ?? 0, outputTokens: outputTokens ?? 0 }
      )
    )
  }
}

const readStream = <A>(
  settings: StreamSettings,
  clock: Clock.Clock,
  response: HttpClientResponse.HttpClientResponse,
  auth: AuthHeaders,
  scope: Scope.Closeable,
  options: { readonly timeoutMs?: number | undefined; readonly endOfBody?: string | undefined },
  decode: Decode<A> | PullDecode<A>,
  charge: Charge
): Effect.Effect<Omit<StartedStream<A>, "response">, ApiError> =>
  Effect.suspend(() => {
    const watched = watch(settings, clock, response, auth, scope, options, charge)
    const description = `${response.request.method} ${response.request.url}`
    return Effect.gen(function*() {
      yield* Effect.forkIn(watched.watchdog, scope)
      // The first elements are read inside the attempt: a failure before anything was delivered is retried.
      const pull: Pull<A, ApiError> = typeof decode === "function"
        ? yield* pullIn(decode(watched.body(), watched.reader), scope)
        : decode.decode(
          yield* (watched.endsWithScope
            ? Scope.provide(DirectPull.toPull(response), scope)
            : pullIn(watched.body(), scope)),
          watched.reader
        )
      // Until a chunk that holds something: a decoder may hand out empty chunks (a read that completed no line).
      const pullSome: Effect.Effect<Arr.NonEmptyReadonlyArray<A> | undefined, ApiError> = Effect.flatMap(
        Effect.catch(pull, (error) =>
          Cause.isDone(error) ? Effect.succeed(undefined) : Effect.fail(retryableBeforeStart(error, description))),
        (chunk) => (chunk !== undefined && chunk.length === 0 ? pullSome : Effect.succeed(chunk))
      )
      const first = yield* pullSome
      watched.started()
      // The reservation is settled when the request is released, once however many runs read the stream, and
      // whether they read it to its end or not (an attempt interrupted from here has settled it already).
      yield* Scope.addFinalizer(scope, watched.settle)
      // A read that reaches the end or fails releases the request (and its watchdog) at once, even when the scope
      // lives on (`streamWithResponse`); a run stopped early leaves it to the next run or the scope.
      const release = Scope.close(scope, Exit.void)
      if (first === undefined) yield* release
      // A read given up on (a timeout, a race) leaves nobody waiting on the connection: the idle clock stops.
      const stopWaiting = Effect.sync(watched.stopWaiting)
      const rest = Effect.onError(pull, (cause) => Cause.hasInterruptsOnly(cause) ? stopWaiting : release)
      return startedOf(first, rest)
    })
  })

/**
 * A stream's pull in `scope`, without `Stream.toPull`'s semaphore and context around each read (Effect 4): the
 * pull is read by one reader at a time.
 */
const pullIn = <X, E>(stream: Stream.Stream<X, E>, scope: Scope.Scope): Effect.Effect<Pull<X, E>> =>
  Channel.toPullScoped(Stream.toChannel(stream), scope)

/**
 * The stream reader for these settings: given an attempt's 2xx answer, its elements as a stream and as a pull.
 */
export const makeStreamReader = (settings: StreamSettings, clock: Clock.Clock) =>
<A>(
  response: HttpClientResponse.HttpClientResponse,
  auth: AuthHeaders,
  scope: Scope.Closeable,
  options: { readonly timeoutMs?: number | undefined; readonly endOfBody?: string | undefined },
  decode: Decode<A> | PullDecode<A>,
  charge: Charge
): Effect.Effect<Omit<StartedStream<A>, "response">, ApiError> => readStream(settings, clock, response, auth, scope, options, decode, charge)

/** The elements from the first chunk on, as a stream and as a pull (read one of them, not both). */
const startedOf = <A>(
  first: Arr.NonEmptyReadonlyArray<A> | undefined,
  rest: Pull<A, ApiError>
): Omit<StartedStream<A>, "response"> => {
  if (first === undefined) return { stream: Stream.empty, pull: Cause.done() }
  // The first chunk, then the rest; each run of the stream starts again from the first chunk.
  const fromFirst = (): Pull<A, ApiError> => {
    let firstTaken = false
    return Effect.suspend(() => {
      if (firstTaken) return rest
      firstTaken = true
      return Effect.succeed(first)
    })
  }
  return { stream: Stream.fromPull(Effect.sync(fromFirst)), pull: fromFirst() }
}

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
