/**
 * What a Message reports beside its content: usage, why it stopped, its container, the context management and
 * cache diagnostics applied. The same objects come, piece by piece, in `message_delta`.
 *
 * @since 0.2.0
 */
import * as Schema from "effect/Schema"
import { RefusalCategory } from "./common.js"
import { maybe, openLiteral, openUnion } from "./schema.js"

// ---------------------------------------------------------------------------------------------------------------
// Usage
// ---------------------------------------------------------------------------------------------------------------

/**
 * Input tokens written to the cache, by TTL.
 *
 * @since 0.2.0
 * @category schemas
 */
export const CacheCreation = Schema.Struct({
  ephemeral_5m_input_tokens: Schema.Number,
  ephemeral_1h_input_tokens: Schema.Number
})

/**
 * Server tool requests made (web search, web fetch).
 *
 * @since 0.2.0
 * @category schemas
 */
export const ServerToolUsage = Schema.Struct({
  web_search_requests: Schema.optional(Schema.Number),
  web_fetch_requests: Schema.optional(Schema.Number)
})

/**
 * How the output tokens divide: `thinking_tokens` of them were reasoning (before any summary).
 *
 * @since 0.2.0
 * @category schemas
 */
export const OutputTokensDetails = Schema.Struct({ thinking_tokens: Schema.Number })

/** The counts of one iteration (the cache counts are left out by some answers, but never null). */
const iteration = {
  input_tokens: Schema.Number,
  output_tokens: Schema.Number,
  cache_creation_input_tokens: Schema.optional(Schema.Number),
  cache_read_input_tokens: Schema.optional(Schema.Number),
  cache_creation: maybe(CacheCreation)
}

/**
 * One sampling iteration of a server-side loop (the last one tells the context window's size).
 *
 * @since 0.2.0
 * @category schemas
 */
export const MessageIterationUsage = Schema.Struct({
  type: Schema.Literal("message"),
  ...iteration,
  model: maybe(Schema.String)
})

/**
 * The compaction itself (its tokens are not in the top-level counts, nor a measure of the context it closed).
 *
 * @since 0.2.0
 * @category schemas
 */
export const CompactionIterationUsage = Schema.Struct({ type: Schema.Literal("compaction"), ...iteration })

/**
 * A call of the advisor's model.
 *
 * @since 0.2.0
 * @category schemas
 */
export const AdvisorMessageIterationUsage = Schema.Struct({
  type: Schema.Literal("advisor_message"),
  ...iteration,
  model: Schema.String
})

/**
 * The fallback model's attempt that served the response.
 *
 * @since 0.2.0
 * @category schemas
 */
export const FallbackMessageIterationUsage = Schema.Struct({
  type: Schema.Literal("fallback_message"),
  ...iteration,
  model: Schema.String
})

/**
 * `usage.iterations`: per-iteration counts (server tool loops, compaction, advisor, fallback); beta.
 *
 * @since 0.2.0
 * @category schemas
 */
export const IterationUsage = openUnion(
  MessageIterationUsage,
  CompactionIterationUsage,
  AdvisorMessageIterationUsage,
  FallbackMessageIterationUsage
)

/**
 * What came of the request's `fallback_credit_token`: `redeemed`, or `not_applied` and why. Beta: needs
 * `anthropic-beta: fallback-credit-2026-07-01`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const FallbackCreditUsage = Schema.Struct({
  status: openUnion(
    Schema.Struct({ type: Schema.Literal("redeemed") }),
    Schema.Struct({
      type: Schema.Literal("not_applied"),
      reason: openLiteral(
        "body_mismatch",
        "continuation_excluded",
        "continuation_only",
        "expired",
        "invalid_target_model",
        "not_enabled",
        "reprice_unavailable",
        "temporarily_unavailable",
        "variant_fields_present",
        "wrong_organization",
        "wrong_platform",
        "wrong_workspace"
      ),
      /** The request fields to remove before retrying, for `variant_fields_present`. */
      remove_to_redeem: maybe(Schema.Array(Schema.String))
    })
  )
})

/** The counts both a Message's `usage` and a `message_delta`'s carry. */
const counts = {
  output_tokens: Schema.Number,
  cache_creation_input_tokens: maybe(Schema.Number),
  cache_read_input_tokens: maybe(Schema.Number),
  output_tokens_details: maybe(OutputTokensDetails),
  server_tool_use: maybe(ServerToolUsage),
  /** Beta (server tool loops, compaction, advisor, fallback). */
  iterations: maybe(Schema.Array(IterationUsage)),
  /** Beta: needs `anthropic-beta: fallback-credit-2026-07-01`. */
  fallback_credit: maybe(FallbackCreditUsage)
}

