/**
 * The Promise client forks each call from a lean copy of its layer's runtime: only the fiber refs a fork would not
 * set itself, and that differ from their initial values, are kept. What a layer set (a logger, a log level, a ref of
 * its own) must still hold in every call.
 */
import { describe, expect, it } from "vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as FiberRefs from "effect/FiberRefs"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Runtime from "effect/Runtime"
import * as Scope from "effect/Scope"
import * as Exit from "effect/Exit"
import { lean } from "../src/internal/leanRuntime.js"
import * as AnthropicClient from "../src/AnthropicClient.js"
import { fromLayer } from "../src/PromiseClient.js"
import * as StandIn from "../src/testing/StandIn.js"
import { API_KEY, hello } from "./fixtures.js"

class Greeting extends Context.Tag("test/Greeting")<Greeting, string>() {}
const ownRef = FiberRef.unsafeMake(0)

/** A layer setting what a user's layer may: a service, a logger, a minimum log level and a ref of its own. */
const userLayer = (logged: Array<string>) =>
  Layer.mergeAll(
    Layer.succeed(Greeting, "hello"),
    Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => logged.push(String(message)))),
    Logger.minimumLogLevel(LogLevel.Debug),
    Layer.locallyScoped(ownRef, 42)
  )

describe("lean runtime", () => {
  it("keeps the layer's service, logger, log level and refs, and drops what a fork sets itself", async () => {
    const logged: Array<string> = []
    const scope = Effect.runSync(Scope.make())
    try {
      const runtime = lean(await Effect.runPromise(Scope.extend(Layer.toRuntime(userLayer(logged)), scope)))
      const read = Effect.gen(function*() {
        yield* Effect.logDebug("debug reaches the layer's logger")
        return { greeting: yield* Greeting, own: yield* FiberRef.get(ownRef) }
      })
      expect(await Runtime.runPromise(runtime)(read)).toEqual({ greeting: "hello", own: 42 })
      expect(logged).toEqual(["debug reaches the layer's logger"])
      const kept = [...FiberRefs.fiberRefs(runtime.fiberRefs)]
      expect(kept).toContain(ownRef)
      expect(kept).toContain(FiberRef.currentLoggers)
      expect(kept).toContain(FiberRef.currentMinimumLogLevel)
      for (const dropped of [FiberRef.currentContext, FiberRef.currentRuntimeFlags]) expect(kept).not.toContain(dropped)
      expect(kept).toHaveLength(3)
    } finally {
      await Effect.runPromise(Scope.close(scope, Exit.void))
    }
  })

  it("a Promise client over a user's layer: its calls and its run() see what the layer set", async () => {
    const standIn = await StandIn.start()
    const logged: Array<string> = []
    try {
      const stack = AnthropicClient.layerFile({ config: { providers: { anthropic: { api_key: API_KEY, base_url: standIn.url } } }, env: {} })
      const client = await fromLayer(Layer.merge(stack, userLayer(logged)))
      expect((await client.messages.create(hello)).type).toBe("message")
      expect(await client.run(Effect.zipLeft(FiberRef.get(ownRef), Effect.logDebug("from run")))).toBe(42)
      expect(logged).toContain("from run")
      await client.close()
    } finally {
      await standIn.close()
    }
  })
})
