/**
 * The blocks of server tools (web search, web fetch, code execution, tool search, the advisor), of MCP servers, of
 * compaction and of model fallback: as a response gives them, and as a later request sends them back (`…Param`,
 * with a cache breakpoint where the API takes one).
 *
 * A result's `content` is typed as the SDK types it, but is `lenient`: whatever the API puts there is kept (see
 * `internal/messages/schema`), so match on `content.type` with a default branch.
 *
 * @since 0.2.0
 */
import * as Schema from "effect/Schema"
import { RefusalCategory, ToolUseCaller } from "./common.js"
import {
  DocumentBlock,
  DocumentBlockParam,
  TextBlock,
  TextBlockParam,
  ToolReferenceBlock,
  ToolReferenceBlockParam
} from "./content.js"
import { param } from "./fields.js"
import { JsonObject, lenient, maybe, openLiteral, openUnion } from "./schema.js"
import { ToolUnion } from "./tools.js"

/** The error a server tool answers with, its codes open (the API adds some). */
const toolError = <const Type extends string, const Codes extends ReadonlyArray<string>>(type: Type, ...codes: Codes) =>
  Schema.Struct({ type: Schema.Literal(type), error_code: openLiteral(...codes) })

/** The message some tools' errors carry beside the code. */
const errorMessage = { error_message: maybe(Schema.String) }

/** Why a code execution tool call failed: the codes every execution tool shares. */
const executionCodes = ["invalid_tool_input", "unavailable", "too_many_requests", "execution_time_exceeded"] as const

/** A server tool's result block: its `type`, the call it answers, and its content. */
const result = <const Type extends string, Content extends Schema.Top>(type: Type, content: Content) => ({
  type: Schema.Literal(type),
  tool_use_id: Schema.String,
  content: lenient(content)
})

/** Who called the tool: the model, or code that a code execution tool ran (programmatic tool calling). */
const called = { caller: Schema.optional(ToolUseCaller) }

// ---------------------------------------------------------------------------------------------------------------
// server_tool_use
// ---------------------------------------------------------------------------------------------------------------

/**
 * A call of a server tool, which the API runs itself.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ServerToolUseBlock = Schema.Struct({
  type: Schema.Literal("server_tool_use"),
  id: Schema.String,
  name: openLiteral(
    "web_search",
    "web_fetch",
    "code_execution",
    "bash_code_execution",
    "text_editor_code_execution",
    "tool_search_tool_regex",
    "tool_search_tool_bm25",
    "advisor"
  ),
  input: Schema.Unknown,
  ...called
})
/**
 * @since 0.2.0
 * @category models
 */
export type ServerToolUseBlock = typeof ServerToolUseBlock.Type
/**
 * @since 0.2.0
 * @category schemas
 */
export const ServerToolUseBlockParam = param(ServerToolUseBlock.fields)

// ---------------------------------------------------------------------------------------------------------------
// Web search
// ---------------------------------------------------------------------------------------------------------------

/**
 * @since 0.2.0
 * @category schemas
 */
export const WebSearchToolResultError = toolError(
  "web_search_tool_result_error",
  "invalid_tool_input",
  "unavailable",
  "max_uses_exceeded",
  "too_many_requests",
  "query_too_long",
  "request_too_large"
)

/**
 * @since 0.2.0
 * @category schemas
 */
export const WebSearchResultBlock = Schema.Struct({
  type: Schema.Literal("web_search_result"),
  url: Schema.String,
  title: Schema.String,
  /** Send back unchanged: it lets later turns cite the page. */
  encrypted_content: Schema.String,
  page_age: maybe(Schema.String)
})

/**
 * @since 0.2.0
 * @category schemas
 */
export const WebSearchToolResultBlock = Schema.Struct({
  ...result("web_search_tool_result", Schema.Union([Schema.Array(WebSearchResultBlock), WebSearchToolResultError])),
  ...called
})
/**
 * @since 0.2.0
 * @category models
 */
export type WebSearchToolResultBlock = typeof WebSearchToolResultBlock.Type
/**
 * @since 0.2.0
 * @category schemas
 */
export const WebSearchToolResultBlockParam = param(WebSearchToolResultBlock.fields)

// ---------------------------------------------------------------------------------------------------------------
// Web fetch
// ---------------------------------------------------------------------------------------------------------------

