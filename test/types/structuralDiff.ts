/**
 * A type-level comparison of two JSON-shaped types, ours and the SDK's: every place where a value of one would not be
 * a value of the other, each as a string literal naming its path and what differs, e.g.
 * `"Message.usage.speed: \"turbo\" only in the SDK"`; `never` when the two agree. Used by `sdkParity.ts`.
 *
 * Both types are walked together: objects field by field (a field only one side has; a field optional on one side
 * only), unions of objects member by member (matched on their `type`, or their `role`), lists by their elements,
 * and strings, numbers, booleans and `null` value by value. Each place is compared both ways, so a field added,
 * removed or retyped on either side shows up, with its path.
 *
 * Four rules hold everywhere, since they are how this library writes every schema (`src/internal/messages/schema.ts`):
 *
 * - readonly is ignored: Effect's schemas are readonly, the SDK's types mutable; the values are the same.
 * - `maybe`: a field the SDK types `X | null` may be optional in ours (answers that leave it out are accepted).
 * - `openLiteral`: a string of ours that takes any string beside its known values (`"a" | (string & {})`, since the
 *   API adds values) agrees with a closed set of the SDK's when its known values are exactly that set.
 * - `openUnion`: a union member of ours whose `type` is any string (the catch-all that keeps kinds this library does
 *   not know) is matched with no member of the SDK's.
 */

type IsAny<T> = 0 extends 1 & T ? true : false
type IsUnknown<T> = IsAny<T> extends true ? false : unknown extends T ? true : false
type IsNever<T> = [T] extends [never] ? true : false
type IsUnion<T, All = T> = T extends unknown ? ([All] extends [T] ? false : true) : never

/** How deep the walk goes (the types compared are not recursive: this only bounds a mistake). */
type MaxDepth = 16
type Deeper<D extends ReadonlyArray<0>> = [...D, 0]

/** Strings (`string & {}` included), numbers, booleans, `null`. */
type Leaf<T> = T extends string ? T : T extends object ? never : T
type ListPart<T> = Extract<T, ReadonlyArray<unknown>>
type ObjectPart<T> = T extends string | ReadonlyArray<unknown> ? never : T extends object ? T : never
type ElementOf<T> = T extends ReadonlyArray<infer E> ? E : never

// ---------------------------------------------------------------------------------------------------------------
// Leaves
// ---------------------------------------------------------------------------------------------------------------

/** The members of a string union that take any string (`string`, `string & {}`). */
type Wide<T> = T extends unknown ? (string extends T ? T : never) : never
/** The members that are one value each. */
type Narrow<T> = T extends unknown ? (string extends T ? never : T) : never

type Show<T> = T extends string ? `"${T}"`
  : T extends number ? (number extends T ? "number" : `${T}`)
  : T extends boolean ? `${T}`
  : T extends null ? "null"
  : "a value"

type OnlyIn<Side extends string, Values, Path extends string> = Values extends unknown
  ? `${Path}: ${Show<Values>} only in ${Side}`
  : never

type CompareValues<A, B, Path extends string> =
  | OnlyIn<"ours", Exclude<A, B>, Path>
  | OnlyIn<"the SDK", Exclude<B, A>, Path>

/** Strings, with the `openLiteral` rule. */
type CompareStrings<A, B, Path extends string> = IsNever<Wide<A>> extends false ? (
    IsNever<Wide<B>> extends false ? never
      : IsNever<B> extends true ? `${Path}: a string only in ours`
      : IsNever<Narrow<A>> extends true ? `${Path}: any string in ours, a closed set in the SDK`
      : CompareValues<Narrow<A>, B, Path>
  )
  : IsNever<Wide<B>> extends false ? (
    IsNever<A> extends true ? `${Path}: a string only in the SDK` : `${Path}: any string in the SDK, a closed set in ours`
  )
  : CompareValues<A, B, Path>

type CompareLeaves<A, B, Path extends string> =
  | CompareStrings<Extract<A, string>, Extract<B, string>, Path>
  | CompareValues<Exclude<A, string>, Exclude<B, string>, Path>

// ---------------------------------------------------------------------------------------------------------------
// Objects
// ---------------------------------------------------------------------------------------------------------------

/** Keys that are not index signatures. */
type KnownKeys<T> = keyof { [K in keyof T as string extends K ? never : number extends K ? never : K]: 0 } & string
type HasIndex<T> = string extends keyof T ? true : false
type IndexValue<T> = T[string & keyof T]
type IsOptional<T, K extends string> = {} extends Pick<T, K & keyof T> ? true : false
type FieldOf<T, K extends string> = Exclude<T[K & keyof T], undefined>

/** A field only one side has: fine where the other side takes any other field, of a type that agrees. */
type OneSided<Side extends "ours" | "the SDK", Value, Other, Path extends string, D extends ReadonlyArray<0>> =
  HasIndex<Other> extends false ? `${Path}: only in ${Side}`
    : Side extends "ours" ? Compare<Value, IndexValue<Other>, Path, D>
    : Compare<IndexValue<Other>, Value, Path, D>

