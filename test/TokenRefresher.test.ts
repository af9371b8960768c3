import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/testing/TestClock"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import * as AnthropicClient from "../src/AnthropicClient.js"
import * as AnthropicConfig from "../src/AnthropicConfig.js"
import * as Credentials from "../src/Credentials.js"
import * as StandIn from "../src/testing/StandIn.js"
import * as UndiciHttpClient from "../src/UndiciHttpClient.js"
import { hello, stack } from "./fixtures.js"
import { bundleSetup, HOUR, readJson, refusedWhileAnotherWriterSaves, untilSleepingUntil, writeBundle } from "./bundles.js"
import { realPause, runClocked, tempDir, writeFile } from "./helpers.js"

const modeOf = (file: string) => Effect.promise(async () => (await fs.stat(file)).mode & 0o777)

describe("TokenRefresher: scheduled refresh", () => {
  it.effect("no refresh before expires_at − 60 s, exactly one right at it, persisted atomically with mode 0600", () =>
    Effect.gen(function*() {
      const { bundle, pair, standIn } = yield* bundleSetup(HOUR)
      yield* untilSleepingUntil(HOUR - 60_000)
      yield* TestClock.adjust(HOUR - 60_000 - 1)
      yield* realPause(60)
      expect(standIn.oauth.tokenRequests.length).toBe(0)
      yield* TestClock.adjust(1)
      yield* StandIn.until(standIn, () => standIn.oauth.tokenRequests.length === 1)
      const request = standIn.oauth.tokenRequests[0]!.body
      expect(request).toEqual({
        grant_type: "refresh_token",
        refresh_token: pair.refresh_token,
        client_id: "9d1c250a-e61b-44d9-88ed-5944d1962f5e"
      })
      yield* StandIn.until(standIn, () => standIn.oauth.refreshes() === 1)
      // Wait for the write, then check what landed.
      let saved: any
      for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
        saved = yield* readJson(bundle)
        if (saved.access_token !== pair.access_token) break
        yield* realPause(5)
      }
      expect(saved.access_token).not.toBe(pair.access_token)
      expect(saved.refresh_token).not.toBe(pair.refresh_token)
      expect(saved.access_token).toMatch(/^sk-ant-oat01-/)
      expect(Date.parse(saved.expires_at)).toBe(HOUR - 60_000 + HOUR)
      expect(yield* modeOf(bundle)).toBe(0o600)
      // No stray temp files next to it.
      expect((yield* Effect.promise(() => fs.readdir(path.dirname(bundle)))).filter((f) => f.includes("tmp"))).toEqual([])
      // The next window is an hour later: nothing more until then.
      yield* untilSleepingUntil(2 * (HOUR - 60_000))
      yield* TestClock.adjust(HOUR - 60_000 - 1)
      yield* realPause(60)
      expect(standIn.oauth.tokenRequests.length).toBe(1)
    }))

  it.effect("closing the client stops the background fiber (its HTTP client outliving it would show a leak)", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const standIn = yield* StandIn.scoped()
      // An HttpClient that outlives the client's scope: a leaked refresher fiber could still reach the stand-in.
      const http = yield* Layer.build(UndiciHttpClient.layer)
      const layerFor = (bundle: string) => {
        const settings = AnthropicConfig.fromObject({
          providers: { anthropic: { base_url: standIn.url, auth: { mode: "oauth_bundle", bundle, token_url: standIn.oauth.tokenUrl } } }
        }, { env: {} })
        if (Result.isFailure(settings)) throw settings.failure
        return AnthropicClient.layerFrom({
          config: AnthropicConfig.layer(settings.success),
          credentials: Credentials.layer,
          httpClient: Layer.succeedContext(http)
        })
      }
      const open = path.join(dir, "open.json")
      const closed = path.join(dir, "closed.json")
      const openPair = standIn.oauth.issue()
      const closedPair = standIn.oauth.issue()
      yield* writeBundle(open, openPair, HOUR)
      yield* writeBundle(closed, closedPair, HOUR)
      yield* Layer.build(layerFor(open))
      const scope = yield* Scope.make()
      yield* Layer.buildWithScope(layerFor(closed), scope)
      yield* Scope.close(scope, Exit.void)
      yield* untilSleepingUntil(HOUR - 60_000)
      // Past the first due time (HOUR − 60 s), not the next one (an hour after that refresh).
      yield* TestClock.adjust(HOUR)
      // The open client's fiber refreshes; the closed one's must not.
      yield* StandIn.until(standIn, () => standIn.oauth.tokenRequests.length >= 1)
      yield* realPause(100)
      const refreshed = standIn.oauth.tokenRequests.map((r) => r.body.refresh_token)
      expect(refreshed).toEqual([openPair.refresh_token])
      expect(refreshed).not.toContain(closedPair.refresh_token)
    }))
})