/** A fetched page, as the response gives it or as a request sends it back. */
const webFetchResult = <Document extends Schema.Top>(document: Document) =>
  Schema.Struct({
    type: Schema.Literal("web_fetch_result"),
    url: Schema.String,
    /** ISO 8601, when the page was read. */
    retrieved_at: maybe(Schema.String),
    content: document
  })

/**
 * @since 0.2.0
 * @category schemas
 */
export const WebFetchResultBlock = webFetchResult(DocumentBlock)
/**
 * @since 0.2.0
 * @category schemas
 */
export const WebFetchResultBlockParam = webFetchResult(DocumentBlockParam)

/**
 * @since 0.2.0
 * @category schemas
 */
export const WebFetchToolResultError = toolError(
  "web_fetch_tool_result_error",
  "invalid_tool_input",
  "url_too_long",
  "url_not_allowed",
  "url_not_in_prior_context",
  "url_not_accessible",
  "unsupported_content_type",
  "too_many_requests",
  "max_uses_exceeded",
  "unavailable",
  "content_too_large"
)

/**
 * @since 0.2.0
 * @category schemas
 */
export const WebFetchToolResultBlock = Schema.Struct({
  ...result("web_fetch_tool_result", Schema.Union([WebFetchResultBlock, WebFetchToolResultError])),
  ...called
})
/**
 * @since 0.2.0
 * @category models
 */
export type WebFetchToolResultBlock = typeof WebFetchToolResultBlock.Type
/**
 * @since 0.2.0
 * @category schemas
 */
export const WebFetchToolResultBlockParam = param({
  ...result("web_fetch_tool_result", Schema.Union([WebFetchResultBlockParam, WebFetchToolResultError])),
  ...called
})

// ---------------------------------------------------------------------------------------------------------------
// Code execution (Python), and its bash and text editor sub-tools
// ---------------------------------------------------------------------------------------------------------------

/** A file the code wrote, to download with the Files API. */
const outputFile = <const Type extends string>(type: Type) =>
  Schema.Struct({ type: Schema.Literal(type), file_id: Schema.String })

/**
 * @since 0.2.0
 * @category schemas
 */
export const CodeExecutionOutputBlock = outputFile("code_execution_output")

const execution = { return_code: Schema.Number, stderr: Schema.String }

/**
 * @since 0.2.0
 * @category schemas
 */
export const CodeExecutionResultBlock = Schema.Struct({
  type: Schema.Literal("code_execution_result"),
  ...execution,
  stdout: Schema.String,
  content: Schema.Array(CodeExecutionOutputBlock)
})

/**
 * In place of `code_execution_result` when the code called web search: standard output encrypted.
 *
 * @since 0.2.0
 * @category schemas
 */
export const EncryptedCodeExecutionResultBlock = Schema.Struct({
  type: Schema.Literal("encrypted_code_execution_result"),
  ...execution,
  encrypted_stdout: Schema.String,
  content: Schema.Array(CodeExecutionOutputBlock)
})

/**
 * @since 0.2.0
 * @category schemas
 */
export const CodeExecutionToolResultError = toolError("code_execution_tool_result_error", ...executionCodes)

/**
 * @since 0.2.0
 * @category schemas
 */
export const CodeExecutionToolResultBlock = Schema.Struct(result(
  "code_execution_tool_result",
  Schema.Union([CodeExecutionResultBlock, EncryptedCodeExecutionResultBlock, CodeExecutionToolResultError])
))
/**
 * @since 0.2.0
 * @category models
 */
export type CodeExecutionToolResultBlock = typeof CodeExecutionToolResultBlock.Type
/**
 * @since 0.2.0
 * @category schemas
 */
export const CodeExecutionToolResultBlockParam = param(CodeExecutionToolResultBlock.fields)

/**
 * @since 0.2.0
 * @category schemas
 */
export const BashCodeExecutionOutputBlock = outputFile("bash_code_execution_output")

/**
 * @since 0.2.0
 * @category schemas
 */
export const BashCodeExecutionResultBlock = Schema.Struct({
  type: Schema.Literal("bash_code_execution_result"),
  ...execution,
  stdout: Schema.String,
  content: Schema.Array(BashCodeExecutionOutputBlock)
})

/**
 * @since 0.2.0
 * @category schemas
 */
export const BashCodeExecutionToolResultError = toolError(
  "bash_code_execution_tool_result_error",
  ...executionCodes,
  "output_file_too_large"
)

/**
 * @since 0.2.0
 * @category schemas
 */
