/**
 * The settings of a request beside its messages and tools: thinking, output, container, context management,
 * diagnostics, metadata.
 *
 * @since 0.2.0
 */
import * as Schema from "effect/Schema"
import { JsonObject, maybe } from "./schema.js"

// ---------------------------------------------------------------------------------------------------------------
// Thinking
// ---------------------------------------------------------------------------------------------------------------

/**
 * How thinking appears in the response: `summarized`, or `omitted` (a signature only, for continuity); `updates`
 * needs `anthropic-beta: thinking-display-updates-2026-08-18`. The default depends on the model.
 */
const display = { display: maybe(Schema.Literals(["summarized", "omitted", "updates"])) }

/**
 * What the API does with a thinking block sent back that fails the conversation check (made in another
 * conversation, or the messages before it changed): refuse the request with a 400 (`error`, the default) or drop the
 * block and go on (`drop_block`, each drop reported in the response's `input_transformations`). Beta: needs
 * `anthropic-beta: thinking-binding-controls-2026-08-01`.
 */
const blockBinding = {
  block_binding: maybe(Schema.Struct({ prefix_mismatch_behavior: maybe(Schema.Literals(["error", "drop_block"])) }))
}

/**
 * Extended thinking with a budget: `budget_tokens` ≥ 1024 and below `max_tokens`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ThinkingConfigEnabled = Schema.Struct({
  type: Schema.Literal("enabled"),
  budget_tokens: Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(1024)),
  ...display,
  ...blockBinding
})

/**
 * The model decides when and how much to think.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ThinkingConfigAdaptive = Schema.Struct({ type: Schema.Literal("adaptive"), ...display, ...blockBinding })

/**
 * @since 0.2.0
 * @category schemas
 */
export const ThinkingConfigDisabled = Schema.Struct({ type: Schema.Literal("disabled") })

/**
 * Thinking only between tool calls.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ThinkingConfigBetweenTools = Schema.Struct({ type: Schema.Literal("between_tools") })

/**
 * `thinking`: which types a model takes, and what leaving it out means, depend on the model.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ThinkingConfig = Schema.Union([
  ThinkingConfigEnabled,
  ThinkingConfigAdaptive,
  ThinkingConfigDisabled,
  ThinkingConfigBetweenTools
])
/**
 * @since 0.2.0
 * @category models
 */
export type ThinkingConfig = typeof ThinkingConfig.Type

// ---------------------------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------------------------

/**
 * Structured output: the response's text is JSON that fits `schema`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const JsonOutputFormat = Schema.Struct({ type: Schema.Literal("json_schema"), schema: JsonObject })

/**
 * A token budget across contexts (compaction done client-side). Beta: needs
 * `anthropic-beta: task-budgets-2026-03-13`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const TaskBudget = Schema.Struct({
  type: Schema.Literal("tokens"),
  total: Schema.Number,
  remaining: maybe(Schema.Number)
})

/**
 * `output_config`: how much effort the model spends, and the format of its output.
 *
 * @since 0.2.0
 * @category schemas
 */
export const OutputConfig = Schema.Struct({
  effort: maybe(Schema.Literals(["low", "medium", "high", "xhigh", "max"])),
  format: maybe(JsonOutputFormat),
  /** Beta: needs `anthropic-beta: task-budgets-2026-03-13`. */
  task_budget: maybe(TaskBudget)
})
/**
 * @since 0.2.0
 * @category models
 */
export type OutputConfig = typeof OutputConfig.Type

// ---------------------------------------------------------------------------------------------------------------
// Container (code execution)
// ---------------------------------------------------------------------------------------------------------------

/**
 * A skill to load in the container: built in (`anthropic`) or your own (`custom`); `version` defaults to the latest.
 *
 * @since 0.2.0
 * @category schemas
 */
export const SkillParams = Schema.Struct({
  type: Schema.Literals(["anthropic", "custom"]),
  skill_id: Schema.String,
  version: Schema.optional(Schema.String)
})

