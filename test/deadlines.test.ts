import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/testing/TestClock"
import * as Deadlines from "../src/internal/http/deadlines.js"
import { sleeps } from "./helpers.js"

/** Let the watchdog fiber run what is due. */
const settle = Effect.repeat(Effect.yieldNow, { times: 10 })

describe("deadlines: one watchdog for every request", () => {
  it.effect("expires armed deadlines in order, exactly on time, and skips disarmed ones", () =>
    Effect.gen(function*() {
      const deadlines = yield* Deadlines.make(1000)
      const expired: Array<string> = []
      deadlines.arm(() => expired.push("a")) // due at 1000
      yield* TestClock.adjust("300 millis")
      const b = deadlines.arm(() => expired.push("b")) // due at 1300
      yield* TestClock.adjust("300 millis")
      deadlines.arm(() => expired.push("c")) // due at 1600
      b.disarm()
      yield* TestClock.adjust("399 millis")
      yield* settle
      expect(expired).toEqual([])
      yield* TestClock.adjust("1 millis")
      yield* settle
      expect(expired).toEqual(["a"])
      yield* TestClock.adjust("599 millis")
      yield* settle
      expect(expired).toEqual(["a"])
      yield* TestClock.adjust("1 millis")
      yield* settle
      expect(expired).toEqual(["a", "c"])
    }))

  it.effect("parks with no timer when nothing is armed, and wakes for the next deadline", () =>
    Effect.gen(function*() {
      const deadlines = yield* Deadlines.make(1000)
      yield* settle
      expect(yield* sleeps).toEqual([])
      let fired = 0
      deadlines.arm(() => fired++)
      yield* settle
      expect(yield* sleeps).toEqual([1000])
      yield* TestClock.adjust("1 second")
      yield* settle
      expect(fired).toBe(1)
      expect(yield* sleeps).toEqual([])
    }))

  it.effect("thousands of short-lived requests leave nothing behind", () =>
    Effect.gen(function*() {
      const deadlines = yield* Deadlines.make(1000)
      let fired = 0
      for (let i = 0; i < 5000; i++) deadlines.arm(() => fired++).disarm()
      yield* TestClock.adjust("2 seconds")
      yield* settle
      expect(fired).toBe(0)
      expect(yield* sleeps).toEqual([])
    }))
})
