/**
 * This library's request and response types against the official SDK's (`@anthropic-ai/sdk`, a devDependency):
 * checked by `tsc` (`npm run typecheck`, the first step of `npm test`), so the typecheck fails, naming the type and
 * the field, when either side adds, removes or retypes a field that is not one of the differences listed here.
 *
 * How it reads:
 *
 * - Each pair below (ours, the SDK's) is walked field by field in both directions by `Compare` (`structuralDiff.ts`),
 *   which yields every difference as a string: `"Message.usage.speed: \"turbo\" only in the SDK"`. Nested types are
 *   checked where they sit: `MessageCreateParams.tools[]` is `ToolUnion`, `.tool_choice` is `ToolChoice`,
 *   `.messages[].content[]` is `ContentBlockParam`, `Message.content[]` is `ContentBlock`, `Message.usage` is `Usage`,
 *   `MessageStreamEvent<content_block_delta>.delta` the deltas, `MessageStreamEvent<message_delta>.usage` is
 *   `MessageDeltaUsage`.
 * - `Differences` lists every deliberate difference, one named entry each, with why. An entry is a set of those
 *   strings; `${string}` stands for any path before the rest (a block is met in several places).
 * - A difference found but not listed fails the typecheck at its pair (`Type '"unlisted difference: …"' does not
 *   satisfy the constraint 'never'`): fix the schema, or list the difference with its reason. An entry that matches
 *   nothing any more fails too (`DifferencesStillFound`), so the list never outlives what it explains.
 * - Upgrading `@anthropic-ai/sdk` and running `npm run typecheck` therefore shows what the API changed.
 *
 * Which SDK types: as this library calls each endpoint. Messages: the SDK's Beta types (`beta.messages`), since
 * these schemas type the beta fields and blocks too (context management, MCP, compaction, fallback, …); the Beta types
 * are the GA types plus the betas, and the GA types are checked to be values of ours as well (`GaValuesAreOurs`).
 * Files: the Beta types (the client sends the Files beta, which selects the beta shapes). Models and Message Batches:
 * the GA types. Four rules apply everywhere without being listed (see `structuralDiff.ts`): readonly, `maybe`,
 * `openLiteral` and `openUnion`.
 */
import type * as SdkBetaFiles from "@anthropic-ai/sdk/resources/beta/files"
import type * as SdkBeta from "@anthropic-ai/sdk/resources/beta/messages/messages"
import type * as SdkFiles from "@anthropic-ai/sdk/resources/files"
import type * as SdkBatches from "@anthropic-ai/sdk/resources/messages/batches"
import type * as Sdk from "@anthropic-ai/sdk/resources/messages/messages"
import type * as SdkModels from "@anthropic-ai/sdk/resources/models"
import type * as Files from "../../src/Files.js"
import type * as MessageBatches from "../../src/MessageBatches.js"
import type * as Messages from "../../src/Messages.js"
import type * as Models from "../../src/Models.js"
import type { Compare } from "./structuralDiff.js"

// ---------------------------------------------------------------------------------------------------------------
// The deliberate differences
// ---------------------------------------------------------------------------------------------------------------

/** The requests that carry a prompt. */
type Prompt = "MessageCreateParams" | "CountTokensParams"
type MayBeLeftOut = "optional in ours, required in the SDK"
type Location = "char_location" | "page_location" | "content_block_location"
type IterationKind = "message" | "compaction" | "advisor_message" | "fallback_message"
type CacheCount = "cache_creation_input_tokens" | "cache_read_input_tokens"
/** A tool defined inline in a compaction's tool changes. */
type ChangedToolDefinition = `${string}<compaction>.tool_changes[]<tool_addition>.tool<tool_definition>.definition`
/** Anthropic-defined tools typed only by `ServerTool`, the catch-all of `ToolUnion`. */
type UntypedTool =
  | "computer_20241022"
  | "computer_20250124"
  | "computer_20251124"
  | "computer_toolset_20260801"
  | "browser_toolset_20260801"
  | "mcp_toolset"

/**
 * Every deliberate difference between ours and the SDK's, by name. Add one only with its reason.
 */
export interface Differences {
  // -- Requests --------------------------------------------------------------------------------------------------

