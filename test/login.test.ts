import { describe, expect, it } from "@effect/vitest"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/testing/TestClock"
import { createHash } from "node:crypto"
import nodeFs from "node:fs"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import * as lockfile from "proper-lockfile"
import * as Auth from "../src/cli/auth.js"
import * as AnthropicConfig from "../src/AnthropicConfig.js"
import * as Credentials from "../src/Credentials.js"
import * as OAuth from "../src/OAuth.js"
import { type FileSystem, SecretFileSystem } from "../src/internal/credentials/secretFileSystem.js"
import * as StandIn from "../src/testing/StandIn.js"
import * as TokenRefresher from "../src/TokenRefresher.js"
// The client's own HttpClient (Effect 3 used NodeHttpClient.layerUndici, whose Effect 4 version needs Node >= 22.19).
import * as UndiciHttpClient from "../src/UndiciHttpClient.js"
import { hello, stack } from "./fixtures.js"
import { lineLog, realPause, tempDir, writeFile } from "./helpers.js"

/** A temp bundle path, a stand-in, settings for both (with `extra` keys of `providers.anthropic`), and a log. */
const setupWith = (extra: Record<string, unknown>) => Effect.gen(function*() {
  const dir = yield* tempDir
  const standIn = yield* StandIn.scoped()
  const bundle = path.join(dir, "secrets", "anthropic_oauth.json")
  const settings = yield* AnthropicConfig.load({
    config: {
      providers: {
        anthropic: {
          ...extra,
          auth: {
            bundle,
            token_url: standIn.oauth.tokenUrl,
            authorize_url: standIn.oauth.authorizeUrl,
            // The stand-in plays the hosted page that shows code#state.
            manual_redirect_url: "https://platform.claude.com/oauth/code/callback"
          }
        }
      }
    },
    env: {}
  })
  const log = lineLog()
  // What the user types (`paste`), and the lines the wizard reads (`pasted`: stdin that stays open).
  const paste = yield* Queue.unbounded<string>()
  const print = (line: string) => Effect.sync(() => log.push(line))
  return { standIn, bundle, settings, lines: log.lines, untilLine: log.until, paste, pasted: Stream.fromQueue(paste), print }
})

const setup = setupWith({})

/** Short enough that the refresh below outlasts it in real time, long enough for any loopback answer. */
const TIMEOUT_MS = 1000

/**
 * A client on the bundle whose token is due: its refresh takes the bundle's lock, is answered 503 with a
 * `retry-after-ms` of 2 s, and so holds the lock, waiting on the (test) clock to retry, for as long as the test
 * likes: longer than `timeout_ms` in real time. The retry is answered with `refreshed`.
 */
const refreshHoldingTheLock = (standIn: StandIn.StandIn, bundle: string) =>
  Effect.gen(function*() {
    const old = standIn.oauth.issue()
    yield* Effect.promise(async () => {
      await fs.mkdir(path.dirname(bundle), { recursive: true })
      await fs.writeFile(bundle, JSON.stringify({ ...old, expires_at: new Date(0).toISOString() }))
    })
    standIn.oauth.enqueueToken(StandIn.error(503, { retryAfterMs: "2000" }))
    const { client } = yield* stack({
      base_url: standIn.url,
      timeout_ms: TIMEOUT_MS,
      auth: { mode: "oauth_bundle", bundle, token_url: standIn.oauth.tokenUrl }
    })
    const call = yield* Effect.forkChild(client.createMessage(hello))
    yield* StandIn.until(standIn, () => standIn.oauth.tokenRequests.length === 1)
    /** Let the refresh go on: its retry is answered with a new pair, which it writes before releasing the lock. */
    const finish = Effect.gen(function*() {
      const refreshed = standIn.oauth.issue()
      standIn.oauth.enqueueToken({ type: "json", status: 200, body: refreshed })
      yield* TestClock.adjust("2 seconds")
      yield* Fiber.join(call)
      return refreshed
    })
    return { old, finish }
  })

const urlsIn = (lines: ReadonlyArray<string>) =>
  lines.join("\n").match(/http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+/g) ?? []