export const BashCodeExecutionToolResultBlock = Schema.Struct(result(
  "bash_code_execution_tool_result",
  Schema.Union([BashCodeExecutionResultBlock, BashCodeExecutionToolResultError])
))
/**
 * @since 0.2.0
 * @category models
 */
export type BashCodeExecutionToolResultBlock = typeof BashCodeExecutionToolResultBlock.Type
/**
 * @since 0.2.0
 * @category schemas
 */
export const BashCodeExecutionToolResultBlockParam = param(BashCodeExecutionToolResultBlock.fields)

/**
 * @since 0.2.0
 * @category schemas
 */
export const TextEditorCodeExecutionViewResultBlock = Schema.Struct({
  type: Schema.Literal("text_editor_code_execution_view_result"),
  content: Schema.String,
  file_type: openLiteral("text", "image", "pdf"),
  num_lines: maybe(Schema.Number),
  start_line: maybe(Schema.Number),
  total_lines: maybe(Schema.Number)
})

/**
 * @since 0.2.0
 * @category schemas
 */
export const TextEditorCodeExecutionCreateResultBlock = Schema.Struct({
  type: Schema.Literal("text_editor_code_execution_create_result"),
  is_file_update: Schema.Boolean
})

/**
 * @since 0.2.0
 * @category schemas
 */
export const TextEditorCodeExecutionStrReplaceResultBlock = Schema.Struct({
  type: Schema.Literal("text_editor_code_execution_str_replace_result"),
  lines: maybe(Schema.Array(Schema.String)),
  new_lines: maybe(Schema.Number),
  new_start: maybe(Schema.Number),
  old_lines: maybe(Schema.Number),
  old_start: maybe(Schema.Number)
})

/**
 * @since 0.2.0
 * @category schemas
 */
export const TextEditorCodeExecutionToolResultError = Schema.Struct({
  ...toolError("text_editor_code_execution_tool_result_error", ...executionCodes, "file_not_found").fields,
  ...errorMessage
})

/**
 * @since 0.2.0
 * @category schemas
 */
export const TextEditorCodeExecutionToolResultBlock = Schema.Struct(result(
  "text_editor_code_execution_tool_result",
  Schema.Union([
    TextEditorCodeExecutionViewResultBlock,
    TextEditorCodeExecutionCreateResultBlock,
    TextEditorCodeExecutionStrReplaceResultBlock,
    TextEditorCodeExecutionToolResultError
  ])
))
/**
 * @since 0.2.0
 * @category models
 */
export type TextEditorCodeExecutionToolResultBlock = typeof TextEditorCodeExecutionToolResultBlock.Type
/**
 * @since 0.2.0
 * @category schemas
 */
export const TextEditorCodeExecutionToolResultBlockParam = param(TextEditorCodeExecutionToolResultBlock.fields)

// ---------------------------------------------------------------------------------------------------------------
// Tool search
// ---------------------------------------------------------------------------------------------------------------

/**
 * @since 0.2.0
 * @category schemas
 */
export const ToolSearchToolResultError = Schema.Struct({
  ...toolError("tool_search_tool_result_error", ...executionCodes).fields,
  ...errorMessage
})

/** The tools a search found, as the response gives them or as a request sends them back. */
const toolSearchResult = <Reference extends Schema.Top>(reference: Reference) =>
  Schema.Struct({ type: Schema.Literal("tool_search_tool_search_result"), tool_references: Schema.Array(reference) })

/**
 * @since 0.2.0
 * @category schemas
 */
export const ToolSearchToolSearchResultBlock = toolSearchResult(ToolReferenceBlock)

/**
 * @since 0.2.0
 * @category schemas
 */
export const ToolSearchToolResultBlock = Schema.Struct(
  result("tool_search_tool_result", Schema.Union([ToolSearchToolSearchResultBlock, ToolSearchToolResultError]))
)
/**
 * @since 0.2.0
 * @category models
 */
export type ToolSearchToolResultBlock = typeof ToolSearchToolResultBlock.Type
/**
 * @since 0.2.0
 * @category schemas
 */
export const ToolSearchToolResultBlockParam = param(
  result(
    "tool_search_tool_result",
    Schema.Union([toolSearchResult(ToolReferenceBlockParam), ToolSearchToolResultError])
  )
)

// ---------------------------------------------------------------------------------------------------------------
// Advisor (beta: `anthropic-beta: advisor-tool-2026-03-01`)
// ---------------------------------------------------------------------------------------------------------------

/** The advisor's own stop reason (`max_tokens` when its advice was cut off). */
const advisorStop = { stop_reason: maybe(Schema.String) }

