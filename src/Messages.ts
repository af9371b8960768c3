/**
 * Schemas for the Messages API in its own JSON names (snake_case), as the official SDK keeps them.
 *
 * Requests: text, image (base64 / url), document (PDF base64 / url, plain text, content blocks), tool definitions
 * and `tool_choice`, `tool_use` / `tool_result`, `cache_control`, `thinking` / `redacted_thinking` with signatures,
 * system as a string or blocks, metadata, stop sequences. Responses: every known block, and unknown block types are
 * kept as they came (server tools and new kinds), never rejected.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

// ---------------------------------------------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------------------------------------------

/**
 * Prompt caching breakpoint (at most 4 per request).
 *
 * @since 0.1.0
 * @category schemas
 */
export const CacheControl = Schema.Struct({
  type: Schema.Literal("ephemeral"),
  ttl: Schema.optional(Schema.Literal("5m", "1h"))
})

const cacheable = { cache_control: Schema.optional(Schema.NullOr(CacheControl)) }

/** Any JSON object: tool inputs, JSON schemas, citation entries. */
const JsonObject = Schema.Record({ key: Schema.String, value: Schema.Unknown })

/**
 * Stop reasons known today; any other string is kept (the API adds new ones).
 *
 * @since 0.1.0
 * @category schemas
 */
export const StopReason = Schema.Union(
  Schema.Literal(
    "end_turn",
    "max_tokens",
    "stop_sequence",
    "tool_use",
    "pause_turn",
    "refusal",
    "model_context_window_exceeded"
  ),
  Schema.String
)

// ---------------------------------------------------------------------------------------------------------------
// Request content blocks
// ---------------------------------------------------------------------------------------------------------------

/**
 * @since 0.1.0
 * @category schemas
 */