/** The test as the browser: open the authorize URL, follow its redirect to the wizard's callback. */
const playBrowser = (onOpen: (url: string) => void = () => {}) => (url: string) =>
  Effect.promise(async () => {
    onOpen(url)
    const approve = await fetch(url, { redirect: "manual" })
    await (await fetch(approve.headers.get("location")!)).text()
  })

/** The wizard without a browser, running in the background. */
const forkLogin = (options: Omit<Auth.LoginOptions, "openBrowser">) =>
  Effect.forkChild(Auth.login({ ...options, openBrowser: false }).pipe(Effect.provide(UndiciHttpClient.layer)))

const readBundle = (file: string) => Effect.promise(async () => JSON.parse(await fs.readFile(file, "utf8")))

describe("login (PKCE wizard)", () => {
  it.effect("end to end through the browser callback: the test plays the browser", () =>
    Effect.gen(function*() {
      const { bundle, lines, pasted, print, settings, standIn } = yield* setup
      let authorizeUrl = ""
      const browser = playBrowser((url) => {
        authorizeUrl = url
      })
      const result = yield* Auth.login({ settings, openBrowser: true, pasted, launch: browser, print }).pipe(
        Effect.provide(UndiciHttpClient.layer)
      )
      expect(result.bundle).toBe(bundle)

      // The authorize URL: PKCE S256, separate verifier and state, loopback redirect.
      const query = new URL(authorizeUrl).searchParams
      expect(query.get("code")).toBe("true")
      expect(query.get("client_id")).toBe("9d1c250a-e61b-44d9-88ed-5944d1962f5e")
      expect(query.get("response_type")).toBe("code")
      expect(query.get("redirect_uri")).toMatch(/^http:\/\/localhost:\d+\/callback$/)
      expect(query.get("scope")).toBe("user:profile user:inference")
      expect(query.get("code_challenge_method")).toBe("S256")
      const exchange = standIn.oauth.tokenRequests[0]!.body
      expect(exchange.grant_type).toBe("authorization_code")
      expect(exchange.redirect_uri).toBe(query.get("redirect_uri"))
      expect(exchange.state).toBe(query.get("state"))
      expect(exchange.code_verifier).not.toBe(query.get("state"))
      expect(createHash("sha256").update(exchange.code_verifier).digest("base64url")).toBe(query.get("code_challenge"))

      // The bundle holds what the server issued, mode 0600.
      const saved = yield* readBundle(bundle)
      expect(saved.access_token).toMatch(/^sk-ant-oat01-/)
      expect(saved.refresh_token).toMatch(/^sk-ant-ort01-/)
      expect(Date.parse(saved.expires_at)).toBe(result.expiresAt)
      expect((yield* Effect.promise(() => fs.stat(bundle))).mode & 0o777).toBe(0o600)
      expect(lines.join("\n")).toContain(`Saved the OAuth bundle to ${bundle}`)
      expect(lines.join("\n")).not.toContain(saved.access_token)
    }))

  it.effect("the paste path: code#state from the hosted page, malformed and foreign values refused", () =>
    Effect.gen(function*() {
      const { bundle, lines, paste, pasted, print, settings, standIn, untilLine } = yield* setup
      const fiber = yield* forkLogin({ settings, pasted, print })
      yield* untilLine((lines) => urlsIn(lines).length === 2)
      const manual = urlsIn(lines)[1]!
      expect(new URL(manual).searchParams.get("redirect_uri")).toBe("https://platform.claude.com/oauth/code/callback")
      // The user signs in elsewhere; the hosted page shows code#state.
      const shown = yield* Effect.promise(() => fetch(manual).then((r) => r.text()))
      const [code, state] = shown.split("#") as [string, string]

      yield* Queue.offer(paste, code)
      yield* untilLine((lines) => lines.some((l) => l.includes("in the form code#state")))
      yield* Queue.offer(paste, `${code}#not-this-login`)
      yield* untilLine((lines) => lines.some((l) => l.includes("state does not match")))
      expect(standIn.oauth.tokenRequests.length).toBe(0)

      yield* Queue.offer(paste, `  ${code}#${state}  `)
      yield* Fiber.join(fiber)
      expect(standIn.oauth.tokenRequests[0]!.body.redirect_uri).toBe("https://platform.claude.com/oauth/code/callback")
      expect(lines.join("\n")).toContain("Authorized (pasted code)")
      expect((yield* readBundle(bundle)).access_token).toMatch(/^sk-ant-oat01-/)
    }))

  it.effect("a browser callback with a wrong or missing state is refused; nothing is exchanged", () =>
    Effect.gen(function*() {
      const { bundle, lines, pasted, print, settings, standIn, untilLine } = yield* setup
      const fiber = yield* forkLogin({ settings, pasted, print })
      yield* untilLine((lines) => urlsIn(lines).length === 2)
      const redirect = new URL(new URL(urlsIn(lines)[0]!).searchParams.get("redirect_uri")!)
      const base = `http://127.0.0.1:${redirect.port}/callback`
      const wrong = yield* Effect.promise(() => fetch(`${base}?code=abc&state=forged`))
      expect(wrong.status).toBe(400)
      expect(yield* Effect.promise(() => wrong.text())).toContain("state does not match")
      const missing = yield* Effect.promise(() => fetch(`${base}?state=x`))
      expect(missing.status).toBe(400)
      const elsewhere = yield* Effect.promise(() => fetch(`http://127.0.0.1:${redirect.port}/other`))
      expect(elsewhere.status).toBe(404)
      expect(lines.filter((l) => l.startsWith("Refused a browser callback")).length).toBe(2)
      expect(standIn.oauth.tokenRequests.length).toBe(0)
      yield* Fiber.interrupt(fiber)
      expect(yield* Effect.promise(() => fs.access(bundle).then(() => true, () => false))).toBe(false)
    }))

  it.effect("gives up with LoginFailed when nothing arrives in time", () =>
    Effect.gen(function*() {
      const { pasted, print, settings, untilLine } = yield* setup
      const fiber = yield* Effect.forkChild(
        Auth.login({ settings, openBrowser: false, pasted, print, timeout: "10 minutes" }).pipe(
          Effect.provide(UndiciHttpClient.layer),
          Effect.flip
        )
      )
      yield* untilLine((lines) => lines.some((l) => l.startsWith("Waiting for")))
      yield* TestClock.adjust("10 minutes")
      const error = yield* Fiber.join(fiber)
      expect(error._tag).toBe("LoginFailed")
      expect(error.message).toContain("in time")
    }))

  it.effect("a failed code exchange is LoginFailed and writes nothing", () =>
    Effect.gen(function*() {
      const { bundle, pasted, print, settings, standIn } = yield* setup
      standIn.oauth.enqueueToken({ type: "json", status: 400, body: { error: "invalid_grant", error_description: "bad code" } })
      const error = yield* Auth.login({ settings, openBrowser: true, pasted, launch: playBrowser(), print }).pipe(
        Effect.provide(UndiciHttpClient.layer),
        Effect.flip
      )
      expect(error._tag).toBe("LoginFailed")
      expect(error.message).toContain("bad code")
      expect(yield* Effect.promise(() => fs.access(bundle).then(() => true, () => false))).toBe(false)
    }))

  it.effect("login writes under the refresher's lock: a refresh that began before it cannot overwrite the new login", () =>
    Effect.gen(function*() {
      const { bundle, pasted, print, settings, standIn } = yield* setup
      // A client on the same bundle, whose token is due: its refresh takes the lock and waits for the endpoint.
      const old = standIn.oauth.issue()
      yield* Effect.promise(async () => {
        await fs.mkdir(path.dirname(bundle), { recursive: true })
        await fs.writeFile(bundle, JSON.stringify({ ...old, expires_at: new Date(0).toISOString() }))
      })
      let answerRefresh!: (reply: StandIn.Reply) => void
      standIn.oauth.enqueueToken({ type: "later", reply: new Promise((resolve) => (answerRefresh = resolve)) })
      const { client } = yield* stack({
        base_url: standIn.url,
        auth: { mode: "oauth_bundle", bundle, token_url: standIn.oauth.tokenUrl }
      })
      const call = yield* Effect.forkChild(client.createMessage(hello))
      yield* StandIn.until(standIn, () => standIn.oauth.tokenRequests.length === 1)
      // The login runs to the point of writing, and must wait for the lock.
      const login = yield* Effect.forkChild(
        Auth.login({ settings, openBrowser: true, pasted, launch: playBrowser(), print }).pipe(
          Effect.provide(UndiciHttpClient.layer)
        )
      )
      yield* StandIn.until(standIn, () => standIn.oauth.tokenRequests.length === 2)
      const loggedIn = standIn.oauth.tokenRequests[1]!.body.code !== undefined
      expect(loggedIn).toBe(true)
      yield* realPause(150)
      expect((yield* readBundle(bundle)).access_token).toBe(old.access_token)
      // The refresh now ends and writes; then the login writes, last.
      const refreshed = standIn.oauth.issue()
      answerRefresh({ type: "json", status: 200, body: refreshed })
      yield* Fiber.join(call)
      yield* Fiber.join(login)
      const saved = yield* readBundle(bundle)
      expect(saved.access_token).not.toBe(refreshed.access_token)
      expect(saved.access_token).not.toBe(old.access_token)
      expect(saved.access_token).toMatch(/^sk-ant-oat01-/)
    }))

  it.effect("a code exchange answered without a refresh token writes a bundle that loads (and says it cannot refresh)", () =>
    Effect.gen(function*() {
      const { bundle, pasted, print, settings, standIn } = yield* setup
      const pair = standIn.oauth.issue()
      standIn.oauth.enqueueToken({ type: "json", status: 200, body: { access_token: pair.access_token, expires_in: 3600 } })
      yield* Auth.login({ settings, openBrowser: true, pasted, launch: playBrowser(), print }).pipe(
        Effect.provide(UndiciHttpClient.layer)
      )
      const saved = yield* readBundle(bundle)
      expect(saved.access_token).toBe(pair.access_token)
      expect("refresh_token" in saved).toBe(false)
      const resolution = yield* Credentials.resolve(settings)
      expect(resolution.credential.kind).toBe("oauth_bundle")
      if (resolution.credential.kind === "oauth_bundle") expect(Option.isNone(resolution.credential.token.refreshToken)).toBe(true)
    }))

  it.effect("login beside a refresh that outlasts timeout_ms: it waits for the refresh to end, then its own tokens win", () =>
    Effect.gen(function*() {
      const { bundle, lines, pasted, print, settings, standIn, untilLine } = yield* setupWith({ timeout_ms: TIMEOUT_MS })
      const { finish, old } = yield* refreshHoldingTheLock(standIn, bundle)
      // The sign-in completes while the refresh holds the lock: the code exchange is answered with `signedIn`.
      const signedIn = standIn.oauth.issue()
      standIn.oauth.enqueueToken({ type: "json", status: 200, body: signedIn })
      const login = yield* Effect.forkChild(
        Auth.login({ settings, openBrowser: true, pasted, launch: playBrowser(), print }).pipe(
          Effect.provide(UndiciHttpClient.layer)
        )
      )
      yield* untilLine((lines) => lines.some((l) => l.includes("is locked, most likely by a token refresh in progress")))
      expect(standIn.oauth.tokenRequests[1]!.body.grant_type).toBe("authorization_code")
      // Past timeout_ms in real time (proper-lockfile waits in real time): the login must still be waiting.
      yield* realPause(TIMEOUT_MS * 2.5)
      expect(login.pollUnsafe()).toBeUndefined()
      expect((yield* readBundle(bundle)).access_token).toBe(old.access_token)

      const refreshed = yield* finish
      expect(standIn.oauth.tokenRequests[2]!.body.grant_type).toBe("refresh_token")
      const result = yield* Fiber.join(login)
      expect(result.bundle).toBe(bundle)
      const saved = yield* readBundle(bundle)
      expect(saved.access_token).toBe(signedIn.access_token)
      expect(saved.refresh_token).toBe(signedIn.refresh_token)
      expect(saved.access_token).not.toBe(refreshed.access_token)
      expect(lines.join("\n")).toContain(`Saved the OAuth bundle to ${bundle}`)
    }))

  it.effect("logout beside a refresh that outlasts timeout_ms: it waits for the refresh to end, then removes the bundle", () =>
    Effect.gen(function*() {
      const { bundle, settings, standIn } = yield* setupWith({ timeout_ms: TIMEOUT_MS })
      const { finish } = yield* refreshHoldingTheLock(standIn, bundle)
      const logout = yield* Effect.forkChild(Auth.logout(settings))
      yield* realPause(TIMEOUT_MS * 2.5)
      expect(logout.pollUnsafe()).toBeUndefined()
      yield* finish
      yield* Fiber.join(logout)
      expect(yield* Effect.promise(() => fs.access(bundle).then(() => true, () => false))).toBe(false)
    }))

  it("a login waits for the lock as long as a refresh can hold it: every attempt's timeout_ms and every retry's longest wait", () => {
    expect(TokenRefresher.longestRefreshMs({ timeoutMs: 1000, maxRetries: 2, maxRetryAfterMs: 60_000 })).toBe(3 * 1000 + 2 * 60_000)
    // The server's retry-after capped below the backoff: the 8 s backoff is the longest wait.
    expect(TokenRefresher.longestRefreshMs({ timeoutMs: 1000, maxRetries: 1, maxRetryAfterMs: 100 })).toBe(2 * 1000 + 8000)
    expect(TokenRefresher.longestRefreshMs({ timeoutMs: 5000, maxRetries: 0, maxRetryAfterMs: 60_000 })).toBe(5000)
  })

  it.effect("a logout given up while it waits for the lock stops trying at once: nothing polls on, keeping the process alive", () =>
    Effect.gen(function*() {
      const { bundle, settings, standIn } = yield* setupWith({ timeout_ms: TIMEOUT_MS })
      const old = standIn.oauth.issue()
      yield* writeFile(bundle, JSON.stringify({ ...old, expires_at: new Date(0).toISOString() }))
      // Another holder of the lock (proper-lockfile, as a refresh in another process would hold it).
      const release = yield* Effect.promise(() => lockfile.lock(bundle, { realpath: false, stale: 10_000 }))
      const tries = lineLog()
      const countingFs = {
        ...nodeFs,
        mkdir: (file: string, ...rest: Array<any>) => {
          if (file === `${bundle}.lock`) tries.push(file)
          return (nodeFs.mkdir as any)(file, ...rest)
        }
      } as unknown as FileSystem
      const printed: Array<string> = []
      const logout = yield* Effect.forkChild(
        Auth.logout(settings).pipe(
          Effect.provideService(SecretFileSystem, countingFs),
          (effect) =>
            Console.consoleWith((base) =>
              Effect.provideService(effect, Console.Console, {
                ...base,
                log: (...args: ReadonlyArray<unknown>) => void printed.push(args.join(" "))
              })
            )
        )
      )
      yield* tries.until((lines) => lines.length >= 3)
      expect(printed.join("\n")).toContain("is locked, most likely by a token refresh in progress")
      yield* Fiber.interrupt(logout)
      const atInterrupt = tries.lines.length
      yield* realPause(600)
      expect(tries.lines.length).toBeLessThanOrEqual(atInterrupt + 1)
      yield* Effect.promise(() => release())
      expect((yield* readBundle(bundle)).access_token).toBe(old.access_token)
    }))
})

describe("PKCE values", () => {
  it("challengeOf is RFC 7636's S256 (the RFC's own example, appendix B)", () => {
    expect(OAuth.challengeOf("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
  })

  it("makePkce: a 43-character base64url verifier and state, never the same, the challenge the verifier's", () => {
    const pkce = OAuth.makePkce()
    expect(pkce.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(pkce.state).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(pkce.state).not.toBe(pkce.verifier)
    expect(pkce.challenge).toBe(OAuth.challengeOf(pkce.verifier))
    expect(OAuth.makePkce().verifier).not.toBe(pkce.verifier)
  })
})
