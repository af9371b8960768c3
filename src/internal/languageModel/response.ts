/**
 * The API's Message, and its stream events, as Effect AI Response parts (encoded: plain objects).
 */
import type * as Response from "effect/ai/Response"
import * as MessageStream from "../stream/accumulator.js"
import type * as Messages from "../messages/message.js"
import { isResultBlock, isServerCall } from "./blocks.js"
import { type DocumentInfo, KEY, PEER_KEY, type ToolIndex, type TurnCache } from "./prompt.js"

type Part = Response.PartEncoded
type StreamPart = Response.StreamPartEncoded

export interface Context {
  readonly index: ToolIndex
  readonly documents: ReadonlyArray<DocumentInfo>
  readonly cache: TurnCache
  readonly now: () => string
}

/**
 * The API's stop reason as Effect AI's finish reason. `pause_turn` is `pause` (send the transcript again to let
 * the model go on); anything new is `unknown`.
 */
export const finishReason = (stopReason: string | null | undefined): Response.FinishReason => {
  switch (stopReason) {
    case "end_turn":
    case "stop_sequence":
      return "stop"
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length"
    case "tool_use":
      return "tool-calls"
    case "pause_turn":
      return "pause"
    case "refusal":
      return "content-filter"
    case "compaction":
      return "other"
    default:
      return "unknown"
  }
}

/**
 * Usage in Effect AI's terms: `inputTokens.total` is every token of the prompt (the API's `input_tokens` plus the
 * cache reads and writes, which it counts apart), `uncached` the API's `input_tokens`, `cacheRead` / `cacheWrite`
 * the parts read from and written to the cache. (Effect 4's usage has no `totalTokens`: input and output apart.)
 */
export const usageOf = (usage: Partial<Messages.Usage> | undefined): typeof Response.Usage.Encoded => {
  const input = usage?.input_tokens
  const read = usage?.cache_read_input_tokens ?? undefined
  const written = usage?.cache_creation_input_tokens ?? undefined
  const inputTokens = typeof input === "number" ? input + (read ?? 0) + (written ?? 0) : undefined
  return {
    inputTokens: {
      uncached: typeof input === "number" ? input : undefined,
      total: inputTokens,
      cacheRead: read,
      cacheWrite: written
    },
    outputTokens: {
      total: typeof usage?.output_tokens === "number" ? usage.output_tokens : undefined,
      text: undefined,
      reasoning: undefined
    }
  }
}

/** A server tool's result block counts as a failure when its content is the API's error object. */
const resultFailed = (block: Record<string, any>): boolean =>
  block.is_error === true || (typeof block.content?.type === "string" && block.content.type.endsWith("_error"))



/**
 * A reasoning block's signature or redacted data, under our key and `@effect/ai-anthropic`'s (which, in Effect 4,
 * nests it in `info`).
 */
const reasoningMetadata = (info: { readonly type: "thinking"; readonly signature: string } | { readonly type: "redacted_thinking"; readonly redactedData: string }) =>
  ({ [KEY]: info, [PEER_KEY]: { info } })

/**
 * The API name of a call or result whose toolkit name differs (`bash` for `AnthropicBash`, `bash_code_execution` for
 * `AnthropicCodeExecution`), as the part's metadata. Effect 4's tool parts have no `providerName` field: it is kept
 * under our key, and a Prompt built from the parts carries it back in the part's options.
 */
const providerNameMetadata = (providerName: string | undefined): { readonly metadata?: Response.ProviderMetadata } =>
  providerName === undefined ? {} : { metadata: { [KEY]: { providerName } } }

/** A citation as `@effect/ai-anthropic` describes it in a source part's metadata (for the kinds it knows). */
const peerCitation = (citation: Record<string, any>): Record<string, unknown> | undefined => {
  switch (citation.type) {
    case "char_location":
      return {
        source: "document",
        type: "char_location",
        citedText: citation.cited_text,
        startCharIndex: citation.start_char_index,
        endCharIndex: citation.end_char_index
      }
    case "page_location":
      return {
        source: "document",
        type: "page_location",
        citedText: citation.cited_text,
        startPageNumber: citation.start_page_number,
        endPageNumber: citation.end_page_number
      }
    case "web_search_result_location":
      return { source: "url", citedText: citation.cited_text, encryptedIndex: citation.encrypted_index }
    default:
      return undefined
  }
}

