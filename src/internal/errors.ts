/**
 * Every failure the client reports, as tagged errors for the typed error channel (the public `Errors` module is this
 * module's user-facing part).
 *
 * The API errors (`RateLimit`, `CredentialInvalid`, `ServerError`, `Other`) follow the seed's classification table
 * and carry the HTTP status, the API's error `type` and message and the `request-id`. None of them ever holds a
 * secret: errors name the *kind* of credential, never its value, and every string field of every error is passed
 * through the secret scrubber when the error is made (decoded ones included), whichever code path made it.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import { scrubSecrets } from "./tokens.js"
import { RateLimits } from "./responseMetadata.js"

/** Strings masked, lists and records walked; anything else (numbers, literals) kept. */
const scrubFields = (value: unknown): unknown => {
  if (typeof value === "string") return scrubSecrets(value)
  if (Array.isArray(value)) return value.map(scrubFields)
  if (Predicate.isObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, scrubFields(field)]))
  }
  return value
}

/** What Effect 4 passes a class it builds from already-checked fields (decoding): the fields, again, to keep. */
interface TrustedPayload {
  readonly "~payload"?: { readonly value: unknown }
}

/**
 * The error class `Base` with its constructor's props scrubbed before they are validated and stored, so an API or
 * token endpoint echoing a key (in any field, with or without its `sk-ant-` prefix) never reaches a message, `toJSON`
 * or `inspect`. The constructor's signature is `Base`'s own. A decoded error arrives with its fields a second time,
 * as a trusted payload the base class stores instead of its props: that copy is scrubbed too.
 */
const scrubbing = <Base extends new(...args: Array<any>) => object>(base: Base): Base =>
  class extends base {
    constructor(...args: Array<any>) {
      const [props, options, ...rest] = args as [unknown, TrustedPayload | undefined, ...Array<unknown>]
      const payload = options?.["~payload"]
      super(
        scrubFields(props),
        payload === undefined ? options : { ...options, "~payload": { ...payload, value: scrubFields(payload.value) } },
        ...rest
      )
    }
  }

/**
 * Which kind of credential a request carried.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CredentialKind = Schema.Literals(["api_key", "setup_token", "oauth_bundle", "cli_credentials"])

/**
 * @since 0.1.0
 * @category models
 */
export type CredentialKind = typeof CredentialKind.Type

/**
 * Human words for each kind, used in messages.
 *
 * @category utils
 */
export const describeCredentialKind = (kind: CredentialKind): string => {
  switch (kind) {
    case "api_key":
      return "API key (x-api-key)"
    case "setup_token":
      return "setup token (OAuth bearer)"
    case "oauth_bundle":
      return "OAuth bundle access token"
    case "cli_credentials":
      return "Claude Code CLI OAuth access token"
  }
}

/**
 * The API's `error.type`: the kinds it documents, this client's own `invalid_response` (a 2xx answer that is not
 * what the API promised) and `unknown` (an answer whose body named none), or a newer kind, kept as it came. Known
 * values stay in the type, so a `Match.value(error.errorType)` completes them.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ErrorType: Schema.Codec<ErrorType> = Schema.String.annotate({
  description: "the API's error.type: invalid_request_error, authentication_error, permission_error, not_found_error, " +
    "request_too_large, rate_limit_error, api_error, overloaded_error, billing_error, timeout_error, or a newer one"
}) as Schema.Codec<ErrorType>

/**
 * @since 0.2.0
 * @category models
 */
export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "request_too_large"
  | "rate_limit_error"
  | "api_error"
  | "overloaded_error"
  | "billing_error"
  | "timeout_error"
  | "invalid_response"
  | "unknown"
  | (string & {})

const ApiErrorFields = {
  /** HTTP status of the answer. */
  status: Schema.Number,
  /** The API's `error.type`, e.g. `rate_limit_error`, `overloaded_error`; `unknown` when the body had none. */
  errorType: ErrorType,
  /** The API's `error.message` (secrets scrubbed). */
  apiMessage: Schema.String,
  /** The `request-id` header (or body field), for Anthropic support. */
  requestId: Schema.optional(Schema.String),
  /** Whether the client's retry policy treats this answer as retryable (after `x-should-retry`). */
  retryable: Schema.Boolean
}

const describeApi = (self: {
  readonly status: number
  readonly errorType: string
  readonly apiMessage: string
  readonly requestId?: string | undefined
}): string =>
  `HTTP ${self.status} ${self.errorType}: ${self.apiMessage}` +
  (self.requestId === undefined ? "" : ` (request-id ${self.requestId})`)

