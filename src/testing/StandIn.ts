/**
 * A loopback stand-in for the Messages API: a real HTTP server on 127.0.0.1 that answers `/v1/messages` and
 * `/v1/messages/count_tokens` with scripted replies and records every request it sees.
 *
 * ```ts
 * const standIn = await StandIn.start()
 * standIn.enqueue(StandIn.error(429, { retryAfter: "1" }), StandIn.text("hello"))
 * // base_url: standIn.url
 * standIn.requests // what arrived, headers and parsed bodies included
 * await standIn.close()
 * ```
 *
 * With nothing enqueued it answers a message that echoes the last user text, checking the model as the API does: an
 * alias is answered under its full id, an unknown or retired model gets the API's 404 (`model: <name>`). `standIn.models`
 * is the API's catalogue, served on `/v1/models`.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { createHash, randomBytes } from "node:crypto"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { type Charge, inputTokensOf, makeRateLimits, type StandInLimits } from "../internal/standIn/rateLimits.js"
import { checkModel, find, realModels } from "../internal/standIn/catalogue.js"
import { type BatchServer, type FileServer, makeResources } from "../internal/standIn/resources.js"
import type { LiveChannel, RecordedRequest, Reply } from "../internal/standIn/types.js"
import type * as Messages from "../internal/messages/message.js"
import type { ModelInfo } from "../internal/resources/models.js"
import { sampleOf } from "../internal/standIn/sample.js"

export type { BatchServer, FileServer, StoredBatch } from "../internal/standIn/resources.js"
export type { Charge, StandInLimits } from "../internal/standIn/rateLimits.js"

export type { LiveChannel, RecordedRequest, Reply } from "../internal/standIn/types.js"

/**
 * A streamed answer the test writes itself, at the pace it wants (paced by `TestClock`, say): the reply, and the
 * channel once the request has arrived.
 *
 * ```ts
 * const { reply, channel } = StandIn.live()
 * standIn.enqueue(reply)
 * const ch = await channel
 * await ch.write(StandIn.sse([event]))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const live = (): { readonly reply: Reply; readonly channel: Promise<LiveChannel> } => {
  let connected!: (channel: LiveChannel) => void
  const channel = new Promise<LiveChannel>((resolve) => {
    connected = resolve
  })
  return { reply: { type: "live", connect: connected }, channel }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface StandIn {
  /** `http://127.0.0.1:PORT`, for `base_url`. */
  readonly url: string
  /** Every API request received (`/v1/…`), in order (token requests are in `oauth.tokenRequests`). */
  readonly requests: ReadonlyArray<RecordedRequest>
  /** Requests whose client went away before the answer was complete (an aborted call), by arrival order. */
  readonly abandoned: ReadonlyArray<RecordedRequest>
  /** Replies for the next requests, in order; once used up the default echo answers. */
  readonly enqueue: (...replies: ReadonlyArray<Reply>) => void
  /** Replace the default answer given when the queue is empty. */
  readonly setDefault: (reply: Reply) => void
  /**
   * Resolves as soon as `condition` holds: checked now and after every request, abandoned request and token request
   * the stand-in records (no polling). Rejects after `timeoutMs` (default 5,000, real time) naming what it waited for.
   * In Effect: `StandIn.until(standIn, () => standIn.requests.length === 2)`.
   */
  readonly waitFor: (condition: () => boolean, timeoutMs?: number) => Promise<void>
  /** The OAuth side: token endpoint (`/v1/oauth/token`) and authorize page (`/oauth/authorize`). */
  readonly oauth: OAuthServer
  /**
   * The catalogue `GET /v1/models` and `/v1/models/{id}` answer from, and Messages requests are checked against:
   * the API's models, newest first (19 it lists by default, active and deprecated, then 8 retired ones). Change it
   * to serve others.
   */
  readonly models: Array<ModelInfo>
  /** The Message Batches endpoints' state and controls. */
  readonly batches: BatchServer
  /** The Files endpoints' state and controls (they require `anthropic-beta: files-api-2025-04-14`). */
  readonly files: FileServer
  /**
   * The rate limits of `POST /v1/messages` answered by the default echo: token buckets per minute, as the API keeps
   * them, reported in `anthropic-ratelimit-*` headers on every answer, a 429 with `retry-after` when exceeded.
   * Generous by default (4,000 requests, 2M input and 400k output tokens a minute); `set` others (which turns them
   * back on), read `charges`, or turn them `off` (no limit, no headers: a gateway that reports none).
   */
  readonly rateLimits: {
    readonly set: (limits: Partial<StandInLimits>) => void
    readonly off: () => void
    readonly charges: ReadonlyArray<Charge>
  }
  readonly close: () => Promise<void>
}

