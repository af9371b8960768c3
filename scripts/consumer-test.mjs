// npm run test:consumer: the library as an application meets it. Packs the library, installs the tarball into a
// fresh application (test/consumer: effect and @types/node of its own, pinned), then checks, failing at the first
// problem:
//   - one copy of effect in the application (on disk and `npm ls`), the application's; no install-script warning of
//     this package; no optional peer (@effect/opentelemetry, ioredis) installed by it;
//   - an ES module consumer typechecks with NodeNext and Bundler resolution (strict, skipLibCheck off), a CommonJS
//     one with NodeNext, and so does an application on Effect AI (`effect/ai/*`, part of effect 4: this package's
//     provider, ToolLoop, tokenizer and AiAnthropicCredentials' client transformation);
//   - the TypeScript examples of README.md and docs/ typecheck as written, against the installed package, and each
//     runs against `npx effect-anthropic stand-in`, printing what the ```text block after it says; examples/*.ts
//     typecheck too, and the ones that run offline or against the stand-in run;
//   - the three consumers run against the loopback stand-in (the CommonJS one `require`s the package's CommonJS
//     build, which `require`s effect's ES modules on Node 22: the same module instances as `import()`);
//   - `npx effect-anthropic status` and `demo` run from the installed package;
//   - without the optional peers, nothing of the above needs them; then with @effect/opentelemetry (at effect's
//     version) and the @opentelemetry packages its NodeSdk loads installed the way the docs say (one `npm install`),
//     the examples on them typecheck and run, and there is still one copy of effect.
// Effect 4 prints no warning of a second copy of itself (Effect 3's "Executing an Effect versioned …"), so the copies
// are counted on disk after each install.
// @effect/ai-anthropic is not installed: it has no release for effect 4.1 (its 4.0 betas import effect/unstable/*).
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
const consumer = JSON.parse(fs.readFileSync(path.join(root, "test", "consumer", "package.json"), "utf8"))
const effectVersion = consumer.dependencies.effect

// The optional peers are installed as a user would: @effect/opentelemetry at effect's version, and every
// @opentelemetry package its NodeSdk loads, in one command so npm picks versions within its peer ranges.
const OPENTELEMETRY = [
  `@effect/opentelemetry@${effectVersion}`,
  "@opentelemetry/api",
  "@opentelemetry/api-logs",
  "@opentelemetry/resources",
  "@opentelemetry/sdk-logs",
  "@opentelemetry/sdk-metrics",
  "@opentelemetry/sdk-trace-base",
  "@opentelemetry/sdk-trace-node",
  "@opentelemetry/semantic-conventions"
]

