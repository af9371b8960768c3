/**
 * A tool loop for Effect AI (whose `LanguageModel.generateText` resolves one round of tool calls and never calls the
 * model again): run a prompt with a toolkit until the model stops calling tools, in one go
 * ({@link run}) or as a stream of every step's parts ({@link stream}).
 *
 * ```ts
 * const { response, transcript } = yield* ToolLoop.run({ prompt: "Plan my day in Paris", toolkit, maxSteps: 8 })
 * ```
 *
 * Each step is one model call. The tools it calls run concurrently (at most `concurrency` at once). Every call gets
 * a result, and whatever goes wrong goes back to the model as a failed result (`isFailure: true`, `is_error` for the
 * API) so it can react instead of the whole run failing:
 * - a call of a tool the toolkit does not have: `Tool 'X' not found` (with the available tools' names, when short);
 * - input the tool's parameters schema refuses: `Invalid input for tool 'X': ` and every problem (`key: Missing key`,
 *   `key: Expected string, got 42`);
 * - a handler that fails or dies: its message.
 * Texts are clipped, and any key or token in them is masked. An interruption still interrupts. A `pause_turn` (a
 * server tool that paused a long turn) is continued by sending the transcript again. It stops at the first answer
 * that calls no tool, or after `maxSteps` model calls.
 *
 * It works with any `LanguageModel`: the model is called with the toolkit's tools and Effect AI's tool call
 * validation deferred (`toolCallValidation: "deferred"`), so every call comes back as the model made it (a call of a
 * tool the toolkit does not have included), and each is checked against the real tool's schema here. With
 * `AnthropicLanguageModel`, thinking signatures survive the transcript's round trips.
 *
 * Effect AI is part of `effect` itself (`effect/ai/*`); a handler's preliminary results are not handed
 * out, only its final one.
 *
 * @since 0.2.0
 */
import type * as AiError from "effect/ai/AiError"
import type * as Chat from "effect/ai/Chat"
import * as LanguageModel from "effect/ai/LanguageModel"
import * as Prompt from "effect/ai/Prompt"
import type * as Response from "effect/ai/Response"
import type * as Tool from "effect/ai/Tool"
import type * as Toolkit from "effect/ai/Toolkit"
import type * as Arr from "effect/Array"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import * as Stream from "effect/Stream"
import {
  type AnyCall,
  type AnyResult,
  finishReasonOf,
  gather,
  judge,
  judgeAll,
  type Judged,
  ownCalls,
  settle,
  typedParts,
  withParams
} from "./internal/languageModel/toolLoop.js"

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
  /**
   * Called after each model call, with the step's number (from 1) and its response: the calls of the toolkit's tools
   * with their params decoded; calls the loop refused are not in it (their types fit no tool), but in the transcript.
   */
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
  /** Every response, in order (as `onStep` gets them). */
  readonly steps: ReadonlyArray<LanguageModel.GenerateTextResponse<Tools>>
  /** `finish`: the model stopped calling tools; `maxSteps`: the limit cut it short. */
  readonly stoppedBy: "finish" | "maxSteps"
}

/**
 * A call the loop refused, as the model made it: its tool is not in the toolkit, or its params do not fit the
 * tool's parameters. Its result follows once the step's answer is over.
 *
 * @since 0.2.0
 * @category models
 */
export type RefusedCall = Response.ToolCallPart<string, unknown>

/**
 * A failed result whose text the loop wrote: a refused call's reason, or the message of a handler that failed (in
 * the tool's `"error"` failure mode) or died.
 *
 * @since 0.2.0
 * @category models
 */
export type FailedResult = Response.ToolResultFailure<string, string>

/**
 * What {@link stream} emits: every step's parts as they arrive (the calls of the toolkit's tools with their params
 * decoded, calls it refused as {@link RefusedCall}), then the result of each call the loop answered, as each is
 * known (a handler's result typed by its tool, or a {@link FailedResult}).
 *
 * @since 0.2.0
 * @category models
 */
export type StreamPart<Tools extends Record<string, Tool.Any>> =
  | Response.StreamPart<Tools>
  | RefusedCall
  | FailedResult

/** A count from options: a whole number from 1, else the default (NaN, 0 or a fraction must not stop the loop cold). */
const wholeAtLeastOne = (value: number | undefined, fallback: number): number =>
  value !== undefined && Number.isFinite(value) && value >= 1 ? Math.floor(value) : fallback

/** What one run of the loop works with: the toolkit, the bounds. */
interface Loop<Tools extends Record<string, Tool.Any>> {
  readonly toolkit: Toolkit.WithHandler<Tools>
  readonly maxSteps: number
  readonly concurrency: number
  readonly toolChoice: {} | { readonly toolChoice: NonNullable<Options<Tools, any, any>["toolChoice"]> }
}

