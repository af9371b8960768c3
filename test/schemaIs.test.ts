import { describe, expect, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as SchemaAST from "effect/SchemaAST"
import * as fc from "fast-check"
import * as SchemaIs from "../src/internal/schemaIs.js"
import * as Messages from "../src/internal/messages/message.js"
import { lenient, maybe, openLiteral, openUnion } from "../src/internal/messages/schema.js"

// ---------------------------------------------------------------------------------------------------------------
// Values: valid (Effect's arbitrary of the schema), mutated (one part replaced or removed) and junk
// ---------------------------------------------------------------------------------------------------------------

/** What JSON carries, and what it cannot but a careless caller can (undefined, NaN, -0, symbols, tags of others). */
const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(undefined, null, NaN, -0, 0, "", Symbol.for("s"), 10n, [], {}, Object.create(null)),
  fc.constantFrom("text", "message", "tool_use", "thinking", "message_start", "content_block_delta", "succeeded"),
  fc.constantFrom("errored", "model", "file", "message_batch", "end_turn", "assistant", "ephemeral"),
  fc.array(fc.jsonValue(), { maxLength: 3 })
)

type Path = ReadonlyArray<string | number>

/** Every path into a value (objects and arrays), the value itself first. */
const pathsOf = (value: unknown, prefix: Path = []): Array<Path> => {
  if (typeof value !== "object" || value === null) return [prefix]
  const keys: Array<string | number> = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value)
  return [prefix, ...keys.flatMap((key) => pathsOf((value as Record<string | number, unknown>)[key], [...prefix, key]))]
}

/** A copy of `value` with the thing at `path` replaced (or, with `remove`, deleted from its object). */
const replaced = (value: unknown, path: Path, by: unknown, remove: boolean): unknown => {
  if (path.length === 0) return by
  const [key, ...rest] = path
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string | number, unknown>
  if (rest.length === 0 && remove && !Array.isArray(copy)) delete copy[key!]
  else copy[key!] = replaced(copy[key!], rest, by, remove)
  return copy
}

/** Valid values of the schema, drawn by Effect's own arbitrary (a fixed seed: the runs repeat). */
const samplesOf = (schema: Schema.Top, count: number): ReadonlyArray<unknown> =>
  Effect.runSync(Arbitrary.sampleEffect(Arbitrary.schema(schema), { count, seed: 29 }))

/** A copy of `value` with an excess key (of junk) in the object at `path` (nothing else changed). */
const extended = (value: unknown, path: Path, key: string, by: unknown): unknown => {
  const target = path.reduce<unknown>((at, k) => (at as Record<string | number, unknown>)[k], value)
  if (typeof target !== "object" || target === null || Array.isArray(target)) return value
  return replaced(value, path, { ...target, [key]: by }, false)
}

/** Valid values, the same with one part replaced by junk, removed or given an excess key, and junk. */
const valuesOf = (samples: ReadonlyArray<unknown>): fc.Arbitrary<unknown> => {
  if (samples.length === 0) return junk
  const valid = fc.constantFrom(...samples)
  const mutated = valid.chain((value) => {
    const paths = pathsOf(value)
    return fc.tuple(fc.integer({ min: 0, max: paths.length - 1 }), junk, fc.boolean()).map(([i, by, remove]) =>
      replaced(value, paths[i]!, by, remove)
    )
  })
  const excess = valid.chain((value) => {
    const paths = pathsOf(value)
    return fc.tuple(fc.integer({ min: 0, max: paths.length - 1 }), fc.constantFrom("extra", "type", "a"), junk).map(
      ([i, key, by]) => extended(value, paths[i]!, key, by)
    )
  })
  return fc.oneof(valid, mutated, mutated, excess, junk)
}

/** Anything fast-check makes, with the odd shapes (null prototypes, boxed values, sparse arrays) in. */
const anything = fc.anything({
  withNullPrototype: true,
  withBoxedValues: true,
  withSparseArray: true,
  withBigInt: true,
  withMap: true,
  withSet: true
})

/** The compiled check answers as `Schema.is` on every value; how many it accepted and refused. */
const compare = (schema: Schema.Top, values: fc.Arbitrary<unknown>, runs: number) => {
  const effect = Schema.is(schema)
  const compiled = SchemaIs.is(schema as Schema.Schema<unknown>)
  const seen = { accepted: 0, refused: 0 }
  fc.assert(
    fc.property(values, (value) => {
      const answer = compiled(value)
      expect(answer).toBe(effect(value))
      if (answer) seen.accepted++
      else seen.refused++
    }),
    { numRuns: runs, seed: 29 }
  )
  return seen
}

