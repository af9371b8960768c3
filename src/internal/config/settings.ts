/**
 * The settings and what they are made from: the types the public module `AnthropicConfig` re-exports, the checked
 * input both sources produce (`SettingsInput`), and the one function that turns it into settings (defaults filled in,
 * paths made absolute).
 */
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as path from "node:path"
import * as Builtins from "../builtins.js"
import * as Defaults from "./defaults.js"
import type { Env } from "./interpolate.js"
import type { AuthMode, ModelSelection } from "./schema.js"

/**
 * The Anthropic provider's settings with defaults applied and paths made absolute.
 */
export interface AnthropicSettings {
  /** Where the settings came from (a file path or `<config object>`), for error messages. */
  readonly source: string
  readonly apiKey: Option.Option<Redacted.Redacted<string>>
  /** Where the API key was looked for: `providers.anthropic.api_key`, or `ANTHROPIC_API_KEY` when the key is absent. */
  readonly apiKeyLocation: string
  /** Why there is no API key, in words that never blame a variable that is set (used when `apiKey` is `None`). */
  readonly apiKeyMissing: string
  readonly baseUrl: string
  readonly anthropicVersion: string
  readonly betas: ReadonlyArray<string>
  /** `None`: no limit. */
  readonly requestsPerSecond: Option.Option<number>
  /** `rate_limit`'s per-minute limits, the store that keeps them, and whether the API's headers adjust them. */
  readonly rateLimit: RateLimitSettings
  readonly maxRetries: number
  /** The longest server-requested wait (`retry-after`) the client honours; a longer one fails the call at once. */
  readonly maxRetryAfterMs: number
  readonly timeoutMs: number
  readonly streamIdleTimeoutMs: number
  readonly auth: {
    readonly mode: AuthMode
    readonly bundle: string
    readonly setupToken: Option.Option<Redacted.Redacted<string>>
    readonly setupTokenFile: string
    readonly cliCredentials: string
    readonly tokenUrl: string
    readonly authorizeUrl: string
    /** The hosted callback that shows `code#state` for pasting (headless logins). */
    readonly manualRedirectUrl: string
    readonly clientId: string
    readonly scopes: ReadonlyArray<string>
  }
  /** The `model:` selection in the same file, if any. */
  readonly model: Option.Option<ModelSelection>
}

/**
 * Per-minute limits (any of them may be absent: not limited here).
 */
export interface MinuteLimits {
  readonly requestsPerMinute?: number | undefined
  readonly inputTokensPerMinute?: number | undefined
  readonly outputTokensPerMinute?: number | undefined
}

/** `rate_limit.models`' limits for one model, in the file's key names. */
export interface ModelLimits {
  readonly requests_per_minute?: number | undefined
  readonly input_tokens_per_minute?: number | undefined
  readonly output_tokens_per_minute?: number | undefined
}

/** The rate limiter's settings: the per-minute limits of every model, and where the budget lives. */
export interface RateLimitSettings extends MinuteLimits {
  /** Limits of their own for some models, in place of the ones above for those models. */
  readonly models: Readonly<Record<string, MinuteLimits>>
  /** The API's `anthropic-ratelimit-*` headers tighten the limits, and a 429 pauses every call (default true). */
  readonly adaptive: boolean
  /** Where the budget lives: this process (`memory`) or one Redis shared by every process (`redis`). */
  readonly store: "memory" | "redis"
  /** `redis_url` (it may hold a password). */
  readonly redisUrl: Option.Option<Redacted.Redacted<string>>
  /** The Redis keys' prefix. */
  readonly keyPrefix: string
  /** The longest a call waits for budget before it fails with `RateLimit` (default 300 000). */
  readonly maxWaitMs?: number | undefined
  /** The most requests in flight at once (per client; with Redis, per key prefix). */
  readonly maxConcurrent?: number | undefined
}

/**
 * The settings as Effect `Config` values supply them: the file's keys, flat and in camelCase, every one optional
 * (an absent one takes the file's default). Pass a `Config` for each key you set:
 * `{ apiKey: Config.Redacted("MY_ANTHROPIC_KEY"), requestsPerSecond: Config.Number("RPS") }`.
 */
