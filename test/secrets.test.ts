import { describe, expect, it } from "@effect/vitest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Effect from "effect/Effect"
import * as path from "node:path"
import { inspect } from "node:util"
import * as Config from "../src/Config.js"
import * as Credentials from "../src/Credentials.js"
import * as StandIn from "../src/testing/StandIn.js"
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

const expectNoSecret = (value: unknown) => {
  for (const text of renderings(value)) for (const part of SECRET_PARTS) expect(text).not.toContain(part)
}


describe("no secret in any error, log or rendering", () => {
  it.scoped("API errors — even when the API echoes the credential back", () =>
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

  it.scoped("ConnectionError, ConfigError and NoCredentials", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      const url = standIn.url
      yield* Effect.promise(() => standIn.close())
      const { client } = yield* stack({ api_key: KEY, base_url: url, retry: { max_retries: 0 } })
      expectNoSecret(failureOf((yield* runClocked(client.createMessage(hello))).exit))

      const short = Config.fromYaml(`providers:\n  anthropic:\n    auth:\n      setup_token: sk-ant-oat01-TOPSECRET\n`)
      expect(short._tag).toBe("Left")
      expectNoSecret(short)

      const wrongType = Config.fromObject({ providers: { anthropic: { api_key: ["sk-ant-api03-TOPSECRET"] } } })
      expect(wrongType._tag).toBe("Left")
      expectNoSecret(wrongType)

      const dir = yield* tempDir
      const bundle = path.join(dir, "bundle.json")
      yield* writeFile(bundle, JSON.stringify({ access_token: TOKEN, refresh_token: 42, expires_at: "x" }))
      const settings = yield* Config.load({ config: { providers: { anthropic: { auth: { bundle } } } }, env: {} })
      expectNoSecret(failureOf(yield* Effect.exit(Credentials.resolve(settings))))

      const none = yield* Config.load({
        config: { providers: { anthropic: { auth: { mode: "static" } } } },
        env: {}
      })
      expectNoSecret(failureOf(yield* Effect.exit(Credentials.resolve(none))))
    }))

  it("settings and the credentials service render secrets as <redacted>", () =>
    Effect.gen(function*() {
      const settings = yield* Config.load({
        config: { providers: { anthropic: { api_key: KEY, auth: { setup_token: TOKEN } } } },
        env: {}
      })
      expectNoSecret(settings)
      expect(JSON.stringify(settings)).toContain("<redacted>")
      const service = yield* Credentials.fromResolution(yield* Credentials.resolve(settings), settings)
      expectNoSecret(service)
      expectNoSecret(yield* service.authorize)
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici), Effect.runPromise))
})
