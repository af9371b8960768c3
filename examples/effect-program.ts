// An Effect program: provide the whole stack from config/llm.yaml and call the API.
import * as Effect from "effect/Effect"
import { AnthropicClient, Messages } from "effect-anthropic"

const program = Effect.gen(function*() {
  const client = yield* AnthropicClient.AnthropicClient
  const message = yield* client.createMessage({
    model: "claude-haiku-4-5",
    max_tokens: 256,
    messages: [{ role: "user", content: "Name three prime numbers." }]
  })
  return Messages.textOf(message)
}).pipe(
  // Typed errors: handle the ones you care about by tag.
  Effect.catchTag("RateLimit", (e) => Effect.succeed(`rate limited, try again in ${e.retryAfterMs} ms`))
)

program.pipe(
  Effect.provide(AnthropicClient.layerFile({ configPath: "config/llm.yaml" })),
  Effect.runPromise
).then(console.log, (e) => console.error(e.message))
