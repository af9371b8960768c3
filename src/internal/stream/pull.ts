/**
 * The shape every pull-based reader shares: a stream's next chunk, failing with `Cause.Done` at the end.
 */
import type * as Arr from "effect/Array"
import type * as EffectPull from "effect/Pull"

/**
 * A stream's pull, as `Stream.toPull` gives it: its next chunk (never empty), failing with `Cause.Done` at the end.
 *
 * Effect 4: chunks are non-empty arrays and the end is `Cause.Done`, where Effect 3 had a `Chunk` and `Option.none()`.
 *
 * @since 0.2.0
 * @category models
 */
export type Pull<A, E, R = never> = EffectPull.Pull<Arr.NonEmptyReadonlyArray<A>, E, void, R>
