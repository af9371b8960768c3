/**
 * The `HttpClient` the stack uses unless it is given one: this library's undici client where undici's dispatcher
 * runs (Node, Deno); elsewhere (Bun, Cloudflare Workers, any other runtime) its client on the runtime's `fetch`. Both
 * bound each request by `timeout_ms` themselves. Everything above them is the same code.
 */
import type * as HttpClient from "effect/http/HttpClient"
import type * as Layer from "effect/Layer"
import * as FetchClient from "./fetch.js"
import { undiciRuns } from "../runtime.js"
import type { Options } from "./types.js"
import * as UndiciHttpClient from "./undici.js"

/** How the HTTP layer treats this library's clients: each bounds a request by `timeout_ms` and sends no trace headers. */
export const undiciOptions: Options = { timeout: "client", traceHeaders: "client" }

/** The default client for requests bounded by `timeoutMs`, and how the HTTP layer treats it. */
export const defaultHttpClient = (timeoutMs: number): {
  readonly layer: Layer.Layer<HttpClient.HttpClient>
  readonly options: Options
} =>
  undiciRuns
    ? { layer: UndiciHttpClient.layerWith({ timeout: timeoutMs }), options: undiciOptions }
    : { layer: FetchClient.layerWith({ timeout: timeoutMs }), options: undiciOptions }
