/**
 * The refresher against a failing token endpoint, short-lived and absurd tokens, and a file system that is read-only,
 * full or reached through a symlink.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Result from "effect/Result"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/testing/TestClock"
import nodeFs from "node:fs"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import * as lockfile from "proper-lockfile"
import * as Auth from "../src/cli/auth.js"
import * as AnthropicConfig from "../src/AnthropicConfig.js"
import * as Credentials from "../src/Credentials.js"
import type { FileSystem } from "../src/internal/credentials/secretFileSystem.js"
import * as StandIn from "../src/testing/StandIn.js"
import { hello, stack } from "./fixtures.js"
import { bundleSetup, capturingLogs, HOUR, readJson, writeBundle } from "./bundles.js"
import { failureOf, realPause, runClocked, sleeps, tempDir } from "./helpers.js"

const errnoError = (code: string, syscall: string, file: string) =>
  Object.assign(new Error(`${code}: ${syscall} '${file}'`), { code, syscall, path: file })

/** The real `fs` with faults: the lock directory and/or temp files refused with `code`, calls recorded. */
const faultyFs = (options: {
  readonly lock?: string
  readonly create?: string
  readonly write?: string
  readonly calls?: Array<string>
}): FileSystem => {
  const record = (call: string) => options.calls?.push(call)
  const wrapHandle = (handle: fs.FileHandle): fs.FileHandle =>
    new Proxy(handle, {
      get(target, key) {
        const value = Reflect.get(target, key) as unknown
        if (typeof value !== "function") return value
        if (key === "writeFile" || key === "sync" || key === "close") {
          return (...args: Array<unknown>) => {
            record(String(key))
            if (key === "writeFile" && options.write !== undefined) {
              return Promise.reject(errnoError(options.write, "write", "temp"))
            }
            return (value as (...a: Array<unknown>) => unknown).apply(target, args)
          }
        }
        return (value as (...a: Array<unknown>) => unknown).bind(target)
      }
    })
  const promises = {
    ...nodeFs.promises,
    open: async (file: string, flags?: string, mode?: number) => {
      if (flags === "wx") {
        record("open")
        if (options.create !== undefined) throw errnoError(options.create, "open", file)
      }
      return wrapHandle(await nodeFs.promises.open(file, flags, mode))
    },
    rename: (from: string, to: string) => {
      record("rename")
      return nodeFs.promises.rename(from, to)
    }
  }
  const mkdir = (file: string, ...rest: Array<any>) => {
    if (file.endsWith(".lock")) {
      record("lock")
      if (options.lock !== undefined) return rest.at(-1)(errnoError(options.lock, "mkdir", file))
    }
    return (nodeFs.mkdir as any)(file, ...rest)
  }
  return { ...nodeFs, promises, mkdir } as unknown as FileSystem
}

const tempFilesIn = (dir: string) =>
  Effect.promise(async () => (await fs.readdir(dir)).filter((f) => f.endsWith(".tmp")))

