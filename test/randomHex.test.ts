import { describe, expect, it } from "@effect/vitest"
import { randomHex } from "../src/internal/randomHex.js"

describe("randomHex (Web Crypto, no node:crypto)", () => {
  it("gives two lowercase hex digits a byte, every byte value reachable", () => {
    const seen = new Set<string>()
    for (let i = 0; i < 2000; i++) {
      const hex = randomHex(6)
      expect(hex).toMatch(/^[0-9a-f]{12}$/)
      for (let j = 0; j < hex.length; j += 2) seen.add(hex.slice(j, j + 2))
    }
    // 12,000 bytes drawn: every one of the 256 values appears unless the source is broken.
    expect(seen.size).toBe(256)
  })

  it("does not repeat", () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => randomHex(16)))
    expect(ids.size).toBe(10_000)
  })
})
