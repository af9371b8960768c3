/**
 * (The public `MessageBatches` module re-exports this module.)
 * The Message Batches API: many Messages requests processed asynchronously at half the price, their results read
 * back as a JSON Lines file. In the API's own JSON names.
 *
 * The methods are part of `AnthropicClient` (`createBatch`, `retrieveBatch`, `listBatches`, `batches`,
 * `cancelBatch`, `deleteBatch`, `batchResults`, `waitForBatch`), so credentials, the rate limiter, retries and
 * error classification apply as for messages.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type * as AnthropicHttpClient from "../http/types.js"
import { watchedBytes } from "../http/decoders.js"
import { loadStack } from "../http/loadStack.js"
import type { CallOptions } from "../http/types.js"
import { invalidRequest, jsonText, pathOf, withCallOptions } from "../http/request.js"
import type { ApiError, CallError } from "../errors.js"
import { clip } from "../clip.js"
import { decodeAnswer, firstIssue } from "../http/decodeAnswer.js"
import { decodeJsonLines } from "../stream/jsonLines.js"
import { maybe, openUnion } from "../messages/schema.js"
import { makeList, type Page, pageQuery, type PageParams } from "../http/pagination.js"
import * as Messages from "../messages/message.js"
import { onFirstCall } from "../onFirstCall.js"
import * as SchemaIs from "../schemaIs.js"

// ---------------------------------------------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------------------------------------------

/**
 * How many of a batch's requests are in each state.
 *
 * @since 0.2.0
 * @category schemas
 */
export const MessageBatchRequestCounts = Schema.Struct({
  processing: Schema.Number,
  succeeded: Schema.Number,
  errored: Schema.Number,
  canceled: Schema.Number,
  expired: Schema.Number
})

/**
 * A batch: its state, its counts and its times (RFC 3339).
 *
 * @since 0.2.0
 * @category schemas
 */
export const MessageBatch = Schema.Struct({
  type: Schema.Literal("message_batch"),
  id: Schema.String,
  /** `ended` once every request has a result (succeeded, errored, canceled or expired). */
  processing_status: Schema.Literals(["in_progress", "canceling", "ended"]),
  request_counts: MessageBatchRequestCounts,
  created_at: Schema.String,
  expires_at: Schema.String,
  ended_at: maybe(Schema.String),
  archived_at: maybe(Schema.String),
  cancel_initiated_at: maybe(Schema.String),
  results_url: maybe(Schema.String)
})
/**
 * @since 0.2.0
 * @category models
 */
export type MessageBatch = typeof MessageBatch.Type

/**
 * @since 0.2.0
 * @category schemas
 */
export const DeletedMessageBatch = Schema.Struct({ type: Schema.Literal("message_batch_deleted"), id: Schema.String })
/**
 * @since 0.2.0
 * @category models
 */
export type DeletedMessageBatch = typeof DeletedMessageBatch.Type

/**
 * One request of a batch: `custom_id` (1–64 of `a-z A-Z 0-9 _ -`, unique in the batch) names its result.
 *
 * @since 0.2.0
 * @category schemas
 */
export const BatchRequest = Schema.Struct({ custom_id: Schema.String, params: Messages.MessageCreateParams })
/**
 * @since 0.2.0
 * @category models
 */
export type BatchRequest = typeof BatchRequest.Type

/**
 * The body of `POST /v1/messages/batches`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const BatchCreateParams = Schema.Struct({ requests: Schema.Array(BatchRequest) })
/**
 * @since 0.2.0
 * @category models
 */
export type BatchCreateParams = typeof BatchCreateParams.Type

/**
 * The API's error body, as an errored result carries it.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ErrorResponse = Schema.Struct({
  type: Schema.Literal("error"),
  error: Schema.Struct({ type: Schema.String, message: Schema.String }),
  request_id: maybe(Schema.String)
})

/**
 * @since 0.2.0
 * @category schemas
 */
export const SucceededResult = Schema.Struct({ type: Schema.Literal("succeeded"), message: Messages.Message })
/**
 * @since 0.2.0
 * @category schemas
 */
export const ErroredResult = Schema.Struct({ type: Schema.Literal("errored"), error: ErrorResponse })
/**
 * @since 0.2.0
 * @category schemas
 */
export const CanceledResult = Schema.Struct({ type: Schema.Literal("canceled") })
/**
 * @since 0.2.0
 * @category schemas
 */
export const ExpiredResult = Schema.Struct({ type: Schema.Literal("expired") })

/**
 * What became of one request. A result type this client does not know is kept whole (static type `never`).
 *
 * @since 0.2.0
 * @category schemas
 */
