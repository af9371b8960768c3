import { describe, expect, it } from "vitest"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import * as StandIn from "../src/testing/StandIn.js"
import { bundledForFile, startWorker } from "./nodeScript.js"

const refreshWorker = bundledForFile("test/workers/refresh-worker.ts")

/** A refresh worker, loaded and waiting for the time to stop at (see test/workers/refresh-worker.ts). */
const worker = (env: Record<string, string>) =>
  startWorker<{ ok: number; failures: Array<string> }>(refreshWorker.file(), env)

describe("two OS processes sharing one bundle", () => {
  it("go through an expiry with exactly one refresh POST, and both keep working", async () => {
    const standIn = await StandIn.start()
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "ea-mp-"))
    const bundle = path.join(dir, "anthropic_oauth.json")
    const workers = [0, 1].map(() => worker({ STANDIN_URL: standIn.url, BUNDLE: bundle, INTERVAL_MS: "100", MIN_CALLS: "10" }))
    try {
      standIn.oauth.requireIssuedTokens(true)
      // Both loaded (however long that takes on this machine) before the bundle exists.
      await Promise.all(workers.map((w) => w.ready))
      const pair = standIn.oauth.issue(120)
      // Due for refresh (60 s before expiry) 1 s from now, while both workers are running; they stop 1.5 s later.
      const dueAt = Date.now() + 1_000
      await fs.writeFile(
        bundle,
        JSON.stringify({
          access_token: pair.access_token,
          refresh_token: pair.refresh_token,
          expires_at: new Date(dueAt + 60_000).toISOString()
        }),
        { mode: 0o600 }
      )
      for (const w of workers) w.start(dueAt + 1_500)
      const [a, b] = await Promise.all(workers.map((w) => w.done))
      expect(a!.failures).toEqual([])
      expect(b!.failures).toEqual([])
      expect(a!.ok).toBeGreaterThan(8)
      expect(b!.ok).toBeGreaterThan(8)
      expect(standIn.oauth.tokenRequests.length).toBe(1)
      expect(standIn.oauth.refreshes()).toBe(1)
      const saved = JSON.parse(await fs.readFile(bundle, "utf8"))
      expect(saved.refresh_token).not.toBe(pair.refresh_token)
      expect((await fs.stat(bundle)).mode & 0o777).toBe(0o600)
      // After the refresh both processes sent the new token.
      const last = standIn.requests.slice(-4).map((r) => r.headers["authorization"])
      expect(new Set(last)).toEqual(new Set([`Bearer ${saved.access_token}`]))
    } finally {
      for (const w of workers) w.child.kill()
      await standIn.close()
      await fs.rm(dir, { recursive: true, force: true })
    }
  }, 120_000)
})
