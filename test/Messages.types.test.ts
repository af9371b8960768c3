/**
 * The Messages schemas against the official SDK's types (checked by `tsc`: `expectTypeOf` and the typed
 * assignments below fail the typecheck when broken) and at run time (what `Schema.is` accepts and refuses).
 */
import type Anthropic from "@anthropic-ai/sdk"
import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Messages from "../src/Messages.js"

// ---------------------------------------------------------------------------------------------------------------
// A request that uses every new field
// ---------------------------------------------------------------------------------------------------------------

const schema = { type: "object", properties: { city: { type: "string" } }, required: ["city"] } as const

/** Every Anthropic-defined tool this client types, in every version. */
const serverTools: ReadonlyArray<Messages.ToolUnion> = [
  { type: "web_search_20250305", name: "web_search", max_uses: 3, allowed_domains: ["example.com"] },
  { type: "web_search_20260209", name: "web_search", blocked_domains: ["spam.example"] },
  {
    type: "web_search_20260318",
    name: "web_search",
    user_location: { type: "approximate", city: "Paris", country: "FR", timezone: "Europe/Paris" },
    response_inclusion: "excluded"
  },
  { type: "web_fetch_20250910", name: "web_fetch", max_content_tokens: 5000, citations: { enabled: true } },
  { type: "web_fetch_20260209", name: "web_fetch", max_uses: 2 },
  { type: "web_fetch_20260309", name: "web_fetch", use_cache: false },
  {
    type: "web_fetch_20260318",
    name: "web_fetch",
    url_sources: {
      user_input: { type: "all" },
      server_tool_results: { type: "only", tools: [{ type: "tool_reference", name: "web_search" }] },
      client_tool_results: { type: "none" }
    }
  },
  { type: "code_execution_20250522", name: "code_execution" },
  { type: "code_execution_20250825", name: "code_execution", cache_control: { type: "ephemeral" } },
  { type: "code_execution_20260120", name: "code_execution" },
  { type: "code_execution_20260521", name: "code_execution", defer_loading: false },
  { type: "bash_20241022", name: "bash" },
  { type: "bash_20250124", name: "bash", allowed_callers: ["direct", "code_execution_20260120"] },
  { type: "text_editor_20241022", name: "str_replace_editor" },
  { type: "text_editor_20250124", name: "str_replace_editor" },
  { type: "text_editor_20250429", name: "str_replace_based_edit_tool" },
  { type: "text_editor_20250728", name: "str_replace_based_edit_tool", max_characters: 10_000 },
  { type: "memory_20250818", name: "memory", input_examples: [{ command: "view", path: "/memories" }] },
  { type: "tool_search_tool_regex_20251119", name: "tool_search_tool_regex" },
  { type: "tool_search_tool_bm25", name: "tool_search_tool_bm25" },
  { type: "advisor_20260301", name: "advisor", model: "claude-opus-4-7", max_uses: 2, caching: { type: "ephemeral", ttl: "1h" } },
  // tools this client does not model still typecheck (toolsets have no name)
  { type: "computer_20250124", name: "computer", display_width_px: 1024, display_height_px: 768 },
  { type: "mcp_toolset", mcp_server_name: "docs", default_config: { defer_loading: true } }
]

