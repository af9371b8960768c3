/**
 * Facts about Anthropic token strings, and how errors speak of values without echoing them: shared by the config
 * schema, the credential file readers and the errors.
 */
import * as ParseResult from "effect/ParseResult"

export const SETUP_TOKEN_PREFIX = "sk-ant-oat01-"
export const SETUP_TOKEN_MIN_LENGTH = 80

/** Why a setup token is refused, or `undefined` when it is acceptable. Never echoes the token. */
export const setupTokenProblem = (token: string): string | undefined => {
  if (!token.startsWith(SETUP_TOKEN_PREFIX)) {
    return `a setup token starts with "${SETUP_TOKEN_PREFIX}" and this one does not`
  }
  if (token.length < SETUP_TOKEN_MIN_LENGTH) {
    return `a setup token is at least ${SETUP_TOKEN_MIN_LENGTH} characters and this one has ${token.length}`
  }
  return undefined
}

export const SETUP_TOKEN_FIX = "paste the whole token printed by `claude setup-token` (it starts with sk-ant-oat01-)"

/**
 * Anthropic keys and tokens: `sk-ant-api03-…`, `sk-ant-oat01-…`, `sk-ant-ort01-…`, `sk-ant-admin01-…`, and their
 * bodies echoed without `sk-ant-` (`api03-…`, `oat01-…`, `ort01-…`). A bare kind needs 8 characters of body, so host
 * names such as `api01-eu` stay readable; anything after `sk-ant-` is masked whatever its length or kind.
 *
 * The captured group is the part kept: the kind (`sk-ant-api03-`, `ort01-`), or just `sk-ant-` for a shape not known
 * yet. The masked form (`sk-ant-api03-…[redacted]`) does not match again, so scrubbing twice changes nothing.
 */
const SECRET =
  /(sk-ant-[a-z]+\d{2}-)[\w-]+|(sk-ant-)(?![a-z]+\d{2}-)[\w-]+|(?<![A-Za-z0-9])((?:api|oat|ort|admin)\d{2}-)[\w-]{8,}/g

/** Masks anything shaped like an Anthropic key or token, for text that leaves the process (error messages). */
export const scrubSecrets = (text: string): string =>
  text.replace(SECRET, (_, kind?: string, unknownKind?: string, echoedKind?: string) =>
    `${kind ?? unknownKind ?? echoedKind}…[redacted]`)

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

const valueAt = (input: unknown, path: ReadonlyArray<PropertyKey>): unknown =>
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
 * Why `input` failed to decode, for a `ConfigError`: the path of the first bad key and a problem that names what was
 * expected and describes (never quotes) what was found. The formatter's own text quotes values, so only the schema's
 * side of it is kept.
 */
export const decodeProblem = (
  error: ParseResult.ParseError,
  input: unknown
): { readonly path: ReadonlyArray<PropertyKey>; readonly problem: string } => {
  // An optional key's schema is a union with `undefined`, which is no use to say.
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error).filter((issue) =>
    !issue.message.startsWith("Expected undefined,")
  )
  // The deepest issue is the most precise (a list's bad item rather than the list); a union reports one per member.
  const depth = Math.max(...issues.map((issue) => issue.path.length))
  const atKey = issues.filter((issue) => issue.path.length === depth)
  const path = atKey[0]?.path ?? []
  const found = describeValue(valueAt(input, path))
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

/** A short, non-reversible fingerprint of a secret, for `status` output and logs. */
export const fingerprint = (secret: string): string => {
  // FNV-1a: enough to tell two tokens apart at a glance, far too short to leak anything.
  let h = 0x811c9dc5
  for (let i = 0; i < secret.length; i++) {
    h ^= secret.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0).toString(16).padStart(8, "0")
}
