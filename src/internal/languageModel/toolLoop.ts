/**
 * The machinery of `ToolLoop` under its public API: the verdict on each call, the result each call gets, and a step's
 * stream parts gathered into whole parts. Works with any `LanguageModel`.
 *
 * The model is called with the toolkit itself and Effect AI's tool call validation deferred
 * (`toolCallValidation: "deferred"`), which hands every call back as the model made it, a call of a tool the
 * toolkit does not have included, so the loop can answer it with an error the model reads.
 */
import { whenTracing } from "../telemetry/genAi.js"
import * as Response from "effect/ai/Response"
import * as Tool from "effect/ai/Tool"
import type * as Toolkit from "effect/ai/Toolkit"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import * as Stream from "effect/Stream"
import { clip, MAX_IDENTIFIER } from "../clip.js"
import { scrubSecrets } from "../tokens.js"
import { KEY } from "./prompt.js"

/** A call as the model made it: any tool name, any params. */
export type AnyCall = Response.ToolCallPart<string, unknown>

/** The result a call gets. */
export type AnyResult = Response.ToolResultPart<string, unknown, unknown>

/** What the loop does with a call: run it with its decoded params, or refuse it and tell the model why. */
export type Verdict =
  | { readonly _tag: "Run"; readonly params: unknown }
  | { readonly _tag: "Refuse"; readonly reason: string }

/** A call and its verdict. */
export interface Judged {
  readonly call: AnyCall
  readonly verdict: Verdict
}

// ---------------------------------------------------------------------------------------------------------------
// Verdicts and results
// ---------------------------------------------------------------------------------------------------------------

/** The tool of this toolkit name, if the toolkit has it (own keys only: a name like `constructor` is no tool). */
const toolNamed = (toolkit: Toolkit.WithHandler<any>, name: string): Tool.Any | undefined =>
  Object.hasOwn(toolkit.tools, name) ? toolkit.tools[name] as Tool.Any : undefined

/** A tool's name as the model sees it (a provider-defined tool's API name). */
const modelName = (tool: Tool.Any): string => Tool.isProviderDefined(tool) ? tool.providerName : tool.name

/** What the model is told, never more than a few lines, any key or token in it masked. */
const told = (text: string): string => scrubSecrets(clip(text))

const MAX_TOOL_LIST = 200

const notFound = (toolkit: Toolkit.WithHandler<any>, name: string): string => {
  const names = Object.values(toolkit.tools as Record<string, Tool.Any>).map(modelName).join(", ")
  const list = names !== "" && names.length <= MAX_TOOL_LIST ? `. Available tools: ${names}` : ""
  return told(`Tool '${clip(name, MAX_IDENTIFIER)}' not found${list}`)
}

/** The API name a call carried (this provider keeps it in the part's metadata: Effect 4's parts have no field for it). */
const providerNameOf = (call: AnyCall): string | undefined => {
  const own = call.metadata[KEY] as { readonly providerName?: unknown } | null | undefined
  return typeof own?.providerName === "string" ? own.providerName : undefined
}

const formatIssues = SchemaIssue.makeFormatterStandardSchemaV1()

const issuesOf = (error: Schema.SchemaError): string =>
  formatIssues(error.issue).issues
    .map((issue) => issue.path === undefined || issue.path.length === 0 ? issue.message : `${issue.path.map(String).join(".")}: ${issue.message}`)
    .join("; ")

/**
 * A tool's parameters decoder for what the model sends: the JSON encoding of its parameters, but a server tool's
 * params as the provider gives them (as Effect AI decodes each). Made once per tool.
 */
const decoders = new WeakMap<Tool.Any, (input: unknown) => Effect.Effect<unknown, Schema.SchemaError, unknown>>()

const decoderOf = (tool: Tool.Any) => {
  let decode = decoders.get(tool)
  if (decode === undefined) {
    const schema = Tool.isProviderDefined(tool) && !tool.requiresHandler
      ? tool.parametersSchema
      : Schema.toCodecJson(tool.parametersSchema)
    // The input a problem is about is told only when asked for (`Expected string, got 42`).
    decode = Schema.decodeUnknownEffect(schema as Schema.Codec<unknown, unknown, unknown>, { errors: "all", reportInput: true })
    decoders.set(tool, decode)
  }
  return decode
}

