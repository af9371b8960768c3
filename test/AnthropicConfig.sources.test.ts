/** Where settings come from besides a YAML file: Effect `Config` values, and nothing at all (the environment). */
import { describe, expect, it } from "@effect/vitest"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as path from "node:path"
import * as AnthropicClient from "../src/AnthropicClient.js"
import * as AnthropicConfig from "../src/AnthropicConfig.js"
import * as Credentials from "../src/Credentials.js"
import { createClient } from "../src/PromiseClient.js"
import * as StandIn from "../src/testing/StandIn.js"
import { API_KEY, hello } from "./fixtures.js"
import { tempDir } from "./helpers.js"

/** The `Config`s read from `entries` as from environment variables (Effect 4: `ConfigProvider.fromEnv`). */
const withProvider = (entries: Record<string, string>) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.provideService(effect, ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env: entries }))

describe("AnthropicConfig.fromConfig: settings from Effect Config values", () => {
  it.effect("with no options it reads ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL and ANTHROPIC_AUTH_MODE from the ConfigProvider", () =>
    Effect.gen(function*() {
      const settings = yield* AnthropicConfig.fromConfig().pipe(
        withProvider({ ANTHROPIC_API_KEY: API_KEY, ANTHROPIC_BASE_URL: "http://127.0.0.1:1/", ANTHROPIC_AUTH_MODE: "static", HOME: "/h" })
      )
      expect(Option.map(settings.apiKey, Redacted.value)).toEqual(Option.some(API_KEY))
      expect(settings.baseUrl).toBe("http://127.0.0.1:1")
      expect(settings.auth.mode).toBe("static")
      expect(settings.auth.cliCredentials).toBe("/h/.claude/.credentials.json")
      expect(settings.source).toBe("<Effect Config>")
      // Everything else has the file's defaults.
      expect(settings.maxRetries).toBe(2)
      expect(settings.timeoutMs).toBe(600_000)
    }))

  it.effect("options take Config values of their own; values with `$` are taken literally", () =>
    Effect.gen(function*() {
      const settings = yield* AnthropicConfig.fromConfig({
        apiKey: Config.Redacted("MY_KEY"),
        requestsPerSecond: Config.Number("RPS"),
        maxRetries: Config.Int("RETRIES"),
        betas: Config.Array(Schema.String, "BETAS"),
        clientId: Config.succeed("id-with-$HOME-and-${X}")
      }).pipe(withProvider({ MY_KEY: "sk-ant-api03-mine", RPS: "0.5", RETRIES: "5", BETAS: "a,b" }))
      expect(Option.map(settings.apiKey, Redacted.value)).toEqual(Option.some("sk-ant-api03-mine"))
      expect(settings.apiKeyLocation).toBe("providers.anthropic.api_key")
      expect(settings.requestsPerSecond).toEqual(Option.some(0.5))
      expect(settings.maxRetries).toBe(5)
      expect(settings.betas).toEqual(["a", "b"])
      expect(settings.auth.clientId).toBe("id-with-$HOME-and-${X}")
    }))

  it.effect("values are checked as the file's are: one AnthropicConfigError naming the user's own key", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        AnthropicConfig.fromConfig({ requestsPerSecond: Config.Number("RPS") }).pipe(withProvider({ RPS: "1e10" }))
      )
      expect(error._tag).toBe("AnthropicConfigError")
      if (error._tag !== "AnthropicConfigError") return
      expect(error.file).toBe("<Effect Config>")
      expect(error.path).toBe("RPS")
    }))

  it.effect("a Config the provider cannot supply is Effect's own ConfigError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(AnthropicConfig.fromConfig({ apiKey: Config.Redacted("MISSING") }).pipe(withProvider({})))
      expect(error._tag).not.toBe("AnthropicConfigError")
      expect(String(error)).toContain("MISSING")
    }))

  it.effect("AnthropicClient.layerConfig: the whole stack from a ConfigProvider, against the stand-in", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      const context = yield* Layer.build(AnthropicClient.layerConfig()).pipe(
        withProvider({ ANTHROPIC_API_KEY: API_KEY, ANTHROPIC_BASE_URL: standIn.url, HOME: "/nonexistent" })
      )
      const message = yield* Context.get(context, AnthropicClient.AnthropicClient).createMessage(hello)
      expect(message.type).toBe("message")
      expect(Context.get(context, Credentials.Credentials).kind).toBe("api_key")
      expect(standIn.requests[0]!.headers["x-api-key"]).toBe(API_KEY)
    }))
})