export interface ConfigOptions {
  readonly apiKey?: Redacted.Redacted<string> | undefined
  readonly baseUrl?: string | undefined
  readonly anthropicVersion?: string | undefined
  readonly betas?: ReadonlyArray<string> | undefined
  readonly requestsPerSecond?: number | undefined
  readonly requestsPerMinute?: number | undefined
  readonly inputTokensPerMinute?: number | undefined
  readonly outputTokensPerMinute?: number | undefined
  /** `rate_limit.models`: per model, `{ requests_per_minute, input_tokens_per_minute, output_tokens_per_minute }`. */
  readonly rateLimitModels?: Readonly<Record<string, ModelLimits>> | undefined
  readonly rateLimitAdaptive?: boolean | undefined
  readonly rateLimitStore?: "memory" | "redis" | undefined
  readonly redisUrl?: Redacted.Redacted<string> | undefined
  readonly rateLimitKeyPrefix?: string | undefined
  /** `rate_limit.max_wait_ms`. */
  readonly rateLimitMaxWaitMs?: number | undefined
  /** `rate_limit.max_concurrent`. */
  readonly rateLimitMaxConcurrent?: number | undefined
  readonly maxRetries?: number | undefined
  readonly maxRetryAfterMs?: number | undefined
  readonly timeoutMs?: number | undefined
  readonly streamIdleTimeoutMs?: number | undefined
  readonly authMode?: string | undefined
  readonly bundle?: string | undefined
  readonly setupToken?: Redacted.Redacted<string> | undefined
  readonly setupTokenFile?: string | undefined
  readonly cliCredentials?: string | undefined
  readonly tokenUrl?: string | undefined
  readonly authorizeUrl?: string | undefined
  readonly manualRedirectUrl?: string | undefined
  readonly clientId?: string | undefined
  readonly scopes?: string | ReadonlyArray<string> | undefined
}

/** The options after every rule passed: what a file's `providers.anthropic` and the `Config` values both come to. */
export type SettingsInput = Omit<ConfigOptions, "authMode"> & { readonly authMode?: AuthMode | undefined }

/** What the settings need besides the input: where it came from, and what paths and the key's absence are read from. */
export interface SettingsContext {
  readonly source: string
  /** HOME, CLAUDE_CONFIG_DIR and ANTHROPIC_API_KEY (for the words of a missing key). */
  readonly env: Env
  /** What relative paths resolve against. */
  readonly cwd: string
  /** Whether the configuration names the API key itself (rather than leaving it to `ANTHROPIC_API_KEY`). */
  readonly apiKeyGiven: boolean
  readonly model: Option.Option<ModelSelection>
}

/** The settings from checked input: every default filled in, every path absolute. */
export const toSettings = (input: SettingsInput, context: SettingsContext): AnthropicSettings => ({
  source: context.source,
  apiKey: trimmedSecret(input.apiKey),
  apiKeyLocation: context.apiKeyGiven ? "providers.anthropic.api_key" : "ANTHROPIC_API_KEY",
  apiKeyMissing: apiKeyMissing(context),
  baseUrl: (input.baseUrl ?? Defaults.DEFAULT_BASE_URL).replace(/\/+$/, ""),
  anthropicVersion: input.anthropicVersion ?? Defaults.DEFAULT_ANTHROPIC_VERSION,
  betas: (input.betas ?? []).map((beta) => beta.trim()).filter((beta) => beta !== ""),
  requestsPerSecond: Option.fromNullishOr(input.requestsPerSecond),
  rateLimit: rateLimitOf(input),
  maxRetries: input.maxRetries ?? Defaults.DEFAULT_MAX_RETRIES,
  maxRetryAfterMs: input.maxRetryAfterMs ?? Defaults.DEFAULT_MAX_RETRY_AFTER_MS,
  timeoutMs: input.timeoutMs ?? Defaults.DEFAULT_TIMEOUT_MS,
  streamIdleTimeoutMs: input.streamIdleTimeoutMs ?? Defaults.DEFAULT_STREAM_IDLE_TIMEOUT_MS,
  auth: authOf(input, context),
  model: context.model
})

