/**
 * Checking a 2xx body against the schema of what the API promised.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import { Other } from "../errors.js"
import { onFirstCall } from "../onFirstCall.js"
import * as SchemaIs from "../schemaIs.js"

/**
 * Check a 200 body against its schema; the result is the API's JSON as it came, extra fields included. The schemas
 * transform nothing, so a body that passes the schema's type check is its own decoding. That check (`SchemaIs`:
 * 0.5 µs for a short Message on Node, where `Schema.is` takes 3.2 µs) runs on every answer; the decode runs only to
 * explain a body that fails it. Both are compiled on first use (see `onFirstCall`).
 */
export const decodeAnswer = <A, I>(schema: Schema.Codec<A, I>, what: string) => {
  const is = onFirstCall(() => SchemaIs.is(schema))
  // Decoding has no `onExcessProperty: "preserve"`; a body only the decoding accepts (never, for schemas that transform
  // nothing) would lose its extra fields.
  const decode = onFirstCall(() => Schema.decodeUnknownEffect(schema, { errors: "first" }))
  return (json: unknown): Effect.Effect<A, Other> =>
    is(json) ? Effect.succeed(json as A) : Effect.mapError(decode(json), (error) =>
      new Other({
        status: 200,
        errorType: "invalid_response",
        apiMessage: `the API's ${what} does not match its schema: ${firstIssue(error)}`,
        retryable: false
      }))
}

/** Issues as a list of `{ path, message }`, or as one text. */
const issuesOf = SchemaIssue.makeFormatterStandardSchemaV1()
const textOf = SchemaIssue.makeFormatterDefault()

/** The first problem a parse found, as `path: message`. */
export const firstIssue = (error: Schema.SchemaError | SchemaIssue.Issue): string => {
  const issue = SchemaIssue.isIssue(error) ? error : error.issue
  const first = issuesOf(issue).issues[0]
  return first === undefined
    ? textOf(issue)
    : `${pathText(first.path) || "(the value)"}: ${first.message}`
}

const pathText = (path: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined): string =>
  path === undefined ? "" : path.map((key) => String(typeof key === "object" ? key.key : key)).join(".")
