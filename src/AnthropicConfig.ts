/**
 * `config/llm.yaml`: loading, `${VAR:-default}` interpolation, validation and defaults.
 *
 * The file keeps the seed's snake_case keys under `providers.anthropic`; loading turns it into
 * {@link AnthropicSettings} with every default filled in and every path absolute.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as os from "node:os"
import * as path from "node:path"
import { AnthropicConfigError } from "./internal/errors.js"
import { type Env, interpolate, InterpolationError } from "./internal/interpolate.js"
import { decodeProblem } from "./internal/describeValue.js"
import {
  AnthropicProviderFile,
  type AuthMode,
  LlmFile,
  MAX_MILLISECONDS,
  MAX_CONCURRENT,
  MAX_RETRIES,
  MAX_REQUESTS_PER_SECOND,
  MIN_REQUESTS_PER_SECOND,
  ModelSelection
} from "./internal/configSchema.js"
import { SETUP_TOKEN_FIX } from "./internal/tokens.js"
import { parseYaml, readBounded } from "./internal/yamlFile.js"

export {
  /**
   * @since 0.1.0
   * @category schemas
   */
  AnthropicProviderFile,
  /**
   * @since 0.1.0
   * @category schemas
   */
  AuthMode,
  /**
   * @since 0.1.0
   * @category constants
   */
  MAX_MILLISECONDS,
  /**
   * @since 0.1.0
   * @category constants
   */
  MAX_REQUESTS_PER_SECOND,
  /**
   * @since 0.1.0
   * @category constants
   */
  MIN_REQUESTS_PER_SECOND,
  /**
   * @since 0.1.0
   * @category schemas
   */
  ModelSelection
} from "./internal/configSchema.js"

/**
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_CONFIG_PATH = "config/llm.yaml"
/**
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_BASE_URL = "https://api.anthropic.com"
/**
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_ANTHROPIC_VERSION = "2023-06-01"
/**
 * The seed's refresh endpoint. The current Claude Code CLI uses https://platform.claude.com/v1/oauth/token.
 *
 * @category constants
 */
export const DEFAULT_TOKEN_URL = "https://console.anthropic.com/v1/oauth/token"
/**
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_AUTHORIZE_URL = "https://claude.com/cai/oauth/authorize"
/**
 * The hosted OAuth callback that shows the user `code#state` to paste back.
 *
 * @category constants
 */
export const DEFAULT_MANUAL_REDIRECT_URL = "https://platform.claude.com/oauth/code/callback"
/**
 * The OAuth client id shared with the Claude Code CLI.
 *
 * @category constants
 */
export const DEFAULT_CLIENT_ID = "9d1c250a-e61b-44d9-88ed-5944d1962f5e"
/**
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_SCOPES: ReadonlyArray<string> = ["user:profile", "user:inference"]
/**
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_BUNDLE = "./secrets/anthropic_oauth.json"
/**
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_SETUP_TOKEN_FILE = "./secrets/anthropic_setup_token"
/**
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_MAX_RETRIES = 2
/**
 * The longest `retry-after` honoured; longer asks fail at once (a sleep past 2^31 ms would never end).
 *
 * @category constants
 */
export const DEFAULT_MAX_RETRY_AFTER_MS = 60_000
/**
 * Per attempt, as the official SDK.
 *
 * @category constants
 */
export const DEFAULT_TIMEOUT_MS = 600_000
/** How deep the configuration may nest (the file itself is 4 levels); past this it is refused, not recursed into. */
const MAX_CONFIG_DEPTH = 32

// ---------------------------------------------------------------------------------------------------------------
// The resolved settings
// ---------------------------------------------------------------------------------------------------------------

/**
 * The Anthropic provider's settings with defaults applied and paths made absolute.
 *
 * @since 0.1.0
 * @category models
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
 *
 * @since 0.2.0
 * @category models
 */
export interface MinuteLimits {
  readonly requestsPerMinute?: number | undefined
  readonly inputTokensPerMinute?: number | undefined
  readonly outputTokensPerMinute?: number | undefined
}

/**
 * @since 0.2.0
 * @category models
 */
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
 * The Redis keys' prefix when `rate_limit.key_prefix` is absent.
 *
 * @category constants
 */
export const DEFAULT_KEY_PREFIX = "effect-anthropic:ratelimit:"

