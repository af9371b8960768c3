/**
 * An Effect AI (`effect/ai`) provider on this client: `LanguageModel.LanguageModel` over `AnthropicClient`, so
 * `generateText`, `streamText`, `generateObject`, `Toolkit` tools and `Chat` run with every credential mode, refresh,
 * the rate limiter, retries and this client's streaming.
 *
 * ```ts
 * const program = LanguageModel.generateText({ prompt: "Hello" }).pipe(
 *   Effect.provide(AnthropicLanguageModel.model("claude-haiku-4-5", { max_tokens: 1024 })),
 *   Effect.provide(AnthropicClient.layerConfig())
 * )
 * ```
 *
 * Request options go in the `Config` (per model, or per call with {@link withConfigOverride}) and in the Prompt's
 * part and message options under the key `"effect-anthropic"` (cache breakpoints, document titles and citations,
 * file ids, thinking signatures); `@effect/ai-anthropic`'s key (`anthropic`) is read as well, so its prompts work
 * here, and Response metadata is written under it too, in its shapes, so code written for it reads it unchanged.
 * `generateObject` uses native structured output (`output_config.format`), which works with extended thinking.
 * Errors are `AiError`s whose reason's `cause` is this client's tagged error ({@link apiError}).
 *
 * Effect AI is part of `effect` itself (`effect/ai/*`); importing this module is what loads it.
 *
 * @since 0.2.0
 */
import * as AiError from "effect/ai/AiError"
import * as LanguageModel from "effect/ai/LanguageModel"
import * as AiModel from "effect/ai/Model"
import type * as Response from "effect/ai/Response"
import * as Telemetry from "effect/ai/Telemetry"
import type * as Tokenizer from "effect/ai/Tokenizer"
import * as Arr from "effect/Array"
import type * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import type * as JsonSchema from "effect/JsonSchema"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as AnthropicClient from "./AnthropicClient.js"
import type { CallOptions } from "./AnthropicHttpClient.js"
import type { ApiError } from "./internal/errors.js"
import * as AnthropicConfig from "./AnthropicConfig.js"
import * as AnthropicTokenizer from "./AnthropicTokenizer.js"
import { apiErrorOf, toAiError, withCause } from "./internal/languageModel/aiError.js"
import {
  indexTools,
  KEY,
  malformedInput,
  preparePrompt,
  prepareToolChoice,
  prepareTools,
  TurnCache
} from "./internal/languageModel/prompt.js"
import { makeStreamMapper, partsOfMessage } from "./internal/languageModel/response.js"
import type * as Messages from "./internal/messages/message.js"
import * as StructuredOutput from "./StructuredOutput.js"

/**
 * The options this provider reads under `"effect-anthropic"` in Prompt parts and messages. (These are type aliases,
 * not interfaces: Effect AI's option records have a string index signature, which only object types fit.)
 *
 * @since 0.2.0
 * @category models
 */
export type PartOptions = {
  /** A prompt caching breakpoint after this part (or, on a message, after its last part). At most 4 a request. */
  readonly cacheControl?: Messages.CacheControl | undefined
}

/**
 * @since 0.2.0
 * @category models
 */
export type FilePartOptions = PartOptions & {
  /** A file uploaded with the Files API: sent as a `file` source (the Files beta is added for you). */
  readonly fileId?: string | undefined
  /** The document's title (default: the part's `fileName`). */
  readonly title?: string | undefined
  /** Context about the document the model may use but not cite. */
  readonly context?: string | undefined
  /** Citations from this document, answered as `source` parts. */
  readonly citations?: boolean | { readonly enabled?: boolean | undefined } | undefined
}

/**
 * A reasoning part's signature or redacted data, as this provider's responses carry them in their metadata: they
 * must go back unchanged in later turns.
 *
 * @since 0.2.0
 * @category models
 */
export type ReasoningPartOptions = PartOptions & {
  readonly signature?: string | undefined
  readonly redactedData?: string | undefined
}

/**
 * What a reasoning part's metadata holds.
 *
 * @since 0.2.0
 * @category models
 */
export type ReasoningInfo =
  | { readonly type: "thinking"; readonly signature: string }
  | { readonly type: "redacted_thinking"; readonly redactedData: string }

/**
 * What the finish part's metadata holds: the API's usage and stop details as they came.
 *
 * @since 0.2.0
 * @category models
 */
export type FinishInfo = {
  readonly usage: Messages.Usage
  readonly stopReason: string | null
  readonly stopSequence?: string | undefined
  readonly stopDetails?: unknown
  readonly container?: unknown
}

/**
 * What a tool call's (or result's) metadata holds when its API name is not its toolkit name (a provider-defined
 * tool's calls, `bash_code_execution` for code execution, …): Effect 4's tool parts have no `providerName` field.
 */
