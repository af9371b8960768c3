/**
 * Where an OAuth token lives on disk, and how to put a rotated one back: the bundle (whole file rewritten) or the
 * Claude Code CLI's credentials (only `claudeAiOauth`'s token fields change; every other key is kept). Both are
 * written atomically with mode 0600, under a cross-process lock (`proper-lockfile`, as the CLI itself uses).
 *
 * A path that is a symlink is resolved once, when the store is made: the lock and the writes go to the target, so a
 * refresh never replaces the link with a regular file and leaves the target holding a dead token.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as path from "node:path"
import * as lockfile from "proper-lockfile"
import type { AnthropicConfigError } from "../Errors.js"
import { RefreshFailed } from "../Errors.js"
import { writeFileAtomic } from "./atomicFile.js"
import { type FileRead, type OAuthToken, readBundle, readCliCredentials } from "./credentialFiles.js"
import { type FileSystem, SecretFileSystem } from "./secretFileSystem.js"

export interface TokenStore {
  readonly kind: "oauth_bundle" | "cli_credentials"
  /** The path as configured: what messages name. */
  readonly location: string
  /** The file actually locked and written: `location` with symlinks resolved. */
  readonly target: string
  readonly read: Effect.Effect<FileRead<OAuthToken>, AnthropicConfigError>
  readonly write: (token: OAuthToken) => Effect.Effect<void, RefreshFailed>
  /**
   * Run `effect` holding the file's cross-process lock. Where no lock can be taken because the directory is
   * read-only or not ours (`EROFS`, `EACCES`, `EPERM`: a Kubernetes secret mount, say), `effect` runs without it,
   * with a warning: nobody else can write there either.
   */
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

const readJsonObject = async (fs: FileSystem, file: string): Promise<Record<string, unknown>> => {
  const parsed = JSON.parse(await fs.promises.readFile(file, "utf8")) as unknown
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

/** Errors that say no lock can ever be taken here: retrying them only wastes seconds. */
const LOCK_IMPOSSIBLE: ReadonlySet<string | undefined> = new Set(["EROFS", "EACCES", "EPERM"])

const codeOf = (cause: unknown): string | undefined => (cause as NodeJS.ErrnoException | undefined)?.code

/**
 * Take the lock: one quick try, and retries (in real time, as the other holder works) only while it is held. The
 * directory is made first: `login` may be writing the first file in it.
 */
const lock = async (fs: FileSystem, file: string): Promise<() => Promise<void>> => {
  await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: 0o700 })
  return lockfile.lock(file, { ...lockOptions, fs, retries: 0 }).catch((cause: unknown) =>
    codeOf(cause) === "ELOCKED" ? lockfile.lock(file, { ...lockOptions, fs }) : Promise.reject(cause)
  )
}

/** Follow symlinks to the file they name, also when it does not exist yet (a link to a file login will write). */
const resolveTarget = async (fs: FileSystem, file: string, hops = 0): Promise<string> => {
  try {
    return await fs.promises.realpath(file)
  } catch {
    try {
      const stat = await fs.promises.lstat(file)
      if (!stat.isSymbolicLink() || hops >= 40) return file
      return resolveTarget(fs, path.resolve(path.dirname(file), await fs.promises.readlink(file)), hops + 1)
    } catch {
      return file
    }
  }
}

const makeStore = (
  kind: TokenStore["kind"],
  location: string,
  read: Effect.Effect<FileRead<OAuthToken>, AnthropicConfigError>,
  render: (fs: FileSystem, target: string, token: OAuthToken) => Promise<string>
): Effect.Effect<TokenStore> =>
  Effect.gen(function*() {
    const fs = yield* SecretFileSystem
    const target = yield* Effect.promise(() => resolveTarget(fs, location))
    const failed = (what: string) => (cause: unknown) =>
      new RefreshFailed({
        credential: kind,
        location,
        detail: `${what}: ${codeOf(cause) ?? (cause as Error).message ?? String(cause)}`
      })
    return {
      kind,
      location,
      target,
      read,
      write: (token) =>
        Effect.tryPromise({
          try: async () => writeFileAtomic(target, await render(fs, target, token), fs),
          catch: failed("could not save the rotated token")
        }),
      withLock: <A, E, R>(effect: Effect.Effect<A, E, R>) =>
        Effect.acquireUseRelease(
          Effect.tryPromise({ try: () => lock(fs, target), catch: (cause) => cause }).pipe(
            Effect.catchAll((cause) =>
              LOCK_IMPOSSIBLE.has(codeOf(cause))
                ? Effect.as(
                  Effect.logWarning(
                    `${location} cannot be locked (${codeOf(cause)}: a read-only or foreign directory); ` +
                      "refreshing without the cross-process lock"
                  ),
                  undefined
                )
                : Effect.fail(failed("could not lock the file")(cause))
            )
          ),
          () => effect,
          (release) => release === undefined ? Effect.void : Effect.promise(() => release().catch(() => undefined))
        )
    }
  })

/** The OAuth bundle `{access_token, refresh_token, expires_at}`; other keys already in the file are kept. */
export const bundleStore = (file: string): Effect.Effect<TokenStore> =>
  makeStore("oauth_bundle", file, readBundle(file), async (fs, target, token) => {
    const existing = await readJsonObject(fs, target).catch(() => ({}))
    return JSON.stringify({ ...existing, ...JSON.parse(bundleJson(token)) }, null, 2) + "\n"
  })

/** The Claude Code CLI's `.credentials.json`: only the token fields of `claudeAiOauth` change. */
export const cliStore = (file: string): Effect.Effect<TokenStore> =>
  makeStore("cli_credentials", file, readCliCredentials(file), async (fs, target, token) => {
    // Never rewrite a file we cannot parse: it holds keys that are not ours.
    const existing = await readJsonObject(fs, target)
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
