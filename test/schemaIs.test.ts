import { describe, expect, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Either from "effect/Either"
import * as fc from "effect/FastCheck"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Messages from "../src/Messages.js"
import * as SchemaIs from "../src/internal/schemaIs.js"
import { DeletedFile, FileMetadata } from "../src/internal/resources/files.js"
import { BatchResult, DeletedMessageBatch, MessageBatch } from "../src/internal/resources/messageBatches.js"
import { ModelInfo } from "../src/internal/resources/models.js"

/** A JSON-ish value, including what JSON cannot carry but a careless caller can (undefined, NaN, -0, symbols). */
const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(undefined, null, NaN, -0, 0, "", "text", "message", "tool_use", [], {}, Symbol.for("s"), 10n),
  fc.array(fc.jsonValue(), { maxLength: 3 })
)

type Path = ReadonlyArray<string | number>

/** Every path into a value (objects and arrays), the value itself first. */
const pathsOf = (value: unknown, prefix: Path = []): Array<Path> => {
  if (typeof value !== "object" || value === null) return [prefix]
  const keys: Array<string | number> = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value)
  return [prefix, ...keys.flatMap((key) => pathsOf((value as Record<string | number, unknown>)[key], [...prefix, key]))]
}

/** A copy of `value` with the thing at `path` replaced (or, for `undefined` in an object, deleted). */
const replaced = (value: unknown, path: Path, by: unknown, remove: boolean): unknown => {
  if (path.length === 0) return by
  const [key, ...rest] = path
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string | number, unknown>
  if (rest.length === 0 && remove && !Array.isArray(copy)) delete copy[key!]
  else copy[key!] = replaced(copy[key!], rest, by, remove)
  return copy
}

/** Valid values of the schema, and the same values with one part replaced by junk or removed. */
const valuesOf = <A, I>(schema: Schema.Schema<A, I>): fc.Arbitrary<unknown> => {
  const valid = Arbitrary.make(schema) as fc.Arbitrary<unknown>
  const mutated = valid.chain((value) => {
    const paths = pathsOf(value)
    return fc.tuple(fc.integer({ min: 0, max: paths.length - 1 }), junk, fc.boolean()).map(([i, by, remove]) =>
      replaced(value, paths[i]!, by, remove)
    )
  })
  return fc.oneof(valid, mutated, mutated, junk)
}

/** The compiled check answers as `Schema.is` does on every value, and both agree with the decoder. */
const agreesWithEffect = <A, I>(schema: Schema.Schema<A, I>, runs = 400) => {
  const effect = Schema.is(schema)
  const compiled = SchemaIs.is(schema)
  const validate = ParseResult.validateEither(schema, { exact: true })
  let accepted = 0
  let refused = 0
  fc.assert(
    fc.property(valuesOf(schema), (value) => {
      const answer = compiled(value)
      expect(answer).toBe(effect(value))
      expect(answer).toBe(Either.isRight(validate(value)))
      if (answer) accepted++
      else refused++
    }),
    { numRuns: runs, seed: 29 }
  )
  // The generated values must exercise both answers, or the comparison proves little.
  expect(accepted).toBeGreaterThan(runs / 10)
  expect(refused).toBeGreaterThan(runs / 10)
}

const Tree: Schema.Schema<Tree> = Schema.Struct({
  label: Schema.String,
  children: Schema.Array(Schema.suspend(() => Tree))
})
interface Tree {
  readonly label: string
  readonly children: ReadonlyArray<Tree>
}

enum Color {
  Red = "red",
  Blue = 2
}

const unique = Symbol.for("schemaIs/unique")

/** One schema per kind of node the compiler knows, and the kinds it leaves to Effect. */
const everyKind = {
  literals: Schema.Literal("a", 1, true, null),
  uniqueSymbol: Schema.UniqueSymbolFromSelf(unique),
  undefined: Schema.Undefined,
  void: Schema.Void,
  never: Schema.Never.annotations({ arbitrary: () => (fc) => fc.constant("anything" as never) }),
  keywords: Schema.Union(Schema.BigIntFromSelf, Schema.SymbolFromSelf, Schema.Boolean),
  object: Schema.Object,
  enums: Schema.Enums(Color),
  refinement: Schema.Number.pipe(Schema.int(), Schema.between(0, 10)),
  transformation: Schema.NumberFromString,
  tupleFixed: Schema.Tuple(Schema.String, Schema.optionalElement(Schema.Number)),
  tupleRest: Schema.Tuple([Schema.String], Schema.Number, Schema.Boolean),
  array: Schema.Array(Schema.Number),
  emptyStruct: Schema.Struct({}),
  struct: Schema.Struct({ a: Schema.String, b: Schema.optional(Schema.Number), c: Schema.Unknown }),
  exactOptional: Schema.Struct({ b: Schema.optionalWith(Schema.Number, { exact: true }) }),
  record: Schema.Record({ key: Schema.String, value: Schema.Number }),
  refinedKeys: Schema.Record({ key: Schema.String.pipe(Schema.startsWith("x")), value: Schema.Number }),
  symbolKeys: Schema.Record({ key: Schema.SymbolFromSelf, value: Schema.String }),
  structAndRecord: Schema.Struct({ type: Schema.String }, Schema.Record({ key: Schema.String, value: Schema.String })),
  taggedUnion: Schema.Union(
    Schema.Struct({ type: Schema.Literal("text"), text: Schema.String }),
    Schema.Struct({ type: Schema.Literal("image", "document"), source: Schema.String }),
    Schema.Struct({ kind: Schema.Literal("text"), n: Schema.Number }),
    Schema.Struct({ type: Schema.String.pipe(Schema.filter((type) => type.startsWith("x_"))) })
  ),
  overlapping: Schema.Union(
    Schema.Struct({ type: Schema.Literal("a"), n: Schema.Number }),
    Schema.Struct({ type: Schema.String, m: Schema.optional(Schema.Number) })
  ),
  numberTags: Schema.Union(Schema.Struct({ v: Schema.Literal(1) }), Schema.Struct({ v: Schema.Literal("1") })),
  suspend: Tree,
  declaration: Schema.DateFromSelf,
  templateLiteral: Schema.TemplateLiteral("msg_", Schema.String),
  parseOptions: Schema.Struct({ a: Schema.Number }).annotations({ parseOptions: { exact: false } }),
  fallback: Schema.Struct({ type: Schema.Literal("a").annotations({ decodingFallback: () => Either.right("a" as const) }) })
}

