import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { lazyImport, lazyImportAsync } from "../src/internal/lazyImport.js"

const counted = <A>(module: A, failFirst = false) => {
  const loader = {
    loads: 0,
    load: () => ++loader.loads === 1 && failFirst ? Promise.reject(new Error("no such module")) : Promise.resolve(module)
  }
  return loader
}

describe("lazyImport", () => {
  for (const [name, make] of [["lazyImport", lazyImport], ["lazyImportAsync", lazyImportAsync]] as const) {
    it.effect(`${name}: loads nothing until it runs, then once, runs racing the first load sharing it`, () =>
      Effect.gen(function*() {
        const module = { name: "the module" }
        const loader = counted(module)
        const load = make(loader.load)
        expect(loader.loads).toBe(0)
        const [a, b] = yield* Effect.all([load, load], { concurrency: "unbounded" })
        expect(a).toBe(module)
        expect(b).toBe(module)
        expect(yield* load).toBe(module)
        expect(loader.loads).toBe(1)
      }))

    it.effect(`${name}: a load that fails is a defect, and the next run tries again`, () =>
      Effect.gen(function*() {
        const loader = counted("loaded", true)
        const load = make(loader.load)
        const first = yield* Effect.exit(load)
        expect(Exit.isFailure(first) && Exit.hasDies(first)).toBe(true)
        expect(yield* load).toBe("loaded")
        expect(loader.loads).toBe(2)
      }))
  }

  it("lazyImport hands the held module out synchronously; lazyImportAsync never does", async () => {
    const held = lazyImport(() => Promise.resolve("loaded"))
    const async = lazyImportAsync(() => Promise.resolve("loaded"))
    expect(Exit.isFailure(Effect.runSyncExit(held))).toBe(true)
    expect(Exit.isFailure(Effect.runSyncExit(async))).toBe(true)
    await Effect.runPromise(Effect.all([held, async]))
    expect(Effect.runSync(held)).toBe("loaded")
    expect(Exit.isFailure(Effect.runSyncExit(async))).toBe(true)
  })

  it.effect("the HTTP stack loads behind one boundary, the same module every time", () =>
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