/** Agreement on valid, mutated and junk values, each answer given often enough for the comparison to mean much. */
const agreesWithEffect = (schema: Schema.Top, runs = 400) => {
  const seen = compare(schema, valuesOf(samplesOf(schema, 120)), runs)
  expect(seen.accepted).toBeGreaterThan(runs / 10)
  expect(seen.refused).toBeGreaterThan(runs / 10)
}

// ---------------------------------------------------------------------------------------------------------------
// The resources' answers: copies of `src/internal/resources/*` (mid-port, not importable here); keep them in step
// ---------------------------------------------------------------------------------------------------------------

const Support = Schema.Struct({ supported: Schema.Boolean })

const ModelInfo = Schema.Struct({
  type: Schema.Literal("model"),
  id: Schema.String,
  display_name: Schema.String,
  created_at: Schema.String,
  capabilities: maybe(lenient(Schema.Struct({
    batch: Support,
    context_management: Schema.Struct({ clear_thinking_20251015: Schema.NullOr(Support), supported: Schema.Boolean }),
    effort: Schema.Struct({ low: Support, xhigh: Schema.NullOr(Support), supported: Schema.Boolean })
  }))),
  deprecated_at: maybe(Schema.String),
  lifecycle: Schema.optional(openLiteral("active", "deprecated", "retired")),
  line: maybe(openLiteral("haiku", "sonnet", "opus")),
  max_input_tokens: maybe(Schema.Number)
})

const MessageBatch = Schema.Struct({
  type: Schema.Literal("message_batch"),
  id: Schema.String,
  processing_status: Schema.Literals(["in_progress", "canceling", "ended"]),
  request_counts: Schema.Struct({
    processing: Schema.Number,
    succeeded: Schema.Number,
    errored: Schema.Number,
    canceled: Schema.Number,
    expired: Schema.Number
  }),
  created_at: Schema.String,
  expires_at: Schema.String,
  ended_at: maybe(Schema.String),
  results_url: maybe(Schema.String)
})

const DeletedMessageBatch = Schema.Struct({ type: Schema.Literal("message_batch_deleted"), id: Schema.String })

const BatchResult = Schema.Struct({
  custom_id: Schema.String,
  result: openUnion(
    Schema.Struct({ type: Schema.Literal("succeeded"), message: Messages.Message }),
    Schema.Struct({
      type: Schema.Literal("errored"),
      error: Schema.Struct({
        type: Schema.Literal("error"),
        error: Schema.Struct({ type: Schema.String, message: Schema.String }),
        request_id: maybe(Schema.String)
      })
    }),
    Schema.Struct({ type: Schema.Literal("canceled") }),
    Schema.Struct({ type: Schema.Literal("expired") })
  )
})

const FileMetadata = Schema.Struct({
  type: Schema.Literal("file"),
  id: Schema.String,
  filename: Schema.String,
  size_bytes: Schema.Number,
  downloadable: Schema.optional(Schema.Boolean),
  expires_at: maybe(Schema.String),
  scope: maybe(lenient(Schema.Struct({ id: Schema.String, type: openLiteral("session") })))
})

const DeletedFile = Schema.Struct({ type: Schema.optional(Schema.Literal("file_deleted")), id: Schema.String })

/** A list page (`src/internal/http/pagination.ts`). */
const Page = <S extends Schema.Top>(item: S) =>
  Schema.Struct({
    data: Schema.Array(item),
    has_more: Schema.optional(Schema.Boolean),
    first_id: maybe(Schema.String),
    last_id: maybe(Schema.String)
  })

// ---------------------------------------------------------------------------------------------------------------
// One schema per kind of node, compiled or left to Effect
// ---------------------------------------------------------------------------------------------------------------

interface Tree {
  readonly label: string
  readonly children: ReadonlyArray<Tree>
}
const Tree: Schema.Codec<Tree> = Schema.Struct({
  label: Schema.String,
  children: Schema.Array(Schema.suspend((): Schema.Codec<Tree> => Tree))
})

enum Color {
  Red = "red",
  Blue = 2,
  Zero = 0
}

const unique = Symbol.for("schemaIs/unique")

class Point extends Schema.Class<Point>("Point")({ x: Schema.Number }) {}
class Circle extends Schema.TaggedClass<Circle>()("Circle", { r: Schema.Number }) {}
class Square extends Schema.TaggedClass<Square>()("Square", { side: Schema.Number }) {}

