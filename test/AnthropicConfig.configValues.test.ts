/**
 * Settings from Effect `Config` values are read straight into settings: the same settings as the file's shape for the
 * same values, and a refused value named by the user's own config key.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { inspect } from "node:util"
import * as AnthropicClient from "../src/AnthropicClient.js"
import * as AnthropicConfig from "../src/AnthropicConfig.js"
import { AnthropicConfigError } from "../src/Errors.js"

/**
 * The `Config`s read from `entries` as from environment variables (Effect 4: `fromEnv`, where path segments join with
 * `_`). Effect 4's providers treat an empty string as missing unless `preserveEmptyStrings` (Effect 3's kept it).
 */
const withProvider = (entries: Record<string, string>, options: { readonly preserveEmptyStrings?: boolean } = {}) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.provideService(
      effect,
      ConfigProvider.ConfigProvider,
      ConfigProvider.fromEnv({ env: entries, preserveEmptyStrings: options.preserveEmptyStrings ?? false })
    )

/** Settings as plain data: `Redacted` values shown (toEqual would find any two `Redacted` equal). */
const reveal = (value: unknown): unknown => {
  if (Redacted.isRedacted(value)) return { redacted: Redacted.value(value) }
  if (Option.isOption(value)) return Option.match(value, { onNone: () => "none", onSome: (inner) => ({ some: reveal(inner) }) })
  if (Array.isArray(value)) return value.map(reveal)
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, reveal(v)]))
  }
  return value
}

const SETUP_TOKEN = "sk-ant-oat01-" + "b".repeat(90)

/** Every key, as the file writes it (values a file would hold as YAML scalars). */
const RICH_FILE = {
  api_key: " sk-ant-api03-rich ",
  base_url: "https://gateway.example/v1//",
  anthropic_version: "2024-01-01",
  betas: ["files-api-2025-04-14", " prompt-caching-2024-07-31 "],
  rate_limit: {
    requests_per_second: 0.5,
    requests_per_minute: 50,
    input_tokens_per_minute: 40000,
    output_tokens_per_minute: 8000,
    models: { "claude-haiku-4-5": { requests_per_minute: 5, output_tokens_per_minute: 100 }, "claude-opus-4-1": {} },
    adaptive: false,
    store: "redis",
    redis_url: "redis://:pw@127.0.0.1:6379/2",
    key_prefix: "app:anthropic:",
    max_wait_ms: 0,
    max_concurrent: 7
  },
  retry: { max_retries: 5, max_retry_after_ms: 1000 },
  timeout_ms: 30000,
  stream_idle_timeout_ms: 5000,
  auth: {
    mode: "oauth_bundle",
    bundle: "~/bundle.json",
    setup_token: ` ${SETUP_TOKEN} `,
    setup_token_file: "relative/token",
    cli_credentials: "~",
    token_url: "https://platform.claude.com/v1/oauth/token",
    authorize_url: "https://claude.ai/oauth/authorize?x=1",
    manual_redirect_url: "https://platform.claude.com/oauth/code/callback#f",
    client_id: "my-client",
    scopes: " user:profile  user:inference "
  }
}

/** The same values as `Config`s over a provider's text. */
const RICH_OPTIONS = {
  apiKey: Config.Redacted("MY_KEY"),
  baseUrl: Config.String("MY_BASE_URL"),
  anthropicVersion: Config.String("MY_VERSION"),
  betas: Config.Array(Schema.String, "MY_BETAS"),
  requestsPerSecond: Config.Number("MY_RPS"),
  requestsPerMinute: Config.Int("MY_RPM"),
  inputTokensPerMinute: Config.Int("MY_ITPM"),
  outputTokensPerMinute: Config.Int("MY_OTPM"),
  rateLimitModels: Config.succeed(RICH_FILE.rate_limit.models),
  rateLimitAdaptive: Config.Boolean("MY_ADAPTIVE"),
  rateLimitStore: Config.Literals(["memory", "redis"], "MY_STORE"),
  redisUrl: Config.Redacted("MY_REDIS"),
  rateLimitKeyPrefix: Config.String("MY_PREFIX"),
  rateLimitMaxWaitMs: Config.Int("MY_WAIT"),
  rateLimitMaxConcurrent: Config.Int("MY_CONCURRENT"),
  maxRetries: Config.Int("MY_RETRIES"),
  maxRetryAfterMs: Config.Int("MY_RETRY_AFTER"),
  timeoutMs: Config.Int("MY_TIMEOUT"),
  streamIdleTimeoutMs: Config.Int("MY_IDLE"),
  authMode: Config.String("MY_MODE"),
  bundle: Config.String("MY_BUNDLE"),
  setupToken: Config.Redacted("MY_SETUP_TOKEN"),
  setupTokenFile: Config.String("MY_SETUP_TOKEN_FILE"),
  cliCredentials: Config.String("MY_CLI"),
  tokenUrl: Config.String("MY_TOKEN_URL"),
  authorizeUrl: Config.String("MY_AUTHORIZE_URL"),
  manualRedirectUrl: Config.String("MY_REDIRECT_URL"),
  clientId: Config.String("MY_CLIENT_ID"),
  scopes: Config.String("MY_SCOPES")
}

