import { describe, expect, it } from "@effect/vitest"
import { interpolate, InterpolationError, MAX_NESTING } from "../src/internal/config/interpolate.js"

const env = { HOME: "/home/ada", EMPTY: "", KEY: "sk-ant-api03-abc" }

describe("interpolate", () => {
  it("leaves plain strings alone", () => {
    expect(interpolate("https://api.anthropic.com", env)).toBe("https://api.anthropic.com")
  })
  it("substitutes ${VAR} and $VAR", () => {
    expect(interpolate("${HOME}/.claude", env)).toBe("/home/ada/.claude")
    expect(interpolate("$HOME/.claude", env)).toBe("/home/ada/.claude")
  })
  it("uses the default of ${VAR:-default} when unset or empty", () => {
    expect(interpolate("${MISSING:-fallback}", env)).toBe("fallback")
    expect(interpolate("${EMPTY:-fallback}", env)).toBe("fallback")
    expect(interpolate("${KEY:-fallback}", env)).toBe("sk-ant-api03-abc")
    expect(interpolate("${MISSING:-}", env)).toBe("")
  })
  it("uses the default of ${VAR-default} only when unset", () => {
    expect(interpolate("${EMPTY-fallback}", env)).toBe("")
    expect(interpolate("${MISSING-fallback}", env)).toBe("fallback")
  })
  it("nests defaults", () => {
    expect(interpolate("${CLAUDE_CONFIG_DIR:-${HOME}/.claude}/.credentials.json", env)).toBe(
      "/home/ada/.claude/.credentials.json"
    )
    expect(interpolate("${CLAUDE_CONFIG_DIR:-$HOME/.claude}", env)).toBe("/home/ada/.claude")
  })
  it("keeps $$ as a literal $ and a lone $", () => {
    expect(interpolate("cost $$5 and $ 3", env)).toBe("cost $5 and $ 3")
  })
  it("names the variable when ${VAR} is unset", () => {
    const r = interpolate("${NOPE}", env)
    expect(r).toBeInstanceOf(InterpolationError)
    expect((r as InterpolationError).problem).toContain("NOPE is not set")
    expect((r as InterpolationError).fix).toContain("${NOPE:-default}")
  })
  it("refuses an unclosed or malformed expression", () => {
    expect(interpolate("${HOME", env)).toBeInstanceOf(InterpolationError)
    expect(interpolate("${1X}", env)).toBeInstanceOf(InterpolationError)
    expect(interpolate("${HOME:?x}", env)).toBeInstanceOf(InterpolationError)
  })
  it("never quotes the text it refuses: a default is where keys get pasted", () => {
    const secret = "sk-ant-api03-Zq7TOPSECRETvX9k"
    const refused = [`\${KEY:-${secret}`, `\${X:?${secret}}`, `\${X:+${secret}}`, `\${X ${secret}}`, `\${-${secret}}`]
    for (const input of refused) {
      const error = interpolate(input, env)
      expect(error).toBeInstanceOf(InterpolationError)
      const { fix, problem } = error as InterpolationError
      expect(`${problem} ${fix}`).not.toContain("TOPSECRET")
    }
    expect((interpolate("${X:?boom}", env) as InterpolationError).problem).toBe("unsupported operator ${X:?…}")
    expect((interpolate("${X boom}", env) as InterpolationError).problem).toBe("unsupported expression after ${X")
    expect((interpolate("ab${X:-boom", env) as InterpolationError).problem).toBe(
      "\"${\" at character 3 of this 11-character value is never closed"
    )
  })
  it(`nests defaults at most ${MAX_NESTING} levels deep, without recursing further`, () => {
    const nested = (depth: number) => "${UNSET:-".repeat(depth) + "end" + "}".repeat(depth)
    expect(interpolate(nested(MAX_NESTING), env)).toBe("end")
    for (const depth of [MAX_NESTING + 1, 5_000, 100_000]) {
      const error = interpolate(nested(depth), env)
      expect(error).toBeInstanceOf(InterpolationError)
      expect((error as InterpolationError).problem).toContain(`more than ${MAX_NESTING} levels deep`)
    }
  })
})
