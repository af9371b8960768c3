import { describe, expect, it } from "vitest"
import { execFile } from "node:child_process"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"

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
})