export const TextBlockParam = Schema.Struct({
  type: Schema.Literal("text"),
  text: Schema.String,
  citations: Schema.optional(Schema.NullOr(Schema.Array(JsonObject))),
  ...cacheable
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const Base64ImageSource = Schema.Struct({
  type: Schema.Literal("base64"),
  media_type: Schema.Literal("image/jpeg", "image/png", "image/gif", "image/webp"),
  data: Schema.String
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const UrlImageSource = Schema.Struct({ type: Schema.Literal("url"), url: Schema.String })

/**
 * @since 0.1.0
 * @category schemas
 */
export const ImageBlockParam = Schema.Struct({
  type: Schema.Literal("image"),
  source: Schema.Union(Base64ImageSource, UrlImageSource),
  ...cacheable
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const DocumentSource = Schema.Union(
  Schema.Struct({ type: Schema.Literal("base64"), media_type: Schema.Literal("application/pdf"), data: Schema.String }),
  Schema.Struct({ type: Schema.Literal("text"), media_type: Schema.Literal("text/plain"), data: Schema.String }),
  Schema.Struct({ type: Schema.Literal("url"), url: Schema.String }),
  Schema.Struct({
    type: Schema.Literal("content"),
    content: Schema.Union(Schema.String, Schema.Array(Schema.Union(TextBlockParam, ImageBlockParam)))
  })
)

/**
 * @since 0.1.0
 * @category schemas
 */
export const DocumentBlockParam = Schema.Struct({
  type: Schema.Literal("document"),
  source: DocumentSource,
  title: Schema.optional(Schema.NullOr(Schema.String)),
  context: Schema.optional(Schema.NullOr(Schema.String)),
  citations: Schema.optional(Schema.Struct({ enabled: Schema.optional(Schema.Boolean) })),
  ...cacheable
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const ToolUseBlockParam = Schema.Struct({
  type: Schema.Literal("tool_use"),
  id: Schema.String,
  name: Schema.String,
  input: Schema.Unknown,
  ...cacheable
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const ToolResultBlockParam = Schema.Struct({
  type: Schema.Literal("tool_result"),
  tool_use_id: Schema.String,
  content: Schema.optional(
    Schema.Union(Schema.String, Schema.Array(Schema.Union(TextBlockParam, ImageBlockParam, DocumentBlockParam)))
  ),
  is_error: Schema.optional(Schema.Boolean),
  ...cacheable
})

/**
 * A thinking block sent back in a later turn: `signature` must be returned unchanged.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ThinkingBlockParam = Schema.Struct({
  type: Schema.Literal("thinking"),
  thinking: Schema.String,
  signature: Schema.String
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const RedactedThinkingBlockParam = Schema.Struct({
  type: Schema.Literal("redacted_thinking"),
  data: Schema.String
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const ContentBlockParam = Schema.Union(
  TextBlockParam,
  ImageBlockParam,
  DocumentBlockParam,
  ToolUseBlockParam,
  ToolResultBlockParam,
  ThinkingBlockParam,
  RedactedThinkingBlockParam
)
/**
 * @since 0.1.0
 * @category models
 */
export type ContentBlockParam = typeof ContentBlockParam.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export const MessageParam = Schema.Struct({
  role: Schema.Literal("user", "assistant"),
  content: Schema.Union(Schema.String, Schema.Array(ContentBlockParam))
})
/**
 * @since 0.1.0
 * @category models
 */
export type MessageParam = typeof MessageParam.Type

// ---------------------------------------------------------------------------------------------------------------
// Tools, thinking, the request
// ---------------------------------------------------------------------------------------------------------------

/**
 * A client tool: `{name, description, input_schema}`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Tool = Schema.Struct({
  type: Schema.optional(Schema.Literal("custom")),
  name: Schema.String,
  description: Schema.optional(Schema.String),
  input_schema: Schema.Struct({ type: Schema.Literal("object") }, JsonObject),
  ...cacheable
})
/**
 * @since 0.1.0
 * @category models
 */
export type Tool = typeof Tool.Type

/**
 * A server tool (web search, code execution, …): a versioned `type` and the tool's own fields.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ServerTool = Schema.Struct({ type: Schema.String, name: Schema.String }, JsonObject)

const parallel = { disable_parallel_tool_use: Schema.optional(Schema.Boolean) }

/**
 * @since 0.1.0
 * @category schemas
 */
export const ToolChoice = Schema.Union(
  Schema.Struct({ type: Schema.Literal("auto"), ...parallel }),
  Schema.Struct({ type: Schema.Literal("any"), ...parallel }),
  Schema.Struct({ type: Schema.Literal("tool"), name: Schema.String, ...parallel }),
  Schema.Struct({ type: Schema.Literal("none") })
)
/**
 * @since 0.1.0
 * @category models
 */
export type ToolChoice = typeof ToolChoice.Type

/**
 * Extended thinking: `budget_tokens` ≥ 1024 and below `max_tokens`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ThinkingConfig = Schema.Union(
  Schema.Struct({ type: Schema.Literal("enabled"), budget_tokens: Schema.Number.pipe(Schema.int(), Schema.greaterThanOrEqualTo(1024)) }),
  Schema.Struct({ type: Schema.Literal("disabled") })
)

/**
 * @since 0.1.0
 * @category schemas
 */
export const Metadata = Schema.Struct({ user_id: Schema.optional(Schema.NullOr(Schema.String)) })

const promptFields = {
  model: Schema.String,
  messages: Schema.Array(MessageParam),
  system: Schema.optional(Schema.Union(Schema.String, Schema.Array(TextBlockParam))),
  tools: Schema.optional(Schema.Array(Schema.Union(Tool, ServerTool))),
  tool_choice: Schema.optional(ToolChoice),
  thinking: Schema.optional(ThinkingConfig)
}

/**
 * The body of `POST /v1/messages`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MessageCreateParams = Schema.Struct({
  ...promptFields,
  max_tokens: Schema.Number.pipe(Schema.int(), Schema.positive()),
  metadata: Schema.optional(Metadata),
  stop_sequences: Schema.optional(Schema.Array(Schema.String)),
  stream: Schema.optional(Schema.Boolean),
  temperature: Schema.optional(Schema.Number),
  top_k: Schema.optional(Schema.Number),
  top_p: Schema.optional(Schema.Number),
  service_tier: Schema.optional(Schema.Literal("auto", "standard_only"))
})
/**
 * @since 0.1.0
 * @category models
 */
export type MessageCreateParams = typeof MessageCreateParams.Type

/**
 * The body of `POST /v1/messages/count_tokens`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CountTokensParams = Schema.Struct(promptFields)
/**
 * @since 0.1.0
 * @category models
 */
export type CountTokensParams = typeof CountTokensParams.Type

// ---------------------------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------------------------

/**
 * @since 0.1.0
 * @category schemas
 */
export const TextBlock = Schema.Struct({
  type: Schema.Literal("text"),
  text: Schema.String,
  citations: Schema.optional(Schema.NullOr(Schema.Array(JsonObject)))
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
export const ToolUseBlock = Schema.Struct({
  type: Schema.Literal("tool_use"),
  id: Schema.String,
  name: Schema.String,
  input: Schema.Unknown
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
 * @since 0.1.0
 * @category schemas
 */
export const RedactedThinkingBlock = Schema.Struct({
  type: Schema.Literal("redacted_thinking"),
  data: Schema.String
})

/**
 * @since 0.1.0
 * @category constants
 */
export const KNOWN_BLOCK_TYPES: ReadonlySet<string> = new Set(["text", "tool_use", "thinking", "redacted_thinking"])

/**
 * A block of a type this client does not model (server tool use, web search results, new kinds): accepted and kept
 * whole at run time. Its static type is `never`, so that `block.type === "text"` narrows the known blocks; handle
 * such blocks in a `default` branch.
 *
 * @since 0.1.0
 * @category schemas
 */
export const OtherBlock: Schema.Schema<never> = Schema.Struct(
  { type: Schema.String.pipe(Schema.filter((t) => !KNOWN_BLOCK_TYPES.has(t))) },
  JsonObject
) as unknown as Schema.Schema<never>

/**
 * @since 0.1.0
 * @category schemas
 */
export const ContentBlock = Schema.Union(TextBlock, ToolUseBlock, ThinkingBlock, RedactedThinkingBlock, OtherBlock)
/**
 * @since 0.1.0
 * @category models
 */
export type ContentBlock = typeof ContentBlock.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export const Usage = Schema.Struct({
  input_tokens: Schema.Number,
  output_tokens: Schema.Number,
  cache_creation_input_tokens: Schema.optional(Schema.NullOr(Schema.Number)),
  cache_read_input_tokens: Schema.optional(Schema.NullOr(Schema.Number)),
  server_tool_use: Schema.optional(Schema.NullOr(JsonObject)),
  service_tier: Schema.optional(Schema.NullOr(Schema.String))
})
/**
 * @since 0.1.0
 * @category models
 */
export type Usage = typeof Usage.Type

/**
 * Top-level fields a streamed message learns only from `message_delta`: why a refusal stopped, and the code-execution
 * container to reuse (`{ id, expires_at, … }`).
 */
const endFields = {
  stop_details: Schema.optional(Schema.NullOr(JsonObject)),
  container: Schema.optional(Schema.NullOr(JsonObject))
}

/**
 * The API's Message.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Message = Schema.Struct({
  id: Schema.String,
  type: Schema.Literal("message"),
  role: Schema.Literal("assistant"),
  model: Schema.String,
  content: Schema.Array(ContentBlock),
  stop_reason: Schema.NullOr(StopReason),
  stop_sequence: Schema.optional(Schema.NullOr(Schema.String)),
  ...endFields,
  usage: Usage
})
/**
 * @since 0.1.0
 * @category models
 */
export type Message = typeof Message.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export const MessageTokensCount = Schema.Struct({ input_tokens: Schema.Number })
/**
 * @since 0.1.0
 * @category models
 */
export type MessageTokensCount = typeof MessageTokensCount.Type

/**
 * The text of a message's text blocks, joined.
 *
 * @since 0.1.0
 * @category utils
 */
export const textOf = (message: Pick<Message, "content">): string => {
  let out = ""
  for (const block of message.content) if (block.type === "text") out += (block as TextBlock).text
  return out
}

/**
 * The tool calls a message asks for.
 *
 * @since 0.1.0
 * @category utils
 */
export const toolUses = (message: Pick<Message, "content">): ReadonlyArray<ToolUseBlock> =>
  message.content.filter((b): b is ToolUseBlock => b.type === "tool_use")

/**
 * A response as the assistant turn of the next request (tool-use loops): its blocks go back unchanged, thinking
 * signatures included, as the API requires.
 *
 * @since 0.1.0
 * @category utils
 */
export const assistantTurn = (message: Pick<Message, "content">): MessageParam => ({
  role: "assistant",
  content: message.content as ReadonlyArray<ContentBlockParam>
})

// ---------------------------------------------------------------------------------------------------------------
// Streaming events (SSE)
// ---------------------------------------------------------------------------------------------------------------

/**
 * @since 0.1.0
 * @category schemas
 */
export const TextDelta = Schema.Struct({ type: Schema.Literal("text_delta"), text: Schema.String })
/**
 * The first `partial_json` of a block may be "".
 *
 * @category schemas
 */
export const InputJsonDelta = Schema.Struct({ type: Schema.Literal("input_json_delta"), partial_json: Schema.String })
/**
 * @since 0.1.0
 * @category schemas
 */
export const ThinkingDelta = Schema.Struct({ type: Schema.Literal("thinking_delta"), thinking: Schema.String })
/**
 * @since 0.1.0
 * @category schemas
 */
export const SignatureDelta = Schema.Struct({ type: Schema.Literal("signature_delta"), signature: Schema.String })
/**
 * @since 0.1.0
 * @category schemas
 */
export const CitationsDelta = Schema.Struct({ type: Schema.Literal("citations_delta"), citation: JsonObject })

/**
 * @since 0.1.0
 * @category constants
 */
export const KNOWN_DELTA_TYPES: ReadonlySet<string> = new Set([
  "text_delta",
  "input_json_delta",
  "thinking_delta",
  "signature_delta",
  "citations_delta"
])

/**
 * A delta of a kind this client does not model: passed through, ignored by accumulation (static type `never`).
 *
 * @category schemas
 */
export const OtherDelta: Schema.Schema<never> = Schema.Struct(
  { type: Schema.String.pipe(Schema.filter((t) => !KNOWN_DELTA_TYPES.has(t))) },
  JsonObject
) as unknown as Schema.Schema<never>

/**
 * @since 0.1.0
 * @category schemas
 */
export const ContentBlockDelta = Schema.Union(TextDelta, InputJsonDelta, ThinkingDelta, SignatureDelta, CitationsDelta, OtherDelta)

/**
 * @since 0.1.0
 * @category schemas
 */
export const MessageStartEvent = Schema.Struct({ type: Schema.Literal("message_start"), message: Message })
/**
 * @since 0.1.0
 * @category schemas
 */
export const ContentBlockStartEvent = Schema.Struct({
  type: Schema.Literal("content_block_start"),
  index: Schema.Number,
  content_block: ContentBlock
})
/**
 * @since 0.1.0
 * @category schemas
 */
export const ContentBlockDeltaEvent = Schema.Struct({
  type: Schema.Literal("content_block_delta"),
  index: Schema.Number,
  delta: ContentBlockDelta
})
/**
 * @since 0.1.0
 * @category schemas
 */
export const ContentBlockStopEvent = Schema.Struct({ type: Schema.Literal("content_block_stop"), index: Schema.Number })

/**
 * `usage` in `message_delta`: `output_tokens` is cumulative; newer API versions also send input and cache counts.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MessageDeltaUsage = Schema.Struct({
  output_tokens: Schema.Number,
  input_tokens: Schema.optional(Schema.NullOr(Schema.Number)),
  cache_creation_input_tokens: Schema.optional(Schema.NullOr(Schema.Number)),
  cache_read_input_tokens: Schema.optional(Schema.NullOr(Schema.Number)),
  server_tool_use: Schema.optional(Schema.NullOr(JsonObject))
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const MessageDeltaEvent = Schema.Struct({
  type: Schema.Literal("message_delta"),
  delta: Schema.Struct({
    stop_reason: Schema.NullOr(StopReason),
    stop_sequence: Schema.optional(Schema.NullOr(Schema.String)),
    ...endFields
  }),
  usage: MessageDeltaUsage
})
/**
 * @since 0.1.0
 * @category schemas
 */
export const MessageStopEvent = Schema.Struct({ type: Schema.Literal("message_stop") })
/**
 * @since 0.1.0
 * @category schemas
 */
export const PingEvent = Schema.Struct({ type: Schema.Literal("ping") })
/**
 * @since 0.1.0
 * @category schemas
 */
export const ErrorEvent = Schema.Struct({
  type: Schema.Literal("error"),
  error: Schema.Struct({ type: Schema.String, message: Schema.String })
})

/**
 * @since 0.1.0
 * @category constants
 */
export const KNOWN_EVENT_TYPES: ReadonlySet<string> = new Set([
  "message_start",
  "content_block_start",
  "content_block_delta",
  "content_block_stop",
  "message_delta",
  "message_stop",
  "ping",
  "error"
])

/**
 * An event type the API added after this client: passed through unchanged (static type `never`, as for blocks).
 *
 * @since 0.1.0
 * @category schemas
 */
export const OtherEvent: Schema.Schema<never> = Schema.Struct(
  { type: Schema.String.pipe(Schema.filter((t) => !KNOWN_EVENT_TYPES.has(t))) },
  JsonObject
) as unknown as Schema.Schema<never>

/**
 * Every event `stream()` emits (`ping` and `error` are handled by the client and not emitted).
 *
 * @since 0.1.0
 * @category schemas
 */
export const MessageStreamEvent = Schema.Union(
  MessageStartEvent,
  ContentBlockStartEvent,
  ContentBlockDeltaEvent,
  ContentBlockStopEvent,
  MessageDeltaEvent,
  MessageStopEvent,
  PingEvent,
  ErrorEvent,
  OtherEvent
)
/**
 * @since 0.1.0
 * @category models
 */
export type MessageStreamEvent = typeof MessageStreamEvent.Type
