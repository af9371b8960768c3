/**
 * The content blocks of a conversation that are not a server tool's: text, images, documents, search results, tool
 * use and results, thinking. A response's block and the same block sent back share their fields; the request form
 * may add a cache breakpoint.
 *
 * @since 0.2.0
 */
import * as Schema from "effect/Schema"
import { CitationsConfig, TextCitation, ToolUseCaller } from "./common.js"
import { cacheable, param } from "./fields.js"
import { maybe } from "./schema.js"

/**
 * @since 0.1.0
 * @category schemas
 */
export const TextBlock = Schema.Struct({
  type: Schema.Literal("text"),
  text: Schema.String,
  citations: maybe(Schema.Array(TextCitation))
})
/**
 * @since 0.1.0
 * @category models
 */
export type TextBlock = typeof TextBlock.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export const TextBlockParam = param(TextBlock.fields)
/**
 * @since 0.2.0
 * @category models
 */
export type TextBlockParam = typeof TextBlockParam.Type

// ---------------------------------------------------------------------------------------------------------------
// Images and documents
// ---------------------------------------------------------------------------------------------------------------

/**
 * @since 0.1.0
 * @category schemas
 */
export const Base64ImageSource = Schema.Struct({
  type: Schema.Literal("base64"),
  media_type: Schema.Literals(["image/jpeg", "image/png", "image/gif", "image/webp"]),
  data: Schema.String
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const UrlImageSource = Schema.Struct({ type: Schema.Literal("url"), url: Schema.String })

/**
 * A file uploaded with the Files API (beta `files-api-2025-04-14`), as an image or document source.
 *
 * @since 0.2.0
 * @category schemas
 */
export const FileSource = Schema.Struct({ type: Schema.Literal("file"), file_id: Schema.String })

/**
 * @since 0.1.0
 * @category schemas
 */
export const ImageBlockParam = Schema.Struct({
  type: Schema.Literal("image"),
  source: Schema.Union([Base64ImageSource, UrlImageSource, FileSource]),
  /** What the server does with an image larger than the model takes: scale it down (default), or refuse it. */
  transformations: maybe(Schema.Struct({ oversized_image: Schema.optional(Schema.Literals(["downsize", "error"])) })),
  ...cacheable
})
/**
 * @since 0.2.0
 * @category models
 */
export type ImageBlockParam = typeof ImageBlockParam.Type

/**
 * @since 0.2.0
 * @category schemas
 */
export const Base64PdfSource = Schema.Struct({
  type: Schema.Literal("base64"),
  media_type: Schema.Literal("application/pdf"),
  data: Schema.String
})

/**
 * @since 0.2.0
 * @category schemas
 */
export const PlainTextSource = Schema.Struct({
  type: Schema.Literal("text"),
  media_type: Schema.Literal("text/plain"),
  data: Schema.String
})

/**
 * @since 0.2.0
 * @category schemas
 */
export const UrlPdfSource = Schema.Struct({ type: Schema.Literal("url"), url: Schema.String })

/**
 * A document of your own blocks (cited by block range).
 *
 * @since 0.2.0
 * @category schemas
 */
export const ContentBlockSource = Schema.Struct({
  type: Schema.Literal("content"),
  content: Schema.Union([Schema.String, Schema.Array(Schema.Union([TextBlockParam, ImageBlockParam]))])
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const DocumentSource = Schema.Union([Base64PdfSource, PlainTextSource, UrlPdfSource, ContentBlockSource, FileSource])

const document = {
  type: Schema.Literal("document"),
  title: maybe(Schema.String),
  citations: maybe(CitationsConfig)
}

/**
 * A document as a response gives it (the page a web fetch read); its `citations`, when given, always say `enabled`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const DocumentBlock = Schema.Struct({
  ...document,
  citations: maybe(Schema.Struct({ enabled: Schema.Boolean })),
  source: Schema.Union([Base64PdfSource, PlainTextSource])
})
/**
 * @since 0.2.0
 * @category models
 */
export type DocumentBlock = typeof DocumentBlock.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export const DocumentBlockParam = Schema.Struct({
  ...document,
  source: DocumentSource,
  context: maybe(Schema.String),
  ...cacheable
})
/**
 * @since 0.2.0
 * @category models
 */
export type DocumentBlockParam = typeof DocumentBlockParam.Type

/**
 * Results of your own search (RAG), cited as search results.
 *
 * @since 0.2.0
 * @category schemas
 */
export const SearchResultBlockParam = Schema.Struct({
  type: Schema.Literal("search_result"),
  content: Schema.Array(TextBlockParam),
  source: Schema.String,
  title: Schema.String,
  citations: Schema.optional(CitationsConfig),
  ...cacheable
})
/**
 * @since 0.2.0
 * @category models
 */
export type SearchResultBlockParam = typeof SearchResultBlockParam.Type

// ---------------------------------------------------------------------------------------------------------------
// Tool use and results
// ---------------------------------------------------------------------------------------------------------------

/**
 * A tool that tool search found (the model may call it from then on).
 *
 * @since 0.2.0
 * @category schemas
 */
export const ToolReferenceBlock = Schema.Struct({ type: Schema.Literal("tool_reference"), tool_name: Schema.String })

/**
 * A tool reference sent back, or given in a `tool_result` (a client-side tool search).
 *
 * @since 0.2.0
 * @category schemas
 */
export const ToolReferenceBlockParam = param(ToolReferenceBlock.fields)

const download = { download_id: Schema.String, url: Schema.String }

/**
 * The browser's tabs after a browser toolset call, in its `tool_result`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const BrowserStateBlockParam = Schema.Struct({
  type: Schema.Literal("browser_state"),
  tabs: Schema.Array(Schema.Struct({
    tab_id: Schema.String,
    title: Schema.String,
    url: Schema.String,
    active: Schema.optional(Schema.Boolean)
  })),
  state_changes: maybe(Schema.Array(Schema.Union([
    Schema.Struct({ type: Schema.Literal("tab_opened"), tab_id: Schema.String }),
    Schema.Struct({ type: Schema.Literal("download_started"), ...download }),
    Schema.Struct({
      type: Schema.Literal("download_completed"),
      ...download,
      path: maybe(Schema.String),
      size_bytes: maybe(Schema.Number)
    }),
    Schema.Struct({ type: Schema.Literal("download_failed"), ...download, error: maybe(Schema.String) })
  ]))),
  ...cacheable
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const ToolUseBlock = Schema.Struct({
  type: Schema.Literal("tool_use"),
  id: Schema.String,
  name: Schema.String,
  input: Schema.Unknown,
  caller: Schema.optional(ToolUseCaller),
  /** For a member of a toolset, the toolset's family. */
  toolset_name: maybe(Schema.String)
})
/**
 * @since 0.1.0
 * @category models
 */
export type ToolUseBlock = typeof ToolUseBlock.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export const ToolUseBlockParam = param(ToolUseBlock.fields)

/**
 * @since 0.1.0
 * @category schemas
 */
export const ToolResultBlockParam = Schema.Struct({
  type: Schema.Literal("tool_result"),
  tool_use_id: Schema.String,
  content: Schema.optional(Schema.Union([
    Schema.String,
    Schema.Array(Schema.Union([
      TextBlockParam,
      ImageBlockParam,
      SearchResultBlockParam,
      DocumentBlockParam,
      ToolReferenceBlockParam,
      BrowserStateBlockParam
    ]))
  ])),
  is_error: Schema.optional(Schema.Boolean),
  /** For a member of a toolset, the toolset family of its `tool_use`. */
  toolset_name: maybe(Schema.String),
  ...cacheable
})
/**
 * @since 0.2.0
 * @category models
 */
export type ToolResultBlockParam = typeof ToolResultBlockParam.Type

// ---------------------------------------------------------------------------------------------------------------
// Thinking (sent back exactly as it came: the same schema both ways)
// ---------------------------------------------------------------------------------------------------------------

/**
 * @since 0.1.0
 * @category schemas
 */
export const ThinkingBlock = Schema.Struct({
  type: Schema.Literal("thinking"),
  thinking: Schema.String,
  signature: Schema.String
})
/**
 * @since 0.1.0
 * @category models
 */
export type ThinkingBlock = typeof ThinkingBlock.Type

/**
 * A thinking block sent back in a later turn: `signature` must be returned unchanged.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ThinkingBlockParam = ThinkingBlock

/**
 * @since 0.1.0
 * @category schemas
 */
export const RedactedThinkingBlock = Schema.Struct({
  type: Schema.Literal("redacted_thinking"),
  data: Schema.String
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const RedactedThinkingBlockParam = RedactedThinkingBlock
