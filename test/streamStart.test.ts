/** A stream's start: until its first event nothing was delivered, so a broken or silent start is retried. */
import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as MessageStream from "../src/MessageStream.js"
import * as StandIn from "../src/testing/StandIn.js"
import { API_KEY, hello, stack } from "./fixtures.js"
import { failureOf, runClocked } from "./helpers.js"

const ping = StandIn.sse([{ event: "ping", data: { type: "ping" } }])

describe("stream: before the first event, retried like createMessage", () => {
  it.effect("a connection cut after the headers, before any event, is retried", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped({
        replies: [{ type: "stream", body: ping + "event: message_start\ndata: {\"ty", cutAfter: 30 }, StandIn.streamText("second try")]
      })
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
      const { exit } = yield* runClocked(MessageStream.finalMessage(client.stream(hello)))
      expect(Exit.isSuccess(exit)).toBe(true)
      if (Exit.isSuccess(exit)) expect(exit.value.content).toEqual([{ type: "text", text: "second try" }])
      expect(standIn.requests.length).toBe(2)
    }))

  it.effect("headers then silence for stream_idle_timeout_ms, before any event, is retried", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped({
        replies: [{ type: "stream", body: ping + ping, stallAfter: ping.length }, StandIn.streamText("after the silence")]
      })
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url, stream_idle_timeout_ms: 1000 })
      const { exit } = yield* runClocked(MessageStream.finalMessage(client.stream(hello)))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(standIn.requests.length).toBe(2)
    }))

  it.effect("pings and nothing else: the first event is due within timeout_ms, then the request is retried", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      const { channel, reply } = StandIn.live()
      standIn.enqueue(reply, StandIn.streamText("a real answer"))
      const { client } = yield* stack({
        api_key: API_KEY,
        base_url: standIn.url,
        timeout_ms: 2000,
        stream_idle_timeout_ms: 1000
      })
      // A ping every 500 ms (TestClock), never an event: the idle timeout alone would wait forever.
      const pinger = Effect.gen(function*() {
        const ch = yield* Effect.promise(() => channel)
        for (let i = 0; i < 200; i++) {
          yield* Effect.promise(() => ch.write(ping))
          yield* Effect.sleep(500)
        }
      })
      // The clock is moved at most 500 ms at a time (the pings' pace): the 2 s bound is reached through the pings, once
      // they flow, never by one jump while the request is on its way, and the retry's own bound is not jumped over
      // while its answer arrives.
      const { exit } = yield* runClocked(
        Effect.andThen(Effect.forkChild(pinger), MessageStream.finalMessage(client.stream(hello))),
        500
      )
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(standIn.requests.length).toBe(2)
      // Given up at timeout_ms (2 s), retried after the backoff: not after the pings stopped (100 s).
      expect(yield* Clock.currentTimeMillis).toBeLessThanOrEqual(2_500)
      yield* StandIn.until(standIn, () => standIn.abandoned.length === 1)
    }))

  it.effect("a start that keeps failing ends as a ConnectionError after max_retries", () =>
    Effect.gen(function*() {
      const cut: StandIn.Reply = { type: "stream", body: ping + "event: message_start\n", cutAfter: 25 }
      const standIn = yield* StandIn.scoped({ replies: [cut, cut] })
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url, retry: { max_retries: 1 } })
      const { exit } = yield* runClocked(MessageStream.finalMessage(client.stream(hello)))
      const error = failureOf(exit)
      expect(error._tag).toBe("ConnectionError")
      expect(error.message).toContain("before the first event")
      expect(standIn.requests.length).toBe(2)
    }))
})
