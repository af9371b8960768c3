/**
 * effect-anthropic: an Effect-TS client for the Anthropic Messages API.
 *
 * Effect programs use the modules (`AnthropicClient.layerConfig()`, `AnthropicClient.layerFile()`, then
 * `Messages.create(…)`, `Models.list()`, …); plain async code uses `createClient` (the `PromiseClient` module). The
 * test kit is not here: it lives under `effect-anthropic/testing/StandIn` and `effect-anthropic/testing/TestLayers`.
 *
 * @since 0.1.0
 */
export * as AnthropicClient from "./AnthropicClient.js"
export * as AnthropicHttpClient from "./AnthropicHttpClient.js"
export * as AnthropicConfig from "./AnthropicConfig.js"
export * as Credentials from "./Credentials.js"
export * as Errors from "./Errors.js"
export * as Files from "./Files.js"
export * as MessageBatches from "./MessageBatches.js"
export * as Messages from "./Messages.js"
export * as MessageStream from "./MessageStream.js"
export * as Models from "./Models.js"
export * as OAuth from "./OAuth.js"
export * as PromiseClient from "./PromiseClient.js"
export * as RateLimiter from "./RateLimiter.js"
export * as ResponseMetadata from "./ResponseMetadata.js"
export * as StructuredOutput from "./StructuredOutput.js"
export * as TokenRefresher from "./TokenRefresher.js"
export * as UndiciHttpClient from "./UndiciHttpClient.js"

export {
  AnthropicConfigError,
  type ApiError,
  type CallError,
  ClientClosed,
  ConnectionError,
  CredentialInvalid,
  InvalidRequest,
  type LlmError,
  LoginFailed,
  LoginRequired,
  NoCredentials,
  Other,
  RateLimit,
  RefreshFailed,
  ServerError,
  StreamError,
  StructuredOutputError
} from "./Errors.js"
export { type Client, createClient, type CreateClientOptions, type MessageStreamHandle } from "./PromiseClient.js"
