/**
 * The file system the credential files are locked and written through: Node's own `fs`, as a `Context.Reference`
 * so that nothing has to provide it. Tests put a wrapper of the real `fs` in its place to produce what a loopback
 * test cannot produce for real: a read-only mount, a full disk, the order of a write's system calls.
 */
import * as Context from "effect/Context"
import type nodeFs from "node:fs"
import * as Builtins from "../builtins.js"

/**
 * The parts of `node:fs` used: the promise API for writes, the callback API for `proper-lockfile`. It must be an
 * extensible object (not the ES module namespace): `proper-lockfile` caches a fact about the file system on it.
 */
export type FileSystem = typeof nodeFs

// A `Context.Reference` is a value (there is no class form); provided and read as the class was.
export const SecretFileSystem: Context.Reference<FileSystem> = Context.Reference<FileSystem>(
  "effect-anthropic/internal/SecretFileSystem",
  { defaultValue: Builtins.fs }
)
