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
 * With nothing enqueued it answers a message that echoes the last user text.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import type * as Messages from "../Messages.js"

/**
 * A request as the stand-in received it.
 *
 * @since 0.1.0
 */
export interface RecordedRequest {
  readonly method: string
  readonly path: string
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>
  /** The parsed JSON body (or the raw text when it is not JSON). */
  readonly body: any
  /** `Date.now()` when the request arrived. */
  readonly receivedAt: number
}

/**
 * What the stand-in answers to one request.
 *
 * @since 0.1.0
 */
export type Reply =
  | { readonly type: "json"; readonly status: number; readonly body: unknown; readonly headers?: Record<string, string> }
  | { readonly type: "raw"; readonly status: number; readonly body: string; readonly headers?: Record<string, string> }
  /** Destroy the connection without answering. */
  | { readonly type: "hangup" }
  /** Never answer (until the stand-in closes). */
  | { readonly type: "stall" }
  /** Compute the reply from the request. */
  | { readonly type: "dynamic"; readonly reply: (request: RecordedRequest) => Reply }

/**
 * @since 0.1.0
 */
export interface StandIn {
  /** `http://127.0.0.1:PORT`, for `base_url`. */
  readonly url: string
  /** Every request received, in order. */
  readonly requests: ReadonlyArray<RecordedRequest>
  /** Requests whose client went away before the answer was complete (an aborted call), by arrival order. */
  readonly abandoned: ReadonlyArray<RecordedRequest>
  /** Replies for the next requests, in order; once used up the default echo answers. */
  readonly enqueue: (...replies: ReadonlyArray<Reply>) => void
  /** Replace the default answer given when the queue is empty. */
  readonly setDefault: (reply: Reply) => void
  readonly close: () => Promise<void>
}

let counter = 0
/** Answers the stand-in itself cut off, so they do not count as abandoned by the client. */
const hungUp = new WeakSet<http.ServerResponse>()
const nextId = (prefix: string) => `${prefix}_${(++counter).toString().padStart(6, "0")}`

/**
 * A Message as the API sends it.
 *
 * @since 0.1.0
 */
export const messageJson = (
  content: ReadonlyArray<Messages.ContentBlock>,
  overrides: Partial<Messages.Message> = {}
): Messages.Message => ({
  id: nextId("msg"),
  type: "message",
  role: "assistant",
  model: "claude-haiku-4-5",
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
    .join(" ")
}

/**
 * The default answer: a message echoing the last user text; token counts for count_tokens.
 *
 * @since 0.1.0
 */
export const echo: Reply = {
  type: "dynamic",
  reply: (request) =>
    request.path.startsWith("/v1/messages/count_tokens")
      ? { type: "json", status: 200, body: { input_tokens: Math.ceil(JSON.stringify(request.body ?? "").length / 4) } }
      : text(`echo: ${lastUserText(request.body)}`, { model: String(request.body?.model ?? "claude-haiku-4-5") })
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
    case "json":
    case "raw": {
      const body = reply.type === "json" ? JSON.stringify(reply.body) : reply.body
      res.writeHead(reply.status, {
        "content-type": reply.type === "json" ? "application/json" : "text/plain",
        "content-length": Buffer.byteLength(body),
        ...reply.headers
      })
      res.end(body)
      return
    }
  }
}

/**
 * Start a stand-in on 127.0.0.1 (a free port).
 *
 * @since 0.1.0
 */
export const start = async (options: { readonly replies?: ReadonlyArray<Reply> } = {}): Promise<StandIn> => {
  const queue: Array<Reply> = [...(options.replies ?? [])]
  const requests: Array<RecordedRequest> = []
  const stalled = new Set<http.ServerResponse>()
  const abandoned: Array<RecordedRequest> = []
  let fallback: Reply = echo
  const server = http.createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8")
      let body: unknown = raw
      try {
        body = raw === "" ? undefined : JSON.parse(raw)
      } catch {
        // keep the raw text
      }
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = String(v)
      const recorded: RecordedRequest = {
        method: req.method ?? "GET",
        path: req.url ?? "/",
        headers,
        body,
        receivedAt: Date.now()
      }
      requests.push(recorded)
      res.on("close", () => {
        if (!res.writableFinished && !hungUp.has(res)) abandoned.push(recorded)
      })
      if (!recorded.path.startsWith("/v1/messages")) {
        return send(res, error(404, { message: `no route ${recorded.method} ${recorded.path}` }), recorded, stalled)
      }
      send(res, queue.shift() ?? fallback, recorded, stalled)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    abandoned,
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
 * A stand-in that lives as long as the scope.
 *
 * @since 0.1.0
 */
export const scoped = (options: { readonly replies?: ReadonlyArray<Reply> } = {}): Effect.Effect<StandIn, never, Scope.Scope> =>
  Effect.acquireRelease(Effect.promise(() => start(options)), (s) => Effect.promise(() => s.close()))
