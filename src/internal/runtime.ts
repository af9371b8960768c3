/**
 * Which JavaScript runtime this is, as far as the library cares: whether undici's dispatcher works here (Node and
 * Deno; Bun puts a module of its own in undici's place, and workerd forbids the WebAssembly undici compiles at run
 * time) and whether there is a file system (not on Cloudflare Workers, whose `node:fs` answers EPERM).
 */

/** The runtimes told apart. */
export type Runtime = "node" | "deno" | "bun" | "workerd" | "other"

const detect = (): Runtime => {
  const g = globalThis as {
    readonly Bun?: unknown
    readonly Deno?: unknown
    readonly navigator?: { readonly userAgent?: string }
    readonly process?: { readonly versions?: { readonly node?: string } }
    readonly WebSocketPair?: unknown
  }
  if (g.Bun !== undefined) return "bun"
  if (g.Deno !== undefined) return "deno"
  // Workers before Node (with `nodejs_compat` its `process` passes for Node's). `WebSocketPair` first: it is Workers'
  // own global, while Node builds its `navigator` when first read, loading `node:os` at import for nothing.
  if (g.WebSocketPair !== undefined && g.navigator?.userAgent === "Cloudflare-Workers") return "workerd"
  if (typeof g.process?.versions?.node === "string") return "node"
  return "other"
}

/** This runtime. */
export const runtime: Runtime = detect()

/** Its name for messages. */
export const runtimeName: Record<Runtime, string> = {
  node: "Node.js",
  deno: "Deno",
  bun: "Bun",
  workerd: "Cloudflare Workers",
  other: "this runtime"
}

/** Whether undici's own dispatcher runs here (else the `fetch` client is the default). */
export const undiciRuns: boolean = runtime === "node" || runtime === "deno"

/** Whether files can be read and written here. */
export const hasFileSystem: boolean = runtime !== "workerd" && runtime !== "other"

/** Why a file-based credential or configuration file cannot be used here. */
export const noFileSystem = `no file system on ${runtimeName[runtime]}: use api_key or setup_token`