  /**
   * `temperature`, `top_k`, `top_p`: this client speaks `anthropic-version: 2023-06-01` by default, which takes them;
   * the SDK (1.x) speaks `2026-10-21`, which dropped them.
   */
  SamplingParameters: `MessageCreateParams.${"temperature" | "top_k" | "top_p"}: only in ours`

  /**
   * What the SDK types as "Header param"s (`betas`, `user_profile_id`, `workspace_id`) are headers, not body fields:
   * here they are per-call options (`{ betas }`, `{ headers }`).
   */
  HeaderParameters:
    | `${Prompt}.${"betas" | "user_profile_id" | "workspace_id"}: only in the SDK`
    | `BatchCreateParams.${"user_profile_id" | "workspace_id"}: only in the SDK`
    | `FileListParams.${"betas" | "workspace_id"}: only in the SDK`
    | `ModelListParams.workspace_id: only in the SDK`

  /**
   * Computer use, the browser and computer toolsets and `mcp_toolset` are typed by `ServerTool` (any `type` this
   * client does not model, with any fields), not one by one: they are accepted as they are.
   */
  ToolsTypedAsServerTool:
    | `${string}.tools[]<${UntypedTool}>: only in the SDK`
    | `${string}.tool<tool_definition>.definition<${UntypedTool}>: only in the SDK`

  /**
   * A response's text blocks are sent back as they came (`assistantTurn`), so a request's citations may carry the
   * `file_id` a response gives (the SDK's request citations have none).
   */
  CitationFileIdSentBack: `${string}.citations[]<${Location}>.file_id: only in ours`

  /**
   * `SystemMessageParam` lacks what the SDK's Beta system message has grown (`clear_at`, `output_config`, tool
   * changes, no `content`). Not typed yet: to be added in `src/internal/messages/`.
   */
  SystemMessageBetas:
    | `${Prompt}.messages[]<system>.${"clear_at" | "output_config"}: only in the SDK`
    | `${Prompt}.messages[]<system>.content: required in ours, optional in the SDK`
    | `${Prompt}.messages[]<system>.content[]<${"tool_addition" | "tool_removal"}>: only in the SDK`

  /**
   * `fallback_credit_token`: a refusal's `stop_details` gives the token, but `MessageCreateParams` cannot send it
   * back yet. Not typed yet: to be added in `src/internal/messages/`.
   */
  FallbackCreditTokenParam: `MessageCreateParams.fallback_credit_token: only in the SDK`

  /** Betas this client does not type: server-side `fallbacks`, `thread`s, `billing_policy`, a `compaction` request. */
  UntypedBetaParams:
    | `MessageCreateParams.${"fallbacks" | "thread"}: only in the SDK`
    | `${Prompt}.${"billing_policy" | "compaction"}: only in the SDK`

  /** `output_format`: deprecated by the SDK for `output_config.format`, which is typed. */
  DeprecatedOutputFormat: `${Prompt}.output_format: only in the SDK`

  // -- Responses -------------------------------------------------------------------------------------------------

  /**
   * `usage.server_tool_use`'s counts may be left out: real answers give `web_search_requests` alone.
   */
  ServerToolCountsMayBeAbsent: `${string}.usage.server_tool_use.${"web_search_requests" | "web_fetch_requests"}: ${MayBeLeftOut}`

  /** An iteration's cache counts may be left out: other clients' recorded answers (replayed by the suite) have none. */
  IterationCacheCountsMayBeAbsent: `${string}.usage.iterations[]<${IterationKind}>.${CacheCount}: ${MayBeLeftOut}`

  /** A `fallback` block's `trigger` may be left out: recorded fallbacks (replayed by the suite) have none. */
  FallbackTriggerMayBeAbsent: `${string}<fallback>.trigger: ${MayBeLeftOut}`

  /** A model's `lifecycle` may be left out: the API added it lately, and answers without it are still models. */
  ModelLifecycleMayBeAbsent: `ModelInfo.lifecycle: ${MayBeLeftOut}`

  /**
   * A server tool call's `input` is `unknown`, as a `tool_use`'s is, and as the SDK's GA type has it (its Beta type
   * says an object).
   */
  ServerToolInputUnknown: `${string}<server_tool_use>.input: unknown in ours, typed in the SDK`

