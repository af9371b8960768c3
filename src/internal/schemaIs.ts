/**
 * `Schema.is`, compiled to plain closures.
 *
 * Every answer the API sends is checked against its schema before it is handed out (`decodeAnswer`, batch results).
 * Effect 4's `Schema.is` runs its full parser for that: each node returns an `Exit`, builds its output object and is
 * ready to collect issues. Measured on one short Message (per call, warmed, medians of 9 runs, repeated on a shared
 * 2-core machine): `Schema.is` 1.9–4.4 µs on Node 20 and 22 (~12 µs where Effect is loaded through a CommonJS
 * transform, as `tsx` does for a `.ts` script), 0.95–1.05 µs on Bun; these closures, which only answer yes or no,
 * 0.45–1.0 µs on Node and 0.2–0.4 µs on Bun. Effect's `SchemaJITCompiler` gives the same answers in 0.65–2.5 µs on
 * Node, but it builds its code with `new Function` (refused by Workers and strict CSPs, where it falls back to the
 * parser) and installs it in a registry every user of the schema shares.
 *
 * The answers are `Schema.is`'s (a property test compares them on generated, mutated and junk values). A node this
 * does not know exactly is checked, with all below it, by Effect's own parser: a declaration, a template literal, a
 * node still carrying an encoding, an index signature keyed by anything but strings or symbols, a union reaching a
 * declaration (a class picks its union candidates by its own sentinels), and a check on a value the parser rebuilds
 * (a non-empty struct, an array, `void`, a union of those: the check sees the parser's output, not the input).
 */
import * as Schema from "effect/Schema"
import * as SchemaAST from "effect/SchemaAST"

type Check = (u: unknown) => boolean

/** A yes-or-no check of `schema`'s type side, the same as `Schema.is(schema)`. */
export const is = <A>(schema: Schema.Schema<A>): (u: unknown) => u is A =>
  compile(SchemaAST.toType(schema.ast)) as (u: unknown) => u is A

/**
 * Every node's check, kept as long as its node: a schema built per call (a page of some item) compiles only its own
 * new nodes.
 */
const memo = new WeakMap<SchemaAST.AST, Check>()

const compile = (ast: SchemaAST.AST): Check => {
  const known = memo.get(ast)
  if (known !== undefined) return known
  // A node can reach itself (through `Suspend`): the memo holds a forwarder until its check is built.
  let built: Check | undefined
  memo.set(ast, (u) => built!(u))
  try {
    built = compileNode(ast)
  } finally {
    // A node whose compiling threw is not left behind as a forwarder to nothing.
    if (built === undefined) memo.delete(ast)
  }
  memo.set(ast, built)
  return built
}

const byEffect = (ast: SchemaAST.AST): Check => Schema.is(Schema.make<Schema.Top>(ast))

const compileNode = (ast: SchemaAST.AST): Check => {
  const checks = ast.checks
  if (!isExact(ast, checks)) return byEffect(ast)
  const shape = compileShape(ast)
  return checks === undefined ? shape : withChecks(ast, checks, shape)
}

/** Whether the closures answer exactly as the parser does for this node (else the parser answers). */
const isExact = (ast: SchemaAST.AST, checks: SchemaAST.Checks | undefined): boolean => {
  if (ast.encoding !== undefined || hasEncodingChecks(ast)) return false
  if (checks !== undefined && !keepsInput(ast)) return false
  switch (ast._tag) {
    case "Declaration":
    case "TemplateLiteral":
      return false
    case "Objects":
      return ast.indexSignatures.every((signature) => keyKind(signature.parameter) !== undefined)
    case "Union":
      return !ast.types.some(reachesDeclaration)
    default:
      return true
  }
}

/** Checks on the encoded side (`toType` moves them to `checks`; one left over is the parser's to run). */
const hasEncodingChecks = (ast: SchemaAST.AST): boolean =>
  "encodingChecks" in ast && ast.encodingChecks !== undefined

