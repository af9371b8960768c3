/**
 * Schemas that requests and responses share: cache breakpoints, who called a tool, citations.
 *
 * @since 0.2.0
 */
import * as Schema from "effect/Schema"
import { maybe, openLiteral, openUnion } from "./schema.js"

/**
 * Prompt caching breakpoint (at most 4 per request).
 *
 * @since 0.1.0
 * @category schemas
 */
export const CacheControl = Schema.Struct({
  type: Schema.Literal("ephemeral"),
  ttl: Schema.optional(Schema.Literals(["5m", "1h"]))
})
/**
 * @since 0.2.0
 * @category models
 */
export type CacheControl = typeof CacheControl.Type

// ---------------------------------------------------------------------------------------------------------------
// Who called a tool
// ---------------------------------------------------------------------------------------------------------------

/**
 * The model called the tool itself.
 *
 * @since 0.2.0
 * @category schemas
 */
export const DirectCaller = Schema.Struct({ type: Schema.Literal("direct") })

/**
 * Code that the code execution tool (version `code_execution_20250825`) ran called the tool.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ServerToolCaller = Schema.Struct({ type: Schema.Literal("code_execution_20250825"), tool_id: Schema.String })

/**
 * Code that the code execution tool (version `code_execution_20260120`) ran called the tool.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ServerToolCaller20260120 = Schema.Struct({
  type: Schema.Literal("code_execution_20260120"),
  tool_id: Schema.String
})

/**
 * Who called a tool (`caller` on tool uses and server tool results); callers of newer versions are kept as they come.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ToolUseCaller = openUnion(DirectCaller, ServerToolCaller, ServerToolCaller20260120)
/**
 * @since 0.2.0
 * @category models
 */
export type ToolUseCaller = typeof ToolUseCaller.Type

// ---------------------------------------------------------------------------------------------------------------
// Citations (the same objects in a response's text blocks and in the text blocks sent back)
// ---------------------------------------------------------------------------------------------------------------

/** Every citation of a document: `file_id` comes only in responses (for documents given by file). */
const documentCitation = {
  cited_text: Schema.String,
  document_index: Schema.Number,
  document_title: maybe(Schema.String),
  file_id: maybe(Schema.String)
}

/** A range of blocks, `end_block_index` exclusive. */
const blockRange = { start_block_index: Schema.Number, end_block_index: Schema.Number }

/**
 * A citation of a plain-text document, by character range.
 *
 * @since 0.2.0
 * @category schemas
 */
export const CitationCharLocation = Schema.Struct({
  type: Schema.Literal("char_location"),
  ...documentCitation,
  start_char_index: Schema.Number,
  end_char_index: Schema.Number
})

/**
 * A citation of a PDF document, by page range.
 *
 * @since 0.2.0
 * @category schemas
 */
export const CitationPageLocation = Schema.Struct({
  type: Schema.Literal("page_location"),
  ...documentCitation,
  start_page_number: Schema.Number,
  end_page_number: Schema.Number
})

/**
 * A citation of a custom-content document, by block range.
 *
 * @since 0.2.0
 * @category schemas
 */
export const CitationContentBlockLocation = Schema.Struct({
  type: Schema.Literal("content_block_location"),
  ...documentCitation,
  ...blockRange
})

/**
 * A citation of a web search result.
 *
 * @since 0.2.0
 * @category schemas
 */
export const CitationsWebSearchResultLocation = Schema.Struct({
  type: Schema.Literal("web_search_result_location"),
  cited_text: Schema.String,
  encrypted_index: Schema.String,
  title: maybe(Schema.String),
  url: Schema.String
})

/**
 * A citation of a `search_result` block, by block range.
 *
 * @since 0.2.0
 * @category schemas
 */
export const CitationsSearchResultLocation = Schema.Struct({
  type: Schema.Literal("search_result_location"),
  cited_text: Schema.String,
  search_result_index: Schema.Number,
  source: Schema.String,
  title: maybe(Schema.String),
  ...blockRange
})

/**
 * A citation in a text block (responses, and the same blocks sent back); kinds of citation this client does not know
 * are kept as they come.
 *
 * @since 0.2.0
 * @category schemas
 */
export const TextCitation = openUnion(
  CitationCharLocation,
  CitationPageLocation,
  CitationContentBlockLocation,
  CitationsWebSearchResultLocation,
  CitationsSearchResultLocation
)
/**
 * @since 0.2.0
 * @category models
 */
export type TextCitation = typeof TextCitation.Type

/**
 * The policy category of a refusal (`stop_details.category`, a fallback's `trigger`); newer categories are kept.
 *
 * @since 0.2.0
 * @category schemas
 */
export const RefusalCategory = openLiteral("cyber", "bio", "frontier_llm", "reasoning_extraction", "general_harms")

/**
 * Whether the model may cite a document, search result or fetched page.
 *
 * @since 0.2.0
 * @category schemas
 */
export const CitationsConfig = Schema.Struct({ enabled: Schema.optional(Schema.Boolean) })
