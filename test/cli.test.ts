import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { createClient } from "../src/index.js"
import { execFile, spawn } from "node:child_process"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import * as StandIn from "../src/testing/StandIn.js"

/** Run the CLI from source in its own process, as a user would. */
const cli = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", ...args],
      { env: { PATH: process.env.PATH ?? "", HOME: "/nonexistent", ...env }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr })
    )
  })

/** A temp dir, a stand-in and a config file written from `lines(dir, standIn)`, for one describe block. */
const fixture = (prefix: string, lines: (dir: string, standIn: StandIn.StandIn) => ReadonlyArray<string>) => {
  const state = { dir: "", config: "", standIn: undefined as unknown as StandIn.StandIn }
  beforeAll(async () => {
    state.dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix))
    state.standIn = await StandIn.start()
    state.config = path.join(state.dir, "llm.yaml")
    await fs.writeFile(state.config, [...lines(state.dir, state.standIn), ""].join("\n"))
  })
  afterAll(async () => {
    await state.standIn.close()
    await fs.rm(state.dir, { recursive: true, force: true })
  })
  return state
}

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

  describe("login, status, logout", () => {
    const f = fixture("ea-auth-", (dir, standIn) => [
      "providers:",
      "  anthropic:",
      `    base_url: ${standIn.url}`,
      "    auth:",
      `      bundle: ${dir}/secrets/anthropic_oauth.json`,
      `      setup_token_file: ${dir}/secrets/anthropic_setup_token`,
      `      token_url: ${standIn.oauth.tokenUrl}`,
      `      authorize_url: ${standIn.oauth.authorizeUrl}`
    ])

    const bundleFile = () => path.join(f.dir, "secrets", "anthropic_oauth.json")

    /** A bundle as `login` writes it, holding tokens the stand-in issued: each test lays out what it needs. */
    const writeIssuedBundle = async (expiresAt: unknown = new Date(Date.now() + 3_600_000).toISOString()) => {
      const pair = f.standIn.oauth.issue()
      await fs.mkdir(path.dirname(bundleFile()), { recursive: true })
      await fs.writeFile(
        bundleFile(),
        JSON.stringify({ access_token: pair.access_token, refresh_token: pair.refresh_token, expires_at: expiresAt }),
        { mode: 0o600 }
      )
      return pair
    }

    /** `login --no-browser` from a clean slate, pasting the code#state the stand-in's hosted page shows. */
    const login = async () => {
      await fs.rm(bundleFile(), { force: true })
      const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "login", "--no-browser", "--config", f.config], {
        env: { PATH: process.env.PATH ?? "", HOME: f.dir }
      })
      let out = ""
      child.stdout.on("data", (d) => (out += d))
      child.stderr.on("data", (d) => (out += d))
      const exited = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? 1)))
      while (!/Waiting for/.test(out)) await new Promise((r) => setTimeout(r, 20))
      const manual = out.match(/http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+/g)![1]!
      const shown = await (await fetch(manual)).text()
      child.stdin.write(`${shown}\n`)
      return { code: await exited, out }
    }

    it("login --no-browser takes a code pasted on stdin and writes the bundle", async () => {
      const { code, out } = await login()
      expect(code).toBe(0)
      expect(out).toContain("Authorized (pasted code)")
      const bundle = JSON.parse(await fs.readFile(bundleFile(), "utf8"))
      expect(bundle.access_token).toMatch(/^sk-ant-oat01-/)
      expect(out).not.toContain(bundle.access_token)
    })

    it("status names the credential in use, why the others are skipped, and the expiry, with no secret", async () => {
      const pair = await writeIssuedBundle()
      const { code, stdout } = await cli(["status", "--config", f.config], { HOME: f.dir, ANTHROPIC_API_KEY: "sk-ant-api03-unused" })
      expect(code).toBe(0)
      expect(stdout).toContain("✓ oauth_bundle")
      expect(stdout).toContain("no Claude Code CLI credentials file")
      expect(stdout).toContain("In use: oauth_bundle")
      expect(stdout).toMatch(/access token expires \S+ \(in 60 min\)/)
      expect(stdout).toMatch(/fingerprint: [0-9a-f]{8}/)
      expect(stdout).not.toContain(pair.access_token)
      expect(stdout).not.toContain(pair.refresh_token)
    })

    it("status refuses a bundle whose expires_at is past any date, naming the file and the field", async () => {
      await writeIssuedBundle(1e300)
      const { code, stderr, stdout } = await cli(["status", "--config", f.config], { HOME: f.dir })
      expect(code).toBe(1)
      expect(stderr).toContain(`AnthropicConfigError: ${bundleFile()}: expires_at: must be a date from 1970-01-01 up to 3000-01-01`)
      expect(stderr).toContain("effect-anthropic login")
      expect(`${stdout}${stderr}`).not.toMatch(/RangeError|Invalid time value|1e\+300/)
    })

    it("the bundle written by login works for a call", async () => {
      expect((await login()).code).toBe(0)
      const client = await createClient({ configPath: f.config, env: { HOME: f.dir } })
      try {
        f.standIn.oauth.requireIssuedTokens(true)
        const msg = await client.messages.create({ model: "m", max_tokens: 8, messages: [{ role: "user", content: "hi" }] })
        expect(msg.type).toBe("message")
        expect(client.credential.kind).toBe("oauth_bundle")
      } finally {
        f.standIn.oauth.requireIssuedTokens(false)
        await client.close()
      }
    })

    it("logout removes the bundle; status then reports no credential", async () => {
      await writeIssuedBundle()
      const out = await cli(["logout", "--config", f.config], { HOME: f.dir })
      expect(out.code).toBe(0)
      expect(out.stdout).toContain("Removed the OAuth bundle")
      await expect(fs.access(bundleFile())).rejects.toBeDefined()
      const again = await cli(["logout", "--config", f.config], { HOME: f.dir })
      expect(again.stdout).toContain("nothing to do")
      const status = await cli(["status", "--config", f.config], { HOME: f.dir })
      expect(status.code).toBe(1)
      expect(status.stdout).toContain("No usable credential")
    })
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
})
