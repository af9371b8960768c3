import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/testing/TestClock"
import * as path from "node:path"
import * as AnthropicClient from "../src/AnthropicClient.js"
import type * as Messages from "../src/Messages.js"
import * as StandIn from "../src/testing/StandIn.js"
import * as TestLayers from "../src/testing/TestLayers.js"
import { API_KEY, hello, stack } from "./fixtures.js"
import { failureOf, realPause, runClocked, tempDir, writeFile, sleeps } from "./helpers.js"

describe("AnthropicHttpClient: the error table", () => {
  it.effect("429 without retry headers waits the 60 s fallback, exactly", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped({ replies: [StandIn.error(429)] })
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
      const fiber = yield* Effect.forkChild(client.createMessage(hello))
      yield* StandIn.until(standIn, () => standIn.requests.length === 1)
      // Wait until the retry is scheduled (not the request deadlines' 600 s watchdog), then walk the clock up to the edge.
      while (!(yield* sleeps).some((at) => at <= 120_000)) yield* realPause()
      yield* TestClock.adjust("59999 millis")
      yield* realPause(50)
      expect(standIn.requests.length).toBe(1)
      yield* TestClock.adjust("1 millis")
      yield* StandIn.until(standIn, () => standIn.requests.length === 2)
      const msg = yield* Fiber.join(fiber)
      expect(msg.content[0]).toEqual({ type: "text", text: "echo: hello" })
    }))

  it.effect("429 honours retry-after (seconds), retry-after-ms (first) and an HTTP date", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped({
        replies: [
          StandIn.error(429, { retryAfter: "3" }),
          StandIn.error(429, { retryAfter: "30", retryAfterMs: "1500" }),
          // TestClock starts at the epoch, so this date is 20 s after the test's "now".
          StandIn.error(429, { retryAfter: new Date(20_000).toUTCString() })
        ]
      })
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url, retry: { max_retries: 3 } })
      const { exit, waits } = yield* runClocked(client.createMessage(hello))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(waits[0]).toBe(3000)
      expect(waits[1]).toBe(1500)
      expect(waits[2]).toBe(20_000 - 3000 - 1500)
      expect(standIn.requests.length).toBe(4)
    }))

  it.effect("429 honours the obsolete HTTP-date forms (RFC 850, asctime) as UTC", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped({
        replies: [
          StandIn.error(429, { retryAfter: "Thursday, 01-Jan-70 00:00:07 GMT" }),
          StandIn.error(429, { retryAfter: "Thu Jan  1 00:00:19 1970" })
        ]
      })
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url, retry: { max_retries: 2 } })
      const { exit, waits } = yield* runClocked(client.createMessage(hello))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(waits).toEqual([7000, 12_000])
    }))

  // A proxy that sends the header twice: the client sees the values joined with ", ".
  const duplicated: ReadonlyArray<readonly [string, { retryAfter?: string; retryAfterMs?: string }, number]> = [
    ["retry-after: 5 sent twice", { retryAfter: "5, 5" }, 5000],
    ["retry-after: 5 then 10", { retryAfter: "5, 10" }, 5000],
    ["retry-after-ms: 1500 sent twice", { retryAfterMs: "1500,1500" }, 1500],
    ["an HTTP-date sent twice", { retryAfter: `${new Date(4000).toUTCString()}, ${new Date(4000).toUTCString()}` }, 4000]
  ]
  for (const [name, header, expected] of duplicated) {
    it.effect(`429 with ${name} waits for the first value (${expected} ms)`, () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped({ replies: [StandIn.error(429, header)] })
        const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
        const { exit, waits } = yield* runClocked(client.createMessage(hello))
        expect(Exit.isSuccess(exit)).toBe(true)
        expect(waits).toEqual([expected])
      }))
  }

  // Values `Date.parse` used to take (as the year 5, or -1) for a date in the past: an immediate retry.
  for (const value of ["+5", "-1", "7 8", "0x10", "3 days", "NaN", "1e999", "Infinity"]) {
    it.effect(`429 with retry-after: ${value} ignores it and waits the 60 s fallback`, () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped({ replies: [StandIn.error(429, { retryAfter: value })] })
        const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
        const { exit, waits } = yield* runClocked(client.createMessage(hello))
        expect(Exit.isSuccess(exit)).toBe(true)
        expect(waits).toEqual([60_000])
      }))
  }

  it.effect("a 5xx retry-after-ms of -5 or +5 is ignored: the backoff applies", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped({
        replies: [StandIn.error(503, { retryAfterMs: "-5" }), StandIn.error(503, { retryAfterMs: "+5" })]
      })
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
      const { exit, waits } = yield* runClocked(client.createMessage(hello))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(waits[0]).toBeGreaterThanOrEqual(375)
      expect(waits[1]).toBeGreaterThanOrEqual(750)
    }))

  it.effect("429 exhausts max_retries and fails with RateLimit carrying status, type, message and request-id", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      standIn.setDefault(StandIn.error(429, { retryAfterMs: "10", message: "Number of requests has exceeded your rate limit" }))
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url, retry: { max_retries: 2 } })
      const { exit, waits } = yield* runClocked(client.createMessage(hello))
      const error = failureOf(exit)
      expect(error._tag).toBe("RateLimit")
      if (error._tag !== "RateLimit") return
      expect(error.retryAfterMs).toBe(10)
      expect(error.status).toBe(429)
      expect(error.errorType).toBe("rate_limit_error")
      expect(error.apiMessage).toBe("Number of requests has exceeded your rate limit")
      expect(error.requestId).toMatch(/^req_/)
      expect(standIn.requests.length).toBe(3)
      expect(waits).toEqual([10, 10])
    }))

  for (const status of [401, 403]) {
    it.effect(`${status} → CredentialInvalid naming the API key, never retried`, () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped()
        standIn.setDefault(StandIn.error(status, { shouldRetry: true }))
        const { client, credentials } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
        const { exit } = yield* runClocked(client.createMessage(hello))
        const error = failureOf(exit)
        expect(error._tag).toBe("CredentialInvalid")
        if (error._tag !== "CredentialInvalid") return
        expect(error.credential).toBe("api_key")
        expect(error.status).toBe(status)
        expect(error.message).toContain("API key")
        expect(standIn.requests.length).toBe(1)
        expect(yield* credentials.isStale).toBe(false)
      }))
  }

  it.effect("401 on an OAuth bundle token → CredentialInvalid naming OAuth and marks the token stale", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const bundle = path.join(dir, "bundle.json")
      yield* writeFile(
        bundle,
        JSON.stringify({ access_token: "sk-ant-oat01-a", refresh_token: "sk-ant-ort01-r", expires_at: "2099-01-01T00:00:00Z" })
      )
      const standIn = yield* StandIn.scoped({ replies: [StandIn.error(401)] })
      const { client, credentials } = yield* stack({ base_url: standIn.url, auth: { mode: "oauth_bundle", bundle } })
      expect(yield* credentials.isStale).toBe(false)
      const { exit } = yield* runClocked(client.createMessage(hello))
      const error = failureOf(exit)
      expect(error._tag).toBe("CredentialInvalid")
      if (error._tag !== "CredentialInvalid") return
      expect(error.credential).toBe("oauth_bundle")
      expect(error.message).toContain("OAuth")
      expect(standIn.requests.length).toBe(1)
      expect(yield* credentials.isStale).toBe(true)
    }))

  it.effect("400 'only authorized for use with Claude Code' on a subscription token explains the policy", () =>
    Effect.gen(function*() {
      const token = "sk-ant-oat01-" + "p".repeat(80)
      const standIn = yield* StandIn.scoped({
        replies: [
          StandIn.error(400, {
            message: "This credential is only authorized for use with Claude Code and cannot be used for other API requests."
          })
        ]
      })
      const { client } = yield* stack({ base_url: standIn.url, auth: { mode: "setup_token", setup_token: token } })
      const { exit } = yield* runClocked(client.createMessage(hello))
      const error = failureOf(exit)
      expect(error._tag).toBe("CredentialInvalid")
      if (error._tag !== "CredentialInvalid") return
      expect(error.reason).toBe("subscription_policy")
      expect(error.message).toContain("approved")
      expect(error.message).toContain("auth.mode: static")
      expect(standIn.requests.length).toBe(1)
    }))

  for (const status of [500, 502, 503, 529]) {
    it.effect(`${status} → ServerError, retried with backoff until it succeeds`, () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped({ replies: [StandIn.error(status), StandIn.error(status)] })
        const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
        const { exit, waits } = yield* runClocked(client.createMessage(hello))
        expect(Exit.isSuccess(exit)).toBe(true)
        expect(standIn.requests.length).toBe(3)
        // min(0.5·2ⁿ, 8) s less up to 25 % jitter
        expect(waits[0]).toBeGreaterThanOrEqual(375)
        expect(waits[0]).toBeLessThanOrEqual(500)
        expect(waits[1]).toBeGreaterThanOrEqual(750)
        expect(waits[1]).toBeLessThanOrEqual(1000)
      }))
  }

  it.effect("529 gives up after max_retries with ServerError overloaded_error", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      standIn.setDefault(StandIn.error(529, { message: "Overloaded" }))
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url, retry: { max_retries: 4 } })
      const { exit, waits } = yield* runClocked(client.createMessage(hello))
      const error = failureOf(exit)
      expect(error._tag).toBe("ServerError")
      if (error._tag !== "ServerError") return
      expect(error.status).toBe(529)
      expect(error.errorType).toBe("overloaded_error")
      expect(error.apiMessage).toBe("Overloaded")
      expect(standIn.requests.length).toBe(5)
      expect(waits.length).toBe(4)
      expect(waits[3]).toBeGreaterThanOrEqual(3000) // 0.5·2³ = 4 s, less jitter
    }))

  for (const status of [400, 404, 413, 422]) {
    it.effect(`${status} → Other, fails fast`, () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped({ replies: [StandIn.error(status)] })
        const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
        const { exit } = yield* runClocked(client.createMessage(hello))
        const error = failureOf(exit)
        expect(error._tag).toBe("Other")
        expect(standIn.requests.length).toBe(1)
      }))
  }

  it.effect("x-should-retry: false stops a 529 retry; true makes a 400 retryable; 401 stays final", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped({
        replies: [
          StandIn.error(529, { shouldRetry: false }),
          StandIn.error(400, { shouldRetry: true }),
          StandIn.text("after a retried 400"),
          StandIn.error(401, { shouldRetry: true })
        ]
      })
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
      const first = yield* runClocked(client.createMessage(hello))
      expect(failureOf(first.exit)._tag).toBe("ServerError")
      expect(standIn.requests.length).toBe(1)
      const second = yield* runClocked(client.createMessage(hello))
      expect(Exit.isSuccess(second.exit)).toBe(true)
      expect(standIn.requests.length).toBe(3)
      const third = yield* runClocked(client.createMessage(hello))
      expect(failureOf(third.exit)._tag).toBe("CredentialInvalid")
      expect(standIn.requests.length).toBe(4)
    }))

  it.effect("a 5xx retry-after within a minute is honoured", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped({ replies: [StandIn.error(503, { retryAfter: "2" })] })
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
      const { exit, waits } = yield* runClocked(client.createMessage(hello))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(waits).toEqual([2000])
    }))

  it.effect("a dropped connection is a ConnectionError and is retried", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped({ replies: [{ type: "hangup" }, { type: "hangup" }] })
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
      const { exit } = yield* runClocked(client.createMessage(hello))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(standIn.requests.length).toBe(3)
    }))

  it.effect("a refused connection fails with ConnectionError after max_retries + 1 attempts", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      const url = standIn.url
      yield* Effect.promise(() => standIn.close())
      const { client } = yield* stack({ api_key: API_KEY, base_url: url, retry: { max_retries: 1 } })
      const { exit, waits } = yield* runClocked(client.createMessage(hello))
      const error = failureOf(exit)
      expect(error._tag).toBe("ConnectionError")
      expect(error.message).toContain("ECONNREFUSED")
      expect(waits.length).toBe(1)
    }))

  it.effect("timeout_ms bounds each attempt", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped({ replies: [{ type: "stall" }] })
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url, timeout_ms: 5000 })
      const { exit, waits } = yield* runClocked(client.createMessage(hello))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(waits[0]).toBe(5000)
      expect(standIn.requests.length).toBe(2)
    }))

  it.effect("max_retries: 0 sends exactly one request", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      standIn.setDefault(StandIn.error(500))
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url, retry: { max_retries: 0 } })
      const { exit } = yield* runClocked(client.createMessage(hello))
      expect(failureOf(exit)._tag).toBe("ServerError")
      expect(standIn.requests.length).toBe(1)
    }))

  it.effect("a 200 that is not JSON is Other invalid_response, not retried", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped({ replies: [{ type: "raw", status: 200, body: "<html>proxy</html>" }] })
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
      const { exit } = yield* runClocked(client.createMessage(hello))
      const error = failureOf(exit)
      expect(error._tag).toBe("Other")
      if (error._tag === "Other") expect(error.errorType).toBe("invalid_response")
      expect(standIn.requests.length).toBe(1)
    }))
})

