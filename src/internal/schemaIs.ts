/**
 * `Schema.is`, made once per schema.
 *
 * Every answer the API sends is checked against its schema before it is handed out, so this check is on the hot
 * path of every call. Effect 4: the v3 version compiled the schema's AST into closures that only answered yes or no
 * (its `Schema.is` ran the full parser: ~3 µs of a ~27 µs call for one short Message on Bun); Effect 4's parser and
 * its `Schema.is` are new (candidate members of a union picked by tag and runtime type, parsers cached per AST node),
 * so this uses `Schema.is` as it is until the compiled checks are re-measured against it.
 */
import * as Schema from "effect/Schema"
import type * as AST from "effect/SchemaAST"

type Check = (u: unknown) => boolean

/**
 * Every schema's check, kept as long as its AST: a schema made once answers with the same check, and a schema built
 * per call (a page of some item) reuses the parsers Effect keeps for the nodes it shares with earlier ones.
 */
const memo = new WeakMap<AST.AST, Check>()

/** A yes-or-no check of `schema`'s type side: `Schema.is(schema)`. */
export const is = <A>(schema: Schema.Schema<A>): (u: unknown) => u is A => {
  let check = memo.get(schema.ast)
  if (check === undefined) {
    check = Schema.is(schema)
    memo.set(schema.ast, check)
  }
  return check as (u: unknown) => u is A
}
