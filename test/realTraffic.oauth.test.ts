/**
 * Replays the recorded token-endpoint answers and Claude Code credential files (../shared/real-traffic, read in place;
 * a credential file is copied only into a temporary HOME for the run, since the refresher writes it back). Skipped
 * as a whole where the recordings are absent.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Result from "effect/Result"
import * as TestClock from "effect/testing/TestClock"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as AnthropicConfig from "../src/AnthropicConfig.js"
import * as Credentials from "../src/Credentials.js"
import * as StandIn from "../src/testing/StandIn.js"
import { hello, stack } from "./fixtures.js"
import { failureOf, runClocked, tempDir, writeFile } from "./helpers.js"

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../shared/real-traffic")
const present = fs.existsSync(path.join(ROOT, "oauth", "manifest.json")) && fs.existsSync(path.join(ROOT, "cli", "manifest.json"))

interface Recorded {
  readonly name: string
  readonly file: string
  readonly status?: number
  readonly expect?: string
}

const manifestOf = (folder: string): ReadonlyArray<Recorded> =>
  present ? JSON.parse(fs.readFileSync(path.join(ROOT, folder, "manifest.json"), "utf8")) : []
const textOf = (entry: Recorded) => fs.readFileSync(path.join(ROOT, entry.file), "utf8")

const tokenAnswers = manifestOf("oauth")
const cliFiles = manifestOf("cli")

/** The recorded body, as the token endpoint sent it. */
const replay = (entry: Recorded): StandIn.Reply => ({
  type: "raw",
  status: entry.status ?? 200,
  headers: { "content-type": "application/json" },
  body: textOf(entry)
})

/** A bundle client whose token is due, against the stand-in whose token endpoint answers the recording. */
const refreshWith = (entry: Recorded, retries = 0) =>
  Effect.gen(function*() {
    const dir = yield* tempDir
    const standIn = yield* StandIn.scoped()
    const bundle = path.join(dir, "b.json")
    const old = standIn.oauth.issue()
    // Expired, so a failed refresh is the call's failure (a token still valid would be used instead).
    yield* writeFile(bundle, JSON.stringify({ ...old, expires_at: new Date(0).toISOString() }))
    standIn.oauth.enqueueToken(replay(entry))
    const { client } = yield* stack({
      base_url: standIn.url,
      retry: { max_retries: retries },
      auth: { mode: "oauth_bundle", bundle, token_url: standIn.oauth.tokenUrl }
    })
    const { exit } = yield* runClocked(client.createMessage(hello))
    return { bundle, exit, old, standIn }
  })

describe.skipIf(!present)("real traffic: the token endpoint's recorded answers", () => {
  for (const entry of tokenAnswers.filter((e) => e.status === 200)) {
    it.effect(`${entry.name}: the refresh succeeds and the answer's tokens are saved`, () =>
      Effect.gen(function*() {
        const recorded = JSON.parse(textOf(entry))
        const { bundle, exit, old, standIn } = yield* refreshWith(entry)
        expect(Exit.isSuccess(exit)).toBe(true)
        const saved = JSON.parse(fs.readFileSync(bundle, "utf8"))
        expect(saved.access_token).toBe(recorded.access_token)
        // A rotating answer replaces the refresh token; one without a refresh token keeps the old.
        expect(saved.refresh_token).toBe(recorded.refresh_token ?? old.refresh_token)
        expect(Date.parse(saved.expires_at)).toBe(recorded.expires_in * 1000)
        expect(standIn.requests[0]!.headers["authorization"]).toBe(`Bearer ${recorded.access_token}`)
      }))
  }

  it.effect("refresh-400-invalid_grant: LoginRequired, the file untouched", () =>
    Effect.gen(function*() {
      const entry = tokenAnswers.find((e) => e.name === "refresh-400-invalid_grant")!
      const { bundle, exit } = yield* refreshWith(entry)
      const before = fs.readFileSync(bundle, "utf8")
      const error = failureOf(exit)
      expect(error._tag).toBe("LoginRequired")
      expect(error.message).toContain("Refresh token not found or invalid")
      expect(fs.readFileSync(bundle, "utf8")).toBe(before)
    }))

  it.effect("refresh-400-invalid_scope: RefreshFailed with the endpoint's words (a new login would not help)", () =>
    Effect.gen(function*() {
      const entry = tokenAnswers.find((e) => e.name === "refresh-400-invalid_scope")!
      const error = failureOf((yield* refreshWith(entry)).exit)
      expect(error._tag).toBe("RefreshFailed")
      expect(error.message).toContain("invalid_scope")
      expect(error.message).toContain("The requested scope is invalid")
    }))

  it.effect("refresh-429-rate_limit_error: retried, then the refresh goes through", () =>
    Effect.gen(function*() {
      const entry = tokenAnswers.find((e) => e.name === "refresh-429-rate_limit_error")!
      const { exit, standIn } = yield* refreshWith(entry, 1)
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(standIn.oauth.tokenRequests.length).toBe(2)
    }))
})

