// npm run test:consumer: the library as an application meets it. Packs the library, installs the tarball into a
// fresh application (test/consumer: effect pinned to another 3.22 patch), then checks, failing at the first problem:
//   - one copy of effect in the application (npm ls), and no install-script warning of this package;
//   - an ES module consumer typechecks with NodeNext and Bundler resolution (strict), a CommonJS one with NodeNext;
//   - the TypeScript examples of README.md and docs/ typecheck as written, against the installed package, and each
//     runs against `npx effect-anthropic stand-in`, printing what the ```text block after it says;
//   - both consumers run against the loopback stand-in; `npx effect-anthropic status` and `demo` run;
//   - without @effect/ai installed (an optional peer), nothing of the above needs it;
//   - then with @effect/ai 0.37 and @effect/ai-anthropic 0.27 installed: the README's @effect/ai examples and an
//     application using this package's provider beside ai-anthropic's typecheck (skipLibCheck off: the two
//     augmentations must not clash) and run against the stand-in, and so do the examples on those packages;
//   - nothing prints Effect's "Executing an Effect versioned …" warning (a second runtime).
import { execFileSync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { examplesOf, needsOptionalPeer, runExample, startStandIn } from "./examples.mjs"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const work = fs.mkdtempSync(path.join(os.tmpdir(), "effect-anthropic-consumer-"))
const app = path.join(work, "app")
const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc")
const npm = process.platform === "win32" ? "npm.cmd" : "npm"

const step = (title) => console.log(`\n▸ ${title}`)
const fail = (message) => {
  console.error(`✗ ${message}`)
  process.exit(1)
}
/** Run a command; its output is returned, and shown when it fails. */
const run = (command, args, options = {}) => {
  const result = spawnSync(command, args, { cwd: app, encoding: "utf8", ...options, env: { ...process.env, ...options.env } })
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`
  if (result.status !== 0) fail(`${command} ${args.join(" ")} exited with ${result.status}:\n${output}`)
  if (/Executing an Effect versioned/.test(output)) fail(`a second Effect runtime: ${command} ${args.join(" ")}\n${output}`)
  return output
}

/** Runs the compiled examples of `folder`, each in a fresh directory with a HOME of its own. */
const runExamples = (examples, folder, env) => {
  let ran = 0
  examples.forEach((example, i) => {
    const file = path.join(app, "out", folder, `example-${i + 1}.js`)
    if (example.kind === "worker" || !fs.existsSync(file)) return
    const dir = fs.mkdtempSync(path.join(work, "example-"))
    fs.mkdirSync(path.join(dir, "home"))
    const failed = runExample(example, file, dir, { ...env, HOME: path.join(dir, "home") })
    if (failed !== undefined) fail(`the example at ${example.where} ${failed}`)
    ran++
  })
  console.log(`  ${ran} examples ran and printed what they promise`)
}

try {
  step("pack")
  const packed = execFileSync(npm, ["pack", "--pack-destination", work, "--silent"], { cwd: root, encoding: "utf8" })
  const tarball = path.join(work, packed.trim().split("\n").at(-1))

  step("install the tarball into an application with effect 3.22.3")
  fs.cpSync(path.join(root, "test", "consumer"), app, { recursive: true })
  const install = run(npm, ["install", "--no-audit", "--no-fund", tarball])
  if (/install-scripts[\s\S]*effect-anthropic@/.test(install)) fail(`effect-anthropic asks for an install script:\n${install}`)

  step("one copy of effect")
  const copies = execFileSync("find", ["node_modules", "-path", "*/effect/package.json", "-not", "-path", "*/@effect/*"], {
    cwd: app,
    encoding: "utf8"
  }).trim().split("\n").filter((line) => /(^|\/)node_modules\/effect\/package\.json$/.test(line))
  const versions = copies.map((file) => JSON.parse(fs.readFileSync(path.join(app, file), "utf8")).version)
  if (copies.length !== 1 || versions[0] !== "3.22.3") fail(`expected one effect@3.22.3, found ${copies.join(", ")} (${versions})`)
  run(npm, ["ls", "effect"])

  step("the TypeScript examples of README.md and docs/, as written")
  const examples = examplesOf(root)
  fs.mkdirSync(path.join(app, "readme"))
  fs.mkdirSync(path.join(app, "readme-ai"))
  // Each example is a module of its own (`export {}` makes even an import-free block one); those on an optional peer
  // are checked and run once it is installed.
  const folderOf = (example) => (needsOptionalPeer(example.code) ? "readme-ai" : "readme")
  examples.forEach((example, i) =>
    fs.writeFileSync(path.join(app, folderOf(example), `example-${i + 1}.ts`), `${example.code}\nexport {}\n`))
  const peerless = examples.filter((example) => folderOf(example) === "readme")
  console.log(`  ${peerless.length} examples (and ${examples.length - peerless.length} on an optional peer, below)`)

  step("typecheck: NodeNext (ESM + CommonJS + README) and Bundler (ESM + README), strict")
  run(process.execPath, [tsc, "-p", "tsconfig.nodenext.json"])
  run(process.execPath, [tsc, "-p", "tsconfig.bundler.json"])

  step("run the consumers against the stand-in")
  console.log(`  ${run(process.execPath, ["out/esm.js"]).trim()}`)
  console.log(`  ${run(process.execPath, ["out/cjs.cjs"]).trim()}`)

  step("the examples run against the stand-in (effect-anthropic stand-in), printing what they promise")
  const standIn = await startStandIn(app)
  try {
    runExamples(examples, "readme", standIn.env)

    step("the command line from the installed package")
  const home = path.join(work, "home")
  fs.mkdirSync(home)
  const status = run(npm, ["exec", "--", "effect-anthropic", "status"], {
    env: { HOME: home, ANTHROPIC_API_KEY: "sk-ant-api03-consumer-status", ANTHROPIC_AUTH_MODE: "" }
  })
  if (!/In use: api_key from ANTHROPIC_API_KEY/.test(status)) fail(`status did not use the environment's key:\n${status}`)
  if (/consumer-status/.test(status)) fail(`status printed the key:\n${status}`)
  const demo = run(npm, ["exec", "--", "effect-anthropic", "demo"], { env: { HOME: home } })
  if (!/Demo finished\./.test(demo)) fail(`the demo did not finish:\n${demo}`)

  step("with @effect/ai 0.37, @effect/ai-anthropic 0.27 and @effect/opentelemetry 0.64 installed")
  run(npm, [
    "install",
    "--no-audit",
    "--no-fund",
    "@effect/ai@0.37.0",
    "@effect/ai-anthropic@0.27.0",
    "@effect/opentelemetry@0.64.1",
    "@opentelemetry/api@1",
    "@opentelemetry/resources@2",
    "@opentelemetry/sdk-trace-base@2",
    "@opentelemetry/sdk-trace-node@2",
    "@opentelemetry/sdk-metrics@2",
    "@opentelemetry/semantic-conventions@1"
  ])
  run(npm, ["ls", "effect"])
  run(process.execPath, [tsc, "-p", "tsconfig.ai.json"])
  console.log(`  ${run(process.execPath, ["out/ai.js"]).trim()}`)
  runExamples(examples, "readme-ai", standIn.env)
  } finally {
    standIn.stop()
  }
  console.log("\nconsumer test: all passed")
} finally {
  fs.rmSync(work, { recursive: true, force: true })
}