/**
 * `container`: the id of a container to reuse, or the container to use and the skills to load in it.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ContainerParams = Schema.Union([
  Schema.String,
  Schema.Struct({ id: maybe(Schema.String), skills: maybe(Schema.Array(SkillParams)) })
])
/**
 * @since 0.2.0
 * @category models
 */
export type ContainerParams = typeof ContainerParams.Type

// ---------------------------------------------------------------------------------------------------------------
// Context management (beta)
// ---------------------------------------------------------------------------------------------------------------

const inputTokens = Schema.Struct({ type: Schema.Literal("input_tokens"), value: Schema.Number })
const toolUses = Schema.Struct({ type: Schema.Literal("tool_uses"), value: Schema.Number })

/**
 * Clears old tool results (and, if asked, tool inputs) once the context is past `trigger`, keeping the latest
 * `keep` tool uses.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ClearToolUses20250919Edit = Schema.Struct({
  type: Schema.Literal("clear_tool_uses_20250919"),
  trigger: Schema.optional(Schema.Union([inputTokens, toolUses])),
  keep: Schema.optional(toolUses),
  /** Clear only if at least this many tokens go. */
  clear_at_least: maybe(inputTokens),
  /** Clear the inputs too: all (`true`), or of the tools named. */
  clear_tool_inputs: maybe(Schema.Union([Schema.Boolean, Schema.Array(Schema.String)])),
  exclude_tools: maybe(Schema.Array(Schema.String))
})

/**
 * Clears the thinking blocks of older assistant turns, keeping those of the latest `keep` turns (or all).
 *
 * @since 0.2.0
 * @category schemas
 */
export const ClearThinking20251015Edit = Schema.Struct({
  type: Schema.Literal("clear_thinking_20251015"),
  keep: Schema.optional(Schema.Union([
    Schema.Struct({ type: Schema.Literal("thinking_turns"), value: Schema.Number }),
    Schema.Struct({ type: Schema.Literal("all") }),
    Schema.Literal("all")
  ]))
})

/**
 * Summarizes the conversation into a `compaction` block once it is past `trigger` (150,000 input tokens by
 * default). Beta: needs `anthropic-beta: compact-2026-01-12`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const Compact20260112Edit = Schema.Struct({
  type: Schema.Literal("compact_20260112"),
  trigger: maybe(inputTokens),
  /** Instructions for the summary, added to the server's. */
  instructions: maybe(Schema.String),
  /** Stop after compacting, with the `compaction` block (`stop_reason: "compaction"`). */
  pause_after_compaction: Schema.optional(Schema.Boolean)
})

/**
 * `context_management`: edits the API applies to the conversation before the model sees it. Beta: needs
 * `anthropic-beta: context-management-2025-06-27` (and `compact-2026-01-12` for the `compact_20260112` edit).
 *
 * @since 0.2.0
 * @category schemas
 */
export const ContextManagementConfig = Schema.Struct({
  edits: Schema.optional(Schema.Array(Schema.Union([ClearToolUses20250919Edit, ClearThinking20251015Edit, Compact20260112Edit])))
})
/**
 * @since 0.2.0
 * @category models
 */
export type ContextManagementConfig = typeof ContextManagementConfig.Type

// ---------------------------------------------------------------------------------------------------------------
// Diagnostics, metadata
// ---------------------------------------------------------------------------------------------------------------

/**
 * `diagnostics`: name your previous response (`msg_…`, or `null` on the first turn) to be told, in the response's
 * `diagnostics.cache_miss_reason`, why the prompt cache could not reuse its prefix.
 *
 * @since 0.2.0
 * @category schemas
 */
export const DiagnosticsParam = Schema.Struct({ previous_message_id: maybe(Schema.String) })

/**
 * @since 0.1.0
 * @category schemas
 */
export const Metadata = Schema.Struct({ user_id: Schema.optional(Schema.NullOr(Schema.String)) })
