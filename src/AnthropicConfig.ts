/**
 * The client's settings and where they come from: `config/llm.yaml` (or an object of its shape) with
 * `${VAR:-default}` interpolation, or Effect `Config` values. Either way every value is checked by the same rules and
 * the result is {@link AnthropicSettings}, with every default filled in and every path absolute.
 *
 * The file keeps the seed's snake_case keys under `providers.anthropic`; `Config` values use the same keys, flat and
 * in camelCase ({@link ConfigOptions}).
 *
 * @since 0.1.0
 */
import type * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Result from "effect/Result"
import * as Defaults from "./internal/config/defaults.js"
import * as FromFile from "./internal/config/fromFile.js"
import type { Env } from "./internal/config/interpolate.js"
import { lazyImport } from "./internal/lazyImport.js"
import type { ModelSelection } from "./internal/config/schema.js"
import * as Settings from "./internal/config/settings.js"
import type { AnthropicConfigError } from "./internal/errors.js"

export {
  /**
   * The `providers.anthropic` section as written in the file.
   *
   * @since 0.1.0
   * @category schemas
   */
  AnthropicProviderFile,
  /**
   * The auth modes. `cli_credentials` pins the Claude Code CLI import (an extension of the seed's four).
   *
   * @since 0.1.0
   * @category schemas
   */
  AuthMode,
  /**
   * The longest wait accepted: a JavaScript timer holds at most 2^31 − 1 ms (a longer delay fires at once), so a larger bound would mean none.
   *
   * @since 0.1.0
   * @category constants
   */
  MAX_MILLISECONDS,
  /**
   * The fastest `rate_limit.requests_per_second`: the limiter spaces requests at millisecond resolution.
   *
   * @since 0.1.0
   * @category constants
   */
  MAX_REQUESTS_PER_SECOND,
  /**
   * The slowest `rate_limit.requests_per_second`: one request every 1,000 s.
   *
   * @since 0.1.0
   * @category constants
   */
  MIN_REQUESTS_PER_SECOND,
  /**
   * The per-agent model selection: `model: {provider: anthropic, model: claude-haiku-4-5}`.
   *
   * @since 0.1.0
   * @category schemas
   */
  ModelSelection
} from "./internal/config/schema.js"

// ---------------------------------------------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------------------------------------------

/**
 * The Anthropic provider's settings with defaults applied and paths made absolute.
 *
 * @since 0.1.0
 * @category models
 */
export interface AnthropicSettings extends Settings.AnthropicSettings {}

/**
 * Per-minute limits (any of them may be absent: not limited here).
 *
 * @since 0.2.0
 * @category models
 */
export interface MinuteLimits extends Settings.MinuteLimits {}

/**
 * The rate limiter's settings: `rate_limit`'s per-minute limits (of every model, and of some models on their own), the
 * store that keeps the budget, and whether the API's headers adjust it.
 *
 * @since 0.2.0
 * @category models
 */
export interface RateLimitSettings extends Settings.RateLimitSettings {}

/**
 * What {@link load} reads: a path (`configPath`) or an object of the file's shape (`config`), the environment for
 * `${VAR}` and the directory relative paths resolve against.
 *
 * @since 0.1.0
 * @category models
 */
export interface LoadOptions extends FromFile.LoadOptions {}

/**
 * The settings as Effect `Config` values supply them: the file's keys, flat and in camelCase, every one optional
 * (an absent one takes the file's default). Pass a `Config` for each key you set:
 * `{ apiKey: Config.Redacted("MY_ANTHROPIC_KEY"), requestsPerSecond: Config.Number("RPS") }`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConfigOptions extends Settings.ConfigOptions {}

// ---------------------------------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------------------------------

/**
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_CONFIG_PATH = Defaults.DEFAULT_CONFIG_PATH
/**
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_BASE_URL = Defaults.DEFAULT_BASE_URL
/**
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_ANTHROPIC_VERSION = Defaults.DEFAULT_ANTHROPIC_VERSION
/**
 * The seed's refresh endpoint. The current Claude Code CLI uses https://platform.claude.com/v1/oauth/token.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_TOKEN_URL = Defaults.DEFAULT_TOKEN_URL
/**
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_AUTHORIZE_URL = Defaults.DEFAULT_AUTHORIZE_URL
/**
 * The hosted OAuth callback that shows the user `code#state` to paste back.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_MANUAL_REDIRECT_URL = Defaults.DEFAULT_MANUAL_REDIRECT_URL
/**
 * The OAuth client id shared with the Claude Code CLI.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_CLIENT_ID = Defaults.DEFAULT_CLIENT_ID
/**
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_SCOPES = Defaults.DEFAULT_SCOPES
/**
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_BUNDLE = Defaults.DEFAULT_BUNDLE
/**
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_SETUP_TOKEN_FILE = Defaults.DEFAULT_SETUP_TOKEN_FILE
/**
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_MAX_RETRIES = Defaults.DEFAULT_MAX_RETRIES
/**
 * The longest `retry-after` honoured unless configured otherwise; longer asks fail at once.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_MAX_RETRY_AFTER_MS = Defaults.DEFAULT_MAX_RETRY_AFTER_MS
/**
 * Per attempt, as the official SDK.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_TIMEOUT_MS = Defaults.DEFAULT_TIMEOUT_MS
/**
 * Idle time allowed between two chunks of a stream before it fails.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = Defaults.DEFAULT_STREAM_IDLE_TIMEOUT_MS
/**
 * The Redis keys' prefix when `rate_limit.key_prefix` is absent.
 *
 * @since 0.2.0
 * @category constants
 */