describe("AnthropicHttpClient: hostile and unusual answers", () => {
  it.effect("a 2 MB Message and a 3 MB error body arrive whole (bodies over 1 MiB once never completed)", () =>
    Effect.gen(function*() {
      const big = "x".repeat(2 * 1024 * 1024)
      const standIn = yield* StandIn.scoped({
        replies: [
          StandIn.text(big),
          {
            type: "json",
            status: 400,
            headers: { "request-id": "req_big" },
            body: {
              type: "error",
              error: { type: "invalid_request_error", message: "the API's own message" },
              padding: "y".repeat(3 * 1024 * 1024)
            }
          }
        ]
      })
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url, retry: { max_retries: 0 } })
      const message = yield* client.createMessage(hello)
      expect(message.content).toEqual([{ type: "text", text: big }])
      const error = yield* Effect.flip(client.createMessage(hello))
      expect(error._tag).toBe("Other")
      if (error._tag !== "Other") return
      expect(error.errorType).toBe("invalid_request_error")
      expect(error.apiMessage).toBe("the API's own message")
      expect(error.requestId).toBe("req_big")
    }))

  it.effect("error.type, request_id, the request-id header and an OAuth error code are clipped like the message", () =>
    Effect.gen(function*() {
      const huge = 5_000_000
      const standIn = yield* StandIn.scoped({
        replies: [
          { type: "json", status: 400, body: { type: "error", error: { type: "t".repeat(huge), message: "short" } } },
          {
            type: "json",
            status: 400,
            body: { type: "error", error: { type: "invalid_request_error", message: "short" }, request_id: "r".repeat(huge) }
          },
          // Node's HTTP parser bounds a header at 16 KiB; the error keeps far less.
          { type: "raw", status: 500, body: "down", headers: { "request-id": "h".repeat(12_000) } },
          { type: "raw", status: 200, body: "not json", headers: { "request-id": "j".repeat(12_000) } }
        ]
      })
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url, retry: { max_retries: 0 } })
      for (let i = 0; i < 4; i++) {
        const error = yield* Effect.flip(client.createMessage(hello))
        if (error._tag !== "Other" && error._tag !== "ServerError") throw new Error(`unexpected ${error._tag}`)
        expect(error.errorType.length).toBeLessThanOrEqual(300)
        expect((error.requestId ?? "").length).toBeLessThanOrEqual(300)
        expect(error.message.length).toBeLessThan(3000)
        expect(JSON.stringify(error).length).toBeLessThan(3000)
      }
    }))

  it.effect("the token endpoint's error code is clipped too", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const standIn = yield* StandIn.scoped()
      const bundle = path.join(dir, "bundle.json")
      const pair = standIn.oauth.issue()
      yield* writeFile(bundle, JSON.stringify({ ...pair, expires_at: new Date(0).toISOString() }))
      standIn.oauth.enqueueToken({ type: "json", status: 400, body: { error: "e".repeat(5_000_000) } })
      const { client } = yield* stack({
        base_url: standIn.url,
        retry: { max_retries: 0 },
        auth: { mode: "oauth_bundle", bundle, token_url: standIn.oauth.tokenUrl }
      })
      const error = failureOf((yield* runClocked(client.createMessage(hello))).exit)
      expect(error._tag).toBe("RefreshFailed")
      expect(error.message.length).toBeLessThan(3000)
      expect(JSON.stringify(error).length).toBeLessThan(6000)
    }))

  for (
    const [header, expectedMs] of [[{ retryAfter: String(10 ** 12) }, 10 ** 15], [{ retryAfterMs: "1e12" }, 10 ** 12]] as const
  ) {
    it.effect(`a 429 asking to wait past retry.max_retry_after_ms (${JSON.stringify(header)}) fails at once`, () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped({ replies: [StandIn.error(429, header)] })
        const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url, retry: { max_retries: 5 } })
        const { exit, waits } = yield* runClocked(client.createMessage(hello))
        const error = failureOf(exit)
        expect(error._tag).toBe("RateLimit")
        if (error._tag === "RateLimit") expect(error.retryAfterMs).toBe(expectedMs)
        expect(waits).toEqual([])
        expect(standIn.requests.length).toBe(1)
      }))
  }

  it.effect("retry.max_retry_after_ms sets the cap: a wait at it is honoured, one past it fails at once", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped({
        replies: [StandIn.error(429, { retryAfterMs: "5000" }), StandIn.text("ok"), StandIn.error(429, { retryAfterMs: "5001" })]
      })
      const { client } = yield* stack({
        api_key: API_KEY,
        base_url: standIn.url,
        retry: { max_retries: 3, max_retry_after_ms: 5000 }
      })
      const first = yield* runClocked(client.createMessage(hello))
      expect(Exit.isSuccess(first.exit)).toBe(true)
      expect(first.waits).toEqual([5000])
      const second = yield* runClocked(client.createMessage(hello))
      expect(failureOf(second.exit)._tag).toBe("RateLimit")
      expect(second.waits).toEqual([])
      expect(standIn.requests.length).toBe(3)
    }))

  it.effect("a 429 for a reached spend limit fails at once, says so, and tells how to fix it", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped({
        replies: [{
          type: "json",
          status: 429,
          // Even a server inviting a retry cannot make this one pass.
          headers: { "request-id": "req_spend", "x-should-retry": "true" },
          body: {
            type: "error",
            error: {
              type: "rate_limit_error",
              message: "You have reached your specified API usage limits.",
              details: { error_code: "enforced_spend_limit_reached" }
            }
          }
        }]
      })
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url, retry: { max_retries: 3 } })
      const { exit, waits } = yield* runClocked(client.createMessage(hello))
      const error = failureOf(exit)
      expect(error._tag).toBe("RateLimit")
      if (error._tag !== "RateLimit") return
      expect(error.spendLimitReached).toBe(true)
      expect(error.retryable).toBe(false)
      expect(error.message).toContain("raise the organization's spend limit")
      expect(waits).toEqual([])
      expect(standIn.requests.length).toBe(1)
    }))

  it.effect("an ordinary 429 says it is not the spend limit", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped({ replies: [StandIn.error(429, { retryAfterMs: "1" })] })
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url, retry: { max_retries: 0 } })
      const error = yield* Effect.flip(client.createMessage(hello))
      expect(error._tag === "RateLimit" && error.spendLimitReached).toBe(false)
    }))

  for (const status of [408, 409]) {
    it.effect(`${status} is retried, as the official SDK does`, () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped({ replies: [StandIn.error(status)] })
        const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
        const { exit, waits } = yield* runClocked(client.createMessage(hello))
        expect(Exit.isSuccess(exit)).toBe(true)
        expect(standIn.requests.length).toBe(2)
        expect(waits.length).toBe(1)
      }))
  }

  it.effect("backoff is capped at 8 s: with max_retries 7 on a 5xx no wait is longer, the later ones reach it", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      standIn.setDefault(StandIn.error(500))
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url, retry: { max_retries: 7 } })
      const { exit, waits } = yield* runClocked(client.createMessage(hello))
      expect(failureOf(exit)._tag).toBe("ServerError")
      expect(waits.length).toBe(7)
      for (const wait of waits) expect(wait).toBeLessThanOrEqual(8000)
      // 0.5·2⁴ = 8 s and beyond: capped at 8 s, less up to 25 % jitter.
      for (const wait of waits.slice(4)) expect(wait).toBeGreaterThanOrEqual(6000)
    }))
})

