// npm run bench: this client against the official SDK and the floor, on the project's loopback stand-in running in
// its own process.
//   streaming:      one stream of 400k text deltas   (floor: undici + eventsource-parser + JSON.parse)
//   non-streaming:  5,000 calls at concurrency 32     (floor: undici + JSON.parse)
// Every contender runs in a fresh process (a warm-up, then ROUNDS timed runs); the sequence of contenders is run
// PASSES times, interleaved, and the median of all timed runs is reported with its ratio to the floor.
import { execFile, spawn } from "node:child_process"
import { once } from "node:events"
import * as readline from "node:readline"

const ROUNDS = Number(process.env.ROUNDS ?? 3)
const PASSES = Number(process.env.PASSES ?? 3)
const only = process.argv[2] // "stream" | "calls" | undefined (both)

const server = spawn(process.execPath, ["--import", "tsx", "bench/standin-server.ts"], {
  stdio: ["ignore", "pipe", "inherit"]
})
const [line] = (await once(readline.createInterface({ input: server.stdout! }), "line")) as [string]
const { bytes, deltas, url } = JSON.parse(line) as { url: string; bytes: number; deltas: number }

const contender = (name: string) =>
  new Promise<{ times: Array<number>; count: number }>((resolve, reject) =>
    execFile(
      process.execPath,
      ["--import", "tsx", "bench/contenders.ts", name, url, String(ROUNDS)],
      { maxBuffer: 1 << 20 },
      (error, stdout, stderr) => (error ? reject(new Error(`${name}: ${stderr}`)) : resolve(JSON.parse(stdout)))
    )
  )

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const measure = async (title: string, contenders: Record<string, string>) => {
  const names = Object.keys(contenders)
  const times: Record<string, Array<number>> = Object.fromEntries(names.map((n) => [n, []]))
  const counts: Record<string, number> = {}
  for (let pass = 0; pass < PASSES; pass++) {
    for (const label of names) {
      const result = await contender(contenders[label]!)
      times[label]!.push(...result.times)
      counts[label] = result.count
    }
  }
  const floor = median(times[names[0]!]!)
  console.log(`\n${title}`)
  console.log(`${"contender".padEnd(72)} ${"median ms".padStart(9)} ${"× floor".padStart(8)}  count`)
  for (const label of names) {
    const m = median(times[label]!)
    console.log(`${label.padEnd(72)} ${m.toFixed(0).padStart(9)} ${(m / floor).toFixed(2).padStart(8)}  ${counts[label]}`)
  }
}

console.log(
  `node ${process.version}; each contender in a fresh process: warm-up + ${ROUNDS} runs, ${PASSES} passes; medians`
)
if (only === undefined || only === "stream") {
  await measure(`Streaming: one stream of ${deltas} text deltas (${(bytes / 1e6).toFixed(1)} MB)`, {
    "floor: undici + eventsource-parser + JSON.parse": "floor-stream",
    "official SDK: messages.create({stream: true}), for await": "sdk-stream",
    "official SDK: messages.stream(), for await + finalMessage()": "sdk-message-stream",
    "effect-anthropic: Effect Stream, pulled": "ours-stream",
    "effect-anthropic: Effect Stream, runForEachChunk": "ours-stream-runforeach",
    "effect-anthropic: Promise client, for await + finalMessage()": "ours-promise-stream"
  })
}
if (only === undefined || only === "calls") {
  await measure("Non-streaming: 5,000 calls at concurrency 32", {
    "floor: undici + JSON.parse": "floor-calls",
    "official SDK (@anthropic-ai/sdk)": "sdk-calls",
    "@effect/platform HttpClient alone (NodeHttpClient.layerUndici, no tracing)": "platform-calls",
    "this project's UndiciHttpClient alone": "undici-httpclient-calls",
    "effect-anthropic: Effect": "ours-calls",
    "effect-anthropic: Promise client": "ours-promise-calls"
  })
}
server.kill("SIGTERM")
