/**
 * Requests whose answer their sender will read whole (a JSON call, not a stream or a download) are sent through the
 * client's own whole-body execute where it has one: this library's `fetch` client then reads a small body with the
 * head, so the call resumes once. Any other client (or one wrapped by a transform) gets them through `execute`.
 */
import type * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import type * as HttpClientError from "effect/http/HttpClientError"
import type * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"

type Execute = (
  request: HttpClientRequest.HttpClientRequest
) => Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>

/** The key of a client's whole-body execute. */
export const ExecuteWholeKey: unique symbol = Symbol.for("effect-anthropic/http/ExecuteWhole")

/** A client that sends requests whose answer will be read whole in a way of its own. */
export interface ExecuteWhole {
  readonly [ExecuteWholeKey]: Execute
}

/** How `client` sends a request whose answer will be read whole (looked up once, not per request). */
export const executeWholeOf = (client: HttpClient.HttpClient): Execute =>
  ExecuteWholeKey in client ? (client as HttpClient.HttpClient & ExecuteWhole)[ExecuteWholeKey] : (request) => client.execute(request)