const step = (title) => console.log(`\n▸ ${title}`)
const fail = (message) => {
  console.error(`✗ ${message}`)
  process.exit(1)
}
/** Run a command; its output is returned, and shown when it fails. */
const run = (command, args, options = {}) => {
  const result = spawnSync(command, args, { cwd: app, encoding: "utf8", ...options, env: { ...process.env, ...options.env } })
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`
  if (result.status !== 0) fail(`${command} ${args.join(" ")} exited with ${result.status ?? result.signal}:\n${output}`)
  return output
}

/** Exactly one effect in the application's node_modules, at the version it pins. */
const oneEffect = () => {
  const copies = execFileSync("find", ["node_modules", "-path", "*/effect/package.json", "-not", "-path", "*/@effect/*"], {
    cwd: app,
    encoding: "utf8"
  }).trim().split("\n").filter((line) => /(^|\/)node_modules\/effect\/package\.json$/.test(line))
  const versions = copies.map((file) => JSON.parse(fs.readFileSync(path.join(app, file), "utf8")).version)
  if (copies.length !== 1 || versions[0] !== effectVersion) {
    fail(`expected one effect@${effectVersion}, found ${copies.join(", ")} (${versions})`)
  }
  run(npm, ["ls", "effect"])
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

/** Runs one compiled file of examples/ in a fresh directory over a bare environment; returns its stdout. */
const runRepositoryExample = (name, env) => {
  const dir = fs.mkdtempSync(path.join(work, "example-"))
  fs.mkdirSync(path.join(dir, "home"))
  return run(process.execPath, [path.join(app, "out", "examples", `${name}.js`)], {
    cwd: dir,
    env: { ...env, HOME: path.join(dir, "home") }
  })
}

try {
  step("pack")
  const packed = execFileSync(npm, ["pack", "--pack-destination", work, "--silent"], { cwd: root, encoding: "utf8" })
  const tarball = path.join(work, packed.trim().split("\n").at(-1))

  step(`install the tarball into an application with effect ${effectVersion}`)
  fs.cpSync(path.join(root, "test", "consumer"), app, { recursive: true })
  const install = run(npm, ["install", "--no-audit", "--no-fund", tarball])
  if (/install-scripts[\s\S]*effect-anthropic@/.test(install)) fail(`effect-anthropic asks for an install script:\n${install}`)

  step("one copy of effect, and no optional peer installed")
  oneEffect()
  for (const peer of ["@effect/opentelemetry", "ioredis", "@opentelemetry/api"]) {
    if (fs.existsSync(path.join(app, "node_modules", peer))) fail(`${peer} was installed, but it is an optional peer`)
  }

  step("the TypeScript examples of README.md and docs/, as written, and examples/")
  const examples = examplesOf(root)
  for (const folder of ["readme", "readme-otel", "examples"]) fs.mkdirSync(path.join(app, folder))
  // Each example is a module of its own (`export {}` makes even an import-free block one); those on an optional peer
  // are checked and run once it is installed.
  const folderOf = (example) => (needsOptionalPeer(example.code) ? "readme-otel" : "readme")
  examples.forEach((example, i) =>
    fs.writeFileSync(path.join(app, folderOf(example), `example-${i + 1}.ts`), `${example.code}\nexport {}\n`))
  const peerless = examples.filter((example) => folderOf(example) === "readme")
  console.log(`  ${peerless.length} examples (and ${examples.length - peerless.length} on an optional peer, below)`)
  const repositoryExamples = fs.readdirSync(path.join(root, "examples")).filter((file) => file.endsWith(".ts"))
  for (const file of repositoryExamples) fs.copyFileSync(path.join(root, "examples", file), path.join(app, "examples", file))
  console.log(`  and ${repositoryExamples.length} files of examples/`)

  step("typecheck: NodeNext (ESM + CommonJS + Effect AI + README + examples/) and Bundler (ESM + Effect AI + README), strict")
  run(process.execPath, [tsc, "-p", "tsconfig.nodenext.json"])
  run(process.execPath, [tsc, "-p", "tsconfig.bundler.json"])

  step("run the consumers against the stand-in")
  console.log(`  ${run(process.execPath, ["out/esm.js"]).trim()}`)
  console.log(`  ${run(process.execPath, ["out/cjs.cjs"]).trim()}`)
  console.log(`  ${run(process.execPath, ["out/ai.js"]).trim()}`)

  step("the examples run against the stand-in (effect-anthropic stand-in), printing what they promise")
  const standIn = await startStandIn(app)
  try {
    runExamples(examples, "readme", standIn.env)
    const bare = { PATH: process.env.PATH, ...standIn.env }
    const promised = runRepositoryExample("promise", bare)
    if (!/echo: Hello, Claude/.test(promised)) fail(`examples/promise.ts did not print the echo:\n${promised}`)
    runRepositoryExample("testing", { PATH: process.env.PATH })
    console.log("  examples/promise.ts and examples/testing.ts ran")

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

    step(`with the optional peers: ${OPENTELEMETRY.join(" ")}`)
    run(npm, ["install", "--no-audit", "--no-fund", ...OPENTELEMETRY])
    oneEffect()
    run(process.execPath, [tsc, "-p", "tsconfig.otel.json"])
    runExamples(examples, "readme-otel", standIn.env)
  } finally {
    standIn.stop()
  }
  console.log("\nconsumer test: all passed")
} finally {
  fs.rmSync(work, { recursive: true, force: true })
}
