/**
 * How errors speak of a configuration value and of the key it sits at. A secret (an API key, a setup token, a Redis
 * URL with its password, anything in a credential file) is described, never echoed: its type and size. Any other
 * setting's value is shown as given (`"127.0.0.1:40401"`, `-2`), unless it is shaped like a key or token, holds a
 * user:password@ or a control character: a secret pasted at the wrong key must not come back in the error either.
 */
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as SchemaAST from "effect/SchemaAST"
import type * as SchemaIssue from "effect/SchemaIssue"
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

/**
 * An annotation for a schema that refuses a value in a sentence of its own rather than "must be …": the function gets
 * the value found and says what is wrong with it (`this client serves provider "anthropic" only, not "openai"`).
 *
 * A `message` annotation is a fixed string, not a function of the issue; this project's own
 * annotation keeps the value in the words, and {@link decodeProblem} reads it.
 */
export const REFUSAL = "effect-anthropic/refusal"

/** The {@link REFUSAL} annotation. */
export const refusal = (words: (found: unknown) => string): { readonly [REFUSAL]: (found: unknown) => string } => ({
  [REFUSAL]: words
})

/** The part of `input` at `path` (`undefined` where there is none). */
export const valueAt = (input: unknown, path: ReadonlyArray<PropertyKey>): unknown =>
  path.reduce<unknown>(
    (node, key) => node !== null && typeof node === "object" ? (node as Record<PropertyKey, unknown>)[key] : undefined,
    input
  )

/**
 * One refusal in a decode's issue tree, at the path of the value it is about: a `Missing` or `Unexpected` key, a
 * `Type` the value does not have, a `Refinement` (the right type, not the right form), or a schema's own `Message`.
 */
interface Leaf {
  readonly _tag: "Missing" | "Unexpected" | "Type" | "Refinement" | "Message"
  readonly path: ReadonlyArray<PropertyKey>
  /** What the value should be, in words ("a list of strings"): said as "must be …, not <what was found>". */
  readonly expected?: string
  /** A sentence of the schema's own, said as it is (it describes the value, never quotes it). */
  readonly message?: string
}

const annotation = (annotations: object | undefined, key: string): unknown =>
  annotations === undefined ? undefined : (annotations as Record<string, unknown>)[key]

const stringAnnotation = (annotations: object | undefined, key: string): string | undefined => {
  const value = annotation(annotations, key)
  return typeof value === "string" ? value : undefined
}

/** What a schema node stands for, as a file's author would put it: "a string", "a list of strings", "true or false". */
const expectedOf = (ast: SchemaAST.AST): string => {
  const annotated = stringAnnotation(ast.annotations, "expected")
  if (annotated !== undefined) return annotated
  switch (ast._tag) {
    case "String":
      return "a string"
    case "Number":
      return "a number"
    case "Boolean":
      return "true or false"
    case "Literal":
      return `one of ${JSON.stringify(ast.literal)}`
    case "Arrays": {
      const item = ast.rest[0] ?? ast.elements[0]
      return item !== undefined && SchemaAST.toEncoded(item)._tag === "String" ? "a list of strings" : "a list"
    }
    case "Objects":
      return "a mapping of keys"
    case "Union": {
      // An optional key's schema is a union with `undefined`, which is no use to say.
      const members = ast.types.filter((member) => SchemaAST.toEncoded(member)._tag !== "Undefined")
      const encoded = members.map(SchemaAST.toEncoded)
      if (encoded.length > 0 && encoded.every(SchemaAST.isLiteral)) {
        return `one of ${encoded.map((member) => JSON.stringify(member.literal)).join(" | ")}`
      }
      const words = members.map((member, i) =>
        stringAnnotation(member.annotations, "expected") ?? expectedOf(encoded[i]!)
      )
      return [...new Set(words)].join(" or ")
    }
    default:
      return `a value of type ${ast._tag.toLowerCase()}`
  }
}

/** A schema's {@link REFUSAL} of the value at `path`, if it has one. */
const refusalAt = (ast: SchemaAST.AST, path: ReadonlyArray<PropertyKey>, input: unknown): Leaf | undefined => {
  const words = annotation(ast.annotations, REFUSAL)
  return typeof words === "function"
    ? { _tag: "Message", path, message: String(words(valueAt(input, path))) }
    : undefined
}

/** A failed check: its own message (a filter's returned text, or its `message`), else what it expected. */
const filterLeaf = (issue: SchemaIssue.Filter, path: ReadonlyArray<PropertyKey>): Leaf => {
  const inner = issue.issue
  const returned = inner._tag === "InvalidValue" ? stringAnnotation(inner.annotations, "message") : undefined
  const message = returned ?? stringAnnotation(issue.filter.annotations, "message")
  if (message !== undefined) return { _tag: "Refinement", path, message }
  const expected = stringAnnotation(issue.filter.annotations, "expected") ?? "a valid value"
  return { _tag: "Refinement", path, expected }
}