describe("AnthropicHttpClient: per-call headers", () => {
  const SETUP_TOKEN = "sk-ant-oat01-" + "s".repeat(80)

  it.effect("an API key call: Authorization in any case is dropped, never sent beside x-api-key", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
      yield* client.createMessage(hello, { headers: { Authorization: "Bearer someone-else", "X-API-KEY": "sk-ant-api03-other" } })
      const headers = standIn.requests[0]!.headers
      expect(headers["x-api-key"]).toBe(API_KEY)
      expect(headers.authorization).toBeUndefined()
    }))

  it.effect("a token call: X-Api-Key is dropped, the Bearer token wins over a caller's authorization", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      const { client } = yield* stack({ base_url: standIn.url, auth: { mode: "setup_token", setup_token: SETUP_TOKEN } })
      yield* client.createMessage(hello, { headers: { "X-Api-Key": "sk-ant-api03-other", AUTHORIZATION: "Bearer other" } })
      const headers = standIn.requests[0]!.headers
      expect(headers.authorization).toBe(`Bearer ${SETUP_TOKEN}`)
      expect(headers["x-api-key"]).toBeUndefined()
    }))

  it.effect("a caller's Anthropic-Beta is merged with the credential's, the configured and the call's betas", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      const { client } = yield* stack({
        base_url: standIn.url,
        betas: ["prompt-caching-2024-07-31"],
        auth: { mode: "setup_token", setup_token: SETUP_TOKEN }
      })
      yield* client.createMessage(hello, {
        betas: ["token-efficient-tools-2025-02-19"],
        headers: { "Anthropic-Beta": "files-api-2025-04-14, prompt-caching-2024-07-31", "X-Trace": "t1" }
      })
      const headers = standIn.requests[0]!.headers
      expect(headers["anthropic-beta"]).toBe(
        "oauth-2025-04-20,prompt-caching-2024-07-31,token-efficient-tools-2025-02-19,files-api-2025-04-14"
      )
      expect(headers["x-trace"]).toBe("t1")
      // A stream carries its own `accept`; a caller's Anthropic-Beta reaches it too.
      yield* Stream.runDrain(client.stream(hello, { headers: { "anthropic-BETA": "files-api-2025-04-14" } }))
      expect(standIn.requests[1]!.headers["anthropic-beta"]).toBe("oauth-2025-04-20,prompt-caching-2024-07-31,files-api-2025-04-14")
      expect(standIn.requests[1]!.headers.accept).toBe("text/event-stream")
      // The next plain call is served by the cached headers, untouched by the calls before.
      yield* client.createMessage(hello)
      expect(standIn.requests[2]!.headers["anthropic-beta"]).toBe("oauth-2025-04-20,prompt-caching-2024-07-31")
      expect(standIn.requests[2]!.headers["x-trace"]).toBeUndefined()
    }))
})