const request: Messages.MessageCreateParams = {
  model: "claude-opus-4-7",
  max_tokens: 8192,
  system: [{ type: "text", text: "Be brief.", cache_control: { type: "ephemeral", ttl: "5m" } }],
  thinking: { type: "adaptive", display: "summarized" },
  output_config: { effort: "high", format: { type: "json_schema", schema } },
  container: { id: "container_1", skills: [{ type: "anthropic", skill_id: "pptx", version: "latest" }] },
  service_tier: "standard_only",
  inference_geo: "us",
  speed: "fast",
  cache_control: { type: "ephemeral" },
  diagnostics: { previous_message_id: null },
  context_management: {
    edits: [
      {
        type: "clear_tool_uses_20250919",
        trigger: { type: "input_tokens", value: 30_000 },
        keep: { type: "tool_uses", value: 3 },
        clear_at_least: { type: "input_tokens", value: 5000 },
        clear_tool_inputs: ["get_weather"],
        exclude_tools: ["web_search"]
      },
      { type: "clear_thinking_20251015", keep: { type: "thinking_turns", value: 2 } },
      { type: "compact_20260112", trigger: { type: "input_tokens", value: 150_000 }, pause_after_compaction: true }
    ]
  },
  mcp_servers: [{
    type: "url",
    name: "docs",
    url: "https://mcp.example.com/sse",
    authorization_token: "tok",
    tool_configuration: { allowed_tools: ["search"], enabled: true }
  }],
  tools: [
    {
      name: "get_weather",
      input_schema: schema,
      strict: true,
      defer_loading: true,
      eager_input_streaming: true,
      allowed_callers: ["code_execution_20250825"],
      input_examples: [{ city: "Paris" }]
    },
    ...serverTools
  ],
  tool_choice: { type: "any", disable_parallel_tool_use: true },
  messages: [
    {
      role: "user",
      content: [
        { type: "image", source: { type: "file", file_id: "file_img" }, transformations: { oversized_image: "error" } },
        { type: "document", source: { type: "file", file_id: "file_pdf" }, citations: { enabled: true } },
        {
          type: "search_result",
          source: "https://wiki.example/paris",
          title: "Paris",
          content: [{ type: "text", text: "Paris is the capital of France." }],
          citations: { enabled: true }
        },
        { type: "container_upload", file_id: "file_csv" }
      ]
    },
    {
      role: "assistant",
      content: [
        { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: { query: "paris" }, caller: { type: "direct" } },
        {
          type: "web_search_tool_result",
          tool_use_id: "srvtoolu_1",
          content: [{ type: "web_search_result", url: "https://x", title: "X", encrypted_content: "enc", page_age: null }]
        },
        { type: "mcp_tool_use", id: "mcptoolu_1", name: "search", server_name: "docs", input: { q: "x" } },
        { type: "mcp_tool_result", tool_use_id: "mcptoolu_1", content: [{ type: "text", text: "found" }], is_error: false },
        { type: "compaction", content: "Summary so far.", encrypted_content: "opaque" },
        {
          type: "text",
          text: "Paris.",
          citations: [{
            type: "search_result_location",
            cited_text: "Paris is the capital of France.",
            search_result_index: 0,
            source: "https://wiki.example/paris",
            title: "Paris",
            start_block_index: 0,
            end_block_index: 1
          }]
        },
        { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } }
      ]
    },
    {
      role: "user",
      content: [{
        type: "tool_result",
        tool_use_id: "toolu_1",
        content: [{ type: "tool_reference", tool_name: "get_forecast" }, { type: "text", text: "18°C" }]
      }]
    }
  ]
}

// ---------------------------------------------------------------------------------------------------------------
// A response with every block kind
// ---------------------------------------------------------------------------------------------------------------

