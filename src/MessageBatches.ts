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
export {
  BatchCreateParams,
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
  type WaitOptions
} from "./internal/resources/messageBatches.js"
