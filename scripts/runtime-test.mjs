// npm run test:runtimes: the packed library on the runtimes Effect runs on besides Node — Bun, Deno and Cloudflare
// Workers (workerd, through Miniflare) — each installed from the npm registry as a devDependency, no mock of them.
// Packs the library, installs the tarball into a fresh application, then on each runtime, against the stand-in on
// 127.0.0.1 (run here, on Node): the Promise client's create (its first attempt answered 429 with retry-after-ms,
// then retried), a stream read with `for await` and `finalMessage()`, `close()`, an Effect program on
// `AnthropicClient.layerConfig`; on Bun and Deno a call through an OAuth bundle due for refresh (the refresh takes
// the file's lock and rewrites it) and one through Claude Code credentials, and the process ending by itself; on
// Workers, a worker bundled by esbuild as wrangler bundles it, and a file-based mode refused with a typed error
// naming the runtime. Before the runtimes: the root entry's static imports (what importing `effect-anthropic` loads)
// hold neither the test kit, the CLI, the Redis store (nor ioredis), undici's package nor `node:http`.
import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as zlib from "node:zlib"
import { examplesOf, mismatch } from "./examples.mjs"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const work = fs.mkdtempSync(path.join(os.tmpdir(), "effect-anthropic-runtimes-"))
const app = path.join(work, "app")
// The Effect the library is built and tested against (its devDependency), installed beside the tarball.
const effectVersion = JSON.parse(fs.readFileSync(path.join(root, "node_modules/effect/package.json"), "utf8")).version
const npm = process.platform === "win32" ? "npm.cmd" : "npm"
const runtimes = {
  bun: [path.join(root, "node_modules/@oven/bun-linux-x64/bin/bun"), ["run", "process.mjs"]],
  deno: [path.join(root, "node_modules/@deno/linux-x64-glibc/deno"), ["run", "--allow-all", "--quiet", "process.mjs"]]
}
/** A bound on one runtime's run: it guards against a hang, not a slow machine (a run takes a few seconds). */
const RUN_BOUND_MS = 180_000

const step = (title) => console.log(`\n▸ ${title}`)
const check = (ok, message) => {
  if (!ok) throw new Error(message)
}
const echo = "echo: hello"

/** Run `command` in the app; its stdout once it has exited by itself with 0. */
const run = (command, args, env) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: app, env: { PATH: process.env.PATH, HOME: path.join(work, "home"), ...env } })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    const timer = setTimeout(() => child.kill("SIGKILL"), RUN_BOUND_MS)
    child.on("exit", (code, signal) => {
      clearTimeout(timer)
      if (code === 0) resolve(stdout)
      else reject(new Error(`${path.basename(command)} ${args.join(" ")} ended with ${signal ?? code}${signal ? " (still running after its bound: a handle left open?)" : ""}:\n${stdout}${stderr}`))
    })
  })

const commonChecks = (results, where) => {
  check(results.promise?.created === echo, `${where}: create answered ${JSON.stringify(results.promise)}`)
  check(results.promise.deltas > 0 && results.promise.final === echo, `${where}: the stream gave ${JSON.stringify(results.promise)}`)
  check(results.effect === echo, `${where}: the Effect program answered ${JSON.stringify(results.effect)}`)
}

const esbuild = await import(path.join(root, "node_modules/esbuild/lib/main.js"))
// As wrangler bundles for workerd with nodejs_compat: worker conditions, Node's built-ins left to the runtime.
const workerBuild = {
  bundle: true,
  write: false,
  format: "esm",
  platform: "neutral",
  conditions: ["workerd", "worker", "browser", "import"],
  mainFields: ["module", "main"],
  external: ["node:*", "cloudflare:*"],
  logLevel: "error"
}
const bundleWorker = async (entry) => (await esbuild.build({ ...workerBuild, entryPoints: [entry] })).outputFiles[0].text

/**
 * What importing `code` (in the app) loads: the modules reached through static imports alone (a dynamic
 * `import()` is loaded only when it runs), and the Node built-ins they import.
 */