type ToolCallInfo = {
  readonly providerName?: string | undefined
}

// Option and metadata records hold JSON only, so each key's type is ours narrowed to JSON.
declare module "effect/ai/Prompt" {
  export interface SystemMessageOptions extends ProviderOptions {
    readonly "effect-anthropic"?: PartOptions & Schema.JsonObject
  }
  export interface UserMessageOptions extends ProviderOptions {
    readonly "effect-anthropic"?: PartOptions & Schema.JsonObject
  }
  export interface AssistantMessageOptions extends ProviderOptions {
    readonly "effect-anthropic"?: PartOptions & Schema.JsonObject
  }
  export interface ToolMessageOptions extends ProviderOptions {
    readonly "effect-anthropic"?: PartOptions & Schema.JsonObject
  }
  export interface TextPartOptions extends ProviderOptions {
    readonly "effect-anthropic"?: PartOptions & Schema.JsonObject
  }
  export interface ReasoningPartOptions extends ProviderOptions {
    readonly "effect-anthropic"?: import("./AnthropicLanguageModel.js").ReasoningPartOptions & Schema.JsonObject
  }
  export interface FilePartOptions extends ProviderOptions {
    readonly "effect-anthropic"?: import("./AnthropicLanguageModel.js").FilePartOptions & Schema.JsonObject
  }
  export interface ToolCallPartOptions extends ProviderOptions {
    readonly "effect-anthropic"?: PartOptions & ToolCallInfo & Schema.JsonObject
  }
  export interface ToolResultPartOptions extends ProviderOptions {
    readonly "effect-anthropic"?: PartOptions & ToolCallInfo & Schema.JsonObject
  }
}

declare module "effect/ai/Response" {
  export interface ReasoningPartMetadata extends ProviderMetadata {
    readonly "effect-anthropic"?: ReasoningInfo & Schema.JsonObject
  }
  export interface ReasoningStartPartMetadata extends ProviderMetadata {
    readonly "effect-anthropic"?: ReasoningInfo & Schema.JsonObject
  }
  export interface ReasoningDeltaPartMetadata extends ProviderMetadata {
    readonly "effect-anthropic"?: ReasoningInfo & Schema.JsonObject
  }
  export interface ReasoningEndPartMetadata extends ProviderMetadata {
    readonly "effect-anthropic"?: ReasoningInfo & Schema.JsonObject
  }
  export interface FinishPartMetadata extends ProviderMetadata {
    readonly "effect-anthropic"?: FinishInfo & Schema.JsonObject
  }
  export interface DocumentSourcePartMetadata extends ProviderMetadata {
    readonly "effect-anthropic"?: { readonly citation: Schema.JsonObject }
  }
  export interface UrlSourcePartMetadata extends ProviderMetadata {
    readonly "effect-anthropic"?: { readonly citation: Schema.JsonObject }
  }
  export interface ToolCallPartMetadata extends ProviderMetadata {
    readonly "effect-anthropic"?: ToolCallInfo & Schema.JsonObject
  }
  export interface ToolResultPartMetadata extends ProviderMetadata {
    readonly "effect-anthropic"?: ToolCallInfo & Schema.JsonObject
  }
  export interface ToolParamsStartPartMetadata extends ProviderMetadata {
    readonly "effect-anthropic"?: ToolCallInfo & Schema.JsonObject
  }
}

/**
 * The request's settings besides the prompt and tools: any field of `MessageCreateParams` (`max_tokens`, `thinking`,
 * `temperature`, `output_config`, `container`, `context_management`, `mcp_servers`, `metadata`, …, and raw `tools`
 * sent after the toolkit's, for tools this client does not model), and the call's options.
 *
 * @since 0.2.0
 * @category models
 */
export interface ConfigService extends Partial<Omit<Messages.MessageCreateParams, "messages" | "stream" | "tool_choice">> {
  /** Extra `anthropic-beta` values. */
  readonly betas?: ReadonlyArray<string> | undefined
  /** `disable_parallel_tool_use` on the tool choice. */
  readonly disableParallelToolCalls?: boolean | undefined
  /** The call's bound in place of `timeout_ms`, and its retries in place of `retry.max_retries`. */
  readonly timeoutMs?: number | undefined
  readonly maxRetries?: number | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
}

/**
 * The settings in context, laid over the model's own (see {@link withConfigOverride}).
 *
 * @since 0.2.0
 * @category tags
 */
export class Config extends Context.Service<Config, ConfigService>()("effect-anthropic/AnthropicLanguageModel/Config") {}

/**
 * `effect` with these settings laid over the ones in context, for every request it makes.
 *
 * @since 0.2.0
 * @category combinators
 */