/**
 * Billing and rate-limit usage. All input tokens are `input_tokens` + `cache_creation_input_tokens` +
 * `cache_read_input_tokens`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Usage = Schema.Struct({
  input_tokens: Schema.Number,
  ...counts,
  cache_creation: maybe(CacheCreation),
  /** Where inference ran. */
  inference_geo: maybe(Schema.String),
  service_tier: maybe(openLiteral("standard", "priority", "batch")),
  speed: maybe(openLiteral("standard", "fast"))
})
/**
 * @since 0.1.0
 * @category models
 */
export type Usage = typeof Usage.Type

/**
 * `usage` in `message_delta`: cumulative counts (`output_tokens` always; the others as the API version sends them).
 *
 * @since 0.1.0
 * @category schemas
 */
export const MessageDeltaUsage = Schema.Struct({ input_tokens: maybe(Schema.Number), ...counts })
/**
 * @since 0.2.0
 * @category models
 */
export type MessageDeltaUsage = typeof MessageDeltaUsage.Type

// ---------------------------------------------------------------------------------------------------------------
// Why it stopped, and where it ran
// ---------------------------------------------------------------------------------------------------------------

/**
 * Why the model refused: the policy `category` (`null` when none applies) and an `explanation` that may change.
 * The fallback fields need `anthropic-beta: fallback-credit-2026-07-01` (or the server-side fallback beta).
 *
 * @since 0.2.0
 * @category schemas
 */
export const RefusalStopDetails = Schema.Struct({
  type: Schema.Literal("refusal"),
  category: maybe(RefusalCategory),
  explanation: maybe(Schema.String),
  /** Pass as `fallback_credit_token` when retrying on the fallback model (valid 5 minutes). */
  fallback_credit_token: maybe(Schema.String),
  /** Whether that retry may append this response's content as an assistant turn. */
  fallback_has_prefill_claim: maybe(Schema.Boolean),
  /** The model to retry on when a fallback could not be made. */
  recommended_model: maybe(Schema.String)
})

/**
 * `stop_details`: more about why the output stopped (a refusal today; newer kinds are kept).
 *
 * @since 0.2.0
 * @category schemas
 */
export const StopDetails = openUnion(RefusalStopDetails)
/**
 * @since 0.2.0
 * @category models
 */
export type StopDetails = typeof StopDetails.Type

/**
 * @since 0.2.0
 * @category schemas
 */
export const ContainerSkill = Schema.Struct({
  type: openLiteral("anthropic", "custom"),
  skill_id: Schema.String,
  /** The version resolved. */
  version: Schema.String
})

/**
 * The code execution container the request used: pass `id` as `container` to reuse it before `expires_at`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const Container = Schema.Struct({
  id: Schema.String,
  expires_at: Schema.String,
  skills: maybe(Schema.Array(ContainerSkill))
})
/**
 * @since 0.2.0
 * @category models
 */
export type Container = typeof Container.Type

const cleared = { cleared_input_tokens: Schema.Number }

/**
 * `context_management` of a response: the edits applied. Beta: needs `anthropic-beta: context-management-2025-06-27`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ContextManagementResponse = Schema.Struct({
  applied_edits: Schema.Array(openUnion(
    Schema.Struct({ type: Schema.Literal("clear_tool_uses_20250919"), ...cleared, cleared_tool_uses: Schema.Number }),
    Schema.Struct({ type: Schema.Literal("clear_thinking_20251015"), ...cleared, cleared_thinking_turns: Schema.Number })
  ))
})
/**
 * @since 0.2.0
 * @category models
 */
export type ContextManagementResponse = typeof ContextManagementResponse.Type

/** A cache miss caused by a change: the tokens that would have been read from the cache. */
const changed = <const Type extends string>(type: Type) =>
  Schema.Struct({ type: Schema.Literal(type), cache_missed_input_tokens: Schema.Number })

/**
 * Why the prompt cache could not reuse the previous request's prefix.
 *
 * @since 0.2.0
 * @category schemas
 */
export const CacheMissReason = openUnion(
  changed("model_changed"),
  changed("system_changed"),
  changed("tools_changed"),
  changed("messages_changed"),
  Schema.Struct({ type: Schema.Literal("previous_message_not_found") }),
  Schema.Struct({ type: Schema.Literal("unavailable") })
)

/**
 * `diagnostics` of a response to a request that asked for them (`cache_miss_reason` `null`: not known yet).
 *
 * @since 0.2.0
 * @category schemas
 */
export const Diagnostics = Schema.Struct({ cache_miss_reason: maybe(CacheMissReason) })
