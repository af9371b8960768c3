/**
 * The Messages API's schemas assembled (the public `Messages` module re-exports this module): the request params,
 * the Message, the stream events, from the parts in this folder.
 */
import * as Schema from "effect/Schema"
import { CacheControl, TextCitation } from "./common.js"
import {
  ContainerParams,
  ContextManagementConfig,
  DiagnosticsParam,
  Metadata,
  OutputConfig,
  ThinkingConfig
} from "./config.js"
import {
  DocumentBlockParam,
  ImageBlockParam,
  RedactedThinkingBlock,
  RedactedThinkingBlockParam,
  SearchResultBlockParam,
  TextBlock,
  TextBlockParam,
  ThinkingBlock,
  ThinkingBlockParam,
  ToolResultBlockParam,
  ToolUseBlock,
  ToolUseBlockParam
} from "./content.js"
import {
  Container,
  ContextManagementResponse,
  Diagnostics,
  MessageDeltaUsage,
  StopDetails,
  Usage
} from "./response.js"
import { knownTypes, lenient, maybe, openLiteral, otherThan } from "./schema.js"
import {
  AdvisorToolResultBlock,
  AdvisorToolResultBlockParam,
  BashCodeExecutionToolResultBlock,
  BashCodeExecutionToolResultBlockParam,
  CodeExecutionToolResultBlock,
  CodeExecutionToolResultBlockParam,
  CompactionBlock,
  CompactionBlockParam,
  ContainerUploadBlock,
  ContainerUploadBlockParam,
  FallbackBlock,
  FallbackBlockParam,
  McpToolListingBlock,
  McpToolListingBlockParam,
  McpToolResultBlock,
  McpToolResultBlockParam,
  McpToolUseBlock,
  McpToolUseBlockParam,
  ServerToolUseBlock,
  ServerToolUseBlockParam,
  TextEditorCodeExecutionToolResultBlock,
  TextEditorCodeExecutionToolResultBlockParam,
  ToolAdditionBlockParam,
  ToolRemovalBlockParam,
  ToolSearchToolResultBlock,
  ToolSearchToolResultBlockParam,
  WebFetchToolResultBlock,
  WebFetchToolResultBlockParam,
  WebSearchToolResultBlock,
  WebSearchToolResultBlockParam
} from "./serverBlocks.js"
import { McpServerUrlDefinition, ToolChoice, ToolUnion } from "./tools.js"

export * from "./common.js"
export * from "./config.js"
export * from "./content.js"
export * from "./response.js"
export * from "./serverBlocks.js"
export * from "./tools.js"

/**
 * Stop reasons known today (`compaction` with the compaction beta); any other string is kept (the API adds new
 * ones).
 *
 * @since 0.1.0
 * @category schemas
 */
export const StopReason = openLiteral(
  "end_turn",
  "max_tokens",
  "stop_sequence",
  "tool_use",
  "pause_turn",
  "refusal",
  "model_context_window_exceeded",
  "compaction"
)
/**
 * @since 0.2.0
 * @category models
 */
export type StopReason = typeof StopReason.Type

// ---------------------------------------------------------------------------------------------------------------
// The request
// ---------------------------------------------------------------------------------------------------------------

/**
 * A block of a request's message: every block a response gives (sent back in the next turn) and the input-only
 * ones (images, documents, search results, tool results, tool changes).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ContentBlockParam = Schema.Union([
  TextBlockParam,
  ImageBlockParam,
  DocumentBlockParam,
  SearchResultBlockParam,
  ThinkingBlockParam,
  RedactedThinkingBlockParam,
  ToolUseBlockParam,
  ToolResultBlockParam,
  ServerToolUseBlockParam,
  WebSearchToolResultBlockParam,
  WebFetchToolResultBlockParam,
  CodeExecutionToolResultBlockParam,
  BashCodeExecutionToolResultBlockParam,
  TextEditorCodeExecutionToolResultBlockParam,
  ToolSearchToolResultBlockParam,
  AdvisorToolResultBlockParam,
  ContainerUploadBlockParam,
  McpToolUseBlockParam,
  McpToolResultBlockParam,
  McpToolListingBlockParam,
  CompactionBlockParam,
  FallbackBlockParam,
  ToolAdditionBlockParam,
  ToolRemovalBlockParam
])
/**
 * @since 0.1.0
 * @category models
 */
export type ContentBlockParam = typeof ContentBlockParam.Type

/**
 * A `system` message among `messages` (text only).
 *
 * @since 0.2.0
 * @category schemas
 */