export const withConfigOverride: {
  (config: ConfigService): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, config: ConfigService): Effect.Effect<A, E, R>
} = dual(2, <A, E, R>(self: Effect.Effect<A, E, R>, config: ConfigService) =>
  Effect.flatMap(Effect.serviceOption(Config), (current) =>
    Effect.provideService(self, Config, { ...(current._tag === "Some" ? current.value : {}), ...config })))

/**
 * The tagged error of this client an `AiError` from this provider was made from (`RateLimit` with its
 * `retryAfterMs`, `CredentialInvalid`, `ServerError`, …), or `undefined`.
 *
 * @since 0.2.0
 * @category utils
 */
export const apiError = (error: AiError.AiError): ApiError | undefined => apiErrorOf(error)

/** Our own keys of the Config: not request fields. */
const callKeys = ["betas", "disableParallelToolCalls", "timeoutMs", "maxRetries", "headers"] as const

/**
 * The provider over the `AnthropicClient` in context.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (options: {
  readonly model: string
  readonly config?: Omit<ConfigService, "model"> | undefined
}): Effect.Effect<LanguageModel.LanguageModel, never, AnthropicClient.AnthropicClient | AnthropicConfig.AnthropicConfig> =>
  Effect.gen(function*() {
    const client = yield* AnthropicClient.AnthropicClient
    const settings = yield* AnthropicConfig.AnthropicConfig
    const url = `${settings.baseUrl}/v1/messages`
    const cache = new TurnCache()
    const clock = yield* Clock.Clock
    const now = () => new Date(clock.currentTimeMillisUnsafe()).toISOString()

    /** The request for these provider options: the prompt, the tools, the settings and the call's options. */
    const prepare = (provider: LanguageModel.ProviderOptions, method: string) =>
      Effect.flatMap(Effect.serviceOption(Config), (override) => {
        const merged: ConfigService = {
          model: options.model,
          ...options.config,
          ...(override._tag === "Some" ? override.value : {})
        }
        const betas = new Set<string>(merged.betas ?? [])
        const index = indexTools(provider.tools)
        const prompt = preparePrompt(provider.prompt, index, cache, betas, method)
        if (AiError.isAiError(prompt)) return Effect.fail(prompt)
        const request: Record<string, unknown> = { ...merged }
        for (const key of callKeys) delete request[key]
        const configSystem = typeof merged.system === "string"
          ? [{ type: "text" as const, text: merged.system }]
          : merged.system ?? []
        const system = [...configSystem, ...prompt.system]
        const tools = prepareTools(provider.tools, merged.tools ?? [], betas, method)
        if (!Array.isArray(tools)) return Effect.fail(tools)
        let outputConfig = merged.output_config
        if (provider.responseFormat.type === "json") {
          try {
            outputConfig = { ...outputConfig, format: StructuredOutput.outputFormat(provider.responseFormat.schema) }
          } catch (error) {
            return Effect.fail(malformedInput(method, (error as Error).message))
          }
        }
        const params = {
          ...request,
          max_tokens: merged.max_tokens ?? 4096,
          messages: prompt.messages,
          system: system.length === 0 ? undefined : system,
          tools: tools.length === 0 ? undefined : tools,
          tool_choice: tools.length === 0 ? undefined : prepareToolChoice(provider.toolChoice, index, merged.disableParallelToolCalls),
          output_config: outputConfig
        } as unknown as Messages.MessageCreateParams
        const call: CallOptions = {
          ...(betas.size === 0 ? {} : { betas: [...betas] }),
          ...(merged.headers === undefined ? {} : { headers: merged.headers }),
          ...(merged.timeoutMs === undefined ? {} : { timeoutMs: merged.timeoutMs }),
          ...(merged.maxRetries === undefined ? {} : { maxRetries: merged.maxRetries })
        }
        // The GenAI convention's `gen_ai.provider.name`.
        Telemetry.addGenAIAnnotations(provider.span, {
          provider: { name: "anthropic" },
          operation: { name: "chat" },
          request: {
            model: params.model,
            maxTokens: params.max_tokens,
            temperature: params.temperature,
            topK: params.top_k,
            topP: params.top_p,
            stopSequences: params.stop_sequences
          }
        })
        return Effect.succeed({ params, call, context: { index, documents: prompt.documents, cache, now } })
      })

    const annotateResponse = (span: LanguageModel.ProviderOptions["span"], message: Pick<Messages.Message, "id" | "model" | "stop_reason" | "usage">) =>
      Telemetry.addGenAIAnnotations(span, {
        response: { id: message.id, model: message.model, finishReasons: message.stop_reason === null ? [] : [message.stop_reason] },
        usage: { inputTokens: message.usage.input_tokens, outputTokens: message.usage.output_tokens }
      })

    return yield* LanguageModel.make({
      // `generateObject` decodes the answer's JSON with the schema's JSON codec, the one the JSON schema sent
      // describes (Effect 4's default decodes with the schema itself: a `Schema.Date` would refuse its ISO string).
      codecTransformer: (schema) => ({
        codec: Schema.toCodecJson(schema) as never,
        jsonSchema: StructuredOutput.jsonSchema(schema as unknown as Schema.Top) as JsonSchema.JsonSchema
      }),
      generateText: (provider) =>
        Effect.flatMap(prepare(provider, "generateText"), ({ call, context, params }) =>
          client.createMessage(params, call).pipe(
            Effect.mapError((error) => toAiError(error, { method: "generateText", url })),
            Effect.map((message) => {
              annotateResponse(provider.span, message)
              return partsOfMessage(message, context) as Array<Response.PartEncoded>
            })
          )),
      streamText: (provider) =>
        Stream.unwrap(Effect.map(prepare(provider, "streamText"), ({ call, context, params }) => {
          const map = makeStreamMapper(context)
          const events = Stream.mapError(client.stream(params, call), (error) => toAiError(error, { method: "streamText", url }))
          // A stream's chunks are never empty, and Effect AI decodes each as a non-empty array, so a chunk
          // of events that gives no part (a ping, a `message_delta`) is skipped by pulling the next one.
          return Stream.transformPull(events, (pull) => {
            const next: Effect.Effect<Arr.NonEmptyReadonlyArray<Response.StreamPartEncoded>, AiError.AiError | Cause.Done> =
              Effect.flatMap(pull, (chunk) => {
                let parts: Array<Response.StreamPartEncoded>
                try {
                  parts = map(chunk)
                } catch (error) {
                  return Effect.fail(streamFailure(error, url))
                }
                return Arr.isArrayNonEmpty(parts) ? Effect.succeed(parts) : next
              })
            return Effect.succeed(next)
          })
        }))
    })
  })

