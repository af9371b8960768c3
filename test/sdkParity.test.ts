/**
 * What the type-level comparison with the official SDK (`test/types/sdkParity.ts`) changed at run time, through the
 * whole stack against the stand-in: a block the SDK types with required fields is refused without them, a count the
 * SDK never makes null is refused as null, while what the list of differences keeps lenient (counts left out) is
 * still accepted; and a request's form of a block still takes what the SDK's request type takes.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Messages from "../src/Messages.js"
import * as StandIn from "../src/testing/StandIn.js"
import { API_KEY, hello, stack } from "./fixtures.js"

/** A 200 whose body is `message` as it stands (types aside: answers that break the schema are the point). */
const answer = (message: unknown): StandIn.Reply => ({ type: "json", status: 200, body: message })

const withContent = (content: ReadonlyArray<unknown>) =>
  StandIn.messageJson(content as ReadonlyArray<Messages.ContentBlock>)

const withIterations = (iterations: ReadonlyArray<unknown>) =>
  StandIn.messageJson([{ type: "text", text: "ok" }], {
    usage: { input_tokens: 1, output_tokens: 1, iterations } as unknown as Messages.Usage
  })

const mcpResult = { type: "mcp_tool_result", tool_use_id: "mcptoolu_1", is_error: false, content: [{ type: "text", text: "found" }] }
const searchTool = { name: "search", input_schema: { type: "object" } }
const listing = (tool: object) => ({ type: "mcp_tool_listing", mcp_server_name: "docs", tools: [tool] })

/** Each reply answered in turn: what `createMessage` made of it (the failure's message, or "ok"). */
const outcomes = (...replies: ReadonlyArray<StandIn.Reply>) =>
  Effect.gen(function*() {
    const standIn = yield* StandIn.scoped({ replies })
    const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
    const seen: Array<string> = []
    for (const _ of replies) {
      seen.push(yield* client.createMessage(hello).pipe(
        Effect.as("ok"),
        Effect.catch((error) => Effect.succeed(`${error._tag}: ${error.message}`))
      ))
    }
    return seen
  })

describe("responses, as the SDK types them", () => {
  it.effect("an MCP tool result without is_error or content is refused, naming the field; a whole one passes", () =>
    Effect.gen(function*() {
      const { is_error: _e, ...noFlag } = mcpResult
      const { content: _c, ...noContent } = mcpResult
      const seen = yield* outcomes(
        answer(withContent([mcpResult])),
        answer(withContent([noFlag])),
        answer(withContent([noContent]))
      )
      expect(seen[0]).toBe("ok")
      expect(seen[1]).toMatch(/^Other: .*does not match its schema: content\.0\.is_error/)
      expect(seen[2]).toMatch(/^Other: .*does not match its schema: content\.0\.content/)
    }))

  it.effect("an iteration's cache counts may be left out, but are never null", () =>
    Effect.gen(function*() {
      const seen = yield* outcomes(
        answer(withIterations([{ type: "message", input_tokens: 10, output_tokens: 40 }])),
        answer(withIterations([{ type: "compaction", input_tokens: 10, output_tokens: 40, cache_read_input_tokens: null }]))
      )
      expect(seen[0]).toBe("ok")
      expect(seen[1]).toMatch(/^Other: .*does not match its schema: usage\.iterations/)
    }))

  it.effect("an MCP server's tool listing: a description is a string or left out in a response", () =>
    Effect.gen(function*() {
      const seen = yield* outcomes(
        answer(withContent([listing({ ...searchTool, description: "Searches the docs" })])),
        answer(withContent([listing(searchTool)])),
        answer(withContent([listing({ ...searchTool, description: null })]))
      )
      expect(seen.slice(0, 2)).toEqual(["ok", "ok"])
      expect(seen[2]).toMatch(/^Other: .*does not match its schema: content\.0\.tools\.0\.description/)
    }))
})

describe("requests, as the SDK types them", () => {
  it.effect("a batch sends back an MCP result without is_error and a listed tool whose description is null", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
      const params: Messages.MessageCreateParams = {
        ...hello,
        messages: [
          { role: "user", content: "search the docs" },
          {
            role: "assistant",
            content: [
              { type: "mcp_tool_use", id: "mcptoolu_1", name: "search", server_name: "docs", input: {} },
              { type: "mcp_tool_result", tool_use_id: "mcptoolu_1", content: "found" },
              { type: "mcp_tool_listing", mcp_server_name: "docs", tools: [{ name: "search", input_schema: {}, description: null }] }
            ]
          },
          { role: "user", content: "thanks" }
        ]
      }
      const batch = yield* client.createBatch({ requests: [{ custom_id: "mcp", params }] })
      expect(batch.request_counts.processing).toBe(1)
      expect(standIn.requests[0]!.body).toEqual({ requests: [{ custom_id: "mcp", params }] })
    }))
})
