// The specifiers a built ES module file imports or re-exports statically (`import()` left out), read from its text:
// minified files too (`import{a}from"b"`, several statements a line). Used by the build's check of the root's files
// and by the bench's row of the root's dependencies.
import { readFileSync } from "node:fs"

const STATIC_IMPORT = /(?:^|[;}\s])(?:import|export)\s*(?:[^;"'()]*?from\s*)?["']([^"']+)["']/gm

/** @param {string} file @returns {Array<string>} */
export const staticImportsOf = (file) => [...readFileSync(file, "utf8").matchAll(STATIC_IMPORT)].map(([, specifier]) => specifier)
