import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as path from "node:path"
import * as Config from "../src/Config.js"
import { ConfigError } from "../src/Errors.js"
import { tempDir, writeFile } from "./helpers.js"

const GOOD_SETUP_TOKEN = "sk-ant-oat01-" + "a".repeat(90)

const fromYaml = (yaml: string, env: Record<string, string> = {}) =>
  Config.fromYaml(yaml, { env: { HOME: "/home/ada", ...env }, cwd: "/work/app", source: "llm.yaml" })

const errorOf = (result: Either.Either<Config.AnthropicSettings, ConfigError>): ConfigError => {
  if (Either.isRight(result)) throw new Error("expected a ConfigError")
  expect(result.left).toBeInstanceOf(ConfigError)
  return result.left
}

describe("Config", () => {
  it("fills every default", () => {
    const s = Either.getOrThrow(fromYaml("providers:\n  anthropic: {}\n"))
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
    const s = Either.getOrThrow(fromYaml("providers:\n  anthropic: {}\n", { CLAUDE_CONFIG_DIR: "/opt/claude" }))
    expect(s.auth.cliCredentials).toBe("/opt/claude/.credentials.json")
  })

  it("reads every key", () => {
    const s = Either.getOrThrow(fromYaml(`
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
    const withEnv = Either.getOrThrow(fromYaml(yaml, { ANTHROPIC_API_KEY: "sk-ant-api03-x", RPS: "4", RETRIES: "3" }))
    expect(withEnv.apiKey.pipe(Option.map(Redacted.value))).toEqual(Option.some("sk-ant-api03-x"))
    expect(withEnv.baseUrl).toBe("http://127.0.0.1:1234")
    expect(withEnv.requestsPerSecond).toEqual(Option.some(4))
    expect(withEnv.maxRetries).toBe(3)

    const defaults = Either.getOrThrow(fromYaml(yaml, { RETRIES: "0" }))
    expect(Option.isNone(defaults.apiKey)).toBe(true)
    expect(defaults.requestsPerSecond).toEqual(Option.some(2))

    const unset = errorOf(fromYaml(yaml))
    expect(unset.path).toBe("providers.anthropic.retry.max_retries")
    expect(unset.message).toContain("RETRIES is not set")
  })

  it("loads the project's own config/llm.yaml", () =>
    Effect.gen(function*() {
      const s = yield* Config.load({ env: { HOME: "/home/ada" } })
      expect(s.source).toBe(path.resolve("config/llm.yaml"))
      expect(s.requestsPerSecond).toEqual(Option.some(2))
      expect(s.model).toEqual(Option.some({ provider: "anthropic", model: "claude-haiku-4-5" }))
    }).pipe(Effect.runPromise))

  describe("refuses bad input with one clear ConfigError", () => {
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
        says: /fast/,
        fix: /number above 0/
      },
      {
        name: "a zero rate",
        yaml: "providers:\n  anthropic:\n    rate_limit:\n      requests_per_second: 0\n",
        path: "providers.anthropic.rate_limit.requests_per_second",
        says: /above 0/,
        fix: /number above 0/
      },
      {
        name: "negative retries",
        yaml: "providers:\n  anthropic:\n    retry:\n      max_retries: -1\n",
        path: "providers.anthropic.retry.max_retries",
        says: /non-negative|>= 0/,
        fix: /whole number/
      },
      {
        name: "betas not a list",
        yaml: "providers:\n  anthropic:\n    betas: 3\n",
        path: "providers.anthropic.betas",
        says: /Expected/,
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
        fix: /README/
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

    it.scoped("a missing file", () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const error = yield* Effect.flip(Config.load({ configPath: path.join(dir, "nope.yaml") }))
        expect(error._tag).toBe("ConfigError")
        expect(error.file).toBe(path.join(dir, "nope.yaml"))
        expect(error.problem).toContain("does not exist")
      }))

    it.scoped("a file read from disk names that file", () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const file = path.join(dir, "llm.yaml")
        yield* writeFile(file, "providers:\n  anthropic:\n    auth:\n      mode: magic\n")
        const error = yield* Effect.flip(Config.load({ configPath: file }))
        expect(error.file).toBe(file)
        expect(error.path).toBe("providers.anthropic.auth.mode")
      }))
  })

  it("decodes a per-agent model selection", () => {
    expect(Either.getOrThrow(Config.decodeModelSelection({ provider: "anthropic", model: "claude-haiku-4-5" })))
      .toEqual({ provider: "anthropic", model: "claude-haiku-4-5" })
    const error = Either.getLeft(Config.decodeModelSelection({ provider: "openai", model: "x" }, "agent.yaml"))
    expect(Option.getOrThrow(error).path).toBe("model.provider")
  })
})
