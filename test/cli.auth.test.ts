import { describe, expect, it } from "vitest"
import { spawn } from "node:child_process"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { createClient } from "../src/index.js"
import { cli, fixture } from "./cliHelpers.js"

describe("effect-anthropic CLI: credentials", () => {
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
      // Woken by the wizard's own output, not by polling.
      const waiting = new Promise<void>((resolve) => {
        const read = (d: Buffer) => {
          out += d
          if (/Waiting for/.test(out)) resolve()
        }
        child.stdout.on("data", read)
        child.stderr.on("data", read)
      })
      const exited = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? 1)))
      await waiting
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
})
