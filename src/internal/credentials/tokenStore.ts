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
import type * as Lockfile from "proper-lockfile"
import type { AnthropicConfigError } from "../errors.js"
import { RefreshFailed } from "../errors.js"
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
  /**
   * Save a rotated token over the file. A file that is gone (a logout) is not brought back: that fails, and the
   * token stays in memory.
   */
  readonly write: (token: OAuthToken) => Effect.Effect<void, RefreshFailed>
  /** Write the file whether or not it exists (a login). */
  readonly create: (token: OAuthToken) => Effect.Effect<void, RefreshFailed>
  /** Remove the file (the target, and the link that named it); false when there was none (a logout). */
  readonly remove: Effect.Effect<boolean, RefreshFailed>
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
      // A token without one (a login answered without it) has no `refresh_token` key at all.
      ...Option.match(token.refreshToken, { onNone: () => ({}), onSome: (r) => ({ refresh_token: Redacted.value(r) }) }),
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

/**
 * A holder that died leaves a lock older than this, which the next taker may break (a live holder keeps it fresh):
 * a taker that waits this long beyond the longest a live holder can keep it is sure to get it.
 */
export const LOCK_STALE_MS = 10_000

const lockOptions: Lockfile.LockOptions = {
  realpath: false,
  stale: LOCK_STALE_MS,
  // Losing a lock we hold is reported by the next write, not by crashing the process.
  onCompromised: () => {}
}

/** How often a taker looks again while another holds the lock. */
const LOCK_POLL_MS = 100

/**
 * Errors that say no lock can be taken here, where waiting cannot help: a read-only or foreign directory, and a
 * full disk or quota (a lock is a directory, which costs a block; the refresh goes ahead and keeps its token in
 * memory, as when the save fails).
 */
const LOCK_UNAVAILABLE: ReadonlySet<string | undefined> = new Set(["EROFS", "EACCES", "EPERM", "ENOSPC", "EDQUOT"])

const codeOf = (cause: unknown): string | undefined => (cause as NodeJS.ErrnoException | undefined)?.code

/**
 * `proper-lockfile`, loaded by the first lock: a CommonJS package on Node's own modules that only file credentials
 * need, kept out of the import graph of programs (a Worker's bundle among them) that never lock a file. Named by a
 * variable so that bundlers leave it to run time.
 */
const PROPER_LOCKFILE = "proper-lockfile"
let lockfileModule: Promise<typeof Lockfile> | undefined
const loadLockfile = (): Promise<typeof Lockfile> =>
  lockfileModule ??= import(PROPER_LOCKFILE).then((m: typeof Lockfile & { readonly default?: typeof Lockfile }) => m.default ?? m)

/**
 * Take the lock: one quick try, then, only while another holds it, a try every {@link LOCK_POLL_MS} (in real time,
 * as the other holder works) until `waitMs` have passed, with `onWait` told once that waiting begins. The waiting
 * stops as soon as `abandoned()` says nobody wants the lock any more: the wait can be long (a refresh's whole
 * bounds), and a pending retry must not keep the process alive. The directory is made first: `login` may be
 * writing the first file in it.
 */
const lock = async (
  fs: FileSystem,
  file: string,
  waitMs: number,
  onWait: () => void,
  abandoned: () => boolean
): Promise<() => Promise<void>> => {
  await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: 0o700 })
  const lockfile = await loadLockfile()
  const deadline = Date.now() + waitMs
  for (let attempt = 0;; attempt++) {
    try {
      return await lockfile.lock(file, { ...lockOptions, fs, retries: 0 })
    } catch (cause) {
      if (codeOf(cause) !== "ELOCKED" || abandoned() || Date.now() >= deadline) throw cause
      if (attempt === 0) onWait()
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS))
      if (abandoned()) throw cause
    }
  }
}

/** {@link lock} as an Effect that can be interrupted while it waits; a lock taken after that is released. */
const acquireLock = (fs: FileSystem, file: string, waitMs: number, onWait: () => void) =>
  Effect.callback<() => Promise<void>, unknown>((resume) => {
    let abandoned = false
    lock(fs, file, waitMs, onWait, () => abandoned).then(
      (release) => abandoned ? void release().catch(() => undefined) : resume(Effect.succeed(release)),
      (cause: unknown) => abandoned ? undefined : resume(Effect.fail(cause))
    )
    return Effect.sync(() => {
      abandoned = true
    })
  })

/**
 * How a store waits for the lock: as long as another process may hold it for a refresh of its own, not a fixed few
 * seconds; `onWait` is told when the lock is found held and the wait begins (to say so to a person).
 */
export interface StoreOptions {
  readonly lockWaitMs?: number | undefined
  readonly onWait?: (() => void) | undefined
}

const DEFAULT_LOCK_WAIT_MS = 60_000

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
  render: (fs: FileSystem, target: string, token: OAuthToken) => Promise<string>,
  options: StoreOptions
): Effect.Effect<TokenStore> =>
  Effect.gen(function*() {
    const lockWaitMs = options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS
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
          try: async () => {
            // A file removed since it was read (a logout) stays removed.
            await fs.promises.access(target)
            await writeFileAtomic(target, await render(fs, target, token), fs)
          },
          catch: (cause) =>
            codeOf(cause) === "ENOENT"
              ? failed("the file was removed (a logout?), so the rotated token is not written back")(cause)
              : failed("could not save the rotated token")(cause)
        }),
      create: (token) =>
        Effect.tryPromise({
          try: async () => writeFileAtomic(target, await render(fs, target, token), fs),
          catch: failed("could not write the file")
        }),
      remove: Effect.tryPromise({
        try: async () => {
          const removed = await fs.promises.rm(target).then(() => true, (cause: unknown) => {
            if (codeOf(cause) === "ENOENT") return false
            throw cause
          })
          // The link that named the target goes too: a logout leaves no path to a token behind.
          if (target !== location) await fs.promises.rm(location, { force: true })
          return removed
        },
        catch: failed("could not remove the file")
      }),
      withLock: <A, E, R>(effect: Effect.Effect<A, E, R>) =>
        Effect.acquireUseRelease(
          // Interruptible while it waits (closing the client must not wait for another process's lock); a lock
          // that arrives after the wait was given up is released at once.
          Effect.interruptible(acquireLock(fs, target, lockWaitMs, options.onWait ?? (() => {}))).pipe(
            Effect.catch((cause) =>
              LOCK_UNAVAILABLE.has(codeOf(cause))
                ? Effect.as(
                  Effect.logWarning(
                    `${location} cannot be locked (${codeOf(cause)}: a read-only, foreign or full directory); ` +
                      "going on without the cross-process lock"
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
export const bundleStore = (file: string, options: StoreOptions = {}): Effect.Effect<TokenStore> =>
  makeStore("oauth_bundle", file, readBundle(file), async (fs, target, token) => {
    // Other keys already in the file are kept; the token fields are all replaced (a missing refresh token too).
    const { access_token: _access, expires_at: _expires, refresh_token: _refresh, ...others } = await readJsonObject(
      fs,
      target
    ).catch(() => ({} as Record<string, unknown>))
    return JSON.stringify({ ...others, ...JSON.parse(bundleJson(token)) }, null, 2) + "\n"
  }, options)

/** The Claude Code CLI's `.credentials.json`: only the token fields of `claudeAiOauth` change. */
export const cliStore = (file: string, options: StoreOptions = {}): Effect.Effect<TokenStore> =>
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
  }, options)