describe("a failing token endpoint: one attempt, one outcome for everyone waiting", () => {
  it.effect("10 concurrent calls while the endpoint answers 500: one attempt (1 + max_retries POSTs), all get its error", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* bundleSetup(0) // expired: nothing to fall back on
      standIn.oauth.enqueueToken(...Array.from({ length: 40 }, () => StandIn.error(500)))
      const { exit } = yield* runClocked(
        Effect.all(Array.from({ length: 10 }, () => Effect.result(client.createMessage(hello))), { concurrency: "unbounded" })
      )
      expect(Exit.isSuccess(exit)).toBe(true)
      if (!Exit.isSuccess(exit)) return
      expect(exit.value.map((r) => Result.isFailure(r) ? r.failure._tag : "ok")).toEqual(Array(10).fill("RefreshFailed"))
      expect(standIn.oauth.tokenRequests.length).toBe(3)
      expect(standIn.requests.length).toBe(0)
    }))

  it.effect("5 callers during a 429 from the token endpoint: one attempt with its retries", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* bundleSetup(0)
      standIn.oauth.enqueueToken(...Array.from({ length: 20 }, () => StandIn.error(429, { retryAfter: "1" })))
      const { exit } = yield* runClocked(
        Effect.all(Array.from({ length: 5 }, () => Effect.result(client.createMessage(hello))), { concurrency: "unbounded" })
      )
      if (!Exit.isSuccess(exit)) throw new Error("expected every call to settle")
      expect(exit.value.every((r) => Result.isFailure(r) && r.failure._tag === "RefreshFailed")).toBe(true)
      expect(standIn.oauth.tokenRequests.length).toBe(3)
    }))

  it.effect("after a failure, calls within the cool-down fail at once with it; the first call after it tries again", () =>
    Effect.gen(function*() {
      // Expires in an hour, but a 401 makes it stale: no background refresh in the way.
      const { client, standIn } = yield* bundleSetup(HOUR, { retry: { max_retries: 0 } })
      standIn.enqueue(StandIn.error(401))
      yield* Effect.flip(client.createMessage(hello))
      standIn.oauth.enqueueToken(StandIn.error(500, { message: "token endpoint down" }))
      const first = yield* Effect.flip(client.createMessage(hello))
      expect(first._tag).toBe("RefreshFailed")
      expect(standIn.oauth.tokenRequests.length).toBe(1)
      yield* TestClock.adjust(9_000)
      const second = yield* Effect.flip(client.createMessage(hello))
      expect(second).toBe(first)
      expect(standIn.oauth.tokenRequests.length).toBe(1)
      yield* TestClock.adjust(1_001)
      yield* client.createMessage(hello)
      expect(standIn.oauth.tokenRequests.length).toBe(2)
      expect(standIn.requests.length).toBe(2)
    }))

  it.effect("while the held token is still valid, a failing endpoint does not fail calls; once it has expired, it does", () =>
    Effect.gen(function*() {
      // 30 s left: inside the 60 s window, so every call tries to refresh early.
      const logs: Array<string> = []
      const { client, standIn } = yield* bundleSetup(30_000, { retry: { max_retries: 0 } }, undefined, logs)
      standIn.oauth.enqueueToken(...Array.from({ length: 10 }, () => StandIn.error(503)))
      const calls = yield* capturingLogs(
        Effect.all(Array.from({ length: 5 }, () => client.createMessage(hello)), { concurrency: "unbounded" }),
        logs
      )
      expect(calls.length).toBe(5)
      expect(standIn.requests.length).toBe(5)
      expect(logs.some((l) => l.includes("using the current token until it expires"))).toBe(true)
      // Past the expiry the same failure is the call's.
      yield* TestClock.adjust(31_000)
      const error = yield* Effect.flip(client.createMessage(hello))
      expect(error._tag).toBe("RefreshFailed")
      expect(standIn.requests.length).toBe(5)
    }))

  it.effect("a 429 from the token endpoint asking to wait past retry.max_retry_after_ms fails the refresh at once", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* bundleSetup(0, { retry: { max_retries: 3 } })
      standIn.oauth.enqueueToken(StandIn.error(429, { retryAfter: String(10 ** 12) }))
      const { exit, waits } = yield* runClocked(client.createMessage(hello))
      const error = failureOf(exit)
      expect(error._tag).toBe("RefreshFailed")
      expect(error.message).toContain("retry after 1000000000000000 ms")
      expect(waits.filter((w) => w > 0 && w < 60_000)).toEqual([])
      expect(standIn.oauth.tokenRequests.length).toBe(1)
    }))

  it.effect("a token answer of 2 MB arrives whole", () =>
    Effect.gen(function*() {
      const { bundle, client, standIn } = yield* bundleSetup(30_000)
      const pair = standIn.oauth.issue()
      standIn.oauth.enqueueToken({ type: "json", status: 200, body: { ...pair, account: { padding: "z".repeat(2 << 20) } } })
      yield* client.createMessage(hello)
      expect((yield* readJson(bundle)).access_token).toBe(pair.access_token)
    }))
})

