/**
 * `Schema.is`, compiled to plain closures.
 *
 * Every answer the API sends is checked against its schema before it is handed out. Effect's `Schema.is` runs the
 * full parser for that: each node returns an `Either`, builds its output object and is ready to collect issues, so
 * checking one short Message took ~3 µs of a ~27 µs call on Bun (a tenth of the library's own CPU per call). This
 * compiles the same AST into closures that only answer yes or no, with the same answers as `Schema.is` (a property
 * test compares them on generated and mutated values); a node it does not know (a declaration, a template literal,
 * a node with parse options or a decoding fallback) is checked by Effect's own parser.
 */
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"

type Check = (u: unknown) => boolean

/** The options `Schema.is` runs with (refinements receive them). */
const isOptions: AST.ParseOptions = { exact: true }

/** A yes-or-no check of `schema`'s type side, the same as `Schema.is(schema)`. */
export const is = <A, I, R>(schema: Schema.Schema<A, I, R>): (u: unknown) => u is A =>
  compile(AST.typeAST(schema.ast)) as (u: unknown) => u is A

/**
 * Every node's check, kept as long as its node: a schema built per call (a page of some item) compiles only its own
 * new nodes, as Effect's parser memoizes them.
 */
const memo = new WeakMap<AST.AST, Check>()

const compile = (ast: AST.AST): Check => {
  const known = memo.get(ast)
  if (known !== undefined) return known
  // A node can reach itself (through `Suspend`): the memo holds a forwarder until its check is built.
  let built: Check | undefined
  memo.set(ast, (u) => built!(u))
  try {
    built = hasParseAnnotations(ast) ? byEffect(ast) : compileNode(ast)
  } finally {
    // A node whose compiling threw is not left behind as a forwarder to nothing.
    if (built === undefined) memo.delete(ast)
  }
  memo.set(ast, built)
  return built
}

/** Parse options and decoding fallbacks change what the parser answers: those nodes are left to it. */
const hasParseAnnotations = (ast: AST.AST): boolean =>
  Option.isSome(AST.getParseOptionsAnnotation(ast)) || Option.isSome(AST.getDecodingFallbackAnnotation(ast))

const byEffect = (ast: AST.AST): Check => ParseResult.is(Schema.make(ast))

const compileNode = (ast: AST.AST): Check => {
  switch (ast._tag) {
    case "Literal": {
      const literal = ast.literal
      return (u) => u === literal
    }
    case "UniqueSymbol": {
      const symbol = ast.symbol
      return (u) => u === symbol
    }
    case "UndefinedKeyword":
      return (u) => u === undefined
    case "NeverKeyword":
      return () => false
    case "UnknownKeyword":
    case "AnyKeyword":
    case "VoidKeyword":
      return () => true
    case "StringKeyword":
      return (u) => typeof u === "string"
    case "NumberKeyword":
      return (u) => typeof u === "number"
    case "BooleanKeyword":
      return (u) => typeof u === "boolean"
    case "BigIntKeyword":
      return (u) => typeof u === "bigint"
    case "SymbolKeyword":
      return (u) => typeof u === "symbol"
    case "ObjectKeyword":
      return (u) => (typeof u === "object" && u !== null) || typeof u === "function"
    case "Enums": {
      const values = ast.enums.map(([, value]) => value)
      return (u) => values.includes(u as string | number)
    }
    case "Refinement":
      return refinement(ast)
    case "TupleType":
      return tuple(ast)
    case "TypeLiteral":
      return typeLiteral(ast)
    case "Union":
      return union(ast)
    case "Suspend": {
      let target: Check | undefined
      return (u) => (target ??= compile(ast.f()))(u)
    }
    case "Transformation":
      return compile(AST.typeAST(ast))
    case "Declaration":
    case "TemplateLiteral":
      return byEffect(ast)
  }
}

const refinement = (ast: AST.Refinement): Check => {
  const from = compile(ast.from)
  return (u) => from(u) && Option.isNone(ast.filter(u, isOptions, ast))
}

const tuple = (ast: AST.TupleType): Check => {
  const elements = ast.elements.map((element) => compile(element.type))
  const optional = ast.elements.map((element) => element.isOptional)
  const [head, ...tail] = ast.rest.map((rest) => compile(rest.type))
  const required = optional.filter((isOptional) => !isOptional).length + tail.length
  if (head === undefined) {
    return (u) => Array.isArray(u) && u.length >= required && u.length <= elements.length && everyElement(u, elements)
  }
  return (u) => {
    if (!Array.isArray(u) || u.length < required || !everyElement(u, elements)) return false
    const end = Math.max(elements.length, u.length - tail.length)
    for (let i = elements.length; i < end; i++) if (!head(u[i])) return false
    for (let j = 0; j < tail.length && end + j < u.length; j++) if (!tail[j]!(u[end + j])) return false
    return true
  }
}

