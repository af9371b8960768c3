/**
 * A module loaded the first time an effect needs it, then held.
 *
 * What a program may never use stays out of the import: Effect's HTTP modules until a client is built (a sixth of a
 * cold import of the root on Node), `yaml` until a file is parsed, `effect/Config` until a `Config` is read, the Redis
 * store until a Redis limit is set. Later uses take the held module without going through the loader again.
 */
import * as Effect from "effect/Effect"

export const lazyImport = <A>(load: () => Promise<A>): Effect.Effect<A> => {
  let loaded: A | undefined
  const first = Effect.map(Effect.promise(load), (module) => (loaded = module))
  return Effect.suspend(() => loaded === undefined ? first : Effect.succeed(loaded))
}
