// One contender of the benchmark, run in a fresh process so that no contender's JIT state or heap affects another:
//   node --import tsx bench/contenders.ts <contender> <stand-in url> <rounds>
// Prints {"times":[ms, …],"cpu":[ms, …],"count":n} after two warm-up runs: wall and CPU time of each timed run.
import Anthropic from "@anthropic-ai/sdk"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { createParser } from "eventsource-parser"
import { Agent, request } from "undici"
import * as LanguageModel from "effect/ai/LanguageModel"

// The library as its users load it: the built modules (`npm run bench` builds them first), not the sources through
// tsx, whose transpiled output wraps every function it makes (`__name`) and so costs the client per call.
const load = <M>(module: string): Promise<M> => import(new URL(`../dist/esm/${module}.js`, import.meta.url).href)
const AnthropicClient = await load<typeof import("../src/AnthropicClient.js")>("AnthropicClient")
const AnthropicLanguageModel = await load<typeof import("../src/AnthropicLanguageModel.js")>("AnthropicLanguageModel")
const MessageStream = await load<typeof import("../src/MessageStream.js")>("MessageStream")
const { createClient } = await load<typeof import("../src/PromiseClient.js")>("PromiseClient")
const UndiciHttpClient = await load<typeof import("../src/UndiciHttpClient.js")>("UndiciHttpClient")

const [name, url, roundsText] = process.argv.slice(2) as [string, string, string]
const CALLS = Number(process.env.CALLS ?? 5000)
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 32)
const apiKey = "sk-ant-api03-bench"
const params = { model: "claude-haiku-4-5", max_tokens: 1024, messages: [{ role: "user" as const, content: "Go." }] }
const headers = { "x-api-key": apiKey, "anthropic-version": "2023-06-01", "content-type": "application/json" }
const config = { providers: { anthropic: { api_key: apiKey, base_url: url } } }

/** A pull's next chunk, or `undefined` at its end (Effect 4 ends a pull with `Cause.Done`). */
const untilDone = <A, E>(pull: Effect.Effect<A, E | Cause.Done>): Effect.Effect<A | undefined, E> =>
  Effect.catchIf(pull, Cause.isDone, () => Effect.succeed(undefined)) as Effect.Effect<A | undefined, E>

