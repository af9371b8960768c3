import { describe, expect, it } from "vitest"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import * as StandIn from "../src/testing/StandIn.js"
import { cli, fixture } from "./cliHelpers.js"

describe("effect-anthropic CLI", () => {
  it("demo runs offline against the stand-in and prints every step", async () => {
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
    expect(stdout).toContain("… 25 models in all; claude-haiku-4-5 is one of them")
    expect(stdout).toContain("Paris: 18 °C — Take sunglasses.")
    expect(stdout).toMatch(/ended: 2 succeeded\n   color-red: echo: A fruit that is red\?\n   color-green: echo: A fruit that is green\?/)
    expect(stdout).toMatch(/uploaded about-effect.txt \(62 bytes, text\/plain\) as file_\d+/)
    expect(stdout).toContain("Demo finished.")
  })

  it("demo --live without credentials fails with one clear error", async () => {
    // Everything points into an empty temp dir and at a closed loopback port: no real credential, no real API.
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "ea-cli-"))
    const config = path.join(dir, "llm.yaml")
    await fs.writeFile(
      config,
      `providers:\n  anthropic:\n    base_url: http://127.0.0.1:9\n    auth:\n      bundle: ${dir}/b.json\n      setup_token_file: ${dir}/t\n`
    )
    const { code, stderr } = await cli(["demo", "--live", "--config", config], { HOME: dir })
    await fs.rm(dir, { recursive: true, force: true })
    expect(code).toBe(1)
    expect(stderr).toContain("No Anthropic credentials found")
    expect(stderr).toContain("oauth_bundle")
  })

  describe("chat", () => {
    const f = fixture("ea-chat-", (_, standIn) => [
      "providers:",
      "  anthropic:",
      "    api_key: ${ANTHROPIC_API_KEY:-}",
      `    base_url: ${standIn.url}`,
      "    auth:",
      "      mode: static",
      "model:",
      "  provider: anthropic",
      "  model: claude-chat-test"
    ])

    it("streams the reply to stdout with the config's model and shows the credential source", async () => {
      f.standIn.enqueue(StandIn.streamText("Bonjour! Streaming works.", { piecesPerBlock: 6 }))
      const { code, stderr, stdout } = await cli(["chat", "Say hello", "--config", f.config], {
        ANTHROPIC_API_KEY: "sk-ant-api03-chat"
      })
      expect(code).toBe(0)
      expect(stdout).toBe("Bonjour! Streaming works.\n")
      expect(stderr).toContain("[claude-chat-test via api_key from providers.anthropic.api_key]")
      const request = f.standIn.requests.at(-1)!
      expect(request.body.model).toBe("claude-chat-test")
      expect(request.body.stream).toBe(true)
      expect(request.body.messages).toEqual([{ role: "user", content: "Say hello" }])
      expect(stderr).not.toContain("sk-ant-api03-chat")
    })

    it("--model overrides the selection; a failure is one clear message", async () => {
      f.standIn.enqueue(StandIn.streamText("ok"))
      const ok = await cli(["chat", "x", "--model", "claude-other", "--config", f.config], { ANTHROPIC_API_KEY: "sk-ant-api03-chat" })
      expect(ok.code).toBe(0)
      expect(f.standIn.requests.at(-1)!.body.model).toBe("claude-other")
      f.standIn.enqueue(StandIn.error(401, { message: "invalid x-api-key" }))
      const bad = await cli(["chat", "x", "--config", f.config], { ANTHROPIC_API_KEY: "sk-ant-api03-wrong" })
      expect(bad.code).toBe(1)
      expect(bad.stderr).toContain("CredentialInvalid: The API key (x-api-key) was rejected")
    })
  })

  describe("models", () => {
    const f = fixture("ea-models-", (_, standIn) => [
      "providers:",
      "  anthropic:",
      "    api_key: sk-ant-api03-models",
      `    base_url: ${standIn.url}`,
      "    auth:",
      "      mode: static"
    ])

    it("lists every model, newest first, a line each (all pages); --json gives the API's objects", async () => {
      const { code, stderr, stdout } = await cli(["models", "--config", f.config])
      expect(code).toBe(0)
      expect(stderr).toContain("via api_key from providers.anthropic.api_key]")
      const lines = stdout.trimEnd().split("\n")
      expect(lines.length).toBe(25)
      expect(lines[0]).toMatch(/^claude-opus-4-7\s+Claude Opus 4\.7\s+2026-01-01$/)
      expect(lines[24]).toContain("(deprecated)")
      const json = await cli(["models", "--json", "--config", f.config])
      const models = json.stdout.trimEnd().split("\n").map((line) => JSON.parse(line))
      expect(models.map((m) => m.id)).toEqual(f.standIn.models.map((m) => m.id))
    })
  })

  describe("chat with an OAuth bundle whose refresh fails", () => {
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
      expect(stderr).toContain("using the current token until it expires")
    })
  })
})
