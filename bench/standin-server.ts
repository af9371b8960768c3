// The project's loopback stand-in in its own process, for the benchmark: streamed requests get a prerendered
// stream of DELTAS text deltas, plain ones a small Message. Prints its URL on stdout.
import * as StandIn from "../src/testing/StandIn.js"

const deltas = Number(process.env.DELTAS ?? 400_000)
const events: Array<StandIn.SseEvent> = StandIn.streamEventsOf(StandIn.messageJson([{ type: "text", text: "" }]))
const [start, ping, blockStart] = events
const tail = events.slice(-3) // content_block_stop, message_delta, message_stop
const words = ["The ", "quick ", "brown ", "fox ", "jumps ", "over ", "the ", "lazy ", "dog. "]
const body: Array<StandIn.SseEvent> = [start!, ping!, blockStart!]
for (let i = 0; i < deltas; i++) {
  body.push({
    event: "content_block_delta",
    data: { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: words[i % words.length] } }
  })
}
body.push(...tail)
const streamBody = Buffer.from(StandIn.sse(body))
const message = StandIn.messageJson([{ type: "text", text: "Hello from the stand-in." }])

const standIn = await StandIn.start()
// Limits no benchmark reaches, reported on every answer as the API reports its own: the client's adaptive limiter
// sees real headers, and nothing is ever refused (the default limits would 429 a run of 5,000 calls).
standIn.rateLimits.set({ requestsPerMinute: 1e9, inputTokensPerMinute: 1e12, outputTokensPerMinute: 1e12 })
standIn.setDefault({
  type: "dynamic",
  reply: (request) =>
    request.body?.stream === true
      ? { type: "stream", body: streamBody }
      : { type: "json", status: 200, body: message }
})
// Keep no record: the benchmark sends thousands of requests.
;(standIn.requests as Array<unknown>).length = 0
setInterval(() => ((standIn.requests as Array<unknown>).length = 0), 1000).unref()
console.log(JSON.stringify({ url: standIn.url, bytes: streamBody.length, deltas }))
process.on("SIGTERM", () => void standIn.close().then(() => process.exit(0)))
