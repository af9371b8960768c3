/**
 * Field groups several Messages modules spread into their structs (internal: not re-exported).
 */
import * as Schema from "effect/Schema"
import { CacheControl } from "./common.js"
import { maybe } from "./schema.js"

/** A block, tool or request that may carry a prompt caching breakpoint. */
export const cacheable = { cache_control: maybe(CacheControl) }

/** A request's form of a block: the response's fields and a cache breakpoint. */
export const param = <Fields extends Schema.Struct.Fields>(fields: Fields) => Schema.Struct({ ...fields, ...cacheable })
