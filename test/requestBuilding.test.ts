/**
 * What a call sends is built from the caller's params and options alone: only the call options, never a path or body
 * slipped in through them, and `stream` set by the method, whatever the params say (careless callers without types).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { paramsWithStream, withCallOptions } from "../src/internal/http/request.js"
import * as Messages from "../src/Messages.js"
import * as MessageStream from "../src/MessageStream.js"
import { createClient } from "../src/PromiseClient.js"
import * as StandIn from "../src/testing/StandIn.js"
import { API_KEY, hello, stack } from "./fixtures.js"

describe("request building", () => {
  it("withCallOptions sets only the call options on the request, which keeps its own keys", () => {
    const onResponse = () => {}
    const smuggled = { betas: ["b"], timeoutMs: 5, maxRetries: 1, onResponse, path: "/v1/other", body: { x: 1 }, method: "DELETE" }
    const request = withCallOptions({ path: "/v1/messages", body: { y: 2 } }, smuggled as never)
    expect(request).toEqual({ path: "/v1/messages", body: { y: 2 }, betas: ["b"], timeoutMs: 5, maxRetries: 1, onResponse })
    expect(withCallOptions({ path: "/p" }, { onResponse: "not a function" } as never)).toEqual({ path: "/p" })
    expect(withCallOptions({ path: "/p" }, undefined)).toEqual({ path: "/p" })
  })

  it("paramsWithStream copies the params, `stream` as the method says, the caller's object untouched", () => {
    const params = { model: "m", max_tokens: 1, messages: [], stream: true } as const
    const unary = paramsWithStream(params, undefined)
    expect(unary).not.toBe(params)
    expect(JSON.parse(JSON.stringify(unary))).toEqual({ model: "m", max_tokens: 1, messages: [] })
    expect(params.stream).toBe(true)
    const plain = { model: "m", max_tokens: 1, messages: [] }
    expect(paramsWithStream(plain, true)).toEqual({ ...plain, stream: true })
    expect(plain).not.toHaveProperty("stream")
  })

  it.effect("a create sent with `stream: true` in its params goes out unary, to /v1/messages, and answers a Message", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
      const careless = { ...hello, stream: true } as unknown as Messages.MessageCreateParams
      const message = yield* client.createMessage(careless, { path: "/v1/files" } as never)
      expect(message.type).toBe("message")
      expect(standIn.requests[0]!.path).toBe("/v1/messages")
      expect(standIn.requests[0]!.body).toEqual(hello)
      const streamed = yield* MessageStream.finalMessage(client.stream({ ...hello, stream: false } as never))
      expect(streamed.type).toBe("message")
      expect(standIn.requests[1]!.body).toEqual({ ...hello, stream: true })
    }))

  it("the Promise client sends the caller's headers and betas, tells their onResponse and keeps withResponse", async () => {
    const standIn = await StandIn.start()
    try {
      const client = await createClient({
        config: { providers: { anthropic: { api_key: "${KEY}", base_url: standIn.url } } },
        env: { KEY: API_KEY }
      })
      const seen: Array<string | undefined> = []
      const signal = new AbortController().signal
      const { data, requestId, message } = await client.messages.create(hello, {
        signal,
        headers: { "x-trace": "t1" },
        betas: ["beta-one"],
        onResponse: (response) => seen.push(response.requestId)
      }).withResponse()
      expect(data).toBe(message)
      expect(seen).toEqual([requestId])
      expect(requestId).toMatch(/^req_/)
      expect(standIn.requests[0]!.headers["x-trace"]).toBe("t1")
      expect(standIn.requests[0]!.headers["anthropic-beta"]).toContain("beta-one")
      await client.close()
    } finally {
      await standIn.close()
    }
  })
})
