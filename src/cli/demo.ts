/**
 * The demo: the full stack (config, credentials, rate limiter, retries, Messages, Models, Batches, Files) against
 * the loopback stand-in,
 * or, with `--live`, against the real API with the credentials `config/llm.yaml` resolves.
 */
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as References from "effect/References"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as AnthropicClient from "../AnthropicClient.js"
import * as AnthropicConfig from "../AnthropicConfig.js"
import * as Credentials from "../Credentials.js"
import * as Files from "../internal/resources/files.js"
import type { LlmError, StructuredOutputError } from "../internal/errors.js"
import * as Messages from "../internal/messages/message.js"
import * as MessageStream from "../MessageStream.js"
import * as StructuredOutput from "../StructuredOutput.js"
import * as StandIn from "../testing/StandIn.js"
import { escapeControls } from "./terminalText.js"

export interface DemoOptions {
  readonly live: boolean
  readonly configPath?: string | undefined
  /** Where the config's `${VAR}` and HOME are read with `live`; the process's environment by default. */
  readonly env?: AnthropicConfig.LoadOptions["env"]
}

const DEMO_MODEL = "claude-haiku-4-5"

const weatherTool: Messages.Tool = {
  name: "get_weather",
  description: "Current weather for a city",
  input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
}

/** What the structured-output step asks for. */
const Forecast = Schema.Struct({ city: Schema.String, temperature_c: Schema.Number, advice: Schema.String })

/** The local implementation of the demo's tool. */
const getWeather = (input: unknown): string => {
  const city = typeof input === "object" && input !== null && "city" in input ? String(input.city) : "somewhere"
  return JSON.stringify({ city, temperature_c: 18, sky: "sunny" })
}

/** Scripted answers for the offline run: the tool round trip is driven by what the request carries. */
const toolScript: StandIn.Reply = {
  type: "dynamic",
  reply: (request) => {
    const last = request.body?.messages?.at(-1)
    const result = Array.isArray(last?.content) ? last.content.find((b: any) => b?.type === "tool_result") : undefined
    if (result !== undefined) {
      const weather = JSON.parse(String(result.content)) as { city: string; temperature_c: number; sky: string }
      return StandIn.text(`It is ${weather.temperature_c} °C and ${weather.sky} in ${weather.city}.`)
    }
    return StandIn.toolUse("get_weather", { city: "Paris" }, "Let me check the weather.")
  }
}

/** Retries are logged at debug level by the client; the demo shows them. */
const retryLogger = Logger.make(({ message }) => {
  const text = Array.isArray(message) ? message.join(" ") : String(message)
  globalThis.console.log(escapeControls(`   ↻ ${text}`, "text"))
})

const step = (n: number, title: string) => Console.log(`\n[${n}] ${title}`)

const settingsFor = (
  options: DemoOptions
): Effect.Effect<{ settings: AnthropicConfig.AnthropicSettings; standIn?: StandIn.StandIn }, LlmError, Scope.Scope> =>
  options.live
    ? Effect.map(AnthropicConfig.load({ configPath: options.configPath, env: options.env }), (settings) => ({ settings }))
    : Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      yield* Console.log(`Loopback Messages API stand-in listening on ${standIn.url}`)
      // A `Result` is not yieldable in `Effect.gen`.
      const settings = yield* Effect.fromResult(AnthropicConfig.fromObject({
        providers: {
          anthropic: {
            api_key: "sk-ant-api03-demo-key-for-the-loopback-stand-in",
            base_url: standIn.url,
            rate_limit: { requests_per_second: 5 },
            retry: { max_retries: 2 },
            auth: { mode: "static" }
          }
        }
      }))
      return { settings, standIn }
    })

/** What every step uses: the client, the model it asks, and the stand-in offline (which each step scripts). */
interface Demo {
  readonly client: AnthropicClient.Service
  readonly model: string
  readonly standIn: StandIn.StandIn | undefined
}

const CHAT_QUESTION = "In one sentence: what is Effect-TS?"

/** A question, its answer and its usage. */
const chat = ({ client, model, standIn }: Demo): Effect.Effect<void, LlmError | StructuredOutputError> =>
  Effect.gen(function*() {
    standIn?.enqueue(StandIn.text("Hello! Effect makes TypeScript programs typed, composable and testable."))
    yield* Console.log(`   > ${CHAT_QUESTION}`)
    const answer = yield* client.createMessage({
      model,
      max_tokens: 200,
      messages: [{ role: "user", content: CHAT_QUESTION }]
    })
    yield* Console.log(`   < ${Messages.textOf(answer)}`)
    yield* Console.log(`     (${answer.usage.input_tokens} tokens in, ${answer.usage.output_tokens} out, stop: ${answer.stop_reason})`)
  })

