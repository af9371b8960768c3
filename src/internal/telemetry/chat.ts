/**
 * A Messages call observed: its `chat {model}` span (when a tracer is in place) and its metrics, for a call that
 * answers a Message and for a stream, whose span lives as long as the stream (its end, failure, interruption or
 * abandonment all end it) and carries the time to its first content.
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import type { Pull } from "../stream/pull.js"
import { annotateInput, annotateOutput, captureContent } from "./content.js"
import {
  annotateAnswer,
  arrayAttribute,
  annotateFailure,
  type ChatAnswer,
  chatSpan,
  type ChatRequest,
  recordCall,
  isTracing,
  recordTimeToFirstToken
} from "./genAi.js"

const secondsSince = (clock: Clock.Clock, start: bigint) => Number(clock.currentTimeNanosUnsafe() - start) / 1e9

/**
 * What a call failed with: its typed error, a defect, or nothing when it was only interrupted (a caller that stops
 * reading or gives up has not seen the call fail).
 */
const failureOfCause = (cause: Cause.Cause<unknown>): unknown => {
  if (Cause.hasInterruptsOnly(cause)) return undefined
  const failure = Cause.findErrorOption(cause)
  return Option.isSome(failure) ? failure.value : { _tag: "Defect" }
}

const failureOf = (exit: Exit.Exit<unknown, unknown>): unknown => (Exit.isFailure(exit) ? failureOfCause(exit.cause) : undefined)

/** A call answering a Message (or a token count): timed and recorded, and under a `{operation} {model}` span when traced. */
export const observeCall = <A, E, R>(
  operation: "chat" | "count_tokens",
  params: ChatRequest,
  baseUrl: string,
  call: Effect.Effect<A, E, R>,
  answerOf: (a: A) => ChatAnswer
): Effect.Effect<A, E, R> =>
  Effect.withFiber((fiber) =>
    isTracing(fiber)
      ? tracedCall(operation, params, baseUrl, call, answerOf)
      : timed(fiber.context, operation, params, baseUrl, call, answerOf, undefined)
  )

const timed = <A, E, R>(
  context: Context.Context<never>,
  operation: "chat" | "count_tokens",
  params: ChatRequest,
  baseUrl: string,
  call: Effect.Effect<A, E, R>,
  answerOf: (a: A) => ChatAnswer,
  span: Tracer.Span | undefined,
  capture = false
): Effect.Effect<A, E, R> => {
  const clock = Context.get(context, Clock.Clock)
  const start = clock.currentTimeNanosUnsafe()
  const model = typeof params.model === "string" ? params.model : "unknown"
  return Effect.matchCauseEffect(call, {
    onSuccess: (a) => {
      const answer = answerOf(a)
      if (span !== undefined) {
        annotateAnswer(span, answer)
        if (capture && operation === "chat") annotateOutput(span, answer.content, answer.stopReason)
      }
      recordCall(context, operation, model, baseUrl, secondsSince(clock, start), answer, undefined)
      return Effect.succeed(a)
    },
    onFailure: (cause) => {
      const error = failureOfCause(cause)
      if (span !== undefined && error !== undefined) annotateFailure(span, error)
      recordCall(context, operation, model, baseUrl, secondsSince(clock, start), undefined, error)
      return Effect.failCause(cause)
    }
  })
}

const tracedCall = <A, E, R>(
  operation: "chat" | "count_tokens",
  params: ChatRequest,
  baseUrl: string,
  call: Effect.Effect<A, E, R>,
  answerOf: (a: A) => ChatAnswer
): Effect.Effect<A, E, R> => {
  const { attributes, name, stopSequences } = chatSpan(operation, params, baseUrl)
  return Effect.useSpan(name, { kind: "client", attributes }, (span) => {
    if (stopSequences !== undefined) arrayAttribute(span, "gen_ai.request.stop_sequences", stopSequences)
    return Effect.withFiber((fiber) => {
      const capture = fiber.getRef(captureContent)
      if (capture) annotateInput(span, params)
      return Effect.withParentSpan(timed(fiber.context, operation, params, baseUrl, call, answerOf, span, capture), span)
    })
  })
}

/** What a stream's observer keeps of its events so far. */
interface Seen {
  id?: string
  model?: string
  stopReason?: string | null
  inputTokens?: number
  outputTokens?: number
  cacheReadTokens?: number
  cacheCreationTokens?: number
  firstTokenAt?: number
  /** The answer's text so far, kept only while content is captured. */
  text?: string
}

/** An event, as far as the observer is concerned. */
interface EventLike {
  readonly type: string
}

/** The parts of the events the observer reads. */
interface EventFields {
  readonly message?: {
    readonly id: string
    readonly model: string
    readonly usage: {
      readonly input_tokens: number
      readonly output_tokens: number
      readonly cache_read_input_tokens?: number | null
      readonly cache_creation_input_tokens?: number | null
    }
  }
  readonly delta?: { readonly stop_reason?: string | null; readonly type?: string; readonly text?: unknown }
  readonly usage?: { readonly output_tokens?: number; readonly input_tokens?: number | null }
}

