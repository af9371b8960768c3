/**
 * (The public `Files` module re-exports its types.)
 * The progress of an upload or a download: bytes so far, of how many when that is known. A transfer counts its
 * bytes only when it was given an `onProgress`: without one, nothing is added to the path of its chunks.
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { CallOptions } from "../http/types.js"
import type { Pull } from "../stream/pull.js"

/**
 * How far an upload or a download has come.
 *
 * @since 0.2.0
 * @category models
 */
export interface TransferProgress {
  /** The file's bytes sent (an upload: taken by the connection) or received (a download) so far. */
  readonly bytes: number
  /**
   * The file's size, when known: an upload's path or bytes, or a stream given `size`; a download's `content-length`
   * (when the answer is not content-encoded).
   */
  readonly total: number | undefined
}

/**
 * The options of an upload or a download: a call's options and `onProgress`.
 *
 * @since 0.2.0
 * @category models
 */
export interface TransferOptions extends CallOptions {
  /**
   * Called after each chunk of the file's bytes with the bytes so far (an upload's multipart framing not counted).
   * A retried upload sends the file again from its start, and counts again from 0. It runs in the fiber that moves
   * the bytes, between two chunks: keep it short (a CLI redraws at most a few times a second), and let it not fail
   * (its defect fails the transfer).
   *
   * @since 0.2.0
   */
  readonly onProgress?: ((progress: TransferProgress) => Effect.Effect<void>) | undefined
}

/** The total of the bytes in a chunk of byte arrays. */
const sizeOf = (chunk: Iterable<Uint8Array>): number => {
  let size = 0
  for (const bytes of chunk) size += bytes.length
  return size
}

/** The size of a body an answer announces: its `content-length`, unless the body is encoded (then it is not the file's). */
export const announcedSize = (headers: Readonly<Record<string, string>>): number | undefined => {
  const length = headers["content-length"]
  if (length === undefined || headers["content-encoding"] !== undefined) return undefined
  const size = Number(length)
  return Number.isSafeInteger(size) && size >= 0 ? size : undefined
}

/** A progress counter: each chunk's bytes added, then reported. */
const counter = (total: number | undefined, onProgress: (progress: TransferProgress) => Effect.Effect<void>) => {
  let bytes = 0
  return (chunk: Iterable<Uint8Array>): Effect.Effect<void> => {
    bytes += sizeOf(chunk)
    return onProgress({ bytes, total })
  }
}

/** `stream` reporting the bytes received after each of its chunks. */
export const countedStream = <E>(
  stream: Stream.Stream<Uint8Array, E>,
  total: number | undefined,
  onProgress: (progress: TransferProgress) => Effect.Effect<void>
): Stream.Stream<Uint8Array, E> =>
  Stream.suspend(() => {
    const count = counter(total, onProgress)
    return Stream.mapArrayEffect(stream, (chunk) => Effect.as(count(chunk), chunk))
  })

/** `pull` reporting the bytes received after each of its chunks. */
export const countedPull = <E>(
  pull: Pull<Uint8Array, E>,
  total: number | undefined,
  onProgress: (progress: TransferProgress) => Effect.Effect<void>
): Pull<Uint8Array, E> => {
  const count = counter(total, onProgress)
  return Effect.tap(pull, count)
}