/**
 * A configuration problem: a missing or unreadable file, invalid YAML, an unknown key or mode, a value of the wrong
 * type, a malformed setup token. Always names where (`file`, `path`) and how to fix it.
 *
 * @since 0.1.0
 * @category errors
 */
export class AnthropicConfigError extends scrubbing(Schema.TaggedError<AnthropicConfigError>()("AnthropicConfigError", {
  /** The file at fault, or `<config object>` for inline configuration. */
  file: Schema.String,
  /** The key path inside the file (`providers.anthropic.auth.mode`), or a field of a credential file. */
  path: Schema.optional(Schema.String),
  problem: Schema.String,
  fix: Schema.String
})) {
  override get message(): string {
    return `${this.file}${this.path === undefined ? "" : `: ${this.path}`}: ${this.problem}. Fix: ${this.fix}`
  }
}

/**
 * One credential source that resolution looked at, and what it found.
 *
 * @since 0.1.0
 * @category schemas
 */
export const SourceReport = Schema.Struct({
  source: Schema.Literals(["oauth_bundle", "cli_credentials", "setup_token", "api_key"]),
  /** Where it looked (a file path or a config key); never a secret. */
  location: Schema.String,
  used: Schema.Boolean,
  reason: Schema.String
})

/**
 * @since 0.1.0
 * @category models
 */
export type SourceReport = typeof SourceReport.Type

/**
 * No credential source produced a usable credential. Lists every source tried and why each was skipped.
 *
 * @since 0.1.0
 * @category errors
 */
export class NoCredentials extends scrubbing(Schema.TaggedError<NoCredentials>()(
  "NoCredentials",
  {
    mode: Schema.String,
    tried: Schema.Array(SourceReport)
  }
)) {
  override get message(): string {
    const lines = this.tried.map((t) => `  - ${t.source} (${t.location}): ${t.reason}`)
    return [
      `No Anthropic credentials found (auth.mode: ${this.mode}). Sources tried:`,
      ...lines,
      "Fix: run `effect-anthropic login`, set ANTHROPIC_API_KEY, or put a setup token in the setup_token_file."
    ].join("\n")
  }
}

/**
 * 429: rate limited. `retryAfterMs` comes from `retry-after-ms` or `retry-after`, else 60 000. Retried after it.
 *
 * @since 0.1.0
 * @category errors
 */
export class RateLimit extends scrubbing(Schema.TaggedError<RateLimit>()("RateLimit", {
  ...ApiErrorFields,
  retryAfterMs: Schema.Number,
  /**
   * The organization's spend limit is reached (`error.details.error_code: "enforced_spend_limit_reached"`): no retry
   * can succeed until someone raises the limit, so the call fails at once.
   */
  spendLimitReached: Schema.Boolean.pipe(
    Schema.withDecodingDefaultKey(Effect.succeed(false)),
    Schema.withConstructorDefault(Effect.succeed(false))
  ),
  /** The limits the 429's `anthropic-ratelimit-*` headers report (which one ran out, and when it resets). */
  rateLimits: Schema.optional(RateLimits),
  /**
   * Set when this client's rate limiter refused to wait longer (no request was sent): which limit held the call —
   * `pause` (a 429's retry-after), `requests_per_second`, `requests_per_minute`, `input_tokens_per_minute`,
   * `output_tokens_per_minute` or `max_concurrent` —, whose it is (`configured` in `rate_limit`, `learned` from the
   * API's headers, the `api`'s reported budget until its reset) and for which model (`scope`).
   */
  heldBy: Schema.optional(Schema.Struct({
    limit: Schema.String,
    source: Schema.Literals(["configured", "learned", "api"]),
    scope: Schema.optional(Schema.String)
  }))
})) {
  override get message(): string {
    if (this.heldBy !== undefined) {
      return `Rate limited by this client, nothing was sent: ${this.apiMessage}. Fix: ` +
        (this.heldBy.limit === "pause"
          ? "wait and try again later (or raise retry.max_retry_after_ms)"
          : "raise rate_limit.max_wait_ms, send fewer calls at once, or raise the limit if yours is configured lower than the API's")
    }
    if (this.spendLimitReached) {
      return `Spend limit reached: ${describeApi(this)}. Fix: raise the organization's spend limit in the Anthropic ` +
        "Console (Settings → Limits); retrying cannot help until then"
    }
    return `Rate limited: ${describeApi(this)}; retry after ${this.retryAfterMs} ms`
  }
}

