/**
 * Where an answer's metadata goes while `AnthropicClient.withResponse` listens: the HTTP layer records each 2xx
 * answer's status and headers in the fiber's sink, if it has one. Recording is a field write; the headers are
 * parsed only when the metadata is asked for.
 */
import * as Context from "effect/Context"

export interface Answer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  /** Milliseconds the call waited for the rate limiter. */
  readonly waitedMs: number
}

/** The last 2xx answer a listened-to effect received. */
export interface Sink {
  last: Answer | undefined
}

/** The fiber's sink: set with `Effect.provideService(effect, currentSink, sink)`. */
export const currentSink: Context.Reference<Sink | undefined> = Context.Reference<Sink | undefined>(
  "effect-anthropic/http/ResponseSink",
  { defaultValue: () => undefined }
)

/** How many effects are listening now: with none, the HTTP layer does not even look for a sink. */
export const listeners = { count: 0 }