/**
 * The longest a call waits for the rate limiter when `rate_limit.max_wait_ms` is absent: five minutes, longer than
 * any per-minute budget takes to refill.
 *
 * @category constants
 */
export const DEFAULT_MAX_WAIT_MS = 300_000

/**
 * Idle time allowed between two chunks of a stream before it fails.
 *
 * @category constants
 */
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 60_000

/**
 * The settings as a service, provided to Credentials, RateLimiter and the HTTP client.
 *
 * @since 0.1.0
 * @category tags
 */
export class AnthropicConfig extends Context.Tag("effect-anthropic/AnthropicConfig")<
  AnthropicConfig,
  AnthropicSettings
>() {}

/**
 * What {@link load} reads.
 *
 * @since 0.1.0
 * @category models
 */
export interface LoadOptions {
  /**
   * The YAML file; ignored when `config` is given. Without it, `config/llm.yaml` is read if it exists, else the
   * built-in defaults apply (the environment alone). A path given here must exist.
   */
  readonly configPath?: string | undefined
  /** The configuration as an object of the file's shape (top-level `providers:`). */
  readonly config?: unknown
  /** Where `${VAR}`, HOME and CLAUDE_CONFIG_DIR are read. Defaults to `process.env`. */
  readonly env?: Env | undefined
  /** What relative paths resolve against. Defaults to `process.cwd()`. */
  readonly cwd?: string | undefined
}

const INLINE = "<config object>"
/** The source of settings made from no file at all (`config/llm.yaml` absent and no path given). */
const BUILT_IN = "<built-in defaults>"
/** The source of settings made from Effect `Config` values. */
const FROM_CONFIG = "<Effect Config>"

/** Where credentials go instead of a URL. */
const NOT_IN_URLS = "credentials belong in api_key / ANTHROPIC_API_KEY or the auth files, never in a URL"

const FIXES: ReadonlyArray<readonly [RegExp, string]> = [
  [/auth\.mode$/, "set it to one of auto, static, setup_token, oauth_bundle, cli_credentials (or leave it out for auto)"],
  [/auth\.setup_token$/, SETUP_TOKEN_FIX],
  [/^providers\.anthropic\.api_key$/, "put the key alone (sk-ant-api03-…, one line, no spaces or quotes) in api_key or ANTHROPIC_API_KEY"],
  [/anthropic_version$/, "write the version alone, e.g. 2023-06-01 (or leave it out for the default)"],
  [/client_id$/, `write the OAuth client id alone, e.g. ${DEFAULT_CLIENT_ID} (or leave it out for the default)`],
  [
    /requests_per_second$/,
    `write a number from ${MIN_REQUESTS_PER_SECOND} to ${MAX_REQUESTS_PER_SECOND} such as 2 or 0.5, ` +
    "or remove rate_limit for no limit"
  ],
  [/max_retries$/, `write a whole number from 0 to ${MAX_RETRIES} (default 2)`],
  [/max_retry_after_ms$/, `write a whole number of milliseconds from 0 to ${MAX_MILLISECONDS} (default 60000)`],
  [/max_wait_ms$/, `write a whole number of milliseconds from 0 to ${MAX_MILLISECONDS} (default ${DEFAULT_MAX_WAIT_MS})`],
  [/max_concurrent$/, `write a whole number from 1 to ${MAX_CONCURRENT}, or leave it out for no cap`],
  [/_ms$/, `write a whole number of milliseconds from 1 to ${MAX_MILLISECONDS}`],
  [/per_minute$/, "write a whole number, e.g. 50 (requests) or 40000 (tokens), or leave the key out for no limit"],
  [/rate_limit\.adaptive$/, "write true (the API's headers adjust the limits, the default) or false"],
  [/rate_limit\.store$/, "write memory (one process, the default) or redis (shared, with redis_url)"],
  [/redis_url$/, "write the Redis server's URL, e.g. redis://127.0.0.1:6379/0 (rediss:// for TLS; a password may go in it)"],
  [/key_prefix$/, "write a short prefix without spaces, e.g. myapp:anthropic: (the default is effect-anthropic:ratelimit:)"],
  [/base_url$/, `write a full URL alone, such as https://api.anthropic.com (here or in ANTHROPIC_BASE_URL); ${NOT_IN_URLS}`],
  [/token_url$/, `write the token endpoint's full URL alone, such as https://platform.claude.com/v1/oauth/token; ${NOT_IN_URLS}`],
  [/_url$/, `write a full URL such as ${DEFAULT_AUTHORIZE_URL}, without user:password@; ${NOT_IN_URLS}`],
  [/^model\.provider$/, "set model.provider to anthropic (other providers are served by other clients)"],
  [/^model\.model$/, "name a model, e.g. claude-haiku-4-5"],
  [/betas/, "write a list of strings, each one beta name, e.g. [prompt-caching-2024-07-31]"],
  [/auth\.scopes/, "write the scopes as one string (\"user:profile user:inference\") or a list of strings"]
]

