/**
 * Scripts the tests run as OS processes (workers sharing a Redis or a bundle, a script that must exit by itself),
 * bundled with the library's sources into one ES module that plain `node` starts. Through `tsx` each process spends
 * some 1.5 s of CPU resolving and compiling hundreds of modules, far more on a loaded machine; bundled, a fraction.
 * The bundle is the same sources, compiled by the same esbuild tsx uses.
 */
import * as esbuild from "esbuild"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll } from "vitest"

/** A bundled script: the file `node` runs, and a way to remove it. */
export interface BundledScript {
  readonly file: string
  readonly remove: () => Promise<void>
}

/** `entry` (TypeScript importing `src/`) and everything it imports, as one `.mjs` file in a temp dir of its own. */
export const bundleScript = async (entry: string): Promise<BundledScript> => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "effect-anthropic-script-"))
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
