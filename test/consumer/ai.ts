// An application on @effect/ai that also keeps @effect/ai-anthropic: this package's provider and ai-anthropic's
// (over this package's credentials) in one program, typechecked with skipLibCheck off (the two modules' Prompt /
// Response augmentations must not clash), then run against the stand-in.
import * as LanguageModel from "effect/ai/LanguageModel"
import * as Tokenizer from "effect/ai/Tokenizer"
import * as Tool from "effect/ai/Tool"
import * as Toolkit from "effect/ai/Toolkit"
import * as AiAnthropicClient from "@effect/ai-anthropic/AnthropicClient"
import * as AiAnthropicLanguageModel from "@effect/ai-anthropic/AnthropicLanguageModel"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { AnthropicClient, UndiciHttpClient } from "effect-anthropic"
import * as AiAnthropicCredentials from "effect-anthropic/AiAnthropicCredentials"
import * as AnthropicLanguageModel from "effect-anthropic/AnthropicLanguageModel"
import * as AnthropicTokenizer from "effect-anthropic/AnthropicTokenizer"
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
  // Read where @effect/ai-anthropic puts it, typed by its augmentation.
  const finish = response.content.find((part) => part.type === "finish")
  const inputTokens: number | undefined = finish?.metadata.anthropic?.usage?.input_tokens
  if (inputTokens === undefined || inputTokens <= 0) throw new Error("no usage under metadata.anthropic")
  // A call of a tool that is not there goes back to the model, and the loop goes on.
  standIn.enqueue(StandIn.toolUse("nope", {}), StandIn.toolUse("lookup", { key: "k" }), StandIn.text("done"))
  const loop = yield* ToolLoop.run({ prompt: "look up k", toolkit })
  const tokenizer = yield* Tokenizer.Tokenizer
  const kept = yield* tokenizer.truncate([{ role: "user", content: "one" }, { role: "assistant", content: "two" }, { role: "user", content: "three" }], 1_000)
  return `${response.text} / ${loop.response.text} after ${loop.steps.length} steps / ${kept.content.length} kept`
}).pipe(
  Effect.provide(handlers),
  Effect.provide(AnthropicLanguageModel.modelWithTokenizer("claude-haiku-4-5", { max_tokens: 256 })),
  Effect.provide(stack)
)

const counted = Effect.flatMap(AnthropicTokenizer.AnthropicTokenizer, (tokenizer) => tokenizer.countTokens("count me")).pipe(
  Effect.provide(AnthropicTokenizer.layer({ model: "claude-haiku-4-5" })),
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

// In this order: ai-anthropic's request is the last one the stand-in sees.
const [a, c, b] = await Effect.runPromise(Effect.all([ours, counted, theirs]))
if (a !== "echo: hello / done after 3 steps / 3 kept" || b !== "echo: hi from ai-anthropic" || !(c > 0)) {
  throw new Error(`unexpected: ${a} | ${b} | ${c}`)
}
const viaTransform = standIn.requests.at(-1)!
if (viaTransform.headers["x-api-key"] !== "sk-ant-api03-consumer-ai") throw new Error("ai-anthropic did not get our credential")
await standIn.close()
console.log("@effect/ai consumer: ok")