const invalidInput = (name: string, problem: string): string =>
  told(`Invalid input for tool '${clip(name, MAX_IDENTIFIER)}': ${problem}`)

/**
 * The verdict on a call: refused when the toolkit has no such tool, or when the tool's parameters schema refuses
 * its params (every problem listed); else run, with the params decoded.
 */
export const judge = (toolkit: Toolkit.WithHandler<any>, call: AnyCall): Effect.Effect<Judged> => {
  const tool = toolNamed(toolkit, call.name)
  const shown = providerNameOf(call) ?? (tool === undefined ? call.name : modelName(tool))
  if (tool === undefined) return Effect.succeed({ call, verdict: { _tag: "Refuse", reason: notFound(toolkit, shown) } })
  const decoded = decoderOf(tool)(call.params) as Effect.Effect<unknown, Schema.SchemaError>
  return Effect.map(Effect.exit(decoded), (exit): Judged => {
    if (Exit.isSuccess(exit)) return { call, verdict: { _tag: "Run", params: exit.value } }
    const failure = Cause.findErrorOption(exit.cause)
    const problem = Option.isSome(failure) ? issuesOf(failure.value) : describeFailure(Cause.squash(exit.cause))
    return { call, verdict: { _tag: "Refuse", reason: invalidInput(shown, problem) } }
  })
}

/** The verdicts of an answer's calls, in order. */
export const judgeAll = (
  toolkit: Toolkit.WithHandler<any>,
  parts: ReadonlyArray<Response.AnyPart>
): Effect.Effect<Array<Judged>> =>
  Effect.forEach(parts.filter((part): part is AnyCall => part.type === "tool-call"), (call) => judge(toolkit, call))

/** What a failed handler tells the model: its message, never a stack, any key or token in it masked. */
export const failureText = (failure: unknown): string => told(describeFailure(failure))

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

const resultPart = (
  call: AnyCall,
  outcome: { readonly result: unknown; readonly encodedResult: unknown; readonly isFailure: boolean; readonly modelOutput?: Tool.HandlerResult<any>["modelOutput"] }
): AnyResult => {
  const providerName = providerNameOf(call)
  return Response.makePart("tool-result", {
    id: call.id,
    name: call.name,
    result: outcome.result,
    encodedResult: outcome.encodedResult,
    isFailure: outcome.isFailure,
    providerExecuted: false,
    preliminary: false,
    ...(outcome.modelOutput === undefined ? {} : { modelOutput: outcome.modelOutput }),
    ...(providerName === undefined ? {} : { metadata: { [KEY]: { providerName } } })
  } as never) as AnyResult
}

const failedResult = (call: AnyCall, text: string): AnyResult =>
  resultPart(call, { result: text, encodedResult: text, isFailure: true })

/**
 * The result of one call: a refused call's reason, or the handler's result (given the params as the model sent
 * them: the toolkit decodes what it is given). A handler that fails or dies gives a failed result with its message;
 * an interruption still interrupts.
 *
 * A handler answers with a stream of results (preliminary ones, then the final one): the call's result
 * is the final one.
 */
export const settle = <Tools extends Record<string, Tool.Any>>(
  toolkit: Toolkit.WithHandler<Tools>,
  { call, verdict }: Judged
): Effect.Effect<AnyResult, never, Tool.HandlerServices<Tools[keyof Tools]>> => {
  if (verdict._tag === "Refuse") return Effect.succeed(failedResult(call, verdict.reason))
  const handled = Effect.flatMap(
    toolkit.handle(call.name as keyof Tools, call.params as Schema.Json, call.id),
    (results) => Stream.runLast(Stream.filter(results, (result) => !result.preliminary))
  ) as Effect.Effect<Option.Option<Tool.HandlerResult<Tools[keyof Tools]>>, unknown, Tool.HandlerServices<Tools[keyof Tools]>>
  const settled = Effect.matchCauseEffect(handled, {
    onSuccess: (outcome) =>
      Effect.succeed(
        Option.isSome(outcome) ? resultPart(call, outcome.value) : failedResult(call, failureText("the tool gave no result"))
      ),
    onFailure: (cause) => {
      if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
      const text = failureText(Option.getOrElse(Cause.findErrorOption(cause), () => Cause.squash(cause)))
      return Effect.succeed(failedResult(call, text))
    }
  })
  // The GenAI convention's `execute_tool {name}` span (never the arguments or the result: they are content).
  return whenTracing(settled, () =>
    Effect.useSpan(`execute_tool ${call.name}`, {
      kind: "internal",
      attributes: {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.provider.name": "anthropic",
        "gen_ai.tool.name": call.name,
        "gen_ai.tool.call.id": call.id,
        "gen_ai.tool.type": "function"
      }
    }, (span) =>
      Effect.tap(Effect.withParentSpan(settled, span), (result) =>
        Effect.sync(() => {
          if ((result as { readonly isFailure?: boolean }).isFailure === true) span.attribute("error.type", "tool_error")
        }))))
}