  /**
   * A compaction's `tool_changes` are typed as a request sends them back (blocks with `cache_control`, tools as
   * defined in `tools`), since they are sent back unchanged; they are kept whatever they hold (`lenient`).
   */
  CompactionToolChangesAsSentBack:
    | `${string}<compaction>.tool_changes[]<${"tool_addition" | "tool_removal"}>.cache_control: only in ours`
    | `${ChangedToolDefinition}<custom>.cache_control: only in ours`
    | `${ChangedToolDefinition}<custom>.input_schema.properties: unknown in ours, typed in the SDK`

  /**
   * `input_transformations` (what the API did to thinking blocks sent back; `thinking.block_binding` is typed) is not
   * typed yet. Not typed yet: to be added in `src/internal/messages/`.(`Message`, `MessageDeltaEvent`).
   */
  InputTransformations:
    | `Message.input_transformations: only in the SDK`
    | `MessageStreamEvent<${"message_start>.message" | "message_delta>"}.input_transformations: only in the SDK`

  /**
   * `ping` and `error` are SSE events the API sends: typed here as the wire has them (the client consumes them); the
   * SDK's event type lists only what its stream yields.
   */
  WireOnlyEvents: `MessageStreamEvent<${"ping" | "error"}>: only in ours`

  /**
   * A batch result's error object is `{ type, message }` with any `type` (the kinds the API adds are kept); the SDK
   * lists its kinds one by one.
   */
  OpenErrorObject: `BatchResult.result<errored>.error.error<${string}>: only in the SDK`

  // -- List parameters -------------------------------------------------------------------------------------------

  /**
   * Every list takes the same `PageParams` (cursors and a page token): the SDK gives each endpoint only its own
   * (Models by cursor, Files by page token).
   */
  OnePageParamsForEveryList:
    | `ModelListParams.page: only in ours`
    | `FileListParams.${"after_id" | "before_id"}: only in ours`

  /** List parameters left out are `undefined` here, never `null`. */
  NoNullListParameters: `FileListParams.${"page" | "ids"}: null only in the SDK`

  /** `scope_id` (files of one session) is a filter this client does not type. */
  FileScopeFilter: `FileListParams.scope_id: only in the SDK`
}

// ---------------------------------------------------------------------------------------------------------------
// The pairs
// ---------------------------------------------------------------------------------------------------------------

/** A field checked in a pair of its own, replaced by a label on both sides. */
type CheckedApart<Label extends string> = `${Label} (checked in its own pair)`

type ParamsApart<T extends { readonly requests: ReadonlyArray<{ readonly params: unknown }> }> = Omit<T, "requests"> & {
  readonly requests: ReadonlyArray<Omit<T["requests"][number], "params"> & { readonly params: CheckedApart<"MessageCreateParams"> }>
}

type SucceededApart<R> = R extends { readonly type: "succeeded" }
  ? Omit<R, "message"> & { readonly message: CheckedApart<"Message"> }
  : R
type MessageApart<T extends { readonly result: unknown }> = Omit<T, "result"> & {
  readonly result: SucceededApart<T["result"]>
}

/** Every pair: ours, the SDK's, and the path each difference found starts with. */
interface Pairs {
  MessageCreateParams: Compare<Messages.MessageCreateParams, SdkBeta.MessageCreateParamsBase, "MessageCreateParams">
  CountTokensParams: Compare<Messages.CountTokensParams, SdkBeta.MessageCountTokensParams, "CountTokensParams">
  Message: Compare<Messages.Message, SdkBeta.BetaMessage, "Message">
  MessageStreamEvent: Compare<Messages.MessageStreamEvent, SdkBeta.BetaRawMessageStreamEvent, "MessageStreamEvent">
  MessageTokensCount: Compare<Messages.MessageTokensCount, SdkBeta.BetaMessageTokensCount, "MessageTokensCount">
  BatchCreateParams: Compare<
    ParamsApart<MessageBatches.BatchCreateParams>,
    ParamsApart<SdkBatches.BatchCreateParams>,
    "BatchCreateParams"
  >
  MessageBatch: Compare<MessageBatches.MessageBatch, SdkBatches.MessageBatch, "MessageBatch">
  BatchResult: Compare<
    MessageApart<MessageBatches.BatchResult>,
    MessageApart<SdkBatches.MessageBatchIndividualResponse>,
    "BatchResult"
  >
  DeletedMessageBatch: Compare<MessageBatches.DeletedMessageBatch, SdkBatches.DeletedMessageBatch, "DeletedMessageBatch">
  ModelInfo: Compare<Models.ModelInfo, SdkModels.ModelInfo, "ModelInfo">
  ModelListParams: Compare<Models.ModelListParams, SdkModels.ModelListParams, "ModelListParams">
  FileMetadata: Compare<Files.FileMetadata, SdkBetaFiles.BetaFileMetadata, "FileMetadata">
  FileListParams: Compare<Files.FileListParams, SdkBetaFiles.FileListParams, "FileListParams">
  DeletedFile: Compare<Files.DeletedFile, SdkBetaFiles.BetaDeletedFile, "DeletedFile">
}