describe("AnthropicHttpClient: params JSON cannot encode", () => {
  const cyclic: Record<string, unknown> = { role: "user", content: "hi" }
  cyclic.loopsBackHere = cyclic
  const cases: ReadonlyArray<readonly [string, Messages.MessageCreateParams, RegExp]> = [
    ["a BigInt", { ...hello, metadata: { user_id: 1n as never } }, /hold a BigInt/],
    ["a cycle", { ...hello, messages: [cyclic as never] }, /refer to themselves/]
  ]
  for (const [name, params, why] of cases) {
    it.effect(`${name}: createMessage and stream fail with Other invalid_request, nothing sent, no defect`, () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn.scoped()
        const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
        for (const call of [client.createMessage(params), Stream.runDrain(client.stream(params))]) {
          const error = failureOf(yield* Effect.exit(call))
          expect(error._tag).toBe("InvalidRequest")
          if (error._tag !== "InvalidRequest") return
          expect(error.detail).toMatch(/^the request params cannot be sent as JSON: /)
          expect(error.detail).toMatch(why)
          // Never quotes the params (a cycle's message from V8 names its properties).
          expect(error.message).not.toContain("loopsBackHere")
        }
        expect(standIn.requests.length).toBe(0)
      }))
  }
})

describe("AnthropicHttpClient over another HttpClient", () => {
  it.effect("timeout_ms still bounds each attempt (Effect.timeoutFail instead of UndiciHttpClient's deadlines)", () =>
    Effect.gen(function*() {
      let calls = 0
      const services = yield* Layer.build(TestLayers.layer({
        // A fake server that never answers.
        http: () => {
          calls++
          return new Promise<never>(() => {})
        },
        config: { providers: { anthropic: { timeout_ms: 5000, retry: { max_retries: 1 } } } }
      }))
      const client = Context.get(services, AnthropicClient.AnthropicClient)
      const { exit, waits } = yield* runClocked(client.createMessage(hello))
      const error = failureOf(exit)
      expect(error._tag).toBe("ConnectionError")
      if (error._tag === "ConnectionError") {
        expect(error.reason).toBe("timeout")
        expect(error.detail).toContain("timeout_ms (5000 ms)")
      }
      expect(waits[0]).toBe(5000)
      expect(calls).toBe(2)
    }))
})

