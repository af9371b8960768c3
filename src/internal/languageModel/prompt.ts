/**
 * An Effect AI Prompt and tool list as a Messages API request: system, alternating user / assistant turns,
 * blocks with their cache breakpoints, tools and tool choice.
 */
import * as AiError from "effect/ai/AiError"
import type * as LanguageModel from "effect/ai/LanguageModel"
import type * as Prompt from "effect/ai/Prompt"
import * as Tool from "effect/ai/Tool"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { createHash } from "node:crypto"
import { betaFor, callNamesOf } from "./toolNames.js"
import { jsonText } from "../http/request.js"
import { BETA as FILES_BETA } from "../resources/files.js"
import type * as Messages from "../messages/message.js"
import { isResultBlock } from "./blocks.js"

/** The key this provider reads in Prompt options and writes in Response metadata. */
export const KEY = "effect-anthropic"

/**
 * `@effect/ai-anthropic`'s key: read in Prompt options after ours, and written in Response metadata beside ours, in
 * its shapes, so code written for it works here unchanged.
 */
export const PEER_KEY = "anthropic"

const MODULE = "AnthropicLanguageModel"

/**
 * A prompt or tool list the API cannot take, refused before sending.
 *
 * An `InvalidUserInputError`: the prompt cannot be sent as it is.
 */
export const malformedInput = (method: string, description: string): AiError.AiError =>
  AiError.make({ module: MODULE, method, reason: new AiError.InvalidUserInputError({ description }) })

/** Our options of a part or message, else `@effect/ai-anthropic`'s (`anthropic`), so its prompts work here too. */
export const optionsOf = (options: Prompt.ProviderOptions | undefined): Record<string, any> =>
  (options?.[KEY] ?? options?.[PEER_KEY] ?? {}) as Record<string, any>

/** A cache breakpoint (Prompt options are JSON, so an absent one may be `null`). */
const cacheControlOf = (options: Prompt.ProviderOptions | undefined): Messages.CacheControl | undefined =>
  optionsOf(options).cacheControl ?? undefined

// ---------------------------------------------------------------------------------------------------------------
// Tools
// ---------------------------------------------------------------------------------------------------------------

/** The toolkit's tools by their API names and back: provider-defined tools have both. */
export interface ToolIndex {
  /** The toolkit name of a call the API made (`web_search` → `AnthropicWebSearch`); the same for user tools. */
  readonly toolkitName: (apiName: string) => string | undefined
  /** The API name of a toolkit tool (`AnthropicBash` → `bash`). */
  readonly apiName: (name: string) => string
  /** Whether the API itself runs calls of this API name (server tools). */
  readonly serverRun: (apiName: string) => boolean
}

export const indexTools = (tools: ReadonlyArray<Tool.Any>): ToolIndex => {
  const toToolkit = new Map<string, string>()
  const toApi = new Map<string, string>()
  const server = new Set<string>()
  for (const tool of tools) {
    if (Tool.isProviderDefined(tool)) {
      const runsOnServer = !tool.requiresHandler
      for (const name of callNamesOf(tool.providerName)) {
        toToolkit.set(name, tool.name)
        if (runsOnServer) server.add(name)
      }
      toApi.set(tool.name, tool.providerName)
    } else {
      // A user tool keeps its name both ways, even one called `bash`: only the toolkit says what a name means.
      toToolkit.set(tool.name, tool.name)
    }
  }
  return {
    toolkitName: (apiName) => toToolkit.get(apiName),
    apiName: (name) => toApi.get(name) ?? name,
    serverRun: (apiName) => server.has(apiName)
  }
}

/** The API's form of the toolkit's tools, and the betas their versions need. */
export const prepareTools = (
  tools: ReadonlyArray<Tool.Any>,
  extra: ReadonlyArray<Messages.Tool | Messages.ServerTool>,
  betas: Set<string>,
  method: string
): Array<Messages.Tool | Messages.ServerTool> | AiError.AiError => {
  const prepared = [...tools.map((tool) => prepareTool(tool, betas)), ...extra]
  const seen = new Set<string>()
  for (const tool of prepared) {
    const name = (tool as { name?: string }).name
    if (name === undefined) continue
    // The API would take whichever came last, and a call of that name would go to either handler.
    if (seen.has(name)) return malformedInput(method, `two tools are named ${JSON.stringify(name)} for the API`)
    seen.add(name)
  }
  return prepared
}

