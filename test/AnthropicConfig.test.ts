import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as path from "node:path"
import { inspect } from "node:util"
import * as AnthropicConfig from "../src/AnthropicConfig.js"
import { AnthropicConfigError } from "../src/Errors.js"
import * as RateLimiter from "../src/RateLimiter.js"
import { tempDir, writeFile } from "./helpers.js"

const GOOD_SETUP_TOKEN = "sk-ant-oat01-" + "a".repeat(90)

// `fromYaml` loads the YAML parser the first time (an async import); loaded here once, it then runs synchronously,
// so the cases below read as plain functions of their text.
await Effect.runPromise(Effect.ignore(AnthropicConfig.fromYaml("")))

const fromYaml = (yaml: string, env: Record<string, string> = {}) =>
  Effect.runSync(Effect.result(
    AnthropicConfig.fromYaml(yaml, { env: { HOME: "/home/ada", ...env }, cwd: "/work/app", source: "llm.yaml" })
  ))

const errorOf = (result: Result.Result<AnthropicConfig.AnthropicSettings, AnthropicConfigError>): AnthropicConfigError => {
  if (Result.isSuccess(result)) throw new Error("expected an AnthropicConfigError")
  expect(result.failure).toBeInstanceOf(AnthropicConfigError)
  return result.failure
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/**
 * `requests_per_second` values refused, and how each is shown: as given (the setting is no secret); described where no
 * number could be written.
 */
const RATES_OUT_OF_BOUNDS: ReadonlyArray<readonly [string, string]> = [
  ["0", "0"],
  ["-2", "-2"],
  ["0.0001", "0.0001"],
  ["1e-30", "1e-30"],
  ["1e10", "10000000000"],
  ["1e21", "a number too large to be exact"],
  ["1e400", "an infinite number"],
  [".nan", "NaN (not a number)"],
  ["\"${RPS:-0}\"", "0"]
]

/**
 * `timeout_ms` / `stream_idle_timeout_ms` values refused: 0 would time out every call at once, and a wait past
 * 2^31 − 1 ms would never end (Effect's clock treats it as endless).
 */
const BAD_MILLISECONDS: ReadonlyArray<readonly [string, RegExp]> = [
  ["0", /^must be a number between 1 and 2147483647, not 0$/],
  ["-5", /^must be a number between 1 and 2147483647, not -5$/],
  ["1.5", /^must be an integer, not 1\.5$/],
  ["\"${TIMEOUT:-0}\"", /^must be a number between 1 and 2147483647, not 0 \(as text\)$/],
  ["2147483648", /^must be a number between 1 and 2147483647, not 2147483648$/]
]

/** URLs refused at load: one error naming the key, never the URL's secret parts, saying where credentials go. */
const URL_CASES: ReadonlyArray<{ name: string; yaml: string; path: string; says: RegExp; fix?: RegExp }> = [
  ...["base_url", "auth.token_url", "auth.authorize_url", "auth.manual_redirect_url"].map((key) => ({
    name: `${key} with a user name and password`,
    yaml: yamlAt(key, "http://gwuser:GatewayPassw0rd@127.0.0.1:9/"),
    path: `providers.anthropic.${key}`,
    says: /without a user name or password/
  })),
  ...["base_url", "auth.token_url"].flatMap((key) => [
    {
      name: `${key} with a query`,
      yaml: yamlAt(key, "http://127.0.0.1:9/proxy?token=GatewayPassw0rd"),
      path: `providers.anthropic.${key}`,
      says: /without a query/
    },
    {
      name: `${key} with a fragment`,
      yaml: yamlAt(key, "http://127.0.0.1:9/#GatewayPassw0rd"),
      path: `providers.anthropic.${key}`,
      says: /or fragment/
    }
  ]),
  {
    name: "base_url with an empty user name (http://@host)",
    yaml: yamlAt("base_url", "http://@127.0.0.1:9"),
    path: "providers.anthropic.base_url",
    says: /without a user name or password/
  },
  {
    name: "base_url with a space in the host",
    yaml: yamlAt("base_url", "http://a b"),
    path: "providers.anthropic.base_url",
    says: /without spaces, line breaks or other control characters/
  },
  {
    // The URL parser would silently drop the tab and go to example.com.
    name: "base_url with a tab",
    yaml: yamlAt("base_url", "http://exa\\tmple.com"),
    path: "providers.anthropic.base_url",
    says: /without spaces, line breaks or other control characters/
  },
  {
    name: "base_url that is not http(s)",
    yaml: yamlAt("base_url", "ftp://127.0.0.1/GatewayPassw0rd"),
    path: "providers.anthropic.base_url",
    // Shown up to its host: a path may hold a token.
    says: /^must be an http\(s\) URL such as https:\/\/api\.anthropic\.com, not "ftp:\/\/127\.0\.0\.1\/…" \(ftp: is not http: or https:\)$/
  }
]

/** Values that no HTTP request could carry, refused at load instead of failing every call as a "transport" error. */
const HEADER_CASES: ReadonlyArray<{ name: string; yaml: string; path: string; says: RegExp; fix: RegExp }> = [
  {
    name: "a beta with CR LF (header injection)",
    yaml: "providers:\n  anthropic:\n    betas: [files-api-2025-04-14, \"a\\r\\nx-evil: GatewayPassw0rd\"]\n",
    path: "providers.anthropic.betas[1]",
    says: /^must be printable ASCII on one line, not a string of 26 characters holding a line break$/,
    fix: /beta name/
  },
  {
    name: "a beta outside ASCII",
    yaml: "providers:\n  anthropic:\n    betas: [\"ünïcödé\"]\n",
    path: "providers.anthropic.betas[0]",
    says: /holding a character outside printable ASCII$/,
    fix: /beta name/
  },
  {
    name: "anthropic_version with a line break",
    yaml: "providers:\n  anthropic:\n    anthropic_version: \"2023-06-01\\nx: GatewayPassw0rd\"\n",
    path: "providers.anthropic.anthropic_version",
    says: /holding a line break$/,
    fix: /2023-06-01/
  },
  {
    name: "auth.client_id with a carriage return",
    yaml: "providers:\n  anthropic:\n    auth:\n      client_id: \"my-client\\rGatewayPassw0rd\"\n",
    path: "providers.anthropic.auth.client_id",
    says: /holding a control character$|holding a line break$/,
    fix: /client id alone/
  },
  {
    name: "an api_key with a space inside",
    yaml: "providers:\n  anthropic:\n    api_key: \"sk-ant-api03-Gateway Passw0rd\"\n",
    path: "providers.anthropic.api_key",
    says: /^an API key is one run of printable ASCII characters, and this one holds a space/,
    fix: /ANTHROPIC_API_KEY/
  },
  {
    name: "an inline setup token with a line break inside",
    yaml: `providers:\n  anthropic:\n    auth:\n      setup_token: "sk-ant-oat01-${"G".repeat(40)}\\n${"P".repeat(40)}"\n`,
    path: "providers.anthropic.auth.setup_token",
    says: /^a setup token is one run of printable ASCII characters, and this one holds a line break/,
    fix: /claude setup-token/
  }
]

/** `value` (written as a YAML double-quoted string) at `key` under providers.anthropic (`auth.x` nests). */
function yamlAt(key: string, value: string): string {
  const [first, second] = key.split(".")
  return second === undefined
    ? `providers:\n  anthropic:\n    ${first}: "${value}"\n`
    : `providers:\n  anthropic:\n    ${first}:\n      ${second}: "${value}"\n`
}

describe("Config", () => {
  it("fills every default", () => {
    const s = Result.getOrThrow(fromYaml("providers:\n  anthropic: {}\n"))
    expect(Option.isNone(s.apiKey)).toBe(true)
    expect(s.baseUrl).toBe("https://api.anthropic.com")
    expect(s.anthropicVersion).toBe("2023-06-01")
    expect(s.betas).toEqual([])
    expect(Option.isNone(s.requestsPerSecond)).toBe(true)
    expect(s.maxRetries).toBe(2)
    expect(s.timeoutMs).toBe(600_000)
    expect(s.auth.mode).toBe("auto")
    expect(s.auth.bundle).toBe("/work/app/secrets/anthropic_oauth.json")
    expect(s.auth.setupTokenFile).toBe("/work/app/secrets/anthropic_setup_token")
    expect(s.auth.cliCredentials).toBe("/home/ada/.claude/.credentials.json")
    expect(s.auth.tokenUrl).toBe("https://console.anthropic.com/v1/oauth/token")
    expect(s.auth.clientId).toBe("9d1c250a-e61b-44d9-88ed-5944d1962f5e")
  })

  it("honours CLAUDE_CONFIG_DIR for the CLI credentials path", () => {
    const s = Result.getOrThrow(fromYaml("providers:\n  anthropic: {}\n", { CLAUDE_CONFIG_DIR: "/opt/claude" }))
    expect(s.auth.cliCredentials).toBe("/opt/claude/.credentials.json")
  })

  it("reads every key", () => {
    const s = Result.getOrThrow(fromYaml(`
providers:
  anthropic:
    api_key: sk-ant-api03-key
    base_url: http://127.0.0.1:9999/
    anthropic_version: "2024-01-01"
    betas: [prompt-caching-2024-07-31, "files-api-2025-04-14"]
    rate_limit:
      requests_per_second: 0.5
    retry:
      max_retries: 5
    timeout_ms: 1000
    stream_idle_timeout_ms: 2000
    auth:
      mode: setup_token
      bundle: ~/b.json
      setup_token: ${GOOD_SETUP_TOKEN}
      setup_token_file: tok
      cli_credentials: /x/creds.json
      token_url: https://platform.claude.com/v1/oauth/token
      authorize_url: https://claude.ai/oauth/authorize
      client_id: my-client
      scopes: user:inference
`))
    expect(s.apiKey.pipe(Option.map(Redacted.value))).toEqual(Option.some("sk-ant-api03-key"))
    expect(s.baseUrl).toBe("http://127.0.0.1:9999")
    expect(s.anthropicVersion).toBe("2024-01-01")
    expect(s.betas).toEqual(["prompt-caching-2024-07-31", "files-api-2025-04-14"])
    expect(s.requestsPerSecond).toEqual(Option.some(0.5))
    expect(s.maxRetries).toBe(5)
    expect(s.timeoutMs).toBe(1000)
    expect(s.streamIdleTimeoutMs).toBe(2000)
    expect(s.auth.mode).toBe("setup_token")
    expect(s.auth.bundle).toBe("/home/ada/b.json")
    expect(s.auth.setupToken.pipe(Option.map(Redacted.value))).toEqual(Option.some(GOOD_SETUP_TOKEN))
    expect(s.auth.setupTokenFile).toBe("/work/app/tok")
    expect(s.auth.cliCredentials).toBe("/x/creds.json")
    expect(s.auth.tokenUrl).toBe("https://platform.claude.com/v1/oauth/token")
    expect(s.auth.authorizeUrl).toBe("https://claude.ai/oauth/authorize")
    expect(s.auth.clientId).toBe("my-client")
    expect(s.auth.scopes).toEqual(["user:inference"])
  })

  it("interpolates ${VAR} and ${VAR:-default} from the given env, numbers included", () => {
    const yaml = `
providers:
  anthropic:
    api_key: \${ANTHROPIC_API_KEY:-}
    base_url: \${BASE:-http://127.0.0.1:1234}
    rate_limit:
      requests_per_second: \${RPS:-2}
    retry:
      max_retries: \${RETRIES}
`
    const withEnv = Result.getOrThrow(fromYaml(yaml, { ANTHROPIC_API_KEY: "sk-ant-api03-x", RPS: "4", RETRIES: "3" }))
    expect(withEnv.apiKey.pipe(Option.map(Redacted.value))).toEqual(Option.some("sk-ant-api03-x"))
    expect(withEnv.baseUrl).toBe("http://127.0.0.1:1234")
    expect(withEnv.requestsPerSecond).toEqual(Option.some(4))
    expect(withEnv.maxRetries).toBe(3)

    const defaults = Result.getOrThrow(fromYaml(yaml, { RETRIES: "0" }))
    expect(Option.isNone(defaults.apiKey)).toBe(true)
    expect(defaults.requestsPerSecond).toEqual(Option.some(2))

    const unset = errorOf(fromYaml(yaml))
    expect(unset.path).toBe("providers.anthropic.retry.max_retries")
    expect(unset.message).toContain("RETRIES is not set")
  })

  it("loads the project's own config/llm.yaml", () =>
    Effect.gen(function*() {
      const s = yield* AnthropicConfig.load({ env: { HOME: "/home/ada" } })
      expect(s.source).toBe(path.resolve("config/llm.yaml"))
      expect(s.requestsPerSecond).toEqual(Option.some(2))
      expect(s.model).toEqual(Option.some({ provider: "anthropic", model: "claude-haiku-4-5" }))
    }).pipe(Effect.runPromise))

  describe("refuses bad input with one clear AnthropicConfigError", () => {
    const cases: ReadonlyArray<{ name: string; yaml: string; path?: string; says: RegExp; fix: RegExp }> = [
      {
        name: "invalid YAML",
        yaml: "providers:\n  anthropic:\n    base_url: [oops\n",
        says: /invalid YAML/,
        path: "line",
        fix: /YAML syntax/
      },
      {
        name: "an unknown mode",
        yaml: "providers:\n  anthropic:\n    auth:\n      mode: oauth\n",
        path: "providers.anthropic.auth.mode",
        says: /"auto" \| "static" \| "setup_token" \| "oauth_bundle" \| "cli_credentials"/,
        fix: /one of auto, static/
      },
      {
        name: "a wrong type",
        yaml: "providers:\n  anthropic:\n    rate_limit:\n      requests_per_second: fast\n",
        path: "providers.anthropic.rate_limit.requests_per_second",
        says: /^must be a number, not "fast"$/,
        fix: /number from 0\.001 to 1000/
      },
      ...RATES_OUT_OF_BOUNDS.map(([rate, found]) => ({
        name: `a rate of ${rate} (outside 0.001 to 1000)`,
        yaml: `providers:\n  anthropic:\n    rate_limit:\n      requests_per_second: ${rate}\n`,
        path: "providers.anthropic.rate_limit.requests_per_second",
        says: new RegExp(`^must be a number from 0\\.001 to 1000 \\(.*\\), not ${escapeRegExp(found)}$`),
        fix: /number from 0\.001 to 1000/
      })),
      ...["timeout_ms", "stream_idle_timeout_ms"].flatMap((key) =>
        BAD_MILLISECONDS.map(([value, says]) => ({
          name: `${key}: ${value}`,
          yaml: `providers:\n  anthropic:\n    ${key}: ${value}\n`,
          path: `providers.anthropic.${key}`,
          says,
          fix: /whole number of milliseconds from 1 to 2147483647/
        }))
      ),
      {
        name: "negative retries",
        yaml: "providers:\n  anthropic:\n    retry:\n      max_retries: -1\n",
        path: "providers.anthropic.retry.max_retries",
        says: /^must be a whole number from 0 to 100, not -1$/,
        fix: /whole number from 0 to 100/
      },
      {
        name: "1e15 retries (past the bound of 100)",
        yaml: "providers:\n  anthropic:\n    retry:\n      max_retries: 1000000000000000\n",
        path: "providers.anthropic.retry.max_retries",
        says: /^must be a whole number from 0 to 100, not 1000000000000000$/,
        fix: /whole number from 0 to 100/
      },
      {
        name: "101 retries from a variable",
        yaml: "providers:\n  anthropic:\n    retry:\n      max_retries: ${RETRIES:-101}\n",
        path: "providers.anthropic.retry.max_retries",
        says: /^must be a whole number from 0 to 100, not 101$/,
        fix: /whole number from 0 to 100/
      },
      {
        name: "betas not a list",
        yaml: "providers:\n  anthropic:\n    betas: 3\n",
        path: "providers.anthropic.betas",
        says: /^must be a list of strings, not 3$/,
        fix: /list of strings/
      },
      {
        name: "a misspelt key",
        yaml: "providers:\n  anthropic:\n    rate_limits:\n      requests_per_second: 1\n",
        path: "providers.anthropic.rate_limits",
        says: /unexpected/,
        fix: /spelling/
      },
      {
        name: "a short setup token",
        yaml: "providers:\n  anthropic:\n    auth:\n      setup_token: sk-ant-oat01-tooshort\n",
        path: "providers.anthropic.auth.setup_token",
        says: /at least 80 characters/,
        fix: /claude setup-token/
      },
      {
        name: "a setup token without its prefix",
        yaml: `providers:\n  anthropic:\n    auth:\n      setup_token: sk-ant-api03-${"b".repeat(90)}\n`,
        path: "providers.anthropic.auth.setup_token",
        says: /starts with "sk-ant-oat01-"/,
        fix: /claude setup-token/
      },
      {
        name: "a base_url that is not a URL",
        yaml: "providers:\n  anthropic:\n    base_url: api.anthropic.com\n",
        path: "providers.anthropic.base_url",
        says: /http\(s\) URL/,
        fix: /full URL/
      },
      ...URL_CASES.map((c) => ({ ...c, fix: c.fix ?? /never in a URL/ })),
      ...HEADER_CASES,
      {
        name: "another provider in the model selection",
        yaml: "providers:\n  anthropic: {}\nmodel:\n  provider: openai\n  model: gpt\n",
        path: "model.provider",
        says: /anthropic/,
        fix: /provider to anthropic/
      },
      {
        name: "no providers section",
        yaml: "anthropic:\n  api_key: x\n",
        path: "providers",
        says: /missing/,
        fix: /docs\/configuration.md/
      },
      {
        name: "a file that is not a mapping",
        yaml: "- just\n- a list\n",
        says: /not a mapping/,
        fix: /providers/
      }
    ]
    for (const c of cases) {
      it(c.name, () => {
        const error = errorOf(fromYaml(c.yaml))
        expect(error.file).toBe("llm.yaml")
        if (c.path !== undefined) expect(error.path ?? "").toContain(c.path)
        expect(error.problem).toMatch(c.says)
        expect(error.fix).toMatch(c.fix)
        expect(error.message).toContain("llm.yaml")
        expect(error.message).toContain("Fix:")
      })
    }

    it("never echoes a refused setup token", () => {
      const token = "sk-ant-oat01-secretbutshort"
      const error = errorOf(fromYaml(`providers:\n  anthropic:\n    auth:\n      setup_token: ${token}\n`))
      expect(error.message).not.toContain("secretbutshort")
      expect(JSON.stringify(error)).not.toContain("secretbutshort")
    })

    it.effect("a missing file", () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const error = yield* Effect.flip(AnthropicConfig.load({ configPath: path.join(dir, "nope.yaml") }))
        expect(error._tag).toBe("AnthropicConfigError")
        expect(error.file).toBe(path.join(dir, "nope.yaml"))
        expect(error.problem).toContain("does not exist")
      }))

    it.effect("a file read from disk names that file", () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const file = path.join(dir, "llm.yaml")
        yield* writeFile(file, "providers:\n  anthropic:\n    auth:\n      mode: magic\n")
        const error = yield* Effect.flip(AnthropicConfig.load({ configPath: file }))
        expect(error.file).toBe(file)
        expect(error.path).toBe("providers.anthropic.auth.mode")
      }))
  })

  describe("shows the value of a setting that is not a secret as given", () => {
    const under = (lines: string) => `providers:\n  anthropic:\n${lines}\n`
    const cases: ReadonlyArray<readonly [string, string, string, string]> = [
      [under("    base_url: 127.0.0.1:40401"), "providers.anthropic.base_url", "not \"127.0.0.1:40401\" (it has no http:// or https:// in front)", "a URL without its scheme"],
      [under("    base_url: localhost:4010"), "providers.anthropic.base_url", "not \"localhost:4010\" (it has no http:// or https:// in front)", "a host and port only"],
      [under("    auth:\n      token_url: ftp://auth.example.com/t"), "providers.anthropic.auth.token_url", "not \"ftp://auth.example.com/…\" (ftp: is not http: or https:)", "another scheme (the path left out)"],
      [under("    auth:\n      mode: oauth"), "providers.anthropic.auth.mode", "not \"oauth\"", "an auth mode"],
      [under("    rate_limit:\n      store: disk"), "providers.anthropic.rate_limit.store", "must be memory or redis, not \"disk\"", "a store"],
      [under("    timeout_ms: soon"), "providers.anthropic.timeout_ms", "not \"soon\"", "a word for a number"],
      [under("    betas: files-api-2025-04-14"), "providers.anthropic.betas", "must be a list of strings, not \"files-api-2025-04-14\"", "a string for a list"],
      ["providers:\n  anthropic: {}\nmodel:\n  provider: openai\n  model: gpt\n", "model.provider", "not \"openai\"", "the model selection's provider"]
    ]
    for (const [yaml, path, says, name] of cases) {
      it(name, () => {
        const error = errorOf(fromYaml(yaml))
        expect(error.path).toBe(path)
        expect(error.problem).toContain(says)
        expect(error.message).toContain(says)
      })
    }

    it("the same value at a secret's key is described, never shown", () => {
      for (const key of ["api_key", "auth:\n      setup_token", "rate_limit:\n      redis_url"]) {
        const error = errorOf(fromYaml(under(`    ${key}: [127.0.0.1:40401]`)))
        expect(error.problem).toBe("must be a string, not a list of 1 item")
        expect(JSON.stringify(error)).not.toContain("40401")
      }
      const redis = errorOf(fromYaml(under("    rate_limit:\n      redis_url: 127.0.0.1:40401")))
      expect(redis.problem).toBe("must be a URL such as redis://127.0.0.1:6379/0, not a string of 15 characters")
    })
  })

  describe("never echoes a secret, or a value shaped like one, in any field of the error", () => {
    // One secret shaped like an Anthropic key, one that is not (the scrubber would not know it): neither may appear
    // at a secret's key, in a URL's password, query or fragment, or as a section. At a setting that is no secret, a
    // value is shown as given (below), unless it is shaped like a key.
    const BODY = "Zq7TOPSECRETvX9kLm2Pw4Rt"
    const SECRETS = [`sk-ant-api03-${BODY}`, `hunter2-${BODY}`]
    const AT_A_SETTING_SHOWN = new Set([
      "a key where a list is expected",
      "a key where a number is expected",
      "a key where a whole number is expected",
      "a key as the auth mode",
      "a key as a URL",
      "a key as the model provider"
    ])
    const under = (lines: string) => `providers:\n  anthropic:\n${lines}\n`
    const shapes: ReadonlyArray<readonly [string, (secret: string) => string]> = [
      ["an unclosed ${ in a default", (x) => under(`    api_key: \${ANTHROPIC_API_KEY:-${x}`)],
      ["a shell operator the interpolation does not support", (x) => under(`    api_key: \${X:?${x}}`)],
      ["an expression without a variable name", (x) => under(`    api_key: "\${!${x}}"`)],
      ["a key where a list is expected", (x) => under(`    betas: ${x}`)],
      ["a key inside a list of mappings", (x) => under(`    betas: [{ token: ${x} }]`)],
      ["a key where a list of strings is expected, among numbers", (x) => under(`    betas: [1, ${x}]`)],
      ["a key as the whole auth section", (x) => under(`    auth: "${x}"`)],
      ["a key where a number is expected", (x) => under(`    rate_limit:\n      requests_per_second: ${x}`)],
      ["a key where a whole number is expected", (x) => under(`    timeout_ms: ${x}`)],
      ["a key as the auth mode", (x) => under(`    auth:\n      mode: ${x}`)],
      ["a key in the scopes list", (x) => under(`    auth:\n      scopes: [${x}, 3]`)],
      ["a key in a list where a string is expected", (x) => under(`    api_key: [${x}]`)],
      ["a key under api_key as a mapping", (x) => under(`    api_key:\n      value: ${x}`)],
      ["a key as a URL", (x) => under(`    base_url: ${x}`)],
      ["a key as the setup token", (x) => under(`    auth:\n      setup_token: ${x}`)],
      ["a key as the model provider", (x) => `providers:\n  anthropic: {}\nmodel:\n  provider: ${x}\n  model: m\n`],
      ["a key as the providers section", (x) => `providers: ${x}\n`],
      ["a key as a YAML alias", (x) => under(`    api_key: *${x}`)],
      ["a key after a block scalar header", (x) => under(`    api_key: |${x}\n      text`)],
      ["a key as a URL's password", (x) => under(`    base_url: http://gateway:${x}@127.0.0.1:9`)],
      ["a key in a URL's query", (x) => under(`    base_url: "http://127.0.0.1:9/?key=${x}"`)],
      ["a key in the token URL's fragment", (x) => under(`    auth:\n      token_url: "https://127.0.0.1:9/t#${x}"`)],
      ["a key after a line break in a beta", (x) => under(`    betas: ["a\\n${x}"]`)],
      ["a key pasted twice as api_key", (x) => under(`    api_key: "${x} ${x}"`)],
      ["a key after a line break in the client id", (x) => under(`    auth:\n      client_id: "id\\r\\n${x}"`)]
    ]
    const renderings = (error: AnthropicConfigError) => [
      error.message,
      error.stack ?? "",
      String(error),
      JSON.stringify(error),
      inspect(error, { depth: 10 }),
      JSON.stringify([error.file, error.path, error.problem, error.fix])
    ]
    for (const [name, yamlOf] of shapes) {
      for (const secret of AT_A_SETTING_SHOWN.has(name) ? SECRETS.slice(0, 1) : SECRETS) {
        it(`${name} (${secret.slice(0, 8)}…)`, () => {
          const error = errorOf(fromYaml(yamlOf(secret)))
          expect(error.file).toBe("llm.yaml")
          expect(error.fix.length).toBeGreaterThan(0)
          for (const text of renderings(error)) {
            // No 6 characters in a row of the secret's body, anywhere.
            for (let i = 0; i + 6 <= BODY.length; i++) expect(text).not.toContain(BODY.slice(i, i + 6))
            expect(text).not.toContain("hunter2")
          }
        })
      }
    }

    it("describes what it found: the type, the length, at most that it starts with sk-ant-", () => {
      const error = errorOf(fromYaml(under(`    betas: sk-ant-api03-${BODY}`)))
      expect(error.path).toBe("providers.anthropic.betas")
      expect(error.problem).toBe(`must be a list of strings, not a string of 37 characters starting with "sk-ant-"`)
      const unclosed = errorOf(fromYaml(under(`    api_key: \${ANTHROPIC_API_KEY:-hunter2`)))
      expect(unclosed.path).toBe("providers.anthropic.api_key")
      expect(unclosed.problem).toBe(`"\${" at character 1 of this 28-character value is never closed`)
      const operator = errorOf(fromYaml(under(`    api_key: \${KEY:?hunter2}`)))
      expect(operator.problem).toBe("unsupported operator ${KEY:?…}")
      expect(operator.fix).toContain("${NAME:-default}")
    })
  })

  describe("what still loads beside the new checks", () => {
    it("a page URL (authorize_url, manual_redirect_url) may carry a query; base_url a path", () => {
      const settings = Result.getOrThrow(fromYaml(`
providers:
  anthropic:
    base_url: https://gateway.example.com/anthropic/
    auth:
      authorize_url: https://claude.ai/oauth/authorize?prompt=login
      manual_redirect_url: https://platform.claude.com/oauth/code/callback?x=1
`))
      expect(settings.baseUrl).toBe("https://gateway.example.com/anthropic")
      expect(settings.auth.authorizeUrl).toBe("https://claude.ai/oauth/authorize?prompt=login")
      expect(settings.auth.manualRedirectUrl).toBe("https://platform.claude.com/oauth/code/callback?x=1")
    })

    it("100 retries, the bound, are accepted", () => {
      const settings = Result.getOrThrow(fromYaml("providers:\n  anthropic:\n    retry:\n      max_retries: 100\n"))
      expect(settings.maxRetries).toBe(100)
    })

    it("an api_key or a setup token with spaces or a line break around it is trimmed, not refused", () => {
      const token = "sk-ant-oat01-" + "t".repeat(80)
      const settings = Result.getOrThrow(
        fromYaml(`providers:\n  anthropic:\n    api_key: "\${KEY}"\n    auth:\n      setup_token: "\${TOKEN}"\n`, {
          KEY: " sk-ant-api03-key\n",
          TOKEN: `${token}\r\n`
        })
      )
      expect(settings.apiKey.pipe(Option.map(Redacted.value))).toEqual(Option.some("sk-ant-api03-key"))
      expect(settings.auth.setupToken.pipe(Option.map(Redacted.value))).toEqual(Option.some(token))
    })
  })

  describe("setup token length: at least 80 characters", () => {
    const tokenOf = (length: number) => "sk-ant-oat01-" + "t".repeat(length - "sk-ant-oat01-".length)
    const withToken = (token: string) => fromYaml(`providers:\n  anthropic:\n    auth:\n      setup_token: ${token}\n`)

    it("exactly 80 is accepted", () => {
      const settings = Result.getOrThrow(withToken(tokenOf(80)))
      expect(settings.auth.setupToken.pipe(Option.map(Redacted.value))).toEqual(Option.some(tokenOf(80)))
    })

    it("79 is refused, naming the length", () => {
      const error = errorOf(withToken(tokenOf(79)))
      expect(error.path).toBe("providers.anthropic.auth.setup_token")
      expect(error.problem).toBe("a setup token is at least 80 characters and this one has 79")
    })
  })

  describe("files that would exhaust memory or the stack are one AnthropicConfigError", () => {
    it.effect("YAML aliases expanding exponentially (billion laughs)", () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const file = path.join(dir, "llm.yaml")
        const levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        for (const name of "bcdefghi") {
          const previous = String.fromCharCode(name.charCodeAt(0) - 1)
          levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(", ")}]`)
        }
        yield* writeFile(file, [...levels, "providers:", "  anthropic:", "    betas: *i", ""].join("\n"))
        const error = yield* Effect.flip(AnthropicConfig.load({ configPath: file }))
        expect(error).toBeInstanceOf(AnthropicConfigError)
        expect(error.file).toBe(file)
        expect(error.problem).toContain("aliases")
        expect(error.fix).toContain("anchors and aliases")
      }))

    /** A file of `bytes` bytes of short top-level keys: the worst case of the parser's quadratic duplicate-key check. */
    const manyKeys = (bytes: number) => {
      let text = "providers:\n  anthropic: {}\n"
      for (let i = 0; text.length < bytes; i++) text += `${i.toString(36)}: 1\n`
      return text.slice(0, bytes - 1) + "\n"
    }

    it.effect("a file just over 64 KiB is refused before it is parsed, naming the file and the limit", () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const file = path.join(dir, "llm.yaml")
        // Not even YAML (an unclosed flow sequence first): parsed, it would fail as a syntax error instead.
        yield* writeFile(file, `providers: [\n${manyKeys(64 * 1024 + 1)}`.slice(0, 64 * 1024 + 1))
        const error = yield* Effect.flip(AnthropicConfig.load({ configPath: file, env: {} }))
        expect(error.file).toBe(file)
        expect(error.path).toBeUndefined()
        expect(error.problem).toBe(
          "the configuration is larger than 64 KiB, the most this client reads (a real llm.yaml is a few hundred bytes)"
        )
        expect(error.fix).toContain("configPath")
      }))

    it.effect("a file of exactly 64 KiB is read and parsed", () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const file = path.join(dir, "llm.yaml")
        const comment = "# padding\n".repeat(7000)
        const text = "providers:\n  anthropic:\n    anthropic_version: \"2024-01-01\"\n" + comment
        yield* writeFile(file, text.slice(0, 64 * 1024 - 1) + "\n")
        const settings = yield* AnthropicConfig.load({ configPath: file, env: {} })
        expect(settings.anthropicVersion).toBe("2024-01-01")
      }))

    it("fromYaml refuses text over 64 KiB the same way", () => {
      const error = errorOf(fromYaml(manyKeys(64 * 1024 + 1)))
      expect(error.file).toBe("llm.yaml")
      expect(error.problem).toContain("larger than 64 KiB")
    })

    it("a few aliases are still fine", () => {
      const settings = Result.getOrThrow(
        fromYaml("common: &b [prompt-caching-2024-07-31]\nproviders:\n  anthropic:\n    betas: *b\n")
      )
      expect(settings.betas).toEqual(["prompt-caching-2024-07-31"])
    })

    const nested = (depth: number) => "${A:-".repeat(depth) + "x" + "}".repeat(depth)

    it.effect("${A:-${A:-…}} nested 5,000 deep", () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const file = path.join(dir, "llm.yaml")
        yield* writeFile(file, `providers:\n  anthropic:\n    api_key: "${nested(5000)}"\n`)
        const error = yield* Effect.flip(AnthropicConfig.load({ configPath: file, env: {} }))
        expect(error).toBeInstanceOf(AnthropicConfigError)
        expect(error.file).toBe(file)
        expect(error.path).toBe("providers.anthropic.api_key")
        expect(error.problem).toContain("more than 32 levels")
        expect(error.fix).toContain("at most 32")
      }))

    it("32 levels of ${…} are fine", () => {
      const settings = Result.getOrThrow(fromYaml(`providers:\n  anthropic:\n    anthropic_version: "${nested(32)}"\n`))
      expect(settings.anthropicVersion).toBe("x")
      expect(Result.isFailure(fromYaml(`providers:\n  anthropic:\n    anthropic_version: "${nested(33)}"\n`))).toBe(true)
    })

    it("an inline configuration that refers to itself", () => {
      const cyclic: Record<string, unknown> = {}
      cyclic.self = cyclic
      const result = AnthropicConfig.fromObject({ providers: { anthropic: { auth: cyclic } } }, { env: {} })
      const error = errorOf(result)
      expect(error.problem).toContain("nests more than 32 levels")
    })
  })

  describe("retry.max_retries: a whole number from 0 to 100", () => {
    const retriesYaml = (value: string) => `providers:\n  anthropic:\n    retry:\n      max_retries: ${value}\n`

    it("takes the bounds themselves, 0 and 100, from a file and from an object", () => {
      for (const retries of [0, 100]) {
        expect(Result.getOrThrow(fromYaml(retriesYaml(String(retries)))).maxRetries).toBe(retries)
        const settings = AnthropicConfig.fromObject({ providers: { anthropic: { retry: { max_retries: retries } } } }, { env: {} })
        expect(Result.getOrThrow(settings).maxRetries).toBe(retries)
      }
    })

    for (const [value, found] of [["101", "101"], ["-1", "-1"], ["1.5", "1.5"], ["x", "\"x\""]] as const) {
      it(`refuses ${value}, naming the key and the bounds`, () => {
        const error = errorOf(fromYaml(retriesYaml(value)))
        expect(error.path).toBe("providers.anthropic.retry.max_retries")
        expect(error.problem).toContain(`not ${found}`)
        expect(error.fix).toBe("write a whole number from 0 to 100 (default 2)")
        expect(error.message).toContain("providers.anthropic.retry.max_retries")
      })
    }
  })

  describe("rate_limit.requests_per_second", () => {
    it("takes the bounds themselves", () => {
      for (const rate of [0.001, 1000]) {
        const yaml = `providers:\n  anthropic:\n    rate_limit:\n      requests_per_second: ${rate}\n`
        const settings = Result.getOrThrow(fromYaml(yaml))
        expect(settings.requestsPerSecond).toEqual(Option.some(rate))
      }
    })

    it.effect("RateLimiter.layer builds and serves with any finite rate above 0, given in code", () =>
      Effect.gen(function*() {
        for (const rate of [1e10, 1e21, 1e-30, 1e-7, 1 / 3, 3, Number.MAX_VALUE, Number.MIN_VALUE]) {
          const services = yield* Layer.build(RateLimiter.layer(Option.some(rate)))
          // The first slot is free at once: no initial wait, at any rate.
          yield* Context.get(services, RateLimiter.RateLimiter).take
        }
      }))

    it.effect("a rate of 0 or below given in code is a defect that says so", () =>
      Effect.gen(function*() {
        const exit = yield* Effect.exit(Layer.build(RateLimiter.layer(Option.some(0))))
        expect(exit._tag).toBe("Failure")
        // Effect 4: the exit nests deeper (a cause is a list of reasons) than inspect's default depth of 2.
        expect(inspect(exit, { depth: null })).toContain("requests per second must be a number above 0")
      }))
  })

  it("decodes a per-agent model selection", () => {
    expect(Result.getOrThrow(AnthropicConfig.decodeModelSelection({ provider: "anthropic", model: "claude-haiku-4-5" })))
      .toEqual({ provider: "anthropic", model: "claude-haiku-4-5" })
    const error = Result.getFailure(AnthropicConfig.decodeModelSelection({ provider: "openai", model: "x" }, "agent.yaml"))
    expect(Option.getOrThrow(error).path).toBe("model.provider")
  })
})