/**
 * The stand-in's OAuth authorization server. Refresh tokens rotate (a used one gets 400 `invalid_grant`), codes are
 * bound to their PKCE challenge and redirect URI, and issued access tokens can be required on `/v1/messages`.
 *
 * @since 0.1.0
 * @category models
 */
export interface OAuthServer {
  /** `${url}/v1/oauth/token`, for `auth.token_url`. */
  readonly tokenUrl: string
  /** `${url}/oauth/authorize`, for `auth.authorize_url`. */
  readonly authorizeUrl: string
  /** Mint a token pair as a login would. */
  readonly issue: (expiresInSeconds?: number) => TokenPair
  /** Every request to the token endpoint, in order. */
  readonly tokenRequests: ReadonlyArray<RecordedRequest>
  /** Successful refresh grants so far. */
  readonly refreshes: () => number
  /** Lifetime of tokens issued from now on (seconds, default 3600). */
  readonly setExpiresIn: (seconds: number) => void
  /** When on, a Bearer token on `/v1/messages` must be one this server issued and not yet expired (else 401). */
  readonly requireIssuedTokens: (on: boolean) => void
  /** Scripted answers for the next token requests, before the real logic. */
  readonly enqueueToken: (...replies: ReadonlyArray<Reply>) => void
}

/**
 * @since 0.1.0
 * @category models
 */
export interface TokenPair {
  readonly access_token: string
  readonly refresh_token: string
  readonly expires_in: number
  readonly scope: string
}

let counter = 0
/** Answers the stand-in itself cut off, so they do not count as abandoned by the client. */
const hungUp = new WeakSet<http.ServerResponse>()
const nextId = (prefix: string) => `${prefix}_${(++counter).toString().padStart(6, "0")}`

/**
 * A Message as the API sends it.
 *
 * @since 0.1.0
 * @category utils
 */
export const messageJson = (
  content: ReadonlyArray<Messages.ContentBlock>,
  overrides: Partial<Messages.Message> = {}
): Messages.Message => ({
  id: nextId("msg"),
  type: "message",
  role: "assistant",
  model: "claude-haiku-4-5-20251001",
  content,
  stop_reason: content.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn",
  stop_sequence: null,
  usage: { input_tokens: 12, output_tokens: Math.max(1, content.length * 8) },
  ...overrides
})

/**
 * A 200 Message with one text block.
 *
 * @since 0.1.0
 * @category utils
 */
export const text = (value: string, overrides: Partial<Messages.Message> = {}): Reply => ({
  type: "json",
  status: 200,
  body: messageJson([{ type: "text", text: value }], overrides)
})

/**
 * A 200 Message asking for a tool call.
 *
 * @since 0.1.0
 * @category utils
 */
export const toolUse = (name: string, input: unknown, preface?: string): Reply => ({
  type: "json",
  status: 200,
  body: messageJson([
    ...(preface === undefined ? [] : [{ type: "text" as const, text: preface }]),
    { type: "tool_use", id: nextId("toolu"), name, input }
  ])
})

/**
 * An API error answer: `{"type":"error","error":{type,message},"request_id"}` with the matching headers.
 *
 * @since 0.1.0
 * @category utils
 */
