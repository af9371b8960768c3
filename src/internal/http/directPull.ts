/**
 * Answers this library's own clients make (undici's, the `fetch` one) are pulled directly, without a `Stream` (and its
 * channel executor) in between, and closing the scope their body is read in aborts the request. An answer of any
 * other client is read through its `stream`.
 */
import type * as Arr from "effect/Array"
import * as Channel from "effect/Channel"
import type * as Effect from "effect/Effect"
import type * as HttpClientError from "effect/http/HttpClientError"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import type * as EffectPull from "effect/Pull"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

/**
 * A body's pull: its next chunks of bytes, failing with `Cause.Done` at the end.
 *
 * A chunk is a non-empty array and the end is `Cause.Done`, as `Stream.toPull` gives them.
 *
 * @since 0.2.0
 * @category models
 */
export type Pull = EffectPull.Pull<Arr.NonEmptyReadonlyArray<Uint8Array>, HttpClientError.HttpClientError>

/** The key of a response's direct pull. */
export const PullKey: unique symbol = Symbol.for("effect-anthropic/http/DirectPull")

/** A response whose body can be pulled directly; closing the pull's scope aborts the request. */
export interface DirectPull {
  readonly [PullKey]: Effect.Effect<Pull, never, Scope.Scope>
}

const isDirect = (response: HttpClientResponse.HttpClientResponse): response is HttpClientResponse.HttpClientResponse & DirectPull =>
  PullKey in response

/**
 * An answer's body as a pull in the scope, like `Stream.toPull(response.stream)`. An answer of this library's clients
 * is pulled directly; any other answer through its `stream`.
 *
 * @since 0.2.0
 * @category utils
 */
export const toPull = (response: HttpClientResponse.HttpClientResponse): Effect.Effect<Pull, never, Scope.Scope> =>
  isDirect(response) ? response[PullKey] : Stream.toPull(response.stream)

/**
 * Whether closing the scope a body is read in ends a read in progress (it aborts the request): true of this
 * library's clients' answers. Another client's read may wait on, whatever its scope: interrupt it to end it.
 *
 * @since 0.2.0
 * @category utils
 */
export const readEndsWithScope = (response: HttpClientResponse.HttpClientResponse): boolean => isDirect(response)

/**
 * A body's stream over its pull, made in the stream's own scope (`Stream.fromPull` leaves the `Scope` to
 * the caller).
 */
export const streamOf = (pull: Effect.Effect<Pull, never, Scope.Scope>): Stream.Stream<Uint8Array, HttpClientError.HttpClientError> =>
  Stream.fromChannel(Channel.fromTransform((_, scope) => Scope.provide(pull, scope)))
