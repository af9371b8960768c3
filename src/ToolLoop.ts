/**
 * A tool loop for `@effect/ai` on the Effect 3 line (whose `generateText` resolves one round of tool calls and
 * never calls the model again): run a prompt with a toolkit until the model stops calling tools.
 *
 * ```ts
 * const { response, transcript } = yield* ToolLoop.run({ prompt: "Plan my day in Paris", toolkit, maxSteps: 8 })
 * ```
 *
 * Each step is one `generateText`. The tools it calls run concurrently (at most `concurrency` at once); a handler
 * that fails, or dies, becomes a tool result with `isFailure: true` (`is_error` for the API) carrying its message,
 * so the model can react instead of the whole run failing; an interruption still interrupts. A `pause_turn` (a
 * server tool that paused a long turn) is continued by sending the transcript again. It stops at the first answer
 * that calls no tool, or after `maxSteps` model calls (`stoppedBy: "maxSteps"`). It works with any `LanguageModel`;
 * with `AnthropicLanguageModel`, thinking signatures survive the transcript's round trips.
 *
 * Needs `@effect/ai` (an optional peer dependency of this package).
 *
 * @since 0.2.0
 */
import type * as AiError from "@effect/ai/AiError"
import type * as Chat from "@effect/ai/Chat"
import * as LanguageModel from "@effect/ai/LanguageModel"
import * as Prompt from "@effect/ai/Prompt"
import type * as Response from "@effect/ai/Response"
import type * as Tool from "@effect/ai/Tool"
import type * as Toolkit from "@effect/ai/Toolkit"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import { clip } from "./internal/clip.js"
import { scrubSecrets } from "./internal/tokens.js"

/**
 * @since 0.2.0
 * @category models
 */
export interface Options<Tools extends Record<string, Tool.Any>, E, R> {
  readonly prompt: Prompt.RawInput
  /** The toolkit with its handlers (`yield* toolkit`, or the toolkit itself with its handler layer provided). */
  readonly toolkit: Toolkit.WithHandler<Tools> | Effect.Effect<Toolkit.WithHandler<Tools>, E, R>
  /** The most model calls (default 10). */
  readonly maxSteps?: number | undefined
  /** The most tool handlers running at once (default 4). */
  readonly concurrency?: number | undefined
  readonly toolChoice?: LanguageModel.GenerateTextOptions<Tools>["toolChoice"] | undefined
  /** Called after each model call, with the step's number (from 1) and its response. */
  readonly onStep?: ((step: number, response: LanguageModel.GenerateTextResponse<Tools>) => Effect.Effect<void>) | undefined
}

/**
 * @since 0.2.0
 * @category models
 */
export interface Result<Tools extends Record<string, Tool.Any>> {
  /** The prompt, then every response and every batch of tool results: the conversation to go on from. */
  readonly transcript: Prompt.Prompt
  /** The last response (the final answer, unless the step limit was reached). */
  readonly response: LanguageModel.GenerateTextResponse<Tools>
  /** Every response, in order. */
  readonly steps: ReadonlyArray<LanguageModel.GenerateTextResponse<Tools>>
  /** `finish`: the model stopped calling tools; `maxSteps`: the limit cut it short. */
  readonly stoppedBy: "finish" | "maxSteps"
}

/** What a failed handler tells the model: its message, never a stack, any key or token in it masked. */
const failureText = (failure: unknown): string => scrubSecrets(clip(describeFailure(failure)))

const describeFailure = (failure: unknown): string =>
  typeof failure === "string"
    ? failure
    : failure instanceof Error
    ? `${failure.name}: ${failure.message}`
    : typeof failure === "object" && failure !== null && typeof (failure as { message?: unknown }).message === "string"
    ? (failure as { message: string }).message
    : safeJson(failure)

const safeJson = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return "the tool failed (its error cannot be written out)"
  }
}