const fixFor = (keyPath: string, problem: string): string => {
  if (problem.startsWith("is unexpected")) {
    return "remove the key or correct its spelling; the README lists every key"
  }
  for (const [pattern, fix] of FIXES) if (pattern.test(keyPath)) return fix
  return "correct the value; the README lists every key with its type"
}

const formatPath = (p: ReadonlyArray<PropertyKey>): string =>
  p.map((k, i) => typeof k === "number" ? `[${k}]` : `${i === 0 ? "" : "."}${String(k)}`).join("")

/** Interpolate every string scalar of the parsed tree, naming the key of the first failure. */
const interpolateTree = (
  node: unknown,
  env: Env,
  at: ReadonlyArray<PropertyKey>,
  file: string
): Either.Either<unknown, AnthropicConfigError> => {
  if (at.length > MAX_CONFIG_DEPTH) {
    // A real file is 4 levels deep; a cyclic object or a pathological file must not exhaust the stack.
    return Either.left(
      new AnthropicConfigError({
        file,
        path: formatPath(at.slice(0, 4)),
        problem: `nests more than ${MAX_CONFIG_DEPTH} levels deep`,
        fix: "keep to the shape shown in the README (providers.anthropic.<key>); remove the nested values"
      })
    )
  }
  if (typeof node === "string") {
    const result = interpolate(node, env)
    return result instanceof InterpolationError
      ? Either.left(new AnthropicConfigError({ file, path: formatPath(at), problem: result.problem, fix: result.fix }))
      : Either.right(result)
  }
  if (Array.isArray(node)) {
    const out: Array<unknown> = []
    for (let i = 0; i < node.length; i++) {
      const r = interpolateTree(node[i], env, [...at, i], file)
      if (Either.isLeft(r)) return r
      out.push(r.right)
    }
    return Either.right(out)
  }
  if (node !== null && typeof node === "object") {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(node)) {
      const r = interpolateTree(v, env, [...at, k], file)
      if (Either.isLeft(r)) return r
      out[k] = r.right
    }
    return Either.right(out)
  }
  return Either.right(node)
}

const decodeFile = (raw: unknown, file: string): Either.Either<typeof LlmFile.Type, AnthropicConfigError> => {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return Either.left(
      new AnthropicConfigError({
        file,
        problem: "the configuration is not a mapping",
        fix: "start the file with `providers:` and put the client's keys under `providers.anthropic` (see the README)"
      })
    )
  }
  const result = Schema.decodeUnknownEither(LlmFile)(raw, { errors: "first" })
  if (Either.isRight(result)) {
    // Keys under providers.anthropic are checked strictly: a typo there must not silently fall back to a default.
    const anthropic = (raw as { providers?: { anthropic?: unknown } }).providers?.anthropic
    const strict = Schema.decodeUnknownEither(AnthropicProviderFile)(anthropic ?? {}, {
      errors: "first",
      onExcessProperty: "error"
    })
    if (Either.isLeft(strict)) {
      return Either.left(toConfigError(strict.left, anthropic ?? {}, file, ["providers", "anthropic"]))
    }
    const limits = result.right.providers.anthropic?.rate_limit
    if (limits?.store === "redis" && limits.redis_url === undefined) {
      return Either.left(
        new AnthropicConfigError({
          file,
          path: "providers.anthropic.rate_limit.redis_url",
          problem: "is missing, and rate_limit.store is redis",
          fix: "add redis_url: redis://host:6379/0 (the Redis every process shares), or set store: memory"
        })
      )
    }
    return Either.right(result.right)
  }
  return Either.left(toConfigError(result.left, raw, file, []))
}

