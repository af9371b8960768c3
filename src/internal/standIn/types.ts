/**
 * The stand-in's vocabulary: a request as it arrived, and what the stand-in answers (the public `testing/StandIn`
 * module re-exports these).
 */
import type * as http from "node:http"

/**
 * A request as the stand-in received it.
 *
 * @since 0.1.0
 * @category models
 */
export interface RecordedRequest {
  readonly method: string
  readonly path: string
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>
  /** The parsed JSON body (or the raw text when it is not JSON; `undefined` for a multipart upload). */
  readonly body: any
  /** The body's bytes as they came. */
  readonly raw: Uint8Array
  /** `Date.now()` when the request arrived. */
  readonly receivedAt: number
}

/**
 * What the stand-in answers to one request.
 *
 * @since 0.1.0
 * @category models
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
  /** A 200 `text/event-stream`: the SSE body, written in `chunkSize`-byte writes, optionally broken off. */
  | {
    readonly type: "stream"
    /** Rendered SSE (see {@link sse}), as text or bytes. */
    readonly body: string | Uint8Array
    readonly chunkSize?: number
    /** Destroy the connection after this many bytes (a cut connection). */
    readonly cutAfter?: number
    /** Stop writing after this many bytes and keep the connection open (a stall). */
    readonly stallAfter?: number
    readonly headers?: Record<string, string>
  }
  /** Answer with `reply` once it resolves (an answer held back while the test does something else). */
  | { readonly type: "later"; readonly reply: Promise<Reply> }
  /** A 200 `text/event-stream` written by the test as it goes: see {@link live}. */
  | { readonly type: "live"; readonly connect: (channel: LiveChannel) => void }
  /** Any answer, written on the response by `write` (status, headers, body, pace). */
  | { readonly type: "write"; readonly write: (res: http.ServerResponse) => void }

/**
 * The server side of a {@link live} stream: what the test writes reaches the client as one network write.
 *
 * @since 0.1.0
 * @category models
 */
export interface LiveChannel {
  /** Write bytes (SSE text); resolves once they are handed to the socket. */
  readonly write: (text: string) => Promise<void>
  /** End the answer normally. */
  readonly end: () => void
  /** Drop the connection. */
  readonly hangup: () => void
}

