/**
 * A stream's reservation is settled once even when its attempt is interrupted after the first event arrived but
 * before the attempt returned. Through another HttpClient than UndiciHttpClient the exchange is bounded by
 * `Effect.timeoutFail`, which runs it in a child fiber: here the caller is interrupted in the tick between the
 * child's success and the caller's resumption. The attempt then gives the reservation back, and the request's scope,
 * closing, must not settle it a second time.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as StandIn from "../src/testing/StandIn.js"
import { hello, stackOn } from "./fixtures.js"
import { realPause } from "./helpers.js"

/** When armed, the first bytes of the next body interrupt `target` (the interrupt is only queued: it runs later). */
const hook: { target: Fiber.RuntimeFiber<unknown, unknown> | undefined } = { target: undefined }
const withHook = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(HttpClient.HttpClient, (client) =>
    HttpClient.transformResponse(client, (response) =>
      Effect.map(response, (res): HttpClientResponse.HttpClientResponse => {
        const wrapped = Object.create(res) as HttpClientResponse.HttpClientResponse
        Object.defineProperty(wrapped, "stream", {
          get: () =>
            Stream.tap(res.stream, () =>
              Effect.sync(() => {
                const target = hook.target
                hook.target = undefined
                // The attempt's exchange runs in a child of the caller (Effect.timeoutFail races it with a sleep): the
                // caller is interrupted the moment that child completes, i.e. once the first event was read and the
                // attempt's read returned, before the caller resumes.
                if (target !== undefined) {
                  for (const child of (target as unknown as { getChildren: () => Set<Fiber.RuntimeFiber<unknown, unknown>> }).getChildren()) {
                    child.addObserver(() => target.unsafeInterruptAsFork(target.id()))
                  }
                }
              }))
        })
        return wrapped
      })))
).pipe(Layer.provide(NodeHttpClient.layerUndici))

/** How many 500-token streams start without waiting for the output budget (at most 4). */
const immediateHolds = (client: { streamWithResponse: (p: typeof hello) => Effect.Effect<unknown, unknown, any> }) =>
  Effect.gen(function*() {
    let immediate = 0
    for (let i = 0; i < 4; i++) {
      const f = yield* Effect.fork(client.streamWithResponse({ ...hello, max_tokens: 500 }))
      yield* realPause(150)
      const done = yield* Fiber.poll(f)
      if (Option.isNone(done)) {
        yield* Fiber.interrupt(f)
        break
      }
      if (!Exit.isSuccess(done.value)) break
      immediate++
    }
    return immediate
  })

describe("a stream interrupted between its first event and the end of its attempt", () => {
  it.scoped("is settled once: the output budget is not given back twice", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      const client = yield* stackOn(withHook, {
        base_url: standIn.url,
        rate_limit: { output_tokens_per_minute: 1500, adaptive: false },
        stream_idle_timeout_ms: 600_000
      })
      // B holds 500 for the whole test.
      yield* client.streamWithResponse({ ...hello, max_tokens: 500 })
      // A reserves 900 (100 left), and is interrupted as its first bytes arrive.
      const a = yield* Effect.fork(Effect.scoped(Effect.zipRight(client.streamWithResponse({ ...hello, max_tokens: 900 }), Effect.never)))
      hook.target = a
      const exit = yield* Fiber.await(a)
      expect(Exit.isInterrupted(exit)).toBe(true)
      // A gave its 900 back once (all of it, or all but the few it used): 1000 free, at most two 500s go at once.
      // Given back twice, the bucket is full again (B's 500 forgotten): three go at once.
      const n = yield* immediateHolds(client)
      expect(n).toBeLessThanOrEqual(2)
    }))
})