/**
 * @since 0.2.0
 * @category schemas
 */
export const AdvisorResultBlock = Schema.Struct({ type: Schema.Literal("advisor_result"), text: Schema.String, ...advisorStop })

/**
 * The advice, encrypted: send it back unchanged.
 *
 * @since 0.2.0
 * @category schemas
 */
export const AdvisorRedactedResultBlock = Schema.Struct({
  type: Schema.Literal("advisor_redacted_result"),
  encrypted_content: Schema.String,
  ...advisorStop
})

/**
 * @since 0.2.0
 * @category schemas
 */
export const AdvisorToolResultError = toolError(
  "advisor_tool_result_error",
  "max_uses_exceeded",
  "prompt_too_long",
  "too_many_requests",
  "overloaded",
  "unavailable",
  "execution_time_exceeded",
  "model_not_found"
)

/**
 * Beta: needs `anthropic-beta: advisor-tool-2026-03-01`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const AdvisorToolResultBlock = Schema.Struct(result(
  "advisor_tool_result",
  Schema.Union([AdvisorResultBlock, AdvisorRedactedResultBlock, AdvisorToolResultError])
))
/**
 * @since 0.2.0
 * @category models
 */
export type AdvisorToolResultBlock = typeof AdvisorToolResultBlock.Type
/**
 * Beta: needs `anthropic-beta: advisor-tool-2026-03-01`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const AdvisorToolResultBlockParam = param(AdvisorToolResultBlock.fields)

// ---------------------------------------------------------------------------------------------------------------
// Container uploads
// ---------------------------------------------------------------------------------------------------------------

/**
 * A file put in the code execution container's input directory.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ContainerUploadBlock = Schema.Struct({ type: Schema.Literal("container_upload"), file_id: Schema.String })
/**
 * @since 0.2.0
 * @category models
 */
export type ContainerUploadBlock = typeof ContainerUploadBlock.Type
/**
 * @since 0.2.0
 * @category schemas
 */
export const ContainerUploadBlockParam = param(ContainerUploadBlock.fields)

// ---------------------------------------------------------------------------------------------------------------
// MCP (beta: `anthropic-beta: mcp-client-2025-11-20`, or the older `mcp-client-2025-04-04`)
// ---------------------------------------------------------------------------------------------------------------

/**
 * A call of a tool of an MCP server (`mcp_servers`), which the API makes. Beta: needs
 * `anthropic-beta: mcp-client-2025-11-20`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const McpToolUseBlock = Schema.Struct({
  type: Schema.Literal("mcp_tool_use"),
  id: Schema.String,
  /** The tool's name on its server. */
  name: Schema.String,
  server_name: Schema.String,
  input: Schema.Unknown
})
/**
 * @since 0.2.0
 * @category models
 */
export type McpToolUseBlock = typeof McpToolUseBlock.Type
/**
 * Beta: needs `anthropic-beta: mcp-client-2025-11-20`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const McpToolUseBlockParam = param(McpToolUseBlock.fields)

const mcpToolResult = { type: Schema.Literal("mcp_tool_result"), tool_use_id: Schema.String }

/** What an MCP tool answered: text, or text blocks as the response gives them or as a request sends them back. */
const mcpToolContent = <Text extends Schema.Top>(text: Text) =>
  Schema.Union([Schema.String, Schema.Array(text)])

/**
 * Beta: needs `anthropic-beta: mcp-client-2025-11-20`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const McpToolResultBlock = Schema.Struct({
  ...mcpToolResult,
  content: mcpToolContent(TextBlock),
  is_error: Schema.Boolean
})
/**
 * @since 0.2.0
 * @category models
 */
export type McpToolResultBlock = typeof McpToolResultBlock.Type
/**
 * As a request sends it back: `content` and `is_error` may be left out there (a response always gives both).
 * Beta: needs `anthropic-beta: mcp-client-2025-11-20`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const McpToolResultBlockParam = param({
  ...mcpToolResult,
  content: Schema.optional(mcpToolContent(TextBlockParam)),
  is_error: Schema.optional(Schema.Boolean)
})

/**
 * A tool as an MCP server lists it.
 *
 * @since 0.2.0
 * @category schemas
 */
export const McpTool = Schema.Struct({
  name: Schema.String,
  description: Schema.optional(Schema.String),
  input_schema: JsonObject
})

