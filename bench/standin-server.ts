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

// Two stand-ins: one that reports no rate limits (as a gateway may not: the limiter has nothing to do), and one that
// reports limits no benchmark reaches on every answer, as the API does (the adaptive limiter learns from each).
const standIn = await StandIn.start()
standIn.rateLimits.off()
const reporting = await StandIn.start()
reporting.rateLimits.set({ requestsPerMinute: 1e9, inputTokensPerMinute: 1e12, outputTokensPerMinute: 1e12 })
for (const server of [standIn, reporting]) server.setDefault({
  type: "dynamic",
  reply: (request) =>
    request.body?.stream === true
      ? { type: "stream", body: streamBody }
      : { type: "json", status: 200, body: message }
})
// Keep no record: the benchmark sends thousands of requests.
;(standIn.requests as Array<unknown>).length = 0
setInterval(() => {
  ;(standIn.requests as Array<unknown>).length = 0
  ;(reporting.requests as Array<unknown>).length = 0
  ;(reporting.rateLimits.charges as Array<unknown>).length = 0
}, 1000).unref()
console.log(JSON.stringify({ url: standIn.url, reportingUrl: reporting.url, bytes: streamBody.length, deltas }))
process.on("SIGTERM", () => void Promise.all([standIn.close(), reporting.close()]).then(() => process.exit(0)))
