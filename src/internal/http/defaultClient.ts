/**
 * The `HttpClient` the stack uses unless it is given one: this library's undici client where undici's dispatcher
 * runs (Node, Deno); elsewhere (Bun, Cloudflare Workers, any other runtime) its client on the runtime's `fetch`. Both
 * bound each request by `timeout_ms` themselves. Everything above them is the same code.
 *
 * Each is loaded when its layer is built (with the stack, `loadStack`), not when the library is imported.
 */
import * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import { loadStack } from "./loadStack.js"
import { undiciRuns } from "../runtime.js"
import type { Options } from "./types.js"

/** How the HTTP layer treats this library's clients: each bounds a request by `timeout_ms` and sends no trace headers. */
export const undiciOptions: Options = { timeout: "client", traceHeaders: "client" }

/** The default client for requests bounded by `timeoutMs`, and how the HTTP layer treats it. */
export const defaultHttpClient = (timeoutMs: number): {
  readonly layer: Layer.Layer<HttpClient.HttpClient>
  readonly options: Options
} => ({
  layer: Layer.unwrap(
    Effect.map(loadStack, ({ Fetch, Undici }) => (undiciRuns ? Undici : Fetch).layerWith({ timeout: timeoutMs }))
  ),
  options: undiciOptions
})
