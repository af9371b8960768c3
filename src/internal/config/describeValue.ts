/**
 * How errors speak of a configuration value and of the key it sits at. A secret (an API key, a setup token, a Redis
 * URL with its password, anything in a credential file) is described, never echoed: its type and size. Any other
 * setting's value is shown as given (`"127.0.0.1:40401"`, `-2`), unless it is shaped like a key or token, holds a
 * user:password@ or a control character: a secret pasted at the wrong key must not come back in the error either.
 */
import * as ParseResult from "effect/ParseResult"
import { scrubSecrets } from "../tokens.js"

/** A key path as a file's author writes it: `providers.anthropic.betas[1]`. */
export const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.map((key, i) => typeof key === "number" ? `[${key}]` : `${i === 0 ? "" : "."}${String(key)}`).join("")

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`

/**
 * A value as an error may mention it: its type and size, and at most that it starts with `sk-ant-`. Configuration
 * and credential files hold secrets, and a secret pasted at the wrong key must not come back in the error.
 */
export const describeValue = (value: unknown): string => {
  if (value === undefined) return "nothing"
  if (value === null) return "an empty value (null)"
  if (typeof value === "string") {
    if (value === "") return "an empty string"
    // Numbers from `${VAR}` arrive as text; say what number they are, not that they are text.
    if (NUMERIC.test(value)) return `${describeNumber(Number(value))} (as text)`
    const start = value.startsWith("sk-ant-") ? ` starting with "sk-ant-"` : ""
    return `a string of ${plural(value.length, "character", "characters")}${start}`
  }
  if (typeof value === "number") return describeNumber(value)
  if (typeof value === "boolean") return "a boolean (true or false)"
  if (Array.isArray(value)) return `a list of ${plural(value.length, "item", "items")}`
  if (typeof value === "object") return `a mapping of ${plural(Object.keys(value).length, "key", "keys")}`
  return `a value of type ${typeof value}`
}

const NUMERIC = /^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?\s*$/i

/** The longest text an error shows as given. */
const SHOWN_LENGTH = 100

/**
 * Whether `text` may be shown: printable ASCII on one line, short, and nothing like a secret (a key or token's
 * shape, a user:password@).
 */
export const showable = (text: string): boolean =>
  text !== "" && text.length <= SHOWN_LENGTH && /^[\x20-\x7e]+$/.test(text) && !text.includes("@") &&
  !text.includes("sk-ant-") && scrubSecrets(text) === text

/**
 * A value of a setting that is not a secret, as an error shows it: a number as written, a string quoted (a number
 * from `${VAR}` marked as text), true or false. Anything {@link showable} refuses is described, as a secret is.
 */
export const showValue = (value: unknown): string => {
  if (typeof value === "number" && Number.isFinite(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER) return String(value)
  if (typeof value === "boolean") return String(value)
  if (typeof value === "string" && showable(value)) return NUMERIC.test(value) ? `${value.trim()} (as text)` : JSON.stringify(value)
  return describeValue(value)
}

const describeNumber = (n: number): string => {
  if (Number.isNaN(n)) return "NaN (not a number)"
  if (!Number.isFinite(n)) return "an infinite number"
  if (n === 0) return "zero"
  const sign = n < 0 ? "negative " : ""
  if (Math.abs(n) > Number.MAX_SAFE_INTEGER) return `a ${sign}number too large to be exact`
  return Number.isInteger(n) ? `a ${sign}whole number` : `a ${sign}fraction`
}

/** The default messages of `effect/Schema`: `Expected <what the schema says>, actual <the value, quoted>`. */
const EXPECTED = /^Expected (.+?), actual /s

/** The schema's own words for what it expected, as a file's author would put them. */
const inWords = (expected: string): string => {
  if (expected === "string") return "a string"
  if (expected === "number") return "a number"
  if (expected === "boolean") return "true or false"
  if (expected === "ReadonlyArray<string>") return "a list of strings"
  if (expected.startsWith("ReadonlyArray<")) return "a list"
  if (expected.startsWith("{")) return "a mapping of keys"
  if (expected.startsWith("\"")) return `one of ${expected}`
  return expected // a refinement's description: "an integer", "a positive number"
}

/** The part of `input` at `path` (`undefined` where there is none). */
export const valueAt = (input: unknown, path: ReadonlyArray<PropertyKey>): unknown =>
  path.reduce<unknown>(
    (node, key) => node !== null && typeof node === "object" ? (node as Record<PropertyKey, unknown>)[key] : undefined,
    input
  )

/**
 * Where a message annotation's text is reported (a literal union's annotation comes as `Composite`). A
 * `Transformation` issue carries the formatter's own text ("Unable to decode "…" into a number"), which quotes.
 */
const OWN_MESSAGE_TAGS: ReadonlySet<string> = new Set(["Refinement", "Type", "Composite"])

/**
 * Why `input` failed to decode, for a `AnthropicConfigError`: the path of the first bad key and a problem that names what was
 * expected and what was found: shown ({@link showValue}) where `shownAt` allows it for the key's path, else
 * described (never quoted). The formatter's own text quotes values, so only the schema's side of it is kept.
 */
export const decodeProblem = (
  error: ParseResult.ParseError,
  input: unknown,
  shownAt: (path: ReadonlyArray<PropertyKey>) => boolean = () => false
): { readonly path: ReadonlyArray<PropertyKey>; readonly problem: string } => {
  // An optional key's schema is a union with `undefined`, which is no use to say.
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error).filter((issue) =>
    !issue.message.startsWith("Expected undefined,")
  )
  // The deepest issue is the most precise (a list's bad item rather than the list); a union reports one per member.
  const depth = Math.max(...issues.map((issue) => issue.path.length))
  const atKey = issues.filter((issue) => issue.path.length === depth)
  const path = atKey[0]?.path ?? []
  const found = (shownAt(path) ? showValue : describeValue)(valueAt(input, path))
  if (atKey.some((issue) => issue._tag === "Missing")) return { path, problem: "is missing" }
  const unexpected = atKey.find((issue) => issue._tag === "Unexpected")
  if (unexpected !== undefined) return { path, problem: unexpected.message } // lists the schema's keys, not the value
  // A refinement means the value had a right type but not the right form: the most specific thing to say.
  const refinement = atKey.find((issue) => issue._tag === "Refinement")
  const chosen = refinement === undefined ? atKey : [refinement]
  const expected = [...new Set(chosen.flatMap((issue) => EXPECTED.exec(issue.message)?.[1] ?? []).map(inWords))]
  if (expected.length > 0) return { path, problem: `must be ${expected.join(" or ")}, not ${found}` }
  // Otherwise it is one of this project's own messages, which describe the value and never quote it.
  const own = chosen.find((issue) => OWN_MESSAGE_TAGS.has(issue._tag))
  return { path, problem: own?.message ?? `cannot be read as the expected type (found ${found})` }
}