export const BatchResultOutcome = openUnion(SucceededResult, ErroredResult, CanceledResult, ExpiredResult)

/**
 * One line of a batch's results file.
 *
 * @since 0.2.0
 * @category schemas
 */
export const BatchResult = Schema.Struct({ custom_id: Schema.String, result: BatchResultOutcome })
/**
 * @since 0.2.0
 * @category models
 */
export type BatchResult = typeof BatchResult.Type

// ---------------------------------------------------------------------------------------------------------------
// Limits and checks
// ---------------------------------------------------------------------------------------------------------------

/**
 * The API's limits on one batch: requests, and the size of the request body.
 *
 * @since 0.2.0
 * @category constants
 */
export const LIMITS = { maxRequests: 100_000, maxBodyBytes: 256 * 1024 * 1024 } as const

const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/

// Checking a value against a schema's type: decoding its type side.
const validateParams = onFirstCall(() =>
  Schema.decodeUnknownResult(Schema.toType(Messages.MessageCreateParams), { errors: "first" })
)

/**
 * Why one request of a batch cannot be sent, or `undefined` when it can: its `custom_id`, its `params` (checked
 * against `MessageCreateParams` when `validate`), `stream` not set. `where` names it in the message (`requests[3]`,
 * `line 4`), followed by its custom_id when it has one. (Whether the custom_id is unique is the caller's to check.)
 *
 * @since 0.2.0
 * @category utils
 */
export const whyNotARequest = (value: unknown, where: string, validate = true): string | undefined => {
  const request = value as Partial<BatchRequest> | null | undefined
  const id = request?.custom_id
  const named = `${where}${typeof id === "string" ? ` (custom_id ${JSON.stringify(clip(id, 64))})` : ""}`
  if (typeof request !== "object" || request === null || Array.isArray(request)) {
    return `${where}: a request must be an object { custom_id, params }`
  }
  if (typeof id !== "string" || !CUSTOM_ID.test(id)) return `${named}: custom_id must be 1 to 64 characters of a-z, A-Z, 0-9, _ and -`
  if (typeof request.params !== "object" || request.params === null || Array.isArray(request.params)) {
    return `${named}: params must be the request's MessageCreateParams (an object)`
  }
  if (validate) {
    const checked = validateParams(request.params)
    if (Result.isFailure(checked)) return clip(`${named}: params.${firstIssue(checked.failure)}`)
  }
  if (request.params.stream === true) return `${named}: params.stream must not be true (batch results are never streamed)`
  return undefined
}

const encoder = new TextEncoder()

/** Encoded JSON as a request's body. */
const jsonBody = (bytes: Uint8Array) => Effect.map(loadStack, ({ Bodies }) => Bodies.uint8Array(bytes, "application/json"))

/** `requests` checked as the API will check them, the body encoded once (its bytes): or why it cannot be sent. */
const prepareBatch = (params: BatchCreateParams, validate: boolean): Result.Result<Uint8Array, CallError> => {
  const requests: unknown = params?.requests
  if (!Array.isArray(requests) || requests.length === 0) {
    return Result.fail(invalidRequest("a batch needs `requests`: a non-empty list of { custom_id, params }"))
  }
  if (requests.length > LIMITS.maxRequests) {
    return Result.fail(invalidRequest(`a batch holds at most ${LIMITS.maxRequests} requests; this one has ${requests.length}`))
  }
  const seen = new Set<string>()
  for (let i = 0; i < requests.length; i++) {
    const why = whyNotARequest(requests[i], `requests[${i}]`, validate)
    if (why !== undefined) return Result.fail(invalidRequest(why))
    const id = (requests[i] as BatchRequest).custom_id
    if (seen.has(id)) return Result.fail(invalidRequest(`requests[${i}] (custom_id ${JSON.stringify(id)}): custom_id is used twice in the batch`))
    seen.add(id)
  }
  return Result.flatMap(jsonText({ requests }, "the batch's requests"), (text) => {
    // A UTF-8 byte per UTF-16 unit at least: a text this long is refused without encoding it (hundreds of MB).
    if (text.length > LIMITS.maxBodyBytes) {
      return Result.fail(invalidRequest(`a batch's body is at most ${LIMITS.maxBodyBytes} bytes; this one is more than ${text.length}`))
    }
    const body = encoder.encode(text)
    return body.length > LIMITS.maxBodyBytes
      ? Result.fail(invalidRequest(`a batch's body is at most ${LIMITS.maxBodyBytes} bytes; this one is ${body.length}`))
      : Result.succeed(body)
  })
}

// ---------------------------------------------------------------------------------------------------------------
// The service
// ---------------------------------------------------------------------------------------------------------------