/** One AnthropicConfigError for a failed decode of `input` (found at `prefix` in the file): the key, the problem, the fix. */
const toConfigError = (
  error: ParseResult.ParseError,
  input: unknown,
  file: string,
  prefix: ReadonlyArray<PropertyKey>
): AnthropicConfigError => {
  const { path: at, problem } = decodeProblem(error, input)
  const keyPath = formatPath([...prefix, ...at])
  return new AnthropicConfigError({ file, path: keyPath === "" ? undefined : keyPath, problem, fix: fixFor(keyPath, problem) })
}

const nonEmpty = (s: string | undefined): Option.Option<string> =>
  s === undefined || s.trim() === "" ? Option.none() : Option.some(s.trim())

const homeOf = (env: Env): string => env.HOME ?? os.homedir()

/** Relative paths resolve against the working directory; `~/` against HOME. */
const resolvePath = (p: string, env: Env, cwd: string): string =>
  path.resolve(cwd, p === "~" ? homeOf(env) : p.startsWith("~/") ? path.join(homeOf(env), p.slice(2)) : p)

/**
 * Where the Claude Code CLI keeps its credentials: `${CLAUDE_CONFIG_DIR:-$HOME/.claude}/.credentials.json`.
 *
 * @since 0.1.0
 * @category utils
 */
export const defaultCliCredentialsPath = (env: Env): string =>
  path.join(nonEmpty(env.CLAUDE_CONFIG_DIR).pipe(Option.getOrElse(() => path.join(homeOf(env), ".claude"))), ".credentials.json")

/**
 * The shipped `config/llm.yaml`'s environment lookups, as the defaults of the keys a configuration leaves out: so a
 * configuration without them (or no file at all) starts from the environment alone, as every peer client does.
 */
const ENVIRONMENT_DEFAULTS = {
  api_key: "${ANTHROPIC_API_KEY:-}",
  base_url: "${ANTHROPIC_BASE_URL:-" + DEFAULT_BASE_URL + "}",
  mode: "${ANTHROPIC_AUTH_MODE:-auto}"
} as const

const isMapping = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value)

/** `config` with {@link ENVIRONMENT_DEFAULTS} where its keys are absent; anything else is left for the schema to judge. */
const withEnvironmentDefaults = (config: unknown): unknown => {
  // A configuration with keys but no `providers` is a mistake (a misplaced `anthropic:`, say): let the schema say so.
  if (!isMapping(config) || (config.providers === undefined && Object.keys(config).length > 0)) return config
  const providers = config.providers ?? {}
  if (!isMapping(providers)) return config
  const anthropic = providers.anthropic ?? {}
  if (!isMapping(anthropic)) return config
  const auth = anthropic.auth ?? {}
  if (!isMapping(auth)) return config
  return {
    ...config,
    providers: {
      ...providers,
      anthropic: {
        api_key: ENVIRONMENT_DEFAULTS.api_key,
        base_url: ENVIRONMENT_DEFAULTS.base_url,
        ...anthropic,
        auth: { mode: ENVIRONMENT_DEFAULTS.mode, ...auth }
      }
    }
  }
}

/** Whether the configuration names `api_key` itself (rather than leaving it to `ANTHROPIC_API_KEY`). */
const givesApiKey = (config: unknown): boolean =>
  isMapping(config) && isMapping(config.providers) && isMapping(config.providers.anthropic) &&
  Object.hasOwn(config.providers.anthropic, "api_key")

/** Why no API key came out of the configuration: the words depend on whether `ANTHROPIC_API_KEY` is set. */
const apiKeyMissing = (given: boolean, env: Env, source: string): string => {
  const envSet = nonEmpty(env.ANTHROPIC_API_KEY)._tag === "Some"
  if (!given) return "ANTHROPIC_API_KEY is not set (and the configuration gives no api_key)"
  return envSet
    ? `providers.anthropic.api_key is empty in ${source} (ANTHROPIC_API_KEY is set, but this configuration does not use it)`
    : "providers.anthropic.api_key is empty and ANTHROPIC_API_KEY is not set"
}

