/**
 * Spans and metrics after the OpenTelemetry GenAI semantic conventions: a `chat {model}` span (kind CLIENT) for
 * every Messages call, spans of their own for the other calls and for tool executions, and the convention's client
 * metrics, recorded through Effect's own tracer and `Metric`s (so `@effect/opentelemetry` exports them).
 *
 * Free when nobody is looking: with Effect's default tracer in place (no tracing layer provided) no span is made and
 * nothing below runs but one check of the fiber's tracer; metrics are recorded from what the call already has.
 * Nothing secret ever goes into an attribute or an event: no key, token or header value, and no prompt or completion.
 */
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as Metric from "effect/Metric"
import * as References from "effect/References"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import { clip, MAX_IDENTIFIER } from "../clip.js"

/**
 * Whether this fiber makes spans: it has a tracer of the program's (not Effect's in-memory `nativeTracer`, the
 * default) and tracing is on (`Effect.withTracerEnabled(false)` turns it off).
 */
export const isTracing = (fiber: Fiber.Fiber<unknown, unknown>): boolean =>
  fiber.getRef(Tracer.Tracer) !== Tracer.nativeTracer && fiber.getRef(References.TracerEnabled)

/**
 * `traced` when the fiber has a tracer of the program's and tracing is on (`Effect.withTracerEnabled(false)` turns
 * it off), else `plain` as it is.
 */
export const whenTracing = <A, E, R>(
  plain: Effect.Effect<A, E, R>,
  traced: () => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> => Effect.flatMap(tracing, (on) => (on ? traced() : plain))

/** Whether spans are made here and now. */
export const tracing: Effect.Effect<boolean> = Effect.withFiberSucceed(isTracing)

/** The server's address and port, as the convention names them. */
export const serverAttributes = (baseUrl: string): Record<string, unknown> => {
  let found = servers.get(baseUrl)
  if (found === undefined) {
    found = parseServer(baseUrl)
    if (servers.size < 100) servers.set(baseUrl, found)
  }
  return found
}
const servers = new Map<string, Record<string, unknown>>()
const parseServer = (baseUrl: string): Record<string, unknown> => {
  try {
    const url = new URL(baseUrl)
    const port = url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port)
    return { "server.address": url.hostname, "server.port": port }
  } catch {
    return {}
  }
}

/** What a Messages request sets that the convention records (never its content). */
export interface ChatRequest {
  readonly model?: unknown
  readonly max_tokens?: unknown
  readonly temperature?: unknown
  readonly top_p?: unknown
  readonly top_k?: unknown
  readonly stop_sequences?: unknown
  readonly system?: unknown
  readonly messages?: unknown
}

/** A `chat {model}` span's name and its request attributes. */
export const chatSpan = (operation: "chat" | "count_tokens", params: ChatRequest, baseUrl: string) => {
  const model = typeof params.model === "string" ? params.model : "unknown"
  const attributes: Record<string, unknown> = {
    "gen_ai.operation.name": operation,
    "gen_ai.provider.name": "anthropic",
    "gen_ai.request.model": model,
    ...serverAttributes(baseUrl)
  }
  if (typeof params.max_tokens === "number") attributes["gen_ai.request.max_tokens"] = params.max_tokens
  if (typeof params.temperature === "number") attributes["gen_ai.request.temperature"] = params.temperature
  if (typeof params.top_p === "number") attributes["gen_ai.request.top_p"] = params.top_p
  if (typeof params.top_k === "number") attributes["gen_ai.request.top_k"] = params.top_k
  const stopSequences = Array.isArray(params.stop_sequences)
    ? params.stop_sequences.filter((s): s is string => typeof s === "string")
    : undefined
  return { name: `${operation} ${model}`, model, attributes, stopSequences }
}

