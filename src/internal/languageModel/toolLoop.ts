/**
 * The machinery of `ToolLoop` under its public API: the toolkit the model is called with (the same tools, whose
 * parameters take any input, so a call the real tool would refuse arrives as data), the verdict on each call, the
 * result each call gets, the parts of an answer `@effect/ai` refused because a call names a tool the toolkit does
 * not have, and a step's stream parts gathered into whole parts. Works with any `LanguageModel`.
 */
import { whenTracing } from "../telemetry/genAi.js"
import type * as AiError from "@effect/ai/AiError"
import * as Response from "@effect/ai/Response"
import * as Tool from "@effect/ai/Tool"
import type * as Toolkit from "@effect/ai/Toolkit"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { clip, MAX_IDENTIFIER } from "../clip.js"
import { scrubSecrets } from "../tokens.js"

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
// The toolkit the model is called with
// ---------------------------------------------------------------------------------------------------------------

/**
 * The same tool for the model (name, description, JSON schema, a provider-defined tool's identity and arguments)
 * whose parameters take any input: `@effect/ai` decodes every call of an answer against the toolkit it was given,
 * and one call it refuses fails the whole answer. A tool whose JSON schema cannot be made stays as it is (no
 * provider could send it anyway).
 */
const lenientTool = (tool: Tool.Any): Tool.Any => {
  let jsonSchema: object
  try {
    jsonSchema = Tool.getJsonSchema(tool as never)
  } catch {
    return tool
  }
  return Object.assign(Object.create(Object.getPrototypeOf(tool)), tool, {
    description: Tool.getDescription(tool as never),
    parametersSchema: Schema.Unknown.annotations({ jsonSchema })
  })
}