/**
 * The observer of one streamed call: made in the stream's scope (a span there when traced, ended with the scope),
 * it wraps each attempt's pull to read the events as they pass, and records the call when the scope closes.
 */
export interface StreamObserver {
  /** The span the stream's work runs under, when traced. */
  readonly span: Tracer.Span | undefined
  /** An attempt's pull, its events read on their way. */
  readonly observe: <A extends EventLike, E>(pull: Pull<A, E>) => Pull<A, E>
}

export const makeStreamObserver = (
  params: ChatRequest,
  baseUrl: string
): Effect.Effect<StreamObserver, never, Scope.Scope> =>
  Effect.withFiber((fiber) => {
      const traced = isTracing(fiber)
      const context = fiber.context
      const clock = fiber.getRef(Clock.Clock)
      const { attributes, model, name, stopSequences } = chatSpan("chat", params, baseUrl)
      const start = clock.currentTimeNanosUnsafe()
      const seen: Seen = {}
      let failure: unknown
      const see = (any: EventLike) => {
        const event = any as EventLike & EventFields
        switch (event.type) {
          case "message_start": {
            const message = event.message
            if (message === undefined) return
            seen.id = message.id
            seen.model = message.model
            seen.inputTokens = message.usage.input_tokens
            seen.outputTokens = message.usage.output_tokens
            if (typeof message.usage.cache_read_input_tokens === "number") seen.cacheReadTokens = message.usage.cache_read_input_tokens
            if (typeof message.usage.cache_creation_input_tokens === "number") {
              seen.cacheCreationTokens = message.usage.cache_creation_input_tokens
            }
            return
          }
          case "content_block_delta":
            // Only while content is captured, and bounded (its attribute is cut at 64 KiB anyway).
            if (seen.text !== undefined && event.delta?.type === "text_delta" && seen.text.length < 65_536) {
              seen.text += String(event.delta.text ?? "")
            }
            seen.firstTokenAt ??= secondsSince(clock, start)
            return
          case "content_block_start":
            seen.firstTokenAt ??= secondsSince(clock, start)
            return
          case "message_delta":
            if (event.delta?.stop_reason !== undefined) seen.stopReason = event.delta.stop_reason
            if (typeof event.usage?.output_tokens === "number") seen.outputTokens = event.usage.output_tokens
            if (typeof event.usage?.input_tokens === "number") seen.inputTokens = event.usage.input_tokens
            return
        }
      }
      const observe = <A extends EventLike, E>(pull: Pull<A, E>): Pull<A, E> =>
        Effect.matchEffect(pull, {
          onFailure: (error) => {
            if (!Cause.isDone(error)) failure = error
            return Effect.fail(error)
          },
          onSuccess: (chunk) => {
            // A failure before the first event was retried: the attempt that answered is the call's outcome.
            failure = undefined
            for (const event of chunk) see(event)
            return Effect.succeed(chunk)
          }
        })
      const finish = (span: Tracer.Span | undefined) => (exit: Exit.Exit<unknown, unknown>) => {
        const error = failure ?? failureOf(exit)
        const answer: ChatAnswer = seen
        if (span !== undefined) {
          annotateAnswer(span, answer)
          if (seen.firstTokenAt !== undefined) span.attribute("effect_anthropic.time_to_first_token", seen.firstTokenAt)
          if (seen.text !== undefined) annotateOutput(span, seen.text, seen.stopReason)
          if (error !== undefined) annotateFailure(span, error)
        }
        return Effect.sync(() => {
          if (seen.firstTokenAt !== undefined) recordTimeToFirstToken(context, model, baseUrl, seen.firstTokenAt)
          recordCall(context, "chat", model, baseUrl, secondsSince(clock, start), seen.id === undefined ? undefined : answer, error)
        })
      }
      // The span is made before the finalizer that annotates it, so it is ended after it (finalizers run in reverse).
      const span: Effect.Effect<Tracer.Span | undefined, never, Scope.Scope> = traced
        ? Effect.tap(Effect.makeSpanScoped(name, { kind: "client", attributes }), (span) =>
          Effect.sync(() => {
            if (stopSequences !== undefined) arrayAttribute(span, "gen_ai.request.stop_sequences", stopSequences)
            if (!fiber.getRef(captureContent)) return
            annotateInput(span, params)
            seen.text = ""
          }))
        : Effect.succeed(undefined)
      return Effect.flatMap(span, (span) =>
        Effect.as(Effect.addFinalizer(finish(span)), { span, observe }))
    })

/** `effect` run under the observer's span, when there is one. */
export const underSpan = <A, E, R>(observer: StreamObserver, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  observer.span === undefined ? effect : Effect.provideService(effect, Tracer.ParentSpan, observer.span)

/** `stream` run under the observer's span, when there is one. */
export const streamUnderSpan = <A, E, R>(observer: StreamObserver, stream: Stream.Stream<A, E, R>): Stream.Stream<A, E, R> =>
  observer.span === undefined ? stream : Stream.provideService(stream, Tracer.ParentSpan, observer.span)
