/**
 * Streaming: SSE bytes → typed events, and events → the final `Message`.
 *
 * The hot path works a network chunk at a time: bytes are decoded and fed to `eventsource-parser`, each event's data
 * is `JSON.parse`d once (the common `content_block_delta` through a fast path, see `internal/eventJson.ts`), and the
 * events of one chunk leave as one array (a stream chunk). There is no per-event Schema
 * decode (events are typed by the schemas in `Messages`, which callers can apply themselves when they want
 * validation).
 *
 * - `ping` events are dropped (liveness is the idle timeout's job).
 * - `event: error` fails the stream with the matching tagged error (`overloaded_error` → `ServerError` 529, …).
 * - Event types this client does not know are passed through unchanged; accumulation ignores them.
 * - A byte stream that ends before `message_stop` fails with `StreamError { reason: "truncated" }`.
 *
 * @since 0.1.0
 */
export {
  deltaText,
  finalMessage,
  MessageAccumulator,
  textDeltas,
  withAccumulator
} from "./internal/stream/accumulator.js"
export type { Pull } from "./internal/stream/pull.js"
export { decodeSse, decodeSsePull, type DecodeSseOptions, errorFromEvent } from "./internal/stream/sse.js"
