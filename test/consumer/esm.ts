// An ES module application: the Effect API (layers from Effect Config values), the Promise client, streaming, and
// the package's boundaries. Compiled with NodeNext and Bundler resolution, run against the stand-in.
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import { AnthropicClient, createClient, Messages, MessageStream } from "effect-anthropic"
import * as AnthropicConfig from "effect-anthropic/AnthropicConfig"
import * as OldPromiseName from "effect-anthropic/Promise"
import * as PromiseClient from "effect-anthropic/PromiseClient"
import * as StandIn from "effect-anthropic/testing/StandIn"

const standIn = await StandIn.start()
const hello: Messages.MessageCreateParams = { model: "claude-haiku-4-5", max_tokens: 64, messages: [{ role: "user", content: "hello" }] }

// Effect's own Config and this library's names side by side: no clash, and the tag narrows to our error.
const program = Effect.gen(function*() {
  const client = yield* AnthropicClient.AnthropicClient
  const message = yield* client.createMessage(hello)
  // The accessors read the same client from the context.
  const viaAccessor = yield* Messages.create(hello)
  if (Messages.textOf(viaAccessor) !== Messages.textOf(message)) throw new Error("Messages.create answered differently")
  const streamed = yield* MessageStream.finalMessage(client.stream(hello))
  return [Messages.textOf(message), Messages.textOf(streamed)]
}).pipe(
  Effect.provide(AnthropicClient.layerConfig({ apiKey: Config.Redacted("MY_KEY"), maxRetries: Config.succeed(1) })),
  Effect.catchTag("AnthropicConfigError", (error) => Effect.die(`${error.problem}; fix: ${error.fix}`)),
  Effect.provideService(
    ConfigProvider.ConfigProvider,
    ConfigProvider.fromEnv({ env: { MY_KEY: "sk-ant-api03-consumer", ANTHROPIC_BASE_URL: standIn.url } })
  )
)
const texts = await Effect.runPromise(program)
// The Promise client under its name, and under its first one (the same module).
if (PromiseClient.createClient !== createClient || OldPromiseName.createClient !== createClient) {
  throw new Error("effect-anthropic/PromiseClient and effect-anthropic/Promise are not the root's createClient")
}
if (texts.join("|") !== "echo: hello|echo: hello") throw new Error(`unexpected answers ${texts.join("|")}`)

const settings = await Effect.runPromise(AnthropicConfig.load({ config: { providers: { anthropic: { base_url: standIn.url } } }, env: { ANTHROPIC_API_KEY: "sk-ant-api03-env" } }))
const client = await createClient({ config: { providers: { anthropic: { base_url: settings.baseUrl } } }, env: { ANTHROPIC_API_KEY: "sk-ant-api03-env" } })
try {
  const message = await client.messages.create(hello)
  let deltas = 0
  const stream = client.messages.stream(hello)
  for await (const event of stream) if (event.type === "content_block_delta" && event.delta.type === "text_delta") deltas++
  if (Messages.textOf(message) !== "echo: hello" || deltas === 0 || (await stream.finalText()) !== "echo: hello") {
    throw new Error("the Promise client did not answer as expected")
  }
} finally {
  await client.close()
}

// Only the public modules can be imported.
for (const specifier of ["effect-anthropic/internal/tokens", "effect-anthropic/cli/main", "effect-anthropic/dist/esm/index.js"]) {
  const error = await import(specifier).then(() => undefined, (e: { code?: string }) => e)
  if (error?.code !== "ERR_PACKAGE_PATH_NOT_EXPORTED") throw new Error(`${specifier} should not be importable`)
}
await standIn.close()
console.log("esm consumer: ok")