/** The keys an object schema knows, for an unexpected one: `"api_key" | "base_url" | …` (never the value). */
const unexpectedKey = (ast: SchemaAST.AST): string =>
  ast._tag === "Objects" && ast.propertySignatures.length > 0
    ? `is unexpected, expected: ${ast.propertySignatures.map((p) => JSON.stringify(String(p.name))).join(" | ")}`
    : "is unexpected"

/** The one member of a union besides `undefined` (an optional key's schema), if there is just one. */
const soleMember = (ast: SchemaAST.Union): SchemaAST.AST | undefined => {
  const members = ast.types.filter((member) => SchemaAST.toEncoded(member)._tag !== "Undefined")
  return members.length === 1 ? members[0] : undefined
}

/** Why `value` fails `ast` on its own, if it does. */
const memberIssue = (ast: SchemaAST.AST, value: unknown): SchemaIssue.Issue | undefined => {
  const result = Schema.decodeUnknownResult(Schema.make<Schema.Decoder<unknown>>(ast))(value, { errors: "first" })
  return Result.isFailure(result) ? result.failure.issue : undefined
}

/** The leaves of an issue tree, each at the path (from the decoded input) of the value it is about. */
const leavesOf = (issue: SchemaIssue.Issue, path: ReadonlyArray<PropertyKey>, input: unknown): Array<Leaf> => {
  switch (issue._tag) {
    case "Pointer":
      return leavesOf(issue.issue, [...path, ...issue.path], input)
    case "Composite":
      return issue.issues.flatMap((inner) => leavesOf(inner, path, input))
    case "Encoding":
      return leavesOf(issue.issue, path, input)
    case "AnyOf": {
      const own = refusalAt(issue.ast, path, input)
      if (own !== undefined) return [own]
      if (issue.issues.length > 0) return issue.issues.flatMap((inner) => leavesOf(inner, path, input))
      // No member was tried: none has the value's type, or (Effect 4) a mapping's literal key rules the only one out
      // before it is tried, which would say nothing of that key. An optional key's only schema is tried here.
      const only = soleMember(issue.ast)
      const inner = only === undefined ? undefined : memberIssue(only, valueAt(input, path))
      return inner === undefined
        ? [{ _tag: "Type", path, expected: expectedOf(issue.ast) }]
        : leavesOf(inner, [], valueAt(input, path)).map((leaf) => ({ ...leaf, path: [...path, ...leaf.path] }))
    }
    case "Filter":
      return [filterLeaf(issue, path)]
    case "InvalidType":
      return [refusalAt(issue.ast, path, input) ?? { _tag: "Type", path, expected: expectedOf(issue.ast) }]
    case "InvalidValue": {
      const message = stringAnnotation(issue.annotations, "message")
      if (message !== undefined) return [{ _tag: "Message", path, message }]
      const expected = stringAnnotation(issue.annotations, "expected")
      return expected === undefined ? [] : [{ _tag: "Type", path, expected }]
    }
    case "MissingKey":
      return [{ _tag: "Missing", path }]
    case "UnexpectedKey":
      return [{ _tag: "Unexpected", path, message: unexpectedKey(issue.ast) }]
    case "Forbidden":
    case "OneOf":
      return []
  }
}

/**
 * Why `input` failed to decode, for a `AnthropicConfigError`: the path of the first bad key and a problem that names what was
 * expected and what was found: shown ({@link showValue}) where `shownAt` allows it for the key's path, else
 * described (never quoted). Effect's own messages quote values, so the issue tree itself is read.
 */
export const decodeProblem = (
  error: Schema.SchemaError,
  input: unknown,
  shownAt: (path: ReadonlyArray<PropertyKey>) => boolean = () => false
): { readonly path: ReadonlyArray<PropertyKey>; readonly problem: string } => {
  const leaves = leavesOf(error.issue, [], input)
  // The deepest issue is the most precise (a list's bad item rather than the list); a union reports one per member.
  const depth = Math.max(...leaves.map((leaf) => leaf.path.length))
  const atKey = leaves.filter((leaf) => leaf.path.length === depth)
  const path = atKey[0]?.path ?? []
  const found = (shownAt(path) ? showValue : describeValue)(valueAt(input, path))
  if (atKey.some((leaf) => leaf._tag === "Missing")) return { path, problem: "is missing" }
  const unexpected = atKey.find((leaf) => leaf._tag === "Unexpected")?.message
  if (unexpected !== undefined) return { path, problem: unexpected } // lists the schema's keys, not the value
  // A refinement means the value had a right type but not the right form: the most specific thing to say.
  const refinement = atKey.find((leaf) => leaf._tag === "Refinement")
  const chosen = refinement === undefined ? atKey : [refinement]
  const expected = [...new Set(chosen.flatMap((leaf) => leaf.expected ?? []))]
  if (expected.length > 0) return { path, problem: `must be ${expected.join(" or ")}, not ${found}` }
  // Otherwise it is one of this project's own messages, which describe the value and never quote it.
  const own = chosen.find((leaf) => leaf.message !== undefined)?.message
  return { path, problem: own ?? `cannot be read as the expected type (found ${found})` }
}