/**
 * The settings of a client in `mode` whose HOME holds the recorded CLI file (and no bundle or setup token), and
 * the stack over them.
 */
const cliClient = (entry: Recorded, mode: "auto" | "cli_credentials") =>
  Effect.gen(function*() {
    const home = yield* tempDir
    const standIn = yield* StandIn.scoped()
    yield* writeFile(path.join(home, ".claude", ".credentials.json"), textOf(entry))
    const anthropic = {
      base_url: standIn.url,
      retry: { max_retries: 0 },
      auth: {
        mode,
        token_url: standIn.oauth.tokenUrl,
        bundle: path.join(home, "none.json"),
        setup_token_file: path.join(home, "none")
      }
    }
    const settings = AnthropicConfig.fromObject({ providers: { anthropic } }, { env: { HOME: home } })
    if (Result.isFailure(settings)) throw settings.failure
    return { settings: settings.success, standIn, stack: stack(anthropic, { HOME: home }) }
  })

describe.skipIf(!present)("real traffic: Claude Code credential files", () => {
  for (const entry of cliFiles.filter((e) => e.expect?.startsWith("usable") === true)) {
    it.effect(`${entry.name}: auto uses it and calls go out with its access token (${entry.expect})`, () =>
      Effect.gen(function*() {
        const recorded = JSON.parse(textOf(entry)).claudeAiOauth
        const cli = yield* cliClient(entry, "auto")
        const { standIn } = cli
        const { client, credentials } = yield* cli.stack
        expect(credentials.kind).toBe("cli_credentials")
        yield* client.createMessage(hello)
        expect(standIn.requests[0]!.headers["authorization"]).toBe(`Bearer ${recorded.accessToken}`)
        expect(standIn.oauth.tokenRequests.length).toBe(0)
      }))
  }

  it.effect("expired-empty-refresh: found, but the first call says a new login is needed", () =>
    Effect.gen(function*() {
      const entry = cliFiles.find((e) => e.name === "expired-empty-refresh")!
      const cli = yield* cliClient(entry, "auto")
      const { standIn } = cli
      const { client, credentials } = yield* cli.stack
      expect(credentials.kind).toBe("cli_credentials")
      // TestClock starts at the epoch; expiresAt 1 is past a second later.
      yield* TestClock.adjust(1000)
      const error = yield* Effect.flip(client.createMessage(hello))
      expect(error._tag).toBe("LoginRequired")
      expect(error.message).toContain("no refresh token")
      expect(standIn.requests.length).toBe(0)
    }))

  it.effect("mcp-only: auto skips it (and says why); pinned cli_credentials refuses it", () =>
    Effect.gen(function*() {
      const entry = cliFiles.find((e) => e.name === "mcp-only")!
      const auto = yield* cliClient(entry, "auto")
      const skipped = yield* Effect.flip(Credentials.resolve(auto.settings))
      expect(skipped._tag).toBe("NoCredentials")
      if (skipped._tag === "NoCredentials") {
        expect(skipped.tried.find((t) => t.source === "cli_credentials")?.reason).toContain("claudeAiOauth")
      }
      const pinned = yield* cliClient(entry, "cli_credentials")
      const refused = yield* Effect.flip(Credentials.resolve(pinned.settings))
      expect(refused._tag).toBe("AnthropicConfigError")
    }))
})