const authOf = (input: SettingsInput, { cwd, env }: SettingsContext): AnthropicSettings["auth"] => ({
  mode: input.authMode ?? "auto",
  bundle: resolvePath(input.bundle ?? Defaults.DEFAULT_BUNDLE, env, cwd),
  setupToken: trimmedSecret(input.setupToken),
  setupTokenFile: resolvePath(input.setupTokenFile ?? Defaults.DEFAULT_SETUP_TOKEN_FILE, env, cwd),
  cliCredentials: input.cliCredentials === undefined
    ? defaultCliCredentialsPath(env)
    : resolvePath(input.cliCredentials, env, cwd),
  tokenUrl: input.tokenUrl ?? Defaults.DEFAULT_TOKEN_URL,
  authorizeUrl: input.authorizeUrl ?? Defaults.DEFAULT_AUTHORIZE_URL,
  manualRedirectUrl: input.manualRedirectUrl ?? Defaults.DEFAULT_MANUAL_REDIRECT_URL,
  clientId: input.clientId ?? Defaults.DEFAULT_CLIENT_ID,
  scopes: input.scopes === undefined
    ? Defaults.DEFAULT_SCOPES
    : typeof input.scopes === "string"
    ? input.scopes.split(/\s+/).filter((scope) => scope !== "")
    : input.scopes
})

const minuteLimitsOf = (limits: ModelLimits): MinuteLimits => ({
  ...(limits.requests_per_minute === undefined ? {} : { requestsPerMinute: limits.requests_per_minute }),
  ...(limits.input_tokens_per_minute === undefined ? {} : { inputTokensPerMinute: limits.input_tokens_per_minute }),
  ...(limits.output_tokens_per_minute === undefined ? {} : { outputTokensPerMinute: limits.output_tokens_per_minute })
})

const rateLimitOf = (input: SettingsInput): RateLimitSettings => ({
  ...minuteLimitsOf({
    requests_per_minute: input.requestsPerMinute,
    input_tokens_per_minute: input.inputTokensPerMinute,
    output_tokens_per_minute: input.outputTokensPerMinute
  }),
  models: Object.fromEntries(
    Object.entries(input.rateLimitModels ?? {}).map(([model, limits]) => [model, minuteLimitsOf(limits)])
  ),
  adaptive: input.rateLimitAdaptive ?? true,
  store: input.rateLimitStore ?? "memory",
  redisUrl: Option.fromNullishOr(input.redisUrl),
  keyPrefix: input.rateLimitKeyPrefix ?? Defaults.DEFAULT_KEY_PREFIX,
  maxWaitMs: input.rateLimitMaxWaitMs ?? Defaults.DEFAULT_MAX_WAIT_MS,
  maxConcurrent: input.rateLimitMaxConcurrent
})

/** Why no API key came out of the configuration: the words depend on whether `ANTHROPIC_API_KEY` is set. */
const apiKeyMissing = ({ apiKeyGiven, env, source }: SettingsContext): string => {
  if (!apiKeyGiven) return "ANTHROPIC_API_KEY is not set (and the configuration gives no api_key)"
  return Option.isSome(nonEmpty(env.ANTHROPIC_API_KEY))
    ? `providers.anthropic.api_key is empty in ${source} (ANTHROPIC_API_KEY is set, but this configuration does not use it)`
    : "providers.anthropic.api_key is empty and ANTHROPIC_API_KEY is not set"
}

const nonEmpty = (s: string | undefined): Option.Option<string> =>
  s === undefined || s.trim() === "" ? Option.none() : Option.some(s.trim())

/** Keys and tokens are trimmed (a pasted one often ends with a line break); an empty one is none. */
const trimmedSecret = (secret: Redacted.Redacted<string> | undefined): Option.Option<Redacted.Redacted<string>> =>
  secret === undefined ? Option.none() : nonEmpty(Redacted.value(secret)).pipe(Option.map(Redacted.make))

const homeOf = (env: Env): string => env.HOME ?? Builtins.os().homedir()

/** Relative paths resolve against the working directory; `~/` against HOME. */
const resolvePath = (p: string, env: Env, cwd: string): string =>
  path.resolve(cwd, p === "~" ? homeOf(env) : p.startsWith("~/") ? path.join(homeOf(env), p.slice(2)) : p)

/** Where the Claude Code CLI keeps its credentials: `${CLAUDE_CONFIG_DIR:-$HOME/.claude}/.credentials.json`. */
export const defaultCliCredentialsPath = (env: Env): string =>
  path.join(
    nonEmpty(env.CLAUDE_CONFIG_DIR).pipe(Option.getOrElse(() => path.join(homeOf(env), ".claude"))),
    ".credentials.json"
  )
