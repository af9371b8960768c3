/**
 * The Anthropic API as an Effect service: Messages (`createMessage`, `stream`, `countTokens`), Models, Message
 * Batches and Files.
 *
 * @since 0.1.0
 */
import * as Stream from "effect/Stream"
import { makeStreamObserver, observeCall, type StreamObserver, streamUnderSpan, underSpan } from "./internal/telemetry/chat.js"
import { captureContent } from "./internal/telemetry/content.js"
import { answerOf, traceMethods } from "./internal/telemetry/genAi.js"
import type * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import * as AnthropicHttpClient from "./AnthropicHttpClient.js"
import * as AnthropicConfig from "./AnthropicConfig.js"
import * as Credentials from "./Credentials.js"
import * as Files from "./internal/resources/files.js"
import type { AnthropicConfigError, NoCredentials } from "./internal/errors.js"
import { decodeAnswer } from "./internal/http/decodeAnswer.js"
import * as MessageBatches from "./internal/resources/messageBatches.js"
import * as MessageStream from "./MessageStream.js"
import { AnthropicClient, type CallOptions, type Service } from "./internal/client/service.js"
import * as Messages from "./internal/messages/message.js"
import * as Models from "./internal/resources/models.js"
import * as RateLimiter from "./RateLimiter.js"
import { currentSink, listeners, type Sink } from "./internal/http/responseSink.js"
import * as ResponseMetadata from "./internal/responseMetadata.js"
import { defaultHttpClient } from "./internal/http/defaultClient.js"
import { paramsWithStream, withCallOptions } from "./internal/http/request.js"

export {
  AnthropicClient,
  type CallOptions,
  type MessageWithResponse,
  type Service,
  type StreamWithResponse
} from "./internal/client/service.js"

/**
 * A call's result with the metadata of its answer (see {@link withResponse}).
 *
 * @since 0.2.0
 * @category models
 */
export interface WithResponse<A> extends ResponseMetadata.ResponseMetadata {
  readonly data: A
}

/**
 * Runs `effect` and gives its result with the metadata of the last API answer it received: the `request-id`, the
 * status, every header and the rate limits they report. For any call of the client — Models, Batches, Files,
 * `countTokens`, a download or a results file read to its end (`withResponse(Stream.runCollect(…))`):
 *
 * ```ts
 * const { data: model, requestId, rateLimits } = yield* AnthropicClient.withResponse(client.retrieveModel("claude-haiku-4-5"))
 * ```
 *
 * An effect that makes several calls (a list walked page by page, `waitForBatch`'s polls) gives its last answer's.
 * An effect that succeeds without any answer is a defect (it was not a call of this client).
 *
 * @since 0.2.0
 * @category combinators
 */
export const withResponse = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<WithResponse<A>, E, R> =>
  Effect.suspend(() => {
    const sink: Sink = { last: undefined }
    listeners.count++
    const listened = Effect.ensuring(
      Effect.provideService(effect, currentSink, sink),
      Effect.sync(() => {
        listeners.count--
      })
    )
    return Effect.flatMap(listened, (data) =>
      sink.last === undefined
        ? Effect.die(new Error("AnthropicClient.withResponse: the effect received no answer from the API (is it a call of this client?)"))
        : Effect.succeed({ data, ...ResponseMetadata.fromHeaders(sink.last.status, sink.last.headers, sink.last.waitedMs) }))
  })


const decodeMessage = decodeAnswer(Messages.Message, "Message")

/** A Messages request for the rate limiter: its model's limits, and `max_tokens` of output to reserve. */
const meterOf = (params: Messages.MessageCreateParams) => ({
  model: typeof params?.model === "string" ? params.model : undefined,
  maxTokens: typeof params?.max_tokens === "number" ? params.max_tokens : 0
})

/** What a `…WithResponse` result carries of its answer's metadata. */
const metadataOf = (response: ResponseMetadata.ResponseMetadata) => ({
  requestId: response.requestId,
  status: response.status,
  limiterWaitMs: response.limiterWaitMs,
  rateLimits: response.rateLimits,
  headers: response.headers
})

