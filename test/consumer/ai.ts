// An application on Effect AI (`effect/ai/*`, part of effect 4): this package's LanguageModel provider, ToolLoop and
// tokenizer, and AiAnthropicCredentials' client transformation, typechecked with skipLibCheck off (this package's
// Prompt / Response augmentations included), then run against the stand-in.
// (@effect/ai-anthropic has no release for effect 4.1, so it is not installed beside this package here.)
import * as LanguageModel from "effect/ai/LanguageModel"
import * as Tokenizer from "effect/ai/Tokenizer"
import * as Tool from "effect/ai/Tool"
import * as Toolkit from "effect/ai/Toolkit"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Schema from "effect/Schema"
import { AnthropicClient, Messages, UndiciHttpClient } from "effect-anthropic"
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

const Lookup = Tool.make("lookup", { parameters: Schema.Struct({ key: Schema.String }), success: Schema.String })
const toolkit = Toolkit.make(Lookup)
const handlers = toolkit.toLayer({ lookup: ({ key }) => Effect.succeed(`value of ${key}`) })

// This provider's options under its own key, and @effect/ai-anthropic's key (`anthropic`), which it reads as well.
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
  // The API's usage, typed by this package's augmentation, and also where @effect/ai-anthropic puts it.
  const finish = response.content.find((part) => part.type === "finish")
  const inputTokens: number | undefined = finish?.metadata["effect-anthropic"]?.usage.input_tokens
  const theirs = finish?.metadata["anthropic"]
  const theirShape = typeof theirs === "object" && theirs !== null && "usage" in theirs ? theirs["usage"] : undefined
  if (inputTokens === undefined || inputTokens <= 0) throw new Error("no usage under metadata[\"effect-anthropic\"]")
  if (typeof theirShape !== "object" || theirShape === null || !("input_tokens" in theirShape)) throw new Error("no usage under metadata.anthropic")
  if (response.usage.inputTokens.total !== inputTokens) throw new Error("Effect AI's usage differs from the API's")
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

// The `transformClient` @effect/ai-anthropic's client takes, on a plain HttpClient: a request addressed to its
// default https://api.anthropic.com goes to the configured base_url, with this package's credential.
const transformed = Effect.gen(function*() {
  const transformClient = yield* AiAnthropicCredentials.make
  const client = transformClient(yield* HttpClient.HttpClient)
  const response = yield* client.execute(HttpClientRequest.post("https://api.anthropic.com/v1/messages").pipe(
    HttpClientRequest.setHeader("x-api-key", "someone-else's"),
    HttpClientRequest.bodyJsonUnsafe({ model: "claude-haiku-4-5", max_tokens: 64, messages: [{ role: "user", content: "hi via transformClient" }] })
  ))
  return Messages.textOf(yield* HttpClientResponse.schemaBodyJson(Messages.Message)(response))
}).pipe(
  Effect.provide(UndiciHttpClient.layer),
  Effect.provide(stack)
)

// In this order: the transformed client's request is the last one the stand-in sees.
const [a, c, b] = await Effect.runPromise(Effect.all([ours, counted, transformed]))
if (a !== "echo: hello / done after 3 steps / 3 kept" || b !== "echo: hi via transformClient" || !(c > 0)) {
  throw new Error(`unexpected: ${a} | ${b} | ${c}`)
}
const viaTransform = standIn.requests.at(-1)!
if (viaTransform.headers["x-api-key"] !== "sk-ant-api03-consumer-ai") throw new Error("the transformed client did not send our credential")
await standIn.close()
console.log("effect/ai consumer: ok")
