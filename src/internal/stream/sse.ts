/**
 * SSE bytes to the Messages API's events, a network chunk at a time: bytes decoded and fed to `eventsource-parser`,
 * each event's data `JSON.parse`d once (the common `content_block_delta` through a fast path, `eventJson.ts`), the
 * events of one chunk leaving as one array. `ping` is dropped; `event: error` fails with the matching tagged
 * error; unknown event types pass through; bytes that end before `message_stop` are `StreamError` truncated.
 */
import * as Arr from "effect/Array"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Stream from "effect/Stream"
import { createParser } from "eventsource-parser"
import { causeText } from "../causeText.js"
import { type ApiError, type CredentialKind, StreamError } from "../errors.js"
import { classify } from "../apiErrors.js"
import type * as Messages from "../messages/message.js"
import { parseEventData } from "./eventJson.js"
import type { Pull } from "./pull.js"

/** The HTTP status each error type stands for, to classify an `event: error` like an HTTP answer. */
const STATUS_OF_ERROR_TYPE: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529
}

/**
 * The tagged error for a mid-stream `event: error` payload.
 *
 * @since 0.1.0
 * @category utils
 */
export const errorFromEvent = (data: string, credential: CredentialKind, requestId?: string): ApiError => {
  let type = "unknown"
  try {
    type = (JSON.parse(data) as { error?: { type?: string } }).error?.type ?? "unknown"
  } catch {
    // classify keeps the raw text as the message
  }
  // An own-property lookup: `error.type` is the server's text ("constructor", "toString", …), not a key we trust.
  const status = Object.hasOwn(STATUS_OF_ERROR_TYPE, type) ? STATUS_OF_ERROR_TYPE[type]! : 500
  // Mid-stream errors are not retried: events were already delivered.
  return classify(status, (name) => (name === "request-id" ? requestId : name === "x-should-retry" ? "false" : undefined), data, credential, 0)
}

/** The usage an event reports, in the rate limits' terms; events of a bad shape report nothing. */
const reportUsage = (
  event: Messages.MessageStreamEvent,
  used: (usage: { readonly inputTokens?: number; readonly outputTokens?: number }) => void
) => {
  const usage = (event.type === "message_start" ? (event as { message?: { usage?: unknown } }).message?.usage : (event as { usage?: unknown }).usage) as
    | Record<string, unknown>
    | undefined
  if (typeof usage !== "object" || usage === null) return
  const n = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : undefined)
  const input = n(usage.input_tokens)
  const output = n(usage.output_tokens)
  used({
    ...(input === undefined ? {} : { inputTokens: input + (n(usage.cache_creation_input_tokens) ?? 0) }),
    ...(output === undefined ? {} : { outputTokens: output })
  })
}

/** The default bound on one SSE event (see `maxEventBytes`): far above any real event, far below what breaks a string. */
const DEFAULT_MAX_EVENT_BYTES = 64 * 1024 * 1024

/**
 * What {@link decodeSse} and {@link decodeSsePull} are told.
 *
 * @since 0.2.0
 * @category models
 */
export interface DecodeSseOptions {
  readonly credential: CredentialKind
  readonly requestId?: string | undefined
  /** Called for every chunk of bytes as it is read (the idle watchdog's heartbeat). */
  readonly onBytes?: (() => void) | undefined
  /**
   * Called each time the decoder starts waiting for more bytes, after handing out the events it had. Between this
   * and the next `onBytes` the consumer is waiting on the connection: the only time silence is the server's.
   */
  readonly onWaiting?: (() => void) | undefined
  /**
   * The error to fail with when the bytes fail or end early, given what happened (a broken connection's cause, or
   * `undefined` for an early end). Defaults to `StreamError { reason: "truncated" }`.
   */
  readonly onBroken?: ((cause: Cause.Cause<unknown> | undefined) => ApiError) | undefined
  /**
   * The most one event may take before it is complete (its unfinished line and its data so far), default 64 MiB:
   * past it the stream fails with `StreamError { reason: "malformed" }` instead of growing without bound (a line
   * that never ends, an event of hundreds of MB). Counted as `eventsource-parser` counts its buffer, in characters
   * of decoded text, which never outnumber the bytes: an event that trips it is larger than that many bytes.
   */
  readonly maxEventBytes?: number | undefined
  /**
   * Told what the answer has used so far, from `message_start` and each `message_delta` (input tokens counting the
   * cache writes, as the rate limits do): for the rate limiter's reservation.
   */
  readonly used?: ((usage: { readonly inputTokens?: number; readonly outputTokens?: number }) => void) | undefined
}


/**
 * {@link decodeSse} on pulls: each pull reads byte chunks until they complete at least one event and gives those
 * events as one chunk (never an empty one). No Stream in between: the client's own path, where every Stream layer
 * would run a channel executor of its own per chunk.
 *
 * @since 0.2.0
 * @category utils
 */