const toSettings = (
  file: typeof LlmFile.Type,
  source: string,
  env: Env,
  cwd: string,
  apiKeyGiven: boolean
): AnthropicSettings => {
  const p = file.providers.anthropic ?? {}
  const auth = p.auth ?? {}
  const scopes = auth.scopes === undefined
    ? DEFAULT_SCOPES
    : typeof auth.scopes === "string"
    ? auth.scopes.split(/\s+/).filter((s) => s !== "")
    : auth.scopes
  return {
    source,
    apiKey: nonEmpty(p.api_key).pipe(Option.map(redact)),
    apiKeyLocation: apiKeyGiven ? "providers.anthropic.api_key" : "ANTHROPIC_API_KEY",
    apiKeyMissing: apiKeyMissing(apiKeyGiven, env, source),
    baseUrl: (p.base_url ?? DEFAULT_BASE_URL).replace(/\/+$/, ""),
    anthropicVersion: p.anthropic_version ?? DEFAULT_ANTHROPIC_VERSION,
    betas: (p.betas ?? []).map((b) => b.trim()).filter((b) => b !== ""),
    requestsPerSecond: Option.fromNullable(p.rate_limit?.requests_per_second),
    rateLimit: rateLimitOf(p.rate_limit),
    maxRetries: p.retry?.max_retries ?? DEFAULT_MAX_RETRIES,
    maxRetryAfterMs: p.retry?.max_retry_after_ms ?? DEFAULT_MAX_RETRY_AFTER_MS,
    timeoutMs: p.timeout_ms ?? DEFAULT_TIMEOUT_MS,
    streamIdleTimeoutMs: p.stream_idle_timeout_ms ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS,
    auth: {
      mode: auth.mode ?? "auto",
      bundle: resolvePath(auth.bundle ?? DEFAULT_BUNDLE, env, cwd),
      setupToken: nonEmpty(auth.setup_token).pipe(Option.map(redact)),
      setupTokenFile: resolvePath(auth.setup_token_file ?? DEFAULT_SETUP_TOKEN_FILE, env, cwd),
      cliCredentials: auth.cli_credentials === undefined
        ? defaultCliCredentialsPath(env)
        : resolvePath(auth.cli_credentials, env, cwd),
      tokenUrl: auth.token_url ?? DEFAULT_TOKEN_URL,
      authorizeUrl: auth.authorize_url ?? DEFAULT_AUTHORIZE_URL,
      manualRedirectUrl: auth.manual_redirect_url ?? DEFAULT_MANUAL_REDIRECT_URL,
      clientId: auth.client_id ?? DEFAULT_CLIENT_ID,
      scopes
    },
    model: Option.fromNullable(file.model)
  }
}

const redact = (s: string) => Redacted.make(s)

const minuteLimitsOf = (limits: {
  readonly requests_per_minute?: number | undefined
  readonly input_tokens_per_minute?: number | undefined
  readonly output_tokens_per_minute?: number | undefined
}): MinuteLimits => ({
  ...(limits.requests_per_minute === undefined ? {} : { requestsPerMinute: limits.requests_per_minute }),
  ...(limits.input_tokens_per_minute === undefined ? {} : { inputTokensPerMinute: limits.input_tokens_per_minute }),
  ...(limits.output_tokens_per_minute === undefined ? {} : { outputTokensPerMinute: limits.output_tokens_per_minute })
})

const rateLimitOf = (file: NonNullable<NonNullable<typeof LlmFile.Type.providers.anthropic>["rate_limit"]> | undefined): RateLimitSettings => ({
  ...minuteLimitsOf(file ?? {}),
  models: Object.fromEntries(Object.entries(file?.models ?? {}).map(([model, limits]) => [model, minuteLimitsOf(limits)])),
  adaptive: file?.adaptive ?? true,
  store: file?.store ?? "memory",
  redisUrl: Option.fromNullable(file?.redis_url).pipe(Option.map(redact)),
  keyPrefix: file?.key_prefix ?? DEFAULT_KEY_PREFIX,
  maxWaitMs: file?.max_wait_ms ?? DEFAULT_MAX_WAIT_MS,
  maxConcurrent: file?.max_concurrent
})