describe("TokenRefresher: on demand", () => {
  it.effect("1,000 concurrent calls on an expired token cause exactly one refresh POST", () =>
    Effect.gen(function*() {
      const { bundle, client, pair, standIn } = yield* bundleSetup(30_000) // already inside the 60 s window
      const results = yield* Effect.all(Array.from({ length: 1000 }, () => client.createMessage(hello)), {
        concurrency: "unbounded"
      })
      expect(results.length).toBe(1000)
      expect(standIn.oauth.tokenRequests.length).toBe(1)
      const saved = yield* readJson(bundle)
      expect(saved.access_token).not.toBe(pair.access_token)
      // Every request went out with the new token.
      const sent = new Set(standIn.requests.map((r) => r.headers["authorization"]))
      expect([...sent]).toEqual([`Bearer ${saved.access_token}`])
    }))

  it.effect("a 401 marks the token stale; the call fails fast; the next call refreshes first, at once", () =>
    Effect.gen(function*() {
      const { bundle, client, credentials, pair, standIn } = yield* bundleSetup(10 * HOUR)
      standIn.enqueue(StandIn.error(401))
      const first = yield* Effect.flip(client.createMessage(hello))
      expect(first._tag).toBe("CredentialInvalid")
      expect(standIn.requests.length).toBe(1)
      expect(standIn.oauth.tokenRequests.length).toBe(0)
      expect(yield* credentials.isStale).toBe(true)
      yield* client.createMessage(hello)
      expect(standIn.oauth.tokenRequests.length).toBe(1)
      const saved = yield* readJson(bundle)
      expect(standIn.requests[0]!.headers["authorization"]).toBe(`Bearer ${pair.access_token}`)
      expect(standIn.requests[1]!.headers["authorization"]).toBe(`Bearer ${saved.access_token}`)
      expect(yield* credentials.isStale).toBe(false)
    }))

  it.effect("a 401 for a token refreshed a moment ago (inside the 30 s floor) still forces another refresh", () =>
    Effect.gen(function*() {
      const { client, credentials, standIn } = yield* bundleSetup(10 * HOUR)
      standIn.enqueue(StandIn.error(401))
      yield* Effect.flip(client.createMessage(hello))
      yield* client.createMessage(hello)
      expect(standIn.oauth.tokenRequests.length).toBe(1)
      const renewed = standIn.requests[1]!.headers["authorization"]
      // The clock has not moved: the API refuses the token just renewed, and that must not wait out the floor.
      standIn.enqueue(StandIn.error(401))
      expect((yield* Effect.flip(client.createMessage(hello)))._tag).toBe("CredentialInvalid")
      expect(standIn.requests[2]!.headers["authorization"]).toBe(renewed)
      expect(yield* credentials.isStale).toBe(true)
      yield* client.createMessage(hello)
      expect(standIn.oauth.tokenRequests.length).toBe(2)
      expect(standIn.requests[3]!.headers["authorization"]).not.toBe(renewed)
      expect(yield* credentials.isStale).toBe(false)
    }))

  it.effect("transient refresh failures (5xx, dropped connection) are retried with backoff", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* bundleSetup(0)
      standIn.oauth.enqueueToken(StandIn.error(503), { type: "hangup" })
      const { exit, waits } = yield* runClocked(client.createMessage(hello))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(standIn.oauth.tokenRequests.length).toBe(3)
      expect(waits.filter((w) => w < 60_000).length).toBeGreaterThanOrEqual(2)
    }))

  it.effect("invalid_grant: a clear LoginRequired, the file untouched, and the dead token not sent again", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const standIn = yield* StandIn.scoped()
      const bundle = path.join(dir, "b.json")
      const content = JSON.stringify({
        access_token: "sk-ant-oat01-old",
        refresh_token: "sk-ant-ort01-already-used",
        expires_at: new Date(0).toISOString()
      })
      yield* writeFile(bundle, content)
      const { client } = yield* stack({
        base_url: standIn.url,
        auth: { mode: "oauth_bundle", bundle, token_url: standIn.oauth.tokenUrl }
      })
      const { exit } = yield* runClocked(client.createMessage(hello))
      const error = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.findErrorOption(exit.cause)) : undefined
      expect(error?._tag).toBe("LoginRequired")
      expect(error?.message).toContain("invalid_grant")
      expect(error?.message).toContain("effect-anthropic login")
      expect(error?.message).not.toContain("already-used")
      expect(yield* Effect.promise(() => fs.readFile(bundle, "utf8"))).toBe(content)
      expect(standIn.requests.length).toBe(0)
      const again = yield* runClocked(client.createMessage(hello))
      expect(Exit.isFailure(again.exit)).toBe(true)
      expect(standIn.oauth.tokenRequests.length).toBe(1)
    }))

  it.effect("after taking the lock, a token another process already wrote is used without a POST", () =>
    Effect.gen(function*() {
      // Not due for hours, so no background refresh: a 401 makes the token stale instead.
      const { bundle, client, standIn } = yield* bundleSetup(10 * HOUR)
      standIn.enqueue(StandIn.error(401))
      yield* Effect.flip(client.createMessage(hello))
      // "Another process" refreshed and saved before this one got to it.
      const theirs = standIn.oauth.issue()
      yield* writeBundle(bundle, theirs, 5 * HOUR)
      yield* client.createMessage(hello)
      expect(standIn.oauth.tokenRequests.length).toBe(0)
      expect(standIn.requests[1]!.headers["authorization"]).toBe(`Bearer ${theirs.access_token}`)
    }))

  it.effect("the call's own refresh fails (invalid_grant) while another writer saves a valid token: the call adopts it", () =>
    Effect.gen(function*() {
      // Far from expiry, so the background fiber stays asleep: the failing refresh is the call's own.
      const { bundle, client, credentials, standIn } = yield* bundleSetup(10 * HOUR)
      standIn.enqueue(StandIn.error(401))
      yield* Effect.flip(client.createMessage(hello))
      expect(yield* credentials.isStale).toBe(true)
      const theirs = standIn.oauth.issue()
      standIn.oauth.enqueueToken(refusedWhileAnotherWriterSaves(bundle, theirs, 8 * HOUR))
      const message = yield* client.createMessage(hello)
      expect(message.type).toBe("message")
      expect(standIn.oauth.tokenRequests.length).toBe(1)
      expect(standIn.requests[1]!.headers["authorization"]).toBe(`Bearer ${theirs.access_token}`)
      expect(yield* credentials.isStale).toBe(false)
    }))

  it.effect("a late 401 for the old token after a refresh leaves the new token fresh", () =>
    Effect.gen(function*() {
      const { client, credentials, standIn } = yield* bundleSetup(10 * HOUR)
      let answerLate!: (reply: StandIn.Reply) => void
      const late = new Promise<StandIn.Reply>((resolve) => {
        answerLate = resolve
      })
      // The first call's answer is held back; the second gets a 401 that makes the token stale.
      standIn.enqueue({ type: "later", reply: late }, StandIn.error(401))
      const slow = yield* Effect.forkChild(Effect.result(client.createMessage(hello)))
      yield* StandIn.until(standIn, () => standIn.requests.length === 1)
      yield* Effect.flip(client.createMessage(hello))
      // The third call refreshes, and its token is the new one.
      yield* client.createMessage(hello)
      expect(standIn.oauth.tokenRequests.length).toBe(1)
      const fresh = standIn.requests[2]!.headers["authorization"]
      expect(fresh).not.toBe(standIn.requests[0]!.headers["authorization"])
      // Now the first call's 401 arrives: it answered the old token.
      answerLate(StandIn.error(401))
      const first = yield* Fiber.join(slow)
      expect(Result.isFailure(first) && first.failure._tag).toBe("CredentialInvalid")
      expect(yield* credentials.isStale).toBe(false)
      yield* client.createMessage(hello)
      expect(standIn.oauth.tokenRequests.length).toBe(1)
      expect(standIn.requests[3]!.headers["authorization"]).toBe(fresh)
    }))

  it.effect("a 403 marks an OAuth token stale too: the next call refreshes first", () =>
    Effect.gen(function*() {
      const { client, credentials, standIn } = yield* bundleSetup(10 * HOUR)
      standIn.enqueue(StandIn.error(403))
      const error = yield* Effect.flip(client.createMessage(hello))
      expect(error._tag).toBe("CredentialInvalid")
      expect(yield* credentials.isStale).toBe(true)
      yield* client.createMessage(hello)
      expect(standIn.oauth.tokenRequests.length).toBe(1)
      expect(standIn.requests[1]!.headers["authorization"]).not.toBe(standIn.requests[0]!.headers["authorization"])
    }))

  it.effect("after a failed refresh, a valid token someone else wrote meanwhile is accepted", () =>
    Effect.gen(function*() {
      const { bundle, client, standIn } = yield* bundleSetup(0)
      const theirs = standIn.oauth.issue()
      standIn.oauth.enqueueToken(refusedWhileAnotherWriterSaves(bundle, theirs, 5 * HOUR))
      yield* client.createMessage(hello)
      expect(standIn.oauth.tokenRequests.length).toBe(1)
      expect(standIn.requests[0]!.headers["authorization"]).toBe(`Bearer ${theirs.access_token}`)
    }))
})

