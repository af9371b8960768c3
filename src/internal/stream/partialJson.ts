/**
 * JSON cut off at its end, parsed as far as it goes: a tool input when `max_tokens` stopped the model mid-call.
 *
 * The rules are those of the official SDK's vendored partial-json-parser, so that a cut tool input reads the same in
 * both (a property test holds them to it). Not the `partial-json` package: it keeps a string cut mid-way, so inputs
 * would differ from the SDK's, and it assigns keys with `obj[key] =` (a `"__proto__"` key sets a prototype).
 */

const isWhitespace = (char: string | undefined) => char === " " || char === "\t" || char === "\n" || char === "\r"
const LITERALS = ["true", "false", "null"]
const JSON_NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$/

/**
 * Token kinds: brackets, `:`, `,`, `"` (a whole string), `v` (a whole number or literal), `?` (a number that may go
 * on, or one cut short like `1.`).
 */
interface Tokens {
  readonly kinds: Array<string>
  /** Where each token ends in the text. */
  readonly ends: Array<number>
  /** The brackets still open at the end, outermost first. */
  readonly open: Array<string>
}

/** The index of the quote that closes a string whose text starts at `from` (after an even run of backslashes), or -1. */
const closingQuote = (text: string, from: number): number => {
  for (let end = text.indexOf("\"", from); end !== -1; end = text.indexOf("\"", end + 1)) {
    let backslashes = 0
    while (end - backslashes - 1 >= from && text[end - backslashes - 1] === "\\") backslashes++
    if (backslashes % 2 === 0) return end
  }
  return -1
}

const continuesNumber = (text: string, at: number): boolean => {
  const char = text[at]!
  return /[0-9.eE]/.test(char) || ((char === "+" || char === "-") && /[eE]/.test(text[at - 1]!))
}

/** The tokens of JSON text that may be cut off at its end; `undefined` when the text is anything else. */
const tokenize = (text: string): Tokens | undefined => {
  const tokens: Tokens = { kinds: [], ends: [], open: [] }
  const token = (kind: string, end: number) => {
    tokens.kinds.push(kind)
    tokens.ends.push(end)
    return end
  }
  let at = 0
  while (at < text.length) {
    const char = text[at]!
    if (isWhitespace(char)) {
      at++
    } else if (char === "{" || char === "[") {
      tokens.open.push(char)
      at = token(char, at + 1)
    } else if (char === "}" || char === "]") {
      if (tokens.open.pop() !== (char === "}" ? "{" : "[")) return undefined
      at = token(char, at + 1)
    } else if (char === ":" || char === ",") {
      at = token(char, at + 1)
    } else if (char === "\"") {
      const end = closingQuote(text, at + 1)
      if (end === -1) break // a string cut off is dropped
      at = token("\"", end + 1)
    } else if (/[0-9.-]/.test(char)) {
      let end = at + 1
      while (end < text.length && continuesNumber(text, end)) end++
      at = token(end === text.length || !JSON_NUMBER.test(text.slice(at, end)) ? "?" : "v", end)
    } else if (/[a-z]/i.test(char)) {
      let end = at + 1
      while (end < text.length && /[a-z]/i.test(text[end]!)) end++
      const word = text.slice(at, end)
      if (LITERALS.includes(word)) {
        at = token("v", end)
      } else if (LITERALS.some((literal) => literal.startsWith(word)) && [...text.slice(end)].every(isWhitespace)) {
        break // a literal cut off is dropped
      } else {
        return undefined
      }
    } else {
      return undefined
    }
  }
  return tokens
}

/** How many tokens to keep: drop a trailing `:`, number that may go on, key without its value, and one `,`. */
const completeLength = ({ kinds, open }: Tokens): number => {
  // Brackets are never dropped, so the innermost open one is the same for every token looked at.
  const inObject = open.at(-1) === "{"
  let length = kinds.length
  while (length > 0) {
    const kind = kinds[length - 1]
    const before = kinds[length - 2]
    if (kind === ":" || kind === "?" || (kind === "\"" && inObject && (before === "," || before === "{"))) {
      length--
      continue
    }
    return kind === "," ? length - 1 : length
  }
  return 0
}

/**
 * Parse JSON that may be cut off, as a tool input is when `max_tokens` stops the model mid-call: drop the unfinished
 * tail, close the open brackets, `JSON.parse`. Text that is not JSON cut short throws.
 */
export const parsePartialJson = (text: string): unknown => {
  const tokens = tokenize(text)
  if (tokens === undefined) return JSON.parse(text) // to throw as it would
  const length = completeLength(tokens)
  let completed = text.slice(0, length === 0 ? 0 : tokens.ends[length - 1])
  for (let i = tokens.open.length - 1; i >= 0; i--) completed += tokens.open[i] === "{" ? "}" : "]"
  return JSON.parse(completed)
}