const staticImportsOf = async (code) => {
  const { metafile } = await esbuild.build({ ...workerBuild, stdin: { contents: code, resolveDir: app, loader: "js" }, metafile: true })
  const modules = new Set()
  const builtins = new Set()
  const visit = (input) => {
    if (modules.has(input)) return
    modules.add(input)
    for (const i of metafile.inputs[input].imports) {
      if (i.kind !== "import-statement" && i.kind !== "require-call") continue
      if (i.external) builtins.add(i.path)
      else visit(i.path)
    }
  }
  visit("<stdin>")
  return { modules: [...modules].slice(1), builtins: [...builtins].sort() }
}

try {
  step("pack, and install the tarball into a fresh application")
  const packed = execFileSync(npm, ["pack", "--pack-destination", work, "--silent"], { cwd: root, encoding: "utf8" })
  fs.mkdirSync(app)
  fs.mkdirSync(path.join(work, "home"))
  fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "runtimes-app", private: true, type: "module" }))
  execFileSync(npm, ["install", "--no-audit", "--no-fund", `effect@${effectVersion}`, path.join(work, packed.trim().split("\n").at(-1))], {
    cwd: app,
    stdio: "ignore"
  })
  for (const file of fs.readdirSync(path.join(root, "test/runtimes"))) fs.copyFileSync(path.join(root, "test/runtimes", file), path.join(app, file))
  step("the root entry's static imports: no test kit, CLI, Redis store, undici, effect/Config, Effect's HTTP client or Node built-in but node:path")
  const rootEntry = await staticImportsOf('export * from "effect-anthropic"')
  check(rootEntry.modules.some((m) => m.endsWith("effect-anthropic/dist/esm/index.js")), `the root entry was not resolved: ${rootEntry.modules.slice(0, 5)}`)
  const unwanted = rootEntry.modules.filter((m) =>
    /effect-anthropic\/dist\/esm\/(testing|cli)\/|redisStore|node_modules\/(ioredis|undici|proper-lockfile)\//.test(m)
  )
  check(unwanted.length === 0, `importing the root entry loads ${unwanted.join(", ")}`)
  // Built-ins and effect/Config are taken when first used (each is milliseconds of a cold start): node:path alone is
  // imported, which Node has loaded before any program runs.
  const builtins = rootEntry.builtins.filter((b) => b !== "node:path")
  check(builtins.length === 0, `importing the root entry loads ${builtins.join(", ")}`)
  const config = rootEntry.modules.filter((m) => /node_modules\/effect\/dist\/Config(Provider)?\.js$/.test(m))
  check(config.length === 0, `importing the root entry loads ${config.join(", ")}`)
  // Effect's HTTP client is loaded when the first client is made. (effect/Schema itself imports Headers, Cookies and
  // UrlParams.)
  const http = rootEntry.modules.filter((m) => /node_modules\/effect\/dist\/(http\/Http|FileSystem\.js)/.test(m))
  check(http.length === 0, `importing the root entry loads ${http.join(", ")}`)
  console.log(`  ${rootEntry.modules.length} modules; Node built-ins: ${rootEntry.builtins.join(" ")}`)

  const StandIn = await import(path.join(app, "node_modules/effect-anthropic/dist/esm/testing/StandIn.js"))
  const standIn = await StandIn.start()
  standIn.oauth.requireIssuedTokens(true)
  const env = { ANTHROPIC_API_KEY: "sk-ant-api03-runtimes", ANTHROPIC_BASE_URL: standIn.url }

  try {
    for (const [name, [binary, args]] of Object.entries(runtimes)) {
      step(`${name} ${execFileSync(binary, ["--version"], { encoding: "utf8" }).trim().split("\n")[0]}`)
      const dir = fs.mkdtempSync(path.join(work, `${name}-`))
      const bundle = path.join(dir, "anthropic_oauth.json")
      const cli = path.join(dir, ".credentials.json")
      // Due for refresh (60 s before expiry) at once: the first call refreshes it under the file's lock.
      const due = standIn.oauth.issue(30)
      fs.writeFileSync(bundle, JSON.stringify({ access_token: due.access_token, refresh_token: due.refresh_token, expires_at: new Date(Date.now() + 30_000).toISOString() }), { mode: 0o600 })
      const fresh = standIn.oauth.issue(3600)
      fs.writeFileSync(cli, JSON.stringify({ claudeAiOauth: { accessToken: fresh.access_token, refreshToken: fresh.refresh_token, expiresAt: Date.now() + 3_600_000 } }), { mode: 0o600 })
      const sentBefore = standIn.requests.length
      const refreshesBefore = standIn.oauth.tokenRequests.length
      standIn.enqueue(StandIn.error(429, { retryAfterMs: "20" }))
      const out = await run(binary, args, { ...env, BUNDLE: bundle, CLI_CREDENTIALS: cli, TOKEN_URL: `${standIn.url}/v1/oauth/token` })
      const results = JSON.parse(out.trim().split("\n").at(-1))
      commonChecks(results, name)
      check(results.bundle?.kind === "oauth_bundle" && results.bundle.text === echo, `${name}: the bundle's call gave ${JSON.stringify(results.bundle)}`)
      check(results.cli?.kind === "cli_credentials" && results.cli.text === echo, `${name}: the CLI credentials' call gave ${JSON.stringify(results.cli)}`)
      const rewritten = JSON.parse(fs.readFileSync(bundle, "utf8"))
      check(rewritten.access_token !== due.access_token, `${name}: the bundle was not refreshed`)
      check(standIn.oauth.tokenRequests.length === refreshesBefore + 1, `${name}: ${standIn.oauth.tokenRequests.length - refreshesBefore} refreshes`)
      check(!fs.existsSync(`${bundle}.lock`), `${name}: the bundle's lock was left behind`)
      // create (429, then its retry), the stream, the Effect program, the two file credentials' calls.
      check(standIn.requests.length - sentBefore === 6, `${name}: ${standIn.requests.length - sentBefore} requests, not 6`)
      console.log(`  ${JSON.stringify(results)}`)
    }

    step("Cloudflare Workers (workerd through Miniflare), a worker bundled by esbuild")
    const script = await bundleWorker(path.join(app, "worker.mjs"))
    const kB = (bytes) => `${(bytes / 1024).toFixed(0)} kB`
    console.log(`  worker bundle: ${kB(Buffer.byteLength(script))} (${kB(zlib.gzipSync(script).length)} gzipped)`)
    const { Miniflare } = await import(path.join(root, "node_modules/miniflare/dist/src/index.js"))
    const sentBefore = standIn.requests.length
    standIn.enqueue(StandIn.error(429, { retryAfterMs: "20" }))
    const mf = new Miniflare({
      modules: [{ type: "ESModule", path: "worker.mjs", contents: script }],
      compatibilityDate: "2026-07-01",
      compatibilityFlags: ["nodejs_compat"],
      bindings: env
    })
    try {
      const response = await mf.dispatchFetch("http://worker.test/")
      const results = await response.json()
      check(response.status === 200, `workerd: the worker failed: ${JSON.stringify(results)}`)
      commonChecks(results, "workerd")
      check(/^NoCredentials: .*no file system on Cloudflare Workers: use api_key or setup_token/s.test(results.fileMode), `workerd: a file-based mode gave ${results.fileMode}`)
      check(standIn.requests.length - sentBefore === 4, `workerd: ${standIn.requests.length - sentBefore} requests, not 4`)
      console.log(`  ${JSON.stringify(results)}`)
    } finally {
      await mf.dispose()
    }

    step("Cloudflare Workers: the documentation's worker examples, bundled and answering as they promise")
    for (const example of examplesOf(root).filter((e) => e.kind === "worker")) {
      const file = path.join(app, "doc-worker.ts")
      fs.writeFileSync(file, example.code)
      const worker = new Miniflare({
        modules: [{ type: "ESModule", path: "worker.mjs", contents: await bundleWorker(file) }],
        compatibilityDate: "2026-07-01",
        compatibilityFlags: ["nodejs_compat"],
        bindings: env
      })
      try {
        // The request's body is the prompt; the answer's body what the example says it prints.
        const response = await worker.dispatchFetch("http://worker.test/", { method: "POST", body: "Hello from a worker" })
        const body = await response.text()
        check(response.status === 200, `${example.where}: the worker answered ${response.status}: ${body}`)
        const different = example.expected === undefined ? "has no text block after it" : mismatch(example.expected, body)
        check(different === undefined, `${example.where}: ${different}`)
        console.log(`  ${example.where}: ${JSON.stringify(body)}`)
      } finally {
        await worker.dispose()
      }
    }
  } finally {
    await standIn.close()
  }
  console.log("\nruntime test: all passed")
} catch (error) {
  console.error(`✗ ${error.message}`)
  process.exitCode = 1
} finally {
  fs.rmSync(work, { recursive: true, force: true })
}
