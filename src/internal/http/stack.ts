/**
 * Everything of this library that runs on Effect's HTTP modules, behind one `import()` (`loadStack`): the client
 * stack, its retry policy, the undici and `fetch` clients, the bodies resources make, the OAuth token request. One
 * boundary, not one per piece: a bundler splits the code the library's import and each lazily loaded piece share into
 * chunks of their own, and every extra file is a module Node resolves, reads and compiles at import.
 */
export * as Client from "./client.js"
export * as Retry from "./retry.js"
export * as Undici from "./undici.js"
export * as Fetch from "./fetch.js"
export * as Bodies from "./bodies.js"
export * as TokenEndpoint from "./tokenEndpoint.js"
