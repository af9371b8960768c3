/**
 * Tool definitions (`tools`), `tool_choice`, and MCP servers (`mcp_servers`).
 *
 * @since 0.2.0
 */
import * as Schema from "effect/Schema"
import { CacheControl, CitationsConfig } from "./common.js"
import { cacheable } from "./fields.js"
import { AnyFields, JsonObject, knownTypes, maybe } from "./schema.js"

/** What every tool definition may carry. */
const toolFields = {
  /** Who may call the tool: the model (`direct`) and/or code run by a code execution tool of that version. */
  allowed_callers: Schema.optional(
    Schema.Array(
      Schema.Literals(["direct", "code_execution_20250825", "code_execution_20260120", "code_execution_20260521"])
    )
  ),
  ...cacheable,
  /** Left out of the initial prompt; loaded when tool search returns a `tool_reference` to it. */
  defer_loading: Schema.optional(Schema.Boolean),
  /** Tool names and inputs are validated against the schema. */
  strict: Schema.optional(Schema.Boolean)
}

/** Example inputs, for the tools the model calls with an input of its own. */
const examples = { input_examples: Schema.optional(Schema.Array(JsonObject)) }

/**
 * A client tool: `{name, description, input_schema}`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Tool = Schema.Struct({
  type: Schema.optional(Schema.NullOr(Schema.Literal("custom"))),
  name: Schema.String,
  description: Schema.optional(Schema.String),
  input_schema: Schema.StructWithRest(
    Schema.Struct({ type: Schema.Literal("object"), required: maybe(Schema.Array(Schema.String)) }),
    [JsonObject]
  ),
  /** Stream this tool's input as it is generated (`true`), never (`false`), or as the beta headers decide (`null`). */
  eager_input_streaming: maybe(Schema.Boolean),
  ...toolFields,
  ...examples
})
/**
 * @since 0.1.0
 * @category models
 */
export type Tool = typeof Tool.Type

// ---------------------------------------------------------------------------------------------------------------
// Anthropic-defined tools: one schema per version
// ---------------------------------------------------------------------------------------------------------------

/**
 * @since 0.2.0
 * @category schemas
 */
export const UserLocation = Schema.Struct({
  type: Schema.Literal("approximate"),
  city: maybe(Schema.String),
  country: maybe(Schema.String),
  region: maybe(Schema.String),
  timezone: maybe(Schema.String)
})

const domains = { allowed_domains: maybe(Schema.Array(Schema.String)), blocked_domains: maybe(Schema.Array(Schema.String)) }

/** How the results of a call made by code execution appear in the response: whole, or left out. */
const responseInclusion = { response_inclusion: Schema.optional(Schema.Literals(["full", "excluded"])) }

const webSearch = {
  name: Schema.Literal("web_search"),
  ...domains,
  max_uses: maybe(Schema.Number),
  user_location: maybe(UserLocation),
  ...toolFields
}

/**
 * @since 0.2.0
 * @category schemas
 */
export const WebSearchTool20250305 = Schema.Struct({ type: Schema.Literal("web_search_20250305"), ...webSearch })
/**
 * @since 0.2.0
 * @category schemas
 */
export const WebSearchTool20260209 = Schema.Struct({ type: Schema.Literal("web_search_20260209"), ...webSearch })
/**
 * @since 0.2.0
 * @category schemas
 */
export const WebSearchTool20260318 = Schema.Struct({
  type: Schema.Literal("web_search_20260318"),
  ...webSearch,
  ...responseInclusion
})

const urlSourceAll = Schema.Struct({ type: Schema.Literal("all") })
const urlSourceNone = Schema.Struct({ type: Schema.Literal("none") })
const namedTools = Schema.Array(Schema.Struct({ type: Schema.Literal("tool_reference"), name: Schema.String }))
const toolFilter = Schema.Union([
  urlSourceAll,
  urlSourceNone,
  Schema.Struct({ type: Schema.Literal("only"), tools: namedTools }),
  Schema.Struct({ type: Schema.Literal("except"), tools: namedTools })
])

/**
 * Which sources may contribute the URLs web fetch fetches: user input, and the results of client or server tools.
 *
 * @since 0.2.0
 * @category schemas
 */
export const WebFetchURLSources = Schema.Struct({
  client_tool_results: Schema.optional(toolFilter),
  server_tool_results: Schema.optional(toolFilter),
  user_input: Schema.optional(Schema.Union([urlSourceAll, urlSourceNone]))
})

