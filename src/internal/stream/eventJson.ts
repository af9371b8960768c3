/**
 * `JSON.parse` of an SSE event's data, with a fast path for the event nearly every stream is made of: a
 * `content_block_delta` in the exact compact form the API writes,
 * `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"…"}}`.
 * Only the delta's string is parsed (with `JSON.parse`, so escapes, and errors, are the parser's own); the objects
 * are built here, with the same fields in the same order. Anything else, including any other spacing, goes to
 * `JSON.parse` whole. Measured on 400k text deltas: 158 → 107 ms (the whole stream's floor is ~270 ms).
 */

const PREFIX = "{\"type\":\"content_block_delta\",\"index\":"
const DELTA = ",\"delta\":{\"type\":\""
const END = "}}"

/** The delta kinds of the fast path: the rest of their opening after `"type":"`, and their string field. */
const KINDS = [
  { type: "text_delta", opening: "text_delta\",\"text\":", field: "text" },
  { type: "input_json_delta", opening: "input_json_delta\",\"partial_json\":", field: "partial_json" },
  { type: "thinking_delta", opening: "thinking_delta\",\"thinking\":", field: "thinking" }
] as const

const ZERO = 48
const NINE = 57
/** Longer indexes are left to `JSON.parse`: nine digits are exact in a double and far beyond any real index. */
const MAX_DIGITS = 9

export const parseEventData = (data: string): unknown => {
  if (data.startsWith(PREFIX) && data.endsWith(END)) {
    const start = PREFIX.length
    let at = start
    let index = 0
    for (let c = data.charCodeAt(at); c >= ZERO && c <= NINE && at - start < MAX_DIGITS; c = data.charCodeAt(++at)) {
      index = index * 10 + (c - ZERO)
    }
    // JSON allows no leading zero ("01"): such an index, like any other surprise, is JSON.parse's to judge.
    const digits = at - start
    if (digits > 0 && (digits === 1 || data.charCodeAt(start) !== ZERO) && data.startsWith(DELTA, at)) {
      at += DELTA.length
      for (const kind of KINDS) {
        if (!data.startsWith(kind.opening, at)) continue
        const text = parseString(data.slice(at + kind.opening.length, data.length - END.length))
        if (text === undefined) break
        const delta = kind.field === "text"
          ? { type: kind.type, text }
          : kind.field === "partial_json"
          ? { type: kind.type, partial_json: text }
          : { type: kind.type, thinking: text }
        return { type: "content_block_delta", index, delta }
      }
    }
  }
  return JSON.parse(data)
}

/** The string a JSON text stands for, or `undefined` when it is not exactly one string. */
const parseString = (json: string): string | undefined => {
  try {
    const value: unknown = JSON.parse(json)
    return typeof value === "string" ? value : undefined
  } catch {
    return undefined
  }
}
