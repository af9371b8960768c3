import { describe, expect, it } from "vitest"
import { execFile } from "node:child_process"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import * as StandIn from "../src/testing/StandIn.js"

const worker = (env: Record<string, string>) =>
  new Promise<{ ok: number; failures: Array<string> }>((resolve, reject) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "test/workers/refresh-worker.ts"],
      { env: { PATH: process.env.PATH ?? "", ...env }, timeout: 60_000 },
      (error, stdout, stderr) => error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout))
    )
  })

describe("two OS processes sharing one bundle", () => {
  it("go through an expiry with exactly one refresh POST, and both keep working", async () => {
    const standIn = await StandIn.start()
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "ea-mp-"))
    try {
      standIn.oauth.requireIssuedTokens(true)
      const pair = standIn.oauth.issue(120)
      const bundle = path.join(dir, "anthropic_oauth.json")
      // Due for refresh (60 s before expiry) about 2.5 s from now, while both workers are running.
      await fs.writeFile(
        bundle,
        JSON.stringify({
          access_token: pair.access_token,
          refresh_token: pair.refresh_token,
          expires_at: new Date(Date.now() + 62_500).toISOString()
        }),
        { mode: 0o600 }
      )
      const env = { STANDIN_URL: standIn.url, BUNDLE: bundle, DURATION_MS: "4500", INTERVAL_MS: "100" }
      const [a, b] = await Promise.all([worker(env), worker(env)])
      expect(a.failures).toEqual([])
      expect(b.failures).toEqual([])
      expect(a.ok).toBeGreaterThan(8)
      expect(b.ok).toBeGreaterThan(8)
      expect(standIn.oauth.tokenRequests.length).toBe(1)
      expect(standIn.oauth.refreshes()).toBe(1)
      const saved = JSON.parse(await fs.readFile(bundle, "utf8"))
      expect(saved.refresh_token).not.toBe(pair.refresh_token)
      expect((await fs.stat(bundle)).mode & 0o777).toBe(0o600)
      // After the refresh both processes sent the new token.
      const last = standIn.requests.slice(-4).map((r) => r.headers["authorization"])
      expect(new Set(last)).toEqual(new Set([`Bearer ${saved.access_token}`]))
    } finally {
      await standIn.close()
      await fs.rm(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