const Struct = Schema.Struct({ a: Schema.String, b: Schema.optional(Schema.Number), c: Schema.Unknown })
const ExactOptional = Schema.Struct({ b: Schema.optionalKey(Schema.Number) })
const TupleFixed = Schema.Tuple([Schema.String, Schema.optionalKey(Schema.Number)])
const TupleRest = Schema.TupleWithRest(Schema.Tuple([Schema.String]), [Schema.Number, Schema.Boolean])
const Overlapping = Schema.Union([
  Schema.Struct({ type: Schema.Literal("a"), n: Schema.Number }),
  Schema.Struct({ type: Schema.String, m: Schema.optional(Schema.Number) })
])
const OptionalTag = Schema.Union([
  Schema.Struct({ type: Schema.optionalKey(Schema.Literal("a")), n: Schema.Number }),
  Schema.Struct({ type: Schema.Literal("b") })
])

const everyKind: Record<string, Schema.Top> = {
  null: Schema.Null,
  undefined: Schema.Undefined,
  void: Schema.Void,
  voidWithCheck: Schema.Void.check(Schema.makeFilter((u) => u === undefined)),
  never: Schema.Never,
  unknown: Schema.Unknown,
  any: Schema.Any,
  keywords: Schema.Union([Schema.String, Schema.Number, Schema.Boolean, Schema.BigInt, Schema.Symbol]),
  literals: Schema.Literals(["a", 1, true, 0, 2n]),
  literalWithCheck: Schema.Union([Schema.Literal("a").check(Schema.makeFilter(() => false)), Schema.Literal("b")]),
  uniqueSymbol: Schema.UniqueSymbol(unique),
  objectKeyword: Schema.ObjectKeyword,
  enum: Schema.Enum(Color),
  checks: Schema.Number.check(Schema.isInt(), Schema.isBetween({ minimum: 0, maximum: 10 })),
  checkGroup: Schema.String.check(Schema.makeFilterGroup([Schema.isMinLength(1), Schema.isMaxLength(3)])),
  finite: Schema.Finite,
  transformation: Schema.NumberFromString,
  tupleFixed: TupleFixed,
  tupleRest: TupleRest,
  array: Schema.Array(Schema.Number),
  arrayWithCheck: Schema.Array(Schema.Number).check(Schema.isMaxLength(2)),
  arrayOfStructsWithCheck: Schema.Array(Schema.Struct({ a: Schema.Number })).check(
    Schema.makeFilter((items) => items.every((item) => Object.keys(item).length === 1))
  ),
  emptyStruct: Schema.Struct({}),
  struct: Struct,
  exactOptional: ExactOptional,
  prototypeKeys: Schema.Struct({ toString: Schema.optionalKey(Schema.Unknown), constructor: Schema.Unknown }),
  structWithCheck: Schema.Struct({ a: Schema.optional(Schema.Number) }).check(Schema.isMinProperties(1)),
  record: Schema.Record(Schema.String, Schema.Number),
  recordOfCheckedUnknown: Schema.Record(Schema.String, Schema.Unknown.check(Schema.makeFilter((u) => u !== 0))),
  refinedKeys: Schema.Record(Schema.String.check(Schema.isStartingWith("x")), Schema.Number),
  symbolKeys: Schema.Record(Schema.Symbol, Schema.String),
  numberKeys: Schema.Record(Schema.Number, Schema.String),
  templateKeys: Schema.Record(Schema.TemplateLiteral(["x_", Schema.String]), Schema.Number),
  literalKeys: Schema.Record(Schema.Literals(["a", "b"]), Schema.Number),
  structWithRest: Schema.StructWithRest(Schema.Struct({ type: Schema.String }), [
    Schema.Record(Schema.String, Schema.String)
  ]),
  taggedUnion: Schema.Union([
    Schema.Struct({ type: Schema.Literal("text"), text: Schema.String }),
    Schema.Struct({ type: Schema.Literals(["image", "document"]), source: Schema.String }),
    Schema.Struct({ kind: Schema.Literal("text"), n: Schema.Number }),
    Schema.Struct({ type: Schema.String.check(Schema.makeFilter((type) => type.startsWith("x_"))) })
  ]),
  overlapping: Overlapping,
  optionalTag: OptionalTag,
  numberTags: Schema.Union([Schema.Struct({ v: Schema.Literal(1) }), Schema.Struct({ v: Schema.Literal("1") })]),
  tupleTags: Schema.Union([
    Schema.Tuple([Schema.Literal("a"), Schema.Number]),
    Schema.Tuple([Schema.Literal("b"), Schema.String])
  ]),
  oneOf: Schema.Union([Schema.String, Schema.String.check(Schema.isMinLength(1))], { mode: "oneOf" }),
  unionWithCheck: Schema.Union([Schema.String, Schema.Number]).check(Schema.makeFilter((u) => u !== "no")),
  unionOfStructsWithCheck: Schema.Union([Schema.Struct({ a: Schema.Number }), Schema.Struct({ b: Schema.String })])
    .check(Schema.makeFilter((u) => Object.keys(u).length === 1)),
  suspend: Tree,
  declaration: Schema.Date,
  option: Schema.Option(Schema.Number),
  class: Point,
  taggedClasses: Schema.Union([Circle, Square, Schema.Struct({ _tag: Schema.Literal("Circle"), r: Schema.String })]),
  templateLiteral: Schema.TemplateLiteral(["msg_", Schema.String])
}

