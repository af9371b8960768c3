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
export {
  BodyTooLarge,
  DEFAULT_MAX_BODY_BYTES,
  layer,
  layerWith,
  make,
  type Options,
  type Pull,
  readEndsWithScope,
  toPull,
  withTimeout
} from "./internal/http/undici.js"
