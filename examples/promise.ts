// Plain async code: no Effect in sight.
import { createClient } from "effect-anthropic"

const client = await createClient() // config/llm.yaml, process.env
try {
  const msg = await client.messages.create({
    model: "claude-haiku-4-5",
    max_tokens: 256,
    messages: [{ role: "user", content: "Hello, Claude" }]
  }, { signal: AbortSignal.timeout(30_000) })
  console.log(msg.content)
  console.log(await client.messages.countTokens({ model: "claude-haiku-4-5", messages: [{ role: "user", content: "Hi" }] }))
} catch (err: any) {
  // err is the tagged error itself
  if (err._tag === "CredentialInvalid") console.error("check your credential:", err.message)
  else throw err
} finally {
  await client.close()
}