const usage = {
  input_tokens: 2414,
  output_tokens: 812,
  cache_creation_input_tokens: 100,
  cache_read_input_tokens: 2000,
  cache_creation: { ephemeral_5m_input_tokens: 60, ephemeral_1h_input_tokens: 40 },
  server_tool_use: { web_search_requests: 1, web_fetch_requests: 1 },
  service_tier: "standard",
  inference_geo: "global",
  speed: "standard",
  output_tokens_details: { thinking_tokens: 139 },
  iterations: [
    { type: "message", input_tokens: 1051, output_tokens: 35, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
    { type: "compaction", input_tokens: 60_385, output_tokens: 522 },
    { type: "advisor_message", input_tokens: 900, output_tokens: 120, model: "claude-opus-4-7" },
    { type: "fallback_message", input_tokens: 10, output_tokens: 20, model: "claude-sonnet-4-5" }
  ],
  fallback_credit: { status: { type: "not_applied", reason: "expired" } }
}

const caller = { type: "code_execution_20260120", tool_id: "srvtoolu_code" }

const blocks = [
  { type: "thinking", thinking: "hmm", signature: "EqQBCgIYAhIM" },
  { type: "redacted_thinking", data: "EmwKAhgBEgy3va" },
  {
    type: "text",
    text: "Paris.",
    citations: [
      { type: "char_location", cited_text: "Paris", document_index: 0, document_title: null, start_char_index: 0, end_char_index: 5, file_id: null },
      { type: "page_location", cited_text: "Paris", document_index: 1, document_title: "Atlas", start_page_number: 3, end_page_number: 4 },
      { type: "content_block_location", cited_text: "Paris", document_index: 2, start_block_index: 0, end_block_index: 1 },
      { type: "web_search_result_location", cited_text: "Paris", encrypted_index: "Eo8B", title: "Paris", url: "https://x" },
      {
        type: "search_result_location",
        cited_text: "Paris",
        search_result_index: 0,
        source: "wiki",
        title: null,
        start_block_index: 0,
        end_block_index: 1
      }
    ]
  },
  { type: "tool_use", id: "toolu_9", name: "get_weather", input: { city: "Paris" }, caller },
  { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: { query: "paris" }, caller: { type: "direct" } },
  {
    type: "web_search_tool_result",
    tool_use_id: "srvtoolu_1",
    caller: { type: "direct" },
    content: [{ type: "web_search_result", url: "https://x", title: "X", encrypted_content: "enc", page_age: "2 days" }]
  },
  {
    type: "web_fetch_tool_result",
    tool_use_id: "srvtoolu_2",
    caller,
    content: {
      type: "web_fetch_result",
      url: "https://x/a.pdf",
      retrieved_at: "2026-01-01T00:00:00Z",
      content: { type: "document", source: { type: "text", media_type: "text/plain", data: "hello" }, title: "A", citations: null }
    }
  },
  {
    type: "code_execution_tool_result",
    tool_use_id: "srvtoolu_3",
    content: { type: "code_execution_result", stdout: "4\n", stderr: "", return_code: 0, content: [{ type: "code_execution_output", file_id: "file_out" }] }
  },
  {
    type: "bash_code_execution_tool_result",
    tool_use_id: "srvtoolu_4",
    content: { type: "bash_code_execution_tool_result_error", error_code: "output_file_too_large" }
  },
  {
    type: "text_editor_code_execution_tool_result",
    tool_use_id: "srvtoolu_5",
    content: {
      type: "text_editor_code_execution_str_replace_result",
      lines: ["-a", "+b"],
      new_lines: 1,
      new_start: 3,
      old_lines: 1,
      old_start: 3
    }
  },
  {
    type: "tool_search_tool_result",
    tool_use_id: "srvtoolu_6",
    content: { type: "tool_search_tool_search_result", tool_references: [{ type: "tool_reference", tool_name: "get_forecast" }] }
  },
  { type: "advisor_tool_result", tool_use_id: "srvtoolu_7", content: { type: "advisor_result", text: "Check units.", stop_reason: "end_turn" } },
  { type: "container_upload", file_id: "file_csv" },
  { type: "mcp_tool_use", id: "mcptoolu_1", name: "search", server_name: "docs", input: {} },
  { type: "mcp_tool_result", tool_use_id: "mcptoolu_1", is_error: false, content: [{ type: "text", text: "found", citations: null }] },
  { type: "mcp_tool_listing", mcp_server_name: "docs", tools: [{ name: "search", input_schema: { type: "object" } }] },
  { type: "compaction", content: "Summary.", encrypted_content: null, signature: "sig" },
  {
    type: "fallback",
    from: { model: "claude-opus-4-7" },
    to: { model: "claude-sonnet-4-5" },
    trigger: { type: "refusal", category: "cyber" }
  },
  { type: "brand_new_block", payload: { nested: [1, 2] } }
]

const message = {
  id: "msg_01",
  type: "message",
  role: "assistant",
  model: "claude-opus-4-7",
  content: blocks,
  stop_reason: "refusal",
  stop_sequence: null,
  stop_details: {
    type: "refusal",
    category: "cyber",
    explanation: "This request was refused.",
    fallback_credit_token: "tok_1",
    fallback_has_prefill_claim: true,
    recommended_model: "claude-sonnet-4-5"
  },
  container: {
    id: "container_011CUJKA7aVjWm5XJL9ozHGS",
    expires_at: "2025-10-20T11:48:47.798310Z",
    skills: [{ type: "anthropic", skill_id: "pptx", version: "20251013" }]
  },
  context_management: {
    applied_edits: [
      { type: "clear_tool_uses_20250919", cleared_input_tokens: 1200, cleared_tool_uses: 3 },
      { type: "clear_thinking_20251015", cleared_input_tokens: 300, cleared_thinking_turns: 1 }
    ]
  },
  diagnostics: { cache_miss_reason: { type: "tools_changed", cache_missed_input_tokens: 1800 } },
  usage
}

const isMessage = Schema.is(Messages.Message)
const withBlock = (block: unknown) => ({ ...message, content: [block] })

describe("Messages types: requests", () => {
  it("a request with every new field and tool is a MessageCreateParams, at run time too", () =>
    Effect.gen(function*() {
      const decoded = yield* Schema.decodeUnknownEffect(Messages.MessageCreateParams)(request, { onExcessProperty: "error" })
      expect(decoded).toEqual(request)
      // the prompt fields are count_tokens' too
      const { max_tokens: _m, container: _c, service_tier: _s, inference_geo: _i, diagnostics: _d, ...prompt } = request
      const count: Messages.CountTokensParams = prompt
      expect(Schema.is(Messages.CountTokensParams)(count)).toBe(true)
    }).pipe(Effect.runSync))

  it("refuses a budget below 1024, a known server tool with a bad field, and a tool choice of no kind", () => {
    const refused = (params: unknown) => Effect.runSync(Effect.flip(Schema.decodeUnknownEffect(Messages.MessageCreateParams)(params)))._tag
    expect(refused({ ...request, thinking: { type: "enabled", budget_tokens: 10 } })).toBe("SchemaError")
    expect(refused({ ...request, tools: [{ type: "web_search_20250305", name: "web_search", max_uses: "two" }] })).toBe("SchemaError")
    expect(refused({ ...request, tool_choice: { type: "sometimes" } })).toBe("SchemaError")
    expect(refused({ ...request, max_tokens: -1 })).toBe("SchemaError")
    // 0 only fills the prompt cache, and is allowed
    expect(Schema.is(Messages.MessageCreateParams)({ ...request, max_tokens: 0 })).toBe(true)
    expect(Schema.is(Messages.MessageCreateParams)({ ...request, thinking: { type: "enabled", budget_tokens: 2048, display: "omitted" } }))
      .toBe(true)
    expect(Schema.is(Messages.MessageCreateParams)({ ...request, container: "container_1" })).toBe(true)
  })

  it("the SDK's own request types are assignable to ours", () => {
    const sdkParams = {} as Anthropic.MessageCreateParamsNonStreaming
    const sdkCount = {} as Anthropic.MessageCountTokensParams
    expectTypeOf(sdkParams).toExtend<Messages.MessageCreateParams>()
    expectTypeOf(sdkCount).toExtend<Messages.CountTokensParams>()
    expectTypeOf<Anthropic.Messages.MessageParam>().toExtend<Messages.MessageParam>()
    expectTypeOf<Anthropic.Messages.ContentBlockParam>().toExtend<Messages.ContentBlockParam>()
    expectTypeOf<Anthropic.Messages.ToolUnion>().toExtend<Messages.ToolUnion>()
    expectTypeOf<Anthropic.Messages.Tool>().toExtend<Messages.Tool>()
    expectTypeOf<Anthropic.Messages.WebSearchTool20260318>().toExtend<typeof Messages.WebSearchTool20260318.Type>()
    expectTypeOf<Anthropic.Messages.WebFetchTool20260318>().toExtend<typeof Messages.WebFetchTool20260318.Type>()
    expectTypeOf<Anthropic.Messages.ToolChoice>().toExtend<Messages.ToolChoice>()
    expectTypeOf<Anthropic.Messages.ThinkingConfigParam>().toExtend<Messages.ThinkingConfig>()
    expectTypeOf<Anthropic.Messages.OutputConfig>().toExtend<Messages.OutputConfig>()
    expectTypeOf<Anthropic.Messages.MessageCreateParamsContainer>().toExtend<Messages.ContainerParams>()
    expectTypeOf<Anthropic.Messages.DocumentBlockParam>().toExtend<Messages.DocumentBlockParam>()
    expectTypeOf<Anthropic.Messages.SearchResultBlockParam>().toExtend<Messages.SearchResultBlockParam>()
    expectTypeOf<Anthropic.Beta.BetaContextManagementConfig>().toExtend<Messages.ContextManagementConfig>()
    expectTypeOf<Anthropic.Beta.BetaRequestMCPServerURLDefinition>().toExtend<Messages.McpServerUrlDefinition>()
    expectTypeOf<Anthropic.Beta.BetaMCPToolUseBlockParam>().toExtend<typeof Messages.McpToolUseBlockParam.Type>()
    expectTypeOf<Anthropic.Beta.BetaRequestMCPToolResultBlockParam>().toExtend<typeof Messages.McpToolResultBlockParam.Type>()
    expectTypeOf<Anthropic.Beta.BetaCompactionBlockParam>().toExtend<typeof Messages.CompactionBlockParam.Type>()
    expectTypeOf<Anthropic.Beta.BetaAdvisorToolResultBlockParam>().toExtend<typeof Messages.AdvisorToolResultBlockParam.Type>()
    expect(Object.keys(sdkParams)).toEqual([])
  })

  it("typos in typed fields fail the typecheck", () => {
    const bad: ReadonlyArray<Messages.MessageCreateParams> = [
      // @ts-expect-error: no such effort
      { ...request, output_config: { effort: "extreme" } },
      // @ts-expect-error: adaptive thinking takes no budget
      { ...request, thinking: { type: "adaptive", budget_tokens: 2048 } },
      // @ts-expect-error: a file source needs its file_id
      { ...request, messages: [{ role: "user", content: [{ type: "image", source: { type: "file" } }] }] },
      // @ts-expect-error: no such edit
      { ...request, context_management: { edits: [{ type: "clear_everything" }] } }
    ]
    expect(bad.length).toBe(4)
  })
})

describe("Messages types: responses", () => {
  it("a Message with every block kind, stop_details, container and every usage field passes, kept whole", () => {
    expect(isMessage(message)).toBe(true)
    // Effect 4 has no `onExcessProperty: "preserve"`: the default decoding (which drops what the schema does not know)
    // keeps it whole, every field included.
    const decoded = Schema.decodeUnknownSync(Messages.Message)(message)
    expect(decoded).toEqual(message)
    expect(decoded.content.map((b) => b.type)).toEqual(blocks.map((b) => b.type))
    expect(Messages.textOf(decoded)).toBe("Paris.")
    expect(Messages.toolUses(decoded).map((t) => t.caller)).toEqual([caller])
  })

  it("the known types are the typed members", () => {
    expect([...Messages.KNOWN_BLOCK_TYPES].sort()).toEqual(blocks.map((b) => b.type).filter((t) => t !== "brand_new_block").sort())
    expect([...Messages.KNOWN_DELTA_TYPES].sort()).toEqual(
      ["citations_delta", "compaction_delta", "input_json_delta", "signature_delta", "text_delta", "thinking_delta"]
    )
    expect([...Messages.KNOWN_EVENT_TYPES].sort()).toEqual([
      "content_block_delta",
      "content_block_start",
      "content_block_stop",
      "error",
      "message_delta",
      "message_start",
      "message_stop",
      "ping"
    ])
  })

  it("refuses a known block missing a required field", () => {
    expect(isMessage(withBlock({ type: "web_search_tool_result", content: [] }))).toBe(false)
    expect(isMessage(withBlock({ type: "server_tool_use", name: "web_search", input: {} }))).toBe(false)
    expect(isMessage(withBlock({ type: "mcp_tool_use", id: "m", name: "search", input: {} }))).toBe(false)
    expect(isMessage(withBlock({ type: "container_upload" }))).toBe(false)
    expect(isMessage(withBlock({ type: "tool_use", id: "t", name: "n", input: {}, caller: { type: "code_execution_20250825" } })))
      .toBe(false)
    expect(isMessage({ ...message, usage: { ...usage, cache_creation: { ephemeral_5m_input_tokens: 1 } } })).toBe(false)
  })

  it("keeps what varies: unknown result kinds, error codes, callers, citations, stop details, iterations", () => {
    const varied = [
      { type: "web_search_tool_result", tool_use_id: "s", content: { type: "web_search_tool_result_error", error_code: "brand_new_code" } },
      { type: "web_fetch_tool_result", tool_use_id: "s", content: { type: "web_fetch_result_v2", pages: [] } },
      { type: "code_execution_tool_result", tool_use_id: "s", content: { type: "code_execution_result", stdout: "" } },
      { type: "server_tool_use", id: "s", name: "brand_new_tool", input: {}, caller: { type: "code_execution_20260521", tool_id: "x" } },
      { type: "text", text: "x", citations: [{ type: "video_location", cited_text: "x", start_ms: 0 }] }
    ]
    for (const block of varied) expect(isMessage(withBlock(block)), JSON.stringify(block)).toBe(true)
    expect(isMessage({ ...message, stop_details: { type: "overloaded", detail: 1 } })).toBe(true)
    expect(isMessage({ ...message, stop_details: { type: "refusal", category: null } })).toBe(true)
    expect(isMessage({ ...message, usage: { ...usage, iterations: [{ type: "tool_loop", input_tokens: 1 }], new_counter: 5 } })).toBe(true)
    expect(isMessage({ ...message, diagnostics: { cache_miss_reason: null }, context_management: null, container: null })).toBe(true)
  })

  it("narrowing on the new blocks gives their typed content", () => {
    const decoded: Messages.Message = Schema.decodeUnknownSync(Messages.Message)(message)
    const found: Array<string> = []
    for (const block of decoded.content) {
      switch (block.type) {
        case "web_search_tool_result": {
          expectTypeOf(block).toEqualTypeOf<Messages.WebSearchToolResultBlock>()
          const content = block.content
          if ("type" in content) {
            expectTypeOf(content.error_code).toEqualTypeOf<typeof Messages.WebSearchToolResultError.Type["error_code"]>()
          } else {
            expectTypeOf(content).toEqualTypeOf<ReadonlyArray<typeof Messages.WebSearchResultBlock.Type>>()
            found.push(...content.map((r) => r.url))
          }
          break
        }
        case "web_fetch_tool_result": {
          if (block.content.type === "web_fetch_result") found.push(block.content.content.source.type)
          break
        }
        case "bash_code_execution_tool_result": {
          if (block.content.type === "bash_code_execution_tool_result_error") found.push(block.content.error_code)
          break
        }
        case "server_tool_use":
        case "tool_use": {
          expectTypeOf(block.caller).toEqualTypeOf<Messages.ToolUseCaller | undefined>()
          if (block.caller?.type === "code_execution_20260120") found.push(block.caller.tool_id)
          break
        }
        case "text": {
          for (const c of block.citations ?? []) if (c.type === "page_location") found.push(`p${c.start_page_number}`)
          break
        }
        case "mcp_tool_use":
          found.push(block.server_name)
          break
        case "compaction":
          found.push(block.content ?? "failed")
          break
        default:
          expectTypeOf(block.type).toEqualTypeOf<
            | "thinking"
            | "redacted_thinking"
            | "code_execution_tool_result"
            | "text_editor_code_execution_tool_result"
            | "tool_search_tool_result"
            | "advisor_tool_result"
            | "container_upload"
            | "mcp_tool_result"
            | "mcp_tool_listing"
            | "fallback"
          >()
      }
    }
    expect(found).toEqual(["p3", "srvtoolu_code", "https://x", "text", "output_file_too_large", "docs", "Summary."])
    if (decoded.stop_details?.type === "refusal") expect(decoded.stop_details.category).toBe("cyber")
    expect(decoded.usage.cache_creation).toEqual({ ephemeral_5m_input_tokens: 60, ephemeral_1h_input_tokens: 40 })
  })

  it("a response's blocks are the next request's assistant turn, as they are", () => {
    const decoded: Messages.Message = Schema.decodeUnknownSync(Messages.Message)({ ...message, content: blocks.slice(0, -1) })
    const turn = Messages.assistantTurn(decoded)
    expect(turn).toEqual({ role: "assistant", content: blocks.slice(0, -1) })
    expect(Schema.is(Messages.MessageParam)(turn)).toBe(true)
    expectTypeOf<Messages.ContentBlock>().toExtend<Messages.ContentBlockParam>()
  })

  it("the SDK's own Message and stream events are assignable to ours", () => {
    expectTypeOf<Anthropic.Messages.Message>().toExtend<Messages.Message>()
    expectTypeOf<Anthropic.Messages.RawMessageStreamEvent>().toExtend<Messages.MessageStreamEvent>()
    expectTypeOf<Anthropic.Messages.Usage>().toExtend<Messages.Usage>()
    expectTypeOf<Anthropic.Messages.MessageDeltaUsage>().toExtend<Messages.MessageDeltaUsage>()
    expectTypeOf<Anthropic.Beta.BetaCompactionBlock>().toExtend<Messages.CompactionBlock>()
    expectTypeOf<Anthropic.Beta.BetaMCPToolResultBlock>().toExtend<Messages.McpToolResultBlock>()
    expectTypeOf<Anthropic.Beta.BetaUsage>().toExtend<Messages.Usage>()
    expect(Schema.is(Messages.MessageDeltaEvent)({
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null, stop_details: null, container: message.container },
      usage: { output_tokens: 812, input_tokens: null, iterations: usage.iterations, fallback_credit: { status: { type: "redeemed" } } },
      context_management: message.context_management
    })).toBe(true)
    for (
      const delta of [
        { type: "compaction_delta", content: "Summary.", encrypted_content: "opaque" },
        { type: "thinking_delta", thinking: "so", estimated_tokens: 16 },
        { type: "citations_delta", citation: blocks[2]!.citations![3] }
      ]
    ) expect(Schema.is(Messages.ContentBlockDeltaEvent)({ type: "content_block_delta", index: 0, delta })).toBe(true)
  })
})
