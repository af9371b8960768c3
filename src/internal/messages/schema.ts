/**
 * The building blocks the Messages schemas share (internal: `Messages` re-exports the schemas, not these helpers).
 *
 * Three rules keep a real answer from failing its check while the types stay the SDK's:
 *
 * - `maybe`: a field the SDK types `X | null` may also be absent (older answers and recordings leave such fields out).
 * - `openLiteral`: an enum the API extends (error codes, tiers, names) accepts any string; the known values stay in
 *   the type for completion.
 * - `openUnion`: a union tagged by `type` keeps objects of a type it does not list, whole, with the static type
 *   `never` (so narrowing on `type` works); an object of a listed type must fit that member.
 *
 * Inside a known server tool's result, `lenient` goes further: anything is kept (the API varies most there).
 */
import * as Schema from "effect/Schema"

/** Any JSON object: tool inputs, JSON schemas, opaque objects the API hands back. */
export const JsonObject = Schema.Record(Schema.String, Schema.Unknown)

/**
 * Any other fields, typed `any` rather than `unknown`: TypeScript lets an interface (the SDK's types) be assigned to
 * an index signature of `any` only.
 */
export const AnyFields = Schema.Record(Schema.String, Schema.Any)

/**
 * A field the SDK types `X | null`: also accepted absent.
 *
 * A plain `NullOr`: Effect's union picks its candidate members by the value's runtime type (and tag) before trying
 * any, so a `null` reaches the `null` member alone.
 */
export const maybe = <S extends Schema.Top>(schema: S): Schema.optional<Schema.NullOr<S>> =>
  Schema.optional(Schema.NullOr(schema))

/**
 * A string with known values the API adds to: any string is accepted (one string check at run time, the known
 * values in the description); `string & {}` keeps the known values in completions.
 */
export const openLiteral = <const Known extends ReadonlyArray<string>>(
  ...known: Known
): Schema.Codec<Known[number] | (string & {})> =>
  Schema.String.annotate({ description: `${known.map((k) => JSON.stringify(k)).join(" | ")}, or a newer value` })

/** The `type` schema of a tagged member: one literal, or several (a dated and an undated name). */
type TagSchema = { readonly literal: string } | { readonly literals: ReadonlyArray<string> }

/** A struct schema whose `type` is a string literal (or literals): a member of a union tagged by `type`. */
export type Tagged = Schema.Top & { readonly fields: { readonly type: TagSchema } }

/** The `type` values of tagged members (so a known-types set cannot drift from its union). */
export const knownTypes = (members: ReadonlyArray<Tagged>): ReadonlySet<string> =>
  new Set(members.flatMap(({ fields: { type } }) => "literals" in type ? type.literals : [type.literal]))

/**
 * An object whose `type` is none of `known`: accepted and kept whole at run time, statically `never` so that
 * `x.type === "…"` narrows the known members.
 */
export const otherThan = (known: ReadonlySet<string>): Schema.Codec<never> => {
  const other = Schema.StructWithRest(
    Schema.Struct({ type: Schema.String.check(Schema.makeFilter((type) => !known.has(type))) }),
    [JsonObject]
  )
  return other as unknown as Schema.Codec<never>
}

/** The members, and objects of any other `type` (see `otherThan`). */
export const openUnion = <const Members extends ReadonlyArray<Tagged>>(...members: Members) =>
  Schema.Union([...members, otherThan(knownTypes(members))])

/**
 * The content of a known server tool's result: statically the SDK's shape, but at run time anything the API sends
 * there is kept (a result kind, error code or field layout this client does not know), so match on `type` with a
 * default branch. The typed shape is still tried first, so a decode gives its output and its messages.
 */
export const lenient = <S extends Schema.Top>(schema: S): Schema.Codec<S["Type"], S["Encoded"]> =>
  Schema.Union([schema, Schema.Unknown]) as unknown as Schema.Codec<S["Type"], S["Encoded"]>
