/**
 * Effect AI's `Tokenizer` over the API's `count_tokens` endpoint, for the model you name: the API's own count
 * of a prompt as `AnthropicLanguageModel` would send it (every system message, files, tool calls and results).
 *
 * ```ts
 * const program = Effect.gen(function*() {
 *   const tokenizer = yield* AnthropicTokenizer.AnthropicTokenizer
 *   const count = yield* tokenizer.countTokens(history)
 *   const fitting = yield* tokenizer.truncate(history, 50_000)
 * }).pipe(
 *   Effect.provide(AnthropicTokenizer.layer({ model: "claude-sonnet-4-5" })),
 *   Effect.provide(AnthropicClient.layerConfig())
 * )
 * ```
 *
 * The API counts tokens but does not hand out the tokens themselves, so:
 * - `countTokens(prompt)` is the count (one request);
 * - `truncate(prompt, max)` keeps the prompt's system messages and the longest tail of its conversation that
 *   starts at a user message (where the API lets a conversation begin; a tool result never goes without its call)
 *   and whose count, system included, is at most `max`; the empty prompt when none fits. The whole prompt is
 *   counted first; when it does not fit, the cut is found by bisection (a request per try);
 * - `tokenize` fails with an `AiError` (`UnknownError`) saying so, instead of making token ids up: use
 *   `countTokens` for a count.
 *
 * Effect AI is part of `effect` itself (`effect/ai/*`).
 *
 * @since 0.2.0
 */
import * as AiError from "effect/ai/AiError"
import * as Prompt from "effect/ai/Prompt"
import * as Tokenizer from "effect/ai/Tokenizer"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as AnthropicClient from "./AnthropicClient.js"
import * as AnthropicConfig from "./AnthropicConfig.js"
import { toAiError } from "./internal/languageModel/aiError.js"
import { indexTools, preparePrompt, TurnCache } from "./internal/languageModel/prompt.js"

const MODULE = "AnthropicTokenizer"

/**
 * Effect AI's tokenizer, and the count itself.
 *
 * @since 0.2.0
 * @category models
 */
export interface Service extends Tokenizer.Service {
  /** The API's count of the prompt's input tokens. */
  readonly countTokens: (input: Prompt.RawInput) => Effect.Effect<number, AiError.AiError>
}

/**
 * The tokenizer with its `countTokens` (the layer provides it under Effect AI's `Tokenizer` key too).
 *
 * @since 0.2.0
 * @category tags
 */
export class AnthropicTokenizer extends Context.Service<AnthropicTokenizer, Service>()("effect-anthropic/AnthropicTokenizer") {}

/**
 * The tokenizer for a model, over the `AnthropicClient` (and its settings) in context.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (options: {
  readonly model: string
}): Effect.Effect<Service, never, AnthropicClient.AnthropicClient | AnthropicConfig.AnthropicConfig> =>
  Effect.gen(function*() {
    const client = yield* AnthropicClient.AnthropicClient
    const settings = yield* AnthropicConfig.AnthropicConfig
    const url = `${settings.baseUrl}/v1/messages/count_tokens`
    const tools = indexTools([])

    const count = (prompt: Prompt.Prompt, method: string): Effect.Effect<number, AiError.AiError> =>
      Effect.suspend(() => {
        const betas = new Set<string>()
        // A cache of its own: assistant turns are counted as their parts say (thinking without its signature left out).
        const prepared = preparePrompt(prompt, tools, new TurnCache(), betas, method)
        if (AiError.isAiError(prepared)) {
          return Effect.fail(AiError.make({ module: MODULE, method, reason: prepared.reason }))
        }
        return client.countTokens(
          {
            model: options.model,
            messages: prepared.messages,
            ...(prepared.system.length === 0 ? {} : { system: prepared.system })
          },
          betas.size === 0 ? undefined : { betas: [...betas] }
        ).pipe(
          Effect.map((answer) => answer.input_tokens),
          Effect.mapError((error) => toAiError(error, { module: MODULE, method, url }))
        )
      })

    const truncate = (input: Prompt.RawInput, maxTokens: number): Effect.Effect<Prompt.Prompt, AiError.AiError> =>
      Effect.gen(function*() {
        const prompt = Prompt.make(input)
        const messages = prompt.content
        const fits = (prompt: Prompt.Prompt) => Effect.map(count(prompt, "truncate"), (n) => n <= maxTokens)
        // A cut at `i`: the system messages, and the conversation from message `i` on.
        const cutAt = (i: number) => Prompt.fromMessages(messages.filter((m, j) => m.role === "system" || j >= i))
        // Cuts that leave something out: at a user message after the first message that is not a system one.
        const first = messages.findIndex((m) => m.role !== "system")
        const cuts = messages.flatMap((m, i) => first >= 0 && i > first && m.role === "user" ? [i] : [])
        if (!(maxTokens > 0)) return Prompt.empty
        if (yield* fits(prompt)) return prompt
        // The counts shrink as the cut moves on: the first cut that fits keeps the longest tail.
        let low = 0
        let high = cuts.length
        while (low < high) {
          const middle = (low + high) >>> 1
          if (yield* fits(cutAt(cuts[middle]!))) high = middle
          else low = middle + 1
        }
        return low === cuts.length ? Prompt.empty : cutAt(cuts[low]!)
      })

    return AnthropicTokenizer.of({
      countTokens: (input) => count(Prompt.make(input), "countTokens"),
      truncate,
      tokenize: () =>
        Effect.fail(
          AiError.make({
            module: MODULE,
            method: "tokenize",
            reason: new AiError.UnknownError({
              description:
                "The Anthropic API counts a prompt's tokens but does not give the tokens themselves: use countTokens for the count (truncate works)"
            })
          })
        )
    })
  })

/**
 * The tokenizer as a layer: Effect AI's `Tokenizer` and {@link AnthropicTokenizer} (the same service).
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (options: {
  readonly model: string
}): Layer.Layer<Tokenizer.Tokenizer | AnthropicTokenizer, never, AnthropicClient.AnthropicClient | AnthropicConfig.AnthropicConfig> =>
  Layer.effectContext(Effect.map(make(options), (service) =>
    Context.make(AnthropicTokenizer, service).pipe(Context.add(Tokenizer.Tokenizer, service))))
