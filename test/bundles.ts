/** OAuth bundle clients for the refresher's tests: a bundle file, the stack over it, and what its runs log. */
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import { writeFileSync } from "node:fs"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { type FileSystem, SecretFileSystem } from "../src/internal/credentials/secretFileSystem.js"
import * as StandIn from "../src/testing/StandIn.js"
import { stack } from "./fixtures.js"
import { realPause, sleeps, tempDir, writeFile } from "./helpers.js"

export const HOUR = 3_600_000

export const readJson = (file: string) => Effect.promise(async () => JSON.parse(await fs.readFile(file, "utf8")))

/** A bundle as `login` writes it, its token expiring at `expiresAtMs` (TestClock time). */
export const writeBundle = (file: string, pair: { access_token: string; refresh_token: string }, expiresAtMs: number) =>
  writeFile(
    file,
    JSON.stringify({ access_token: pair.access_token, refresh_token: pair.refresh_token, expires_at: new Date(expiresAtMs).toISOString() })
  )

/**
 * Wait (in real time, at most `timeoutMs`) until some fiber sleeps on the TestClock until `at`: a background fiber
 * has reached its sleep, so moving the clock now wakes it (moved earlier, the sleep would start from the new time).
 */
export const untilSleepingUntil = (at: number, timeoutMs = 10_000): Effect.Effect<void> =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMs
    while (!(yield* sleeps).includes(at)) {
      if (Date.now() > deadline) {
        return yield* Effect.die(new Error(`no fiber slept until ${at} within ${timeoutMs} ms: ${yield* sleeps}`))
      }
      yield* realPause(2)
    }
  })

/** Log lines written while `effect` runs. */
export const capturingLogs = <A, E, R>(effect: Effect.Effect<A, E, R>, lines: Array<string>) =>
  Effect.provideService(
    effect,
    Logger.CurrentLoggers,
    new Set([Logger.make(({ message }) => lines.push(Array.isArray(message) ? message.map(String).join(" ") : String(message)))])
  )

/**
 * A bundle-backed client against the stand-in; the bundle's token expires at `expiresAtMs`. Optionally over a file
 * system with faults, and with its log lines (the background fiber's included) collected.
 */
export const bundleSetup = (
  expiresAtMs: number,
  extra: Record<string, unknown> = {},
  fileSystem?: FileSystem,
  logs?: Array<string>
) =>
  Effect.gen(function*() {
    const dir = yield* tempDir
    const standIn = yield* StandIn.scoped()
    const bundle = path.join(dir, "secrets", "anthropic_oauth.json")
    const pair = standIn.oauth.issue()
    yield* writeBundle(bundle, pair, expiresAtMs)
    const built = stack({
      base_url: standIn.url,
      auth: { mode: "oauth_bundle", bundle, token_url: standIn.oauth.tokenUrl },
      ...extra
    })
    const withFs = fileSystem === undefined ? built : Effect.provideService(built, SecretFileSystem, fileSystem)
    // The background fiber is forked while the stack is built: it logs with the loggers of that moment.
    const { client, credentials } = yield* (logs === undefined ? withFs : capturingLogs(withFs, logs))
    return { dir, standIn, bundle, pair, client, credentials }
  })

/**
 * A token endpoint answer for a refresh that lost a race: while the request is in flight another writer rotates the
 * token and saves `theirs`, so the endpoint refuses ours (`invalid_grant`).
 */
export const refusedWhileAnotherWriterSaves = (
  bundle: string,
  theirs: { access_token: string; refresh_token: string },
  expiresAtMs: number
): StandIn.Reply => ({
  type: "dynamic",
  reply: () => {
    writeFileSync(
      bundle,
      JSON.stringify({ access_token: theirs.access_token, refresh_token: theirs.refresh_token, expires_at: new Date(expiresAtMs).toISOString() })
    )
    return { type: "json", status: 400, body: { error: "invalid_grant", error_description: "Refresh token already used" } }
  }
})