/** A listing, as the response gives it or as a request sends it back (where a tool's description may be null). */
const mcpToolListing = <Tool extends Schema.Top>(tool: Tool) =>
  Schema.Struct({ type: Schema.Literal("mcp_tool_listing"), mcp_server_name: Schema.String, tools: Schema.Array(tool) })

/**
 * The tools an MCP server listed while the response was produced: send it back so later requests use this listing.
 * Beta: needs `anthropic-beta: mcp-client-2026-09-15`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const McpToolListingBlock = mcpToolListing(McpTool)
/**
 * Beta: needs `anthropic-beta: mcp-client-2026-09-15`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const McpToolListingBlockParam = mcpToolListing(Schema.Struct({ ...McpTool.fields, description: maybe(Schema.String) }))

// ---------------------------------------------------------------------------------------------------------------
// Tool changes mid-conversation, and compaction
// ---------------------------------------------------------------------------------------------------------------

/** A tool a tool change names by reference: a `tools` entry, an MCP tool, an MCP toolset. */
const toolReferences = [
  Schema.Struct({ type: Schema.Literal("tool_reference"), name: Schema.String }),
  Schema.Struct({ type: Schema.Literal("mcp_tool_reference"), name: Schema.String, server_name: Schema.String }),
  Schema.Struct({ type: Schema.Literal("mcp_toolset_reference"), server_name: Schema.String })
] as const

/**
 * The tool a tool addition names: a `tools` entry, an MCP tool or toolset, or (`tool_definition`) a tool given inline.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ToolChangeTarget = openUnion(
  ...toolReferences,
  Schema.Struct({ type: Schema.Literal("tool_definition"), definition: ToolUnion })
)

/**
 * Makes a tool available from this point of the conversation on. Beta: needs
 * `anthropic-beta: mid-conversation-tool-changes-2026-07-01` (an inline `tool_definition` also
 * `inline-tools-2026-09-15`).
 *
 * @since 0.2.0
 * @category schemas
 */
export const ToolAdditionBlockParam = param({ type: Schema.Literal("tool_addition"), tool: ToolChangeTarget })

/**
 * Withdraws a tool (named by reference, never inline) from this point of the conversation on. Beta: needs
 * `anthropic-beta: mid-conversation-tool-changes-2026-07-01`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ToolRemovalBlockParam = param({ type: Schema.Literal("tool_removal"), tool: openUnion(...toolReferences) })

/**
 * A summary of the conversation before it (context management's `compact_20260112` edit): send it back, unchanged,
 * in place of what it summarizes. Beta: needs `anthropic-beta: compact-2026-01-12`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const CompactionBlock = Schema.Struct({
  type: Schema.Literal("compaction"),
  /** The summary; `null` when compaction failed (the server treats such a block as nothing). */
  content: maybe(Schema.String),
  encrypted_content: maybe(Schema.String),
  signature: maybe(Schema.String),
  /** The tool changes of the compacted range; send them back unchanged. */
  tool_changes: maybe(lenient(Schema.Array(Schema.Union([ToolAdditionBlockParam, ToolRemovalBlockParam]))))
})
/**
 * @since 0.2.0
 * @category models
 */
export type CompactionBlock = typeof CompactionBlock.Type
/**
 * Beta: needs `anthropic-beta: compact-2026-01-12`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const CompactionBlockParam = param(CompactionBlock.fields)

// ---------------------------------------------------------------------------------------------------------------
// Server-side model fallback (beta: `anthropic-beta: server-side-fallback-2026-07-01`)
// ---------------------------------------------------------------------------------------------------------------

const hop = Schema.Struct({ model: Schema.String })

const fallback = {
  type: Schema.Literal("fallback"),
  /** The model whose output ends here. */
  from: hop,
  /** The model whose output follows. */
  to: hop
}

/**
 * Where one model's output ends and a fallback model's begins. Keep it in place when sending the turn back. Beta:
 * needs `anthropic-beta: server-side-fallback-2026-07-01`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const FallbackBlock = Schema.Struct({
  ...fallback,
  /** Why `from` handed over. */
  trigger: Schema.optional(lenient(Schema.Struct({ type: openLiteral("refusal"), category: maybe(RefusalCategory) })))
})
/**
 * @since 0.2.0
 * @category models
 */
export type FallbackBlock = typeof FallbackBlock.Type
/**
 * Beta: needs `anthropic-beta: server-side-fallback-2026-07-01`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const FallbackBlockParam = Schema.Struct({
  ...fallback,
  /** The response block's `trigger`, verbatim (the server ignores it). */
  trigger: Schema.optional(Schema.Unknown)
})