/** The toolkit with every tool lenient (see {@link lenientTool}); its handler is the real one. */
export const lenientToolkit = <Tools extends Record<string, Tool.Any>>(
  toolkit: Toolkit.WithHandler<Tools>
): Toolkit.WithHandler<Tools> => {
  const tools: Record<string, Tool.Any> = {}
  for (const [name, tool] of Object.entries(toolkit.tools)) tools[name] = lenientTool(tool)
  return { tools: tools as Tools, handle: toolkit.handle }
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

const issuesOf = (error: ParseResult.ParseError): string =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .map((issue) => issue.path.length === 0 ? issue.message : `${issue.path.map(String).join(".")}: ${issue.message}`)
    .join("; ")

const invalidInput = (name: string, problem: string): string =>
  told(`Invalid input for tool '${clip(name, MAX_IDENTIFIER)}': ${problem}`)

/**
 * The verdict on a call: refused when the toolkit has no such tool, or when the tool's parameters schema refuses
 * its params (every problem listed); else run, with the params decoded.
 */
export const judge = (toolkit: Toolkit.WithHandler<any>, call: AnyCall): Effect.Effect<Judged> => {
  const shown = call.providerName ?? call.name
  const tool = toolNamed(toolkit, call.name)
  if (tool === undefined) return Effect.succeed({ call, verdict: { _tag: "Refuse", reason: notFound(toolkit, shown) } })
  const decode = Schema.decodeUnknown(tool.parametersSchema as Schema.Schema<unknown, unknown>, { errors: "all" })
  return Effect.map(Effect.exit(decode(call.params)), (exit): Judged => {
    if (Exit.isSuccess(exit)) return { call, verdict: { _tag: "Run", params: exit.value } }
    const failure = Cause.failureOption(exit.cause)
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

const resultPart = (call: AnyCall, result: unknown, encodedResult: unknown, isFailure: boolean): AnyResult =>
  Response.makePart("tool-result", {
    id: call.id,
    name: call.name,
    result,
    encodedResult,
    isFailure,
    providerExecuted: false,
    ...(call.providerName === undefined ? {} : { providerName: call.providerName })
  } as never) as AnyResult

/**
 * The result of one call: a refused call's reason, or the handler's result (given the params as the model sent
 * them: the toolkit decodes what it is given). A handler that fails or dies gives a failed result with its message;
 * an interruption still interrupts.
 */
export const settle = <Tools extends Record<string, Tool.Any>>(
  toolkit: Toolkit.WithHandler<Tools>,
  { call, verdict }: Judged
): Effect.Effect<AnyResult, never, Tool.Requirements<Tools[keyof Tools]>> => {
  if (verdict._tag === "Refuse") return Effect.succeed(resultPart(call, verdict.reason, verdict.reason, true))
  const handled = toolkit.handle(call.name as keyof Tools, call.params as never) as Effect.Effect<
    Tool.HandlerResult<Tools[keyof Tools]>,
    unknown,
    Tool.Requirements<Tools[keyof Tools]>
  >
  const settled = Effect.matchCauseEffect(handled, {
    onSuccess: (outcome) => Effect.succeed(resultPart(call, outcome.result, outcome.encodedResult, outcome.isFailure)),
    onFailure: (cause) => {
      if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
      const text = failureText(Option.getOrElse(Cause.failureOption(cause), () => Cause.squash(cause)))
      return Effect.succeed(resultPart(call, text, text, true))
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
      Effect.tap(Effect.withParentSpan(settled, span), (result) => {
        if ((result as { readonly isFailure?: boolean }).isFailure === true) span.attribute("error.type", "tool_error")
      })))
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
// Answers @effect/ai refused
// ---------------------------------------------------------------------------------------------------------------

/**
 * The parts of an answer `@effect/ai` refused because a call in it names a tool the toolkit does not have (it
 * decodes every part against the toolkit's tools, and no schema can take a name it does not know). Its error, a
 * `MalformedOutput` caused by the `ParseError`, holds what was being decoded: `generateText`'s whole answer,
 * `streamText`'s chunk where the stream stopped. Each part is decoded again with `schema`, a call of an unknown
 * tool kept as the model made it. `undefined` when the error is anything else: it then stands.
 */
export const recoverParts = (
  error: AiError.AiError,
  toolkit: Toolkit.WithHandler<any>,
  schema: Schema.Schema<any, any>
): Array<Response.AnyPart> | undefined => {
  const cause = error._tag === "MalformedOutput" ? error.cause : undefined
  if (!ParseResult.isParseError(cause)) return undefined
  const actual: unknown = cause.issue.actual
  const raw = Chunk.isChunk(actual) ? Chunk.toReadonlyArray(actual) : Array.isArray(actual) ? actual : undefined
  if (raw === undefined) return undefined
  const decode = Schema.decodeUnknownEither(schema)
  const parts: Array<Response.AnyPart> = []
  let unknown = 0
  for (const item of raw) {
    const call = unknownCall(toolkit, item)
    if (call !== undefined) {
      unknown++
      parts.push(call)
      continue
    }
    const decoded = decode(item)
    if (Either.isLeft(decoded)) return undefined
    parts.push(decoded.right)
  }
  return unknown === 0 ? undefined : parts
}

/** An encoded part that is a call of a tool the toolkit does not have, as a part. */
const unknownCall = (toolkit: Toolkit.WithHandler<any>, item: unknown): AnyCall | undefined => {
  if (typeof item !== "object" || item === null) return undefined
  const part = item as Record<string, unknown>
  if (part.type !== "tool-call" || typeof part.id !== "string" || typeof part.name !== "string") return undefined
  if (toolNamed(toolkit, part.name) !== undefined) return undefined
  const metadata = typeof part.metadata === "object" && part.metadata !== null ? { metadata: part.metadata as Response.ProviderMetadata } : {}
  return Response.makePart("tool-call", {
    id: part.id,
    name: part.name,
    params: part.params,
    providerExecuted: part.providerExecuted === true,
    ...(typeof part.providerName === "string" ? { providerName: part.providerName } : {}),
    ...metadata
  }) as AnyCall
}

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