const RICH_PROVIDER: Record<string, string> = {
  MY_KEY: RICH_FILE.api_key,
  MY_BASE_URL: RICH_FILE.base_url,
  MY_VERSION: RICH_FILE.anthropic_version,
  MY_BETAS: RICH_FILE.betas.join(","),
  MY_RPS: "0.5",
  MY_RPM: "50",
  MY_ITPM: "40000",
  MY_OTPM: "8000",
  MY_ADAPTIVE: "false",
  MY_STORE: "redis",
  MY_REDIS: RICH_FILE.rate_limit.redis_url,
  MY_PREFIX: RICH_FILE.rate_limit.key_prefix,
  MY_WAIT: "0",
  MY_CONCURRENT: "7",
  MY_RETRIES: "5",
  MY_RETRY_AFTER: "1000",
  MY_TIMEOUT: "30000",
  MY_IDLE: "5000",
  MY_MODE: "oauth_bundle",
  MY_BUNDLE: RICH_FILE.auth.bundle,
  MY_SETUP_TOKEN: RICH_FILE.auth.setup_token,
  MY_SETUP_TOKEN_FILE: RICH_FILE.auth.setup_token_file,
  MY_CLI: RICH_FILE.auth.cli_credentials,
  MY_TOKEN_URL: RICH_FILE.auth.token_url,
  MY_AUTHORIZE_URL: RICH_FILE.auth.authorize_url,
  MY_REDIRECT_URL: RICH_FILE.auth.manual_redirect_url,
  MY_CLIENT_ID: RICH_FILE.auth.client_id,
  MY_SCOPES: RICH_FILE.auth.scopes
}

/**
 * The settings from the file's shape (`env` for `${…}` defaults and HOME) and from `Config`s over `env` plus
 * `provider`, compared whole (the file's named as the `Config`s' source, which `apiKeyMissing` quotes).
 */
const bothWays = (
  file: Record<string, unknown>,
  options: Config.Wrap<AnthropicConfig.ConfigOptions>,
  env: Record<string, string>,
  provider: Record<string, string> = {},
  providerOptions: { readonly preserveEmptyStrings?: boolean } = {}
) =>
  Effect.gen(function*() {
    const source = "<Effect Config>"
    const fromFile = yield* Effect.fromResult(AnthropicConfig.fromObject({ providers: { anthropic: file } }, { env, source }))
    const fromConfig = yield* AnthropicConfig.fromConfig(options).pipe(withProvider({ ...env, ...provider }, providerOptions))
    expect(fromConfig.source).toBe(source)
    expect(reveal(fromConfig)).toEqual(reveal(fromFile))
    return fromConfig
  })