/** Kinds that answer one way for every value. */
const oneAnswer = new Set(["void", "voidWithCheck", "never", "unknown", "any"])

// ---------------------------------------------------------------------------------------------------------------

describe("SchemaIs.is", () => {
  it("answers as Schema.is on the answers the API sends (valid, mutated and junk values)", () => {
    agreesWithEffect(Messages.Message, 400)
    agreesWithEffect(Messages.MessageTokensCount)
    agreesWithEffect(Messages.MessageStreamEvent, 400)
    agreesWithEffect(ModelInfo)
    agreesWithEffect(Page(ModelInfo))
    agreesWithEffect(MessageBatch)
    agreesWithEffect(DeletedMessageBatch)
    agreesWithEffect(BatchResult, 400)
    agreesWithEffect(FileMetadata)
    agreesWithEffect(DeletedFile)
  })

  for (const [kind, schema] of Object.entries(everyKind)) {
    it(`answers as Schema.is for ${kind}`, () => {
      const samples = kind === "never" ? [] : samplesOf(schema, 60)
      const seen = compare(schema, fc.oneof(valuesOf(samples), anything), 300)
      if (!oneAnswer.has(kind)) {
        expect(seen.accepted).toBeGreaterThan(0)
        expect(seen.refused).toBeGreaterThan(0)
      }
    })
  }

  it("answers as the parser does on hand-picked edges", () => {
    const inherited = Object.assign(Object.create({ a: "x" }), { c: 1 })
    const sparse = ["a", 1]
    delete sparse[1]
    const hidden = Symbol.for("hidden")
    const symbols = Object.defineProperty({ [unique]: "x" }, hidden, { value: 1, enumerable: false })
    const retagged = Object.defineProperty(new Circle({ r: 1 }), "_tag", { value: "Square" })
    const cases: Array<[Schema.Top, unknown, boolean]> = [
      // A required key must be there, even of `unknown`; `optional` admits undefined, `optionalKey` does not.
      [Struct, { a: "x", c: undefined }, true],
      [Struct, { a: "x" }, false],
      [Struct, { a: "x", b: undefined, c: 1 }, true],
      [ExactOptional, { b: undefined }, false],
      [ExactOptional, {}, true],
      // Arrays are not structs, but an empty struct takes anything but null and undefined.
      [Struct, ["x"], false],
      [everyKind.emptyStruct!, [], true],
      [everyKind.emptyStruct!, "s", true],
      [everyKind.emptyStruct!, null, false],
      // Inherited keys count, but for the keys of Object.prototype.
      [Struct, inherited, true],
      [everyKind.prototypeKeys!, {}, false],
      [everyKind.prototypeKeys!, { constructor: 1 }, true],
      [Struct, Object.assign(Object.create(null), { a: "x", c: 1 }), true],
      // The check of a struct sees the parser's output, excess keys gone.
      [everyKind.structWithCheck!, { b: 1 }, false],
      [everyKind.structWithCheck!, { a: 1 }, true],
      [everyKind.arrayOfStructsWithCheck!, [{ a: 1, b: 2 }], true],
      [everyKind.unionOfStructsWithCheck!, { a: 1, b: "x" }, true],
      [TupleFixed, ["a"], true],
      [TupleFixed, ["a", undefined], false],
      [TupleFixed, ["a", 1, 2], false],
      [TupleFixed, sparse, false],
      [TupleRest, ["a", true], true],
      [TupleRest, ["a", 1, 2, true], true],
      [TupleRest, ["a", 1, "no"], false],
      [TupleRest, ["a"], false],
      [everyKind.taggedUnion!, { type: "document", source: "s" }, true],
      [everyKind.taggedUnion!, { type: "text", source: "s" }, false],
      [everyKind.taggedUnion!, { type: "x_new" }, true],
      [everyKind.taggedUnion!, { kind: "text", n: 1 }, true],
      // Refused by its tag's member, taken by the untagged one.
      [Overlapping, { type: "a" }, true],
      [Overlapping, { type: "a", m: "no" }, false],
      [Overlapping, Object.create({ type: "a", n: 1 }), true],
      // A member whose tag is optional is tried for any value.
      [OptionalTag, { n: 1 }, true],
      [OptionalTag, { type: "b", n: 1 }, true],
      [OptionalTag, { type: "a" }, false],
      [everyKind.literalWithCheck!, "a", false],
      [everyKind.numberTags!, { v: 1 }, true],
      [everyKind.numberTags!, { v: "1" }, true],
      [everyKind.numberTags!, { v: 2 }, false],
      [everyKind.oneOf!, "", true],
      [everyKind.oneOf!, "a", false],
      [everyKind.refinedKeys!, { x1: 1, y: "not checked" }, true],
      [everyKind.refinedKeys!, { x1: "no" }, false],
      [everyKind.record!, { [unique]: "not checked" }, true],
      [everyKind.symbolKeys!, symbols, true],
      [everyKind.symbolKeys!, { [unique]: 1 }, false],
      [everyKind.structWithRest!, { type: "a", b: "c" }, true],
      [everyKind.structWithRest!, { type: "a", n: 1 }, false],
      [Tree, { label: "a", children: [{ label: "b", children: [] }] }, true],
      [Tree, { label: "a", children: [{ label: 1, children: [] }] }, false],
      [everyKind.literals!, NaN, false],
      [everyKind.literals!, -0, true],
      [Schema.Literal(0), -0, true],
      [everyKind.enum!, -0, true],
      [Schema.Number, NaN, true],
      [everyKind.finite!, NaN, false],
      [everyKind.void!, "anything", true],
      [Point, new Point({ x: 1 }), true],
      [Point, { x: 1 }, false],
      [everyKind.taggedClasses!, new Circle({ r: 1 }), true],
      [everyKind.taggedClasses!, { _tag: "Circle", r: "1" }, true],
      [everyKind.taggedClasses!, { _tag: "Circle", r: 1 }, false],
      // The parser picks a declaration by its tag: a Circle retagged "Square" is no member's.
      [everyKind.taggedClasses!, retagged, false],
      [Circle, retagged, true]
    ]
    for (const [schema, value, expected] of cases) {
      expect([value, SchemaIs.is(schema as Schema.Schema<unknown>)(value)]).toEqual([value, expected])
      expect([value, Schema.is(schema)(value)]).toEqual([value, expected])
    }
  })

  it("compiles a node once, whatever schema reaches it (a page of some item is built per call)", () => {
    // A node whose reads of its checks are counted: the compiler reads them once per compiling.
    const base = Schema.String.check(Schema.isMinLength(1)).ast
    let reads = 0
    const counted = Object.create(Object.getPrototypeOf(base), {
      ...Object.getOwnPropertyDescriptors(base),
      checks: { get: () => (reads++, base.checks) }
    }) as SchemaAST.AST
    const item = Schema.Struct({ id: Schema.make<Schema.Codec<string>>(counted) })
    const pages = [Page(item), Page(item), Schema.Struct({ items: Schema.Array(item) })]
    reads = 0
    for (const page of pages) {
      const is = SchemaIs.is(page as Schema.Top as Schema.Schema<unknown>)
      expect(is({ data: [{ id: "a" }], items: [{ id: "a" }] })).toBe(true)
      expect(is({ data: [{ id: "" }], items: [{ id: "" }] })).toBe(false)
    }
    expect(reads).toBe(1)
    expect(SchemaIs.is(item)).toBe(SchemaIs.is(item))
    expect(SchemaIs.is(Schema.make<typeof item>(item.ast))).toBe(SchemaIs.is(item))
  })

  it("leaves nothing in its memo when compiling throws", () => {
    // A node that throws the first time the compiler asks what it is.
    let armed = false
    const flaky = Object.create(Object.getPrototypeOf(SchemaAST.string), {
      ...Object.getOwnPropertyDescriptors(SchemaAST.string),
      _tag: {
        get: () => {
          if (!armed) return "String"
          armed = false
          throw new Error("flaky")
        }
      }
    }) as SchemaAST.AST
    const schema = Schema.Struct({ a: Schema.make<Schema.Codec<string>>(flaky) })
    armed = true
    expect(() => SchemaIs.is(schema)).toThrow("flaky")
    const is = SchemaIs.is(schema)
    expect(is({ a: "x" })).toBe(true)
    expect(is({ a: 1 })).toBe(false)
  })
})
