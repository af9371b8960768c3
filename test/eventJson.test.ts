/**
 * The decoder's fast path for `content_block_delta` data (`internal/eventJson.ts`) must be `JSON.parse` exactly:
 * the same value with its fields in the same order, or the same refusal, for any input, near misses included.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { parseEventData } from "../src/internal/stream/eventJson.js"

/** What a parse gives: the value with its key order (JSON.stringify keeps it), or that it threw. */
const outcome = (parse: (data: string) => unknown, data: string) => {
  try {
    const value = parse(data)
    return { ok: true, value, order: JSON.stringify(value) }
  } catch (error) {
    return { ok: false, error: (error as Error).name }
  }
}
const expectSameAsJsonParse = (data: string) => expect(outcome(parseEventData, data)).toEqual(outcome(JSON.parse, data))

const kinds = [["text_delta", "text"], ["input_json_delta", "partial_json"], ["thinking_delta", "thinking"]] as const
const delta = fc.record({
  kind: fc.constantFrom(...kinds),
  index: fc.oneof(fc.nat(20), fc.nat(), fc.constant(2 ** 53)),
  text: fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.string({ unit: fc.constantFrom("\"", "\\", "\n", "\u0000", "\ud800", "}", "a") }))
})
const compact = ({ index, kind: [type, field], text }: { index: number; kind: typeof kinds[number]; text: string }) =>
  JSON.stringify({ type: "content_block_delta", index, delta: { type, [field]: text } })

describe("parseEventData", () => {
  it("gives what JSON.parse gives for every delta in the API's compact form", () =>
    fc.assert(fc.property(delta, (d) => {
      const data = compact(d)
      expectSameAsJsonParse(data)
      expect(parseEventData(data)).toEqual(JSON.parse(data))
    }), { numRuns: 2000 }))

  it("gives what JSON.parse gives (or throws as it does) for near misses: a character inserted, removed or replaced", () =>
    fc.assert(fc.property(delta, fc.nat(), fc.constantFrom("insert", "remove", "replace"), fc.constantFrom(..." {}[]\",:0123456789-.eE\\ntu\u0000"), (d, at, how, c) => {
      const data = compact(d)
      const i = at % (data.length + 1)
      const changed = how === "insert"
        ? data.slice(0, i) + c + data.slice(i)
        : how === "remove" ? data.slice(0, i) + data.slice(i + 1) : data.slice(0, i) + c + data.slice(i + 1)
      expectSameAsJsonParse(changed)
    }), { numRuns: 5000 }))

  it.each([
    ["a leading zero", "{\"type\":\"content_block_delta\",\"index\":01,\"delta\":{\"type\":\"text_delta\",\"text\":\"a\"}}"],
    ["a negative index", "{\"type\":\"content_block_delta\",\"index\":-1,\"delta\":{\"type\":\"text_delta\",\"text\":\"a\"}}"],
    ["an index of ten digits", "{\"type\":\"content_block_delta\",\"index\":1234567890,\"delta\":{\"type\":\"text_delta\",\"text\":\"a\"}}"],
    ["a fractional index", "{\"type\":\"content_block_delta\",\"index\":1.5,\"delta\":{\"type\":\"text_delta\",\"text\":\"a\"}}"],
    ["a field after the text", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"a\"},\"x\":{}}"],
    ["a text that is not a string", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":7}}"],
    ["a text that closes early", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"a\"},\"b\":\"}}"],
    ["spaces", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\": \"a\" }}"],
    ["a raw control character", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"a\u0001\"}}"],
    ["an unknown delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"citations_delta\",\"citation\":\"a\"}}"],
    ["a truncated event", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"a}}"]
  ])("%s: the same as JSON.parse", (_, data) => expectSameAsJsonParse(data))

  it("other events are JSON.parse's", () => {
    for (const data of ["{\"type\":\"message_stop\"}", "{\"type\":\"ping\"}", "[1]", "null", "{", ""]) expectSameAsJsonParse(data)
  })
})