export const error = (
  status: number,
  options: {
    readonly errorType?: string
    readonly message?: string
    readonly retryAfter?: string
    readonly retryAfterMs?: string
    readonly shouldRetry?: boolean
    readonly headers?: Record<string, string>
  } = {}
): Reply => {
  const errorType = options.errorType ?? defaultErrorType(status)
  const requestId = nextId("req")
  const headers: Record<string, string> = { "request-id": requestId, ...options.headers }
  if (options.retryAfter !== undefined) headers["retry-after"] = options.retryAfter
  if (options.retryAfterMs !== undefined) headers["retry-after-ms"] = options.retryAfterMs
  if (options.shouldRetry !== undefined) headers["x-should-retry"] = String(options.shouldRetry)
  return {
    type: "json",
    status,
    headers,
    body: {
      type: "error",
      error: { type: errorType, message: options.message ?? `stand-in ${status} ${errorType}` },
      request_id: requestId
    }
  }
}

const defaultErrorType = (status: number): string => {
  switch (status) {
    case 400:
      return "invalid_request_error"
    case 401:
      return "authentication_error"
    case 403:
      return "permission_error"
    case 404:
      return "not_found_error"
    case 413:
      return "request_too_large"
    case 429:
      return "rate_limit_error"
    case 529:
      return "overloaded_error"
    default:
      return status >= 500 ? "api_error" : "invalid_request_error"
  }
}

const lastUserText = (body: any): string => {
  const messages: Array<any> = Array.isArray(body?.messages) ? body.messages : []
  const last = [...messages].reverse().find((m) => m?.role === "user")
  if (last === undefined) return ""
  if (typeof last.content === "string") return last.content
  return (Array.isArray(last.content) ? last.content : [])
    .map((b: any) => b?.type === "text" ? b.text : b?.type === "tool_result" ? `[tool_result ${JSON.stringify(b.content)}]` : "")
    .filter((text: string) => text !== "")
    .join(" ")
}

/** The tool a request forces (`tool_choice` `tool`, or `any`: its first tool), if it forces one. */
const forcedTool = (body: any): { readonly name: string; readonly input_schema?: unknown } | undefined => {
  const tools: Array<any> = Array.isArray(body?.tools) ? body.tools.filter((t: any) => typeof t?.name === "string") : []
  const choice = body?.tool_choice
  if (choice?.type === "tool") return tools.find((t) => t.name === choice.name)
  return choice?.type === "any" ? tools[0] : undefined
}

/**
 * What the default answer says: a value of the asked-for JSON schema (structured output), a call of the forced
 * tool with an input of its schema, or the echo of the last user text.
 */
const answerContent = (body: any): Array<Messages.ContentBlock> => {
  const format = body?.output_config?.format
  if (format?.type === "json_schema") return [{ type: "text", text: JSON.stringify(sampleOf(format.schema)) } as Messages.ContentBlock]
  const tool = forcedTool(body)
  if (tool !== undefined) {
    return [{ type: "tool_use", id: `toolu_${randomBytes(12).toString("hex")}`, name: tool.name, input: sampleOf(tool.input_schema) } as Messages.ContentBlock]
  }
  return [{ type: "text", text: `echo: ${lastUserText(body)}` } as Messages.ContentBlock]
}

/** The text the stand-in counts output tokens of: an answer's text, or a tool call's JSON. */
const countedText = (content: ReadonlyArray<Messages.ContentBlock>): string =>
  content.map((block) => (block.type === "text" ? block.text : JSON.stringify(block))).join("")

/** The message the default answer gives for these params (batches use it too). */
const echoMessage = (body: any): Messages.Message => {
  const content = answerContent(body)
  const text = countedText(content)
  return messageJson(content, {
    model: String(body?.model ?? "claude-haiku-4-5-20251001"),
    // The tokens the stand-in counts and charges (see its rate limits).
    usage: { input_tokens: inputTokensOf(body), output_tokens: outputTokensOf(text) }
  })
}

/** The output tokens of an answer's text, as the stand-in counts them. */
const outputTokensOf = (text: string) => Math.max(1, Math.ceil(text.length / 4))

/**
 * The default answer: a message echoing the last user text; token counts for count_tokens.
 *
 * @since 0.1.0
 * @category utils
 */
export const echo: Reply = {
  type: "dynamic",
  reply: (request) =>
    request.path.startsWith("/v1/messages/count_tokens")
      ? { type: "json", status: 200, body: { input_tokens: Math.ceil(JSON.stringify(request.body ?? "").length / 4) } }
      : request.body?.stream === true
      ? streamOf(echoMessage(request.body))
      : { type: "json", status: 200, body: echoMessage(request.body) }
}