/** A field both sides have: whether it may be left out (with the `maybe` rule), then its values. */
type CompareField<A, B, K extends string, Path extends string, D extends ReadonlyArray<0>> =
  | (IsOptional<A, K> extends IsOptional<B, K> ? never
    : IsOptional<A, K> extends true ? (null extends B[K & keyof B] ? never : `${Path}: optional in ours, required in the SDK`)
    : `${Path}: required in ours, optional in the SDK`)
  | Compare<FieldOf<A, K>, FieldOf<B, K>, Path, D>

/** Two objects, field by field (`Skip`: the tag, when the caller has matched the members on it already). */
type CompareFields<A, B, Path extends string, Skip extends string, D extends ReadonlyArray<0>> =
  | {
    [K in Exclude<KnownKeys<A> | KnownKeys<B>, Skip>]: K extends KnownKeys<A>
      ? K extends KnownKeys<B> ? CompareField<A, B, K, `${Path}.${K}`, D>
      : OneSided<"ours", FieldOf<A, K>, B, `${Path}.${K}`, D>
      : OneSided<"the SDK", FieldOf<B, K>, A, `${Path}.${K}`, D>
  }[Exclude<KnownKeys<A> | KnownKeys<B>, Skip>]
  | (HasIndex<A> extends HasIndex<B> ? (HasIndex<A> extends true ? Compare<IndexValue<A>, IndexValue<B>, `${Path}[string]`, D> : never)
    : HasIndex<A> extends true ? `${Path}: any other field in ours only`
    : `${Path}: any other field in the SDK only`)

/**
 * The tag of a union member under `Key`: its literal(s), or `"*"` for a member without that key or whose value there
 * is any string (a catch-all).
 */
type TagOf<T, Key extends string> = Key extends keyof T
  ? NonNullable<T[Key]> extends infer Tag ? IsNever<Wide<Tag>> extends true ? Extract<Tag, string> : "*" : never
  : "*"
type TagsOf<U, Key extends string> = U extends unknown ? TagOf<U, Key> : never
type MemberByTag<U, Key extends string, Tag> = U extends unknown ? (Tag extends TagOf<U, Key> ? U : never) : never
type AnyKeyOf<U> = U extends unknown ? keyof U : never
/** What tells a union's members apart: `type`, else `role` (messages). */
type DiscriminantOf<U> = "type" extends AnyKeyOf<U> ? "type" : "role" extends AnyKeyOf<U> ? "role" : "type"

/** Unions of objects, member by member (our catch-all, tagged `"*"`, is matched with none of the SDK's). */
type CompareUnions<A, B, Path extends string, D extends ReadonlyArray<0>, Key extends string = DiscriminantOf<A | B>> = {
  [Tag in Exclude<TagsOf<A, Key>, "*"> | TagsOf<B, Key>]: CompareMembers<
    MemberByTag<A, Key, Tag>,
    MemberByTag<B, Key, Tag>,
    Tag extends "*" ? Path : `${Path}<${Tag}>`,
    Tag extends "*" ? never : Key,
    D
  >
}[Exclude<TagsOf<A, Key>, "*"> | TagsOf<B, Key>]

type CompareMembers<A, B, Path extends string, Skip extends string, D extends ReadonlyArray<0>> = IsNever<A> extends true
  ? `${Path}: only in the SDK`
  : IsNever<B> extends true ? `${Path}: only in ours`
  : CompareFields<A, B, Path, Skip, D>

type CompareObjects<A, B, Path extends string, D extends ReadonlyArray<0>> = IsNever<A> extends true
  ? (IsNever<B> extends true ? never : `${Path}: an object only in the SDK`)
  : IsNever<B> extends true ? `${Path}: an object only in ours`
  : true extends IsUnion<A> | IsUnion<B> ? CompareUnions<A, B, Path, D>
  : CompareFields<A, B, Path, never, D>

type CompareLists<A, B, Path extends string, D extends ReadonlyArray<0>> = IsNever<A> extends true
  ? (IsNever<B> extends true ? never : `${Path}: a list only in the SDK`)
  : IsNever<B> extends true ? `${Path}: a list only in ours`
  : Compare<ElementOf<A>, ElementOf<B>, `${Path}[]`, D>

// ---------------------------------------------------------------------------------------------------------------
// The comparison
// ---------------------------------------------------------------------------------------------------------------

/**
 * Every difference between `A` (ours) and `B` (the SDK's), as `"path: what"` strings rooted at `Path`; `never` when
 * they agree.
 */
export type Compare<A, B, Path extends string, D extends ReadonlyArray<0> = []> = D["length"] extends MaxDepth ? never
  : IsAny<A> | IsUnknown<A> extends false ? (
    IsAny<B> | IsUnknown<B> extends false ?
        | CompareLeaves<Leaf<A>, Leaf<B>, Path>
        | CompareLists<ListPart<A>, ListPart<B>, Path, Deeper<D>>
        | CompareObjects<ObjectPart<A>, ObjectPart<B>, Path, Deeper<D>>
      : `${Path}: typed in ours, unknown in the SDK`
  )
  : IsAny<B> | IsUnknown<B> extends false ? `${Path}: unknown in ours, typed in the SDK`
  : never