export const decodeSsePull = (options: DecodeSseOptions) =>
<E, R>(bytes: Pull<Uint8Array, E, R>): Pull<Messages.MessageStreamEvent, ApiError, R> => {
  const decoder = new TextDecoder()
  let batch: Array<Messages.MessageStreamEvent> = []
  // How the events end once `batch` is handed out: an error, or the end (message_stop).
  let failure: ApiError | undefined
  let stopped = false
  const maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES
  const { onBytes, onWaiting, used } = options
  const malformedEvent = (detail: string) => new StreamError({ reason: "malformed", detail, requestId: options.requestId })
  const parser = createParser({
    // The parser's own bound: checked once per feed, it costs the hot path nothing.
    maxBufferSize: maxEventBytes,
    onError: (error) => {
      // After message_stop the events are complete: what trails them (however large) is not read.
      if (error.type !== "max-buffer-size-exceeded" || failure !== undefined || stopped) return
      failure = malformedEvent(`an event larger than ${maxEventBytes} bytes`)
    },
    onEvent: (message) => {
      if (failure !== undefined || stopped) return
      if (message.event === "ping") return
      if (message.event === "error") {
        failure = errorFromEvent(message.data, options.credential, options.requestId)
        return
      }
      let event: Messages.MessageStreamEvent
      try {
        event = parseEventData(message.data) as Messages.MessageStreamEvent
      } catch {
        failure = malformedEvent(`the data of a "${message.event ?? "message"}" event is not JSON`)
        return
      }
      if (typeof event !== "object" || event === null || typeof event.type !== "string") {
        failure = malformedEvent("an event without a type")
        return
      }
      if (event.type === "ping") return
      batch.push(event)
      if (event.type === "message_stop") stopped = true
      else if (used !== undefined && (event.type === "message_start" || event.type === "message_delta")) {
        reportUsage(event, used)
      }
    }
  })
  const broken = (cause: Cause.Cause<unknown> | undefined): ApiError =>
    options.onBroken?.(cause) ?? new StreamError({
      reason: "truncated",
      detail: cause === undefined
        ? "the connection closed before message_stop"
        : `the connection broke before message_stop: ${causeText(cause)}`,
      requestId: options.requestId
    })
  // The events so far; with none, what the events' end is, or the next read.
  const next = (): Pull<Messages.MessageStreamEvent, ApiError, R> => {
    if (Arr.isArrayNonEmpty(batch)) {
      const out = batch
      batch = []
      return Effect.succeed(out)
    }
    if (failure !== undefined) return Effect.fail(failure)
    if (stopped) return Cause.done()
    return read()
  }
  const onChunk = (chunk: Arr.NonEmptyReadonlyArray<Uint8Array>) => {
    onBytes?.()
    for (const bytes of chunk) {
      // A parser stopped by its buffer bound throws if fed again; after message_stop nothing more is read.
      if (failure !== undefined || stopped) break
      parser.feed(decoder.decode(bytes, { stream: true }))
    }
    return next()
  }
  const onFailure = (cause: Cause.Cause<E | Cause.Done>): Pull<Messages.MessageStreamEvent, ApiError, R> => {
    if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
    const error = Cause.findError(cause)
    // A defect breaks the stream as a failed read does.
    if (Result.isFailure(error)) return Effect.fail(broken(cause))
    if (Cause.isDone(error.success)) {
      // An event held back by a trailing CR (which might have been half of a CRLF) is complete at the end:
      // one more LF lets the parser see that (after a normal "\n\n" it is an empty line: no event).
      if (failure === undefined && !stopped) {
        parser.feed(decoder.decode() + "\n")
        if (failure === undefined && !stopped) failure = broken(undefined)
      }
      return next()
    }
    // The bytes failed: their error alone (without the rest of the pull's cause) is the cause of the break.
    return Effect.fail(broken(Cause.fail(error.success)))
  }
  const read = () => {
    onWaiting?.()
    return Effect.matchCauseEffect(bytes, { onFailure, onSuccess: onChunk })
  }
  return Effect.suspend(next)
}

/**
 * Turn SSE bytes into events, a network chunk at a time. Fails on `event: error`, on unreadable JSON, on an event
 * larger than `maxEventBytes`, and when the bytes fail or end before `message_stop` (a failure of the bytes becomes a
 * `StreamError`, see `onBroken`); ends right after `message_stop`, without reading further.
 *
 * @since 0.1.0
 * @category utils
 */
export const decodeSse = (options: DecodeSseOptions) =>
<E, R>(bytes: Stream.Stream<Uint8Array, E, R>): Stream.Stream<Messages.MessageStreamEvent, ApiError, R> =>
  // `transformPull` hands over the bytes' own pull (Stream.toPull would wrap every read of it in a
  // semaphore and a context); it is called for each run of the stream, so each run has a decoder of its own.
  Stream.transformPull(bytes, (pull) => Effect.succeed(decodeSsePull(options)(pull)))

// ---------------------------------------------------------------------------------------------------------------