describe("RateLimiter through the client", () => {
  it.effect("spaces concurrent callers at 2 requests per second", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      const { client } = yield* stack({
        api_key: API_KEY,
        base_url: standIn.url,
        rate_limit: { requests_per_second: 2 }
      })
      const fiber = yield* Effect.forkChild(Effect.all(Array.from({ length: 5 }, () => client.createMessage(hello)), {
        concurrency: "unbounded"
      }))
      yield* StandIn.until(standIn, () => standIn.requests.length === 1)
      for (let n = 2; n <= 5; n++) {
        yield* TestClock.adjust("499 millis")
        yield* realPause(40)
        expect(standIn.requests.length).toBe(n - 1)
        yield* TestClock.adjust("1 millis")
        yield* StandIn.until(standIn, () => standIn.requests.length === n)
      }
      const results = yield* Fiber.join(fiber)
      expect(results.length).toBe(5)
    }))

  it.effect("a fractional rate (0.5 rps) spaces calls two seconds apart; retries take slots too", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped({ replies: [StandIn.error(500, { retryAfterMs: "0" })] })
      const { client } = yield* stack({
        api_key: API_KEY,
        base_url: standIn.url,
        rate_limit: { requests_per_second: 0.5 }
      })
      const fiber = yield* Effect.forkChild(client.createMessage(hello))
      yield* StandIn.until(standIn, () => standIn.requests.length === 1)
      yield* TestClock.adjust("1999 millis")
      yield* realPause(40)
      expect(standIn.requests.length).toBe(1)
      yield* TestClock.adjust("1 millis")
      yield* StandIn.until(standIn, () => standIn.requests.length === 2)
      yield* Fiber.join(fiber)
    }))
})