/**
 * A list of strings as a span attribute. `@effect/opentelemetry` writes any value that is not a string, number or
 * boolean as its text (`["end_turn"]` as `'[\n  "end_turn"\n]'`); the convention wants a string array, so where the
 * span is OpenTelemetry's the array is also set on it directly.
 */
export const arrayAttribute = (span: Tracer.Span, key: string, values: ReadonlyArray<string>): void => {
  span.attribute(key, values)
  const otel = (span as { readonly span?: { readonly setAttribute?: (key: string, value: ReadonlyArray<string>) => void } }).span
  if (typeof otel?.setAttribute === "function") otel.setAttribute(key, values)
}

/** What an answer (a Message, or a stream's events so far) tells the span and the metrics. */
export interface ChatAnswer {
  readonly id?: string | undefined
  readonly model?: string | undefined
  readonly stopReason?: string | null | undefined
  readonly inputTokens?: number | undefined
  readonly outputTokens?: number | undefined
  readonly cacheReadTokens?: number | undefined
  readonly cacheCreationTokens?: number | undefined
  /** The answer's content blocks (recorded only when content capture is on). */
  readonly content?: unknown
}

/** A Message as a {@link ChatAnswer}. */
export const answerOf = (message: {
  readonly id: string
  readonly content?: unknown
  readonly model: string
  readonly stop_reason?: string | null | undefined
  readonly usage: {
    readonly input_tokens: number
    readonly output_tokens: number
    readonly cache_read_input_tokens?: number | null | undefined
    readonly cache_creation_input_tokens?: number | null | undefined
  }
}): ChatAnswer => ({
  id: message.id,
  model: message.model,
  stopReason: message.stop_reason,
  inputTokens: message.usage.input_tokens,
  outputTokens: message.usage.output_tokens,
  cacheReadTokens: message.usage.cache_read_input_tokens ?? undefined,
  cacheCreationTokens: message.usage.cache_creation_input_tokens ?? undefined,
  content: message.content
})

/** The answer's attributes on the span. */
export const annotateAnswer = (span: Tracer.Span, answer: ChatAnswer): void => {
  // What the server sent is cut to an identifier's length: a hostile answer can make any field megabytes long.
  if (answer.id !== undefined) span.attribute("gen_ai.response.id", clip(answer.id, MAX_IDENTIFIER))
  if (answer.model !== undefined) span.attribute("gen_ai.response.model", clip(answer.model, MAX_IDENTIFIER))
  if (typeof answer.stopReason === "string") {
    arrayAttribute(span, "gen_ai.response.finish_reasons", [clip(answer.stopReason, MAX_IDENTIFIER)])
  }
  if (answer.inputTokens !== undefined) span.attribute("gen_ai.usage.input_tokens", answer.inputTokens)
  if (answer.outputTokens !== undefined) span.attribute("gen_ai.usage.output_tokens", answer.outputTokens)
  if (answer.cacheReadTokens !== undefined) span.attribute("gen_ai.usage.cache_read.input_tokens", answer.cacheReadTokens)
  if (answer.cacheCreationTokens !== undefined) {
    span.attribute("gen_ai.usage.cache_creation.input_tokens", answer.cacheCreationTokens)
  }
}

/** A failure's attributes: `error.type` is the error's tag (the span's status is set from the exit). */
export const annotateFailure = (span: Tracer.Span, error: unknown): void => {
  span.attribute("error.type", tagOf(error))
  const status = typeof error === "object" && error !== null && "status" in error ? (error as { status: unknown }).status : undefined
  if (typeof status === "number" && status > 0) span.attribute("http.response.status_code", status)
}

// ---------------------------------------------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------------------------------------------

/** The convention's buckets for token counts. */
const TOKEN_BOUNDARIES = Metric.boundariesFromIterable([
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864
])
/** The convention's buckets for durations, in seconds. */
const DURATION_BOUNDARIES = Metric.boundariesFromIterable([
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92
])

interface HistogramOptions {
  readonly description: string
  readonly boundaries: ReadonlyArray<number>
}