/** CALLS calls, CONCURRENCY at a time. */
const manyCalls = (call: () => Promise<unknown>) => async () => {
  let next = 0
  const worker = async () => {
    while (next++ < CALLS) await call()
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  return CALLS
}

/** Per-minute limits no run reaches: the limiter does all its work on every call and never holds one. */
const minuteLimits = { requests_per_minute: 1e9, input_tokens_per_minute: 1e9, output_tokens_per_minute: 1e9 }

/** The stand-in that reports its rate limits on every answer, as the API does. */
const reportingUrl = process.env.REPORTING_URL ?? url

const effectClient = async (rateLimit: Record<string, unknown> = {}, baseUrl = url) => {
  const scope = Effect.runSync(Scope.make())
  const anthropic = { ...config.providers.anthropic, base_url: baseUrl, rate_limit: rateLimit }
  const layer = AnthropicClient.layerFile({ config: { providers: { anthropic } }, env: {} })
  const services = await Effect.runPromise(Layer.buildWithScope(layer, scope))
  return Context.get(services, AnthropicClient.AnthropicClient)
}

/** The same consumer for both clients' stream helpers: every event, then the final message. */
const eventsThenFinal = async (stream: AsyncIterable<unknown> & { finalMessage(): Promise<unknown> }) => {
  let n = 0
  for await (const _ of stream) n++
  await stream.finalMessage()
  return n
}

/** Calls through an `HttpClient` alone: one POST, the body read as text and parsed. */
const httpClientCalls = async (
  layer: Layer.Layer<HttpClient.HttpClient>,
  configure: (http: HttpClient.HttpClient) => HttpClient.HttpClient
) => {
  const scope = Effect.runSync(Scope.make())
  const http = configure(Context.get(await Effect.runPromise(Layer.buildWithScope(layer, scope)), HttpClient.HttpClient))
  const body = JSON.stringify(params)
  return manyCalls(() => {
    const request = HttpClientRequest.post(`${url}/v1/messages`).pipe(
      HttpClientRequest.setHeaders(headers),
      HttpClientRequest.bodyText(body, "application/json")
    )
    return Effect.runPromise(Effect.flatMap(http.execute(request), (response) => Effect.map(response.text, JSON.parse)))
  })
}

/** The floor's request, and a function giving the parsed events of each network chunk of its body. */
const floorEvents = async (dispatcher: Agent) => {
  const res = await request(`${url}/v1/messages`, { method: "POST", headers, body: JSON.stringify({ ...params, stream: true }), dispatcher })
  let batch: Array<unknown> = []
  const parser = createParser({ onEvent: (e) => batch.push(JSON.parse(e.data)) })
  const decoder = new TextDecoder()
  return {
    body: res.body as AsyncIterable<Uint8Array>,
    eventsOf: (chunk: Uint8Array) => {
      parser.feed(decoder.decode(chunk, { stream: true }))
      const out = batch
      batch = []
      return out
    }
  }
}

const make = async (): Promise<() => Promise<number>> => {
  switch (name) {
    case "floor-stream": {
      const dispatcher = new Agent()
      return async () => {
        const res = await request(`${url}/v1/messages`, {
          method: "POST",
          headers,
          body: JSON.stringify({ ...params, stream: true }),
          dispatcher
        })
        let n = 0
        const parser = createParser({
          onEvent: (e) => {
            JSON.parse(e.data)
            n++
          }
        })
        const decoder = new TextDecoder()
        for await (const chunk of res.body) parser.feed(decoder.decode(chunk, { stream: true }))
        return n
      }
    }
    case "floor-generator": {
      // The floor's events handed out one by one through an async generator: what a for await costs by itself.
      const dispatcher = new Agent()
      const events = async function*() {
        const { body, eventsOf } = await floorEvents(dispatcher)
        for await (const chunk of body) for (const event of eventsOf(chunk)) yield event
      }
      return async () => {
        let n = 0
        for await (const _ of events()) n++
        return n
      }
    }
    case "floor-effect-stream": {
      // The floor's events as a bare Effect Stream, one Chunk per network chunk, run with Stream.runForEach: what
      // an Effect stream costs by itself.
      const dispatcher = new Agent()
      const events = Stream.unwrap(Effect.promise(async () => {
        const { body, eventsOf } = await floorEvents(dispatcher)
        return Stream.fromAsyncIterable(body, (e) => e).pipe(Stream.map(eventsOf), Stream.flattenIterable)
      }))
      return () =>
        Effect.runPromise(Effect.suspend(() => {
          let n = 0
          return Stream.runForEach(events, () =>
            Effect.sync(() => {
              n++
            })).pipe(Effect.map(() => n))
        }))
    }
    case "sdk-stream": {
      const sdk = new Anthropic({ apiKey, baseURL: url, maxRetries: 0 })
      return async () => {
        let n = 0
        const stream = await sdk.messages.create({ ...params, stream: true })
        for await (const _ of stream) n++
        return n
      }
    }
    case "sdk-message-stream": {
      // The SDK's helper with the same shape as ours: events plus finalMessage().
      const sdk = new Anthropic({ apiKey, baseURL: url, maxRetries: 0 })
      return () => eventsThenFinal(sdk.messages.stream(params))
    }
    case "ours-stream": {
      // The stream pulled chunk by chunk (Stream.toPull), as MessageStream.finalMessage and the Promise client do.
      const client = await effectClient()
      return () =>
        Effect.runPromise(Effect.scoped(Effect.gen(function*() {
          const pull = yield* Stream.toPull(client.stream(params))
          let n = 0
          while (true) {
            const chunk = yield* untilDone(pull)
            if (chunk === undefined) return n
            for (const _ of chunk) n++
          }
        })))
    }
    case "ours-stream-pull": {
      // The started stream's own pull (streamWithResponse), with no Stream around it.
      const client = await effectClient()
      return () =>
        Effect.runPromise(Effect.scoped(Effect.gen(function*() {
          const { pull } = yield* client.streamWithResponse(params)
          let n = 0
          while (true) {
            const chunk = yield* untilDone(pull)
            if (chunk === undefined) return n
            for (const _ of chunk) n++
          }
        })))
    }
    case "ours-stream-runforeach": {
      // The same stream run with Stream.runForEachArray (Effect's runner, an array of events at a time).
      const client = await effectClient()
      return () =>
        Effect.runPromise(Effect.suspend(() => {
          let n = 0
          return Stream.runForEachArray(client.stream(params), (chunk) =>
            Effect.sync(() => {
              for (const _ of chunk) n++
            })).pipe(Effect.map(() => n))
        }))
    }
    case "ours-stream-runforeach-each": {
      // What users write: Stream.runForEach over client.stream, an effect per event.
      const client = await effectClient()
      return () =>
        Effect.runPromise(Effect.suspend(() => {
          let n = 0
          return Stream.runForEach(client.stream(params), () =>
            Effect.sync(() => {
              n++
            })).pipe(Effect.map(() => n))
        }))
    }
    case "ours-finalmessage": {
      // MessageStream.finalMessage over client.stream: the whole Message, in Effect.
      const client = await effectClient()
      return () => Effect.runPromise(Effect.map(MessageStream.finalMessage(client.stream(params)), (m) => m.content.length))
    }
    case "ours-promise-forawait": {
      // The Promise client's for await alone, without finalMessage().
      const client = await createClient({ config, env: {} })
      return async () => {
        let n = 0
        for await (const _ of client.messages.stream(params)) n++
        return n
      }
    }
    case "ours-promise-final": {
      // The Promise client's finalMessage() alone (it consumes the stream itself).
      const client = await createClient({ config, env: {} })
      return () => client.messages.stream(params).finalMessage().then((m) => m.content.length)
    }
    case "ours-ai-streamtext": {
      // @effect/ai's LanguageModel.streamText on this client (AnthropicLanguageModel), every part consumed.
      const scope = Effect.runSync(Scope.make())
      const stack = AnthropicClient.layerFile({ config, env: {} })
      const services = await Effect.runPromise(Layer.buildWithScope(
        AnthropicLanguageModel.model(params.model, { max_tokens: params.max_tokens }).pipe(Layer.provideMerge(stack)),
        scope
      ))
      return () =>
        Effect.runPromise(Effect.suspend(() => {
          let n = 0
          return Stream.runForEach(LanguageModel.streamText({ prompt: "Go." }), () =>
            Effect.sync(() => {
              n++
            })).pipe(Effect.map(() => n), Effect.provide(services))
        }))
    }
    case "ours-promise-stream": {
      const client = await createClient({ config, env: {} })
      return () => eventsThenFinal(client.messages.stream(params))
    }
    case "floor-calls":
    case "floor-calls-reported": {
      const dispatcher = new Agent()
      const to = `${name === "floor-calls" ? url : reportingUrl}/v1/messages`
      return manyCalls(async () => {
        const res = await request(to, { method: "POST", headers, body: JSON.stringify(params), dispatcher })
        return JSON.parse(await res.body.text())
      })
    }
    case "ours-calls-reported": {
      const client = await effectClient({}, reportingUrl)
      return manyCalls(() => Effect.runPromise(client.createMessage(params)))
    }
    case "platform-calls":
      // Effect's HttpClient (effect/http, @effect/platform-node's undici client), nothing of this client: what the HTTP layer itself costs.
      return httpClientCalls(NodeHttpClient.layerUndici, (http) => HttpClient.transformResponse(http, Effect.provideService(HttpClient.TracerDisabledWhen, () => true)))
    case "undici-httpclient-calls":
      // This project's HttpClient (UndiciHttpClient) alone, nothing else of the client.
      return httpClientCalls(UndiciHttpClient.layer, (http) => http)
    case "sdk-calls": {
      const sdk = new Anthropic({ apiKey, baseURL: url, maxRetries: 0 })
      return manyCalls(() => sdk.messages.create(params))
    }
    case "ours-calls": {
      const client = await effectClient()
      return manyCalls(() => Effect.runPromise(client.createMessage(params)))
    }
    case "ours-calls-minute": {
      const client = await effectClient(minuteLimits)
      return manyCalls(() => Effect.runPromise(client.createMessage(params)))
    }
    case "ours-calls-redis": {
      const client = await effectClient({ ...minuteLimits, store: "redis", redis_url: process.env.REDIS_URL, key_prefix: `bench-${process.pid}:` })
      return manyCalls(() => Effect.runPromise(client.createMessage(params)))
    }
    case "ours-calls-unlimited": {
      // No limiter at all (nothing configured, adaptive off): what the rest of the client costs.
      const client = await effectClient({ adaptive: false })
      return manyCalls(() => Effect.runPromise(client.createMessage(params)))
    }
    case "ours-promise-calls": {
      const client = await createClient({ config, env: {} })
      return manyCalls(() => client.messages.create(params))
    }
    default:
      throw new Error(`unknown contender ${name}`)
  }
}

const run = await make()
// Two warm-up runs: Effect's runtime takes more than one run of 5,000 calls to be fully optimized by the JIT.
await run()
const count = await run()
const times: Array<number> = []
// CPU time of this process (all its threads: the JIT's and the garbage collector's too): unlike wall time it leaves
// out the time this machine's host takes the CPU away (steal, 10-20 % here and bursty).
const cpu: Array<number> = []
for (let i = 0; i < Number(roundsText); i++) {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  await run()
  times.push(performance.now() - t0)
  const used = process.cpuUsage(c0)
  cpu.push((used.user + used.system) / 1000)
}
console.log(JSON.stringify({ times, cpu, count }))
process.exit(0)
