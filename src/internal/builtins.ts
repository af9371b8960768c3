/**
 * Node's built-in modules that only some calls need, taken when first used rather than when the library is
 * imported: `node:crypto`, `node:fs`, `node:os` and `node:stream` cost about 12 ms of a cold import on Node
 * (`npm run bench import`), and most programs never read a credential file, upload a file or log in. Bun, Deno and
 * Workers (`nodejs_compat`) have `process.getBuiltinModule` too; on Workers the file system is refused before `fs`
 * is ever asked for.
 */

/** `node:fs`, the extensible module object (not an ES namespace): `proper-lockfile` caches a fact on it. */
export const fs = () => process.getBuiltinModule("node:fs")

/** `node:crypto`. */
export const crypto = () => process.getBuiltinModule("node:crypto")

/** `node:os`. */
export const os = () => process.getBuiltinModule("node:os")

/** `node:stream`. */
export const stream = () => process.getBuiltinModule("node:stream")