export const DEFAULT_KEY_PREFIX = Defaults.DEFAULT_KEY_PREFIX
/**
 * The longest a call waits for the rate limiter when `rate_limit.max_wait_ms` is absent: five minutes, longer than
 * any per-minute budget takes to refill.
 *
 * @since 0.2.0
 * @category constants
 */
export const DEFAULT_MAX_WAIT_MS = Defaults.DEFAULT_MAX_WAIT_MS

// ---------------------------------------------------------------------------------------------------------------
// Tags
// ---------------------------------------------------------------------------------------------------------------

/**
 * The settings as a service, provided to Credentials, RateLimiter and the HTTP client.
 *
 * @since 0.1.0
 * @category tags
 */
export class AnthropicConfig extends Context.Service<AnthropicConfig, AnthropicSettings>()(
  "effect-anthropic/AnthropicConfig"
) {}

// ---------------------------------------------------------------------------------------------------------------
// From a file, or an object of its shape
// ---------------------------------------------------------------------------------------------------------------

/**
 * Load the settings: `options.config` when given, else the YAML file at `options.configPath` (default
 * `config/llm.yaml`; when no path is given and that file is absent, the built-in defaults, which read the
 * environment). Fails with one {@link AnthropicConfigError} naming the file, the key and the fix.
 *
 * @since 0.1.0
 * @category constructors
 */
export const load: (options?: LoadOptions) => Effect.Effect<AnthropicSettings, AnthropicConfigError> = FromFile.load

/**
 * Parse configuration already in memory (the file's shape), interpolating from `env`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromObject: (
  config: unknown,
  options?: { readonly env?: Env | undefined; readonly cwd?: string | undefined; readonly source?: string }
) => Result.Result<AnthropicSettings, AnthropicConfigError> = FromFile.fromObject

/**
 * Parse YAML text (the content of `config/llm.yaml`). An Effect: the YAML parser is loaded the first time it is
 * needed, not when the library is imported.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromYaml: (
  text: string,
  options?: { readonly env?: Env | undefined; readonly cwd?: string | undefined; readonly source?: string }
) => Effect.Effect<AnthropicSettings, AnthropicConfigError> = FromFile.fromYaml

/**
 * Decode a per-agent `model:` selection from anywhere (an agent's own config, say).
 *
 * @since 0.1.0
 * @category constructors
 */
export const decodeModelSelection: (
  input: unknown,
  file?: string
) => Result.Result<ModelSelection, AnthropicConfigError> = FromFile.decodeModelSelection

/**
 * Where the Claude Code CLI keeps its credentials: `${CLAUDE_CONFIG_DIR:-$HOME/.claude}/.credentials.json`.
 *
 * @since 0.1.0
 * @category utils
 */
export const defaultCliCredentialsPath: (env: Env) => string = Settings.defaultCliCredentialsPath

// ---------------------------------------------------------------------------------------------------------------
// From Effect `Config` values
// ---------------------------------------------------------------------------------------------------------------

/**
 * The settings from Effect `Config` values: the options given, and for the rest the file's defaults, reading
 * `ANTHROPIC_API_KEY`, `ANTHROPIC_BASE_URL` and `ANTHROPIC_AUTH_MODE` from the current `ConfigProvider` (the
 * environment unless you provide another). The values are literal (no `${VAR}`) and checked by the same rules as the
 * file's; a refused one fails with an {@link AnthropicConfigError} that names the key your own `Config` read
 * (`MY_ANTHROPIC_KEY`). A `Config` the provider cannot supply fails with Effect's own `ConfigError`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromConfig = (
  options?: Config.Wrap<ConfigOptions>
): Effect.Effect<AnthropicSettings, Config.ConfigError | AnthropicConfigError> =>
  Effect.flatMap(fromConfigModule, (module) => module.fromConfig(options))

// Loaded the first time: `effect/Config` and the reading of `Config` values are about 10 ms of a cold import on Node
// (`npm run bench import`), and a program configured from a file or in code never reads a `Config`.
const fromConfigModule = lazyImport(() => import("./internal/config/fromConfig.js"))

// ---------------------------------------------------------------------------------------------------------------
// Layers
// ---------------------------------------------------------------------------------------------------------------

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (settings: AnthropicSettings): Layer.Layer<AnthropicConfig> =>
  Layer.succeed(AnthropicConfig, settings)

/**
 * The settings loaded from a YAML file or an object of the file's shape (see {@link load}), as a layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFile = (options: LoadOptions = {}): Layer.Layer<AnthropicConfig, AnthropicConfigError> =>
  Layer.effect(AnthropicConfig, load(options))

/**
 * The settings from Effect `Config` values (see {@link fromConfig}), as a layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  options: Config.Wrap<ConfigOptions> = {}
): Layer.Layer<AnthropicConfig, Config.ConfigError | AnthropicConfigError> =>
  Layer.effect(AnthropicConfig, fromConfig(options))