/**
 * 401 / 403 (or the API's refusal of a subscription credential): the credential was rejected. Never retried. For
 * OAuth and CLI tokens the token is marked stale, so the next call refreshes it first.
 *
 * @since 0.1.0
 * @category errors
 */
export class CredentialInvalid extends scrubbing(Schema.TaggedError<CredentialInvalid>()(
  "CredentialInvalid",
  {
    ...ApiErrorFields,
    credential: CredentialKind,
    /** `rejected`: 401/403; `subscription_policy`: Anthropic refuses this subscription token outside Claude Code. */
    reason: Schema.Literals(["rejected", "subscription_policy"])
  }
)) {
  override get message(): string {
    const kind = describeCredentialKind(this.credential)
    if (this.reason === "subscription_policy") {
      return `The ${kind} was refused by Anthropic's policy: ${describeApi(this)}. ` +
        "Anthropic allows claude.ai subscription credentials only in products it has approved; " +
        "use an API key (auth.mode: static) for this application."
    }
    const hint = this.credential === "api_key"
      ? "check ANTHROPIC_API_KEY / providers.anthropic.api_key"
      : this.credential === "setup_token"
      ? "create a new setup token (`claude setup-token`)"
      : "the token was marked stale and the next call refreshes it; if this repeats, run `effect-anthropic login`"
    return `The ${kind} was rejected: ${describeApi(this)}. Fix: ${hint}`
  }
}

/**
 * 5xx, including 529 `overloaded_error`. Retried.
 *
 * @since 0.1.0
 * @category errors
 */
export class ServerError extends scrubbing(Schema.TaggedError<ServerError>()("ServerError", {
  ...ApiErrorFields,
  retryAfterMs: Schema.optional(Schema.Number)
})) {
  override get message(): string {
    return `Anthropic server error: ${describeApi(this)}`
  }
}

/**
 * Any other answer the client cannot use: other 4xx (fail fast) or a body that is not what the API promises.
 *
 * @since 0.1.0
 * @category errors
 */
export class Other extends scrubbing(Schema.TaggedError<Other>()("Other", {
  ...ApiErrorFields,
  retryAfterMs: Schema.optional(Schema.Number)
})) {
  override get message(): string {
    return `Anthropic API error: ${describeApi(this)}`
  }
}

/**
 * A request refused before anything was sent: a parameter out of range, params JSON cannot carry, an id that would
 * leave its route, a file that cannot be read for an upload. The caller's mistake, said in one line (never quoting
 * the params: they may hold anything). Never retried.
 *
 * @since 0.2.0
 * @category errors
 */
export class InvalidRequest extends scrubbing(Schema.TaggedError<InvalidRequest>()(
  "InvalidRequest",
  { detail: Schema.String }
)) {
  override get message(): string {
    return `Invalid request, nothing was sent: ${this.detail}`
  }
}

/**
 * The request never got an answer: connection refused or reset, DNS failure, or `timeout_ms` elapsed. Retried.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConnectionError extends scrubbing(Schema.TaggedError<ConnectionError>()(
  "ConnectionError",
  {
    reason: Schema.Literals(["transport", "timeout"]),
    /** `METHOD url` of the request (no headers, no body). */
    request: Schema.String,
    detail: Schema.String
  }
)) {
  override get message(): string {
    return this.reason === "timeout"
      ? `${this.request} timed out: ${this.detail}`
      : `${this.request} failed before an answer: ${this.detail}`
  }
}

/**
 * The OAuth refresh token was refused (`invalid_grant`: used, revoked or expired) or there is none. Only a new login
 * helps. The credential file is left as it was.
 *
 * @since 0.1.0
 * @category errors
 */
export class LoginRequired extends scrubbing(Schema.TaggedError<LoginRequired>()(
  "LoginRequired",
  {
    credential: CredentialKind,
    /** The credential file. */
    location: Schema.String,
    detail: Schema.String
  }
)) {
  override get message(): string {
    const how = this.credential === "cli_credentials"
      ? "log in again with the Claude Code CLI (`claude`)"
      : "run `effect-anthropic login` to sign in again"
    return `The ${describeCredentialKind(this.credential)} from ${this.location} cannot be refreshed: ${this.detail}. Fix: ${how}`
  }
}

/**
 * Refreshing the OAuth token failed for another reason (the token endpoint kept failing, answered something
 * unexpected, or the credential file could not be locked). Transient causes were already retried.
 *
 * @since 0.1.0
 * @category errors
 */
