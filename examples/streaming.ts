// Streaming in Effect and in plain code; also checks that the event types narrow as the README shows.
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { AnthropicClient, createClient, Messages, MessageStream } from "effect-anthropic"

export const program = Effect.gen(function*() {
  const client = yield* AnthropicClient.AnthropicClient
  const events = client.stream({ model: "claude-haiku-4-5", max_tokens: 512, messages: [{ role: "user", content: "Hi" }] })
  const message = yield* MessageStream.finalMessage(
    events.pipe(Stream.tap((event) => {
      const text = MessageStream.deltaText(event)
      return text === undefined ? Effect.void : Effect.sync(() => process.stdout.write(text))
    }))
  )
  for (const block of message.content) if (block.type === "text") console.log(block.text)
  return message.usage
})

export const plain = async (messages: ReadonlyArray<Messages.MessageParam>) => {
  const client = await createClient()
  const stream = client.messages.stream({ model: "claude-haiku-4-5", max_tokens: 512, messages })
  for await (const event of stream) {
    if (event.type === "content_block_delta" && event.delta.type === "text_delta") process.stdout.write(event.delta.text)
  }
  const message = await stream.finalMessage()
  await client.close()
  return message
}