describe("AnthropicConfig.fromConfig reads Config values straight into settings", () => {
  it.effect("every key: the same settings as the file's shape with the same values", () =>
    Effect.gen(function*() {
      const settings = yield* bothWays(RICH_FILE, RICH_OPTIONS, { HOME: "/home/ada" }, RICH_PROVIDER)
      // Not the defaults on both sides: the values given made it through.
      expect(Option.map(settings.apiKey, Redacted.value)).toEqual(Option.some("sk-ant-api03-rich"))
      expect(settings.baseUrl).toBe("https://gateway.example/v1")
      expect(settings.betas).toEqual(["files-api-2025-04-14", "prompt-caching-2024-07-31"])
      expect(settings.rateLimit.models["claude-haiku-4-5"]).toEqual({ requestsPerMinute: 5, outputTokensPerMinute: 100 })
      expect(settings.rateLimit).toMatchObject({ adaptive: false, store: "redis", maxWaitMs: 0, maxConcurrent: 7 })
      expect(settings.auth.mode).toBe("oauth_bundle")
      expect(settings.auth.bundle).toBe("/home/ada/bundle.json")
      expect(settings.auth.cliCredentials).toBe("/home/ada")
      expect(settings.auth.scopes).toEqual(["user:profile", "user:inference"])
      expect(Option.map(settings.auth.setupToken, Redacted.value)).toEqual(Option.some(SETUP_TOKEN))
    }))

  it.effect("keys left out: the environment's defaults, the same from either source", () =>
    Effect.gen(function*() {
      const env = {
        ANTHROPIC_API_KEY: " sk-ant-api03-env ",
        ANTHROPIC_BASE_URL: "http://127.0.0.1:9/",
        ANTHROPIC_AUTH_MODE: "static",
        HOME: "/home/ada",
        CLAUDE_CONFIG_DIR: "/claude"
      }
      const settings = yield* bothWays({}, {}, env)
      expect(settings.apiKeyLocation).toBe("ANTHROPIC_API_KEY")
      expect(settings.auth.cliCredentials).toBe("/claude/.credentials.json")
      // Empty variables are unset ones (`${VAR:-default}`).
      const empty = yield* bothWays({}, {}, { ANTHROPIC_API_KEY: "", ANTHROPIC_BASE_URL: "", ANTHROPIC_AUTH_MODE: "", HOME: "/h" })
      expect(empty.baseUrl).toBe("https://api.anthropic.com")
      expect(empty.auth.mode).toBe("auto")
    }))

  it.effect("an empty key given, scopes as a list, per-model limits from a record of Configs", () =>
    Effect.gen(function*() {
      const settings = yield* bothWays(
        { api_key: "", auth: { scopes: ["a", "b"] }, rate_limit: { models: { m: { requests_per_minute: 3 } } } },
        {
          apiKey: Config.Redacted("MY_KEY"),
          scopes: Config.Array(Schema.String, "MY_SCOPES"),
          rateLimitModels: { m: { requests_per_minute: Config.Int("M_RPM") } }
        },
        { ANTHROPIC_API_KEY: "sk-ant-api03-unused", HOME: "/h" },
        { MY_KEY: "", MY_SCOPES: "a,b", M_RPM: "3" },
        // Effect 4: only a provider that keeps empty strings gives an empty key (by default "" is missing).
        { preserveEmptyStrings: true }
      )
      expect(settings.apiKey).toEqual(Option.none())
      expect(settings.apiKeyLocation).toBe("providers.anthropic.api_key")
      expect(settings.rateLimit.models).toEqual({ m: { requestsPerMinute: 3 } })
    }))
})

/** The error `AnthropicClient.layerConfig(options)` fails with over `provider`. */
const layerConfigError = (options: Config.Wrap<AnthropicConfig.ConfigOptions>, provider: Record<string, string>) =>
  Effect.gen(function*() {
    const error = yield* Effect.flip(Layer.build(AnthropicClient.layerConfig(options)).pipe(withProvider(provider)))
    expect(error).toBeInstanceOf(AnthropicConfigError)
    if (!(error instanceof AnthropicConfigError)) throw new Error(`expected an AnthropicConfigError, got ${String(error)}`)
    expect(error.file).toBe("<Effect Config>")
    // A value shaped like a secret (a key, a password in a URL, a control character) is described, never quoted.
    for (const value of Object.values(provider).filter((value) => /sk-ant-|Passw0rd|\u0001/.test(value))) {
      for (const text of [error.message, JSON.stringify(error), inspect(error)]) expect(text).not.toContain(value)
    }
    return error
  })