/**
 * Parse configuration already in memory (the file's shape), interpolating from `env`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromObject = (
  config: unknown,
  options: { readonly env?: Env | undefined; readonly cwd?: string | undefined; readonly source?: string } = {}
): Either.Either<AnthropicSettings, AnthropicConfigError> => {
  const env = options.env ?? process.env
  const source = options.source ?? INLINE
  return interpolateTree(withEnvironmentDefaults(config), env, [], source).pipe(
    Either.flatMap((tree) => decodeFile(tree, source)),
    Either.map((file) => toSettings(file, source, env, options.cwd ?? process.cwd(), givesApiKey(config)))
  )
}

/**
 * Parse YAML text (the content of `config/llm.yaml`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromYaml = (
  text: string,
  options: { readonly env?: Env | undefined; readonly cwd?: string | undefined; readonly source?: string } = {}
): Either.Either<AnthropicSettings, AnthropicConfigError> => {
  const source = options.source ?? INLINE
  return Either.flatMap(parseYaml(text, source), (data) => fromObject(data ?? {}, { ...options, source }))
}

/**
 * Load the settings: `options.config` when given, else the YAML file at `options.configPath` (default
 * `config/llm.yaml`). Fails with one {@link AnthropicConfigError} naming the file, the key and the fix.
 *
 * @since 0.1.0
 * @category constructors
 */
export const load = (options: LoadOptions = {}): Effect.Effect<AnthropicSettings, AnthropicConfigError> =>
  Effect.suspend(() => {
    const cwd = options.cwd ?? process.cwd()
    if (options.config !== undefined) {
      return fromObject(options.config, { env: options.env, cwd })
    }
    const configPath = path.resolve(cwd, options.configPath ?? DEFAULT_CONFIG_PATH)
    return Effect.tryPromise({
      try: (): Promise<Option.Option<Either.Either<string, AnthropicConfigError>>> =>
        readBounded(configPath).then(Option.some, (cause: NodeJS.ErrnoException) => {
          // No file where none was asked for: the built-in defaults (the environment alone).
          if (cause.code === "ENOENT" && options.configPath === undefined) return Option.none()
          throw cause
        }),
      catch: (cause) =>
        new AnthropicConfigError({
          file: configPath,
          problem: (cause as NodeJS.ErrnoException).code === "ENOENT"
            ? "the configuration file does not exist"
            : `the configuration file cannot be read (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`,
          fix: `create it (the README has an example), or pass another path (configPath / --config)`
        })
    }).pipe(Effect.flatMap(Option.match({
      onNone: () => fromObject({}, { env: options.env, cwd, source: BUILT_IN }),
      onSome: Either.flatMap((text) => fromYaml(text, { env: options.env, cwd, source: configPath }))
    })))
  })

/**
 * Decode a per-agent `model:` selection from anywhere (an agent's own config, say).
 *
 * @since 0.1.0
 * @category constructors
 */
export const decodeModelSelection = (
  input: unknown,
  file = INLINE
): Either.Either<ModelSelection, AnthropicConfigError> =>
  Schema.decodeUnknownEither(ModelSelection)(input, { errors: "first" }).pipe(
    Either.mapLeft((e) => toConfigError(e, input, file, ["model"]))
  )

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

// ---------------------------------------------------------------------------------------------------------------
// From Effect `Config` values
// ---------------------------------------------------------------------------------------------------------------

/**
 * The settings as Effect `Config` values supply them: the file's keys, flat and in camelCase, every one optional
 * (an absent one takes the file's default). Pass a `Config` for each key you set:
 * `{ apiKey: Config.redacted("MY_ANTHROPIC_KEY"), requestsPerSecond: Config.number("RPS") }`.
 *
 * @since 0.1.0
 * @category models
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
  readonly rateLimitModels?: Readonly<Record<string, {
    readonly requests_per_minute?: number | undefined
    readonly input_tokens_per_minute?: number | undefined
    readonly output_tokens_per_minute?: number | undefined
  }>> | undefined
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

const optional = <A>(config: Config.Config<A>): Config.Config<A | undefined> =>
  Config.map(Config.option(config), Option.getOrUndefined)

/**
 * What the file reads from the environment, read from the `ConfigProvider` instead: the keys a configuration leaves
 * out default to them (`ANTHROPIC_API_KEY`, `ANTHROPIC_BASE_URL`, `ANTHROPIC_AUTH_MODE`), and paths to HOME and
 * CLAUDE_CONFIG_DIR.
 */