/** Whether the parser's output is its input, so that a check sees the value itself. */
const keepsInput = (ast: SchemaAST.AST): boolean => {
  if (ast.encoding !== undefined) return false
  switch (ast._tag) {
    case "Objects":
      return ast.propertySignatures.length === 0 && ast.indexSignatures.length === 0
    case "Union":
      return ast.types.every(keepsInput)
    case "Void":
    case "Arrays":
    case "Suspend":
    case "Declaration":
      return false
    default:
      return true
  }
}

/** A declaration can tag itself (a class by its fields): the parser picks union members by those tags. */
const reachesDeclaration = (ast: SchemaAST.AST): boolean =>
  ast._tag === "Declaration" || (ast._tag === "Union" && ast.types.some(reachesDeclaration))

const compileShape = (ast: SchemaAST.AST): Check => {
  switch (ast._tag) {
    case "Null":
      return (u) => u === null
    case "Undefined":
      return (u) => u === undefined
    case "Void":
    case "Unknown":
    case "Any":
      return () => true
    case "Never":
      return () => false
    case "String":
      return (u) => typeof u === "string"
    case "Number":
      return (u) => typeof u === "number"
    case "Boolean":
      return (u) => typeof u === "boolean"
    case "BigInt":
      return (u) => typeof u === "bigint"
    case "Symbol":
      return (u) => typeof u === "symbol"
    case "Literal": {
      const literal = ast.literal
      return (u) => u === literal
    }
    case "UniqueSymbol": {
      const symbol = ast.symbol
      return (u) => u === symbol
    }
    case "ObjectKeyword":
      return (u) => (typeof u === "object" && u !== null) || typeof u === "function"
    case "Enum": {
      const values = new Set<unknown>(ast.enums.map(([, value]) => value))
      return (u) => values.has(u)
    }
    case "Arrays":
      return arrays(ast)
    case "Objects":
      return objects(ast)
    case "Union":
      return union(ast)
    case "Suspend": {
      let target: Check | undefined
      return (u) => (target ??= compile(ast.thunk()))(u)
    }
    case "Declaration":
    case "TemplateLiteral":
      return byEffect(ast)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Checks (filters)
// ---------------------------------------------------------------------------------------------------------------

/** The options `Schema.is` runs with (filters receive them). */
const parseOptions: SchemaAST.ParseOptions = {}

/** The node's shape, then its filters in order: the first that reports an issue refuses (errors: "first"). */
const withChecks = (ast: SchemaAST.AST, checks: SchemaAST.Checks, shape: Check): Check => {
  const filters = checks.flatMap(filtersOf)
  return (u) => {
    if (!shape(u)) return false
    for (let i = 0; i < filters.length; i++) if (filters[i]!.run(u, ast, parseOptions)) return false
    return true
  }
}

const filtersOf = (check: SchemaAST.Check<unknown>): Array<SchemaAST.Filter<unknown>> =>
  check._tag === "FilterGroup" ? check.checks.flatMap(filtersOf) : [check]

// ---------------------------------------------------------------------------------------------------------------
// Arrays
// ---------------------------------------------------------------------------------------------------------------

/**
 * Elements (optional ones only last, a missing one allowed), then the rest: its head for the middle, the fixed tail
 * (never optional) for the last items.
 */
const arrays = (ast: SchemaAST.Arrays): Check => {
  const elements = ast.elements.map(compile)
  const [head, ...tail] = ast.rest.map(compile)
  const required = ast.elements.filter((element) => !SchemaAST.isOptional(element)).length + tail.length
  if (head === undefined) {
    return (u) => Array.isArray(u) && u.length >= required && u.length <= elements.length && every(u, elements)
  }
  if (elements.length === 0 && tail.length === 0) return (u) => Array.isArray(u) && all(u, head, 0, u.length)
  return (u) => {
    if (!Array.isArray(u) || u.length < required || !every(u, elements)) return false
    const end = Math.max(elements.length, u.length - tail.length)
    if (!all(u, head, elements.length, end)) return false
    for (let i = end; i < u.length; i++) if (!tail[i - end]!(u[i])) return false
    return true
  }
}

/** The fixed elements that are present (a missing one is optional: the length was checked). */
const every = (u: ReadonlyArray<unknown>, elements: ReadonlyArray<Check>): boolean => {
  const present = Math.min(u.length, elements.length)
  for (let i = 0; i < present; i++) if (!elements[i]!(u[i])) return false
  return true
}

const all = (u: ReadonlyArray<unknown>, check: Check, from: number, to: number): boolean => {
  for (let i = from; i < to; i++) if (!check(u[i])) return false
  return true
}

// ---------------------------------------------------------------------------------------------------------------
// Objects
// ---------------------------------------------------------------------------------------------------------------

/**
 * The keys of `Object.prototype` (and `__proto__`): the parser takes them as own properties only, any other key also
 * when inherited (`name in input`).
 */
const prototypeKeys = new Set<PropertyKey>(Reflect.ownKeys(Object.prototype)).add("__proto__")

const ownOnly = (key: PropertyKey): boolean => prototypeKeys.has(typeof key === "number" ? String(key) : key)

/** Whether the parser sees a property `key` in `u` (an object). */
const hasKey = (u: object, key: PropertyKey, own: boolean): boolean => own ? Object.hasOwn(u, key) : key in u

const objects = (ast: SchemaAST.Objects): Check => {
  // An empty struct is anything but null and undefined (arrays and primitives too).
  if (ast.propertySignatures.length === 0 && ast.indexSignatures.length === 0) return (u) => u !== null && u !== undefined
  const names = ast.propertySignatures.map((ps) => ps.name)
  const own = names.map(ownOnly)
  const optional = ast.propertySignatures.map((ps) => SchemaAST.isOptional(ps.type))
  const types = ast.propertySignatures.map((ps) => compile(ps.type))
  const indexes = ast.indexSignatures.filter((signature) => !acceptsAll(signature.type)).map(indexSignature)
  return (u) => {
    if (typeof u !== "object" || u === null || Array.isArray(u)) return false
    const record = u as Record<PropertyKey, unknown>
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!
      if (!hasKey(record, name, own[i]!)) {
        if (optional[i]) continue
        return false
      }
      if (!types[i]!(record[name])) return false
    }
    for (let i = 0; i < indexes.length; i++) if (!indexes[i]!(record)) return false
    return true
  }
}

/** `unknown` or `any` values: nothing to check (`Record<string, unknown>`, the rest of an open object). */
const acceptsAll = (ast: SchemaAST.AST): boolean =>
  (ast._tag === "Unknown" || ast._tag === "Any") && ast.checks === undefined && ast.encoding === undefined

/** Strings (`Object.keys`) or enumerable symbols; other parameters (numbers, templates, unions) go to the parser. */
const keyKind = (parameter: SchemaAST.AST): "string" | "symbol" | undefined =>
  parameter.encoding !== undefined ? undefined
  : parameter._tag === "String" ? "string"
  : parameter._tag === "Symbol" ? "symbol"
  : undefined

/** Every key the parameter accepts (its filters too) holds a value of the type; other keys are excess: ignored. */
const indexSignature = (signature: SchemaAST.IndexSignature) => {
  const parameter = compile(signature.parameter)
  const type = compile(signature.type)
  if (keyKind(signature.parameter) === "symbol") {
    return (record: Record<PropertyKey, unknown>): boolean => {
      for (const key of Object.getOwnPropertySymbols(record)) {
        if (Object.prototype.propertyIsEnumerable.call(record, key) && parameter(key) && !type(record[key])) {
          return false
        }
      }
      return true
    }
  }
  return (record: Record<PropertyKey, unknown>): boolean => {
    for (const key of Object.keys(record)) if (parameter(key) && !type(record[key])) return false
    return true
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Unions
// ---------------------------------------------------------------------------------------------------------------

/**
 * Some member accepts the value ("oneOf": exactly one). The parser tries only the members a value's runtime type and
 * literal tags leave possible, but those it leaves out would refuse it (declarations aside: left to the parser), so
 * the answer is the same as trying all.
 */
const union = (ast: SchemaAST.Union): Check => {
  const members = ast.types.map(compile)
  if (ast.options?.mode === "oneOf") return (u) => accepting(members, u) === 1
  const literals = literalSet(ast.types)
  if (literals !== undefined) return (u) => literals.has(u)
  const key = tagKey(ast.types)
  return key === undefined ? (u) => some(members, u) : tagged(ast.types, members, key)
}

const some = (checks: ReadonlyArray<Check>, u: unknown): boolean => {
  for (let i = 0; i < checks.length; i++) if (checks[i]!(u)) return true
  return false
}

/** How many members accept `u`, counting up to two. */
const accepting = (checks: ReadonlyArray<Check>, u: unknown): number => {
  let count = 0
  for (let i = 0; i < checks.length && count < 2; i++) if (checks[i]!(u)) count++
  return count
}

/** Plain literals (`Schema.Literals`): one set look-up (`===` but for NaN and -0, which no literal differs by). */
const literalSet = (members: ReadonlyArray<SchemaAST.AST>): ReadonlySet<unknown> | undefined => {
  const values = members.map((member) =>
    member.checks !== undefined || member.encoding !== undefined ? undefined
    : member._tag === "Literal" ? member.literal
    : member._tag === "UniqueSymbol" ? member.symbol
    : undefined
  )
  return values.every((value) => value !== undefined) ? new Set(values) : undefined
}

/**
 * Members tagged by a string literal (`type: "text"`) looked up by the value's tag, the others tried in turn: a
 * tagged member refuses any other tag.
 */
const tagged = (types: ReadonlyArray<SchemaAST.AST>, members: ReadonlyArray<Check>, key: PropertyKey): Check => {
  const byTag = new Map<unknown, Array<Check>>()
  const untagged: Array<Check> = []
  types.forEach((type, i) => {
    const tags = tagsOf(type, key)
    if (tags.length === 0) untagged.push(members[i]!)
    for (const tag of tags) byTag.set(tag, [...(byTag.get(tag) ?? []), members[i]!])
  })
  return (u) => {
    // An absent or own-only inherited tag only adds candidates, which refuse the value.
    if (typeof u === "object" && u !== null) {
      const candidates = byTag.get((u as Record<PropertyKey, unknown>)[key])
      if (candidates !== undefined && some(candidates, u)) return true
    }
    return some(untagged, u)
  }
}

/** The property most struct members are tagged by, if any. */
const tagKey = (members: ReadonlyArray<SchemaAST.AST>): PropertyKey | undefined => {
  const counts = new Map<PropertyKey, number>()
  for (const member of members) {
    if (member._tag !== "Objects") continue
    for (const ps of member.propertySignatures) {
      if (stringLiterals(ps) !== undefined) counts.set(ps.name, (counts.get(ps.name) ?? 0) + 1)
    }
  }
  let best: PropertyKey | undefined
  for (const [name, count] of counts) if (best === undefined || count > counts.get(best)!) best = name
  return best
}

/** The tags a member requires at `key` (none: the member is tried for any value). */
const tagsOf = (member: SchemaAST.AST, key: PropertyKey): ReadonlyArray<string> => {
  if (member._tag !== "Objects") return []
  const ps = member.propertySignatures.find((candidate) => candidate.name === key)
  return (ps && stringLiterals(ps)) ?? []
}

/** A required property whose type is string literals (filters only narrow them): those literals. */
const stringLiterals = (ps: SchemaAST.PropertySignature): ReadonlyArray<string> | undefined => {
  if (SchemaAST.isOptional(ps.type)) return undefined
  const options = ps.type._tag === "Union" ? ps.type.types : [ps.type]
  const literals = options.map((option) =>
    option._tag === "Literal" && typeof option.literal === "string" ? option.literal : undefined
  )
  return literals.every((literal) => literal !== undefined) ? literals as Array<string> : undefined
}