export const SystemMessageParam = Schema.Struct({
  role: Schema.Literal("system"),
  content: Schema.Union([Schema.String, Schema.Array(TextBlockParam)])
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const MessageParam = Schema.Union([
  Schema.Struct({
    role: Schema.Literals(["user", "assistant"]),
    content: Schema.Union([Schema.String, Schema.Array(ContentBlockParam)])
  }),
  SystemMessageParam
])
/**
 * @since 0.1.0
 * @category models
 */
export type MessageParam = typeof MessageParam.Type

/** What `count_tokens` reads too: everything that makes up the prompt. */
const promptFields = {
  model: Schema.String,
  messages: Schema.Array(MessageParam),
  system: Schema.optional(Schema.Union([Schema.String, Schema.Array(TextBlockParam)])),
  tools: Schema.optional(Schema.Array(ToolUnion)),
  tool_choice: Schema.optional(ToolChoice),
  thinking: Schema.optional(ThinkingConfig),
  output_config: Schema.optional(OutputConfig),
  /** A breakpoint the API puts on the last cacheable block. */
  cache_control: maybe(CacheControl),
  /** `fast`: high output speed (some models need `anthropic-beta: fast-mode-2026-02-01`). */
  speed: maybe(Schema.Literals(["standard", "fast"])),
  /** Beta: needs `anthropic-beta: context-management-2025-06-27` (see `ContextManagementConfig`). */
  context_management: maybe(ContextManagementConfig),
  /** Beta: needs `anthropic-beta: mcp-client-2025-11-20` (or the older `mcp-client-2025-04-04`). */
  mcp_servers: Schema.optional(Schema.Array(McpServerUrlDefinition))
}

/**
 * The body of `POST /v1/messages`. `max_tokens` may be 0: the request then only fills the prompt cache.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MessageCreateParams = Schema.Struct({
  ...promptFields,
  max_tokens: Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0)),
  metadata: Schema.optional(Metadata),
  stop_sequences: Schema.optional(Schema.Array(Schema.String)),
  stream: Schema.optional(Schema.Boolean),
  temperature: Schema.optional(Schema.Number),
  top_k: Schema.optional(Schema.Number),
  top_p: Schema.optional(Schema.Number),
  service_tier: Schema.optional(Schema.Literals(["auto", "standard_only"])),
  container: maybe(ContainerParams),
  /** Where inference runs (the workspace's `default_inference_geo` if absent). */
  inference_geo: maybe(Schema.String),
  diagnostics: maybe(DiagnosticsParam)
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
// The response
// ---------------------------------------------------------------------------------------------------------------

/** Every block a response may hold that this client types. */
const typedBlocks = [
  TextBlock,
  ThinkingBlock,
  RedactedThinkingBlock,
  ToolUseBlock,
  ServerToolUseBlock,
  WebSearchToolResultBlock,
  WebFetchToolResultBlock,
  CodeExecutionToolResultBlock,
  BashCodeExecutionToolResultBlock,
  TextEditorCodeExecutionToolResultBlock,
  ToolSearchToolResultBlock,
  AdvisorToolResultBlock,
  ContainerUploadBlock,
  McpToolUseBlock,
  McpToolResultBlock,
  McpToolListingBlock,
  CompactionBlock,
  FallbackBlock
] as const

/**
 * The `type` of every block `ContentBlock` types (derived from its members, so it cannot drift from them).
 *
 * @since 0.1.0
 * @category constants
 */
export const KNOWN_BLOCK_TYPES: ReadonlySet<string> = knownTypes(typedBlocks)

/**
 * A block of a type this client does not model (a newer kind): accepted and kept whole at run time. Its static type
 * is `never`, so that `block.type === "text"` narrows the known blocks; handle such blocks in a `default` branch.
 *
 * @since 0.1.0
 * @category schemas
 */
export const OtherBlock: Schema.Codec<never> = otherThan(KNOWN_BLOCK_TYPES)

/**
 * @since 0.1.0
 * @category schemas
 */
export const ContentBlock = Schema.Union([...typedBlocks, OtherBlock])
/**
 * @since 0.1.0
 * @category models
 */
export type ContentBlock = typeof ContentBlock.Type

/**
 * Top-level fields a streamed message learns only from `message_delta`: why a refusal stopped, and the code-execution
 * container to reuse (typed as the SDK has it, but kept whatever it holds, as a server tool's result is).
 */
const endFields = {
  stop_details: maybe(StopDetails),
  container: maybe(lenient(Container))
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
  stop_sequence: maybe(Schema.String),
  ...endFields,
  /** Beta: needs `anthropic-beta: context-management-2025-06-27`. */
  context_management: maybe(ContextManagementResponse),
  diagnostics: maybe(Diagnostics),
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
export const MessageTokensCount = Schema.Struct({
  input_tokens: Schema.Number,
  /** Beta (`context-management-2025-06-27`): the count before context management. */
  context_management: maybe(Schema.Struct({ original_input_tokens: Schema.Number }))
})
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
  for (const block of message.content) if (block.type === "text") out += block.text
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
 * signatures, server tool results and compaction included, as the API requires. Every typed response block is a
 * request block as it is; blocks of unknown types go back as they came.
 *
 * @since 0.1.0
 * @category utils
 */
export const assistantTurn = (message: Pick<Message, "content">): MessageParam => ({
  role: "assistant",
  content: message.content
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
 * @since 0.1.0
 * @category schemas
 */
export const InputJsonDelta = Schema.Struct({ type: Schema.Literal("input_json_delta"), partial_json: Schema.String })
/**
 * @since 0.1.0
 * @category schemas
 */
export const ThinkingDelta = Schema.Struct({
  type: Schema.Literal("thinking_delta"),
  thinking: Schema.String,
  /**
   * A coarse running estimate's increment, for progress display only. Beta: needs
   * `anthropic-beta: thinking-token-count-2026-05-13`.
   */
  estimated_tokens: maybe(Schema.Number)
})
/**
 * @since 0.1.0
 * @category schemas
 */
export const SignatureDelta = Schema.Struct({ type: Schema.Literal("signature_delta"), signature: Schema.String })
/**
 * @since 0.1.0
 * @category schemas
 */
export const CitationsDelta = Schema.Struct({ type: Schema.Literal("citations_delta"), citation: TextCitation })
/**
 * The final value of a `compaction` block (`content` `null`: compaction failed). Beta: needs
 * `anthropic-beta: compact-2026-01-12`. Accumulation leaves it out, as the SDK's (non-beta) `MessageStream` does.
 *
 * @since 0.2.0
 * @category schemas
 */
export const CompactionDelta = Schema.Struct({
  type: Schema.Literal("compaction_delta"),
  content: maybe(Schema.String),
  encrypted_content: maybe(Schema.String)
})

const typedDeltas = [TextDelta, InputJsonDelta, ThinkingDelta, SignatureDelta, CitationsDelta, CompactionDelta] as const

/**
 * @since 0.1.0
 * @category constants
 */
export const KNOWN_DELTA_TYPES: ReadonlySet<string> = knownTypes(typedDeltas)

/**
 * A delta of a kind this client does not model: passed through, ignored by accumulation (static type `never`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const OtherDelta: Schema.Codec<never> = otherThan(KNOWN_DELTA_TYPES)

/**
 * @since 0.1.0
 * @category schemas
 */
export const ContentBlockDelta = Schema.Union([...typedDeltas, OtherDelta])

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
 * @since 0.1.0
 * @category schemas
 */
export const MessageDeltaEvent = Schema.Struct({
  type: Schema.Literal("message_delta"),
  delta: Schema.Struct({
    stop_reason: Schema.NullOr(StopReason),
    stop_sequence: maybe(Schema.String),
    ...endFields
  }),
  usage: MessageDeltaUsage,
  /** Beta: needs `anthropic-beta: context-management-2025-06-27`. */
  context_management: maybe(ContextManagementResponse)
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

const typedEvents = [
  MessageStartEvent,
  ContentBlockStartEvent,
  ContentBlockDeltaEvent,
  ContentBlockStopEvent,
  MessageDeltaEvent,
  MessageStopEvent,
  PingEvent,
  ErrorEvent
] as const

/**
 * @since 0.1.0
 * @category constants
 */
export const KNOWN_EVENT_TYPES: ReadonlySet<string> = knownTypes(typedEvents)

/**
 * An event type the API added after this client: passed through unchanged (static type `never`, as for blocks).
 *
 * @since 0.1.0
 * @category schemas
 */
export const OtherEvent: Schema.Codec<never> = otherThan(KNOWN_EVENT_TYPES)

/**
 * Every event `stream()` emits (`ping` and `error` are handled by the client and not emitted).
 *
 * @since 0.1.0
 * @category schemas
 */
export const MessageStreamEvent = Schema.Union([...typedEvents, OtherEvent])
/**
 * @since 0.1.0
 * @category models
 */
export type MessageStreamEvent = typeof MessageStreamEvent.Type