describe("short-lived and absurd token lifetimes", () => {
  for (const expiresIn of [30, 0]) {
    it.effect(`expires_in ${expiresIn}: refreshed at most once per floor (30 s), and calls keep working meanwhile`, () =>
      Effect.gen(function*() {
        const { client, standIn } = yield* bundleSetup(30_000)
        standIn.oauth.setExpiresIn(expiresIn)
        yield* client.createMessage(hello)
        expect(standIn.oauth.tokenRequests.length).toBe(1)
        // The background fiber sleeps until the floor has passed (it does not spin on a token always "due").
        const now = yield* Clock.currentTimeMillis
        let wakeUps = yield* sleeps
        for (let i = 0; i < 100 && !wakeUps.some((at) => at === now + 30_000); i++) {
          yield* realPause(2)
          wakeUps = yield* sleeps
        }
        expect(wakeUps).toContain(now + 30_000)
        // Ten minutes in 5 s steps, a call at each step.
        for (let step = 0; step < 120; step++) {
          yield* TestClock.adjust(5_000)
          yield* realPause(2)
          yield* client.createMessage(hello)
        }
        yield* realPause(50)
        const posts = standIn.oauth.tokenRequests.length
        expect(posts).toBeGreaterThanOrEqual(15)
        expect(posts).toBeLessThanOrEqual(1 + 600_000 / 30_000)
        expect(standIn.requests.length).toBe(121)
        // Every token a refresh brought was used by calls before the next refresh.
        const tokens = new Set(standIn.requests.map((r) => r.headers["authorization"]))
        expect(tokens.size).toBe(posts)
      }))
  }

  for (const expiresIn of ["1e300", "1e400", "-5"]) {
    it.effect(`expires_in ${expiresIn}: clamped, the rotated tokens saved with a valid expiry, status still works`, () =>
      Effect.gen(function*() {
        const { bundle, client, dir, standIn } = yield* bundleSetup(30_000)
        standIn.oauth.enqueueToken({
          type: "raw",
          status: 200,
          headers: { "content-type": "application/json" },
          body: `{"access_token":"sk-ant-oat01-${"n".repeat(40)}","refresh_token":"sk-ant-ort01-${"r".repeat(40)}",` +
            `"expires_in":${expiresIn}}`
        })
        yield* client.createMessage(hello)
        const saved = yield* readJson(bundle)
        expect(saved.refresh_token).toBe(`sk-ant-ort01-${"r".repeat(40)}`)
        const expiresAt = Date.parse(saved.expires_at)
        const now = yield* Clock.currentTimeMillis
        expect(expiresAt).toBe(expiresIn === "-5" ? now : now + 366 * 24 * HOUR)
        // The file loads again (the bundle's expires_at is a real date).
        const settings = AnthropicConfig.fromObject(
          { providers: { anthropic: { auth: { mode: "oauth_bundle", bundle } } } },
          { env: { HOME: dir } }
        )
        if (Result.isFailure(settings)) throw settings.failure
        const resolution = yield* Credentials.resolve(settings.success)
        expect(resolution.credential.kind).toBe("oauth_bundle")
      }))
  }
})