/** Each kind of refused value, named by the user's own key. */
const REFUSED: ReadonlyArray<{
  readonly name: string
  readonly options: Config.Wrap<AnthropicConfig.ConfigOptions>
  readonly provider: Record<string, string>
  readonly key: string
  readonly problem: RegExp
}> = [
  {
    name: "a bad API key (a secret Config)",
    options: { apiKey: Config.Redacted("MY_ANTHROPIC_KEY") },
    provider: { MY_ANTHROPIC_KEY: "sk-ant-api03-has a-space" },
    key: "MY_ANTHROPIC_KEY",
    problem: /^an API key is one run of printable ASCII characters, and this one holds a space/
  },
  {
    name: "a number out of range (behind Config.withDefault)",
    options: { requestsPerSecond: Config.Number("MY_RPS").pipe(Config.withDefault(2)) },
    provider: { MY_RPS: "5000" },
    key: "MY_RPS",
    problem: /^must be a number from 0\.001 to 1000 \(fractions allowed, e\.g\. 0\.5\), not 5000$/
  },
  {
    name: "a whole number out of range",
    options: { timeoutMs: Config.Int("MY_TIMEOUT") },
    provider: { MY_TIMEOUT: "0" },
    key: "MY_TIMEOUT",
    problem: /^must be a number between 1 and 2147483647, not 0$/
  },
  {
    name: "a value made by Config.map (the key it read is still named)",
    options: { timeoutMs: Config.Number("MY_TIMEOUT_SECONDS").pipe(Config.map((seconds) => seconds * 1000)) },
    provider: { MY_TIMEOUT_SECONDS: "0" },
    key: "MY_TIMEOUT_SECONDS",
    problem: /^must be a number between 1 and 2147483647, not 0$/
  },
  {
    name: "a bad URL",
    options: { baseUrl: Config.String("MY_BASE_URL") },
    provider: { MY_BASE_URL: "http://gwuser:GatewayPassw0rd@127.0.0.1:9" },
    key: "MY_BASE_URL",
    problem: /without a user name or password/
  },
  {
    name: "a bad enum (the auth mode)",
    options: { authMode: Config.String("MY_AUTH_MODE") },
    provider: { MY_AUTH_MODE: "magic" },
    key: "MY_AUTH_MODE",
    problem: /^must be one of "auto" \| "static" \| "setup_token" \| "oauth_bundle" \| "cli_credentials", not "magic"$/
  },
  {
    name: "a bad enum (the rate limit's store)",
    options: { rateLimitStore: Config.String("MY_STORE") as Config.Config<"memory"> },
    provider: { MY_STORE: "disk" },
    key: "MY_STORE",
    problem: /^must be memory or redis, not "disk"$/
  },
  {
    name: "a bad value the environment supplies for a key left out",
    options: {},
    provider: { ANTHROPIC_BASE_URL: "ftp://127.0.0.1/GatewayPassw0rd" },
    key: "ANTHROPIC_BASE_URL",
    problem: /^must be an http\(s\) URL such as https:\/\/api\.anthropic\.com, not "ftp:\/\/127\.0\.0\.1\/…" \(ftp: is not http: or https:\)$/
  },
  {
    name: "a bad item of a list",
    options: { betas: Config.Array(Schema.String, "MY_BETAS") },
    provider: { MY_BETAS: "files-api-2025-04-14,bad\u0001beta" },
    key: "MY_BETAS[1]",
    problem: /^must be printable ASCII on one line, not a string of 8 characters holding a control character$/
  },
  {
    name: "a bad item of a list made of several keys",
    options: { betas: Config.all([Config.String("MY_BETA_A"), Config.String("MY_BETA_B")]) },
    provider: { MY_BETA_A: "files-api-2025-04-14", MY_BETA_B: "bad\u0001beta" },
    key: "MY_BETA_B",
    problem: /holding a control character$/
  },
  {
    name: "a bad limit in a map of models",
    options: {
      // Effect 4: `Config.hashMap` is `Config.Record` over a schema; the field is renamed as Effect 3's `Config.all` did.
      rateLimitModels: Config.Record(Schema.String, Schema.Struct({ rpm: Schema.Int }), "LIMITS").pipe(
        Config.map((limits) =>
          Object.fromEntries(Object.entries(limits).map(([model, { rpm }]) => [model, { requests_per_minute: rpm }]))
        )
      )
    },
    // Effect 4: `fromEnv` joins the path ["LIMITS", "claude-haiku-4-5", "rpm"] with `_` (Effect 3's `fromMap`, with `.`).
    provider: { "LIMITS_claude-haiku-4-5_rpm": "0" },
    key: "LIMITS.claude-haiku-4-5.rpm",
    problem: /^must be a whole number from 1 to 1000000000, not 0$/
  },
  {
    name: "a redis store without a redisUrl",
    options: { rateLimitStore: Config.Literals(["memory", "redis"], "MY_STORE") },
    provider: { MY_STORE: "redis" },
    key: "MY_STORE",
    problem: /^is redis, and no redisUrl is given$/
  },
  {
    name: "a value of one Config for every option (no key of its own to name: the option's)",
    options: Config.all({ maxRetries: Config.Int("MY_RETRIES") }),
    provider: { MY_RETRIES: "1000" },
    key: "maxRetries",
    problem: /^must be a whole number from 0 to 100, not 1000$/
  }
]

describe("AnthropicClient.layerConfig: a refused value is named by the user's own key", () => {
  for (const refused of REFUSED) {
    it.effect(refused.name, () =>
      Effect.gen(function*() {
        const error = yield* layerConfigError(refused.options, refused.provider)
        expect(error.path).toBe(refused.key)
        expect(error.problem).toMatch(refused.problem)
        expect(error.message).toContain(`<Effect Config>: ${refused.key}: `)
        expect(error.message).not.toContain("providers.anthropic")
      }))
  }

  it.effect("the fix is the file key's, so a Config user reads the same advice", () =>
    Effect.gen(function*() {
      const error = yield* layerConfigError({ maxRetries: Config.Int("MY_RETRIES") }, { MY_RETRIES: "101" })
      expect(error.fix).toBe("write a whole number from 0 to 100 (default 2)")
      const file = AnthropicConfig.fromObject({ providers: { anthropic: { retry: { max_retries: 101 } } } }, { env: {} })
      expect(Result.isFailure(file) && file.failure.fix).toBe(error.fix)
      expect(Result.isFailure(file) && file.failure.problem).toBe(error.problem)
    }))
})
