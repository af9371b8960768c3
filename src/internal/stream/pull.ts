/**
 * The shape every pull-based reader shares: a stream's next chunk, failing with `None` at the end.
 */
import type * as Chunk from "effect/Chunk"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"

/**
 * A stream's pull, as `Stream.toPull` gives it: its next chunk, failing with `None` at the end.
 *
 * @since 0.2.0
 * @category models
 */
export type Pull<A, E, R = never> = Effect.Effect<Chunk.Chunk<A>, Option.Option<E>, R>