/**
 * A tool's parameters as JSON schema with every object closed (`additionalProperties: false`), as
 * `@effect/ai-anthropic`'s are: Effect leaves a struct open by default (its decoding ignores excess keys), which
 * would invite the model to send keys the tool does not take. The codec is the schema itself: only the JSON schema
 * is used here.
 */
const closedObjects: LanguageModel.CodecTransformer = (schema) => {
  const document = Schema.toJsonSchemaDocument(schema, { onExcessProperty: "error" })
  const jsonSchema = Object.keys(document.definitions).length > 0
    ? { ...document.schema, $defs: document.definitions }
    : document.schema
  return { codec: schema as never, jsonSchema }
}

const prepareTool = (tool: Tool.Any, betas: Set<string>): Messages.Tool | Messages.ServerTool => {
  if (Tool.isProviderDefined(tool)) {
    const type = tool.id.slice(tool.id.indexOf(".") + 1)
    const beta = betaFor(type)
    if (beta !== undefined) betas.add(beta)
    // `failureMode` is the toolkit's, not the API's: it must not reach the request.
    const { failureMode: _, ...args } = (tool.args ?? {}) as Record<string, unknown>
    return { ...args, type, name: tool.providerName } as Messages.ServerTool
  }
  const description = Tool.getDescription(tool)
  // A tool annotated with `Tool.Strict` asks the API for inputs that always fit its schema.
  const strict = Tool.getStrictMode(tool)
  return {
    name: tool.name,
    ...(description === undefined ? {} : { description }),
    input_schema: Tool.getJsonSchema(tool, { transformer: closedObjects }) as unknown as Messages.Tool["input_schema"],
    ...(strict === undefined ? {} : { strict })
  }
}

export const prepareToolChoice = (
  choice: LanguageModel.ProviderOptions["toolChoice"],
  index: ToolIndex,
  disableParallel: boolean | undefined
): Messages.ToolChoice | undefined => {
  const parallel = disableParallel === undefined ? {} : { disable_parallel_tool_use: disableParallel }
  if (choice === "none") return { type: "none" }
  if (choice === "auto") return { type: "auto", ...parallel }
  if (choice === "required") return { type: "any", ...parallel }
  if ("tool" in choice) return { type: "tool", name: index.apiName(choice.tool), ...parallel }
  // `oneOf`: LanguageModel has already narrowed the tools to those.
  return choice.mode === "required" ? { type: "any", ...parallel } : { type: "auto", ...parallel }
}

// ---------------------------------------------------------------------------------------------------------------
// Assistant turns this provider made, sent back exactly as the API sent them
// ---------------------------------------------------------------------------------------------------------------

/** The parts of an assistant turn as a Prompt keeps them (and as this provider's answers emit them). */
type TurnPart = { readonly type: string; readonly text?: string; readonly id?: string }

/**
 * The API's own blocks of the tool-calling assistant turns this provider produced, by what a Prompt keeps of them.
 * A Prompt keeps only the parts: the blocks no part stands for (server tools the toolkit does not have, kinds of
 * blocks Effect AI has no part for) are lost from it, and a prompt built by hand or by another provider's history has
 * no thinking signatures, while the API requires a tool-use turn's blocks back unchanged; when a prompt's assistant
 * message matches such a turn, its original blocks are sent instead. (`fromResponseParts` keeps each part's
 * metadata, signatures included.)
 *
 * Only turns that hold a call id the API minted (`toolu_…`, `srvtoolu_…`) are kept and matched: the ids make a
 * turn's key its own, so another conversation's turn that says the same words can never match it (a turn without
 * tool calls needs nothing back: the API drops earlier turns' thinking). Bounded by entries and by bytes; the
 * oldest go first; keys are digests, not the texts.
 */
