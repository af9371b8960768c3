/**
 * Effect `Schema`s as the API's JSON schemas, and the model's answers decoded back with them: a tool's
 * `input_schema` and its `tool_use.input`, or `output_config.format` (structured outputs) and the JSON text of the
 * answer.
 *
 * ```ts
 * const Weather = Schema.Struct({ city: Schema.String, unit: Schema.Literals(["c", "f"]) })
 * const params = { ..., output_config: { format: StructuredOutput.outputFormat(Weather) } }
 * const weather = yield* client.createMessage(params).pipe(Effect.flatMap(StructuredOutput.decodeOutput(Weather)))
 * ```
 *
 * The JSON schema sent is the subset the API accepts for structured outputs and strict tools (the rules of the
 * official SDK's `transformJSONSchema`): `additionalProperties: false` on every object, `oneOf` as `anyOf`, only the
 * string formats the API knows, `minItems` only as 0 or 1; any other keyword (`minLength`, `pattern`, `maximum`, …)
 * is moved into the `description`, so the model still reads it. The `Schema` stays the judge: the answer is decoded
 * with it, every constraint included, and a mismatch is a `StructuredOutputError`.
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { StructuredOutputError } from "./internal/errors.js"
import * as Messages from "./internal/messages/message.js"

type Json = Record<string, unknown>

const STRING_FORMATS: ReadonlySet<string> = new Set([
  "date-time",
  "time",
  "date",
  "duration",
  "email",
  "hostname",
  "uri",
  "ipv4",
  "ipv6",
  "uuid"
])

const isPrimitive = (value: unknown) => value === null || typeof value !== "object"

const isNode = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value)

/** Keys that make an `allOf` member a schema of its own rather than more constraints on the node it is in. */
const SHAPE_KEYS = ["type", "$ref", "anyOf", "oneOf", "allOf", "properties", "items", "enum", "const"]

/**
 * A typed node's `allOf` of constraints merged into it. Effect 4 puts a check's constraints there when the node has
 * a description of its own (`{ type: "number", description: "a finite number", allOf: [{ minimum: -90, … }] }`):
 * merged, they are words of the node's description like any other constraint, and the node keeps its type. A member
 * that is a schema of its own, or says again what the node says, stays in `allOf`.
 */
const mergeAllOf = (node: Json): Json => {
  if (!Array.isArray(node.allOf) || node.type === undefined) return node
  const { allOf, ...out } = node
  const kept: Array<unknown> = []
  for (const member of allOf as Array<unknown>) {
    if (!isNode(member) || SHAPE_KEYS.some((key) => key in member)) {
      kept.push(member)
      continue
    }
    const { description, ...constraints } = member
    if (Object.keys(constraints).some((key) => key in out)) {
      kept.push(member)
      continue
    }
    Object.assign(out, constraints)
    if (typeof description === "string") {
      out.description = typeof out.description === "string" ? `${out.description} and ${description}` : description
    }
  }
  return kept.length === 0 ? out : { ...out, allOf: kept }
}