const makeOAuth = (url: string, recorded: () => void) => {
  const access = new Map<string, number>()
  const refresh = new Set<string>()
  const codes = new Map<string, { challenge: string; redirectUri: string; state: string }>()
  const tokenRequests: Array<RecordedRequest> = []
  const queue: Array<Reply> = []
  let expiresIn = 3600
  let refreshes = 0
  let requireIssued = false
  const secret = () => randomBytes(24).toString("base64url")
  const issue = (seconds = expiresIn): TokenPair => {
    const pair = {
      access_token: `sk-ant-oat01-${secret()}`,
      refresh_token: `sk-ant-ort01-${secret()}`,
      expires_in: seconds,
      scope: "user:inference user:profile"
    }
    access.set(pair.access_token, Date.now() + seconds * 1000)
    refresh.add(pair.refresh_token)
    return pair
  }
  const invalidGrant = (description: string): Reply => ({
    type: "json",
    status: 400,
    body: { error: "invalid_grant", error_description: description }
  })
  const token = (request: RecordedRequest): Reply => {
    tokenRequests.push(request)
    try {
      return answer(request)
    } finally {
      recorded()
    }
  }
  const answer = (request: RecordedRequest): Reply => {
    const scripted = queue.shift()
    if (scripted !== undefined) return scripted
    const body = request.body ?? {}
    if (body.grant_type === "refresh_token") {
      if (!refresh.delete(body.refresh_token)) return invalidGrant("Refresh token not found or invalid")
      refreshes++
      return { type: "json", status: 200, body: issue() }
    }
    if (body.grant_type === "authorization_code") {
      const grant = codes.get(body.code)
      codes.delete(body.code)
      if (grant === undefined) return invalidGrant("Invalid authorization code")
      if (createHash("sha256").update(String(body.code_verifier)).digest("base64url") !== grant.challenge) {
        return invalidGrant("PKCE verification failed")
      }
      if (body.redirect_uri !== grant.redirectUri) return invalidGrant("redirect_uri mismatch")
      if (body.state !== grant.state) return invalidGrant("state mismatch")
      return { type: "json", status: 200, body: issue() }
    }
    return { type: "json", status: 400, body: { error: "unsupported_grant_type" } }
  }
  /** The authorize page approves at once: a loopback redirect URI gets a 302, the hosted one shows code#state. */
  const authorize = (request: RecordedRequest): Reply => {
    const query = new URL(request.path, url).searchParams
    const redirectUri = query.get("redirect_uri") ?? ""
    const state = query.get("state") ?? ""
    const code = secret()
    codes.set(code, { challenge: query.get("code_challenge") ?? "", redirectUri, state })
    if (/^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?\//.test(redirectUri)) {
      const location = new URL(redirectUri)
      location.searchParams.set("code", code)
      location.searchParams.set("state", state)
      return { type: "raw", status: 302, body: "", headers: { location: location.toString() } }
    }
    return { type: "raw", status: 200, body: `${code}#${state}` }
  }
  /** A Bearer token that this server did not issue, or that expired, gets a 401. */
  const checkBearer = (request: RecordedRequest): Reply | undefined => {
    const auth = request.headers["authorization"]
    if (!requireIssued || auth === undefined) return undefined
    const expires = access.get(auth.replace(/^Bearer /, ""))
    return expires !== undefined && expires > Date.now()
      ? undefined
      : error(401, { errorType: "authentication_error", message: "Invalid bearer token" })
  }
  const server: OAuthServer = {
    tokenUrl: `${url}/v1/oauth/token`,
    authorizeUrl: `${url}/oauth/authorize`,
    issue,
    tokenRequests,
    refreshes: () => refreshes,
    setExpiresIn: (seconds) => {
      expiresIn = seconds
    },
    requireIssuedTokens: (on) => {
      requireIssued = on
    },
    enqueueToken: (...replies) => {
      queue.push(...replies)
    }
  }
  return { server, token, authorize, checkBearer }
}

