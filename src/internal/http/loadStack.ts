/**
 * The HTTP stack (`stack.ts`), loaded when the first client is made, a client layer built or a token
 * requested, rather than when the library is imported: Effect's HTTP modules are a sixth of a cold import of the root
 * on Node, and a program that imports the library without calling the API (a CLI's `--help`, a Worker's global
 * scope) does not pay for them.
 */
import { lazyImport } from "../lazyImport.js"

export const loadStack = lazyImport(() => import("./stack.js"))
