// npm run bench: this client against the official SDK and the floor, on the project's loopback stand-in running in
// its own process.
//   streaming:      one stream of 400k text deltas   (floor: undici + eventsource-parser + JSON.parse)
//   non-streaming:  5,000 calls at concurrency 32     (floor: undici + JSON.parse)
// Every contender runs in a fresh process (two warm-ups, then ROUNDS timed runs); the sequence of contenders is run
// PASSES times, interleaved; reported: the median of all timed runs, and the median of per-pass ratios to the floor,
// in wall time and in the contender process's CPU time (which leaves out the time the host steals from this VM).
import { execFile, execFileSync, spawn } from "node:child_process"
import { once } from "node:events"
import * as path from "node:path"
import * as readline from "node:readline"
import { staticImportsOf } from "../scripts/staticImports.mjs"

const ROUNDS = Number(process.env.ROUNDS ?? 5)
const PASSES = Number(process.env.PASSES ?? 5)
const only = process.argv[2] // "stream" | "calls" | "import" | undefined (all)

// The contenders load the built library, as its users do.
execFileSync(process.execPath, ["scripts/build.mjs"], { stdio: "inherit" })

const server = spawn(process.execPath, ["--import", "tsx", "bench/standin-server.ts"], {
  stdio: ["ignore", "pipe", "inherit"]
})
const [line] = (await once(readline.createInterface({ input: server.stdout! }), "line")) as [string]

/** redis-server on a free loopback port, without persistence; `undefined` where it is not installed. */
async function startRedis(): Promise<{ readonly url: string; readonly kill: () => void } | undefined> {
  const port = 20_000 + Math.floor(Math.random() * 20_000)
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: ["ignore", "pipe", "ignore"]
  })
  const started = await new Promise<boolean>((resolve) => {
    child.once("error", () => resolve(false))
    child.stdout!.on("data", (chunk: Buffer) => {
      if (/Ready to accept connections/.test(chunk.toString())) resolve(true)
    })
  })
  return started ? { url: `redis://127.0.0.1:${port}/0`, kill: () => void child.kill() } : undefined
}
const { bytes, deltas, reportingUrl, url } = JSON.parse(line) as { url: string; reportingUrl: string; bytes: number; deltas: number }

// A Redis for the Redis row (redis-server from Debian's packages), when the machine has one.
const redis = await startRedis()

/** The runtimes a contender can run on: Node through tsx, and Bun and Deno (devDependencies), which run TypeScript. */
const runtimes = {
  node: [process.execPath, ["--import", "tsx"]],
  bun: ["node_modules/@oven/bun-linux-x64/bin/bun", []],
  deno: ["node_modules/@deno/linux-x64-glibc/deno", ["run", "--allow-all", "--quiet"]]
} as const
type RuntimeName = keyof typeof runtimes

const contender = (name: string, runtime: RuntimeName = "node") =>
  new Promise<{ times: Array<number>; cpu: Array<number>; count: number }>((resolve, reject) =>
    execFile(
      runtimes[runtime][0],
      [...runtimes[runtime][1], "bench/contenders.ts", name, url, String(ROUNDS)],
      { maxBuffer: 1 << 20, env: { ...process.env, REDIS_URL: redis?.url ?? "", REPORTING_URL: reportingUrl } },
      (error, stdout, stderr) => (error ? reject(new Error(`${name}: ${stderr}`)) : resolve(JSON.parse(stdout.slice(stdout.indexOf("{")))))
    )
  )

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/**
 * Each pass runs the floor, then every contender, each in a fresh process. A contender's ratio is taken against the
 * floor of its own pass (seconds apart), and the median of those per-pass ratios is reported: this machine's speed
 * drifts by tens of percent over minutes, which pairing cancels where a ratio of overall medians would not.
 */
