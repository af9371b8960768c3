/**
 * The Models API: `GET /v1/models` (paginated) and `GET /v1/models/{id}`, in the API's own JSON names.
 *
 * The methods are part of `AnthropicClient` (`listModels`, `models`, `retrieveModel`), so credentials, the rate
 * limiter, retries and error classification apply as for messages.
 *
 * @since 0.2.0
 */
import { accessEffect, accessStream } from "./internal/client/accessors.js"
export {
  make,
  ModelCapabilities,
  ModelInfo,
  type ModelListParams,
  type Service
} from "./internal/resources/models.js"

/**
 * `GET /v1/models`, every model from the newest on as a `Stream` (the next page fetched when the items before it
 * have been taken): the SDK's `client.models.list`.
 *
 * @since 0.2.0
 * @category accessors
 */
export const list = accessStream((client) => client.models)

/**
 * One page of `GET /v1/models`.
 *
 * @since 0.2.0
 * @category accessors
 */
export const listPage = accessEffect((client) => client.listModels)

/**
 * `GET /v1/models/{id}`: the SDK's `client.models.retrieve`.
 *
 * @since 0.2.0
 * @category accessors
 */
export const retrieve = accessEffect((client) => client.retrieveModel)