describe("SchemaIs.is", () => {
  it("answers as Schema.is on the answers the API sends (valid, mutated and junk values)", () => {
    agreesWithEffect(Messages.Message, 300)
    agreesWithEffect(Messages.MessageTokensCount)
    agreesWithEffect(Messages.MessageStreamEvent, 300)
    agreesWithEffect(ModelInfo)
    agreesWithEffect(MessageBatch)
    agreesWithEffect(DeletedMessageBatch)
    agreesWithEffect(BatchResult, 300)
    agreesWithEffect(FileMetadata)
    agreesWithEffect(DeletedFile)
  })

  for (const [kind, schema] of Object.entries(everyKind)) {
    it(`answers as Schema.is for ${kind}`, () => {
      const effect = Schema.is(schema as Schema.Schema<unknown, unknown>)
      const compiled = SchemaIs.is(schema as Schema.Schema<unknown, unknown>)
      fc.assert(
        fc.property(fc.oneof(valuesOf(schema as Schema.Schema<unknown, unknown>), fc.anything()), (value) => {
          expect(compiled(value)).toBe(effect(value))
        }),
        { numRuns: 300, seed: 29 }
      )
    })
  }

  it("a node is compiled once, whatever schema reaches it (a page of some item is built per call)", () => {
    expect(SchemaIs.is(ModelInfo)).toBe(SchemaIs.is(ModelInfo))
    const item = Schema.Struct({ id: Schema.String })
    const page = () => Schema.Struct({ data: Schema.Array(item), has_more: Schema.Boolean })
    expect(SchemaIs.is(page())({ data: [{ id: "a" }], has_more: false })).toBe(true)
    expect(SchemaIs.is(page())({ data: [{ id: 1 }], has_more: false })).toBe(false)
    expect(SchemaIs.is(item)).toBe(SchemaIs.is(item))
  })

  it("refuses what the parser refuses, on hand-picked edges", () => {
    const cases: Array<[Schema.Schema<any, any>, unknown, boolean]> = [
      [everyKind.struct, { a: "x", c: undefined }, true],
      [everyKind.struct, { a: "x" }, false], // a required key, even of `unknown`, must be there: exact
      [everyKind.struct, { a: "x", b: undefined, c: 1 }, true], // `optional` admits undefined
      [everyKind.exactOptional, { b: undefined }, false], // an exact optional does not
      [everyKind.exactOptional, {}, true],
      [everyKind.struct, ["x"], false], // an array is not a struct
      [everyKind.struct, Object.assign(Object.create({ a: "x" }), { c: 1 }), false], // inherited keys are not own
      [everyKind.emptyStruct, [], true],
      [everyKind.emptyStruct, null, false],
      [everyKind.tupleFixed, ["a"], true],
      [everyKind.tupleFixed, ["a", 1, 2], false],
      [everyKind.tupleRest, ["a", true], true],
      [everyKind.tupleRest, ["a", 1, 2, true], true],
      [everyKind.tupleRest, ["a", 1, "no"], false],
      [everyKind.taggedUnion, { type: "document", source: "s" }, true],
      [everyKind.taggedUnion, { type: "text", source: "s" }, false],
      [everyKind.taggedUnion, { type: "x_new" }, true],
      [everyKind.taggedUnion, { kind: "text", n: 1 }, true],
      [everyKind.overlapping, { type: "a" }, true], // refused by its tag's member, taken by the untagged one
      [everyKind.overlapping, { type: "a", m: "no" }, false],
      [everyKind.numberTags, { v: 1 }, true],
      [everyKind.numberTags, { v: "1" }, true],
      [everyKind.numberTags, { v: 2 }, false],
      [everyKind.fallback, { type: "b" }, true],
      [everyKind.refinedKeys, { x1: 1, y: "not checked" }, true],
      [everyKind.refinedKeys, { x1: "no" }, false],
      [everyKind.suspend, { label: "a", children: [{ label: "b", children: [] }] }, true],
      [everyKind.suspend, { label: "a", children: [{ label: 1, children: [] }] }, false],
      [everyKind.literals, NaN, false],
      [Schema.Number, NaN, true]
    ]
    for (const [schema, value, expected] of cases) {
      expect([value, SchemaIs.is(schema)(value)]).toEqual([value, expected])
      expect(Schema.is(schema)(value)).toBe(expected)
    }
  })
})