const measure = async (title: string, contenders: Record<string, string>, runtime: RuntimeName = "node") => {
  // CONTENDERS=a,b (contender ids) runs those alone, beside the floor.
  const picked = process.env.CONTENDERS?.split(",")
  const names = Object.keys(contenders).filter((n, i) => i === 0 || picked === undefined || picked.includes(contenders[n]!))
  const wall = series(names)
  const cpu = series(names)
  const counts: Record<string, number> = {}
  for (let pass = 0; pass < PASSES; pass++) {
    for (const label of names) {
      const result = await contender(contenders[label]!, runtime)
      wall.add(label, result.times, label === names[0])
      cpu.add(label, result.cpu, label === names[0])
      counts[label] = result.count
    }
  }
  console.log(`\n${title}`)
  console.log(
    `${"contender".padEnd(72)} ${"median ms".padStart(9)} ${"× floor".padStart(8)} ${"CPU ms".padStart(7)} ${"CPU × floor".padStart(11)}  count`
  )
  for (const label of names) {
    console.log(
      `${label.padEnd(72)} ${wall.median(label).toFixed(0).padStart(9)} ${wall.ratio(label).toFixed(2).padStart(8)} ` +
        `${cpu.median(label).toFixed(0).padStart(7)} ${cpu.ratio(label).toFixed(2).padStart(11)}  ${counts[label]}`
    )
  }
}

/** One measure (wall or CPU) of every contender: all its timed runs, and its ratio to the floor of each pass. */
const series = (names: ReadonlyArray<string>) => {
  const runs: Record<string, Array<number>> = Object.fromEntries(names.map((n) => [n, []]))
  const ratios: Record<string, Array<number>> = Object.fromEntries(names.map((n) => [n, []]))
  let floor = 0
  return {
    add: (label: string, values: ReadonlyArray<number>, isFloor: boolean) => {
      const m = median(values)
      if (isFloor) floor = m
      runs[label]!.push(...values)
      ratios[label]!.push(m / floor)
    },
    median: (label: string) => median(runs[label]!),
    ratio: (label: string) => median(ratios[label]!)
  }
}

/**
 * The packages an entry of the build loads when imported (its static imports, followed through the package's own
 * files; `node:` modules and lazy `import()`s left out): what the entry would cost with none of this package's code.
 */
function dependenciesOf(entry: string): Array<string> {
  const found = new Set<string>()
  const seen = new Set<string>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    seen.add(file)
    for (const specifier of staticImportsOf(file)) {
      if (specifier.startsWith(".")) visit(path.join(path.dirname(file), specifier))
      else if (!specifier.startsWith("node:")) found.add(specifier)
    }
  }
  visit(entry)
  return [...found].sort()
}

/**
 * Cold import: a fresh `node` importing one entry and exiting, whole-process wall time (start-up included), the
 * contenders run in turn RUNS times; the median, and the median of per-turn ratios to the official SDK's.
 */
