/**
 * Effect's `HttpClient` (`effect/http`) on undici's dispatcher API: the same interface as
 * `NodeHttpClient.layerUndici`, a lighter implementation. It is what the client uses by default.
 *
 * Why a second one: `NodeHttpClient.layerUndici` goes through undici's `request()` (a Node `Readable` per body, an
 * `AbortSignal` listener per request) and `HttpClient.make`'s per-request machinery (an `AbortController`, an
 * uninterruptible region, a wrapped response). Measured on 5,000 small calls that costs 2–3× raw undici before
 * anything of this client runs. Here a request is one undici handler object: the body arrives in its callbacks, a
 * waiting reader is resumed directly, interruption aborts through undici's own controller.
 *
 * Semantics follow the platform's clients: interrupting the request or a body read aborts the request; ending a body
 * read as a `stream` (or closing the scope it was pulled in) aborts it; an answer whose body is never read is aborted
 * once it is garbage-collected. The body can be read once as a `stream`, or any number of times as `text` / `json` /
 * `arrayBuffer`. It uses only the platform's public API, so `HttpClient.withScope` (which talks to the platform's own
 * clients through a private channel) does not apply: tie a request to a scope by interrupting it, or by reading its
 * body as a stream in that scope.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type { Dispatcher } from "undici"
import { loadStack } from "./internal/http/loadStack.js"
import type { Options } from "./internal/http/undici.js"

export type {
  /**
   * @since 0.1.0
   * @category models
   */
  Options
} from "./internal/http/undici.js"

export {
  /**
   * The `cause` of a whole-body read that went past {@link Options.maxBodyBytes}.
   *
   * @since 0.1.0
   * @category models
   */
  BodyTooLarge,
  /**
   * Default of {@link Options.maxBodyBytes}.
   *
   * @since 0.1.0
   * @category constants
   */
  DEFAULT_MAX_BODY_BYTES
} from "./internal/http/bodyLimit.js"

export {
  /**
   * The requests `effect` sends through an `UndiciHttpClient` are bounded by `timeout` instead of the client's own
   * {@link Options.timeout} (longer or shorter), with the same semantics and the same watchdog fiber.
   *
   * @since 0.2.0
   * @category combinators
   */
  withTimeout
} from "./internal/http/deadlines.js"

export {
  /**
   * A body's pull: its next chunks of bytes, failing with `Cause.Done` at the end.
   *
   * @since 0.2.0
   * @category models
   */
  type Pull,
  /**
   * Whether closing the scope a body is read in ends a read in progress (it aborts the request): true of this
   * client's answers. Another client's read may wait on, whatever its scope: interrupt it to end it.
   *
   * @since 0.2.0
   * @category utils
   */
  readEndsWithScope,
  /**
   * An answer's body as a pull in the scope, like `Stream.toPull(response.stream)`. An answer of this client is
   * pulled directly, without a Stream (and its channel executor) in between; any other answer through its `stream`.
   *
   * @since 0.2.0
   * @category utils
   */
  toPull
} from "./internal/http/directPull.js"

// The client itself is loaded, with Effect's HTTP modules and undici, when a client is made or a layer built.

/**
 * An `HttpClient` sending through `dispatcher`. With a `timeout`, its watchdog fiber lives in the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (dispatcher: Dispatcher, options: Options = {}): Effect.Effect<HttpClient.HttpClient, never, Scope.Scope> =>
  Effect.flatMap(loadStack, ({ Undici }) => Undici.make(dispatcher, options))

/**
 * The client on an undici `Agent` of its own, closed with the layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWith = (options: Options): Layer.Layer<HttpClient.HttpClient> =>
  Layer.unwrap(Effect.map(loadStack, ({ Undici }) => Undici.layerWith(options)))

/**
 * {@link layerWith} without a timeout.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<HttpClient.HttpClient> = layerWith({})
