/**
 * effect-anthropic: an Effect-TS client for the Anthropic Messages API.
 *
 * Effect programs use the modules (`AnthropicClient.layerConfig()`, `AnthropicClient.layerFile()`, …); plain async code uses `createClient`.
 *
 * @since 0.1.0
 */
export * as AnthropicClient from "./AnthropicClient.js"
export * as AnthropicHttpClient from "./AnthropicHttpClient.js"
export * as AnthropicConfig from "./AnthropicConfig.js"
export * as Credentials from "./Credentials.js"
export * as Errors from "./internal/errors.js"
export * as Files from "./internal/resources/files.js"
export * as MessageBatches from "./internal/resources/messageBatches.js"
export * as Messages from "./internal/messages/message.js"
export * as MessageStream from "./MessageStream.js"
export * as Models from "./internal/resources/models.js"
export * as OAuth from "./OAuth.js"
export * as TokenRefresher from "./TokenRefresher.js"
export * as Promise from "./Promise.js"
export * as RateLimiter from "./RateLimiter.js"
export * as StandIn from "./testing/StandIn.js"
export * as StructuredOutput from "./StructuredOutput.js"
export * as TestLayers from "./testing/TestLayers.js"
export * as UndiciHttpClient from "./internal/http/undici.js"

export {
  ClientClosed,
  AnthropicConfigError,
  ConnectionError,
  LoginFailed,
  LoginRequired,
  RefreshFailed,
  StreamError,
  StructuredOutputError,
  CredentialInvalid,
  NoCredentials,
  Other,
  RateLimit,
  ServerError
} from "./internal/errors.js"
export type { ApiError, LlmError } from "./internal/errors.js"
export type { Client, CreateClientOptions, MessageStreamHandle } from "./Promise.js"
export { createClient } from "./Promise.js"