async function measureImports() {
  const RUNS = Number(process.env.IMPORT_RUNS ?? 15)
  const EFFECT_PROGRAM = "a program that already uses Effect (Schema, Stream, HttpClient)"
  const effectProgram = ["effect/Schema", "effect/Stream", "effect/http/HttpClient"]
  // Time to a first answer: import, make a client, one request to the stand-in, exit. This client loads Effect's
  // HTTP modules (and undici) with its first client, the official SDK at import.
  const request = `{ model: "claude-haiku-4-5", max_tokens: 16, messages: [{ role: "user", content: "Go." }] }`
  const FIRST_ANSWER = "first answer (import, make a client, one request to the stand-in)"
  const entries: Record<string, Array<string> | { readonly source: string }> = {
    "official SDK: import \"@anthropic-ai/sdk\"": ["@anthropic-ai/sdk"],
    "node alone (nothing imported)": [],
    "effect/Schema alone (what every Effect library with schemas loads)": ["effect/Schema"],
    "the root entry's dependencies alone (effect, eventsource-parser)": dependenciesOf("dist/node/index.js"),
    // By the package's name, as an application imports it: Node takes the bundled build (dist/node).
    "effect-anthropic: import \"effect-anthropic\" (the root entry)": ["effect-anthropic"],
    "effect-anthropic: import \"effect-anthropic/PromiseClient\"": ["effect-anthropic/PromiseClient"],
    "effect-anthropic: the root entry file by file (dist/esm, what Workers bundlers read)": ["./dist/esm/index.js"],
    [`${FIRST_ANSWER}: the official SDK`]: {
      source: `import Anthropic from "@anthropic-ai/sdk"
        await new Anthropic({ apiKey: "sk-ant-api03-bench", baseURL: ${JSON.stringify(url)}, maxRetries: 0 }).messages.create(${request})
        process.exit(0)`
    },
    [`${FIRST_ANSWER}: effect-anthropic`]: {
      source: `import { createClient } from "effect-anthropic"
        const config = { providers: { anthropic: { api_key: "sk-ant-api03-bench", base_url: ${JSON.stringify(url)} } } }
        await (await createClient({ config, env: {} })).messages.create(${request})
        process.exit(0)`
    },
    // What a program that already uses Effect pays for each client on top of it.
    [EFFECT_PROGRAM]: effectProgram,
    [`${EFFECT_PROGRAM}, then the official SDK`]: [...effectProgram, "@anthropic-ai/sdk"],
    [`${EFFECT_PROGRAM}, then effect-anthropic`]: [...effectProgram, "effect-anthropic"]
  }
  const timeOf = (entry: Array<string> | { readonly source: string }) =>
    new Promise<number>((resolve, reject) => {
      const started = performance.now()
      const source = Array.isArray(entry) ? entry.map((m) => `import ${JSON.stringify(m)}`).join("\n") : entry.source
      execFile(process.execPath, ["--input-type=module", "-e", source], (error) =>
        error ? reject(error) : resolve(performance.now() - started))
    })
  const times: Record<string, Array<number>> = Object.fromEntries(Object.keys(entries).map((n) => [n, []]))
  const ratios: Record<string, Array<number>> = Object.fromEntries(Object.keys(entries).map((n) => [n, []]))
  for (let run = 0; run < RUNS + 1; run++) {
    let sdk = 0
    for (const [label, entry] of Object.entries(entries)) {
      const ms = await timeOf(entry)
      if (run === 0) continue // a warm-up turn (the file system cache)
      if (Array.isArray(entry) && entry[0] === "@anthropic-ai/sdk") sdk = ms
      times[label]!.push(ms)
      ratios[label]!.push(ms / sdk)
    }
  }
  console.log(`\nCold import on Node: a fresh process importing one entry, ${RUNS} turns`)
  console.log(`${"entry".padEnd(72)} ${"median ms".padStart(9)} ${"× SDK".padStart(8)}`)
  for (const label of Object.keys(entries)) {
    if (label.startsWith(EFFECT_PROGRAM) || label.startsWith(FIRST_ANSWER)) continue
    console.log(`${label.padEnd(72)} ${median(times[label]!).toFixed(0).padStart(9)} ${median(ratios[label]!).toFixed(2).padStart(8)}`)
  }
  const added = (label: string) =>
    median(times[label]!.map((ms, turn) => ms - times[EFFECT_PROGRAM]![turn]!)).toFixed(0).padStart(9)
  console.log(`\nAdded to ${EFFECT_PROGRAM} (median of per-turn differences)`)
  console.log(`${"client".padEnd(72)} ${"ms added".padStart(9)}`)
  console.log(`${"the official SDK".padEnd(72)} ${added(`${EFFECT_PROGRAM}, then the official SDK`)}`)
  console.log(`${"effect-anthropic".padEnd(72)} ${added(`${EFFECT_PROGRAM}, then effect-anthropic`)}`)
  const sdkAnswer = times[`${FIRST_ANSWER}: the official SDK`]!
  console.log(`\nTime to a ${FIRST_ANSWER}, a fresh process each turn`)
  console.log(`${"client".padEnd(72)} ${"median ms".padStart(9)} ${"× SDK".padStart(8)}`)
  for (const client of ["the official SDK", "effect-anthropic"]) {
    const ms = times[`${FIRST_ANSWER}: ${client}`]!
    const ratio = median(ms.map((t, turn) => t / sdkAnswer[turn]!))
    console.log(`${client.padEnd(72)} ${median(ms).toFixed(0).padStart(9)} ${ratio.toFixed(2).padStart(8)}`)
  }
}

