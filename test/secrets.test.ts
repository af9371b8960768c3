import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as path from "node:path"
import { inspect } from "node:util"
import * as AnthropicConfig from "../src/AnthropicConfig.js"
import * as Credentials from "../src/Credentials.js"
import * as Errors from "../src/Errors.js"
import { scrubSecrets } from "../src/internal/tokens.js"
import * as StandIn from "../src/testing/StandIn.js"
// The client's own HttpClient (Effect 3 used NodeHttpClient.layerUndici, whose Effect 4 version needs Node >= 22.19).
import * as UndiciHttpClient from "../src/UndiciHttpClient.js"
import { hello, stack } from "./fixtures.js"
import { failureOf, runClocked, tempDir, writeFile } from "./helpers.js"

const KEY = "sk-ant-api03-TOPSECRETKEYVALUE"
const TOKEN = "sk-ant-oat01-TOPSECRETTOKEN" + "x".repeat(70)
const SECRET_PARTS = ["TOPSECRET"]

/** Every way an error (or a value) is turned into text. */
const renderings = (value: unknown): ReadonlyArray<string> => [
  String(value),
  JSON.stringify(value),
  inspect(value, { depth: 10 }),
  value instanceof Error ? `${value.message}\n${value.stack ?? ""}` : ""
]

const expectNoSecret = (value: unknown, parts: ReadonlyArray<string> = SECRET_PARTS) => {
  for (const text of renderings(value)) for (const part of parts) expect(text).not.toContain(part)
}

/** Keys and tokens as an API or token endpoint might echo them: whole, or without their `sk-ant-` prefix. */
const BODY = "AbCdTOPSECRETefgh0123_-ijkl"
const ECHOED = [
  `sk-ant-api03-${BODY}`,
  `api03-${BODY}`,
  `oat01-${BODY}`,
  `ort01-${BODY}`,
  `sk-ant-admin01-${BODY}`,
  `sk-ant-${BODY}`
].join(" and ")

/** A bundle-backed client against the stand-in whose token has expired, so the next call refreshes first. */
const expiredBundleClient = (extra: Record<string, unknown> = {}) =>
  Effect.gen(function*() {
    const dir = yield* tempDir
    const standIn = yield* StandIn.scoped()
    const bundle = path.join(dir, "secrets", "anthropic_oauth.json")
    const pair = standIn.oauth.issue()
    yield* writeFile(
      bundle,
      JSON.stringify({
        access_token: pair.access_token,
        refresh_token: pair.refresh_token,
        expires_at: new Date(0).toISOString()
      })
    )
    const { client } = yield* stack({
      base_url: standIn.url,
      auth: { mode: "oauth_bundle", bundle, token_url: standIn.oauth.tokenUrl },
      ...extra
    })
    return { client, pair, standIn }
  })