/**
 * {@link Service.createBatch}'s options.
 *
 * @since 0.2.0
 * @category models
 */
export interface CreateBatchOptions extends CallOptions {
  /**
   * Check each request's `params` against `MessageCreateParams` before sending (default true). Turn it off to send
   * a field or value the API has and this client's schemas do not yet know (the API checks every request anyway).
   */
  readonly validate?: boolean | undefined
}

/**
 * How {@link Service.waitForBatch} polls: at once, then after `initialDelay` (default 1 s, at least 1 ms), each wait
 * twice the one before, never more than `maxDelay` (default 60 s, at least `initialDelay`).
 *
 * @since 0.2.0
 * @category models
 */
export interface WaitOptions extends CallOptions {
  readonly initialDelay?: Duration.Input | undefined
  readonly maxDelay?: Duration.Input | undefined
  /** Called with each batch retrieved while waiting (progress: `request_counts`). */
  readonly onPoll?: ((batch: MessageBatch) => Effect.Effect<void>) | undefined
  /**
   * Called after each poll (the first at once) with how far the batch has come: its requests in each state, of how
   * many. It runs in the waiting fiber before the next wait is scheduled: keep it short, or fork what takes time. A
   * failure or defect of it fails the wait.
   *
   * @since 0.2.0
   */
  readonly onProgress?: ((progress: BatchProgress) => Effect.Effect<void>) | undefined
}

/**
 * How far a batch has come ({@link WaitOptions.onProgress}): its `request_counts`, their sum and how many have a
 * result.
 *
 * @since 0.2.0
 * @category models
 */
export interface BatchProgress {
  readonly id: string
  readonly processingStatus: MessageBatch["processing_status"]
  /** The batch's `request_counts` as the poll found them: processing, succeeded, errored, canceled, expired. */
  readonly requestCounts: MessageBatch["request_counts"]
  /** The requests in the batch: the sum of the counts. */
  readonly total: number
  /** The requests that have a result (succeeded, errored, canceled or expired): `total` less `processing`. */
  readonly done: number
}

/**
 * A batch's {@link BatchProgress}.
 *
 * @since 0.2.0
 * @category utils
 */
export const batchProgress = (batch: MessageBatch): BatchProgress => {
  const counts = batch.request_counts
  const total = counts.processing + counts.succeeded + counts.errored + counts.canceled + counts.expired
  return { id: batch.id, processingStatus: batch.processing_status, requestCounts: counts, total, done: total - counts.processing }
}

/**
 * The Message Batches part of `AnthropicClient`.
 *
 * @since 0.2.0
 * @category models
 */
export interface Service {
  /**
   * `POST /v1/messages/batches`. Every request is checked first (its `params` against `MessageCreateParams`, its
   * `custom_id`, at most 100,000 requests and 256 MB): a bad one fails with `InvalidRequest`
   * naming its index, custom_id and field, and nothing is sent.
   */
  readonly createBatch: (params: BatchCreateParams, options?: CreateBatchOptions) => Effect.Effect<MessageBatch, CallError>
  /** `GET /v1/messages/batches/{id}`. */
  readonly retrieveBatch: (id: string, options?: CallOptions) => Effect.Effect<MessageBatch, CallError>
  /** `GET /v1/messages/batches`: one page (newest first). */
  readonly listBatches: (params?: PageParams, options?: CallOptions) => Effect.Effect<Page<MessageBatch>, CallError>
  /** Every batch from `params` on, fetching page after page as the stream is read. */
  readonly batches: (params?: PageParams, options?: CallOptions) => Stream.Stream<MessageBatch, CallError>
  /** `POST /v1/messages/batches/{id}/cancel`: the batch, `canceling` until it has ended. */
  readonly cancelBatch: (id: string, options?: CallOptions) => Effect.Effect<MessageBatch, CallError>
  /** `DELETE /v1/messages/batches/{id}` (an ended batch; cancel a running one first). */
  readonly deleteBatch: (id: string, options?: CallOptions) => Effect.Effect<DeletedMessageBatch, CallError>
  /**
   * `GET /v1/messages/batches/{id}/results`: the results file of an ended batch, decoded line by line as it
   * arrives (constant memory, whatever its size), each line checked against `BatchResult`. Results come in any
   * order: match them by `custom_id`. A line that is not a result fails with `StreamError { reason: "malformed" }`
   * naming its line, after the results before it.
   */
  readonly batchResults: (id: string, options?: CallOptions) => Stream.Stream<BatchResult, ApiError>
  /**
   * Polls the batch until it has ended, waiting longer each time (see {@link WaitOptions}), and returns it.
   * Interrupting it stops the polling; bound it with `Effect.timeout` if you need a deadline.
   */
  readonly waitForBatch: (id: string, options?: WaitOptions) => Effect.Effect<MessageBatch, CallError>
}