export class TurnCache {
  private readonly turns = new Map<string, { readonly blocks: ReadonlyArray<Messages.ContentBlockParam>; readonly bytes: number }>()
  private bytes = 0
  constructor(private readonly capacity = 512, private readonly maxBytes = 16 * 1024 * 1024) {}
  get(parts: ReadonlyArray<TurnPart>): ReadonlyArray<Messages.ContentBlockParam> | undefined {
    const key = turnKey(parts)
    const entry = key === undefined ? undefined : this.turns.get(key)
    if (entry === undefined) return undefined
    this.turns.delete(key!)
    this.turns.set(key!, entry)
    return entry.blocks
  }
  set(parts: ReadonlyArray<TurnPart>, blocks: ReadonlyArray<Messages.ContentBlockParam>): void {
    const key = turnKey(parts)
    if (key === undefined) return
    const bytes = JSON.stringify(blocks)?.length ?? 0
    if (bytes > this.maxBytes) return
    this.forget(key)
    this.turns.set(key, { blocks, bytes })
    this.bytes += bytes
    while (this.turns.size > this.capacity || this.bytes > this.maxBytes) this.forget(this.turns.keys().next().value!)
  }
  private forget(key: string): void {
    const entry = this.turns.get(key)
    if (entry === undefined) return
    this.turns.delete(key)
    this.bytes -= entry.bytes
  }
}

/** The key of an assistant turn's content, or `undefined` when it holds no call id the API minted. */
const turnKey = (parts: ReadonlyArray<TurnPart>): string | undefined => {
  const items: Array<string> = []
  let ids = 0
  for (const part of parts) {
    if (part.type === "text") items.push(`t${part.text}`)
    else if (part.type === "reasoning") items.push(`r${part.text}`)
    else if (part.type === "tool-call" || part.type === "tool-result") {
      items.push(`${part.type === "tool-call" ? "c" : "x"}${part.id}`)
      ids++
    }
  }
  return ids === 0 ? undefined : createHash("sha256").update(JSON.stringify(items)).digest("base64url")
}

// ---------------------------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------------------------

/** A document the prompt holds, in request order: what `document_index` in a citation refers to. */
export interface DocumentInfo {
  readonly mediaType: string
  readonly title: string | undefined
  readonly fileName: string | undefined
}

export interface PreparedPrompt {
  readonly system: Array<Messages.TextBlockParam>
  readonly messages: Array<Messages.MessageParam>
  readonly documents: Array<DocumentInfo>
}

const IMAGE_TYPES: ReadonlySet<string> = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"])

const base64Of = (data: Uint8Array) => Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64")

/** A string that is a URL the API can fetch (anything else is base64 data). */
const asUrl = (data: string | URL): string | undefined => {
  if (data instanceof URL) return data.toString()
  return /^https?:\/\//i.test(data) ? data : undefined
}

/** A `data:` URL's media type and base64, when the string is one. */
const dataUrl = (data: string): { readonly mediaType: string; readonly base64: string } | undefined => {
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(data)
  return m === null ? undefined : { mediaType: m[1]!, base64: m[2]! }
}

const filePart = (
  part: Prompt.FilePart,
  betas: Set<string>,
  documents: Array<DocumentInfo>,
  method: string
): Messages.ContentBlockParam | AiError.AiError => {
  const options = optionsOf(part.options)
  const cache_control = options.cacheControl ?? undefined
  const cache = cache_control === undefined ? {} : { cache_control }
  const fileId: unknown = options.fileId
  const data = part.data
  const embedded = typeof data === "string" ? dataUrl(data) : undefined
  const mediaType = part.mediaType === "image/*" ? embedded?.mediaType ?? "image/jpeg" : part.mediaType
  if (typeof fileId === "string") betas.add(FILES_BETA)
  if (mediaType.startsWith("image/")) {
    if (!IMAGE_TYPES.has(mediaType) && typeof fileId !== "string") {
      return malformedInput(method, `the API takes images as JPEG, PNG, GIF or WebP, not ${mediaType}`)
    }
    const url = typeof data === "string" || data instanceof URL ? asUrl(data) : undefined
    const source = typeof fileId === "string"
      ? { type: "file" as const, file_id: fileId }
      : url !== undefined
      ? { type: "url" as const, url }
      : {
        type: "base64" as const,
        media_type: mediaType as "image/jpeg",
        data: data instanceof Uint8Array ? base64Of(data) : embedded?.base64 ?? String(data)
      }
    return { type: "image", source, ...cache } as Messages.ContentBlockParam
  }
  const title: string | undefined = options.title ?? part.fileName
  const citations = options.citations == null
    ? {}
    : { citations: typeof options.citations === "boolean" ? { enabled: options.citations } : options.citations }
  const context = typeof options.context === "string" ? { context: options.context } : {}
  let source: unknown
  if (typeof fileId === "string") {
    source = { type: "file", file_id: fileId }
  } else if (mediaType === "application/pdf") {
    const url = typeof data === "string" || data instanceof URL ? asUrl(data) : undefined
    source = url !== undefined
      ? { type: "url", url }
      : { type: "base64", media_type: "application/pdf", data: data instanceof Uint8Array ? base64Of(data) : embedded?.base64 ?? String(data) }
  } else if (mediaType.startsWith("text/")) {
    // Text is sent as text: bytes are decoded as UTF-8 (not sent as base64 in a text field).
    source = { type: "text", media_type: "text/plain", data: data instanceof Uint8Array ? Buffer.from(data).toString("utf8") : String(data) }
  } else {
    return malformedInput(method, `the API takes documents as PDF or text, not ${mediaType} (upload it with the Files API and pass options["effect-anthropic"].fileId)`)
  }
  documents.push({ mediaType, title, fileName: part.fileName })
  return { type: "document", source, ...(title === undefined ? {} : { title }), ...context, ...citations, ...cache } as Messages.ContentBlockParam
}