// ---------------------------------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------------------------------

/** Fails the typecheck, showing `T`, unless `T` is `never`. */
type Expect<T extends never> = T

type Listed = Differences[keyof Differences]

type Unlisted<Found> = Found extends Listed ? never
  : `unlisted difference (fix the schema, or list it in Differences, test/types/sdkParity.ts): ${Found & string}`

/** Each pair agrees with the SDK but for the listed differences. */
export type MessageCreateParamsAgrees = Expect<Unlisted<Pairs["MessageCreateParams"]>>
export type CountTokensParamsAgrees = Expect<Unlisted<Pairs["CountTokensParams"]>>
export type MessageAgrees = Expect<Unlisted<Pairs["Message"]>>
export type MessageStreamEventAgrees = Expect<Unlisted<Pairs["MessageStreamEvent"]>>
export type MessageTokensCountAgrees = Expect<Unlisted<Pairs["MessageTokensCount"]>>
export type BatchCreateParamsAgrees = Expect<Unlisted<Pairs["BatchCreateParams"]>>
export type MessageBatchAgrees = Expect<Unlisted<Pairs["MessageBatch"]>>
export type BatchResultAgrees = Expect<Unlisted<Pairs["BatchResult"]>>
export type DeletedMessageBatchAgrees = Expect<Unlisted<Pairs["DeletedMessageBatch"]>>
export type ModelInfoAgrees = Expect<Unlisted<Pairs["ModelInfo"]>>
export type ModelListParamsAgrees = Expect<Unlisted<Pairs["ModelListParams"]>>
export type FileMetadataAgrees = Expect<Unlisted<Pairs["FileMetadata"]>>
export type FileListParamsAgrees = Expect<Unlisted<Pairs["FileListParams"]>>
export type DeletedFileAgrees = Expect<Unlisted<Pairs["DeletedFile"]>>

type Found = Pairs[keyof Pairs]

type NoLongerFound<Name extends string, Entry> = Entry extends unknown
  ? [Extract<Found, Entry>] extends [never] ? `Differences.${Name} lists what is no longer found: ${Entry & string}` : never
  : never

/** Every listed difference is still found (an entry that explains nothing is taken out). */
export type DifferencesStillFound = Expect<
  { [Name in keyof Differences]: NoLongerFound<Name, Differences[Name]> }[keyof Differences]
>

/** The SDK's GA values are values of ours (the GA types are the Beta ones without the betas). */
type Accepts<Ours, Theirs extends Ours> = Theirs
export type GaValuesAreOurs = [
  Accepts<Messages.MessageCreateParams, Sdk.MessageCreateParamsNonStreaming>,
  Accepts<Messages.MessageCreateParams, Sdk.MessageCreateParamsStreaming>,
  Accepts<Messages.CountTokensParams, Sdk.MessageCountTokensParams>,
  Accepts<Messages.MessageParam, Sdk.MessageParam>,
  Accepts<Messages.ContentBlockParam, Sdk.ContentBlockParam>,
  Accepts<Messages.ToolUnion, Sdk.ToolUnion>,
  Accepts<Messages.ToolChoice, Sdk.ToolChoice>,
  Accepts<Messages.Message, Sdk.Message>,
  Accepts<Messages.ContentBlock, Sdk.ContentBlock>,
  Accepts<Messages.Usage, Sdk.Usage>,
  Accepts<Messages.MessageDeltaUsage, Sdk.MessageDeltaUsage>,
  Accepts<Messages.MessageStreamEvent, Sdk.RawMessageStreamEvent>,
  Accepts<Messages.MessageTokensCount, Sdk.MessageTokensCount>,
  Accepts<Files.FileMetadata, SdkFiles.FileMetadata>,
  Accepts<Files.DeletedFile, SdkFiles.DeletedFile>
]
