// The TypeScript examples of README.md and docs/*.md, and what each prints. An example is a ```ts block; the
// ```text block right after it is what it prints on stdout, line by line (`…` in a line stands for any text: an id,
// a time; a line that is only `⋮` for any number of lines: an exporter's dump around what matters). A ```ts worker block is a Cloudflare Worker (run by the runtime test); every other example runs on Node,
// against the loopback stand-in, with the environment `effect-anthropic stand-in` prints.
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"

/** Every example of the documentation: where it is, its code, its kind and the output it promises. */
export const examplesOf = (root) => {
  const docs = path.join(root, "docs")
  const pages = fs.existsSync(docs) ? fs.readdirSync(docs).filter((f) => f.endsWith(".md")).sort() : []
  const files = ["README.md", ...pages.map((f) => `docs/${f}`)]
  return files.flatMap((file) => blocksOf(file, fs.readFileSync(path.join(root, file), "utf8")))
}

const blocksOf = (file, text) => {
  const fence = /^```([^\n]*)\n([\s\S]*?)^```[ \t]*$/gm
  const blocks = [...text.matchAll(fence)].map((m) => ({
    info: m[1].trim(),
    body: m[2],
    start: m.index,
    end: m.index + m[0].length,
    line: text.slice(0, m.index).split("\n").length
  }))
  return blocks.flatMap((block, i) => {
    const [language, kind = "node"] = block.info.split(/\s+/)
    if (language !== "ts") return []
    const next = blocks[i + 1]
    const adjacent = next !== undefined && next.info === "text" && text.slice(block.end, next.start).trim() === ""
    return [{ where: `${file}:${block.line}`, code: block.body, kind, expected: adjacent ? next.body : undefined }]
  })
}

/**
 * Whether an example needs an optional peer installed first: `@effect/opentelemetry` (with the `@opentelemetry/*`
 * packages it runs on) or `ioredis`. `effect/ai/*` ships with effect: the AI examples need nothing more.
 */
export const needsOptionalPeer = (code) => /from "(@effect\/opentelemetry|@opentelemetry\/|ioredis)/.test(code)

/** The difference between what an example printed and what it promises, or undefined when they agree. */
export const mismatch = (expected, actual) => {
  const lines = (text) => text.replace(/\r/g, "").split("\n").map((l) => l.trimEnd()).join("\n").trimEnd().split("\n")
  const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
  const pattern = lines(expected).map((line) =>
    line === "⋮" ? "(?:[^\\n]*\\n)*?" : `${line.split("…").map(escape).join("[^\\n]*")}\\n`
  ).join("")
  const printed = `${lines(actual).join("\n")}\n`
  if (new RegExp(`^${pattern}$`).test(printed)) return undefined
  // Where it went wrong: the first line (outside a ⋮) that differs.
  const want = lines(expected)
  const got = lines(actual)
  const at = want.findIndex((line, i) => line !== "⋮" && !want.slice(0, i).includes("⋮") && !new RegExp(`^${line.split("…").map(escape).join(".*")}$`).test(got[i] ?? ""))
  return at === -1
    ? "the printed lines do not follow the expected ones"
    : `line ${at + 1}: expected ${JSON.stringify(want[at])}, printed ${JSON.stringify(got[at] ?? "(nothing)")}`
}

/**
 * Starts `effect-anthropic stand-in --port 0` from the application's installed package; resolves with the
 * environment it printed and a way to stop it.
 */
export const startStandIn = (app) =>
  new Promise((resolve, reject) => {
    const child = spawn(path.join(app, "node_modules", ".bin", "effect-anthropic"), ["stand-in", "--port", "0"], {
      cwd: app,
      stdio: ["ignore", "pipe", "pipe"]
    })
    const env = {}
    let out = ""
    const timer = setTimeout(() => {
      child.kill()
      reject(new Error(`the stand-in printed no environment within 30 s:\n${out}`))
    }, 30_000)
    child.stdout.on("data", (chunk) => {
      out += chunk
      for (const line of out.split("\n")) {
        const m = /^(ANTHROPIC_[A-Z_]+)=(.*)$/.exec(line.trim())
        if (m) env[m[1]] = m[2]
      }
      if (env.ANTHROPIC_BASE_URL && env.ANTHROPIC_API_KEY) {
        clearTimeout(timer)
        const stop = () => child.kill("SIGTERM")
        // A check that fails exits the process: the stand-in goes with it.
        process.on("exit", stop)
        resolve({ env, stop })
      }
    })
    child.stderr.on("data", (chunk) => {
      out += chunk
    })
    child.on("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`the stand-in exited (${code}) before it was ready:\n${out}`))
    })
  })

/**
 * Runs one compiled example (`file`, an ES module) in `cwd` with `env` over a bare environment (a HOME of its own:
 * no credentials of the machine's are found), bounded by 60 s; returns what failed, or undefined.
 */
export const runExample = (example, file, cwd, env) => {
  const result = spawnSync(process.execPath, [file], {
    cwd,
    encoding: "utf8",
    timeout: 60_000,
    env: { PATH: process.env.PATH, ...env }
  })
  if (result.status !== 0) return `exited with ${result.status ?? result.signal}:\n${result.stdout}${result.stderr}`
  if (example.expected === undefined) return "has no ```text block after it saying what it prints"
  const different = mismatch(example.expected, result.stdout)
  return different === undefined ? undefined : `${different}\n--- printed:\n${result.stdout}${result.stderr}`
}