/** The fixed elements that are present (a missing one is optional: the length was checked). */
const everyElement = (u: ReadonlyArray<unknown>, elements: ReadonlyArray<Check>): boolean => {
  const present = Math.min(u.length, elements.length)
  for (let i = 0; i < present; i++) if (!elements[i]!(u[i])) return false
  return true
}

const typeLiteral = (ast: AST.TypeLiteral): Check => {
  if (ast.propertySignatures.length === 0 && ast.indexSignatures.length === 0) {
    return (u) => u !== null && u !== undefined
  }
  const names = ast.propertySignatures.map((ps) => ps.name)
  const optional = ast.propertySignatures.map((ps) => ps.isOptional)
  const types = ast.propertySignatures.map((ps) => compile(ps.type))
  const indexes = ast.indexSignatures.map((signature) => indexSignature(signature))
  return (u) => {
    if (typeof u !== "object" || u === null || Array.isArray(u)) return false
    const record = u as Record<PropertyKey, unknown>
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!
      if (!Object.prototype.hasOwnProperty.call(record, name)) {
        if (optional[i]) continue
        return false
      }
      if (!types[i]!(record[name])) return false
    }
    for (let i = 0; i < indexes.length; i++) if (!indexes[i]!(record)) return false
    return true
  }
}

/** Every key the signature's parameter accepts holds a value of its type (other keys are excess: ignored). */
const indexSignature = (signature: AST.IndexSignature) => {
  const parameter = compile(signature.parameter)
  const type = compile(signature.type)
  const symbols = keyKind(signature.parameter) === "symbol"
  return (record: Record<PropertyKey, unknown>): boolean => {
    const keys: ReadonlyArray<PropertyKey> = symbols ? Object.getOwnPropertySymbols(record) : Object.keys(record)
    for (const key of keys) if (parameter(key) && !type(record[key])) return false
    return true
  }
}

const keyKind = (parameter: AST.AST): "string" | "symbol" =>
  parameter._tag === "Refinement" ? keyKind(parameter.from) : parameter._tag === "SymbolKeyword" ? "symbol" : "string"

/**
 * Some member accepts the value. Members tagged by a string literal (`type: "text"`) are looked up by the value's
 * tag, the others tried in turn: a tagged member refuses any other tag, so the answer is the same as trying all.
 */
const union = (ast: AST.Union): Check => {
  const key = tagKey(ast.types)
  const byTag = new Map<string, Array<Check>>()
  const untagged: Array<Check> = []
  for (const member of ast.types) {
    const check = compile(member)
    const tags = key === undefined ? [] : tagsOf(member, key)
    if (tags.length === 0) untagged.push(check)
    for (const tag of tags) byTag.set(tag, [...(byTag.get(tag) ?? []), check])
  }
  return (u) => {
    if (key !== undefined && typeof u === "object" && u !== null) {
      const tag = (u as Record<PropertyKey, unknown>)[key]
      const tagged = typeof tag === "string" && Object.prototype.hasOwnProperty.call(u, key) ? byTag.get(tag) : undefined
      if (tagged !== undefined && some(tagged, u)) return true
    }
    return some(untagged, u)
  }
}

const some = (checks: ReadonlyArray<Check>, u: unknown): boolean => {
  for (let i = 0; i < checks.length; i++) if (checks[i]!(u)) return true
  return false
}

/** The property most members are tagged by, if any. */
const tagKey = (members: ReadonlyArray<AST.AST>): PropertyKey | undefined => {
  const counts = new Map<PropertyKey, number>()
  for (const member of members) {
    if (member._tag !== "TypeLiteral") continue
    for (const ps of member.propertySignatures) {
      if (stringLiterals(ps) !== undefined) counts.set(ps.name, (counts.get(ps.name) ?? 0) + 1)
    }
  }
  let best: PropertyKey | undefined
  for (const [name, count] of counts) if (best === undefined || count > counts.get(best)!) best = name
  return best
}

/** The tags a member requires at `key` (none: the member is tried for any value). */
const tagsOf = (member: AST.AST, key: PropertyKey): ReadonlyArray<string> => {
  if (member._tag !== "TypeLiteral" || hasParseAnnotations(member)) return []
  const ps = member.propertySignatures.find((candidate) => candidate.name === key)
  return (ps && stringLiterals(ps)) ?? []
}

/** A required property whose type is string literals: those literals. */
const stringLiterals = (ps: AST.PropertySignature): ReadonlyArray<string> | undefined => {
  if (ps.isOptional || hasParseAnnotations(ps.type)) return undefined
  const options = ps.type._tag === "Union" ? ps.type.types : [ps.type]
  const literals = options.map((option) =>
    option._tag === "Literal" && typeof option.literal === "string" && !hasParseAnnotations(option) ? option.literal : undefined
  )
  return literals.every((literal) => literal !== undefined) ? literals as Array<string> : undefined
}
