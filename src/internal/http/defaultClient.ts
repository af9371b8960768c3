/**
 * The `HttpClient` the stack uses unless it is given one: this library's undici client where undici's dispatcher
 * runs (Node, Deno); elsewhere (Bun, Cloudflare Workers, any other runtime) its client on the runtime's `fetch`. Both
 * bound each request by `timeout_ms` themselves. Everything above them is the same code.
 *
 * Each is loaded when its layer is built, with Effect's HTTP modules, not when the library is imported.
 */
import * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import { lazyImport } from "../lazyImport.js"
import { undiciRuns } from "../runtime.js"
import type { Options } from "./types.js"

/** How the HTTP layer treats this library's clients: each bounds a request by `timeout_ms` and sends no trace headers. */
export const undiciOptions: Options = { timeout: "client", traceHeaders: "client" }

/** The undici client's module. */
export const loadUndici = lazyImport(() => import("./undici.js"))

/** The `fetch` client's module. */
const loadFetch = lazyImport(() => import("./fetch.js"))

/** The default client for requests bounded by `timeoutMs`, and how the HTTP layer treats it. */
export const defaultHttpClient = (timeoutMs: number): {
  readonly layer: Layer.Layer<HttpClient.HttpClient>
  readonly options: Options
} => ({
  layer: Layer.unwrap(
    undiciRuns
      ? Effect.map(loadUndici, (client) => client.layerWith({ timeout: timeoutMs }))
      : Effect.map(loadFetch, (client) => client.layerWith({ timeout: timeoutMs }))
  ),
  options: undiciOptions
})
