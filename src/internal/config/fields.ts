/**
 * Each setting's names and rule in one table: its option (camelCase, as `Config` values give it), its key under
 * `providers.anthropic` in the file, the rule its value passes, and whether it is a secret. The file's decoded section
 * becomes `SettingsInput` through it, and `Config` values are checked one by one with it.
 */
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { decodeProblem, formatPath, valueAt } from "./describeValue.js"
import { fixFor } from "./fixHints.js"
import { AnthropicProviderFile, Rules } from "./schema.js"
import type { ConfigOptions, SettingsInput } from "./settings.js"

export interface Field {
  readonly option: keyof ConfigOptions
  /** The key under `providers.anthropic`: `["rate_limit", "requests_per_second"]`. */
  readonly key: ReadonlyArray<string>
  readonly rule: Schema.Decoder<unknown>
  /**
   * Kept `Redacted` in the input (a key, a token, a URL that may hold a password), and only described in errors;
   * every other setting's value is shown in them as given.
   */
  readonly secret: boolean
}

const field = (option: keyof ConfigOptions, key: string, rule: Schema.Decoder<unknown>, secret = false): Field => ({
  option,
  key: key.split("."),
  rule,
  secret
})

/** In the file's order, so that the first refused value is the same one from either source. */
export const FIELDS: ReadonlyArray<Field> = [
  field("apiKey", "api_key", Rules.api_key, true),
  field("baseUrl", "base_url", Rules.http_url),
  field("anthropicVersion", "anthropic_version", Rules.header_text),
  field("betas", "betas", Rules.betas),
  field("requestsPerSecond", "rate_limit.requests_per_second", Rules.requests_per_second),
  field("requestsPerMinute", "rate_limit.requests_per_minute", Rules.per_minute),
  field("inputTokensPerMinute", "rate_limit.input_tokens_per_minute", Rules.per_minute),
  field("outputTokensPerMinute", "rate_limit.output_tokens_per_minute", Rules.per_minute),
  field("rateLimitModels", "rate_limit.models", Rules.models),
  field("rateLimitAdaptive", "rate_limit.adaptive", Rules.adaptive),
  field("rateLimitStore", "rate_limit.store", Rules.store),
  field("redisUrl", "rate_limit.redis_url", Rules.redis_url, true),
  field("rateLimitKeyPrefix", "rate_limit.key_prefix", Rules.key_prefix),
  field("rateLimitMaxWaitMs", "rate_limit.max_wait_ms", Rules.wait_ms),
  field("rateLimitMaxConcurrent", "rate_limit.max_concurrent", Rules.max_concurrent),
  field("maxRetries", "retry.max_retries", Rules.max_retries),
  field("maxRetryAfterMs", "retry.max_retry_after_ms", Rules.wait_ms),
  field("timeoutMs", "timeout_ms", Rules.timeout_ms),
  field("streamIdleTimeoutMs", "stream_idle_timeout_ms", Rules.timeout_ms),
  field("authMode", "auth.mode", Rules.mode),
  field("bundle", "auth.bundle", Rules.path),
  field("setupToken", "auth.setup_token", Rules.setup_token, true),
  field("setupTokenFile", "auth.setup_token_file", Rules.path),
  field("cliCredentials", "auth.cli_credentials", Rules.path),
  field("tokenUrl", "auth.token_url", Rules.http_url),
  field("authorizeUrl", "auth.authorize_url", Rules.page_url),
  field("manualRedirectUrl", "auth.manual_redirect_url", Rules.page_url),
  field("clientId", "auth.client_id", Rules.header_text),
  field("scopes", "auth.scopes", Rules.scopes)
]

/** The field's key as the file writes it, from the top: `providers.anthropic.rate_limit.requests_per_second`. */
const fileKeyOf = (field: Field, within: ReadonlyArray<PropertyKey> = []): string =>
  formatPath(["providers", "anthropic", ...field.key, ...within])

/**
 * Whether an error may show the value at this file key as given: a setting that is not a secret, or a part of one (a
 * beta, a model's limit), or the model selection. A secret, and a section as a whole, are only described.
 */
export const showsValueAt = (keyPath: string): boolean =>
  /^model\.(provider|model)$/.test(keyPath) ||
  FIELDS.some((field) => {
    const key = fileKeyOf(field)
    return !field.secret && (keyPath === key || keyPath.startsWith(`${key}[`) || keyPath.startsWith(`${key}.`))
  })

/** The decoded `providers.anthropic` section as input: the same values under their option names. */
export const inputFromFile = (section: typeof AnthropicProviderFile.Type | undefined): SettingsInput => {
  const input: Record<string, unknown> = {}
  for (const field of FIELDS) {
    const value = valueAt(section, field.key)
    if (value !== undefined) input[field.option] = field.secret ? Redacted.make(value as string) : value
  }
  return input as SettingsInput
}

/** Why a value was refused: where inside it (a list's item, a model's limit) and what is there, the problem, the fix. */
export interface Refusal {
  readonly within: ReadonlyArray<PropertyKey>
  readonly found: unknown
  readonly problem: string
  readonly fix: string
}

/** One value checked by its field's rule (strictly: a mapping's unknown key is refused), decoded or refused. */
export const checkValue = (field: Field, value: unknown): Result.Result<unknown, Refusal> => {
  const raw = field.secret && Redacted.isRedacted(value) ? Redacted.value(value) : value
  return Schema.decodeUnknownResult(field.rule)(raw, { errors: "first", onExcessProperty: "error" }).pipe(
    Result.map((decoded) => field.secret ? Redacted.make(decoded as string) : decoded),
    Result.mapError((error) => {
      const { path: within, problem } = decodeProblem(error, raw, () => !field.secret)
      return { within, found: valueAt(raw, within), problem, fix: fixFor(fileKeyOf(field, within), problem) }
    })
  )
}

/** `store: redis` needs the Redis every process shares: the rule that ties two keys, for either source. */
export const redisWithoutUrl = (input: SettingsInput): boolean =>
  input.rateLimitStore === "redis" && input.redisUrl === undefined