/** One schema node in the API's subset; what it cannot carry goes into its description. */
const strict = (node: Json): Json => {
  const rest: Json = mergeAllOf({ ...node })
  const take = (key: string) => {
    const value = rest[key]
    delete rest[key]
    return value
  }
  const out: Json = {}
  const defs = take("$defs")
  if (defs !== undefined && typeof defs === "object" && defs !== null) {
    out.$defs = Object.fromEntries(Object.entries(defs).map(([name, def]) => [name, strict(def as Json)]))
  }
  const ref = take("$ref")
  if (typeof ref === "string") return { ...out, $ref: ref }
  const enumValues = rest.enum
  if (Array.isArray(enumValues) && enumValues.length > 0 && enumValues.every(isPrimitive)) out.enum = take("enum")
  if (rest.const !== undefined && isPrimitive(rest.const)) out.const = take("const")
  const literal = "enum" in out || "const" in out
  const declared = take("type")
  const type = literal ? undefined : declared
  const anyOf = take("anyOf")
  const oneOf = take("oneOf")
  const allOf = take("allOf")
  take("$schema")
  if (Array.isArray(anyOf ?? oneOf)) out.anyOf = ((anyOf ?? oneOf) as Array<Json>).map(strict)
  else {
    if (Array.isArray(allOf)) out.allOf = (allOf as Array<Json>).map(strict)
    // A typed node keeps its type beside the `allOf` of constraints it could not take in (see `mergeAllOf`).
    if (!literal && type !== undefined) out.type = type
  }
  for (const key of ["description", "title"]) if (rest[key] !== undefined) out[key] = take(key)
  if (type === "object") {
    const properties = (take("properties") ?? {}) as Record<string, Json>
    out.properties = Object.fromEntries(Object.entries(properties).map(([key, schema]) => [key, strict(schema)]))
    // The API needs every object closed; a record's value schema is kept as words. (Effect 4 marks a struct open,
    // `additionalProperties: true`, as decoding ignores excess keys: closed here all the same.)
    if (typeof rest.additionalProperties === "boolean") delete rest.additionalProperties
    out.additionalProperties = false
    if (rest.required !== undefined) out.required = take("required")
  } else if (type === "string") {
    if (typeof rest.format === "string" && STRING_FORMATS.has(rest.format)) out.format = take("format")
  } else if (type === "array") {
    if (rest.items !== undefined) out.items = strict(take("items") as Json)
    if (rest.minItems === 0 || rest.minItems === 1) out.minItems = take("minItems")
  }
  const left = Object.entries(rest)
  if (left.length > 0) {
    const words = `{${left.map(([key, value]) => `${key}: ${JSON.stringify(value)}`).join(", ")}}`
    out.description = typeof out.description === "string" ? `${out.description}\n\n${words}` : words
  }
  return out
}

/**
 * The JSON schema of `schema` (its JSON encoding, what the model writes), a root `$ref` resolved to its object.
 *
 * The document describes the JSON encoding (`Schema.toCodecJson`), which is what answers are decoded
 * with; its definitions come apart from its schema, and are put back as `$defs`, where the refs point.
 */
const jsonSchemaOf = (schema: Schema.Top): Json => {
  // Descriptions of what each check and transformation expects (`an integer`, `a string that will be decoded as a
  // Date`): the model reads them.
  const document = Schema.toJsonSchemaDocument(schema, { generateDescriptions: true })
  const definitions = document.definitions as Record<string, Json>
  const root: Json = Object.keys(definitions).length > 0
    ? { ...(document.schema as Json), $defs: definitions }
    : document.schema as Json
  const ref = root.$ref
  if (typeof ref !== "string" || !ref.startsWith("#/$defs/")) return root
  const defs = (root.$defs ?? {}) as Record<string, Json>
  const name = ref.slice("#/$defs/".length)
  const { [name]: target, ...others } = defs
  // The root's own definition, or another, may refer back to it (a recursive schema): then it stays among them.
  const refersBack = JSON.stringify(defs).includes(JSON.stringify(ref))
  const $defs = refersBack ? defs : others
  return { ...target, ...(Object.keys($defs).length > 0 ? { $defs } : {}) }
}

/**
 * The JSON schema of `schema` in the API's subset (see the module's description). `schema` must describe a JSON
 * object (a `Schema.Struct` or `Schema.Class`, say): the API wants an object at the root.
 *
 * @since 0.2.0
 * @category constructors
 */
export const jsonSchema = (schema: Schema.Top): Json => {
  const root = strict(jsonSchemaOf(schema))
  if (root.type !== "object") {
    throw new TypeError(
      `StructuredOutput: the schema must describe a JSON object at its root, not ${
        JSON.stringify(root.type ?? (root.anyOf !== undefined ? "a union" : "this"))
      }; wrap it in a Schema.Struct`
    )
  }
  return root
}

/**
 * `output_config.format` for `schema`: the answer's text is JSON that fits it (structured outputs; works with
 * extended thinking). Decode the answer with {@link decodeOutput}.
 *
 * @since 0.2.0
 * @category constructors
 */
export const outputFormat = (schema: Schema.Top): typeof Messages.JsonOutputFormat.Type => ({
  type: "json_schema",
  schema: jsonSchema(schema)
})

/**
 * A client tool whose `input_schema` is `schema`'s JSON schema. With `strict: true` the API guarantees inputs that
 * fit it. Decode the calls with {@link toolInputs}.
 *
 * @since 0.2.0
 * @category constructors
 */