/**
 * One SSE event: `event:` name and its `data` (JSON-encoded unless already a string).
 *
 * @since 0.1.0
 * @category models
 */
export interface SseEvent {
  readonly event: string
  readonly data: unknown
}

/**
 * Render events as an SSE body. Multi-line `data` is split into several `data:` lines, as the format requires.
 *
 * @since 0.1.0
 * @category utils
 */
export const sse = (events: ReadonlyArray<SseEvent>, options: { readonly lineEnding?: "\n" | "\r\n" } = {}): string => {
  const nl = options.lineEnding ?? "\n"
  let out = ""
  for (const e of events) {
    const data = typeof e.data === "string" ? e.data : JSON.stringify(e.data)
    out += `event: ${e.event}${nl}`
    for (const line of data.split("\n")) out += `data: ${line}${nl}`
    out += nl
  }
  return out
}

const pieces = (text: string, n: number): Array<string> => {
  const size = Math.max(1, Math.ceil(text.length / Math.max(1, n)))
  const out: Array<string> = []
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size))
  return out
}

/**
 * The events the API streams for `message`: `message_start`, a `ping`, per block `content_block_start`, deltas of
 * every kind (`text_delta`, `input_json_delta` starting with "", `thinking_delta`, `signature_delta`,
 * `citations_delta`), `content_block_stop`, then `message_delta` and `message_stop`.
 *
 * @since 0.1.0
 * @category utils
 */
export const streamEventsOf = (message: Messages.Message, options: { readonly piecesPerBlock?: number } = {}): Array<SseEvent> => {
  const n = options.piecesPerBlock ?? 3
  const events: Array<SseEvent> = [
    {
      event: "message_start",
      data: {
        type: "message_start",
        message: { ...message, content: [], stop_reason: null, stop_sequence: null, usage: { ...message.usage, output_tokens: 1 } }
      }
    },
    { event: "ping", data: { type: "ping" } }
  ]
  message.content.forEach((block, index) => {
    const delta = (d: Record<string, unknown>) => events.push({ event: "content_block_delta", data: { type: "content_block_delta", index, delta: d } })
    const b = block as Record<string, any>
    switch ((block as { readonly type: string }).type) {
      case "text": {
        events.push({ event: "content_block_start", data: { type: "content_block_start", index, content_block: { type: "text", text: "", ...(b.citations ? { citations: null } : {}) } } })
        for (const citation of b.citations ?? []) delta({ type: "citations_delta", citation })
        for (const piece of pieces(b.text, n)) delta({ type: "text_delta", text: piece })
        break
      }
      case "tool_use":
      case "server_tool_use": {
        events.push({ event: "content_block_start", data: { type: "content_block_start", index, content_block: { ...b, input: {} } } })
        delta({ type: "input_json_delta", partial_json: "" })
        for (const piece of pieces(JSON.stringify(b.input), n)) delta({ type: "input_json_delta", partial_json: piece })
        break
      }
      case "thinking": {
        events.push({ event: "content_block_start", data: { type: "content_block_start", index, content_block: { type: "thinking", thinking: "", signature: "" } } })
        for (const piece of pieces(b.thinking, n)) delta({ type: "thinking_delta", thinking: piece })
        delta({ type: "signature_delta", signature: b.signature })
        break
      }
      default:
        events.push({ event: "content_block_start", data: { type: "content_block_start", index, content_block: b } })
    }
    events.push({ event: "content_block_stop", data: { type: "content_block_stop", index } })
  })
  events.push(
    {
      event: "message_delta",
      data: {
        type: "message_delta",
        delta: { stop_reason: message.stop_reason, stop_sequence: message.stop_sequence ?? null },
        usage: { output_tokens: message.usage.output_tokens }
      }
    },
    { event: "message_stop", data: { type: "message_stop" } }
  )
  return events
}

/**
 * A streamed reply of `message` (every event kind its blocks call for).
 *
 * @since 0.1.0
 * @category utils
 */
export const streamOf = (
  message: Messages.Message,
  options: { readonly piecesPerBlock?: number; readonly chunkSize?: number; readonly lineEnding?: "\n" | "\r\n" } = {}
): Reply => ({ type: "stream", body: sse(streamEventsOf(message, options), options), ...(options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize }) })

