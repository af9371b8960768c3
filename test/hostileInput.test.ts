/** Careless or hostile input through the Promise client: each is one tagged error, never a throw or a leak. */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { inspect } from "node:util"
import type * as Messages from "../src/Messages.js"
import { AnthropicConfigError, InvalidRequest } from "../src/Errors.js"
import { type Client, createClient } from "../src/PromiseClient.js"
import * as StandIn from "../src/testing/StandIn.js"
import { API_KEY, hello } from "./fixtures.js"

/** A Promise client closed with the test's scope. */
const promiseClient = (anthropic: Record<string, unknown>) =>
  Effect.acquireRelease(
    Effect.promise(() => createClient({ config: { providers: { anthropic } }, env: {} })),
    (client) => Effect.promise(() => client.close())
  )

/** Runs `call` and returns what it rejected with; a synchronous throw fails the test. */
const rejection = (call: () => Promise<unknown>): Effect.Effect<unknown> =>
  Effect.promise(() => {
    const pending = call() // throws here if the call throws synchronously
    return pending.then(() => undefined, (error: unknown) => error)
  })

describe("params JSON cannot encode, through the Promise client", () => {
  const params: Messages.MessageCreateParams = { ...hello, metadata: { user_id: 10n as never } }

  it.effect("create rejects with InvalidRequest (never throws synchronously); stream too", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      const client: Client = yield* promiseClient({ api_key: API_KEY, base_url: standIn.url })
      for (const call of [() => client.messages.create(params), () => client.messages.stream(params).finalMessage()]) {
        const error = yield* rejection(call)
        expect(error).toBeInstanceOf(InvalidRequest)
        expect((error as InvalidRequest).message).toContain("cannot be sent as JSON")
      }
      expect(standIn.requests.length).toBe(0)
    }))
})

describe("credentials in a URL never reach an error", () => {
  const SECRET = "GatewayPassw0rd"
  for (
    const base_url of [
      `http://gwuser:${SECRET}@127.0.0.1:1`,
      `http://127.0.0.1:1/proxy?token=${SECRET}`,
      `http://127.0.0.1:1/proxy#${SECRET}`
    ]
  ) {
    it.effect(`createClient refuses base_url ${base_url.replace(SECRET, "…")}, naming the key only`, () =>
      Effect.gen(function*() {
        const error = yield* rejection(() =>
          createClient({ config: { providers: { anthropic: { api_key: API_KEY, base_url } } }, env: {} })
        )
        expect(error).toBeInstanceOf(AnthropicConfigError)
        const configError = error as AnthropicConfigError
        expect(configError.path).toBe("providers.anthropic.base_url")
        expect(configError.fix).toContain("never in a URL")
        for (const text of [configError.message, JSON.stringify(configError), inspect(configError), configError.stack]) {
          expect(text).not.toContain(SECRET)
          expect(text).not.toContain("gwuser")
        }
      }))
  }
})