const start = <Tools extends Record<string, Tool.Any>, E, R>(options: Options<Tools, E, R>): Effect.Effect<Loop<Tools>, E, R> =>
  Effect.map(
    Effect.isEffect(options.toolkit)
      ? options.toolkit as Effect.Effect<Toolkit.WithHandler<Tools>, E, R>
      : Effect.succeed(options.toolkit as Toolkit.WithHandler<Tools>),
    (toolkit) => ({
      toolkit,
      maxSteps: wholeAtLeastOne(options.maxSteps, 10),
      concurrency: wholeAtLeastOne(options.concurrency, 4),
      toolChoice: options.toolChoice === undefined ? {} : { toolChoice: options.toolChoice }
    })
  )

/**
 * The model's options for a step: the toolkit, its calls left to the loop and handed back as the model made them
 * (a call of a tool the toolkit does not have included).
 */
const stepOptions = <Tools extends Record<string, Tool.Any>>(loop: Loop<Tools>, prompt: Prompt.Prompt) => ({
  prompt,
  toolkit: loop.toolkit as Toolkit.WithHandler<any>,
  disableToolCallResolution: true as const,
  toolCallValidation: "deferred" as const,
  ...loop.toolChoice
})

/** One answer as whole parts, calls as the model made them. */
const generate = <Tools extends Record<string, Tool.Any>>(
  loop: Loop<Tools>,
  prompt: Prompt.Prompt
): Effect.Effect<Array<Response.AnyPart>, AiError.AiError, LanguageModel.LanguageModel> =>
  Effect.map(
    LanguageModel.generateText(stepOptions(loop, prompt)),
    (response) => response.content as Array<Response.AnyPart>
  ) as Effect.Effect<Array<Response.AnyPart>, AiError.AiError, LanguageModel.LanguageModel>

/** One answer as stream parts, calls as the model made them. */
const streamAnswer = <Tools extends Record<string, Tool.Any>>(
  loop: Loop<Tools>,
  prompt: Prompt.Prompt
): Stream.Stream<Response.AnyPart, AiError.AiError, LanguageModel.LanguageModel> =>
  LanguageModel.streamText(stepOptions(loop, prompt)) as Stream.Stream<
    Response.AnyPart,
    AiError.AiError,
    LanguageModel.LanguageModel
  >

/**
 * Runs the loop (see the module's description).
 *
 * @since 0.2.0
 * @category constructors
 */
