/**
 * The shape every pull-based reader shares: a stream's next chunk, failing with `Cause.Done` at the end.
 */
import type * as Arr from "effect/Array"
import type * as EffectPull from "effect/Pull"

/**
 * A stream's pull, as `Stream.toPull` gives it: its next chunk (never empty), failing with `Cause.Done` at the end.
 *
 * Chunks are non-empty arrays and the end is `Cause.Done`.
 *
 * @since 0.2.0
 * @category models
 */
export type Pull<A, E, R = never> = EffectPull.Pull<Arr.NonEmptyReadonlyArray<A>, E, void, R>