export const tool = (
  name: string,
  schema: Schema.Top,
  options: { readonly description?: string; readonly strict?: boolean; readonly cache_control?: Messages.CacheControl } = {}
): Messages.Tool => ({
  name,
  input_schema: jsonSchema(schema) as Messages.Tool["input_schema"],
  ...(options.description === undefined ? {} : { description: options.description }),
  ...(options.strict === undefined ? {} : { strict: options.strict }),
  ...(options.cache_control === undefined ? {} : { cache_control: options.cache_control })
})

/** Why an answer did not hold what was asked, from its stop reason first: a cut-off answer is not the model's JSON. */
const stopped = (message: Pick<Messages.Message, "stop_reason">): string | undefined =>
  message.stop_reason === "max_tokens"
    ? "the answer was cut off by max_tokens"
    : message.stop_reason === "refusal"
    ? "the model refused to answer"
    : undefined

const decodeWith = <A, I, RD, RE>(schema: Schema.Codec<A, I, RD, RE>) => {
  // The model writes JSON, so the answer is decoded with the schema's JSON codec (the one the JSON schema
  // sent describes): a `Schema.Date` from its ISO string, an optional field from `null`.
  const decode = Schema.decodeUnknownEffect(Schema.toCodecJson(schema), { errors: "all", onExcessProperty: "ignore" })
  return (value: unknown, fields: { readonly source: "text" | "tool_use"; readonly name?: string | undefined; readonly stopReason?: string | null | undefined }) =>
    Effect.mapError(decode(value), (error) =>
      new StructuredOutputError({
        ...fields,
        stopReason: fields.stopReason ?? undefined,
        // A `SchemaError`'s message: its issues in Effect's default format.
        detail: error.message
      }))
}

/**
 * The answer's structured output (the JSON text of its text blocks) decoded with `schema`. Fails with a
 * `StructuredOutputError` when the text is not JSON, does not fit `schema`, or the answer stopped early (`max_tokens`,
 * a refusal), saying which.
 *
 * @since 0.2.0
 * @category decoding
 */
export const decodeOutput = <A, I, RD, RE>(schema: Schema.Codec<A, I, RD, RE>) => {
  const decode = decodeWith(schema)
  return (message: Pick<Messages.Message, "content" | "stop_reason">): Effect.Effect<A, StructuredOutputError, RD> => {
    const early = stopped(message)
    const stopReason = message.stop_reason
    if (early !== undefined) return Effect.fail(new StructuredOutputError({ source: "text", detail: early, stopReason: stopReason ?? undefined }))
    let json: unknown
    try {
      json = JSON.parse(Messages.textOf(message))
    } catch {
      return Effect.fail(new StructuredOutputError({ source: "text", detail: "the answer's text is not JSON", stopReason: stopReason ?? undefined }))
    }
    return decode(json, { source: "text", stopReason })
  }
}

/**
 * The calls of tool `name` in the answer, each `{ id, input }` with its input decoded with `schema` (in the order
 * the model made them). Fails with a `StructuredOutputError` naming the tool when an input does not fit.
 *
 * @since 0.2.0
 * @category decoding
 */
export const toolInputs = <A, I, RD, RE>(name: string, schema: Schema.Codec<A, I, RD, RE>) => {
  const decode = decodeWith(schema)
  return (
    message: Pick<Messages.Message, "content" | "stop_reason">
  ): Effect.Effect<ReadonlyArray<{ readonly id: string; readonly input: A }>, StructuredOutputError, RD> =>
    Effect.forEach(
      Messages.toolUses(message).filter((call) => call.name === name),
      (call) => Effect.map(decode(call.input, { source: "tool_use", name, stopReason: message.stop_reason }), (input) => ({ id: call.id, input }))
    )
}

/**
 * One `tool_use` block's input decoded with `schema`.
 *
 * @since 0.2.0
 * @category decoding
 */
export const decodeToolInput = <A, I, RD, RE>(schema: Schema.Codec<A, I, RD, RE>) => {
  const decode = decodeWith(schema)
  return (block: Messages.ToolUseBlock): Effect.Effect<A, StructuredOutputError, RD> =>
    decode(block.input, { source: "tool_use", name: block.name })
}
