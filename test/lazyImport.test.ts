import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { lazyImport } from "../src/internal/lazyImport.js"

describe("lazyImport", () => {
  it.effect("loads nothing until it runs, then loads once and hands out the same module", () =>
    Effect.gen(function*() {
      let loads = 0
      const module = { name: "the module" }
      const load = lazyImport(() => {
        loads++
        return Promise.resolve(module)
      })
      expect(loads).toBe(0)
      const [a, b] = yield* Effect.all([load, load], { concurrency: "unbounded" })
      const c = yield* load
      expect(a).toBe(module)
      expect(b).toBe(module)
      expect(c).toBe(module)
      // Two runs racing before the first load settled may both ask the loader (as `import()` itself is idempotent);
      // once it has settled, no run asks again.
      expect(loads).toBeLessThanOrEqual(2)
      const settled = loads
      yield* load
      expect(loads).toBe(settled)
    }))

  it.effect("a load that fails is a defect, and the next run tries again", () =>
    Effect.gen(function*() {
      let loads = 0
      const load = lazyImport(() => ++loads === 1 ? Promise.reject(new Error("no such module")) : Promise.resolve("loaded"))
      const first = yield* Effect.exit(load)
      expect(Exit.isFailure(first) && Exit.hasDies(first)).toBe(true)
      expect(yield* load).toBe("loaded")
      expect(loads).toBe(2)
    }))

  it.effect("loads this library's HTTP stack: the modules behind the lazy boundary are there", () =>
    Effect.gen(function*() {
      const { loadStack } = yield* Effect.promise(() => import("../src/internal/http/loadStack.js"))
      const stack = yield* loadStack
      expect(Object.keys(stack).sort()).toEqual(["Bodies", "Client", "Fetch", "Retry", "TokenEndpoint", "Undici"])
      expect(typeof stack.Client.make).toBe("function")
      expect(typeof stack.Undici.layerWith).toBe("function")
      expect(typeof stack.Fetch.layerWith).toBe("function")
      expect(yield* loadStack).toBe(stack)
    }))
})