/**
 * A streamed text reply.
 *
 * @since 0.1.0
 * @category utils
 */
export const streamText = (value: string, options: { readonly piecesPerBlock?: number; readonly chunkSize?: number } = {}): Reply =>
  streamOf(messageJson([{ type: "text", text: value }]), options)

/**
 * A stream that starts, then fails with `event: error` (`overloaded_error` by default) after some text.
 *
 * @since 0.1.0
 * @category utils
 */
export const streamError = (errorType = "overloaded_error", message = "Overloaded"): Reply => {
  const events = streamEventsOf(messageJson([{ type: "text", text: "partial answer" }]))
  return {
    type: "stream",
    body: sse([
      ...events.slice(0, 5),
      { event: "error", data: { type: "error", error: { type: errorType, message } } }
    ])
  }
}

/** An error body's own `request_id`, when it could be a header (a test may make it megabytes long). */
const bodyRequestId = (body: unknown): string | undefined => {
  const id = (body as { request_id?: unknown } | null)?.request_id
  return typeof id === "string" && id.length <= 200 && /^[\x21-\x7e]+$/.test(id) ? id : undefined
}

/** A reply with these headers added (its own win). */
const withHeaders = (reply: Reply, headers: Record<string, string>, request: RecordedRequest): Reply => {
  switch (reply.type) {
    case "dynamic":
      return withHeaders(reply.reply(request), headers, request)
    case "json":
    case "raw":
    case "stream":
      return { ...reply, headers: { ...headers, ...reply.headers } }
    default:
      return reply
  }
}

const writeStream = async (res: http.ServerResponse, reply: Extract<Reply, { type: "stream" }>, stalled: Set<http.ServerResponse>) => {
  const body = typeof reply.body === "string" ? Buffer.from(reply.body) : Buffer.from(reply.body.buffer, reply.body.byteOffset, reply.body.byteLength)
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", "request-id": nextId("req"), ...reply.headers })
  const limit = Math.min(body.length, reply.cutAfter ?? Infinity, reply.stallAfter ?? Infinity)
  const size = reply.chunkSize ?? limit
  const closed = new Promise<void>((resolve) => res.once("close", resolve))
  for (let at = 0; at < limit; at += size) {
    if (res.destroyed) return
    // Wait until each write is handed to the socket, so a cut or stall that follows comes after these bytes.
    await Promise.race([
      new Promise<void>((resolve) => res.write(body.subarray(at, Math.min(limit, at + size)), () => resolve())),
      closed
    ])
    // Small writes stand for separate network packets: let each leave before the next.
    if (reply.chunkSize !== undefined && reply.chunkSize < 4096) await new Promise((r) => setImmediate(r))
  }
  if (reply.cutAfter !== undefined && reply.cutAfter < body.length) {
    hungUp.add(res)
    res.socket?.destroy()
  } else if (reply.stallAfter !== undefined && reply.stallAfter < body.length) {
    stalled.add(res)
  } else {
    res.end()
  }
}

const send = (res: http.ServerResponse, reply: Reply, request: RecordedRequest, stalled: Set<http.ServerResponse>) => {
  switch (reply.type) {
    case "dynamic":
      return send(res, reply.reply(request), request, stalled)
    case "hangup":
      hungUp.add(res)
      res.socket?.destroy()
      return
    case "stall":
      stalled.add(res)
      return
    case "stream":
      void writeStream(res, reply, stalled)
      return
    case "later":
      void reply.reply.then((later) => send(res, later, request, stalled))
      return
    case "write":
      reply.write(res)
      return
    case "live":
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", "request-id": nextId("req") })
      res.flushHeaders()
      stalled.add(res)
      reply.connect({
        write: (text) => new Promise<void>((resolve) => res.write(text, () => resolve())),
        end: () => res.end(),
        hangup: () => {
          hungUp.add(res)
          res.socket?.destroy()
        }
      })
      return
    case "json":
    case "raw": {
      const body = reply.type === "json" ? JSON.stringify(reply.body) : reply.body
      res.writeHead(reply.status, {
        "content-type": reply.type === "json" ? "application/json" : "text/plain",
        "content-length": Buffer.byteLength(body),
        // The API names every answer (an error body's own request_id is the same one).
        // (A raw reply is sent as written: a recording keeps its own headers.)
        ...(reply.type === "json" && request.path.startsWith("/v1/")
          ? { "request-id": bodyRequestId(reply.body) ?? nextId("req") }
          : {}),
        ...reply.headers
      })
      res.end(body)
      return
    }
  }
}