/** The name and options each of this module's histograms was made with. */
const made = new Map<Metric.Histogram<number>, readonly [string, HistogramOptions]>()

/** A histogram, its name and options kept for {@link tagged}. */
const histogram = (name: string, boundaries: ReadonlyArray<number>, description: string) => {
  const options: HistogramOptions = { description, boundaries }
  const metric = Metric.histogram(name, options)
  made.set(metric, [name, options])
  return metric
}

/** `gen_ai.client.token.usage`: tokens per call, tagged `gen_ai.token.type` (input, output). */
export const tokenUsage = histogram("gen_ai.client.token.usage", TOKEN_BOUNDARIES, "Measures number of input and output tokens used")

/** `gen_ai.client.operation.duration`: seconds per call, failed ones tagged with `error.type`. */
export const operationDuration = histogram("gen_ai.client.operation.duration", DURATION_BOUNDARIES, "GenAI operation duration")

/** Seconds from sending a streamed request to its first content, as the client sees it. */
export const timeToFirstToken = histogram(
  "effect_anthropic.client.time_to_first_token",
  DURATION_BOUNDARIES,
  "Seconds from a streamed request until its first content arrived"
)

/** Retries, tagged with their cause (`RateLimit`, `ServerError`, `ConnectionError`, …). */
export const retries = Metric.counter("effect_anthropic.client.retries", {
  description: "Attempts retried by the client's retry policy, by the failure that caused them",
  incremental: true
})

/**
 * A metric with its tags as its own attributes, made once per set of tags. `Metric.withAttributes` adds them to the
 * context on every update, so Effect builds the series' key (every attribute) again on each call; a metric made with
 * its attributes keeps its key.
 */
/**
 * The metrics made so far, found by walking the call's own strings (base URL, operation, model, answered model): no
 * key is built per call (on Bun, concatenating and hashing a key string per metric was a percent of a call).
 */
let madeCount = 0
const MAX_TAGGED = 1000

class Node {
  readonly children = new Map<string, Node>()
  readonly metrics = new Map<string, Metric.Histogram<number>>()
  /** The child under `key`; made only while metrics may still be made (else the tree would grow past the bound). */
  child(key: string): Node | undefined {
    let found = this.children.get(key)
    if (found === undefined && madeCount < MAX_TAGGED) this.children.set(key, found = new Node())
    return found
  }
}
const madeMetrics = new Node()

const nodeOf = (baseUrl: string, operation: string, model: string, responseModel: string | undefined): Node | undefined =>
  madeMetrics.child(baseUrl)?.child(operation)?.child(model)?.child(responseModel ?? "")

const tagged = (
  metric: Metric.Histogram<number>,
  node: Node | undefined,
  slot: string,
  tags: () => ReadonlyArray<readonly [string, string]>
): Metric.Histogram<number> => {
  const found = node?.metrics.get(slot)
  if (found !== undefined) return found
  // Past the bound (a server answering a new model name each time, say) the metric goes untagged: Effect's own
  // registry keeps every tagged key it is given, so new tags would grow it for ever.
  if (node === undefined || madeCount >= MAX_TAGGED) return metric
  const [name, options] = made.get(metric)!
  const madeNow = Metric.histogram(name, { ...options, attributes: Object.fromEntries(tags()) })
  node.metrics.set(slot, madeNow)
  madeCount++
  return madeNow
}

/** The convention's attributes of a call's metrics. */
const baseTags = (operation: string, model: string, responseModel: string | undefined, baseUrl: string) => {
  const server = serverAttributes(baseUrl)
  const tags: Array<readonly [string, string]> = [
    ["gen_ai.operation.name", operation],
    ["gen_ai.provider.name", "anthropic"],
    ["gen_ai.request.model", model]
  ]
  if (responseModel !== undefined) tags.push(["gen_ai.response.model", clip(responseModel, MAX_IDENTIFIER)])
  if (server["server.address"] !== undefined) tags.push(["server.address", String(server["server.address"])])
  return tags
}

