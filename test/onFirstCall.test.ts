import { describe, expect, it } from "@effect/vitest"
import { onFirstCall } from "../src/internal/onFirstCall.js"

describe("onFirstCall", () => {
  it("builds nothing until the first call, then builds once and reuses it", () => {
    let builds = 0
    const double = onFirstCall(() => {
      builds++
      return (n: number) => n * 2
    })
    expect(builds).toBe(0)
    expect(double(2)).toBe(4)
    expect(double(21)).toBe(42)
    expect(builds).toBe(1)
  })

  it("a build that throws is tried again on the next call (nothing half-built is kept)", () => {
    let attempts = 0
    const f = onFirstCall(() => {
      if (++attempts === 1) throw new Error("not yet")
      return (s: string) => s.length
    })
    expect(() => f("a")).toThrow("not yet")
    expect(f("abc")).toBe(3)
    expect(attempts).toBe(2)
  })
})