/** A tool result's content: a string as it is, anything else as its JSON (or why JSON cannot carry it). */
const resultContent = (result: unknown, id: string): Result.Result<string, { readonly detail: string }> =>
  typeof result === "string" ? Result.succeed(result) : jsonText(result ?? null, `the result of tool call ${id}`)

/**
 * What a tool gave the model in place of its result (Effect 4's `toModelOutput`): its text and files as blocks.
 */
const modelOutputBlocks = (
  output: ReadonlyArray<Prompt.ToolModelOutputPart>,
  betas: Set<string>,
  documents: Array<DocumentInfo>,
  method: string
): Array<Messages.ContentBlockParam> | AiError.AiError => {
  const blocks: Array<Messages.ContentBlockParam> = []
  for (const part of output) {
    if (part.type === "text") {
      if (part.text.trim() !== "") blocks.push({ type: "text", text: part.text })
      continue
    }
    const block = filePart(part, betas, documents, method)
    if (AiError.isAiError(block)) return block
    blocks.push(block)
  }
  return blocks
}

/** The Prompt's reasoning options: ours (flat), or `@effect/ai-anthropic`'s (its Effect 4 shape nests them in `info`). */
const reasoningOptions = (options: Prompt.ProviderOptions): Record<string, any> => {
  const own = optionsOf(options)
  return typeof own.info === "object" && own.info !== null ? own.info : own
}

/** A call's API name: the one its answer carried (kept in its options), else the toolkit's tool's. */
const callName = (part: Prompt.ToolCallPart, index: ToolIndex): string => {
  const providerName: unknown = optionsOf(part.options).providerName
  return typeof providerName === "string" ? providerName : index.apiName(part.name)
}

const isServerBlock = (value: unknown): value is Messages.ContentBlockParam =>
  typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string" &&
  isResultBlock((value as { type: string }).type)

const assistantBlocks = (
  message: Prompt.AssistantMessage,
  index: ToolIndex,
  method: string
): Array<Messages.ContentBlockParam> | AiError.AiError => {
  const blocks: Array<Messages.ContentBlockParam> = []
  for (const part of message.content) {
    const cache_control = cacheControlOf(part.options)
    const cache = cache_control === undefined ? {} : { cache_control }
    switch (part.type) {
      case "text":
        // The API refuses empty and whitespace-only text blocks.
        if (part.text.trim() !== "") blocks.push({ type: "text", text: part.text, ...cache })
        break
      case "reasoning": {
        const options = reasoningOptions(part.options)
        if (typeof options.redactedData === "string") blocks.push({ type: "redacted_thinking", data: options.redactedData })
        else if (typeof options.signature === "string") blocks.push({ type: "thinking", thinking: part.text, signature: options.signature })
        // Thinking without its signature cannot go back to the API (it would refuse the request): left out.
        break
      }
      case "tool-call": {
        const name = callName(part, index)
        blocks.push(
          part.providerExecuted
            ? { type: "server_tool_use", id: part.id, name, input: part.params, ...cache } as Messages.ContentBlockParam
            : { type: "tool_use", id: part.id, name, input: part.params, ...cache }
        )
        break
      }
      case "tool-result":
        if (!isServerBlock(part.result)) {
          return malformedInput(method, `the result of provider-executed tool call ${part.id} is not the API's result block`)
        }
        blocks.push(part.result)
        break
      case "file":
        // The API takes no files in assistant turns.
        break
      case "tool-approval-request":
        // Effect 4's approvals are Effect AI's own: the API has no such block.
        break
    }
  }
  return blocks
}

