/**
 * A module loaded the first time an effect needs it, then held.
 *
 * What a program may never use stays out of the import: Effect's HTTP modules until a client is built (a sixth of a
 * cold import of the root on Node), `yaml` until a file is parsed, `effect/Config` until a `Config` is read, the Redis
 * store until a Redis limit is set. Runs racing the first load share it; a load that fails is a defect, and the next
 * run tries again.
 */
import * as Effect from "effect/Effect"

/**
 * The module, always by an asynchronous step: for what builds a resource (a client layer), which must not run
 * synchronously only when something else in the process happened to load the module first.
 */
export const lazyImportAsync = <A>(load: () => Promise<A>): Effect.Effect<A> => {
  let loading: Promise<A> | undefined
  return Effect.promise(() =>
    loading ??= load().catch((error: unknown) => {
      loading = undefined
      throw error
    })
  )
}

/**
 * The module, handed out synchronously once held: for functions of their input (`AnthropicConfig.fromYaml`), which
 * run synchronously after the first.
 */
export const lazyImport = <A>(load: () => Promise<A>): Effect.Effect<A> => {
  let loaded: A | undefined
  const first = Effect.map(lazyImportAsync(load), (module) => (loaded = module))
  return Effect.suspend(() => loaded === undefined ? first : Effect.succeed(loaded))
}
