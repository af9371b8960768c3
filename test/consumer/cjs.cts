// A CommonJS application: `require` gets the CommonJS build (and so Effect's CommonJS build, one copy).
import * as Effect from "effect/Effect"
import { AnthropicClient, createClient, Messages } from "effect-anthropic"
import StandIn = require("effect-anthropic/testing/StandIn")

const hello: Messages.MessageCreateParams = { model: "claude-haiku-4-5", max_tokens: 64, messages: [{ role: "user", content: "hi" }] }

const main = async () => {
  const standIn = await StandIn.start()
  try {
    const client = await createClient({ config: { providers: { anthropic: { base_url: standIn.url, api_key: "sk-ant-api03-cjs" } } }, env: {} })
    try {
      const message = await client.messages.create(hello)
      const viaEffect = await client.run(Effect.flatMap(AnthropicClient.AnthropicClient, (c) => c.createMessage(hello)))
      if (Messages.textOf(message) !== "echo: hi" || Messages.textOf(viaEffect) !== "echo: hi") throw new Error("bad answer")
    } finally {
      await client.close()
    }
    if (!require.resolve("effect-anthropic").includes(`${"dist"}/cjs/`)) throw new Error("require did not load the CommonJS build")
  } finally {
    await standIn.close()
  }
  console.log("cjs consumer: ok")
}
main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