const userBlocks = (
  message: Prompt.UserMessage | Prompt.ToolMessage,
  betas: Set<string>,
  documents: Array<DocumentInfo>,
  method: string
): Array<Messages.ContentBlockParam> | AiError.AiError => {
  const blocks: Array<Messages.ContentBlockParam> = []
  for (const part of message.content) {
    const cache_control = cacheControlOf(part.options)
    const cache = cache_control === undefined ? {} : { cache_control }
    if (part.type === "text") {
      if (part.text.trim() !== "") blocks.push({ type: "text", text: part.text, ...cache })
    } else if (part.type === "file") {
      const block = filePart(part, betas, documents, method)
      if (AiError.isAiError(block)) return block
      blocks.push(block)
    } else if (part.type === "tool-result") {
      let content: string | Array<Messages.ContentBlockParam>
      if (part.modelOutput !== undefined) {
        const output = modelOutputBlocks(part.modelOutput, betas, documents, method)
        if (AiError.isAiError(output)) return output
        content = output
      } else {
        const text = resultContent(part.result, part.id)
        if (Result.isFailure(text)) return malformedInput(method, text.failure.detail)
        content = text.success
      }
      blocks.push({
        type: "tool_result",
        tool_use_id: part.id,
        content,
        ...(part.isFailure ? { is_error: true } : {}),
        ...cache
      } as Messages.ContentBlockParam)
    }
    // A `tool-approval-response` is Effect AI's own: the API has no such block.
  }
  return blocks
}

/** A message-level cache breakpoint goes on the message's last block. */
const markLast = (blocks: Array<Messages.ContentBlockParam>, options: Prompt.ProviderOptions) => {
  const cache_control = cacheControlOf(options)
  const last = blocks[blocks.length - 1]
  if (cache_control !== undefined && last !== undefined && !("cache_control" in last && last.cache_control)) {
    blocks[blocks.length - 1] = { ...last, cache_control } as Messages.ContentBlockParam
  }
}

/**
 * The prompt as the request's `system` and `messages`: every system message joined (in order), consecutive user
 * and tool messages in one user turn, consecutive assistant messages in one assistant turn, the last assistant
 * text without trailing whitespace (the API refuses a prefill that ends in it).
 */
export const preparePrompt = (
  prompt: Prompt.Prompt,
  index: ToolIndex,
  cache: TurnCache,
  betas: Set<string>,
  method: string
): PreparedPrompt | AiError.AiError => {
  const system: Array<Messages.TextBlockParam> = []
  const messages: Array<{ role: "user" | "assistant"; content: Array<Messages.ContentBlockParam> }> = []
  const documents: Array<DocumentInfo> = []
  const turn = (role: "user" | "assistant") => {
    const last = messages[messages.length - 1]
    if (last !== undefined && last.role === role) return last.content
    const content: Array<Messages.ContentBlockParam> = []
    messages.push({ role, content })
    return content
  }
  for (const message of prompt.content) {
    if (message.role === "system") {
      const cache_control = cacheControlOf(message.options)
      if (message.content !== "") system.push({ type: "text", text: message.content, ...(cache_control === undefined ? {} : { cache_control }) })
      continue
    }
    let blocks: Array<Messages.ContentBlockParam> | AiError.AiError
    if (message.role === "assistant") {
      const original = cache.get(message.content)
      blocks = original !== undefined ? [...original] : assistantBlocks(message, index, method)
    } else {
      blocks = userBlocks(message, betas, documents, method)
    }
    if (AiError.isAiError(blocks)) return blocks
    markLast(blocks, message.options)
    turn(message.role === "assistant" ? "assistant" : "user").push(...blocks)
  }
  const last = messages[messages.length - 1]
  if (last?.role === "assistant") {
    const final = last.content[last.content.length - 1]
    if (final?.type === "text") {
      const text = final.text.trimEnd()
      if (text === "") last.content.pop()
      else last.content[last.content.length - 1] = { ...final, text }
    }
  }
  const sent = messages.filter((m) => m.content.length > 0)
  if (sent.length === 0) {
    return malformedInput(method, "the prompt holds no message to send (no text, file or tool part outside the system prompt)")
  }
  return { system, messages: sent, documents }
}
