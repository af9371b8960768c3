/**
 * The bodies resources make of their own, imported by name so that a bundler keeps only these of `HttpBody` (a
 * module loaded with `import()` is kept whole).
 */
export { stream, uint8Array } from "effect/http/HttpBody"
