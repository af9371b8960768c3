// An application on @effect/ai that also keeps @effect/ai-anthropic: this package's provider and ai-anthropic's
// (over this package's credentials) in one program, typechecked with skipLibCheck off (the two modules' Prompt /
// Response augmentations must not clash), then run against the stand-in.
import * as LanguageModel from "@effect/ai/LanguageModel"
import * as Tool from "@effect/ai/Tool"
import * as Toolkit from "@effect/ai/Toolkit"
import * as AiAnthropicClient from "@effect/ai-anthropic/AnthropicClient"
import * as AiAnthropicLanguageModel from "@effect/ai-anthropic/AnthropicLanguageModel"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { AnthropicClient, UndiciHttpClient } from "effect-anthropic"
import * as AiAnthropicCredentials from "effect-anthropic/AiAnthropicCredentials"
import * as AnthropicLanguageModel from "effect-anthropic/AnthropicLanguageModel"
import * as StandIn from "effect-anthropic/testing/StandIn"
import * as ToolLoop from "effect-anthropic/ToolLoop"

const standIn = await StandIn.start()
const stack = AnthropicClient.layerFile({
  config: { providers: { anthropic: { api_key: "sk-ant-api03-consumer-ai", base_url: standIn.url, auth: { mode: "static" } } } },
  env: {}
})

const Lookup = Tool.make("lookup", { parameters: { key: Schema.String }, success: Schema.String })
const toolkit = Toolkit.make(Lookup)
const handlers = toolkit.toLayer({ lookup: ({ key }) => Effect.succeed(`value of ${key}`) })

// Both providers' options side by side on one prompt: each reads its own key.
const prompt = [{
  role: "user" as const,
  content: [{
    type: "text" as const,
    text: "hello",
    options: { "effect-anthropic": { cacheControl: { type: "ephemeral" as const } }, anthropic: { cacheControl: { type: "ephemeral" as const } } }
  }]
}]

const ours = Effect.gen(function*() {
  const response = yield* LanguageModel.generateText({ prompt })
  standIn.enqueue(StandIn.toolUse("lookup", { key: "k" }), StandIn.text("done"))
  const loop = yield* ToolLoop.run({ prompt: "look up k", toolkit })
  return `${response.text} / ${loop.response.text} after ${loop.steps.length} steps`
}).pipe(
  Effect.provide(handlers),
  Effect.provide(AnthropicLanguageModel.model("claude-haiku-4-5", { max_tokens: 256 })),
  Effect.provide(stack)
)

const theirs = Effect.gen(function*() {
  const response = yield* LanguageModel.generateText({ prompt: "hi from ai-anthropic" })
  return response.text
}).pipe(
  Effect.provide(Layer.unwrapEffect(Effect.map(AiAnthropicCredentials.make, (transformClient) =>
    AiAnthropicLanguageModel.model("claude-haiku-4-5").pipe(
      Layer.provide(AiAnthropicClient.layer({ apiUrl: standIn.url, transformClient })),
      Layer.provide(UndiciHttpClient.layer)
    )))),
  Effect.provide(stack)
)

const [a, b] = await Effect.runPromise(Effect.all([ours, theirs]))
if (a !== "echo: hello / done after 2 steps" || b !== "echo: hi from ai-anthropic") throw new Error(`unexpected: ${a} | ${b}`)
const viaTransform = standIn.requests.at(-1)!
if (viaTransform.headers["x-api-key"] !== "sk-ant-api03-consumer-ai") throw new Error("ai-anthropic did not get our credential")
await standIn.close()
console.log("@effect/ai consumer: ok")