const environment: Config.Config<Env> = Config.all({
  ANTHROPIC_API_KEY: optional(Config.map(Config.redacted("ANTHROPIC_API_KEY"), Redacted.value)),
  ANTHROPIC_BASE_URL: optional(Config.string("ANTHROPIC_BASE_URL")),
  ANTHROPIC_AUTH_MODE: optional(Config.string("ANTHROPIC_AUTH_MODE")),
  HOME: optional(Config.string("HOME")),
  CLAUDE_CONFIG_DIR: optional(Config.string("CLAUDE_CONFIG_DIR"))
})

/** A value from a `Config` is final: `$` is literal there, not the start of a `${VAR}`. */
const literal = <A>(value: A): A =>
  (typeof value === "string" ? value.replaceAll("$", "$$$$") : Array.isArray(value) ? value.map(literal) : value) as A

/** The object without its `undefined` fields, and `undefined` when nothing is left. */
const defined = (fields: Record<string, unknown>): Record<string, unknown> | undefined => {
  const entries = Object.entries(fields).filter(([, value]) => value !== undefined)
  return entries.length === 0 ? undefined : Object.fromEntries(entries)
}

/** The options as a configuration of the file's shape, so that one decoder checks both. */
const toFileShape = (o: ConfigOptions): unknown => ({
  providers: {
    anthropic: defined({
      api_key: literal(o.apiKey === undefined ? undefined : Redacted.value(o.apiKey)),
      base_url: literal(o.baseUrl),
      anthropic_version: literal(o.anthropicVersion),
      betas: literal(o.betas),
      rate_limit: defined({
        requests_per_second: o.requestsPerSecond,
        requests_per_minute: o.requestsPerMinute,
        input_tokens_per_minute: o.inputTokensPerMinute,
        output_tokens_per_minute: o.outputTokensPerMinute,
        models: literal(o.rateLimitModels),
        adaptive: o.rateLimitAdaptive,
        store: literal(o.rateLimitStore),
        redis_url: literal(o.redisUrl === undefined ? undefined : Redacted.value(o.redisUrl)),
        key_prefix: literal(o.rateLimitKeyPrefix),
        max_wait_ms: o.rateLimitMaxWaitMs,
        max_concurrent: o.rateLimitMaxConcurrent
      }),
      retry: defined({ max_retries: o.maxRetries, max_retry_after_ms: o.maxRetryAfterMs }),
      timeout_ms: o.timeoutMs,
      stream_idle_timeout_ms: o.streamIdleTimeoutMs,
      auth: defined({
        mode: literal(o.authMode),
        bundle: literal(o.bundle),
        setup_token: literal(o.setupToken === undefined ? undefined : Redacted.value(o.setupToken)),
        setup_token_file: literal(o.setupTokenFile),
        cli_credentials: literal(o.cliCredentials),
        token_url: literal(o.tokenUrl),
        authorize_url: literal(o.authorizeUrl),
        manual_redirect_url: literal(o.manualRedirectUrl),
        client_id: literal(o.clientId),
        scopes: literal(o.scopes)
      })
    }) ?? {}
  }
})

/**
 * The settings from Effect `Config` values: the options given, and for the rest the file's defaults, reading
 * `ANTHROPIC_API_KEY`, `ANTHROPIC_BASE_URL` and `ANTHROPIC_AUTH_MODE` from the current `ConfigProvider` (the
 * environment unless you provide another). The values are checked exactly as the file's are.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromConfig = (
  options: Config.Config.Wrap<ConfigOptions> = {}
): Effect.Effect<AnthropicSettings, ConfigError.ConfigError | AnthropicConfigError> =>
  Effect.flatMap(
    Config.all([environment, unwrapOptions(options)]),
    ([env, input]) => fromObject(toFileShape(input), { env, source: FROM_CONFIG })
  )

/** `Config.unwrap`, which (effect 3.22) throws on an object without keys: no options is no `Config` to read. */
const unwrapOptions = (options: Config.Config.Wrap<ConfigOptions>): Config.Config<ConfigOptions> =>
  Config.isConfig(options) || Object.keys(options).length > 0 ? Config.unwrap(options) : Config.succeed({})

/**
 * The settings from Effect `Config` values (see {@link fromConfig}), as a layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  options: Config.Config.Wrap<ConfigOptions> = {}
): Layer.Layer<AnthropicConfig, ConfigError.ConfigError | AnthropicConfigError> =>
  Layer.effect(AnthropicConfig, fromConfig(options))
