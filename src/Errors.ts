/**
 * Every failure the client reports, as tagged errors for the typed error channel.
 *
 * The API errors (`RateLimit`, `CredentialInvalid`, `ServerError`, `Other`) follow the seed's classification table
 * and carry the HTTP status, the API's error `type` and message and the `request-id`. None of them ever holds a
 * secret: errors name the *kind* of credential, never its value, and every string field of every error is passed
 * through the secret scrubber when the error is made (decoded ones included), whichever code path made it.
 *
 * @since 0.1.0
 */
export {
  AnthropicConfigError,
  type ApiError,
  type CallError,
  ClientClosed,
  ConnectionError,
  CredentialInvalid,
  CredentialKind,
  ErrorType,
  InvalidRequest,
  isRetryable,
  type LlmError,
  LoginFailed,
  LoginRequired,
  NoCredentials,
  Other,
  RateLimit,
  RefreshFailed,
  ServerError,
  SourceReport,
  StreamError,
  StructuredOutputError
} from "./internal/errors.js"