/** The default answer to a Messages request through the rate limits (charged and reported, or a 429), and their controls. */
const makeLimited = (now: () => number) => {
  const limits = makeRateLimits(now)
  let limiting = true
  const answer = (request: RecordedRequest, fallback: Reply): Reply => {
    if (!limiting) return fallback
    const decision = limits.arrive(inputTokensOf(request.body))
    if (decision.retryAfterMs !== undefined) {
      return error(429, {
        retryAfter: String(Math.ceil(decision.retryAfterMs / 1000)),
        retryAfterMs: String(decision.retryAfterMs),
        headers: decision.headers
      })
    }
    decision.settle(outputTokensOf(countedText(answerContent(request.body))))
    return withHeaders(fallback, decision.headers, request)
  }
  const controls: StandIn["rateLimits"] = {
    set: (next) => {
      limiting = true
      limits.set(next)
    },
    off: () => {
      limiting = false
    },
    charges: limits.charges
  }
  return { answer, controls }
}

/** `waitFor`'s waiters, checked whenever the stand-in records something. */
const makeWaiters = () => {
  const waiters = new Set<() => void>()
  const recordedSomething = () => {
    for (const check of [...waiters]) check()
  }
  const waitFor = (condition: () => boolean, timeoutMs = 5000) =>
    new Promise<void>((resolve, reject) => {
      if (condition()) return resolve()
      const timer = setTimeout(() => {
        waiters.delete(check)
        reject(new Error(`the stand-in waited ${timeoutMs} ms for: ${condition.toString()}`))
      }, timeoutMs)
      const check = () => {
        if (!condition()) return
        waiters.delete(check)
        clearTimeout(timer)
        resolve()
      }
      waiters.add(check)
    })
  return { recordedSomething, waitFor }
}

/** A request as recorded: its body parsed as JSON when it is (kept as text otherwise; none for a multipart upload). */
const recordOf = (req: http.IncomingMessage, bytes: Buffer): RecordedRequest => {
  let body: unknown = undefined
  if (!String(req.headers["content-type"]).startsWith("multipart/")) {
    const raw = bytes.toString("utf8")
    body = raw
    try {
      body = raw === "" ? undefined : JSON.parse(raw)
    } catch {
      // keep the raw text
    }
  }
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = String(v)
  return { method: req.method ?? "GET", path: req.url ?? "/", headers, body, raw: bytes, receivedAt: Date.now() }
}

/** Listens on 127.0.0.1:`port` (0: a free one); rejects when the port cannot be had (`EADDRINUSE`, say). */
const listen = (server: http.Server, port: number) =>
  new Promise<number>((resolve, reject) => {
    server.once("error", reject)
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject)
      resolve((server.address() as AddressInfo).port)
    })
  })

/**
 * What {@link start} takes.
 *
 * @since 0.2.0
 * @category models
 */
export interface StartOptions {
  readonly replies?: ReadonlyArray<Reply> | undefined
  /** The stand-in's clock for its rate limits (epoch ms): a test's `TestClock`, say. Default `Date.now`. */
  readonly now?: (() => number) | undefined
  /** The port on 127.0.0.1 (default 0: a free one). One that is taken fails the start (`EADDRINUSE`). */
  readonly port?: number | undefined
  /**
   * Which models Messages requests may name: `"catalogue"` (the default), the API's models by id or alias, an
   * unknown or retired one answered with the API's 404 (`model: <name>`); or `"any"` name, for a test that needs
   * an arbitrary one (a name the catalogue does not know is echoed back as given).
   */
  readonly models?: "catalogue" | "any" | undefined
}

