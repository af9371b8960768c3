// One of several OS processes sharing one OAuth bundle: calls the stand-in every INTERVAL_MS for DURATION_MS and
// prints a JSON summary. Used by the multi-process refresh test.
import { createClient } from "../../src/index.js"

const env = process.env
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
const until = Date.now() + Number(env.DURATION_MS)
let ok = 0
const failures: Array<string> = []
while (Date.now() < until) {
  try {
    await client.messages.create({ model: "m", max_tokens: 8, messages: [{ role: "user", content: "hi" }] })
    ok++
  } catch (e: any) {
    failures.push(`${e._tag}: ${e.message}`)
  }
  await new Promise((r) => setTimeout(r, Number(env.INTERVAL_MS)))
}
await client.close()
console.log(JSON.stringify({ ok, failures }))