const decodeBatch = decodeAnswer(MessageBatch, "message batch")
const decodeDeleted = decodeAnswer(DeletedMessageBatch, "deleted message batch")
const isResult = onFirstCall(() => SchemaIs.is(BatchResult))
const explainResult = onFirstCall(() => Schema.decodeUnknownResult(BatchResult, { errors: "first" }))

/** A results file's request: its own `accept`, unless the caller's headers name another. */
const resultsRequest = (path: string, options: CallOptions | undefined) => {
  const request = withCallOptions({ method: "GET" as const, path }, options)
  request.headers = { accept: "application/binary", ...options?.headers }
  return request
}

/** The Message Batches methods over the HTTP client. */
export const make = (http: AnthropicHttpClient.Service): Service => {
  /** A call on one batch: its id goes into the path, encoded (an empty id fails before sending). */
  const onBatch = <A>(
    id: string,
    suffix: string,
    f: (path: string) => Effect.Effect<A, CallError>
  ): Effect.Effect<A, CallError> =>
    Result.match(pathOf`/v1/messages/batches/${id}`, { onFailure: Effect.fail, onSuccess: (path) => f(path + suffix) })

  const list = (options: CallOptions | undefined) =>
    makeList(MessageBatch, "message batches", (params: PageParams) =>
      http.json(withCallOptions({ method: "GET", path: "/v1/messages/batches", query: pageQuery(params) }, options)))

  const retrieveBatch = (id: string, options?: CallOptions) =>
    onBatch(id, "", (path) => Effect.flatMap(http.json(withCallOptions({ method: "GET", path }, options)), decodeBatch))

  return {
    createBatch: (params, options) =>
      Result.match(prepareBatch(params, options?.validate ?? true), {
        onFailure: Effect.fail,
        onSuccess: (body) =>
          Effect.flatMap(
            // Retried only when the API surely did not create it: a retry after a lost answer would make two batches.
            http.json(withCallOptions({ path: "/v1/messages/batches", rawBody: jsonBody(body), retry: "unprocessed" }, options)),
            decodeBatch
          )
      }),
    retrieveBatch,
    listBatches: (params = {}, options) => list(options).page(params),
    batches: (params = {}, options) => list(options).all(params),
    cancelBatch: (id, options) =>
      onBatch(id, "/cancel", (path) => Effect.flatMap(http.json(withCallOptions({ path }, options)), decodeBatch)),
    deleteBatch: (id, options) =>
      onBatch(id, "", (path) =>
        Effect.flatMap(http.json(withCallOptions({ method: "DELETE", path, retry: "unprocessed" }, options)), decodeDeleted)),
    batchResults: (id, options) =>
      Result.match(pathOf`/v1/messages/batches/${id}/results`, {
        onFailure: Stream.fail,
        onSuccess: (path) =>
          http.stream(
            resultsRequest(path, options),
            (body, reader) =>
              watchedBytes(body, reader).pipe(
                decodeJsonLines<BatchResult>({ requestId: reader.requestId, check: whyNotAResult })
              )
          )
      }),
    waitForBatch: (id, options = {}) => {
      // At least a millisecond between polls, and a cap no shorter than the first wait: no busy loop on the API.
      const initialDelay = Duration.max(Duration.fromInputUnsafe(options.initialDelay ?? "1 second"), Duration.millis(1))
      const maxDelay = Duration.max(Duration.fromInputUnsafe(options.maxDelay ?? "60 seconds"), initialDelay)
      const schedule = Schedule.exponential(initialDelay, 2).pipe(
        Schedule.modifyDelay(({ duration }) => Effect.succeed(Duration.min(duration, maxDelay))),
        Schedule.setInputType<MessageBatch>(),
        Schedule.while(({ input }) => input.processing_status !== "ended"),
        // The schedule's output is the last batch retrieved: the ended one.
        Schedule.passthrough
      )
      const { onPoll, onProgress } = options
      const poll = retrieveBatch(id, options).pipe(
        Effect.tap((batch) => onPoll?.(batch) ?? Effect.void),
        Effect.tap((batch) => onProgress?.(batchProgress(batch)) ?? Effect.void)
      )
      return Effect.repeat(poll, schedule)
    }
  }
}

/** Why the `index`-th value of a results file is not a result, or `undefined` when it is one. */
const whyNotAResult = (value: unknown, index: number): string | undefined =>
  isResult(value) ? undefined : clip(`result ${index + 1} of the results file: ${
    Result.match(explainResult(value), { onFailure: firstIssue, onSuccess: () => "not a result" })
  }`)