describe("zero configuration: no file, the environment alone", () => {
  it.effect("load() without a path in a directory without config/llm.yaml uses the built-in defaults", () =>
    Effect.gen(function*() {
      const cwd = yield* tempDir
      const settings = yield* AnthropicConfig.load({ cwd, env: { ANTHROPIC_API_KEY: API_KEY, HOME: cwd } })
      expect(settings.source).toBe("<built-in defaults>")
      expect(Option.map(settings.apiKey, Redacted.value)).toEqual(Option.some(API_KEY))
      expect(settings.auth.mode).toBe("auto")
      expect(settings.baseUrl).toBe("https://api.anthropic.com")
      expect(settings.auth.bundle).toBe(path.join(cwd, "secrets", "anthropic_oauth.json"))
    }))

  it.effect("an explicit configPath that does not exist is still an error", () =>
    Effect.gen(function*() {
      const cwd = yield* tempDir
      const error = yield* Effect.flip(AnthropicConfig.load({ cwd, configPath: "config/llm.yaml", env: {} }))
      expect(error._tag).toBe("AnthropicConfigError")
      expect(error.message).toContain("does not exist")
    }))

  it.effect("createClient() with only ANTHROPIC_API_KEY (and a base URL) set works; so does an empty providers.anthropic", () =>
    Effect.gen(function*() {
      const cwd = yield* tempDir
      const standIn = yield* StandIn.scoped()
      const env = { ANTHROPIC_API_KEY: API_KEY, ANTHROPIC_BASE_URL: standIn.url, HOME: cwd }
      yield* Effect.promise(async () => {
        for (const client of [await createClient({ cwd, env }), await createClient({ config: { providers: { anthropic: {} } }, env })]) {
          try {
            expect(client.credential.kind).toBe("api_key")
            expect(client.credential.location).toBe("ANTHROPIC_API_KEY")
            await client.messages.create(hello)
          } finally {
            await client.close()
          }
        }
      })
      expect(standIn.requests.map((r) => r.headers["x-api-key"])).toEqual([API_KEY, API_KEY])
    }))

  it.effect("NoCredentials never blames a variable that is set", () =>
    Effect.gen(function*() {
      const home = yield* tempDir
      const auth = { bundle: path.join(home, "none.json"), setup_token_file: path.join(home, "none") }
      const reasonFor = (anthropic: Record<string, unknown>, env: Record<string, string>) =>
        Effect.flip(Credentials.resolve(Effect.runSync(Effect.fromResult(AnthropicConfig.fromObject({ providers: { anthropic } }, { env: { HOME: home, ...env } }))))).pipe(
          Effect.map((error) => error._tag === "NoCredentials" ? error.tried.find((t) => t.source === "api_key")!.reason : error.message)
        )
      const unset = yield* reasonFor({ auth }, {})
      expect(unset).toContain("ANTHROPIC_API_KEY is not set")
      const emptyButSet = yield* reasonFor({ auth, api_key: "" }, { ANTHROPIC_API_KEY: API_KEY })
      expect(emptyButSet).toContain("providers.anthropic.api_key is empty")
      expect(emptyButSet).toContain("ANTHROPIC_API_KEY is set, but this configuration does not use it")
      expect(emptyButSet).not.toContain("not set")
      const shipped = yield* reasonFor({ auth, api_key: "${ANTHROPIC_API_KEY:-}" }, {})
      expect(shipped).toContain("ANTHROPIC_API_KEY is not set")
    }))
})
