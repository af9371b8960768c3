/**
 * The credential commands (login, status, logout): their bodies in-process (as main.ts runs them, see `inProcess`),
 * and one run of each in its own process, through `src/cli/main.ts`, for the wiring (stdin, exit codes).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import { spawn } from "node:child_process"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import * as AnthropicConfig from "../src/AnthropicConfig.js"
import * as Auth from "../src/cli/auth.js"
import { createClient } from "../src/index.js"
import * as UndiciHttpClient from "../src/UndiciHttpClient.js"
import { CLI_PROCESS_TIMEOUT_MS, CLI_TEST_TIMEOUT_MS, cli, cliEntry, fixture, inProcess } from "./cliHelpers.js"
import { lineLog } from "./helpers.js"

/** Every authorize URL the wizard printed. */
const authorizeUrlsIn = (out: string) => out.match(/http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+/g) ?? []

/** The URL for signing in without a browser: the authorize URL the wizard prints whose redirect is the hosted page. */
const manualUrlIn = (out: string) =>
  authorizeUrlsIn(out).find((url) =>
    !new URL(url).searchParams.get("redirect_uri")!.startsWith("http://localhost")
  )!

/** What the stand-in's hosted page shows after signing in at `url`: the `code#state` to paste. */
const codeShownAt = async (url: string) => (await fetch(url)).text()

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

    /** The settings the commands load from the fixture's config, with HOME in the fixture's dir. */
    const settings = (env: Record<string, string> = {}) => AnthropicConfig.load({ configPath: f.config, env: { HOME: f.dir, ...env } })

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

    it("login --no-browser takes a code pasted on stdin and writes the bundle (its own process)", async () => {
      await fs.rm(bundleFile(), { force: true })
      const child = spawn(process.execPath, [await cliEntry(), "login", "--no-browser", "--config", f.config], {
        env: { PATH: process.env.PATH ?? "", HOME: f.dir },
        timeout: CLI_PROCESS_TIMEOUT_MS
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
      child.stdin.write(`${await codeShownAt(manualUrlIn(out))}\n`)
      expect(await exited).toBe(0)
      expect(out).toContain("Authorized (pasted code)")
      const bundle = JSON.parse(await fs.readFile(bundleFile(), "utf8"))
      expect(bundle.access_token).toMatch(/^sk-ant-oat01-/)
      expect(out).not.toContain(bundle.access_token)
    }, CLI_TEST_TIMEOUT_MS)

    it("login --no-browser with stdin closed ends at once with one clear error (its own process)", async () => {
      const child = spawn(process.execPath, [await cliEntry(), "login", "--no-browser", "--config", f.config], {
        env: { PATH: process.env.PATH ?? "", HOME: f.dir },
        timeout: CLI_PROCESS_TIMEOUT_MS
      })
      let stdout = ""
      let stderr = ""
      child.stdout.on("data", (d: Buffer) => (stdout += d))
      child.stderr.on("data", (d: Buffer) => (stderr += d))
      child.stdin.end()
      const started = Date.now()
      expect(await new Promise<number | null>((resolve) => child.on("exit", resolve))).toBe(1)
      expect(Date.now() - started).toBeLessThan(CLI_PROCESS_TIMEOUT_MS / 2)
      expect(authorizeUrlsIn(stdout)).toHaveLength(1)
      expect(stderr).toContain("LoginFailed: Login failed: stdin ended before a code was pasted")
    }, CLI_TEST_TIMEOUT_MS)

    it.live("login --no-browser: one URL, the hosted page's; no local listener; stdin's end before a code is LoginFailed", () =>
      Effect.gen(function*() {
        const { code, stderr, stdout } = yield* inProcess(() =>
          Effect.flatMap(settings(), (settings) =>
            Auth.login({ settings, openBrowser: false, pasteOnly: true, pasted: Stream.make("not a code") })).pipe(
              Effect.provide(UndiciHttpClient.layer),
              Effect.timeoutOrElse({
                duration: "10 seconds",
                orElse: () => Effect.fail(new Error("the login did not end with stdin"))
              })
            )
        )
        expect(code).toBe(1)
        const urls = authorizeUrlsIn(stdout)
        expect(urls).toHaveLength(1)
        expect(new URL(urls[0]!).searchParams.get("redirect_uri")).toBe("https://platform.claude.com/oauth/code/callback")
        expect(stdout).not.toContain("localhost")
        expect(stdout).toContain("Refused: paste the whole value shown after signing in, in the form code#state.")
        expect(stderr).toBe(
          "LoginFailed: Login failed: stdin ended before a code was pasted; run the login in a terminal and paste the " +
            "code#state shown after signing in\n"
        )
      }))

    it.live("login --no-browser signs in with the pasted code while listening on no port; without it, one listener", () =>
      Effect.gen(function*() {
        yield* Effect.promise(() => fs.rm(bundleFile(), { force: true }))
        const listeners = () => process.getActiveResourcesInfo().filter((kind) => kind === "TCPServerWrap").length
        const before = listeners()
        const run = (pasteOnly: boolean) =>
          Effect.gen(function*() {
            const log = lineLog()
            const paste = yield* Queue.unbounded<string>()
            const login = yield* Effect.forkChild(
              Effect.flatMap(settings(), (settings) =>
                Auth.login({
                  settings,
                  openBrowser: false,
                  pasteOnly,
                  pasted: Stream.fromQueue(paste),
                  print: (line) => Effect.sync(() => log.push(line))
                })).pipe(Effect.provide(UndiciHttpClient.layer), Effect.scoped)
            )
            yield* log.until((lines) => lines.some((line) => line.startsWith("Waiting for")))
            const listening = listeners() - before
            yield* Queue.offer(paste, yield* Effect.promise(() => codeShownAt(manualUrlIn(log.lines.join("\n")))))
            yield* Fiber.join(login)
            return { listening, urls: authorizeUrlsIn(log.lines.join("\n")).length }
          })
        expect(yield* run(true)).toEqual({ listening: 0, urls: 1 })
        expect(f.standIn.oauth.tokenRequests.at(-1)!.body.redirect_uri).toBe("https://platform.claude.com/oauth/code/callback")
        expect(yield* run(false)).toEqual({ listening: 1, urls: 2 })
      }))

    it.live("the bundle written by login works for a call", () =>
      Effect.gen(function*() {
        yield* Effect.promise(() => fs.rm(bundleFile(), { force: true }))
        const log = lineLog()
        const paste = yield* Queue.unbounded<string>()
        const login = yield* Effect.forkChild(
          Effect.flatMap(settings(), (settings) =>
            Auth.login({
              settings,
              openBrowser: false,
              pasted: Stream.fromQueue(paste),
              print: (line) => Effect.sync(() => log.push(line))
            })).pipe(
              Effect.provide(UndiciHttpClient.layer)
            )
        )
        yield* log.until((lines) => lines.some((line) => line.startsWith("Waiting for")))
        yield* Queue.offer(paste, yield* Effect.promise(() => codeShownAt(manualUrlIn(log.lines.join("\n")))))
        const { bundle } = yield* Fiber.join(login)
        expect(bundle).toBe(bundleFile())
        expect(log.lines.join("\n")).toContain("Authorized (pasted code)")

        const client = yield* Effect.promise(() => createClient({ configPath: f.config, env: { HOME: f.dir } }))
        yield* Effect.promise(async () => {
          try {
            f.standIn.oauth.requireIssuedTokens(true)
            const msg = await client.messages.create({ model: "claude-haiku-4-5", max_tokens: 8, messages: [{ role: "user", content: "hi" }] })
            expect(msg.type).toBe("message")
            expect(client.credential.kind).toBe("oauth_bundle")
          } finally {
            f.standIn.oauth.requireIssuedTokens(false)
            await client.close()
          }
        })
      }))

    it.live("status names the credential in use, why the others are skipped, and the expiry, with no secret", () =>
      Effect.gen(function*() {
        const pair = yield* Effect.promise(() => writeIssuedBundle())
        const { code, stdout, value } = yield* inProcess(() =>
          Effect.flatMap(settings({ ANTHROPIC_API_KEY: "sk-ant-api03-unused" }), (settings) => Auth.status(settings))
        )
        expect(code).toBe(0)
        expect(value).toEqual(Option.some(true))
        expect(stdout).toContain("✓ oauth_bundle")
        expect(stdout).toContain("no Claude Code CLI credentials file")
        expect(stdout).toContain("In use: oauth_bundle")
        expect(stdout).toMatch(/access token expires \S+ \(in 60 min\)/)
        expect(stdout).toMatch(/fingerprint: [0-9a-f]{8}/)
        expect(stdout).not.toContain(pair.access_token)
        expect(stdout).not.toContain(pair.refresh_token)
      }))

    it("status refuses a bundle whose expires_at is past any date, naming the file and the field (its own process)", async () => {
      await writeIssuedBundle(1e300)
      const { code, stderr, stdout } = await cli(["status", "--config", f.config], { HOME: f.dir })
      expect(code).toBe(1)
      expect(stderr).toContain(`AnthropicConfigError: ${bundleFile()}: expires_at: must be a date from 1970-01-01 up to 3000-01-01`)
      expect(stderr).toContain("effect-anthropic login")
      expect(`${stdout}${stderr}`).not.toMatch(/RangeError|Invalid time value|1e\+300/)
    }, CLI_TEST_TIMEOUT_MS)

    it("logout removes the bundle (its own process); again, nothing to do; status then reports no credential", async () => {
      await writeIssuedBundle()
      const out = await cli(["logout", "--config", f.config], { HOME: f.dir })
      expect(out.code).toBe(0)
      expect(out.stdout).toContain("Removed the OAuth bundle")
      await expect(fs.access(bundleFile())).rejects.toBeDefined()
      const { again, status } = await Effect.runPromise(Effect.gen(function*() {
        const again = yield* inProcess(() => Effect.flatMap(settings(), Auth.logout))
        const status = yield* inProcess(() => Effect.flatMap(settings(), (settings) => Auth.status(settings)))
        return { again, status }
      }))
      expect(again.code).toBe(0)
      expect(again.stdout).toContain("nothing to do")
      // No usable credential: status says so, and main.ts exits with 1.
      expect(status.value).toEqual(Option.some(false))
      expect(status.stdout).toContain("No usable credential")
    }, CLI_TEST_TIMEOUT_MS)
  })
})