export const run = <Tools extends Record<string, Tool.Any>, E = never, R = never>(
  options: Options<Tools, E, R>
): Effect.Effect<Result<Tools>, AiError.AiError | E, LanguageModel.LanguageModel | R | Tool.HandlerServices<Tools[keyof Tools]>> =>
  Effect.gen(function*() {
    const loop = yield* start(options)
    let transcript = Prompt.make(options.prompt)
    const steps: Array<LanguageModel.GenerateTextResponse<Tools>> = []
    while (steps.length < loop.maxSteps) {
      const parts = yield* generate(loop, transcript)
      const judged = yield* judgeAll(loop.toolkit, parts)
      const response = new LanguageModel.GenerateTextResponse<Tools>(typedParts(parts, judged) as Array<Response.Part<Tools>>)
      steps.push(response)
      transcript = Prompt.concat(transcript, Prompt.fromResponseParts(parts))
      if (options.onStep !== undefined) yield* options.onStep(steps.length, response)
      const calls = ownCalls(judged)
      if (calls.length > 0) {
        const results = yield* Effect.forEach(calls, (call) => settle(loop.toolkit, call), { concurrency: loop.concurrency })
        transcript = Prompt.concat(transcript, Prompt.fromResponseParts(results))
        continue
      }
      // A server tool paused a long turn: sending the transcript again lets the model go on.
      if (finishReasonOf(parts) === "pause") continue
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
  chat: Chat.Chat,
  options: Options<Tools, E, R>
): Effect.Effect<Result<Tools>, AiError.AiError | E, LanguageModel.LanguageModel | R | Tool.HandlerServices<Tools[keyof Tools]>> =>
  Effect.flatMap(Ref.get(chat.history), (history) =>
    Effect.tap(
      run({ ...options, prompt: Prompt.concat(history, options.prompt) }),
      (result) => Ref.set(chat.history, result.transcript)
    ))

/**
 * A step's parts as they are handed out: each call judged when it arrives (kept in `judged`), a call the loop will
 * run carrying its decoded params. Chunks without a call pass untouched.
 */
const present = (
  toolkit: Toolkit.WithHandler<any>,
  seen: Array<Response.AnyPart>,
  judged: Array<Judged>
) =>
(parts: Arr.NonEmptyReadonlyArray<Response.AnyPart>): Effect.Effect<Arr.NonEmptyReadonlyArray<Response.AnyPart>> => {
  for (const part of parts) seen.push(part)
  if (!parts.some((part) => part.type === "tool-call")) return Effect.succeed(parts)
  return Effect.forEach(parts, (part): Effect.Effect<Response.AnyPart> =>
    part.type !== "tool-call"
      ? Effect.succeed(part)
      : Effect.map(judge(toolkit, part as AnyCall), (verdict) => {
        judged.push(verdict)
        return verdict.verdict._tag === "Run" ? withParams(verdict.call, verdict.verdict.params) as Response.AnyPart : part
      })) as Effect.Effect<Arr.NonEmptyReadonlyArray<Response.AnyPart>>
}

/** The loop as a stream; `onEnd` gets the transcript when it ends (not when it fails or is interrupted). */
const streamLoop = <Tools extends Record<string, Tool.Any>, E, R>(
  options: Options<Tools, E, R>,
  onEnd: (transcript: Prompt.Prompt) => Effect.Effect<void>
): Stream.Stream<StreamPart<Tools>, AiError.AiError | E, LanguageModel.LanguageModel | R | Tool.HandlerServices<Tools[keyof Tools]>> =>
  Stream.unwrap(Effect.map(start(options), (loop) => {
    const step = (
      transcript: Prompt.Prompt,
      done: number
    ): Stream.Stream<Response.AnyPart, AiError.AiError, LanguageModel.LanguageModel | Tool.HandlerServices<Tools[keyof Tools]>> => {
      if (done >= loop.maxSteps) return Stream.fromEffectDrain(onEnd(transcript))
      const seen: Array<Response.AnyPart> = []
      const judged: Array<Judged> = []
      const answer = Stream.mapArrayEffect(streamAnswer(loop, transcript), present(loop.toolkit, seen, judged))
      const next = Stream.unwrap(Effect.gen(function*() {
        const answered = Prompt.concat(transcript, Prompt.fromResponseParts(seen))
        if (options.onStep !== undefined) {
          const response = new LanguageModel.GenerateTextResponse<Tools>(typedParts(gather(seen), judged) as Array<Response.Part<Tools>>)
          yield* options.onStep(done + 1, response)
        }
        const calls = ownCalls(judged)
        if (calls.length > 0) {
          // Handed out as each is known; sent back in the calls' order.
          const results: Array<AnyResult> = new Array(calls.length)
          const settled = Stream.mapEffect(
            Stream.fromIterable(calls.map((call, index) => [call, index] as const)),
            ([call, index]) => Effect.map(settle(loop.toolkit, call), (result) => (results[index] = result)),
            { concurrency: loop.concurrency, unordered: true }
          )
          return Stream.concat(settled, Stream.suspend(() => step(Prompt.concat(answered, Prompt.fromResponseParts(results)), done + 1)))
        }
        if (finishReasonOf(seen) === "pause") return step(answered, done + 1)
        return Stream.fromEffectDrain(onEnd(answered))
      }))
      return Stream.concat(answer, next)
    }
    return step(Prompt.make(options.prompt), 0)
  })) as Stream.Stream<StreamPart<Tools>, AiError.AiError | E, LanguageModel.LanguageModel | R | Tool.HandlerServices<Tools[keyof Tools]>>

/**
 * The loop as a stream: every step's parts as they arrive, then the result of each call the step made as each is
 * known (so a UI can show them), then the next step, with the same options and rules as {@link run}. `onStep` is
 * called after each step's parts, before its tools run.
 *
 * ```ts
 * yield* ToolLoop.stream({ prompt: "Plan my day in Paris", toolkit }).pipe(
 *   Stream.runForEach((part) => part.type === "text-delta" ? Console.log(part.delta) : Effect.void)
 * )
 * ```
 *
 * @since 0.2.0
 * @category constructors
 */
export const stream = <Tools extends Record<string, Tool.Any>, E = never, R = never>(
  options: Options<Tools, E, R>
): Stream.Stream<StreamPart<Tools>, AiError.AiError | E, LanguageModel.LanguageModel | R | Tool.HandlerServices<Tools[keyof Tools]>> =>
  streamLoop(options, () => Effect.void)

/**
 * {@link stream} on a `Chat`: its history is the start, and once the loop has ended the whole transcript becomes
 * its history (a stream that fails or is interrupted leaves the history as it was).
 *
 * @since 0.2.0
 * @category constructors
 */
export const streamChat = <Tools extends Record<string, Tool.Any>, E = never, R = never>(
  chat: Chat.Chat,
  options: Options<Tools, E, R>
): Stream.Stream<StreamPart<Tools>, AiError.AiError | E, LanguageModel.LanguageModel | R | Tool.HandlerServices<Tools[keyof Tools]>> =>
  Stream.unwrap(Effect.map(Ref.get(chat.history), (history) =>
    streamLoop({ ...options, prompt: Prompt.concat(history, options.prompt) }, (transcript) => Ref.set(chat.history, transcript))))