/** The calls the loop answers: those the provider did not run itself. */
export const ownCalls = (judged: ReadonlyArray<Judged>): Array<Judged> => judged.filter((j) => !j.call.providerExecuted)

/**
 * The parts with each call carrying its decoded params, and the calls the loop refused left out: they fit no
 * tool's types (they stay in the transcript, with the results that refused them).
 */
export const typedParts = (parts: ReadonlyArray<Response.AnyPart>, judged: ReadonlyArray<Judged>): Array<Response.AnyPart> => {
  const verdicts = new Map<Response.AnyPart, Verdict>(judged.map((j) => [j.call, j.verdict]))
  const out: Array<Response.AnyPart> = []
  for (const part of parts) {
    const verdict = verdicts.get(part)
    if (verdict === undefined) out.push(part)
    else if (verdict._tag === "Run") out.push(withParams(part as AnyCall, verdict.params))
  }
  return out
}

/** The call with these params (its other fields and metadata kept). */
export const withParams = (call: AnyCall, params: unknown): AnyCall => ({ ...call, params })

// ---------------------------------------------------------------------------------------------------------------
// Stream parts as whole parts
// ---------------------------------------------------------------------------------------------------------------

/** The finish reason the answer's finish part gives, `unknown` without one. */
export const finishReasonOf = (parts: ReadonlyArray<Response.AnyPart>): Response.FinishReason => {
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i]!
    if (part.type === "finish") return part.reason
  }
  return "unknown"
}

/**
 * A step's stream parts as the whole parts `generateText` would give: each text and reasoning block one part (its
 * deltas joined, the metadata of its start, deltas and end merged), the tool params deltas and error parts left
 * out, everything else as it came.
 */
export const gather = (parts: ReadonlyArray<Response.AnyPart>): Array<Response.AnyPart> => {
  const out: Array<Response.AnyPart> = []
  const open = new Map<string, { text: string; metadata: Record<string, unknown> }>()
  const add = (key: string, text: string, metadata: Record<string, unknown>) => {
    const block = open.get(key)
    if (block === undefined) return
    block.text += text
    Object.assign(block.metadata, metadata)
  }
  const end = (type: "text" | "reasoning", key: string, metadata: Record<string, unknown>) => {
    add(key, "", metadata)
    const block = open.get(key)
    if (block === undefined) return
    open.delete(key)
    out.push(Response.makePart(type, { text: block.text, metadata: block.metadata as Response.ProviderMetadata }))
  }
  for (const part of parts) {
    switch (part.type) {
      case "text-start":
      case "reasoning-start":
        open.set(`${part.type}:${part.id}`.replace("-start", ""), { text: "", metadata: { ...part.metadata } })
        break
      case "text-delta":
        add(`text:${part.id}`, part.delta, part.metadata)
        break
      case "reasoning-delta":
        add(`reasoning:${part.id}`, part.delta, part.metadata)
        break
      case "text-end":
        end("text", `text:${part.id}`, part.metadata)
        break
      case "reasoning-end":
        end("reasoning", `reasoning:${part.id}`, part.metadata)
        break
      case "tool-params-start":
      case "tool-params-delta":
      case "tool-params-end":
      case "error":
        break
      default:
        out.push(part)
    }
  }
  return out
}