const streamRequest = (params: Messages.MessageCreateParams, options: CallOptions | undefined) => {
  const request = withCallOptions({
    path: "/v1/messages",
    body: paramsWithStream(params, true),
    endOfBody: "message_stop",
    meter: meterOf(params)
  }, options)
  request.headers = { ...options?.headers, accept: "text/event-stream" }
  return request
}

/** The events of a streamed answer, read on their way by the call's observer (its span and metrics). */
const decodeEventsWith = (observer: StreamObserver) =>
  AnthropicHttpClient.pullDecode((body, reader) =>
    observer.observe(MessageStream.decodeSsePull({ ...reader, onBroken: reader.broken })(body))
  )
const decodeCount = decodeAnswer(Messages.MessageTokensCount, "token count")

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<
  Service,
  never,
  AnthropicHttpClient.AnthropicHttpClient | AnthropicConfig.AnthropicConfig
> = Effect.gen(function*() {
  const http = yield* AnthropicHttpClient.AnthropicHttpClient
  const { baseUrl } = yield* AnthropicConfig.AnthropicConfig
  const messageRequest = (params: Messages.MessageCreateParams, options: CallOptions | undefined) =>
    withCallOptions({ path: "/v1/messages", body: paramsWithStream(params, undefined), meter: meterOf(params) }, options)
  return {
    ...traceMethods(Models.make(http), {
      listModels: ["effect", "models.list_page"],
      models: ["stream", "models.list"],
      retrieveModel: ["effect", "models.retrieve"]
    }),
    ...traceMethods(MessageBatches.make(http), {
      createBatch: ["effect", "messages.batches.create"],
      retrieveBatch: ["effect", "messages.batches.retrieve"],
      listBatches: ["effect", "messages.batches.list_page"],
      batches: ["stream", "messages.batches.list"],
      cancelBatch: ["effect", "messages.batches.cancel"],
      deleteBatch: ["effect", "messages.batches.delete"],
      batchResults: ["stream", "messages.batches.results"],
      waitForBatch: ["effect", "messages.batches.wait"]
    }),
    ...traceMethods(Files.make(http), {
      uploadFile: ["effect", "files.upload"],
      listFiles: ["effect", "files.list_page"],
      files: ["stream", "files.list"],
      retrieveFile: ["effect", "files.retrieve"],
      downloadFile: ["stream", "files.download"],
      downloadFileWithResponse: ["effect", "files.download"],
      deleteFile: ["effect", "files.delete"]
    }),
    createMessage: (params, options) =>
      observeCall("chat", params, baseUrl, Effect.flatMap(http.json(messageRequest(params, options)), decodeMessage), answerOf),
    createMessageWithResponse: (params, options) =>
      observeCall(
        "chat",
        params,
        baseUrl,
        http.jsonWithResponse(messageRequest(params, options)).pipe(
          Effect.flatMap(({ json, response }) =>
            Effect.map(decodeMessage(json), (message) => ({ message, ...metadataOf(response) })))
        ),
        (answered) => answerOf(answered.message)
      ),
    stream: (params, options) =>
      Stream.unwrap(Effect.map(makeStreamObserver(params, baseUrl), (observer) =>
        streamUnderSpan(observer, http.stream(streamRequest(params, options), decodeEventsWith(observer))))),
    streamWithResponse: (params, options) =>
      Effect.flatMap(makeStreamObserver(params, baseUrl), (observer) =>
        underSpan(
          observer,
          Effect.map(
            http.streamWithResponse(streamRequest(params, options), decodeEventsWith(observer)),
            ({ pull, response, stream }) => ({ events: stream, pull, ...metadataOf(response) })
          )
        )),
    countTokens: (params, options) =>
      observeCall(
        "count_tokens",
        params,
        baseUrl,
        http.json(withCallOptions({ path: "/v1/messages/count_tokens", body: params }, options)).pipe(Effect.flatMap(decodeCount)),
        () => ({})
      )
  }
})

/**
 * The client over an already provided HTTP layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<
  AnthropicClient,
  never,
  AnthropicHttpClient.AnthropicHttpClient | AnthropicConfig.AnthropicConfig
> = Layer.effect(
  AnthropicClient,
  make
)

/**
 * Every service of the stack, for programs that want more than the client (the credential in use, say).
 *
 * @since 0.1.0
 * @category models
 */
