/**
 * The command line: each command's body in-process (as main.ts runs it, see `inProcess`) for what it prints, and
 * one run of each command in its own process, through `src/cli/main.ts`, for the wiring (options, stdout and stderr,
 * exit codes).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll } from "vitest"
import * as AnthropicConfig from "../src/AnthropicConfig.js"
import * as Auth from "../src/cli/auth.js"
import * as Chat from "../src/cli/chat.js"
import * as Demo from "../src/cli/demo.js"
import * as Models from "../src/cli/models.js"
import * as StandIn from "../src/testing/StandIn.js"
import { cli, CLI_TEST_TIMEOUT_MS, fixture, inProcess } from "./cliHelpers.js"
import { tempDir, writeFile } from "./helpers.js"
import { freePort, type RunningRedis, redisServer, startRedis } from "./redis.js"

/** Anything a terminal would act on, except line feeds and tabs. */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/

/** A config file of `lines` in a temp dir of the test's scope. */
const configFile = (lines: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const dir = yield* tempDir
    const file = path.join(dir, "llm.yaml")
    yield* writeFile(file, [...lines, ""].join("\n"))
    return { dir, file }
  })

/** The command's settings from `configPath`, as main.ts loads them (with `env` as the environment). */
const settingsOf = (configPath: string, env: Record<string, string> = { HOME: "/nonexistent" }) =>
  AnthropicConfig.load({ configPath, env })