/** What the mapper threw: the accumulator's `StreamError` for an event it cannot use, else an event of a shape it did not expect. */
const streamFailure = (error: unknown, url: string): AiError.AiError =>
  typeof error === "object" && error !== null && (error as { _tag?: string })._tag === "StreamError"
    ? toAiError(error as ApiError, { method: "streamText", url })
    : AiError.make({
      module: "AnthropicLanguageModel",
      method: "streamText",
      reason: withCause(
        new AiError.InvalidResponseError({
          description: `an event of the answer could not be read: ${error instanceof Error ? error.message : String(error)}`
        }),
        error
      )
    })

/**
 * The provider as a layer, over the `AnthropicClient` (and its settings) in context.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (options: {
  readonly model: string
  readonly config?: Omit<ConfigService, "model"> | undefined
}): Layer.Layer<LanguageModel.LanguageModel, never, AnthropicClient.AnthropicClient | AnthropicConfig.AnthropicConfig> =>
  Layer.effect(LanguageModel.LanguageModel, make(options))

/**
 * A model for `Effect.provide`, as Effect AI providers offer: `AnthropicLanguageModel.model("claude-…", config)`.
 * It needs `AnthropicClient` (any of its layers: every credential mode works).
 *
 * A model also provides `Model.ProviderName` (`anthropic`) and `Model.ModelName` (the model).
 *
 * @since 0.2.0
 * @category models
 */
export const model = (
  model: string,
  config?: Omit<ConfigService, "model">
): AiModel.Model<"anthropic", LanguageModel.LanguageModel, AnthropicClient.AnthropicClient | AnthropicConfig.AnthropicConfig> =>
  AiModel.make("anthropic", model, layer({ model, config }))

/**
 * {@link layer} with the model's `Tokenizer` ({@link AnthropicTokenizer.layer}), as `@effect/ai-anthropic`'s
 * `layerWithTokenizer`.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerWithTokenizer = (options: {
  readonly model: string
  readonly config?: Omit<ConfigService, "model"> | undefined
}): Layer.Layer<
  LanguageModel.LanguageModel | Tokenizer.Tokenizer | AnthropicTokenizer.AnthropicTokenizer,
  never,
  AnthropicClient.AnthropicClient | AnthropicConfig.AnthropicConfig
> => Layer.merge(layer(options), AnthropicTokenizer.layer({ model: options.model }))

/**
 * {@link model} with the model's `Tokenizer`, as `@effect/ai-anthropic`'s `modelWithTokenizer`.
 *
 * @since 0.2.0
 * @category models
 */
export const modelWithTokenizer = (
  model: string,
  config?: Omit<ConfigService, "model">
): AiModel.Model<
  "anthropic",
  LanguageModel.LanguageModel | Tokenizer.Tokenizer | AnthropicTokenizer.AnthropicTokenizer,
  AnthropicClient.AnthropicClient | AnthropicConfig.AnthropicConfig
> => AiModel.make("anthropic", model, layerWithTokenizer({ model, config }))

export { KEY as optionsKey }
