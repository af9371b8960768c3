/**
 * The Models API: `GET /v1/models` (paginated) and `GET /v1/models/{id}`, in the API's own JSON names.
 *
 * The methods are part of `AnthropicClient` (`listModels`, `models`, `retrieveModel`), so credentials, the rate
 * limiter, retries and error classification apply as for messages.
 *
 * @since 0.2.0
 */
export {
  make,
  ModelCapabilities,
  ModelInfo,
  type ModelListParams,
  type Service
} from "./internal/resources/models.js"
