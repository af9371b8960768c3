/**
 * The Message Batches API: many Messages requests processed asynchronously at half the price, their results read
 * back as a JSON Lines file. In the API's own JSON names.
 *
 * The methods are part of `AnthropicClient` (`createBatch`, `retrieveBatch`, `listBatches`, `batches`,
 * `cancelBatch`, `deleteBatch`, `batchResults`, `waitForBatch`), so credentials, the rate limiter, retries and
 * error classification apply as for messages.
 *
 * @since 0.2.0
 */
import { accessEffect, accessStream } from "./internal/client/accessors.js"
export {
  BatchCreateParams,
  type BatchProgress,
  batchProgress,
  BatchRequest,
  BatchResult,
  BatchResultOutcome,
  CanceledResult,
  type CreateBatchOptions,
  DeletedMessageBatch,
  ErroredResult,
  ErrorResponse,
  ExpiredResult,
  LIMITS,
  make,
  MessageBatch,
  MessageBatchRequestCounts,
  type Service,
  SucceededResult,
  type WaitOptions,
  whyNotARequest
} from "./internal/resources/messageBatches.js"

/**
 * `POST /v1/messages/batches`: the SDK's `client.messages.batches.create`.
 *
 * @since 0.2.0
 * @category accessors
 */
export const create = accessEffect((client) => client.createBatch)

/**
 * `GET /v1/messages/batches/{id}`: the SDK's `client.messages.batches.retrieve`.
 *
 * @since 0.2.0
 * @category accessors
 */
export const retrieve = accessEffect((client) => client.retrieveBatch)

/**
 * `GET /v1/messages/batches`, every batch as a `Stream` (pages fetched as read): the SDK's
 * `client.messages.batches.list`.
 *
 * @since 0.2.0
 * @category accessors
 */
export const list = accessStream((client) => client.batches)

/**
 * One page of `GET /v1/messages/batches`.
 *
 * @since 0.2.0
 * @category accessors
 */
export const listPage = accessEffect((client) => client.listBatches)

/**
 * `POST /v1/messages/batches/{id}/cancel`: the SDK's `client.messages.batches.cancel`.
 *
 * @since 0.2.0
 * @category accessors
 */
export const cancel = accessEffect((client) => client.cancelBatch)

const del = accessEffect((client) => client.deleteBatch)

export {
  /**
   * `DELETE /v1/messages/batches/{id}`.
   *
   * @since 0.2.0
   * @category accessors
   */
  del as delete
}

/**
 * The results file of an ended batch as a `Stream`: the SDK's `client.messages.batches.results`.
 *
 * @since 0.2.0
 * @category accessors
 */
export const results = accessStream((client) => client.batchResults)

/**
 * Polls a batch until it has ended (see `WaitOptions`); `onProgress` sees its request counts after each poll.
 *
 * @since 0.2.0
 * @category accessors
 */
export const wait = accessEffect((client) => client.waitForBatch)