/** One call run through the toolkit: its result, or its failure as a failed result. */
const runCall = <Tools extends Record<string, Tool.Any>>(
  toolkit: Toolkit.WithHandler<Tools>,
  call: Response.ToolCallParts<Tools>
): Effect.Effect<Prompt.ToolResultPartEncoded, never, Tool.Requirements<Tools[keyof Tools]>> => {
  const part = (result: unknown, isFailure: boolean): Prompt.ToolResultPartEncoded => ({
    type: "tool-result",
    id: call.id,
    name: call.name as string,
    result,
    isFailure,
    providerExecuted: false
  })
  const tool = toolkit.tools[call.name as keyof Tools] as unknown as Tool.Any & { readonly parametersSchema: Schema.Schema.Any }
  // The response holds decoded params; the toolkit decodes what it is given, so it gets their encoded form.
  const handled = Effect.flatMap(
    Schema.encodeUnknown(tool.parametersSchema as Schema.Schema<unknown, unknown>)(call.params),
    (params) => toolkit.handle(call.name as keyof Tools, params as never)
  ) as Effect.Effect<Tool.HandlerResult<Tools[keyof Tools]>, unknown, Tool.Requirements<Tools[keyof Tools]>>
  return Effect.matchCauseEffect(handled, {
    onSuccess: (outcome) => Effect.succeed(part(outcome.encodedResult, outcome.isFailure)),
    onFailure: (cause) =>
      Cause.isInterruptedOnly(cause)
        ? Effect.failCause(cause as Cause.Cause<never>)
        : Effect.succeed(part(failureText(Option.getOrElse(Cause.failureOption(cause), () => Cause.squash(cause))), true))
  })
}

/** A count from options: a whole number from 1, else the default (NaN, 0 or a fraction must not stop the loop cold). */
const wholeAtLeastOne = (value: number | undefined, fallback: number): number =>
  value !== undefined && Number.isFinite(value) && value >= 1 ? Math.floor(value) : fallback

/**
 * Runs the loop (see the module's description).
 *
 * @since 0.2.0
 * @category constructors
 */
export const run = <Tools extends Record<string, Tool.Any>, E = never, R = never>(
  options: Options<Tools, E, R>
): Effect.Effect<Result<Tools>, AiError.AiError | E, LanguageModel.LanguageModel | R | Tool.Requirements<Tools[keyof Tools]>> =>
  Effect.gen(function*() {
    const toolkit: Toolkit.WithHandler<Tools> = Effect.isEffect(options.toolkit)
      ? yield* (options.toolkit as Effect.Effect<Toolkit.WithHandler<Tools>, E, R>)
      : options.toolkit as Toolkit.WithHandler<Tools>
    const maxSteps = wholeAtLeastOne(options.maxSteps, 10)
    const concurrency = wholeAtLeastOne(options.concurrency, 4)
    let transcript = Prompt.make(options.prompt)
    const steps: Array<LanguageModel.GenerateTextResponse<Tools>> = []
    while (steps.length < maxSteps) {
      const response = yield* LanguageModel.generateText({
        prompt: transcript,
        toolkit,
        disableToolCallResolution: true,
        ...(options.toolChoice === undefined ? {} : { toolChoice: options.toolChoice })
      }) as Effect.Effect<LanguageModel.GenerateTextResponse<Tools>, AiError.AiError, LanguageModel.LanguageModel>
      steps.push(response)
      transcript = Prompt.merge(transcript, Prompt.fromResponseParts(response.content))
      if (options.onStep !== undefined) yield* options.onStep(steps.length, response)
      const calls = response.toolCalls.filter((call) => !call.providerExecuted)
      if (calls.length > 0) {
        const results = yield* Effect.forEach(calls, (call) => runCall(toolkit, call), { concurrency })
        transcript = Prompt.merge(transcript, [{ role: "tool", content: results }])
        continue
      }
      // A server tool paused a long turn: sending the transcript again lets the model go on.
      if (response.finishReason === "pause") continue
      return { transcript, response, steps, stoppedBy: "finish" as const }
    }
    return { transcript, response: steps[steps.length - 1]!, steps, stoppedBy: "maxSteps" as const }
  })

/**
 * The loop on a `Chat`: its history is the start, and the whole transcript becomes its history.
 *
 * @since 0.2.0
 * @category constructors
 */
export const runChat = <Tools extends Record<string, Tool.Any>, E = never, R = never>(
  chat: Chat.Service,
  options: Options<Tools, E, R>
): Effect.Effect<Result<Tools>, AiError.AiError | E, LanguageModel.LanguageModel | R | Tool.Requirements<Tools[keyof Tools]>> =>
  Effect.flatMap(Ref.get(chat.history), (history) =>
    Effect.tap(
      run({ ...options, prompt: Prompt.merge(history, options.prompt) }),
      (result) => Ref.set(chat.history, result.transcript)
    ))
