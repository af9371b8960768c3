/**
 * Prompt and completion content on a call's span, only when the program opts in (`AnthropicClient.withContentCapture`),
 * as the GenAI convention describes: `gen_ai.system_instructions`, `gen_ai.input.messages` and
 * `gen_ai.output.messages`, JSON in the convention's shape (`[{ role, parts: [{ type, content }] }]`). Anything shaped
 * like an Anthropic key or token is masked, binary data (images, documents) is named, never copied, and each
 * attribute is cut at 64 KiB: a span is not the place for a whole conversation's bytes.
 */
import * as Context from "effect/Context"
import type * as Tracer from "effect/Tracer"
import { scrubSecrets } from "../tokens.js"

/** Whether calls record their content on their spans (off unless the program turns it on). */
export const captureContent = Context.Reference<boolean>("effect-anthropic/telemetry/captureContent", {
  defaultValue: () => false
})

const MAX_ATTRIBUTE = 64 * 1024

type Part = Record<string, unknown>

/** One content block as the convention's part. */
const partOf = (block: any): Part => {
  if (typeof block === "string") return { type: "text", content: block }
  switch (block?.type) {
    case "text":
      return { type: "text", content: block.text }
    case "thinking":
      return { type: "reasoning", content: block.thinking }
    case "tool_use":
    case "server_tool_use":
      return { type: "tool_call", id: block.id, name: block.name, arguments: block.input }
    case "tool_result":
      return { type: "tool_call_response", id: block.tool_use_id, response: block.content }
    default:
      return { type: String(block?.type ?? "unknown") }
  }
}

const partsOf = (content: unknown): Array<Part> =>
  typeof content === "string" ? [partOf(content)] : Array.isArray(content) ? content.map(partOf) : []

/** JSON text for an attribute: masked, and cut to its bound. */
const attributeText = (value: unknown): string => {
  const text = scrubSecrets(JSON.stringify(value) ?? "null")
  return text.length > MAX_ATTRIBUTE ? `${text.slice(0, MAX_ATTRIBUTE)}…` : text
}

/** The request's system prompt and messages on the span. */
export const annotateInput = (span: Tracer.Span, params: { readonly system?: unknown; readonly messages?: unknown }): void => {
  if (params.system !== undefined) span.attribute("gen_ai.system_instructions", attributeText(partsOf(params.system)))
  const messages = Array.isArray(params.messages) ? params.messages : []
  span.attribute("gen_ai.input.messages", attributeText(messages.map((m: any) => ({ role: m?.role, parts: partsOf(m?.content) }))))
}

/** The answer's content on the span. */
export const annotateOutput = (span: Tracer.Span, content: unknown, stopReason: unknown): void => {
  const message: Record<string, unknown> = { role: "assistant", parts: partsOf(content) }
  if (typeof stopReason === "string") message.finish_reason = stopReason
  span.attribute("gen_ai.output.messages", attributeText([message]))
}
