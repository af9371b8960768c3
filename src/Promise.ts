/**
 * The Promise client under its first name: the same module as `effect-anthropic/PromiseClient`, kept so existing
 * imports work. Import it as `PromiseClient` (or import `createClient` by name): a namespace called `Promise` would
 * hide the global `Promise` in the importing file.
 *
 * @since 0.1.0
 */
export * from "./PromiseClient.js"
