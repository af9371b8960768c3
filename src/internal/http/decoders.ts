/**
 * The two ready-made decoders of a streamed body that resources hand to the HTTP layer: kept apart from the reading
 * of a stream (`streamBody`), which is loaded with the HTTP stack.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { StreamError } from "../errors.js"
import type { Decode, PullDecode } from "./types.js"

/**
 * @since 0.2.0
 * @category constructors
 */
export const pullDecode = <A>(decode: PullDecode<A>["decode"]): PullDecode<A> => ({ _tag: "PullDecode", decode })

/**
 * A body's bytes as they arrive, with the watchdog's hooks called around each read and a failure of the connection
 * (or the watchdog's abort) as the reader's `StreamError`: the {@link Decode} of a download.
 *
 * @since 0.2.0
 * @category utils
 */
export const watchedBytes: Decode<Uint8Array> = (body, reader) =>
  // `transformPull` hands over the body's own pull (`Stream.toPull` would wrap each read in a semaphore).
  Stream.transformPull(body, (pull) =>
    Effect.succeed(Effect.suspend(() => {
      reader.onWaiting()
      return Effect.matchEffect(pull, {
        onFailure: (error): Effect.Effect<never, StreamError | Cause.Done> =>
          Cause.isDone(error) ? Cause.done() : Effect.fail(reader.broken(Cause.fail(error))),
        onSuccess: (chunk) => {
          reader.onBytes()
          return Effect.succeed(chunk)
        }
      })
    })))
