/**
 * The API's list endpoints, a page at a time or as one `Stream` over every page.
 *
 * Two page shapes exist: `{ data, has_more, first_id, last_id }` with `after_id` / `before_id` cursors (models,
 * batches, files as documented), and `{ data, next_page }` with a `page` token (newer endpoints). Both are read.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { invalidRequest } from "./request.js"
import { type CallError, type InvalidRequest, Other } from "../errors.js"
import { decodeAnswer } from "./decodeAnswer.js"
import { maybe } from "../messages/schema.js"

/**
 * A page of a list.
 *
 * @since 0.2.0
 * @category models
 */
export interface Page<A> {
  readonly data: ReadonlyArray<A>
  readonly has_more?: boolean | undefined
  readonly first_id?: string | null | undefined
  readonly last_id?: string | null | undefined
  /** The token of the next page, on endpoints that paginate by token. */
  readonly next_page?: string | null | undefined
}

/**
 * The schema of a page of `item`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const Page = <A, I>(item: Schema.Codec<A, I>): Schema.Codec<Page<A>, Page<I>> =>
  Schema.Struct({
    data: Schema.Array(item),
    has_more: Schema.optional(Schema.Boolean),
    first_id: maybe(Schema.String),
    last_id: maybe(Schema.String),
    next_page: maybe(Schema.String)
  })

/**
 * Where a list starts and how long its pages are. With `before_id`, a `Stream` walks backwards (each next page
 * before the first id of the last); otherwise forwards from `after_id` (or the start).
 *
 * @since 0.2.0
 * @category models
 */
export interface PageParams {
  /** Items per page (the API's default is 20, its maximum 1000). */
  readonly limit?: number | undefined
  readonly after_id?: string | undefined
  readonly before_id?: string | undefined
  /** A page token from `next_page`, on endpoints that paginate by token. */
  readonly page?: string | undefined
}

/**
 * The page after `page`, or `None` at the end. An empty page is the end whatever it claims (as the official SDK
 * has it): a server answering empty pages with a fresh cursor each time would otherwise be listed for ever. A page
 * that claims more but names no way on, or a way on the walk has already taken (a cursor or token seen before: the
 * server pointing back, however many pages), is the API's fault: the stream fails instead of going round for ever.
 */
const nextParams = <P extends PageParams>(
  params: P,
  page: Page<unknown>,
  what: string,
  seen: Set<string>
): Either<Option.Option<P>> => {
  if (page.has_more === false || page.data.length === 0) return ok(Option.none())
  if (typeof page.next_page === "string" && page.next_page !== "") {
    if (seen.has(`page:${page.next_page}`)) return stuck(what)
    seen.add(`page:${page.next_page}`)
    // A token replaces the cursors: sending both would ask for two places at once.
    const { after_id: _a, before_id: _b, ...rest } = params
    return ok(Option.some({ ...rest, page: page.next_page } as P))
  }
  if (page.has_more !== true) return ok(Option.none())
  const backwards = params.before_id !== undefined
  const cursor = backwards ? page.first_id : page.last_id
  if (typeof cursor !== "string" || cursor === "") {
    return bad(`a page of ${what} says has_more but gives no ${backwards ? "first_id" : "last_id"} to go on from`)
  }
  if (seen.has(`id:${cursor}`)) return stuck(what)
  seen.add(`id:${cursor}`)
  return ok(Option.some(backwards ? { ...params, before_id: cursor } : { ...params, after_id: cursor }))
}

type Either<A> = { readonly ok: true; readonly value: A } | { readonly ok: false; readonly error: Other }
const ok = <A>(value: A): Either<A> => ({ ok: true, value })
const bad = (why: string): Either<never> => ({
  ok: false,
  error: new Other({ status: 200, errorType: "invalid_response", apiMessage: why, retryable: false })
})
const stuck = (what: string) => bad(`a page of ${what} points back to a page already listed`)

/**
 * Whether `page` lists anything the walk has not listed yet (items are told apart by their `id`; items without one
 * always count as new). A page of items all listed before, under a fresh cursor, is the walk going round.
 */
const bringsNew = (page: Page<unknown>, listed: Set<string>): boolean => {
  let fresh = false
  for (const item of page.data) {
    const id = (item as { readonly id?: unknown } | null)?.id
    if (typeof id !== "string") fresh = true
    else if (!listed.has(id)) {
      listed.add(id)
      fresh = true
    }
  }
  return fresh
}

/** `limit` out of the API's range: refused before anything is sent. */
const badLimit = (params: PageParams): InvalidRequest | undefined => {
  const limit: unknown = params.limit
  return limit === undefined || (typeof limit === "number" && Number.isInteger(limit) && limit >= 1 && limit <= 1000)
    ? undefined
    : invalidRequest("limit must be a whole number from 1 to 1000")
}

/**
 * A list endpoint: `page(params)` fetches one page (checked against its schema), `all(params)` is every item from
 * there on as a `Stream`, fetching the next page only when the items before it have been taken.
 */
export const makeList = <A, I, P extends PageParams>(
  item: Schema.Codec<A, I>,
  what: string,
  fetch: (params: P) => Effect.Effect<unknown, CallError>
) => {
  const decode = decodeAnswer(Page(item), `page of ${what}`)
  const page = (params: P): Effect.Effect<Page<A>, CallError> => {
    const refused = badLimit(params)
    return refused === undefined ? Effect.flatMap(fetch(params), decode) : Effect.fail(refused)
  }
  const all = (params: P): Stream.Stream<A, CallError> =>
    Stream.suspend(() => {
      // The cursors of this walk: each next page must be one not listed yet; and the ids it listed, each page
      // bringing at least one new.
      const seen = new Set<string>()
      const listed = new Set<string>()
      if (params.after_id !== undefined) seen.add(`id:${params.after_id}`)
      if (params.before_id !== undefined) seen.add(`id:${params.before_id}`)
      if (params.page !== undefined) seen.add(`page:${params.page}`)
      return Stream.paginate(params, (current) =>
        Effect.flatMap(page(current), (answer) => {
          const next = answer.data.length === 0 || bringsNew(answer, listed)
            ? nextParams(current, answer, what, seen)
            : bad(`a page of ${what} lists only items already listed`)
          return next.ok ? Effect.succeed([answer.data, next.value] as const) : Effect.fail(next.error)
        }))
    })
  return { page, all }
}

/** The query of a list call: the page params, and `undefined` left out by the HTTP layer. */
export const pageQuery = (params: PageParams): Record<string, string | number | undefined> => ({
  limit: params.limit,
  after_id: params.after_id,
  before_id: params.before_id,
  page: params.page
})