describe("credential files on hostile file systems", () => {
  it.effect("a read-only secrets directory: the lock fails fast, the refresh happens, the token is kept in memory", () =>
    Effect.gen(function*() {
      const calls: Array<string> = []
      const logs: Array<string> = []
      const { bundle, client, standIn } = yield* bundleSetup(
        30_000,
        {},
        faultyFs({ lock: "EROFS", create: "EROFS", calls }),
        logs
      )
      const before = yield* Effect.promise(() => fs.readFile(bundle, "utf8"))
      yield* capturingLogs(client.createMessage(hello), logs)
      // One try at the lock, not a minute of retries.
      expect(calls.filter((c) => c === "lock")).toEqual(["lock"])
      expect(standIn.oauth.tokenRequests.length).toBe(1)
      expect(yield* Effect.promise(() => fs.readFile(bundle, "utf8"))).toBe(before)
      expect(logs.some((l) => l.includes("cannot be locked (EROFS"))).toBe(true)
      expect(logs.some((l) => l.includes("kept in memory"))).toBe(true)
      // The refreshed token is the one in use, and it is not refreshed again.
      yield* client.createMessage(hello)
      expect(standIn.oauth.tokenRequests.length).toBe(1)
      expect(new Set(standIn.requests.map((r) => r.headers["authorization"])).size).toBe(1)
      expect(standIn.requests[0]!.headers["authorization"]).not.toContain(JSON.parse(before).access_token)
    }))

  for (const code of ["EACCES", "EPERM", "ENOSPC", "EDQUOT"]) {
    it.effect(`a lock refused with ${code} is not retried either`, () =>
      Effect.gen(function*() {
        const calls: Array<string> = []
        const { client, standIn } = yield* bundleSetup(30_000, {}, faultyFs({ lock: code, calls }))
        yield* client.createMessage(hello)
        expect(calls.filter((c) => c === "lock")).toEqual(["lock"])
        expect(standIn.oauth.tokenRequests.length).toBe(1)
      }))
  }

  it.effect("a full disk: the failed temp file is removed, the old file intact, the new token kept in memory", () =>
    Effect.gen(function*() {
      const { bundle, client, standIn } = yield* bundleSetup(30_000, {}, faultyFs({ write: "ENOSPC" }))
      const before = yield* Effect.promise(() => fs.readFile(bundle, "utf8"))
      yield* client.createMessage(hello)
      expect(standIn.oauth.tokenRequests.length).toBe(1)
      expect(yield* tempFilesIn(path.dirname(bundle))).toEqual([])
      expect(yield* Effect.promise(() => fs.readFile(bundle, "utf8"))).toBe(before)
      yield* client.createMessage(hello)
      expect(standIn.oauth.tokenRequests.length).toBe(1)
    }))

  it.effect("the atomic write flushes the temp file before renaming it over the target", () =>
    Effect.gen(function*() {
      const calls: Array<string> = []
      const { client } = yield* bundleSetup(30_000, {}, faultyFs({ calls }))
      yield* client.createMessage(hello)
      const write = calls.filter((c) => c !== "lock")
      // The temp file written and flushed, closed, renamed; then the directory flushed so the rename lasts.
      expect(write).toEqual(["open", "writeFile", "sync", "close", "rename", "sync", "close"])
    }))

  it.effect("the refreshed file replaces the old one (a new inode), never a rewrite in place", () =>
    Effect.gen(function*() {
      const { bundle, client, pair } = yield* bundleSetup(30_000)
      const before = yield* Effect.promise(() => fs.stat(bundle))
      yield* client.createMessage(hello)
      const after = yield* Effect.promise(() => fs.stat(bundle))
      expect((yield* readJson(bundle)).access_token).not.toBe(pair.access_token)
      expect(after.ino).not.toBe(before.ino)
    }))

  it.effect("a bundle path that is a symlink: the target gets the new token, the link stays a link", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const standIn = yield* StandIn.scoped()
      const target = path.join(dir, "vault", "real-bundle.json")
      const link = path.join(dir, "secrets", "anthropic_oauth.json")
      const pair = standIn.oauth.issue()
      yield* writeBundle(target, pair, 30_000)
      yield* Effect.promise(async () => {
        await fs.mkdir(path.dirname(link), { recursive: true })
        await fs.symlink(path.relative(path.dirname(link), target), link)
      })
      const { client } = yield* stack({
        base_url: standIn.url,
        auth: { mode: "oauth_bundle", bundle: link, token_url: standIn.oauth.tokenUrl }
      })
      yield* client.createMessage(hello)
      expect((yield* Effect.promise(() => fs.lstat(link))).isSymbolicLink()).toBe(true)
      const saved = yield* readJson(target)
      expect(saved.access_token).not.toBe(pair.access_token)
      expect(standIn.requests[0]!.headers["authorization"]).toBe(`Bearer ${saved.access_token}`)
      // The lock was taken next to the target, and is gone.
      expect(yield* Effect.promise(() => fs.readdir(path.dirname(target)))).toEqual(["real-bundle.json"])
      expect(yield* Effect.promise(() => fs.readdir(path.dirname(link)))).toEqual(["anthropic_oauth.json"])
    }))

  it.effect("two clients in one process on one bundle: one refresh POST for the expiry", () =>
    Effect.gen(function*() {
      // Two clients in one process on one bundle behave like two processes: the lock and the re-read keep it to
      // one POST per expiry.
      const dir = yield* tempDir
      const standIn = yield* StandIn.scoped()
      const bundle = path.join(dir, "b.json")
      yield* writeBundle(bundle, standIn.oauth.issue(), 30_000)
      const config = { base_url: standIn.url, auth: { mode: "oauth_bundle", bundle, token_url: standIn.oauth.tokenUrl } }
      const a = yield* stack(config)
      const b = yield* stack(config)
      yield* a.client.createMessage(hello)
      yield* StandIn.until(standIn, () => standIn.oauth.tokenRequests.length === 1)
      yield* b.client.createMessage(hello)
      expect(standIn.oauth.tokenRequests.length).toBe(1)
      expect(standIn.requests[0]!.headers["authorization"]).toBe(standIn.requests[1]!.headers["authorization"])
    }))
})

