import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as AnthropicClient from "../src/AnthropicClient.js"
import * as Messages from "../src/Messages.js"
import * as StandIn from "../src/testing/StandIn.js"
import * as TestLayers from "../src/testing/TestLayers.js"
import { API_KEY, stack } from "./fixtures.js"

const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="

/** A request that uses every kind of input the API takes. */
const everything: Messages.MessageCreateParams = {
  model: "claude-sonnet-4-5",
  max_tokens: 4096,
  system: [{ type: "text", text: "You are terse.", cache_control: { type: "ephemeral", ttl: "1h" } }],
  metadata: { user_id: "user-1" },
  stop_sequences: ["\n\nHuman:"],
  temperature: 1,
  thinking: { type: "enabled", budget_tokens: 2048 },
  tools: [
    {
      name: "get_weather",
      description: "Weather for a city",
      input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
      cache_control: { type: "ephemeral" }
    },
    { type: "web_search_20250305", name: "web_search", max_uses: 2 }
  ],
  tool_choice: { type: "auto", disable_parallel_tool_use: true },
  messages: [
    {
      role: "user",
      content: [
        { type: "text", text: "What is in these?" },
        { type: "image", source: { type: "base64", media_type: "image/png", data: PNG } },
        { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
        { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0=" }, title: "A" },
        { type: "document", source: { type: "text", media_type: "text/plain", data: "plain" }, citations: { enabled: true } },
        { type: "document", source: { type: "url", url: "https://example.com/a.pdf" }, cache_control: { type: "ephemeral" } }
      ]
    },
    {
      role: "assistant",
      content: [
        { type: "thinking", thinking: "Let me look.", signature: "sig-abc" },
        { type: "redacted_thinking", data: "opaque" },
        { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } }
      ]
    },
    {
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "toolu_1", content: [{ type: "text", text: "18°C" }] },
        { type: "tool_result", tool_use_id: "toolu_2", content: "failed", is_error: true }
      ]
    }
  ]
}

describe("Messages", () => {
  it("the request schema accepts every input kind and refuses a bad budget", () => {
    expect(Schema.is(Messages.MessageCreateParams)(everything)).toBe(true)
    expect(Schema.is(Messages.MessageCreateParams)({ ...everything, thinking: { type: "enabled", budget_tokens: 10 } }))
      .toBe(false)
    for (const choice of [{ type: "any" }, { type: "tool", name: "x" }, { type: "none" }]) {
      expect(Schema.is(Messages.ToolChoice)(choice)).toBe(true)
    }
  })

  it.effect("every input kind reaches the API unchanged, in its own JSON names", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
      yield* client.createMessage(everything)
      expect(standIn.requests[0]!.body).toEqual(everything)
    }))

  it.effect("responses keep thinking signatures, citations and unknown block types whole", () =>
    Effect.gen(function*() {
      const content = [
        { type: "thinking", thinking: "hmm", signature: "EqQBCgIYAhIM" },
        { type: "redacted_thinking", data: "EmwKAhgBEgy3va" },
        { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: { query: "x" } },
        { type: "web_search_tool_result", tool_use_id: "srvtoolu_1", content: [{ type: "web_search_result", url: "u" }] },
        {
          type: "text",
          text: "Paris.",
          citations: [{ type: "char_location", cited_text: "Paris", document_index: 0, start_char_index: 0, end_char_index: 5 }]
        },
        { type: "tool_use", id: "toolu_9", name: "get_weather", input: { city: "Paris" } },
        { type: "brand_new_block", payload: { nested: [1, 2] } }
      ]
      const body = StandIn.messageJson(content as never, {
        stop_reason: "pause_turn",
        usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 7, cache_creation_input_tokens: 0 }
      })
      const answer = { ...body, container: { id: "c1" } }
      const standIn = yield* StandIn.scoped({ replies: [{ type: "json", status: 200, body: answer }] })
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
      const msg = yield* client.createMessage(everything)
      expect(msg).toEqual(answer)
      expect(Messages.textOf(msg)).toBe("Paris.")
      expect(Messages.toolUses(msg).map((t) => t.input)).toEqual([{ city: "Paris" }])
    }))

  it.effect("a Message that breaks its schema is Other invalid_response", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped({
        replies: [{ type: "json", status: 200, body: { type: "message", content: "nope" } }]
      })
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
      const error = yield* Effect.flip(client.createMessage(everything))
      expect(error._tag).toBe("Other")
      expect(error.message).toContain("does not match its schema")
    }))
})

describe("TestLayers", () => {
  it.effect("one line runs a program against a fake HTTP handler", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const program = Effect.flatMap(AnthropicClient.AnthropicClient, (c) =>
        c.createMessage({ model: "claude-haiku-4-5", max_tokens: 8, messages: [{ role: "user", content: "ping" }] }))
      const msg = yield* program.pipe(
        Effect.provide(TestLayers.layer({
          http: (request) => {
            seen.push(`${request.method} ${request.path} ${request.headers["x-api-key"]}`)
            return TestLayers.json(200, StandIn.messageJson([{ type: "text", text: "pong" }]))
          }
        }))
      )
      expect(Messages.textOf(msg)).toBe("pong")
      expect(seen).toEqual(["POST /v1/messages sk-ant-api03-test"])
    }))

  it.effect("fake credentials of any kind", () =>
    Effect.gen(function*() {
      let auth: string | undefined
      yield* Effect.flatMap(AnthropicClient.AnthropicClient, (c) =>
        c.countTokens({ model: "claude-haiku-4-5", messages: [{ role: "user", content: "x" }] })).pipe(
          Effect.provide(TestLayers.layer({
            credentials: { kind: "oauth_bundle", secret: "sk-ant-oat01-fake" },
            http: (request) => {
              auth = `${request.headers["authorization"]} | ${request.headers["anthropic-beta"]}`
              return StandIn.echo
            }
          }))
        )
      expect(auth).toBe("Bearer sk-ant-oat01-fake | oauth-2025-04-20")
    }))

  it.effect("scripted failures go through the real classification", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flatMap(AnthropicClient.AnthropicClient, (c) =>
        c.createMessage({ model: "claude-haiku-4-5", max_tokens: 8, messages: [] })).pipe(
          Effect.provide(TestLayers.layer({ http: () => StandIn.error(404) })),
          Effect.flip
        )
      expect(error._tag).toBe("Other")
    }))
})