/** A citation as a source part: a URL for web results, a document of the prompt otherwise. */
const sourceOf = (citation: Record<string, any>, id: string, documents: ReadonlyArray<DocumentInfo>): Part | undefined => {
  if (typeof citation !== "object" || citation === null) return undefined
  const peer = peerCitation(citation)
  const metadata = { [KEY]: { citation }, ...(peer === undefined ? {} : { [PEER_KEY]: peer }) }
  const url = citation.type === "web_search_result_location" ? citation.url
    : citation.type === "search_result_location" && /^https?:\/\//.test(String(citation.source)) ? citation.source
    : undefined
  if (typeof url === "string") {
    return { type: "source", sourceType: "url", id, url, title: citation.title ?? url, metadata } as Part
  }
  const document = typeof citation.document_index === "number" ? documents[citation.document_index] : undefined
  return {
    type: "source",
    sourceType: "document",
    id,
    mediaType: document?.mediaType ?? "text/plain",
    title: citation.document_title ?? citation.title ?? document?.title ?? "Untitled",
    ...(document?.fileName === undefined ? {} : { fileName: document.fileName }),
    metadata
  } as Part
}

/** The usage as `@effect/ai-anthropic` gives it (its `BetaUsage`: every field there, `null` when absent). */
const peerUsage = (usage: Messages.Usage): Record<string, unknown> => ({
  ...usage,
  cache_creation: usage.cache_creation ?? null,
  cache_creation_input_tokens: usage.cache_creation_input_tokens ?? null,
  cache_read_input_tokens: usage.cache_read_input_tokens ?? null,
  server_tool_use: usage.server_tool_use ?? null,
  service_tier: usage.service_tier ?? null
})

/**
 * What the finish part says: the reason, the usage, and the API's own words beside them (under
 * `@effect/ai-anthropic`'s key too, as its Effect 4 version puts them: the container, the context management, the
 * stop sequence and the usage).
 */
const finishOf = (message: Pick<Messages.Message, "stop_reason" | "stop_sequence" | "usage"> & Record<string, any>): Part => {
  const stopSequence = message.stop_sequence == null ? {} : { stopSequence: message.stop_sequence }
  // Typed loosely: each key's shape is its own provider's (ours, and `@effect/ai-anthropic`'s when it is loaded);
  // the API's usage is JSON as it came, which its decoded type does not say.
  const metadata: Record<string, unknown> = {
    [KEY]: {
      usage: message.usage,
      stopReason: message.stop_reason,
      ...stopSequence,
      ...(message.stop_details == null ? {} : { stopDetails: message.stop_details }),
      ...(message.container == null ? {} : { container: message.container })
    },
    [PEER_KEY]: {
      container: message.container ?? null,
      contextManagement: message.context_management ?? null,
      stopSequence: message.stop_sequence ?? null,
      usage: peerUsage(message.usage)
    }
  }
  return {
    type: "finish",
    reason: finishReason(message.stop_reason),
    usage: usageOf(message.usage),
    metadata: metadata as Response.ProviderMetadata
  } as Part
}

/**
 * The parts of a whole Message: metadata, text (each citation a source after it), reasoning with its signature (or
 * redacted data) in the metadata, tool calls (named as the toolkit names them), the calls and results of server
 * tools in the toolkit (`providerExecuted`, the result being the API's block), and the finish. Blocks of kinds the
 * toolkit does not know are left out of the parts but not of the turn sent back next time.
 *
 * A call of a tool the toolkit does not have comes last, just before the finish: Effect AI refuses such a part (no
 * schema of the toolkit takes it) unless tool call validation is deferred, which ends a stream at that part's chunk.
 * Last, it takes nothing else down. The stream mapper puts it at the same place, so a turn streamed and a turn
 * fetched give the same parts (and `TurnCache` key).
 */
