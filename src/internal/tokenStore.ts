/**
 * Where an OAuth token lives on disk, and how to put a rotated one back: the bundle (whole file rewritten) or the
 * Claude Code CLI's credentials (only `claudeAiOauth`'s token fields change; every other key is kept). Both are
 * written atomically with mode 0600, under a cross-process lock (`proper-lockfile`, as the CLI itself uses).
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as fs from "node:fs/promises"
import * as lockfile from "proper-lockfile"
import type { ConfigError } from "../Errors.js"
import { RefreshFailed } from "../Errors.js"
import { writeFileAtomic } from "./atomicFile.js"
import { type FileRead, type OAuthToken, readBundle, readCliCredentials } from "./credentialFiles.js"

export interface TokenStore {
  readonly kind: "oauth_bundle" | "cli_credentials"
  readonly location: string
  readonly read: Effect.Effect<FileRead<OAuthToken>, ConfigError>
  readonly write: (token: OAuthToken) => Effect.Effect<void, RefreshFailed>
  /** Run `effect` holding the file's cross-process lock. */
  readonly withLock: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | RefreshFailed, R>
}

/** The bundle file's JSON for a token. */
export const bundleJson = (token: OAuthToken): string =>
  JSON.stringify(
    {
      access_token: Redacted.value(token.accessToken),
      refresh_token: Option.match(token.refreshToken, { onNone: () => "", onSome: Redacted.value }),
      expires_at: new Date(Option.getOrElse(token.expiresAt, () => 0)).toISOString()
    },
    null,
    2
  ) + "\n"

const readJsonObject = async (file: string): Promise<Record<string, unknown>> => {
  const parsed = JSON.parse(await fs.readFile(file, "utf8")) as unknown
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not a JSON object")
  return parsed as Record<string, unknown>
}

const lockOptions: lockfile.LockOptions = {
  realpath: false,
  // A holder that died leaves a lock older than this, which the next taker may break.
  stale: 10_000,
  retries: { retries: 60, factor: 1.2, minTimeout: 20, maxTimeout: 250 },
  // Losing a lock we hold is reported by the next write, not by crashing the process.
  onCompromised: () => {}
}

const makeStore = (
  kind: TokenStore["kind"],
  location: string,
  read: Effect.Effect<FileRead<OAuthToken>, ConfigError>,
  render: (token: OAuthToken) => Promise<string>
): TokenStore => {
  const failed = (what: string) => (cause: unknown) =>
    new RefreshFailed({
      credential: kind,
      location,
      detail: `${what}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message ?? String(cause)}`
    })
  return {
    kind,
    location,
    read,
    write: (token) =>
      Effect.tryPromise({
        try: async () => writeFileAtomic(location, await render(token)),
        catch: failed("could not save the rotated token")
      }),
    withLock: (effect) =>
      Effect.acquireUseRelease(
        Effect.tryPromise({ try: () => lockfile.lock(location, lockOptions), catch: failed("could not lock the file") }),
        () => effect,
        (release) => Effect.promise(() => release().catch(() => undefined))
      )
  }
}

/** The OAuth bundle `{access_token, refresh_token, expires_at}`; other keys already in the file are kept. */
export const bundleStore = (file: string): TokenStore =>
  makeStore("oauth_bundle", file, readBundle(file), async (token) => {
    const existing = await readJsonObject(file).catch(() => ({}))
    return JSON.stringify({ ...existing, ...JSON.parse(bundleJson(token)) }, null, 2) + "\n"
  })

/** The Claude Code CLI's `.credentials.json`: only the token fields of `claudeAiOauth` change. */
export const cliStore = (file: string): TokenStore =>
  makeStore("cli_credentials", file, readCliCredentials(file), async (token) => {
    // Never rewrite a file we cannot parse: it holds keys that are not ours.
    const existing = await readJsonObject(file)
    const oauth = (existing.claudeAiOauth ?? {}) as Record<string, unknown>
    const updated = {
      ...existing,
      claudeAiOauth: {
        ...oauth,
        accessToken: Redacted.value(token.accessToken),
        ...Option.match(token.refreshToken, { onNone: () => ({}), onSome: (r) => ({ refreshToken: Redacted.value(r) }) }),
        ...Option.match(token.expiresAt, { onNone: () => ({}), onSome: (expiresAt) => ({ expiresAt }) })
      }
    }
    return JSON.stringify(updated)
  })
