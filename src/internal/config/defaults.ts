/**
 * The settings' defaults: what a key left out of the configuration (file or `Config` values) stands for. The public
 * module `AnthropicConfig` re-exports them.
 */

export const DEFAULT_CONFIG_PATH = "config/llm.yaml"
export const DEFAULT_BASE_URL = "https://api.anthropic.com"
export const DEFAULT_ANTHROPIC_VERSION = "2023-06-01"
/** The seed's refresh endpoint. The current Claude Code CLI uses https://platform.claude.com/v1/oauth/token. */
export const DEFAULT_TOKEN_URL = "https://console.anthropic.com/v1/oauth/token"
export const DEFAULT_AUTHORIZE_URL = "https://claude.com/cai/oauth/authorize"
/** The hosted OAuth callback that shows the user `code#state` to paste back. */
export const DEFAULT_MANUAL_REDIRECT_URL = "https://platform.claude.com/oauth/code/callback"
/** The OAuth client id shared with the Claude Code CLI. */
export const DEFAULT_CLIENT_ID = "9d1c250a-e61b-44d9-88ed-5944d1962f5e"
export const DEFAULT_SCOPES: ReadonlyArray<string> = ["user:profile", "user:inference"]
export const DEFAULT_BUNDLE = "./secrets/anthropic_oauth.json"
export const DEFAULT_SETUP_TOKEN_FILE = "./secrets/anthropic_setup_token"
export const DEFAULT_MAX_RETRIES = 2
/** The longest `retry-after` honoured unless configured otherwise; longer asks fail at once. */
export const DEFAULT_MAX_RETRY_AFTER_MS = 60_000
/** Per attempt, as the official SDK. */
export const DEFAULT_TIMEOUT_MS = 600_000
/** Idle time allowed between two chunks of a stream before it fails. */
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 60_000
/** The Redis keys' prefix when `rate_limit.key_prefix` is absent. */
export const DEFAULT_KEY_PREFIX = "effect-anthropic:ratelimit:"
/**
 * The longest a call waits for the rate limiter when `rate_limit.max_wait_ms` is absent: five minutes, longer than
 * any per-minute budget takes to refill.
 */
export const DEFAULT_MAX_WAIT_MS = 300_000

/** Where the settings came from, when no file is (for error messages and `AnthropicSettings.source`). */
export const SOURCE = {
  /** An object of the file's shape, in memory. */
  inline: "<config object>",
  /** No file at all (`config/llm.yaml` absent and no path given). */
  builtIn: "<built-in defaults>",
  /** Effect `Config` values. */
  config: "<Effect Config>"
} as const
