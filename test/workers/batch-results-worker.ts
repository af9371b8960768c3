// Reads a batch's results file from the stand-in at STANDIN_URL through the Effect client, counting results,
// sampling the heap and the buffers every 1,000 results; prints a JSON summary. Run with a small --max-old-space-size
// by the constant-memory test: a client that held the file would run out of heap.
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as AnthropicClient from "../../src/AnthropicClient.js"

const env = process.env
const program = Effect.gen(function*() {
  const client = yield* AnthropicClient.AnthropicClient
  let count = 0
  let succeeded = 0
  let maxHeap = 0
  let maxBuffers = 0
  const before = process.memoryUsage()
  yield* Stream.runForEach(client.batchResults(env.BATCH_ID!), (result) =>
    Effect.sync(() => {
      count++
      if (result.result.type === "succeeded") succeeded++
      if (count % 1000 === 0) {
        const now = process.memoryUsage()
        maxHeap = Math.max(maxHeap, now.heapUsed)
        maxBuffers = Math.max(maxBuffers, now.arrayBuffers)
      }
    }))
  return { count, succeeded, heapBefore: before.heapUsed, maxHeap, buffersBefore: before.arrayBuffers, maxBuffers }
}).pipe(
  Effect.provide(AnthropicClient.layerFile({
    config: { providers: { anthropic: { api_key: "sk-ant-api03-worker", base_url: env.STANDIN_URL, auth: { mode: "static" } } } },
    env: {}
  }))
)
Effect.runPromise(program).then(
  (summary) => process.stdout.write(JSON.stringify(summary)),
  (error) => {
    process.stderr.write(String(error))
    process.exit(1)
  }
)