describe("a refresh is never lost halfway", () => {
  /** A bundle client far from expiry whose token a 401 made stale: its next call refreshes, in the caller's stead. */
  const staleSetup = (extra: Record<string, unknown> = {}, scope?: Scope.Scope) =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const standIn = yield* StandIn.scoped()
      const bundle = path.join(dir, "secrets", "anthropic_oauth.json")
      yield* writeBundle(bundle, standIn.oauth.issue(), 10 * HOUR)
      const built = stack({ base_url: standIn.url, auth: { mode: "oauth_bundle", bundle, token_url: standIn.oauth.tokenUrl }, ...extra })
      const { client } = yield* (scope === undefined ? built : Scope.provide(built, scope))
      standIn.enqueue(StandIn.error(401))
      yield* Effect.flip(client.createMessage(hello))
      return { bundle, client, dir, standIn }
    })

  /** The token endpoint's next answer, held until the test gives it. */
  const heldTokenAnswer = (standIn: StandIn.StandIn) => {
    let answer!: (reply: StandIn.Reply) => void
    standIn.oauth.enqueueToken({ type: "later", reply: new Promise((resolve) => (answer = resolve)) })
    return (reply: StandIn.Reply) => answer(reply)
  }

  it.effect("a caller that gives up mid-refresh (an abort, a timeout) does not lose the rotated token", () =>
    Effect.gen(function*() {
      const { bundle, client, standIn } = yield* staleSetup()
      const answer = heldTokenAnswer(standIn)
      const call = yield* Effect.forkChild(client.createMessage(hello))
      yield* StandIn.until(standIn, () => standIn.oauth.tokenRequests.length === 1)
      yield* Fiber.interrupt(call)
      const rotated = standIn.oauth.issue()
      answer({ type: "json", status: 200, body: rotated })
      yield* client.createMessage(hello)
      expect(standIn.oauth.tokenRequests.length).toBe(1)
      expect(standIn.requests.at(-1)!.headers["authorization"]).toBe(`Bearer ${rotated.access_token}`)
      expect((yield* readJson(bundle)).refresh_token).toBe(rotated.refresh_token)
    }))

  it.effect("a call's own short timeoutMs never bounds the shared refresh it starts (a cut refresh could lose the token)", () =>
    Effect.gen(function*() {
      const { bundle, client, standIn } = yield* staleSetup()
      const answer = heldTokenAnswer(standIn)
      const call = yield* Effect.forkChild(client.createMessage(hello, { timeoutMs: 150 }))
      yield* StandIn.until(standIn, () => standIn.oauth.tokenRequests.length === 1)
      // Far past the call's 150 ms, well within timeout_ms: the token request is still out, not aborted.
      yield* TestClock.adjust("2 seconds")
      yield* realPause(30)
      expect(standIn.abandoned.filter((r) => r.path.startsWith("/v1/oauth"))).toEqual([])
      const rotated = standIn.oauth.issue()
      answer({ type: "json", status: 200, body: rotated })
      yield* Fiber.join(call)
      expect((yield* readJson(bundle)).refresh_token).toBe(rotated.refresh_token)
      expect(standIn.requests.at(-1)!.headers["authorization"]).toBe(`Bearer ${rotated.access_token}`)
    }))

  it.effect("closing the client while a token request is out waits for its answer and saves it", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const { bundle, client, standIn } = yield* staleSetup({}, scope)
      const answer = heldTokenAnswer(standIn)
      yield* Effect.forkChild(client.createMessage(hello))
      yield* StandIn.until(standIn, () => standIn.oauth.tokenRequests.length === 1)
      const closing = yield* Effect.forkChild(Scope.close(scope, Exit.void))
      yield* realPause(30)
      expect(closing.pollUnsafe()).toBeUndefined()
      const rotated = standIn.oauth.issue()
      answer({ type: "json", status: 200, body: rotated })
      yield* Fiber.join(closing)
      expect((yield* readJson(bundle)).refresh_token).toBe(rotated.refresh_token)
    }))

  it.effect("closing the client while its refresh waits for another process's lock does not wait for that lock", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const { bundle, client } = yield* staleSetup({}, scope)
      const release = yield* Effect.promise(() => lockfile.lock(bundle, { realpath: false }))
      yield* Effect.forkChild(client.createMessage(hello))
      yield* realPause(50)
      yield* Scope.close(scope, Exit.void)
      yield* Effect.promise(() => release())
    }))

  it.effect("a lock held by another process is waited for up to timeout_ms, then the refresh fails with ELOCKED", () =>
    Effect.gen(function*() {
      const { bundle, client } = yield* staleSetup({ timeout_ms: 400 })
      const release = yield* Effect.promise(() => lockfile.lock(bundle, { realpath: false }))
      const error = yield* Effect.flip(client.createMessage(hello))
      yield* Effect.promise(() => release())
      expect(error._tag).toBe("RefreshFailed")
      expect(error.message).toContain("ELOCKED")
    }))

  for (
    const [name, extra, lifetimeS] of [
      ["expires_in as text", { expires_in: "7200", scope: ["user:inference", "user:profile"] }, 7200],
      ["no expires_in", {}, 3600],
      ["expires_in null, refresh_token null", { expires_in: null, refresh_token: null }, 3600]
    ] as const
  ) {
    it.effect(`a token answer with ${name} is kept, not thrown away with its rotated token`, () =>
      Effect.gen(function*() {
        const { bundle, client, standIn } = yield* staleSetup()
        const pair = standIn.oauth.issue()
        const body: Record<string, unknown> = { access_token: pair.access_token, refresh_token: pair.refresh_token, ...extra }
        standIn.oauth.enqueueToken({ type: "json", status: 200, body })
        yield* client.createMessage(hello)
        const saved = yield* readJson(bundle)
        expect(saved.access_token).toBe(pair.access_token)
        if (body.refresh_token !== null) expect(saved.refresh_token).toBe(pair.refresh_token)
        expect(Date.parse(saved.expires_at)).toBe((yield* Clock.currentTimeMillis) + lifetimeS * 1000)
        expect(standIn.requests.at(-1)!.headers["authorization"]).toBe(`Bearer ${pair.access_token}`)
      }))
  }

  it.effect("a bundle replaced outside the lock during a refresh (a login copied in) is kept and used", () =>
    Effect.gen(function*() {
      const { bundle, client, standIn } = yield* staleSetup()
      const answer = heldTokenAnswer(standIn)
      const call = yield* Effect.forkChild(client.createMessage(hello))
      yield* StandIn.until(standIn, () => standIn.oauth.tokenRequests.length === 1)
      const copiedIn = standIn.oauth.issue()
      yield* writeBundle(bundle, copiedIn, 20 * HOUR)
      answer({ type: "json", status: 200, body: standIn.oauth.issue() })
      yield* Fiber.join(call)
      expect((yield* readJson(bundle)).access_token).toBe(copiedIn.access_token)
      expect(standIn.requests.at(-1)!.headers["authorization"]).toBe(`Bearer ${copiedIn.access_token}`)
    }))

  it.effect("logout is not undone by a running client's refresh; the new token stays in memory", () =>
    Effect.gen(function*() {
      const { bundle, client, dir, standIn } = yield* staleSetup()
      const settings = Result.getOrThrow(AnthropicConfig.fromObject({ providers: { anthropic: { auth: { bundle } } } }, { env: { HOME: dir } }))
      yield* Auth.logout(settings)
      yield* client.createMessage(hello)
      expect(standIn.oauth.tokenRequests.length).toBe(1)
      expect(yield* Effect.promise(() => fs.access(bundle).then(() => true, () => false))).toBe(false)
      yield* client.createMessage(hello)
      expect(standIn.oauth.tokenRequests.length).toBe(1)
    }))

  it.effect("logout of a symlinked bundle removes the file it points to, and the link", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const target = path.join(dir, "vault", "bundle.json")
      const link = path.join(dir, "secrets", "anthropic_oauth.json")
      yield* writeBundle(target, { access_token: "sk-ant-oat01-x", refresh_token: "sk-ant-ort01-y" }, HOUR)
      yield* Effect.promise(async () => {
        await fs.mkdir(path.dirname(link), { recursive: true })
        await fs.symlink(target, link)
      })
      const settings = Result.getOrThrow(AnthropicConfig.fromObject({ providers: { anthropic: { auth: { bundle: link } } } }, { env: { HOME: dir } }))
      yield* Auth.logout(settings)
      const exists = (file: string) => Effect.promise(() => fs.lstat(file).then(() => true, () => false))
      expect(yield* exists(target)).toBe(false)
      expect(yield* exists(link)).toBe(false)
    }))

  it.effect("temp files a killed writer left (older than a minute) are removed by the next save; fresh ones are not", () =>
    Effect.gen(function*() {
      const { bundle, client } = yield* staleSetup()
      const dir = path.dirname(bundle)
      const old = path.join(dir, ".anthropic_oauth.json.99999.abcdef.tmp")
      const fresh = path.join(dir, ".anthropic_oauth.json.99998.fedcba.tmp")
      yield* Effect.promise(async () => {
        await fs.writeFile(old, "{\"refresh_token\":\"sk-ant-ort01-left-behind\"}")
        await fs.writeFile(fresh, "{}")
        const twoMinutesAgo = new Date(Date.now() - 120_000)
        await fs.utimes(old, twoMinutesAgo, twoMinutesAgo)
      })
      yield* client.createMessage(hello)
      expect(yield* tempFilesIn(dir)).toEqual([path.basename(fresh)])
    }))
})
