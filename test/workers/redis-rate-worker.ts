// One of several OS processes sharing one Redis rate budget (bundled by test/nodeScript.ts). Once its client is built it prints "ready" and reads
// the start time (ms since the epoch) from stdin; from then for DURATION_MS it calls the stand-in as fast as the
// shared limiter lets it, then prints how many calls it made. Used by the multi-process Redis test.
import { once } from "node:events"
import { createClient } from "../../src/index.js"

const env = process.env
const client = await createClient({
  config: {
    providers: {
      anthropic: {
        api_key: "sk-ant-api03-redis-worker",
        base_url: env.STANDIN_URL,
        auth: { mode: "static" },
        retry: { max_retries: 0 },
        rate_limit: {
          requests_per_second: Number(env.RPS),
          store: "redis",
          redis_url: env.REDIS_URL,
          key_prefix: env.PREFIX,
          adaptive: false
        }
      }
    }
  },
  env: {}
})
process.stdout.write("ready\n")
const [line] = await once(process.stdin, "data") as [Buffer]
const startAt = Number(line.toString().trim())
const endAt = startAt + Number(env.DURATION_MS)
await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - Date.now())))
let calls = 0
while (Date.now() < endAt) {
  await client.messages.countTokens({ model: "claude-haiku-4-5", messages: [{ role: "user", content: "hi" }] })
  calls++
}
await client.close()
process.stdout.write(`${JSON.stringify({ calls })}\n`)
process.stdin.destroy()