describe("no secret in any error, log or rendering", () => {
  it.effect("API errors — even when the API echoes the credential back", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      const replies = [
        StandIn.error(429, { retryAfterMs: "1", message: `rate limited for key ${KEY}` }),
        StandIn.error(401, { message: `invalid x-api-key ${KEY}` }),
        StandIn.error(500, { message: `boom ${KEY}` }),
        StandIn.error(400, { message: `bad request near ${KEY}` }),
        { type: "raw", status: 502, body: `<html>upstream saw ${KEY}</html>` } as const
      ]
      const { client } = yield* stack({ api_key: KEY, base_url: standIn.url, retry: { max_retries: 0 } })
      const tags = new Set<string>()
      for (const reply of replies) {
        standIn.enqueue(reply)
        const error = failureOf((yield* runClocked(client.createMessage(hello))).exit)
        tags.add(error._tag)
        expectNoSecret(error)
      }
      expect([...tags].sort()).toEqual(["CredentialInvalid", "Other", "RateLimit", "ServerError"])
    }))

  it.effect("ConnectionError, AnthropicConfigError and NoCredentials", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      const url = standIn.url
      yield* Effect.promise(() => standIn.close())
      const { client } = yield* stack({ api_key: KEY, base_url: url, retry: { max_retries: 0 } })
      expectNoSecret(failureOf((yield* runClocked(client.createMessage(hello))).exit))

      const short = yield* Effect.result(
        AnthropicConfig.fromYaml(`providers:\n  anthropic:\n    auth:\n      setup_token: sk-ant-oat01-TOPSECRET\n`)
      )
      expect(short._tag).toBe("Failure")
      expectNoSecret(short)

      const wrongType = AnthropicConfig.fromObject({ providers: { anthropic: { api_key: ["sk-ant-api03-TOPSECRET"] } } })
      expect(wrongType._tag).toBe("Failure")
      expectNoSecret(wrongType)

      const dir = yield* tempDir
      const bundle = path.join(dir, "bundle.json")
      yield* writeFile(bundle, JSON.stringify({ access_token: TOKEN, refresh_token: 42, expires_at: "x" }))
      const settings = yield* AnthropicConfig.load({ config: { providers: { anthropic: { auth: { bundle } } } }, env: {} })
      expectNoSecret(failureOf(yield* Effect.exit(Credentials.resolve(settings))))

      const none = yield* AnthropicConfig.load({
        config: { providers: { anthropic: { auth: { mode: "static" } } } },
        env: {}
      })
      expectNoSecret(failureOf(yield* Effect.exit(Credentials.resolve(none))))
    }))

  it("every error class scrubs every string field when it is made", () => {
    const api = { status: 400, errorType: ECHOED, apiMessage: ECHOED, requestId: ECHOED, retryable: false }
    const errors = [
      new Errors.RateLimit({ ...api, retryAfterMs: 1 }),
      new Errors.Other(api),
      new Errors.ServerError(api),
      new Errors.CredentialInvalid({ ...api, credential: "api_key", reason: "rejected" }),
      new Errors.LoginRequired({ credential: "oauth_bundle", location: ECHOED, detail: ECHOED }),
      new Errors.RefreshFailed({ credential: "cli_credentials", location: ECHOED, detail: ECHOED }),
      new Errors.AnthropicConfigError({ file: ECHOED, path: ECHOED, problem: ECHOED, fix: ECHOED }),
      new Errors.StreamError({ reason: "malformed", detail: ECHOED, requestId: ECHOED }),
      new Errors.ConnectionError({ reason: "transport", request: ECHOED, detail: ECHOED }),
      new Errors.NoCredentials({
        mode: ECHOED,
        tried: [{ source: "api_key", location: ECHOED, used: false, reason: ECHOED }]
      }),
      new Errors.ClientClosed({ detail: ECHOED }),
      new Errors.LoginFailed({ detail: ECHOED }),
      // Decoding (an error sent across a process boundary) goes through the same constructor.
      Schema.decodeUnknownSync(Errors.RateLimit)({ _tag: "RateLimit", ...api, retryAfterMs: 1 })
    ]
    for (const error of errors) {
      expectNoSecret(error)
      // The kind stays visible, so the message still says what was echoed.
      expect(error.message).toMatch(/sk-ant-api03-…\[redacted\]|api03-…\[redacted\]/)
    }
  })

  it("the scrubber leaves request ids, model names, paths and words alone, and is idempotent", () => {
    const plain = "req_011CffsirYGiLLcYcNXyb8wu: model claude-opus-4-1-20250805 (claude-haiku-4-5) not found; " +
      "see /home/ada/.claude/.credentials.json and https://api01-eu.example.com/v1/messages; import ort01 report"
    expect(scrubSecrets(plain)).toBe(plain)
    const error = new Errors.Other({
      status: 404,
      errorType: "not_found_error",
      apiMessage: plain,
      requestId: "req_011CffsirYGiLLcYcNXyb8wu",
      retryable: false
    })
    expect(error.apiMessage).toBe(plain)
    expect(error.requestId).toBe("req_011CffsirYGiLLcYcNXyb8wu")
    const once = scrubSecrets(ECHOED)
    expect(once).toBe(
      "sk-ant-api03-…[redacted] and api03-…[redacted] and oat01-…[redacted] and ort01-…[redacted] and " +
        "sk-ant-admin01-…[redacted] and sk-ant-…[redacted]"
    )
    expect(scrubSecrets(once)).toBe(once)
  })

  describe("a token echoed in the token endpoint's error_description", () => {
    const description = (refreshToken: string) =>
      `refresh token ${refreshToken} and ${refreshToken.replace(/^sk-ant-/, "")} rejected`

    it.effect("is not in LoginRequired (400 invalid_grant)", () =>
      Effect.gen(function*() {
        const { client, pair, standIn } = yield* expiredBundleClient()
        standIn.oauth.enqueueToken({
          type: "json",
          status: 400,
          body: { error: "invalid_grant", error_description: description(pair.refresh_token) }
        })
        const error = failureOf((yield* runClocked(client.createMessage(hello))).exit)
        expect(error._tag).toBe("LoginRequired")
        expect(error.message).toContain("invalid_grant")
        expect(error.message).toContain("ort01-…[redacted]")
        expectNoSecret(error, [pair.refresh_token.slice("sk-ant-ort01-".length)])
      }))

    it.effect("is not in RefreshFailed (500, no retries)", () =>
      Effect.gen(function*() {
        const { client, pair, standIn } = yield* expiredBundleClient({ retry: { max_retries: 0 } })
        standIn.oauth.enqueueToken({
          type: "json",
          status: 500,
          body: { error: "server_error", error_description: description(pair.refresh_token) }
        })
        const error = failureOf((yield* runClocked(client.createMessage(hello))).exit)
        expect(error._tag).toBe("RefreshFailed")
        expect(error.message).toContain("ort01-…[redacted]")
        expectNoSecret(error, [pair.refresh_token.slice("sk-ant-ort01-".length)])
      }))
  })

  it.effect("a token pasted into a credential file field of another type is described, never quoted", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const bundle = path.join(dir, "bundle.json")
      const settings = yield* AnthropicConfig.load({ config: { providers: { anthropic: { auth: { bundle } } } }, env: {} })
      // One token the scrubber knows by its shape, and one it cannot know (a bare secret): neither may come back.
      for (const pasted of [TOKEN, "hunter2-TOPSECRET-refresh"]) {
        yield* writeFile(bundle, JSON.stringify({ access_token: TOKEN, refresh_token: TOKEN, expires_at: pasted }))
        const error = failureOf(yield* Effect.exit(Credentials.resolve(settings)))
        expect(error._tag).toBe("AnthropicConfigError")
        expect((error as Errors.AnthropicConfigError).file).toBe(bundle)
        expect((error as Errors.AnthropicConfigError).path).toBe("expires_at")
        expect(error.message).toContain("ISO 8601")
        expectNoSecret(error, [...SECRET_PARTS, "hunter2"])
      }
    }))

  it("settings and the credentials service render secrets as <redacted>", () =>
    Effect.gen(function*() {
      const settings = yield* AnthropicConfig.load({
        config: { providers: { anthropic: { api_key: KEY, auth: { setup_token: TOKEN } } } },
        env: {}
      })
      expectNoSecret(settings)
      expect(JSON.stringify(settings)).toContain("<redacted>")
      const resolution = yield* Credentials.resolve(settings)
      const service = Context.get(yield* Layer.build(Credentials.layerResolved(resolution, settings)), Credentials.Credentials)
      expectNoSecret(service)
      expectNoSecret(yield* service.authorize)
    }).pipe(Effect.scoped, Effect.provide(UndiciHttpClient.layer), Effect.runPromise))
})