export class RefreshFailed extends scrubbing(Schema.TaggedError<RefreshFailed>()(
  "RefreshFailed",
  {
    credential: CredentialKind,
    location: Schema.String,
    detail: Schema.String
  }
)) {
  override get message(): string {
    return `Refreshing the ${describeCredentialKind(this.credential)} from ${this.location} failed: ${this.detail}`
  }
}

/**
 * A stream that broke after it started: the connection ended before `message_stop` (`truncated`), no bytes arrived
 * for `stream_idle_timeout_ms` (`idle_timeout`), or an event could not be read (`malformed`). Not retried: events
 * were already delivered.
 *
 * @since 0.1.0
 * @category errors
 */
export class StreamError extends scrubbing(Schema.TaggedError<StreamError>()("StreamError", {
  reason: Schema.Literals(["truncated", "idle_timeout", "malformed"]),
  detail: Schema.String,
  requestId: Schema.optional(Schema.String)
})) {
  override get message(): string {
    // Said of any streamed answer: a message stream, a download, a batch's results file.
    const what = this.reason === "truncated"
      ? "the stream ended before its end"
      : this.reason === "idle_timeout"
      ? "the stream went silent"
      : "the stream sent something unreadable"
    return `${what}: ${this.detail}` + (this.requestId === undefined ? "" : ` (request-id ${this.requestId})`)
  }
}

/**
 * The call was made on a Promise client after `client.close()` (or was still running when it closed). Create a new
 * client with `createClient()`.
 *
 * @since 0.1.0
 * @category errors
 */
export class ClientClosed extends scrubbing(Schema.TaggedError<ClientClosed>()("ClientClosed", {
  detail: Schema.String
})) {
  override get message(): string {
    return `The client is closed: ${this.detail}. Fix: create a new client with createClient()`
  }
}

/**
 * The login wizard could not finish: a refused or mismatched callback, a malformed pasted code, or a failed code
 * exchange. Nothing was written.
 *
 * @since 0.1.0
 * @category errors
 */
export class LoginFailed extends scrubbing(Schema.TaggedError<LoginFailed>()("LoginFailed", {
  detail: Schema.String
})) {
  override get message(): string {
    return `Login failed: ${this.detail}`
  }
}

/**
 * The model's answer does not hold what a `Schema` asked for (`StructuredOutput.decodeOutput`, `toolInputs`): its
 * text is not JSON, the JSON or a tool's input does not fit the schema, or the answer stopped before it was
 * complete (`max_tokens`, a refusal). `detail` says which, field by field.
 *
 * @since 0.2.0
 * @category errors
 */
export class StructuredOutputError extends scrubbing(Schema.TaggedError<StructuredOutputError>()(
  "StructuredOutputError",
  {
    /** Where the value came from: the answer's text (structured output) or a `tool_use` block's input. */
    source: Schema.Literals(["text", "tool_use"]),
    /** The tool, for a tool's input. */
    name: Schema.optional(Schema.String),
    detail: Schema.String,
    /** The answer's `stop_reason`. */
    stopReason: Schema.optional(Schema.String)
  }
)) {
  override get message(): string {
    const what = this.source === "text" ? "The structured output" : `The input of tool ${this.name ?? "(unnamed)"}`
    return `${what} does not fit its schema: ${this.detail}` +
      (this.stopReason === undefined ? "" : ` (stop_reason ${this.stopReason})`)
  }
}

/**
 * Any error a Messages API call can fail with.
 *
 * @since 0.1.0
 * @category models
 */
export type ApiError = CallError | StreamError

/**
 * What a call that is not a stream may fail with: the API's answers, no answer, a credential that cannot be had, a
 * request refused before sending.
 *
 * @since 0.2.0
 * @category models
 */
export type CallError =
  | RateLimit
  | CredentialInvalid
  | ServerError
  | Other
  | ConnectionError
  | LoginRequired
  | RefreshFailed
  | InvalidRequest

/**
 * Everything a call may fail with, building the client included.
 *
 * @since 0.1.0
 * @category models
 */
export type LlmError = ApiError | AnthropicConfigError | NoCredentials

/**
 * Whether the retry policy should try again after this error.
 *
 * @category utils
 */
export const isRetryable = (error: ApiError): boolean => {
  switch (error._tag) {
    case "ConnectionError":
      return true
    case "LoginRequired":
    case "RefreshFailed":
    case "StreamError":
    case "InvalidRequest":
      // The refresh has its own retries; repeating the whole call would repeat those. A refused request would be
      // refused again.
      return false
    default:
      return error.retryable
  }
}