const webFetch = {
  name: Schema.Literal("web_fetch"),
  ...domains,
  citations: maybe(CitationsConfig),
  max_content_tokens: maybe(Schema.Number),
  max_uses: maybe(Schema.Number),
  url_sources: maybe(WebFetchURLSources),
  ...toolFields
}

/** `false` fetches afresh instead of from the cache. */
const useCache = { use_cache: Schema.optional(Schema.Boolean) }

/**
 * @since 0.2.0
 * @category schemas
 */
export const WebFetchTool20250910 = Schema.Struct({ type: Schema.Literal("web_fetch_20250910"), ...webFetch })
/**
 * @since 0.2.0
 * @category schemas
 */
export const WebFetchTool20260209 = Schema.Struct({ type: Schema.Literal("web_fetch_20260209"), ...webFetch })
/**
 * @since 0.2.0
 * @category schemas
 */
export const WebFetchTool20260309 = Schema.Struct({ type: Schema.Literal("web_fetch_20260309"), ...webFetch, ...useCache })
/**
 * @since 0.2.0
 * @category schemas
 */
export const WebFetchTool20260318 = Schema.Struct({
  type: Schema.Literal("web_fetch_20260318"),
  ...webFetch,
  ...useCache,
  ...responseInclusion
})

const codeExecution = { name: Schema.Literal("code_execution"), ...toolFields }

/**
 * @since 0.2.0
 * @category schemas
 */
export const CodeExecutionTool20250522 = Schema.Struct({ type: Schema.Literal("code_execution_20250522"), ...codeExecution })
/**
 * @since 0.2.0
 * @category schemas
 */
export const CodeExecutionTool20250825 = Schema.Struct({ type: Schema.Literal("code_execution_20250825"), ...codeExecution })
/**
 * REPL state persists across requests that reuse the container (with programmatic tool calling).
 *
 * @since 0.2.0
 * @category schemas
 */
export const CodeExecutionTool20260120 = Schema.Struct({ type: Schema.Literal("code_execution_20260120"), ...codeExecution })
/**
 * @since 0.2.0
 * @category schemas
 */
export const CodeExecutionTool20260521 = Schema.Struct({ type: Schema.Literal("code_execution_20260521"), ...codeExecution })

const bash = { name: Schema.Literal("bash"), ...toolFields, ...examples }

/**
 * Beta: needs `anthropic-beta: computer-use-2024-10-22`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ToolBash20241022 = Schema.Struct({ type: Schema.Literal("bash_20241022"), ...bash })
/**
 * @since 0.2.0
 * @category schemas
 */
export const ToolBash20250124 = Schema.Struct({ type: Schema.Literal("bash_20250124"), ...bash })

const textEditor = { ...toolFields, ...examples }
const strReplaceEditor = { name: Schema.Literal("str_replace_editor"), ...textEditor }
const strReplaceBasedEditTool = { name: Schema.Literal("str_replace_based_edit_tool"), ...textEditor }

/**
 * Beta: needs `anthropic-beta: computer-use-2024-10-22`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ToolTextEditor20241022 = Schema.Struct({ type: Schema.Literal("text_editor_20241022"), ...strReplaceEditor })
/**
 * @since 0.2.0
 * @category schemas
 */
export const ToolTextEditor20250124 = Schema.Struct({ type: Schema.Literal("text_editor_20250124"), ...strReplaceEditor })
/**
 * @since 0.2.0
 * @category schemas
 */
export const ToolTextEditor20250429 = Schema.Struct({
  type: Schema.Literal("text_editor_20250429"),
  ...strReplaceBasedEditTool
})
/**
 * @since 0.2.0
 * @category schemas
 */
export const ToolTextEditor20250728 = Schema.Struct({
  type: Schema.Literal("text_editor_20250728"),
  ...strReplaceBasedEditTool,
  /** The most characters a `view` shows (the whole file by default). */
  max_characters: maybe(Schema.Number)
})

/**
 * @since 0.2.0
 * @category schemas
 */
export const MemoryTool20250818 = Schema.Struct({
  type: Schema.Literal("memory_20250818"),
  name: Schema.Literal("memory"),
  ...toolFields,
  ...examples
})

/**
 * Tool search over the deferred tools (`defer_loading`) by BM25 (the dated or the undated type).
 *
 * @since 0.2.0
 * @category schemas
 */