export const partsOfMessage = (message: Messages.Message, context: Context): Array<Part> => {
  const parts: Array<Part> = [{ type: "response-metadata", id: message.id, modelId: message.model, timestamp: context.now() }]
  const unknownCalls: Array<Part> = []
  const callNames = new Map<string, string>()
  let sources = 0
  for (const raw of message.content) {
    const block = raw as Record<string, any>
    const type: string = block.type
    if (type === "text") {
      parts.push({ type: "text", text: block.text })
      for (const citation of Array.isArray(block.citations) ? block.citations : []) {
        const source = sourceOf(citation, `${message.id}_source_${sources++}`, context.documents)
        if (source !== undefined) parts.push(source)
      }
    } else if (type === "thinking") {
      parts.push({ type: "reasoning", text: block.thinking, metadata: reasoningMetadata({ type: "thinking", signature: block.signature }) })
    } else if (type === "redacted_thinking") {
      parts.push({ type: "reasoning", text: "", metadata: reasoningMetadata({ type: "redacted_thinking", redactedData: block.data }) })
    } else if (type === "tool_use") {
      const known = context.index.toolkitName(block.name)
      const name = known ?? block.name
      ;(known === undefined ? unknownCalls : parts).push({
        type: "tool-call",
        id: block.id,
        name,
        params: block.input,
        providerExecuted: false,
        ...providerNameMetadata(name === block.name ? undefined : block.name)
      })
    } else if (isServerCall(type)) {
      callNames.set(block.id, block.name)
      const name = context.index.toolkitName(block.name)
      if (name !== undefined) {
        parts.push({ type: "tool-call", id: block.id, name, params: block.input, providerExecuted: true, ...providerNameMetadata(block.name) })
      }
    } else if (isResultBlock(type)) {
      const apiName = callNames.get(block.tool_use_id)
      const name = apiName === undefined ? undefined : context.index.toolkitName(apiName)
      if (name !== undefined) {
        parts.push({
          type: "tool-result",
          id: block.tool_use_id,
          name,
          result: block,
          isFailure: resultFailed(block),
          providerExecuted: true,
          ...providerNameMetadata(apiName)
        })
      }
    }
  }
  parts.push(...unknownCalls, finishOf(message))
  context.cache.set(parts as any, message.content as ReadonlyArray<Messages.ContentBlockParam>)
  return parts
}

interface OpenBlock {
  readonly kind: "text" | "reasoning" | "tool" | "none"
  readonly id: string
  readonly name?: string
  readonly providerName?: string
  readonly providerExecuted?: boolean
  /** A call of a tool the toolkit does not have: its call part waits for the finish (see `partsOfMessage`). */
  readonly unknown?: boolean
  signature?: string
}

/** A block's end part(s): a tool call's params end, then the call with its input (in `later` for an unknown tool). */
const close = (block: OpenBlock, input: unknown, out: Array<StreamPart>, later: Array<StreamPart>) => {
  if (block.kind === "text") return void out.push({ type: "text-end", id: block.id })
  if (block.kind === "reasoning") {
    return void out.push(block.signature === undefined
      ? { type: "reasoning-end", id: block.id }
      : { type: "reasoning-end", id: block.id, metadata: reasoningMetadata({ type: "thinking", signature: block.signature }) })
  }
  if (block.kind !== "tool") return
  out.push({ type: "tool-params-end", id: block.id })
  ;(block.unknown === true ? later : out).push({
    type: "tool-call",
    id: block.id,
    name: block.name!,
    params: input ?? {},
    providerExecuted: block.providerExecuted ?? false,
    ...providerNameMetadata(block.providerName)
  })
}

/**
 * Maps a message stream's events to stream parts, a chunk of events at a time: text and reasoning as
 * start / delta / end, tool calls as params start / delta / end and then the call with its parsed params, server
 * tool results as they come, sources from citation deltas, metadata first and the finish last. Consecutive deltas of
 * one block in the same chunk (they arrived in the same network read) become one delta: nothing waits for them,
 * and the stream's consumers see a tenth of the parts.
 */
