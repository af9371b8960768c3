/**
 * A value that fits a JSON schema, as the stand-in's answer when a request asks for structured output or forces a
 * tool: every property (required or not), the first member of an enum or union, the lower bound of a number, an
 * ISO date for a string meant as a date, "example" for any other string, one item for an array. A stand-in answer,
 * not a model's: it shows the shape, never a meaning.
 */

type JsonSchema = Readonly<Record<string, unknown>>

const MAX_DEPTH = 16

const isSchema = (value: unknown): value is JsonSchema => typeof value === "object" && value !== null && !Array.isArray(value)

/** The schema a `$ref` (`#/$defs/Name`, `#/definitions/Name`) points to in `root`. */
const resolve = (ref: string, root: JsonSchema): JsonSchema => {
  let at: unknown = root
  for (const part of ref.replace(/^#\//, "").split("/")) at = isSchema(at) ? at[decodeURIComponent(part)] : undefined
  return isSchema(at) ? at : {}
}

const looksLikeDate = (schema: JsonSchema): boolean =>
  schema.format === "date-time" || schema.format === "date" || /\bdate\b/i.test(String(schema.description ?? ""))

const stringOf = (schema: JsonSchema): string => {
  if (looksLikeDate(schema)) return schema.format === "date" ? "2026-01-01" : "2026-01-01T00:00:00.000Z"
  const minLength = typeof schema.minLength === "number" ? schema.minLength : 0
  return "example".padEnd(minLength, "e")
}

/** A bound given in the schema, or in its description (where `StructuredOutput` moves what the API does not take). */
const boundOf = (schema: JsonSchema, name: string): number | undefined => {
  if (typeof schema[name] === "number") return schema[name] as number
  const hint = new RegExp(`\\b${name}: (-?[0-9.]+)`).exec(String(schema.description ?? ""))
  return hint === null ? undefined : Number(hint[1])
}

const numberOf = (schema: JsonSchema): number => {
  const exclusive = boundOf(schema, "exclusiveMinimum")
  const low = boundOf(schema, "minimum") ?? (exclusive === undefined ? 0 : exclusive + 1)
  const high = boundOf(schema, "maximum") ?? Infinity
  return Math.min(Math.max(low, 0), high)
}

/** A value that fits `schema` (within `root`, for its `$ref`s). */
export const sampleOf = (schema: unknown, root: unknown = schema, depth = 0): unknown => {
  if (!isSchema(schema) || depth > MAX_DEPTH) return null
  const rootSchema = isSchema(root) ? root : {}
  if (typeof schema.$ref === "string") return sampleOf(resolve(schema.$ref, rootSchema), root, depth + 1)
  if ("const" in schema) return schema.const
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0]
  const union = schema.anyOf ?? schema.oneOf
  if (Array.isArray(union) && union.length > 0) return sampleOf(union[0], root, depth + 1)
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0) return sampleOf(schema.allOf[0], root, depth + 1)
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  switch (type) {
    case "object": {
      const properties = isSchema(schema.properties) ? schema.properties : {}
      return Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, sampleOf(property, root, depth + 1)]))
    }
    case "array":
      return [sampleOf(schema.items, root, depth + 1)]
    case "string":
      return stringOf(schema)
    case "number":
      return numberOf(schema)
    case "integer":
      return Math.ceil(numberOf(schema))
    case "boolean":
      return true
    default:
      return isSchema(schema.properties) ? sampleOf({ ...schema, type: "object" }, root, depth + 1) : null
  }
}