/**
 * Records a finished call (its duration, and its tokens when it answered): plain updates, no Effect per metric. The
 * fiber's context names the metric registry (the program's, if it provides one).
 */
export const recordCall = (
  context: Context.Context<never>,
  operation: string,
  model: string,
  baseUrl: string,
  seconds: number,
  answer: ChatAnswer | undefined,
  error: unknown
): void => {
  const node = nodeOf(baseUrl, operation, model, answer?.model)
  const errorType = error === undefined ? undefined : tagOf(error)
  const tags = () => baseTags(operation, model, answer?.model, baseUrl)
  tagged(operationDuration, node, errorType === undefined ? "duration" : `duration ${errorType}`, () =>
    errorType === undefined ? tags() : [...tags(), ["error.type", errorType]]).updateUnsafe(seconds, context)
  if (answer?.inputTokens !== undefined) {
    tagged(tokenUsage, node, "input", () => [...tags(), ["gen_ai.token.type", "input"]]).updateUnsafe(answer.inputTokens, context)
  }
  if (answer?.outputTokens !== undefined) {
    tagged(tokenUsage, node, "output", () => [...tags(), ["gen_ai.token.type", "output"]]).updateUnsafe(answer.outputTokens, context)
  }
}

/** Records a stream's time to first token. */
export const recordTimeToFirstToken = (
  context: Context.Context<never>,
  model: string,
  baseUrl: string,
  seconds: number
): void =>
  tagged(timeToFirstToken, nodeOf(baseUrl, "chat", model, undefined), "first token", () =>
    baseTags("chat", model, undefined, baseUrl)).updateUnsafe(seconds, context)

/** The convention's `error.type` of a failure: the tagged error's tag, else `_OTHER`. */
export const tagOf = (error: unknown): string =>
  typeof error === "object" && error !== null && "_tag" in error ? String((error as { _tag: unknown })._tag) : "_OTHER"

// ---------------------------------------------------------------------------------------------------------------
// The other calls
// ---------------------------------------------------------------------------------------------------------------

const operationAttributes = { "gen_ai.provider.name": "anthropic" }

/** A call that is not a Messages call (Models, Batches, Files) under a span named `anthropic.{operation}`, when traced. */
export const traceOperation = (operation: string) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  whenTracing(effect, () => Effect.withSpan(effect, `anthropic.${operation}`, { kind: "client", attributes: operationAttributes }))

/** {@link traceOperation} for a call whose answer is a Stream (a list walked page by page, a download): the span lasts as the stream. */
export const traceStream = (operation: string) => <A, E, R>(stream: Stream.Stream<A, E, R>): Stream.Stream<A, E, R> =>
  Stream.unwrap(Effect.map(tracing, (on) =>
    on ? Stream.withSpan(stream, `anthropic.${operation}`, { kind: "client", attributes: operationAttributes }) : stream
  ))

/** How each method of a service is traced: an Effect or a Stream, under which operation's name. */
export type TracedMethods<S> = { readonly [K in keyof S]?: readonly ["effect" | "stream", string] }

/** The service with each method named in `methods` traced as {@link traceOperation} or {@link traceStream} says. */
export const traceMethods = <S extends object>(service: S, methods: TracedMethods<S>): S => {
  const traced: Record<string, unknown> = { ...(service as Record<string, unknown>) }
  for (const [name, how] of Object.entries(methods) as Array<[string, readonly ["effect" | "stream", string]]>) {
    const method = traced[name] as (...args: ReadonlyArray<unknown>) => never
    const wrap = how[0] === "effect" ? traceOperation(how[1]) : traceStream(how[1])
    traced[name] = (...args: ReadonlyArray<unknown>) => wrap(method(...args))
  }
  return traced as S
}
