// npm run build: the library twice, as Effect's own packages ship it.
//   dist/esm  tsc's ES modules, declarations and source maps (what `import` and the CLI load)
//   dist/cjs  the same modules as CommonJS (what `require` loads), so a CommonJS program gets Effect's CommonJS build
//             too and never a second copy of Effect; the declarations are the ES ones, read as CommonJS there.
// The CommonJS files are each source file transpiled on its own (the sources are `isolatedModules`-safe).
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import ts from "typescript"
import { staticImportsOf } from "./staticImports.mjs"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const dist = path.join(root, "dist")
fs.rmSync(dist, { recursive: true, force: true })
execFileSync(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
  cwd: root,
  stdio: "inherit"
})

const esm = path.join(dist, "esm")
const cjs = path.join(dist, "cjs")
const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
  e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]
)
for (const file of walk(path.join(root, "src"))) {
  if (!file.endsWith(".ts") || file.includes(`${path.sep}cli${path.sep}`)) continue
  const relative = path.relative(path.join(root, "src"), file).replace(/\.ts$/, "")
  const { outputText } = ts.transpileModule(fs.readFileSync(file, "utf8"), {
    fileName: file,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      verbatimModuleSyntax: false
    }
  })
  fs.mkdirSync(path.dirname(path.join(cjs, relative)), { recursive: true })
  fs.writeFileSync(path.join(cjs, `${relative}.js`), outputText)
  for (const declaration of [".d.ts", ".d.ts.map"]) {
    fs.copyFileSync(path.join(esm, relative + declaration), path.join(cjs, relative + declaration))
  }
}
fs.writeFileSync(path.join(cjs, "package.json"), JSON.stringify({ type: "commonjs" }) + "\n")
fs.chmodSync(path.join(esm, "cli", "main.js"), 0o755)

// dist/node  the ES modules again, bundled, for runtimes that load them from disk (Node, Bun, Deno: the `default`
//            condition): a program that imports the root loads one file of this package instead of ~100 (on Node
//            each module file costs its own resolution, read and compile: about a quarter of the root's import time).
//            The entry points that are not in the root (the @effect/ai provider, the test kit) are entries of their
//            own sharing chunks with it, so every class exists once; the root's namespaces (`effect-anthropic/
//            Messages`, …) are the root's own objects re-exported. Bundlers for Workers and browsers (the `workerd`,
//            `worker`, `browser` conditions) get dist/esm, file by file, so they can leave out the modules a worker
//            never imports. Dependencies stay imports of their packages.
const esbuild = await import("esbuild")
const node = path.join(dist, "node")
const ownEntries = ["AiAnthropicCredentials", "AnthropicLanguageModel", "AnthropicTokenizer", "AnthropicTools", "ToolLoop", "testing/StandIn", "testing/TestLayers"]
// The root's modules in one chunk. esbuild puts each module in a chunk by the set of entry points that reach it, and
// counts a lazily imported module (`import()`) as an entry point of its own: the other entries and each lazily
// loaded module reaching different parts of the root carved it into 16 files, each one more module Node resolves,
// reads, compiles and links at import (the root in one chunk imports ~0.07× of the SDK's time faster in the bench).
// So every other entry that uses the root, and every lazily imported module, also imports the root: esbuild drops
// that import (the package is free of side effects) but counts it when it places modules, and the root's modules all
// have the same entry points. `AnthropicTools` uses nothing of the root and is left out: an entry given the import
// shares the root's chunk for esbuild's own helpers (`__export`) and would load the whole root with them; left out,
// the helpers get a chunk of their own (under 1 kB) that every entry imports. Checked below.
const rootIndex = path.join(esm, "index.js")
const usesNoRoot = new Set(["AnthropicTools"])
const entryFiles = new Set(ownEntries.filter((entry) => !usesNoRoot.has(entry)).map((entry) => path.join(esm, `${entry}.js`)))
const lazilyImported = new Set()
const oneRootChunk = {
  name: "one-root-chunk",
  setup(build) {
    build.onResolve({ filter: /^\./ }, (args) => {
      if (args.kind === "dynamic-import") lazilyImported.add(path.resolve(args.resolveDir, args.path))
      return undefined
    })
    build.onLoad({ filter: /\.js$/ }, (args) =>
      entryFiles.has(args.path) || lazilyImported.has(args.path)
        // At the end, so the file's own source map still lines up.
        ? { contents: `${fs.readFileSync(args.path, "utf8")}\nimport ${JSON.stringify(rootIndex)}\n`, loader: "js", resolveDir: path.dirname(args.path) }
        : undefined)
  }
}
await esbuild.build({
  entryPoints: ["index", ...ownEntries].map((entry) => ({ in: path.join(esm, `${entry}.js`), out: entry })),
  outdir: node,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  packages: "external",
  sourcemap: true,
  chunkNames: "chunks/[name]-[hash]",
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: "none",
  plugins: [oneRootChunk],
  logOverride: { "ignored-bare-import": "silent" },
  logLevel: "warning"
})
const ownStaticImports = (file) =>
  staticImportsOf(file).filter((specifier) => specifier.startsWith(".")).map((specifier) => path.resolve(path.dirname(file), specifier))
const rootFiles = new Set()
const visit = (file) => {
  if (rootFiles.has(file)) return
  rootFiles.add(file)
  for (const imported of ownStaticImports(file)) visit(imported)
}
visit(path.join(node, "index.js"))
// The entry, the chunk of the root's modules, and at most esbuild's helpers.
const rootCode = [...rootFiles].filter((file) => fs.statSync(file).size > 1024)
if (rootCode.length > 2 || rootFiles.size > 3) {
  throw new Error(`the root entry of dist/node is ${rootFiles.size} files, more than the entry, one chunk and esbuild's helpers: ${[...rootFiles].map((f) => path.relative(node, f)).join(", ")}`)
}
const rootModule = await import(pathToFileURL(path.join(esm, "index.js")).href)
const namespaces = { ...Object.fromEntries(Object.keys(rootModule).filter((name) => /^[A-Z]/.test(name) && typeof rootModule[name] === "object").map((name) => [name, name])), Promise: "PromiseClient" }
for (const [file, namespace] of Object.entries(namespaces)) {
  const names = Object.keys(rootModule[namespace]).filter((name) => name !== "default")
  fs.writeFileSync(
    path.join(node, `${file}.js`),
    `import { ${namespace} as namespace } from "./index.js"\nexport const { ${names.join(", ")} } = namespace\n`
  )
}
// The bundle's own package scope: Node looks up the nearest package.json of every importing file to resolve each of
// its bare imports (`effect/Schema`, …), and this package's (its `exports` map is 8 kB) is parsed again for each one.
// A two-field one beside the bundle makes importing the package into a program that has Effect loaded already about
// 15 ms faster on Node 22 (`npm run bench import`).
fs.writeFileSync(path.join(node, "package.json"), JSON.stringify({ type: "module", sideEffects: false }) + "\n")