/** The model asks for the tool, the tool answers, the model answers with the result. */
const toolRoundTrip = ({ client, model, standIn }: Demo): Effect.Effect<void, LlmError | StructuredOutputError> =>
  Effect.gen(function*() {
    standIn?.enqueue(toolScript, toolScript)
    const ask: Messages.MessageParam = { role: "user", content: "What is the weather in Paris? Use the tool." }
    const first = yield* client.createMessage({ model, max_tokens: 300, tools: [weatherTool], messages: [ask] })
    const calls = Messages.toolUses(first)
    for (const call of calls) yield* Console.log(`   model asks: ${call.name}(${JSON.stringify(call.input)})`)
    if (calls.length === 0) {
      yield* Console.log(`   < ${Messages.textOf(first)} (the model answered without the tool)`)
    } else {
      const results: Array<Messages.ContentBlockParam> = calls.map((call) => ({
        type: "tool_result",
        tool_use_id: call.id,
        content: getWeather(call.input)
      }))
      for (const r of results) if (r.type === "tool_result") yield* Console.log(`   tool returns: ${String(r.content)}`)
      const final = yield* client.createMessage({
        model,
        max_tokens: 300,
        tools: [weatherTool],
        messages: [ask, Messages.assistantTurn(first), { role: "user", content: results }]
      })
      yield* Console.log(`   < ${Messages.textOf(final)}`)
    }
  })

/** Text printed as its deltas arrive, then the final message's usage. */
const streamedReply = ({ client, model, standIn }: Demo): Effect.Effect<void, LlmError | StructuredOutputError> =>
  Effect.gen(function*() {
    standIn?.enqueue(
      StandIn.streamText(
        "Streaming arrives as server-sent events: message_start, content blocks with their deltas, message_delta " +
          "with the stop reason and usage, then message_stop.",
        { piecesPerBlock: 24, chunkSize: 48 }
      )
    )
    yield* Console.log("   > Explain streaming in one sentence.")
    yield* Effect.sync(() => process.stdout.write("   < "))
    const streamed = yield* MessageStream.finalMessage(
      client.stream({ model, max_tokens: 200, messages: [{ role: "user", content: "Explain streaming in one sentence." }] })
        .pipe(Stream.tap((event) => {
          const text = MessageStream.deltaText(event)
          return text === undefined ? Effect.void : Effect.sync(() => process.stdout.write(escapeControls(text, "text")))
        }))
    )
    yield* Console.log(`\n     (${streamed.usage.output_tokens} tokens out, stop: ${streamed.stop_reason})`)
  })

/** A 429 with retry-after-ms (offline only), the retry shown by the client's debug log. */
const retriedAfter429 = ({ client, model, standIn }: Demo): Effect.Effect<void, LlmError | StructuredOutputError> =>
  Effect.gen(function*() {
    if (standIn === undefined) {
      yield* Console.log("   skipped: the real API cannot be asked for a 429")
    } else {
      standIn.enqueue(StandIn.error(429, { retryAfterMs: "700" }), StandIn.text("Made it on the second attempt."))
      const before = standIn.requests.length
      const retried = yield* client.createMessage({
        model,
        max_tokens: 50,
        messages: [{ role: "user", content: "Are you there?" }]
      }).pipe(
        Effect.provideService(Logger.CurrentLoggers, new Set([retryLogger])),
        Effect.provideService(References.MinimumLogLevel, "Debug")
      )
      yield* Console.log(`   < ${Messages.textOf(retried)} (${standIn.requests.length - before} requests sent)`)
    }
  })

/** What the chat question costs in input tokens. */
const countTokens = ({ client, model }: Demo): Effect.Effect<void, LlmError | StructuredOutputError> =>
  Effect.gen(function*() {
    const count = yield* client.countTokens({ model, messages: [{ role: "user", content: CHAT_QUESTION }] })
    yield* Console.log(`   ${count.input_tokens} input tokens for the chat question`)
  })

/** Every page of the model list, and whether the configured model is on it. */
const listModels = ({ client, model }: Demo): Effect.Effect<void, LlmError | StructuredOutputError> =>
  Effect.gen(function*() {
    const models = yield* Stream.runCollect(client.models({ limit: 10 }))
    for (const m of models.slice(0, 3)) yield* Console.log(`   ${m.id}  ${m.display_name}`)
    yield* Console.log(`   … ${models.length} models in all; ${
      models.some((m) => m.id === model || m.id.startsWith(`${model}-`)) ? `${model} is one of them` : `${model} is an alias or not listed`
    }`)
  })

