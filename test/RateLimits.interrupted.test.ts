/**
 * A stream's reservation is settled once even when its attempt is interrupted after the first event arrived but
 * before the attempt returned. Through another HttpClient than UndiciHttpClient the exchange is bounded by
 * `Effect.timeoutOrElse`, which runs it in a fiber of its own (raced with a sleep): here the caller is interrupted
 * between that fiber's success and the caller's resumption. The attempt then gives the reservation back, and the
 * request's scope, closing, must not settle it a second time.
 *
 * Effect 4 resumes a race's caller synchronously when the winner completes (Effect 3 resumed it later, which left
 * the tick the interrupt was queued in), and its race fibers are no children of the caller: the tick is made by a
 * `Scheduler` of the caller's that, once armed, makes the caller yield at its resumption and interrupts it there.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as HttpClient from "effect/http/HttpClient"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Layer from "effect/Layer"
import * as Scheduler from "effect/Scheduler"
import * as Stream from "effect/Stream"
import * as StandIn from "../src/testing/StandIn.js"
import { hello, stackOn } from "./fixtures.js"
import { realPause } from "./helpers.js"

const layerUndici = NodeHttpClient.layerUndici

/**
 * When `target` is set, the first bytes of the next body arm the hook: the next time `target` is resumed, it is
 * interrupted before it runs a step. `exchange` is the fiber the last request was sent in; `reached` says whether it
 * had completed with success when the interrupt came (the case this file is about).
 */
const hook: {
  target: Fiber.Fiber<unknown, unknown> | undefined
  armed: boolean
  exchange: Fiber.Fiber<unknown, unknown> | undefined
  reached: boolean | undefined
} = { target: undefined, armed: false, exchange: undefined, reached: undefined }

const withHook = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(HttpClient.HttpClient, (client) =>
    HttpClient.transformResponse(client, (response) =>
      Effect.map(response, (res): HttpClientResponse.HttpClientResponse => {
        // The answer's head is read in the fiber the attempt's exchange runs in.
        hook.exchange = Fiber.getCurrent()
        const wrapped = Object.create(res) as HttpClientResponse.HttpClientResponse
        Object.defineProperty(wrapped, "stream", {
          get: () =>
            Stream.tap(res.stream, () =>
              Effect.sync(() => {
                if (hook.target !== undefined) hook.armed = true
              }))
        })
        return wrapped
      })))
).pipe(Layer.provide(layerUndici))

/** The default scheduler, but the armed hook's target yields at its next step and is interrupted there. */
const interrupting: Scheduler.Scheduler = (() => {
  const base = new Scheduler.MixedScheduler()
  return {
    executionMode: base.executionMode,
    makeDispatcher: () => base.makeDispatcher(),
    shouldYield: (fiber) => {
      if (!hook.armed || fiber !== hook.target) return base.shouldYield(fiber)
      hook.armed = false
      hook.target = undefined
      const exchange = hook.exchange?.pollUnsafe()
      hook.reached = exchange !== undefined && Exit.isSuccess(exchange)
      // Running: the interrupt is taken at once, in place of the step the fiber yields before.
      fiber.interruptUnsafe()
      return true
    }
  }
})()

/** How many 500-token streams start without waiting for the output budget (at most 4). */
const immediateHolds = (client: { streamWithResponse: (p: typeof hello) => Effect.Effect<unknown, unknown, any> }) =>
  Effect.gen(function*() {
    let immediate = 0
    for (let i = 0; i < 4; i++) {
      const f = yield* Effect.forkChild(client.streamWithResponse({ ...hello, max_tokens: 500 }))
      yield* realPause(150)
      const done = f.pollUnsafe()
      if (done === undefined) {
        yield* Fiber.interrupt(f)
        break
      }
      if (!Exit.isSuccess(done)) break
      immediate++
    }
    return immediate
  })

describe("a stream interrupted between its first event and the end of its attempt", () => {
  it.effect("is settled once: the output budget is not given back twice", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      const client = yield* stackOn(withHook, {
        base_url: standIn.url,
        rate_limit: { output_tokens_per_minute: 1500, adaptive: false },
        stream_idle_timeout_ms: 600_000
      })
      // B holds 500 for the whole test.
      yield* client.streamWithResponse({ ...hello, max_tokens: 500 })
      // A reserves 900 (100 left), and is interrupted as its exchange completes, once its first bytes arrived.
      const a = yield* Effect.forkChild(
        Effect.provideService(
          Effect.scoped(Effect.andThen(client.streamWithResponse({ ...hello, max_tokens: 900 }), Effect.never)),
          Scheduler.Scheduler,
          interrupting
        )
      )
      hook.target = a
      const exit = yield* Fiber.await(a)
      expect(Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)).toBe(true)
      // The interrupt came after the exchange had succeeded, before the attempt returned.
      expect(hook.reached).toBe(true)
      // A gave its 900 back once (all of it, or all but the few it used): 1000 free, at most two 500s go at once.
      // Given back twice, the bucket is full again (B's 500 forgotten): three go at once.
      const n = yield* immediateHolds(client)
      expect(n).toBeLessThanOrEqual(2)
    }))
})