describe("TokenRefresher: Claude Code CLI credentials", () => {
  it.effect("a rotated token is written back in place, every other key kept, mode 0600", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const standIn = yield* StandIn.scoped()
      const pair = standIn.oauth.issue()
      const file = path.join(dir, "home", ".claude", ".credentials.json")
      const original = {
        claudeAiOauth: {
          accessToken: pair.access_token,
          refreshToken: pair.refresh_token,
          expiresAt: 10_000,
          scopes: ["user:inference", "user:profile"],
          subscriptionType: "max",
          rateLimitTier: "default_claude_max_20x"
        },
        mcpOAuth: { "some-server": { accessToken: "x" } }
      }
      yield* writeFile(file, JSON.stringify(original))
      yield* Effect.promise(() => fs.chmod(file, 0o644))
      const { client } = yield* stack(
        { base_url: standIn.url, auth: { mode: "auto", token_url: standIn.oauth.tokenUrl, bundle: path.join(dir, "none.json"), setup_token_file: path.join(dir, "none") } },
        { HOME: path.join(dir, "home") }
      )
      yield* client.createMessage(hello)
      expect(standIn.oauth.tokenRequests.length).toBe(1)
      const saved = yield* readJson(file)
      expect(saved.mcpOAuth).toEqual(original.mcpOAuth)
      expect(saved.claudeAiOauth.scopes).toEqual(original.claudeAiOauth.scopes)
      expect(saved.claudeAiOauth.subscriptionType).toBe("max")
      expect(saved.claudeAiOauth.rateLimitTier).toBe("default_claude_max_20x")
      expect(saved.claudeAiOauth.accessToken).not.toBe(pair.access_token)
      expect(saved.claudeAiOauth.refreshToken).not.toBe(pair.refresh_token)
      expect(saved.claudeAiOauth.expiresAt).toBe(HOUR)
      expect(yield* modeOf(file)).toBe(0o600)
      expect(standIn.requests[0]!.headers["authorization"]).toBe(`Bearer ${saved.claudeAiOauth.accessToken}`)
    }))
})

describe("TokenRefresher: background fiber survives a failed refresh", () => {
  it.effect("a failing background refresh is retried later, and calls keep working once it succeeds", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* bundleSetup(HOUR, { retry: { max_retries: 0 } })
      standIn.oauth.enqueueToken(StandIn.error(500))
      yield* untilSleepingUntil(HOUR - 60_000)
      yield* TestClock.adjust(HOUR - 60_000)
      yield* StandIn.until(standIn, () => standIn.oauth.tokenRequests.length === 1)
      // The failed refresh is followed by a 30 s sleep: wait until the fiber sleeps it, however slow its answer.
      yield* untilSleepingUntil(HOUR - 60_000 + 30_000)
      yield* TestClock.adjust(30_000)
      yield* StandIn.until(standIn, () => standIn.oauth.tokenRequests.length === 2)
      const fiber = yield* Effect.forkChild(client.createMessage(hello))
      yield* Fiber.join(fiber)
      expect(standIn.oauth.refreshes()).toBe(1)
    }))
})