console.log(
  `node ${process.version}; each contender in a fresh process: 2 warm-ups + ${ROUNDS} runs, ${PASSES} passes; ` +
    "medians, ratios against the floor of the same pass"
)
if (only === undefined || only === "stream") {
  await measure(`Streaming: one stream of ${deltas} text deltas (${(bytes / 1e6).toFixed(1)} MB)`, {
    "floor: undici + eventsource-parser + JSON.parse": "floor-stream",
    "floor's events through an async generator, for await": "floor-generator",
    "floor's events as a bare Effect Stream, Stream.runForEach": "floor-effect-stream",
    "official SDK: messages.create({stream: true}), for await": "sdk-stream",
    "official SDK: messages.stream(), for await + finalMessage()": "sdk-message-stream",
    "effect-anthropic Promise: for await": "ours-promise-forawait",
    "effect-anthropic Promise: for await + finalMessage()": "ours-promise-stream",
    "effect-anthropic Promise: finalMessage()": "ours-promise-final",
    "effect-anthropic Effect: Stream.runForEach(client.stream)": "ours-stream-runforeach-each",
    "effect-anthropic Effect: MessageStream.finalMessage": "ours-finalmessage",
    "effect-anthropic Effect: Stream.runForEachArray(client.stream)": "ours-stream-runforeach",
    "effect-anthropic Effect: client.stream pulled a chunk at a time": "ours-stream",
    "effect-anthropic Effect: streamWithResponse's pull, a chunk at a time": "ours-stream-pull",
    "effect/ai LanguageModel.streamText on effect-anthropic, runForEach": "ours-ai-streamtext"
  })
}
if (only === undefined || only === "calls") {
  await measure("Non-streaming: 5,000 calls at concurrency 32", {
    "floor: undici + JSON.parse": "floor-calls",
    "official SDK (@anthropic-ai/sdk)": "sdk-calls",
    "effect/http HttpClient alone (NodeHttpClient.layerUndici, no tracing)": "platform-calls",
    "this project's UndiciHttpClient alone": "undici-httpclient-calls",
    "effect-anthropic: Effect": "ours-calls",
    "effect-anthropic: Effect, no rate limiter at all (adaptive: false, no limit)": "ours-calls-unlimited",
    "effect-anthropic: Promise client": "ours-promise-calls",
    "effect-anthropic: Effect, per-minute limits in memory": "ours-calls-minute",
    ...(redis === undefined ? {} : { "effect-anthropic: Effect, per-minute limits in Redis": "ours-calls-redis" }),
    "floor, on a stand-in reporting its limits on every answer (as the API does)": "floor-calls-reported",
    "effect-anthropic: Effect, learning from those headers (adaptive, the default)": "ours-calls-reported"
  })
}
if (only === undefined || only === "import") await measureImports()
if (only === undefined || only === "runtimes") {
  // RUNTIMES=bun (or deno) measures that runtime alone.
  const picked = process.env.RUNTIMES?.split(",")
  for (const runtime of (["bun", "deno"] as const).filter((r) => picked === undefined || picked.includes(r))) {
    const version = execFileSync(runtimes[runtime][0], ["--version"], { encoding: "utf8" }).trim().split("\n")[0]
    await measure(`On ${runtime} (${version}): one stream of ${deltas} text deltas`, {
      "floor: undici + eventsource-parser + JSON.parse": "floor-stream",
      "official SDK: messages.create({stream: true}), for await": "sdk-stream",
      "effect-anthropic Promise: for await": "ours-promise-forawait",
      "effect-anthropic Effect: MessageStream.finalMessage": "ours-finalmessage"
    }, runtime)
    await measure(`On ${runtime} (${version}): 5,000 calls at concurrency 32`, {
      "floor: undici + JSON.parse": "floor-calls",
      "official SDK (@anthropic-ai/sdk)": "sdk-calls",
      "effect-anthropic: Effect": "ours-calls",
      "effect-anthropic: Promise client": "ours-promise-calls"
    }, runtime)
  }
}
server.kill("SIGTERM")
redis?.kill()
