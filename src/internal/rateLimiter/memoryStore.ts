/**
 * The budget kept in this process: `@effect/experimental`'s `RateLimiter` over its memory store (the same token
 * buckets its Redis store keeps), the per-second slots and the 429 pause as times on Effect's clock.
 */
import * as ExperimentalRateLimiter from "@effect/experimental/RateLimiter"
import * as Effect from "effect/Effect"
import type { Store } from "./redisStore.js"

export const make: Effect.Effect<Omit<Store, "location"> & { readonly location: string }> = Effect.gen(function*() {
  const limiter = yield* ExperimentalRateLimiter.make.pipe(Effect.provide(ExperimentalRateLimiter.layerStoreMemory))
  const clock = yield* Effect.clock
  let pausedUntil = 0
  const nextFree = new Map<string, number>()
  return {
    location: "memory (this process)",
    consume: ({ key, limit, tokens, windowMs }) =>
      // The memory store cannot fail.
      Effect.orDie(limiter.consume({ key, limit, window: windowMs, tokens, algorithm: "token-bucket", onExceeded: "delay" })),
    nextSlot: (key, intervalMs) =>
      Effect.sync(() => {
        const now = clock.unsafeCurrentTimeMillis()
        const next = Math.max(nextFree.get(key) ?? 0, now)
        nextFree.set(key, next + intervalMs)
        return next - now
      }),
    pauseLeft: Effect.sync(() => Math.max(0, pausedUntil - clock.unsafeCurrentTimeMillis())),
    pauseFor: (ms) =>
      Effect.sync(() => {
        pausedUntil = Math.max(pausedUntil, clock.unsafeCurrentTimeMillis() + ms)
      })
  }
})