/** A JSON answer decoded with an Effect Schema. */
const structuredOutput = ({ client, model, standIn }: Demo): Effect.Effect<void, LlmError | StructuredOutputError> =>
  Effect.gen(function*() {
    standIn?.enqueue(StandIn.text(JSON.stringify({ city: "Paris", temperature_c: 18, advice: "Take sunglasses." })))
    const forecast = yield* client.createMessage({
      model,
      max_tokens: 300,
      output_config: { format: StructuredOutput.outputFormat(Forecast) },
      messages: [{ role: "user", content: "Give me a forecast for Paris as JSON." }]
    }).pipe(Effect.flatMap(StructuredOutput.decodeOutput(Forecast)))
    yield* Console.log(`   ${forecast.city}: ${forecast.temperature_c} °C — ${forecast.advice}`)
  })

/** Two requests in a batch (offline only): created, waited for, their results read. */
const messageBatch = ({ client, model, standIn }: Demo): Effect.Effect<void, LlmError | StructuredOutputError> =>
  Effect.gen(function*() {
    if (standIn === undefined) {
      yield* Console.log("   skipped live: a batch takes minutes to hours (client.createBatch / waitForBatch / batchResults)")
    } else {
      const batch = yield* client.createBatch({
        requests: ["red", "green"].map((color) => ({
          custom_id: `color-${color}`,
          params: { model, max_tokens: 50, messages: [{ role: "user" as const, content: `A fruit that is ${color}?` }] }
        }))
      })
      yield* Console.log(`   ${batch.id}: ${batch.processing_status}`)
      const ended = yield* client.waitForBatch(batch.id, { initialDelay: "50 millis" })
      yield* Console.log(`   ${ended.processing_status}: ${ended.request_counts.succeeded} succeeded`)
      yield* Stream.runForEach(client.batchResults(batch.id), (line) =>
        Console.log(`   ${line.custom_id}: ${line.result.type === "succeeded" ? Messages.textOf(line.result.message) : line.result.type}`))
    }
  })

/** A document uploaded once (offline only), then referred to by its file_id. */
const uploadedFile = ({ client, model, standIn }: Demo): Effect.Effect<void, LlmError | StructuredOutputError> =>
  Effect.gen(function*() {
    if (standIn === undefined) {
      yield* Console.log("   skipped live: it would store a file in your organization (client.uploadFile)")
    } else {
      const file = yield* client.uploadFile({
        bytes: new TextEncoder().encode("Effect is a TypeScript library for typed, composable programs."),
        filename: "about-effect.txt"
      })
      yield* Console.log(`   uploaded ${file.filename} (${file.size_bytes} bytes, ${file.mime_type}) as ${file.id}`)
      const answer = yield* client.createMessage({
        model,
        max_tokens: 100,
        messages: [{
          role: "user",
          content: [
            { type: "document", source: { type: "file", file_id: file.id } },
            { type: "text", text: "Summarize the document." }
          ]
        }]
      }, { betas: [Files.BETA] })
      yield* Console.log(`   < ${Messages.textOf(answer)}`)
    }
  })

const steps: ReadonlyArray<readonly [string, (demo: Demo) => Effect.Effect<void, LlmError | StructuredOutputError>]> = [
  ["Chat", chat],
  ["Tool call round trip", toolRoundTrip],
  ["A streamed reply, printed as it arrives", streamedReply],
  ["A 429 answered, retried after retry-after-ms", retriedAfter429],
  ["Count tokens", countTokens],
  ["Models: every page, and the configured model checked against them", listModels],
  ["Structured output decoded with an Effect Schema", structuredOutput],
  ["A Message Batch: created, waited for, its results read", messageBatch],
  ["Files: a document uploaded once, then referred to by file_id", uploadedFile]
]

export const run = (options: DemoOptions): Effect.Effect<void, LlmError | StructuredOutputError, Scope.Scope> =>
  Effect.gen(function*() {
    const { settings, standIn } = yield* settingsFor(options)
    const services = yield* Layer.build(AnthropicClient.layerSettings(settings))
    const client = Context.get(services, AnthropicClient.AnthropicClient)
    const credentials = Context.get(services, Credentials.Credentials)
    const model = Option.match(settings.model, { onNone: () => DEMO_MODEL, onSome: (m) => m.model })

    yield* Console.log(
      `Target: ${settings.baseUrl}  credential: ${credentials.kind} (${credentials.location})  rate limit: ${
        Option.match(settings.requestsPerSecond, { onNone: () => "none", onSome: (r) => `${r} req/s` })
      }  max_retries: ${settings.maxRetries}`
    )

    const demo: Demo = { client, model, standIn }
    for (const [index, [title, stepOf]] of steps.entries()) {
      yield* step(index + 1, title)
      yield* stepOf(demo)
    }
    yield* Console.log("\nDemo finished.")
  })