export const makeStreamMapper = (context: Context) => {
  const accumulator = new MessageStream.MessageAccumulator()
  const open = new Map<number, OpenBlock>()
  const unknownCalls: Array<StreamPart> = []
  const callNames = new Map<string, string>()
  let sources = 0
  let messageId = ""

  /** Throws what the accumulator throws for an event it cannot use (a `StreamError`). */
  const onEvent = (event: Messages.MessageStreamEvent, out: Array<StreamPart>): void => {
    accumulator.push(event)
    const e = event as Record<string, any>
    switch (e.type) {
      case "message_start":
        messageId = e.message.id
        out.push({ type: "response-metadata", id: e.message.id, modelId: e.message.model, timestamp: context.now() })
        return
      case "content_block_start": {
        const block = e.content_block as Record<string, any>
        const type: string = block.type
        const id = String(e.index)
        if (type === "text") {
          open.set(e.index, { kind: "text", id })
          out.push({ type: "text-start", id })
        } else if (type === "thinking") {
          open.set(e.index, { kind: "reasoning", id })
          out.push({ type: "reasoning-start", id })
        } else if (type === "redacted_thinking") {
          open.set(e.index, { kind: "reasoning", id })
          out.push({ type: "reasoning-start", id, metadata: reasoningMetadata({ type: "redacted_thinking", redactedData: block.data }) })
        } else if (type === "tool_use" || isServerCall(type)) {
          const server = type !== "tool_use"
          if (server) callNames.set(block.id, block.name)
          const known = context.index.toolkitName(block.name)
          const name = known ?? (server ? undefined : block.name)
          if (name === undefined) {
            open.set(e.index, { kind: "none", id })
            return
          }
          const providerName = server || name !== block.name ? block.name : undefined
          open.set(e.index, {
            kind: "tool",
            id: block.id,
            name,
            providerExecuted: server,
            unknown: known === undefined,
            ...(providerName === undefined ? {} : { providerName })
          })
          out.push({ type: "tool-params-start", id: block.id, name, providerExecuted: server, ...providerNameMetadata(providerName) })
        } else if (isResultBlock(type)) {
          const apiName = callNames.get(block.tool_use_id)
          const name = apiName === undefined ? undefined : context.index.toolkitName(apiName)
          if (name !== undefined) {
            out.push({
              type: "tool-result",
              id: block.tool_use_id,
              name,
              result: block,
              isFailure: resultFailed(block),
              providerExecuted: true,
              ...providerNameMetadata(apiName)
            })
          }
          open.set(e.index, { kind: "none", id })
        } else {
          open.set(e.index, { kind: "none", id })
        }
        return
      }
      case "content_block_delta": {
        const block = open.get(e.index)
        const delta = e.delta as Record<string, any>
        if (block === undefined || block.kind === "none") return
        switch (delta.type) {
          case "text_delta":
            return emitDelta(out, "text-delta", block.id, delta.text)
          case "thinking_delta":
            return emitDelta(out, "reasoning-delta", block.id, delta.thinking)
          case "signature_delta":
            block.signature = delta.signature
            out.push({ type: "reasoning-delta", id: block.id, delta: "", metadata: reasoningMetadata({ type: "thinking", signature: delta.signature }) })
            return
          case "input_json_delta":
            if (delta.partial_json === "") return
            return emitDelta(out, "tool-params-delta", block.id, delta.partial_json)
          case "citations_delta": {
            const source = sourceOf(delta.citation, `${messageId}_source_${sources++}`, context.documents)
            if (source !== undefined) out.push(source as StreamPart)
            return
          }
        }
        return
      }
      case "content_block_stop": {
        const block = open.get(e.index)
        open.delete(e.index)
        if (block !== undefined) close(block, accumulator.inputAt(e.index), out, unknownCalls)
        return
      }
      case "message_stop": {
        const message = accumulator.final()
        // A block cut off by max_tokens has no stop: it ends here (a tool call with what its input holds), as a whole
        // answer has it, so that nothing of it is lost from a history built from the parts.
        for (const [index, block] of open) {
          close(block, (message.content[index] as { input?: unknown } | undefined)?.input, out, unknownCalls)
        }
        open.clear()
        out.push(...unknownCalls, finishOf(message) as StreamPart)
        unknownCalls.length = 0
        // Keyed by the same parts a whole answer gives, so a turn streamed here is found like one fetched.
        partsOfMessage(message, context)
        return
      }
    }
  }

  /** One chunk of events as one chunk of parts, consecutive deltas of one block merged. */
  return (events: Iterable<Messages.MessageStreamEvent>): Array<StreamPart> => {
    const out: Array<StreamPart> = []
    for (const event of events) onEvent(event, out)
    return out
  }
}

type DeltaPart = { type: "text-delta" | "reasoning-delta" | "tool-params-delta"; id: string; delta: string; metadata?: unknown }

/**
 * A delta, appended to the previous part when that is a delta of the same block with no metadata: the parts of one
 * chunk are ours until it is handed out, so the merge mutates (a copy per merged delta cost 20 % of a 400k-delta
 * stream).
 */
const emitDelta = (out: Array<StreamPart>, type: DeltaPart["type"], id: string, delta: string): void => {
  const last = out[out.length - 1] as DeltaPart | undefined
  if (last !== undefined && last.type === type && last.id === id && last.metadata === undefined) last.delta += delta
  else out.push({ type, id, delta } as StreamPart)
}
