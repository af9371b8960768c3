// One of several OS processes sharing one OAuth bundle. Once loaded it prints "ready" and reads a time (ms since
// the epoch) from stdin; then it builds its client from the bundle and calls the stand-in every INTERVAL_MS until
// that time has passed and it has made at least MIN_CALLS calls, and prints a JSON summary. Used by the
// multi-process refresh test: loading (slow on a loaded machine) happens before the test writes the bundle.
import { once } from "node:events"
import { createClient } from "../../src/index.js"

const env = process.env
process.stdout.write("ready\n")
const [line] = await once(process.stdin, "data") as [Buffer]
const until = Number(line.toString().trim())
const client = await createClient({
  config: {
    providers: {
      anthropic: {
        base_url: env.STANDIN_URL,
        retry: { max_retries: 0 },
        auth: { mode: "oauth_bundle", bundle: env.BUNDLE, token_url: `${env.STANDIN_URL}/v1/oauth/token` }
      }
    }
  },
  env: {}
})
let ok = 0
const failures: Array<string> = []
while (Date.now() < until || ok + failures.length < Number(env.MIN_CALLS)) {
  try {
    await client.messages.create({ model: "claude-haiku-4-5", max_tokens: 8, messages: [{ role: "user", content: "hi" }] })
    ok++
  } catch (e: any) {
    failures.push(`${e._tag}: ${e.message}`)
  }
  await new Promise((r) => setTimeout(r, Number(env.INTERVAL_MS)))
}
await client.close()
process.stdout.write(`${JSON.stringify({ ok, failures })}\n`)
process.stdin.destroy()