/**
 * Start a stand-in on 127.0.0.1 (a free port, or `options.port`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const start = async (options: StartOptions = {}): Promise<StandIn> => {
  const queue: Array<Reply> = [...(options.replies ?? [])]
  const requests: Array<RecordedRequest> = []
  const stalled = new Set<http.ServerResponse>()
  const abandoned: Array<RecordedRequest> = []
  let fallback: Reply = echo
  let oauth: ReturnType<typeof makeOAuth>
  const models = realModels()
  const answerOf = (params: Messages.MessageCreateParams) =>
    echoMessage({ ...params, model: find(models, params.model)?.id ?? params.model })
  const resources = makeResources({ nextId, error, answer: answerOf, models })
  const limits = makeLimited(options.now ?? Date.now)
  const { recordedSomething, waitFor } = makeWaiters()
  const limited = (request: RecordedRequest) => limits.answer(request, fallback)
  /** What the stand-in itself answers a Messages request: the model checked as the API checks it, then the default. */
  const answerMessages = (recorded: RecordedRequest, res: http.ServerResponse) => {
    const checked = checkModel(recorded, models, options.models ?? "catalogue", error)
    if ("refused" in checked) return send(res, checked.refused, recorded, stalled)
    const { request } = checked
    send(res, request.path.startsWith("/v1/messages/count_tokens") ? fallback : limited(request), request, stalled)
  }
  const route = (recorded: RecordedRequest, res: http.ServerResponse) => {
    const path = recorded.path.split("?")[0]!
    if (path === "/v1/oauth/token" && recorded.method === "POST") return send(res, oauth.token(recorded), recorded, stalled)
    if (path === "/oauth/authorize") return send(res, oauth.authorize(recorded), recorded, stalled)
    const noRoute = error(404, { message: `no route ${recorded.method} ${recorded.path}` })
    if (!path.startsWith("/v1/")) return send(res, noRoute, recorded, stalled)
    // Scripted replies come first, for any endpoint; then the stand-in's own answers.
    const scripted = oauth.checkBearer(recorded) ?? queue.shift()
    if (scripted !== undefined) return send(res, scripted, recorded, stalled)
    const messages = path === "/v1/messages" || path === "/v1/messages/count_tokens"
    if (messages && recorded.method === "POST") return answerMessages(recorded, res)
    send(res, messages ? fallback : resources.route(recorded) ?? noRoute, recorded, stalled)
  }
  const server = http.createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      const recorded = recordOf(req, Buffer.concat(chunks))
      const path = recorded.path.split("?")[0]!
      if (path.startsWith("/v1/") && path !== "/v1/oauth/token") requests.push(recorded)
      res.on("close", () => {
        if (!res.writableFinished && !hungUp.has(res)) {
          abandoned.push(recorded)
          recordedSomething()
        }
      })
      // After the reply is chosen (below), so a waiter sees the request with its answer under way.
      queueMicrotask(recordedSomething)
      route(recorded, res)
    })
  })
  const port = await listen(server, options.port ?? 0)
  oauth = makeOAuth(`http://127.0.0.1:${port}`, recordedSomething)
  return {
    url: `http://127.0.0.1:${port}`,
    oauth: oauth.server,
    models,
    rateLimits: limits.controls,
    batches: resources.batches,
    files: resources.files,
    requests,
    abandoned,
    waitFor,
    enqueue: (...replies) => {
      queue.push(...replies)
    },
    setDefault: (reply) => {
      fallback = reply
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of stalled) res.socket?.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

/**
 * `standIn.waitFor(condition)` as an Effect: succeeds once the condition holds, dies (a test failure) after
 * `timeoutMs` of real time.
 *
 * @since 0.1.0
 * @category utils
 */
export const until = (standIn: StandIn, condition: () => boolean, timeoutMs?: number): Effect.Effect<void> =>
  Effect.promise(() => standIn.waitFor(condition, timeoutMs))

/**
 * A stand-in that lives as long as the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const scoped = (options: StartOptions = {}): Effect.Effect<StandIn, never, Scope.Scope> =>
  Effect.acquireRelease(Effect.promise(() => start(options)), (s) => Effect.promise(() => s.close()))