describe("effect-anthropic CLI", () => {
  describe("demo", () => {
    it("runs offline against the stand-in and prints every step (its own process)", async () => {
      const { code, stderr, stdout } = await cli(["demo"])
      expect(stderr).toBe("")
      expect(code).toBe(0)
      expect(stdout).toMatch(/stand-in listening on http:\/\/127\.0\.0\.1:\d+/)
      expect(stdout).toContain("credential: api_key")
      expect(stdout).toContain("[1] Chat")
      expect(stdout).toContain("model asks: get_weather")
      expect(stdout).toContain("It is 18 °C and sunny in Paris.")
      expect(stdout).toContain("[3] A streamed reply, printed as it arrives")
      expect(stdout).toContain("Streaming arrives as server-sent events: message_start")
      expect(stdout).toContain("↻ RateLimit: retry 1 of 2 in 700 ms")
      expect(stdout).toContain("(2 requests sent)")
      expect(stdout).toContain("… 19 models in all; claude-haiku-4-5 is one of them")
      expect(stdout).toContain("Paris: 18 °C — Take sunglasses.")
      expect(stdout).toMatch(/ended: 2 succeeded\n   color-red: echo: A fruit that is red\?\n   color-green: echo: A fruit that is green\?/)
      expect(stdout).toMatch(/uploaded about-effect.txt \(62 bytes, text\/plain\) as file_\d+/)
      expect(stdout).toContain("Demo finished.")
    }, CLI_TEST_TIMEOUT_MS)

    it.live("--live without credentials fails with one clear error", () =>
      Effect.gen(function*() {
        // Everything points into an empty temp dir and at a closed loopback port: no real credential, no real API.
        const dir = yield* tempDir
        const config = path.join(dir, "llm.yaml")
        yield* writeFile(
          config,
          `providers:\n  anthropic:\n    base_url: http://127.0.0.1:9\n    auth:\n      bundle: ${dir}/b.json\n      setup_token_file: ${dir}/t\n`
        )
        const { code, stderr } = yield* inProcess(() => Demo.run({ live: true, configPath: config, env: { HOME: dir } }))
        expect(code).toBe(1)
        expect(stderr).toContain("No Anthropic credentials found")
        expect(stderr).toContain("oauth_bundle")
      }))
  })

  describe("chat", () => {
    const chatConfig = (standIn: StandIn.StandIn) =>
      configFile([
        "providers:",
        "  anthropic:",
        "    api_key: ${ANTHROPIC_API_KEY:-}",
        `    base_url: ${standIn.url}`,
        "    auth:",
        "      mode: static",
        "model:",
        "  provider: anthropic",
        "  model: claude-sonnet-5-5"
      ])
    const chat = (configPath: string, apiKey: string, options: Partial<Chat.ChatOptions> = {}) =>
      inProcess((write) =>
        Chat.chat({ prompt: "x", configPath, env: { ANTHROPIC_API_KEY: apiKey }, maxTokens: 1024, write, ...options })
      )

    it.live("streams the reply to stdout with the config's model and shows the credential source", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped()
        const { file } = yield* chatConfig(standIn)
        standIn.enqueue(StandIn.streamText("Bonjour! Streaming works.", { piecesPerBlock: 6 }))
        const { code, stderr, stdout } = yield* chat(file, "sk-ant-api03-chat", { prompt: "Say hello" })
        expect(code).toBe(0)
        expect(stdout).toBe("Bonjour! Streaming works.\n")
        expect(stderr).toContain("[claude-sonnet-5-5 via api_key from providers.anthropic.api_key]")
        const request = standIn.requests.at(-1)!
        expect(request.body.model).toBe("claude-sonnet-5-5")
        expect(request.body.stream).toBe(true)
        expect(request.body.messages).toEqual([{ role: "user", content: "Say hello" }])
        expect(stderr).not.toContain("sk-ant-api03-chat")
      }))

    it.live("--model overrides the selection; a failure is one clear message", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped()
        const { file } = yield* chatConfig(standIn)
        standIn.enqueue(StandIn.streamText("ok"))
        const ok = yield* chat(file, "sk-ant-api03-chat", { model: "claude-opus-5" })
        expect(ok.code).toBe(0)
        expect(standIn.requests.at(-1)!.body.model).toBe("claude-opus-5")
        standIn.enqueue(StandIn.error(401, { message: "invalid x-api-key\x1b]0;pwned\x07" }))
        const bad = yield* chat(file, "sk-ant-api03-wrong")
        expect(bad.code).toBe(1)
        expect(bad.stderr).toContain("CredentialInvalid: The API key (x-api-key) was rejected")
        // The API's message is quoted, its control characters escaped.
        expect(bad.stderr).toContain("invalid x-api-key\\x1b]0;pwned\\x07")
        expect(bad.stderr).not.toMatch(RAW_CONTROL)
      }))

    it.live("control characters the server sent reach the terminal escaped: the reply's (its lines kept) and the stop reason's", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped()
        const { file } = yield* chatConfig(standIn)
        standIn.enqueue(StandIn.streamOf(
          StandIn.messageJson([{ type: "text", text: "Hi\x1b[2J\n\tthere\r\u202e" }], { stop_reason: "end_turn\x1b]0;t\x07" }),
          { piecesPerBlock: 4 }
        ))
        const { code, stderr, stdout } = yield* chat(file, "sk-ant-api03-chat")
        expect(code).toBe(0)
        expect(stdout).toBe("Hi\\x1b[2J\n\tthere\\r\\u202e\n")
        expect(stderr).toContain("stop: end_turn\\x1b]0;t\\x07]")
        expect(`${stdout}${stderr}`).not.toMatch(RAW_CONTROL)
      }))

    describe("with an OAuth bundle whose refresh fails (its own process)", () => {
      const f = fixture("ea-chat-oauth-", (dir, standIn) => [
        "providers:",
        "  anthropic:",
        `    base_url: ${standIn.url}`,
        "    retry:",
        "      max_retries: 0",
        "    auth:",
        "      mode: oauth_bundle",
        `      bundle: ${dir}/bundle.json`,
        `      token_url: ${standIn.oauth.tokenUrl}`
      ])

      it("log lines go to stderr: stdout holds the answer alone", async () => {
        const pair = f.standIn.oauth.issue()
        // 30 s left: the refresh is due, fails, and the still-valid token is used with a warning.
        await fs.writeFile(
          path.join(f.dir, "bundle.json"),
          JSON.stringify({ ...pair, expires_at: new Date(Date.now() + 30_000).toISOString() })
        )
        f.standIn.oauth.enqueueToken(StandIn.error(503), StandIn.error(503))
        f.standIn.enqueue(StandIn.streamText("only the answer"))
        const { code, stderr, stdout } = await cli(["chat", "hi", "--config", f.config])
        expect(code).toBe(0)
        expect(stdout).toBe("only the answer\n")
        expect(stderr).toContain("[claude-haiku-4-5 via oauth_bundle from")
        expect(stderr).toContain("using the current token until it expires")
        expect(f.standIn.requests.at(-1)!.body.messages).toEqual([{ role: "user", content: "hi" }])
      }, CLI_TEST_TIMEOUT_MS)
    })
  })

  describe("models", () => {
    const modelsLines = (standIn: StandIn.StandIn) => [
      "providers:",
      "  anthropic:",
      "    api_key: sk-ant-api03-models",
      `    base_url: ${standIn.url}`,
      "    auth:",
      "      mode: static"
    ]
    /** The oldest model, as a hostile server would send it. */
    const addHostileModel = (standIn: StandIn.StandIn) =>
      standIn.models.push({
        type: "model",
        id: "claude-old\x1b[2J",
        display_name: "Old\x07\rOverwritten",
        created_at: "2020-01-01T00:00:00Z\u009b"
      } as (typeof standIn.models)[number])

    describe("its own process", () => {
      const f = fixture("ea-models-", (_, standIn) => modelsLines(standIn))

      it("lists every model, newest first, a line each (all pages), all escaped", async () => {
        addHostileModel(f.standIn)
        const { code, stderr, stdout } = await cli(["models", "--config", f.config])
        expect(code).toBe(0)
        expect(stderr).toContain("via api_key from providers.anthropic.api_key]")
        const lines = stdout.trimEnd().split("\n")
        // The 19 models the API lists by default (not the retired ones), then the hostile one.
        expect(lines.length).toBe(20)
        expect(lines[0]).toMatch(/^claude-fable-5-2\s+Claude Fable 5\.2\s+2026-11-09$/)
        expect(lines[18]).toMatch(/^claude-sonnet-4-5-20250929\s+Claude Sonnet 4\.5\s+2025-09-29  \(deprecated\)$/)
        expect(lines[19]).toMatch(/^claude-old\\x1b\[2J\s+Old\\x07\\rOverwritten\s+2020-01-01$/)
        expect(stdout).not.toMatch(RAW_CONTROL)
      }, CLI_TEST_TIMEOUT_MS)
    })

    it.live("--json gives the API's objects, a line each (all pages), escaped", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped()
        addHostileModel(standIn)
        const { file } = yield* configFile(modelsLines(standIn))
        const json = yield* inProcess((write) =>
          Models.list({ configPath: file, env: {}, json: true, write: (line) => write(`${line}\n`) })
        )
        expect(json.code).toBe(0)
        expect(json.stdout).not.toMatch(RAW_CONTROL)
        const models = json.stdout.trimEnd().split("\n").map((line) => JSON.parse(line))
        expect(models.length).toBe(20)
        expect(models).toEqual(standIn.models.filter((m) => m.lifecycle !== "retired"))
      }))
  })

  describe("configuration errors", () => {
    it.live("show a setting's value as given, never a secret's", () =>
      Effect.gen(function*() {
        const { file } = yield* configFile([
          "providers:",
          "  anthropic:",
          "    api_key: sk-ant-api03-config-error-secret",
          "    base_url: 127.0.0.1:40401"
        ])
        const { code, stderr } = yield* inProcess((write) =>
          Models.list({ configPath: file, env: {}, json: false, write: (line) => write(`${line}\n`) })
        )
        expect(code).toBe(1)
        expect(stderr).toBe(
          `AnthropicConfigError: ${file}: providers.anthropic.base_url: must be an http(s) URL such as ` +
            `https://api.anthropic.com, not "127.0.0.1:40401" (it has no http:// or https:// in front). Fix: write a ` +
            "full URL alone, such as https://api.anthropic.com (here or in ANTHROPIC_BASE_URL); credentials belong in " +
            "api_key / ANTHROPIC_API_KEY or the auth files, never in a URL\n"
        )
        const { file: badKey } = yield* configFile(["providers:", "  anthropic:", "    api_key: [sk-ant-api03-config-error-secret]"])
        const secret = yield* inProcess(() => Chat.chat({ prompt: "x", configPath: badKey, env: {}, maxTokens: 8, write: () => {} }))
        expect(secret.stderr).toContain("providers.anthropic.api_key: must be a string, not a list of 1 item")
        expect(secret.stderr).not.toContain("config-error-secret")
      }))
  })

  describe("status: rate limits", () => {
    it.live("status shows the configured limits and the store; --json gives the same as one object", () =>
      Effect.gen(function*() {
        const { file } = yield* configFile([
          "providers:",
          "  anthropic:",
          "    api_key: sk-ant-api03-status-secret-key",
          "    base_url: http://127.0.0.1:9",
          "    auth:",
          "      mode: static",
          "    rate_limit:",
          "      requests_per_second: 5",
          "      input_tokens_per_minute: 40000",
          "      models:",
          "        claude-opus-4-7:",
          "          requests_per_minute: 50",
          "          output_tokens_per_minute: 8000"
        ])
        const status = (json: boolean) => inProcess(() => Effect.flatMap(settingsOf(file), (settings) => Auth.status(settings, { json })))
        const { code, stdout } = yield* status(false)
        expect(code).toBe(0)
        expect(stdout).toContain("Rate limits:\n  store: memory (this process)\n  requests per second: 5\n  per minute: 40000 input tokens a minute")
        expect(stdout).toContain("    claude-opus-4-7: 50 requests, 8000 output tokens a minute")
        expect(stdout).toContain("adaptive: on")
        const json = yield* status(true)
        expect(json.code).toBe(0)
        const report = JSON.parse(json.stdout)
        expect(report).toMatchObject({
          authMode: "static",
          inUse: { kind: "api_key", location: "providers.anthropic.api_key" },
          rateLimit: {
            store: "memory",
            adaptive: true,
            requestsPerSecond: 5,
            requestsPerMinute: null,
            inputTokensPerMinute: 40000,
            outputTokensPerMinute: null,
            models: { "claude-opus-4-7": { requestsPerMinute: 50, outputTokensPerMinute: 8000 } }
          }
        })
        expect(report.inUse.fingerprint).toMatch(/^[0-9a-f]{8}/)
        expect(json.stdout).not.toContain("status-secret-key")
      }))
  })

  describe.skipIf(redisServer === undefined)("status: a Redis store", () => {
    let redis: RunningRedis
    let dir = ""
    beforeAll(async () => {
      redis = await startRedis(undefined, ["--requirepass", "hunter2-redis-pass"])
      dir = await fs.mkdtemp(path.join(os.tmpdir(), "ea-status-redis-"))
    })
    afterAll(async () => {
      await redis.stop()
      await fs.rm(dir, { recursive: true, force: true })
    })
    const status = (url: string, json = false) =>
      Effect.gen(function*() {
        const file = path.join(dir, `llm-${Math.random().toString(36).slice(2)}.yaml`)
        yield* writeFile(file, [
          "providers:",
          "  anthropic:",
          "    api_key: sk-ant-api03-status",
          "    auth:",
          "      mode: static",
          "    rate_limit:",
          "      store: redis",
          `      redis_url: ${url}`,
          "      key_prefix: \"team-a:\"",
          ""
        ].join("\n"))
        return yield* inProcess(() => Effect.flatMap(settingsOf(file), (settings) => Auth.status(settings, { json })))
      })

    it.live("says whether the Redis answers, and never shows its password", () =>
      Effect.gen(function*() {
        const up = yield* status(`redis://:hunter2-redis-pass@127.0.0.1:${redis.port}/2`)
        expect(up.code).toBe(0)
        expect(up.stdout).toContain(`store: redis redis://127.0.0.1:${redis.port}/2, keys team-a:*: reachable`)
        const port = yield* Effect.promise(() => freePort())
        const down = yield* status(`redis://:hunter2-redis-pass@127.0.0.1:${port}/0`, true)
        expect(down.code).toBe(0)
        expect(JSON.parse(down.stdout).rateLimit.redis).toEqual({
          url: `redis://127.0.0.1:${port}/0`,
          keyPrefix: "team-a:",
          reachable: false,
          detail: "ECONNREFUSED"
        })
        const wrongPassword = yield* status(`redis://:wrong@127.0.0.1:${redis.port}/0`)
        expect(wrongPassword.stdout).toMatch(/keys team-a:\*: not reachable \(WRONGPASS/)
        for (const out of [up, down, wrongPassword]) expect(`${out.stdout}${out.stderr}`).not.toMatch(/hunter2|:wrong@/)
      }))
  })
})
