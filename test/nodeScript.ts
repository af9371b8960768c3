/**
 * Scripts the tests run as OS processes (workers sharing a Redis or a bundle, a script that must exit by itself),
 * bundled with the library's sources into one ES module that plain `node` starts. Through `tsx` each process spends
 * some 1.5 s of CPU resolving and compiling hundreds of modules, far more on a loaded machine; bundled, a fraction.
 * The bundle is the same sources, compiled by the same esbuild tsx uses.
 */
import * as esbuild from "esbuild"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process"
import { afterAll, beforeAll } from "vitest"

/** A bundled script: the file `node` runs, and a way to remove it. */
export interface BundledScript {
  readonly file: string
  readonly remove: () => Promise<void>
}

/** `entry` (TypeScript importing `src/`) and everything it imports, as one `.mjs` file in a temp dir of its own. */
export const bundleScript = async (entry: string): Promise<BundledScript> => {
  // Inside the project, so what the bundle leaves to run time (the optional ioredis) resolves from node_modules.
  const cache = path.resolve("node_modules/.cache")
  await fs.mkdir(cache, { recursive: true })
  const dir = await fs.mkdtemp(path.join(cache, "effect-anthropic-script-"))
  const file = path.join(dir, `${path.basename(entry, path.extname(entry))}.mjs`)
  await esbuild.build({
    entryPoints: [path.resolve(entry)],
    outfile: file,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "error",
    // The CommonJS packages in the bundle (ioredis, say) call `require` for Node's own modules.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" }
  })
  return { file, remove: () => fs.rm(dir, { recursive: true, force: true }) }
}

/** {@link bundleScript} once for a test file (or describe block): the bundle's path once `beforeAll` has run. */
export const bundledForFile = (entry: string): { readonly file: () => string } => {
  let bundled: BundledScript | undefined
  beforeAll(async () => {
    bundled = await bundleScript(entry)
  }, 60_000)
  afterAll(() => bundled?.remove())
  return {
    file: () => {
      if (bundled === undefined) throw new Error(`${entry} is bundled in beforeAll`)
      return bundled.file
    }
  }
}

/**
 * A worker process that prints `ready` once loaded, waits for a line on stdin (when to start), and prints its result
 * as JSON on its last line: `ready` resolves once it is loaded, `done` with that result (or fails with its stderr).
 */
export const startWorker = <R>(file: string, env: Record<string, string>): {
  readonly child: ChildProcessWithoutNullStreams
  readonly ready: Promise<void>
  readonly done: Promise<R>
  readonly start: (line: string | number) => void
} => {
  const child = spawn(process.execPath, [file], { env: { PATH: process.env.PATH ?? "", ...env }, timeout: 100_000 })
  let stdout = ""
  let stderr = ""
  let onReady: () => void
  const ready = new Promise<void>((resolve) => (onReady = resolve))
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString()
    if (stdout.startsWith("ready\n")) onReady()
  })
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
  const done = new Promise<R>((resolve, reject) =>
    child.once("exit", (code) =>
      code === 0 ? resolve(JSON.parse(stdout.trim().split("\n").at(-1)!)) : reject(new Error(`worker exited with ${code}:\n${stderr}`))
    )
  )
  return { child, ready, done, start: (line) => child.stdin.write(`${line}\n`) }
}