export type Services =
  | AnthropicClient
  | AnthropicHttpClient.AnthropicHttpClient
  | Credentials.Credentials
  | RateLimiter.RateLimiter
  | AnthropicConfig.AnthropicConfig

/**
 * Assemble the stack from its parts: the settings, the credentials (which may read the settings) and the
 * `HttpClient` underneath. The other layers of this module are this with the real parts; tests pass fakes.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFrom = <E1, E2>(parts: {
  readonly config: Layer.Layer<AnthropicConfig.AnthropicConfig, E1>
  readonly credentials: Layer.Layer<Credentials.Credentials, E2, AnthropicConfig.AnthropicConfig | HttpClient.HttpClient>
  readonly httpClient: Layer.Layer<HttpClient.HttpClient>
  /** How the client treats that `HttpClient` (see `AnthropicHttpClient.Options`); the default suits any client. */
  readonly httpClientOptions?: AnthropicHttpClient.Options | undefined
}): Layer.Layer<Services, E1 | E2 | AnthropicConfigError> => {
  const base = Layer.merge(parts.credentials, RateLimiter.layerFromSettings).pipe(
    Layer.provide(parts.httpClient),
    Layer.provideMerge(parts.config)
  )
  const http = AnthropicHttpClient.layerWithoutHttpClient(parts.httpClientOptions).pipe(
    Layer.provide(parts.httpClient),
    Layer.provideMerge(base)
  )
  return layer.pipe(Layer.provideMerge(http))
}

/**
 * The whole stack over the given settings: credentials, rate limiter, the runtime's default HTTP client (undici on
 * Node and Deno, `fetch` elsewhere), Messages.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerSettings = (
  settings: AnthropicConfig.AnthropicSettings
): Layer.Layer<Services, AnthropicConfigError | NoCredentials> => {
  const client = defaultHttpClient(settings.timeoutMs)
  return layerFrom({
    config: AnthropicConfig.layer(settings),
    credentials: Credentials.layer,
    httpClient: client.layer,
    httpClientOptions: client.options
  })
}

/**
 * The whole stack from a YAML file: `config/llm.yaml` when it exists (else the built-in defaults, which read the
 * environment), `options.configPath` (which must exist), or `options.config` (an object of the file's shape).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFile = (
  options: AnthropicConfig.LoadOptions = {}
): Layer.Layer<Services, AnthropicConfigError | NoCredentials> =>
  Layer.unwrap(Effect.map(AnthropicConfig.load(options), layerSettings))

/**
 * The whole stack from Effect `Config` values: the options given (`{ apiKey: Config.redacted("MY_KEY") }`), and for
 * the rest the file's defaults, reading `ANTHROPIC_API_KEY`, `ANTHROPIC_BASE_URL` and `ANTHROPIC_AUTH_MODE` from the
 * current `ConfigProvider`. With no options at all it is the environment alone.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  // Effect 4 has no `Config.Config.Wrap`: the options are whatever `AnthropicConfig.fromConfig` takes.
  options: ConfigOptionsWrap = {}
): Layer.Layer<Services, Config.ConfigError | AnthropicConfigError | NoCredentials> =>
  Layer.unwrap(Effect.map(AnthropicConfig.fromConfig(options), layerSettings))

type ConfigOptionsWrap = NonNullable<Parameters<typeof AnthropicConfig.fromConfig>[0]>

/**
 * The Messages calls of `effect` record their prompt and completion on their `chat` spans (when a tracer is in
 * place), as the OpenTelemetry GenAI convention's opt-in attributes: `gen_ai.system_instructions`,
 * `gen_ai.input.messages`, `gen_ai.output.messages`. Off by default. Anything shaped like a key or token is masked,
 * images and documents are named but not copied, each attribute is cut at 64 KiB.
 *
 * @since 0.2.0
 * @category observability
 */
export const withContentCapture = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.provideService(effect, captureContent, true)

/**
 * {@link withContentCapture} for everything run with this layer's services (the Promise client's
 * `fromLayer(Layer.merge(AnthropicClient.layerFile(), AnthropicClient.layerContentCapture))`, say).
 *
 * @since 0.2.0
 * @category observability
 */
export const layerContentCapture: Layer.Layer<never> = Layer.succeed(captureContent, true)