export const ToolSearchToolBm25_20251119 = Schema.Struct({
  type: Schema.Literals(["tool_search_tool_bm25_20251119", "tool_search_tool_bm25"]),
  name: Schema.Literal("tool_search_tool_bm25"),
  ...toolFields
})
/**
 * Tool search over the deferred tools (`defer_loading`) by regular expression (the dated or the undated type).
 *
 * @since 0.2.0
 * @category schemas
 */
export const ToolSearchToolRegex20251119 = Schema.Struct({
  type: Schema.Literals(["tool_search_tool_regex_20251119", "tool_search_tool_regex"]),
  name: Schema.Literal("tool_search_tool_regex"),
  ...toolFields
})

/**
 * A second model the worker model consults. Beta: needs `anthropic-beta: advisor-tool-2026-03-01`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const AdvisorTool20260301 = Schema.Struct({
  type: Schema.Literal("advisor_20260301"),
  name: Schema.Literal("advisor"),
  model: Schema.String,
  /** Caching of the advisor's own prompt, at this TTL. */
  caching: maybe(CacheControl),
  max_tokens: maybe(Schema.Number),
  max_uses: maybe(Schema.Number),
  ...toolFields
})

/** The Anthropic-defined tools this client types. */
const anthropicTools = [
  WebSearchTool20250305,
  WebSearchTool20260209,
  WebSearchTool20260318,
  WebFetchTool20250910,
  WebFetchTool20260209,
  WebFetchTool20260309,
  WebFetchTool20260318,
  CodeExecutionTool20250522,
  CodeExecutionTool20250825,
  CodeExecutionTool20260120,
  CodeExecutionTool20260521,
  ToolBash20241022,
  ToolBash20250124,
  ToolTextEditor20241022,
  ToolTextEditor20250124,
  ToolTextEditor20250429,
  ToolTextEditor20250728,
  MemoryTool20250818,
  ToolSearchToolBm25_20251119,
  ToolSearchToolRegex20251119,
  AdvisorTool20260301
] as const

const ANTHROPIC_TOOL_TYPES = knownTypes(anthropicTools)

/**
 * A tool of a type this client does not model (computer use, the browser and computer toolsets, `mcp_toolset`, newer
 * versions): a versioned `type`, usually a `name`, and the tool's own fields. A tool of a type listed above must fit
 * its own schema instead (a misspelt field of a known tool fails a decode rather than passing through here).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ServerTool = Schema.StructWithRest(
  Schema.Struct({
    type: Schema.String.check(Schema.makeFilter((type) => type !== "custom" && !ANTHROPIC_TOOL_TYPES.has(type))),
    name: Schema.optional(Schema.String)
  }),
  [AnyFields]
)
/**
 * @since 0.2.0
 * @category models
 */
export type ServerTool = typeof ServerTool.Type

/**
 * An entry of `tools`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ToolUnion = Schema.Union([Tool, ...anthropicTools, ServerTool])
/**
 * @since 0.2.0
 * @category models
 */
export type ToolUnion = typeof ToolUnion.Type

const parallel = { disable_parallel_tool_use: Schema.optional(Schema.Boolean) }

/**
 * @since 0.1.0
 * @category schemas
 */
export const ToolChoice = Schema.Union([
  Schema.Struct({ type: Schema.Literal("auto"), ...parallel }),
  Schema.Struct({ type: Schema.Literal("any"), ...parallel }),
  Schema.Struct({ type: Schema.Literal("tool"), name: Schema.String, ...parallel }),
  Schema.Struct({ type: Schema.Literal("none") })
])
/**
 * @since 0.1.0
 * @category models
 */
export type ToolChoice = typeof ToolChoice.Type

/**
 * An MCP server the API connects to (`mcp_servers`). Beta: needs `anthropic-beta: mcp-client-2025-11-20` (or the older
 * `mcp-client-2025-04-04`).
 *
 * @since 0.2.0
 * @category schemas
 */
export const McpServerUrlDefinition = Schema.Struct({
  type: Schema.Literal("url"),
  name: Schema.String,
  url: Schema.String,
  authorization_token: maybe(Schema.String),
  tool_configuration: maybe(Schema.Struct({
    allowed_tools: maybe(Schema.Array(Schema.String)),
    enabled: maybe(Schema.Boolean)
  }))
})
/**
 * @since 0.2.0
 * @category models
 */
export type McpServerUrlDefinition = typeof McpServerUrlDefinition.Type
