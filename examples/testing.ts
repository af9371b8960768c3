// Tests: swap the HTTP layer (and/or the credentials) for fakes in one line.
import * as Effect from "effect/Effect"
import { Messages } from "effect-anthropic"
import * as StandIn from "effect-anthropic/testing/StandIn"
import * as TestLayers from "effect-anthropic/testing/TestLayers"

const program = Messages.create({ model: "claude-haiku-4-5", max_tokens: 8, messages: [{ role: "user", content: "ping" }] })

// A fake server as a function…
await program.pipe(
  Effect.provide(TestLayers.layer({ http: () => StandIn.text("pong") })),
  Effect.runPromise
)
// …or a scripted failure, classified by the real code (this one fails with RateLimit after the retries).
await program.pipe(
  Effect.provide(TestLayers.layer({
    http: () => StandIn.error(429, { retryAfterMs: "1" }),
    credentials: { kind: "oauth_bundle", secret: "sk-ant-oat01-fake" }
  })),
  Effect.flip,
  Effect.runPromise
)
