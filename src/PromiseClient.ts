/**
 * The client for plain async code: the whole stack built once, behind Promise-returning functions.
 *
 * ```ts
 * const client = await createClient()
 * const msg = await client.messages.create({ model: "claude-haiku-4-5", max_tokens: 256, messages: [...] })
 * await client.close()
 * ```
 *
 * A failed call rejects with the tagged error itself (`err._tag === "RateLimit"`, …). An aborted `signal`
 * interrupts the call (and its HTTP request) and rejects with the signal's reason.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as AnthropicClient from "./AnthropicClient.js"
import type * as AnthropicConfig from "./AnthropicConfig.js"
import * as Credentials from "./Credentials.js"
import type * as Files from "./internal/resources/files.js"
import type { TransferProgress } from "./internal/resources/transferProgress.js"
import type { Page, PageParams } from "./internal/http/pagination.js"
import { fromStream, makeReader, type Reader, type ReaderOptions, type Source, type StreamControl } from "./internal/stream/streamReader.js"
import type * as MessageBatches from "./internal/resources/messageBatches.js"
import { ClientClosed, type CredentialKind, type SourceReport } from "./internal/errors.js"
import type { ApiError } from "./internal/errors.js"
import * as MessagesText from "./internal/messages/message.js"
import type * as Messages from "./internal/messages/message.js"
import * as MessageStream from "./MessageStream.js"
import type * as Models from "./internal/resources/models.js"
import * as RateLimiter from "./RateLimiter.js"
import type * as ResponseMetadata from "./internal/responseMetadata.js"
import type { RateLimits } from "./internal/responseMetadata.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface CreateClientOptions {
  /**
   * The YAML file. Without it, `config/llm.yaml` is read if it exists, else the built-in defaults apply: the
   * environment alone (`ANTHROPIC_API_KEY`, `ANTHROPIC_BASE_URL`, `auth.mode: auto`). A path given here must exist.
   */
  readonly configPath?: string
  /** The configuration as an object of the same shape as `config/llm.yaml` (top-level `providers:`). */
  readonly config?: object
  /** Where `${VAR}`, HOME and CLAUDE_CONFIG_DIR are read. Defaults to `process.env`. */
  readonly env?: Record<string, string | undefined>
  /** What `config/llm.yaml` and relative paths resolve against. Defaults to `process.cwd()`. */
  readonly cwd?: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RequestOptions extends AnthropicClient.CallOptions {
  readonly signal?: AbortSignal | undefined
}

/**
 * An upload's or a download's options for plain code: a call's, and `onProgress` as a plain callback, called after
 * each chunk of the file's bytes with the bytes so far and the total when known (see `Files.TransferOptions`).
 *
 * @since 0.2.0
 * @category models
 */
export interface TransferRequestOptions extends RequestOptions {
  readonly onProgress?: ((progress: TransferProgress) => void) | undefined
}

/**
 * `batches.wait`'s options for plain code: `onPoll` and `onProgress` as plain callbacks (see
 * `MessageBatches.WaitOptions`).
 *
 * @since 0.2.0
 * @category models
 */
export interface WaitRequestOptions extends RequestOptions, Omit<MessageBatches.WaitOptions, "onPoll" | "onProgress"> {
  readonly onPoll?: ((batch: MessageBatches.MessageBatch) => void) | undefined
  /** After each poll: the batch's requests in each state, of how many. */
  readonly onProgress?: ((progress: MessageBatches.BatchProgress) => void) | undefined
}

/**
 * A streamed reply for plain code: iterate the API's events with `for await`, or just await `finalMessage()` /
 * `finalText()` (which consume the stream themselves when nobody iterates). It is read once: a second `for await`,
 * or one after `finalMessage()` started reading, throws a `TypeError`. Leaving the loop early, calling `abort()`,
 * aborting the signal or closing the client aborts the request at whatever stage it is (waiting for its answer, for
 * a retry, for the next event); once `message_stop` has arrived the message is complete and `finalMessage()`
 * resolves whatever ends the stream.
 *
 * @since 0.1.0
 * @category models
 */
export interface MessageStreamHandle extends AsyncIterable<Messages.MessageStreamEvent> {
  readonly finalMessage: () => Promise<Messages.Message>
  readonly finalText: () => Promise<string>
  readonly abort: () => Promise<void>
  /**
   * The answer's metadata (request id, headers, rate limits), once its headers and first event have arrived. It
   * starts the request if nobody reads the stream yet; the events are still all there for the one reader.
   */
  readonly withResponse: () => Promise<ResponseInfo>
}

/**
 * An answer's metadata: its `request-id`, every header, and the rate limits they report.
 *
 * @since 0.2.0
 * @category models
 */
export interface ResponseInfo {
  readonly requestId: string | undefined
  /** The answer's HTTP status (a 2xx). */
  readonly status: number
  /** Milliseconds the call waited for this client's rate limiter before it was sent. */
  readonly limiterWaitMs: number
  readonly rateLimits: RateLimits
  readonly headers: Readonly<Record<string, string>>
}

/**
 * What every call returns: the result's promise, and `withResponse()` for the result (`data`) with its answer's
 * metadata (one request either way), as the official SDK has it. For `batches.wait`, the last poll's answer.
 *
 * @since 0.2.0
 * @category models
 */
export interface ApiPromise<A> extends Promise<A> {
  readonly withResponse: () => Promise<ResponseInfo & { readonly data: A }>
}

/**
 * What `messages.create` returns: an {@link ApiPromise} whose `withResponse()` also names the Message `message`.
 *
 * @since 0.2.0
 * @category models
 */
export interface MessagePromise extends Promise<Messages.Message> {
  readonly withResponse: () => Promise<ResponseInfo & { readonly data: Messages.Message; readonly message: Messages.Message }>
}

/**
 * A file's bytes for plain code: iterate the chunks with `for await`, or await `bytes()` for all of them. Read once,
 * like a {@link MessageStreamHandle}; leaving the loop, `abort()`, the signal or `close()` aborts the download.
 *
 * @since 0.2.0
 * @category models
 */
export interface DownloadHandle extends AsyncIterable<Uint8Array> {
  readonly bytes: () => Promise<Uint8Array>
  readonly abort: () => Promise<void>
  /**
   * The answer's metadata (request id, headers, rate limits), once its headers and first bytes have arrived. It
   * starts the download if nobody reads it yet; the bytes are still all there for the one reader.
   */
  readonly withResponse: () => Promise<ResponseInfo>
}

/**
 * What to upload from plain code: a path, bytes, or any `AsyncIterable` of bytes (a Node `Readable`, a web
 * `ReadableStream`), which is sent once (no retry can replay it). See `Files.UploadSource`.
 *
 * @since 0.2.0
 * @category models
 */
export type UploadSource =
  | Extract<Files.UploadSource, { readonly path: string } | { readonly bytes: Uint8Array }>
  | {
    readonly stream: AsyncIterable<Uint8Array>
    readonly filename: string
    readonly mimeType?: string | undefined
    readonly size?: number | undefined
  }

/**
 * @category models
 */
export interface Client {
  readonly messages: {
    readonly create: (params: Messages.MessageCreateParams, options?: RequestOptions) => MessagePromise
    readonly stream: (params: Messages.MessageCreateParams, options?: RequestOptions) => MessageStreamHandle
    readonly countTokens: (
      params: Messages.CountTokensParams,
      options?: RequestOptions
    ) => ApiPromise<Messages.MessageTokensCount>
    /** Message Batches (`AnthropicClient`'s `createBatch`, … as Promises and `AsyncIterable`s). */
    readonly batches: {
      readonly create: (params: MessageBatches.BatchCreateParams, options?: RequestOptions) => ApiPromise<MessageBatches.MessageBatch>
      readonly retrieve: (id: string, options?: RequestOptions) => ApiPromise<MessageBatches.MessageBatch>
      /** Every batch from `params` on; each `for await` lists afresh, fetching pages as it goes. */
      readonly list: (params?: PageParams, options?: RequestOptions) => AsyncIterable<MessageBatches.MessageBatch>
      readonly listPage: (params?: PageParams, options?: RequestOptions) => ApiPromise<Page<MessageBatches.MessageBatch>>
      readonly cancel: (id: string, options?: RequestOptions) => ApiPromise<MessageBatches.MessageBatch>
      readonly delete: (id: string, options?: RequestOptions) => ApiPromise<MessageBatches.DeletedMessageBatch>
      /** The results file decoded line by line (constant memory); each `for await` reads it afresh. */
      readonly results: (id: string, options?: RequestOptions) => AsyncIterable<MessageBatches.BatchResult>
      /** Resolves with the batch once it has ended (polling with backoff; the signal stops it). */
      readonly wait: (id: string, options?: WaitRequestOptions) => ApiPromise<MessageBatches.MessageBatch>
    }
  }
  readonly models: {
    /** Every model from `params` on; each `for await` lists afresh, fetching pages as it goes. */
    readonly list: (params?: Models.ModelListParams, options?: RequestOptions) => AsyncIterable<Models.ModelInfo>
    readonly listPage: (params?: Models.ModelListParams, options?: RequestOptions) => ApiPromise<Page<Models.ModelInfo>>
    readonly retrieve: (id: string, options?: RequestOptions) => ApiPromise<Models.ModelInfo>
  }
  /** The Files API (beta `files-api-2025-04-14`, sent for you). */
  readonly files: {
    readonly upload: (source: UploadSource, options?: TransferRequestOptions) => ApiPromise<Files.FileMetadata>
    readonly list: (params?: Files.FileListParams, options?: RequestOptions) => AsyncIterable<Files.FileMetadata>
    readonly listPage: (params?: Files.FileListParams, options?: RequestOptions) => ApiPromise<Page<Files.FileMetadata>>
    readonly retrieve: (id: string, options?: RequestOptions) => ApiPromise<Files.FileMetadata>
    readonly download: (id: string, options?: TransferRequestOptions) => DownloadHandle
    readonly delete: (id: string, options?: RequestOptions) => ApiPromise<Files.DeletedFile>
  }
  /** The rate limiter as it is now: the pause, requests in flight, calls waiting and what holds them, every budget. */
  readonly rateLimiter: {
    readonly snapshot: () => Promise<RateLimiter.Snapshot>
  }
  /** The credential in use and what every other source looked like (no secrets). */
  readonly credential: {
    readonly kind: CredentialKind
    readonly location: string
    readonly report: ReadonlyArray<SourceReport>
  }
  /** Runs any Effect program against this client's services. */
  readonly run: <A, E>(
    effect: Effect.Effect<A, E, AnthropicClient.Services>,
    options?: { readonly signal?: AbortSignal | undefined }
  ) => Promise<A>
  /** Releases everything the client started (connections, background fibers). */
  readonly close: () => Promise<void>
}

/**
 * Reject with the error itself rather than the squashed cause `Effect.runPromise` rejects with. An interruption is
 * the caller's abort (the signal's reason), or the client closing under the call.
 */
const settle = <A, E>(exit: Exit.Exit<A, E>, signal?: AbortSignal, closed?: () => ClientClosed | undefined): A => {
  if (Exit.isSuccess(exit)) return exit.value
  const failure = Cause.findErrorOption(exit.cause)
  if (Option.isSome(failure)) throw failure.value
  if (Cause.hasInterruptsOnly(exit.cause)) {
    if (signal?.aborted) throw signal.reason
    throw closed?.() ?? new DOMException("The operation was interrupted", "AbortError")
  }
  throw Cause.squash(exit.cause)
}

const closedError = (detail: string) => new ClientClosed({ detail })

/** A plain callback as the Effect-returning one the client takes. */
const effectful = <A>(f: ((value: A) => void) | undefined): ((value: A) => Effect.Effect<void>) | undefined =>
  typeof f === "function" ? (value) => Effect.sync(() => f(value)) : undefined

/** The client's built stack, and what `close()` must stop: the calls in flight, the open streams, the stack's scope. */
interface Host {
  /** What the stack was built in: closing it releases the stack (connections, background fibers). */
  readonly scope: Scope.Closeable
  /**
   * The built stack's services, which every call and stream read runs with. Effect forks a fiber from a `Context`
   * alone and derives what a fiber reads of it (scheduler, tracer, log level) once per context, not per fork.
   */
  readonly context: Context.Context<AnthropicClient.Services>
  readonly inFlight: Set<Fiber.Fiber<unknown, unknown>>
  readonly streams: Set<StreamControl>
  closing: Promise<void> | undefined
}

/** Once closed, every call (and every stream) rejects with ClientClosed, never with the runtime's bare string. */
const closedOf = (host: Host) => (): ClientClosed | undefined =>
  host.closing === undefined ? undefined : closedError("client.close() was called")

type Run = <A, E>(
  effect: Effect.Effect<A, E, AnthropicClient.Services>,
  options?: { readonly signal?: AbortSignal | undefined }
) => Promise<A>

/** An effect run with the client's services as a promise: aborted by the signal, interrupted by `close()`. */
const runOn = (host: Host): Run => {
  const closed = closedOf(host)
  const fork = Effect.runForkWith(host.context)
  return (effect, options) => {
    const refused = closed()
    if (refused !== undefined) return Promise.reject(refused)
    const signal = options?.signal
    return new Promise((resolve, reject) => {
      const fiber = fork(effect)
      host.inFlight.add(fiber)
      const abort = () => fiber.interruptUnsafe(fiber.id)
      if (signal?.aborted) abort()
      else signal?.addEventListener("abort", abort, { once: true })
      fiber.addObserver((exit) => {
        host.inFlight.delete(fiber)
        signal?.removeEventListener("abort", abort)
        try {
          resolve(settle(exit, signal, closed))
        } catch (error) {
          reject(error)
        }
      })
    })
  }
}

type ReaderOf = <A, R>(
  source: Source<A, ApiError>,
  signal: AbortSignal | undefined,
  options: ReaderOptions<A, R>,
  alreadyRead: () => TypeError
) => Reader<A, R>

/** A reader of a stream run with the client's services (built by now: its layer's errors cannot occur any more). */
const readerOn = (host: Host): ReaderOf => {
  const closed = closedOf(host)
  // A stream's source needs no service of the stack (the client's methods closed over them).
  const ready: Context.Context<never> = host.context
  return (source, signal, options, alreadyRead) =>
    makeReader(ready, source, signal, {
      closed,
      opened: (control) => host.streams.add(control),
      ended: (control) => host.streams.delete(control),
      settle: (exit) => settle(exit, signal, closed)
    }, options, alreadyRead)
}

type Call = <A>(
  make: (options: RequestOptions) => Effect.Effect<A, ApiError, AnthropicClient.Services>,
  options?: RequestOptions
) => ApiPromise<A>

/**
 * A call: its result, and the result with its answer's metadata, from one request. The metadata is kept by the
 * call's `onResponse` (a field write), not by listening on the fiber (`AnthropicClient.withResponse`: ~10 µs).
 */
const callOn = (run: Run): Call => <A>(
  make: (options: RequestOptions) => Effect.Effect<A, ApiError, AnthropicClient.Services>,
  options?: RequestOptions
): ApiPromise<A> => {
  let last: ResponseMetadata.ResponseMetadata | undefined
  const theirs = options?.onResponse
  // Copied, then set: `{ ...options, onResponse }` takes ~0.7 µs on Node 20 when `options` has other keys.
  const withOurs: Mutable<RequestOptions> = Object.assign({}, options)
  withOurs.onResponse = (response) => {
    last = response
    if (typeof theirs === "function") theirs(response)
  }
  // Set on the promise itself: `Object.assign` would build an object for it on every call.
  const data = run(make(withOurs), options) as Mutable<ApiPromise<A>>
  let full: ReturnType<ApiPromise<A>["withResponse"]> | undefined
  data.withResponse = () =>
    full ??= data.then((value) => {
      const { headers, limiterWaitMs, rateLimits, requestId, status } = last!
      return { data: value, requestId, status, limiterWaitMs, rateLimits, headers }
    })
  // The caller may await only withResponse(): the plain promise's failure must not be an unhandled rejection.
  data.catch(() => {})
  return data
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** `messages.create`: a call whose `withResponse()` also names the Message `message`. */
const createOn = (client: AnthropicClient.Service, call: Call) =>
(params: Messages.MessageCreateParams, options?: RequestOptions): MessagePromise => {
  const created: Mutable<ApiPromise<Messages.Message>> = call((o) => client.createMessage(params, o), options)
  const withData = created.withResponse
  let full: ReturnType<MessagePromise["withResponse"]> | undefined
  created.withResponse = () => full ??= withData().then((answer) => ({ ...answer, message: answer.data }))
  return created as MessagePromise
}

/** A list or results file: each `for await` reads the stream afresh. */
const iterableOn = (readerOf: ReaderOf) => <A>(stream: Stream.Stream<A, ApiError>, options?: RequestOptions): AsyncIterable<A> => ({
  [Symbol.asyncIterator]: () => readerOf(fromStream(stream), options?.signal, { result: () => undefined }, messageAlreadyRead).iterator()
})

/**
 * A started stream as a reader's source, and its answer's metadata: settled once the answer arrived, or with the
 * failure of a stream that ended before it (call `settleWith` with the reader).
 */
const startedSource = <A>(
  started: Effect.Effect<ResponseInfo & { readonly pull: MessageStream.Pull<A, ApiError> }, ApiError, Scope.Scope>
) => {
  let resolveInfo!: (info: ResponseInfo) => void
  let rejectInfo!: (error: unknown) => void
  const info = new Promise<ResponseInfo>((resolve, reject) => {
    resolveInfo = resolve
    rejectInfo = reject
  })
  info.catch(() => {})
  const source: Source<A, ApiError> = Effect.map(started, ({ headers, limiterWaitMs, pull, rateLimits, requestId, status }) => {
    resolveInfo({ requestId, status, limiterWaitMs, rateLimits, headers })
    return pull
  })
  const settleWith = (reader: { readonly ended: Promise<unknown> }) =>
    reader.ended.then(() => rejectInfo(new TypeError("the stream ended before its answer arrived")), rejectInfo)
  return { source, info, settleWith }
}

/** `messages.stream`: the events for `for await`, the Message they build for `finalMessage()`. */
const messageStreamOn = (client: AnthropicClient.Service, readerOf: ReaderOf) =>
(params: Messages.MessageCreateParams, options?: RequestOptions): MessageStreamHandle => {
  const accumulator = new MessageStream.MessageAccumulator()
  // The started stream's pull, without a Stream around it (measured: 1–3 % of the floor on 400k events).
  const { info, settleWith, source } = startedSource(client.streamWithResponse(params, options))
  const reader = readerOf(source, options?.signal, {
    accept: (event) => accumulator.push(event),
    complete: () => accumulator.done,
    result: () => accumulator.final()
  }, messageAlreadyRead)
  settleWith(reader)
  return {
    [Symbol.asyncIterator]: reader.iterator,
    finalMessage: reader.readAll,
    finalText: () => reader.readAll().then(MessagesText.textOf),
    abort: reader.abort,
    withResponse: () => {
      void reader.prefetch()
      return info
    }
  }
}

/** `files.download`: the chunks for `for await`, or all the bytes from `bytes()`. */
const downloadOn = (client: AnthropicClient.Service, readerOf: ReaderOf) =>
(id: string, options?: TransferRequestOptions): DownloadHandle => {
  const chunks: Array<Uint8Array> = []
  let iterated = false
  const { info, settleWith, source } = startedSource(
    client.downloadFileWithResponse(id, { ...options, onProgress: effectful(options?.onProgress) })
  )
  const reader = readerOf(source, options?.signal, {
    // bytes() keeps what it reads; a for await hands the chunks out instead.
    accept: (chunk) => {
      if (!iterated) chunks.push(chunk)
    },
    result: () => Buffer.concat(chunks)
  }, downloadAlreadyRead)
  settleWith(reader)
  return {
    [Symbol.asyncIterator]: () => {
      const iterator = reader.iterator()
      iterated = true
      return iterator
    },
    // After (or during) a for await the chunks were handed out, not kept: there are no bytes to give.
    bytes: () => (iterated ? Promise.reject(downloadAlreadyRead()) : reader.readAll() as Promise<Uint8Array>),
    abort: reader.abort,
    withResponse: () => {
      void reader.prefetch()
      return info
    }
  }
}

/** An upload's source, a caller's async iterable as a Stream. */
const uploadSource = (source: UploadSource): Files.UploadSource =>
  source !== null && typeof source === "object" && "stream" in source
    ? { ...source, stream: Stream.fromAsyncIterable(source.stream, (cause) => cause) }
    : source

/** Stops the open streams and the calls in flight, then releases the stack; once, however often it is called. */
const closeOn = (host: Host) => (): Promise<void> =>
  host.closing ??= (async () => {
    const error = closedError("client.close() was called while the stream was open")
    await Promise.all([...host.streams].map((s) => s.fail(error)))
    await Effect.runPromise(Fiber.interruptAll(host.inFlight))
    await Effect.runPromise(Scope.close(host.scope, Exit.void))
  })()

/** The resources' methods, each a call, a list or a stream with the client's services. */
const resourcesOf = (client: AnthropicClient.Service, host: Host, run: Run) => {
  const call = callOn(run)
  const readerOf = readerOn(host)
  const iterable = iterableOn(readerOf)
  const messages: Client["messages"] = {
    create: createOn(client, call),
    stream: messageStreamOn(client, readerOf),
    countTokens: (params, options) => call((o) => client.countTokens(params, o), options),
    batches: {
      create: (params, options) => call((o) => client.createBatch(params, o), options),
      retrieve: (id, options) => call((o) => client.retrieveBatch(id, o), options),
      list: (params, options) => iterable(client.batches(params, options), options),
      listPage: (params, options) => call((o) => client.listBatches(params, o), options),
      cancel: (id, options) => call((o) => client.cancelBatch(id, o), options),
      delete: (id, options) => call((o) => client.deleteBatch(id, o), options),
      results: (id, options) => iterable(client.batchResults(id, options), options),
      wait: (id, options) =>
        call((o) =>
          client.waitForBatch(id, {
            ...o,
            onPoll: effectful(options?.onPoll),
            onProgress: effectful(options?.onProgress)
          }), options)
    }
  }
  const models: Client["models"] = {
    list: (params, options) => iterable(client.models(params, options), options),
    listPage: (params, options) => call((o) => client.listModels(params, o), options),
    retrieve: (id, options) => call((o) => client.retrieveModel(id, o), options)
  }
  const files: Client["files"] = {
    upload: (source, options) =>
      call((o) => client.uploadFile(uploadSource(source), { ...o, onProgress: effectful(options?.onProgress) }), options),
    list: (params, options) => iterable(client.files(params, options), options),
    listPage: (params, options) => call((o) => client.listFiles(params, o), options),
    retrieve: (id, options) => call((o) => client.retrieveFile(id, o), options),
    download: downloadOn(client, readerOf),
    delete: (id, options) => call((o) => client.deleteFile(id, o), options)
  }
  return { messages, models, files }
}

/**
 * A client over any layer that provides the whole stack (tests use this with fake layers).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromLayer = async <E>(layer: Layer.Layer<AnthropicClient.Services, E>): Promise<Client> => {
  // Built once, into a scope the client owns, on a fiber of Effect's default scheduler; every call forks from the
  // built context. Not in a `ManagedRuntime`: its `runFork` also registers every fiber it starts in a scope of its
  // own, which `host.inFlight` already does here.
  const scope = Scope.makeUnsafe()
  const built = await Effect.runPromiseExit(Layer.buildWithScope(layer, scope))
  if (Exit.isFailure(built)) await Effect.runPromise(Scope.close(scope, built))
  // The built services, or the layer's error thrown.
  const context = settle(built)
  const host: Host = { scope, context, inFlight: new Set(), streams: new Set(), closing: undefined }
  const run = runOn(host)
  const credentials = Context.get(context, Credentials.Credentials)
  const client = Context.get(context, AnthropicClient.AnthropicClient)
  return {
    ...resourcesOf(client, host, run),
    rateLimiter: { snapshot: () => run(Effect.flatMap(RateLimiter.RateLimiter, (limiter) => limiter.snapshot)) },
    credential: { kind: credentials.kind, location: credentials.location, report: credentials.report },
    run,
    close: closeOn(host)
  }
}

/**
 * A handle is read once, by one consumer: a second `for await`, or one after `finalMessage()` started reading,
 * would miss the events already taken. A `TypeError`, as the platform's own one-shot readers use (a locked
 * `ReadableStream`, a fetch body already read): it is a mistake in the calling code, not an outcome of the call.
 */
const alreadyRead = (what: string, whole: string) => () =>
  new TypeError(
    `This ${what} is already being read (by a for await, or by ${whole}). Read it once: ` +
      `iterate it with one for await, or just await ${whole}.`
  )

const messageAlreadyRead = alreadyRead("message stream", "finalMessage()/finalText()")
const downloadAlreadyRead = alreadyRead("download", "bytes()")

/**
 * Build a client from `config/llm.yaml` (or `configPath`, or `config`). Rejects with a `AnthropicConfigError` or
 * `NoCredentials` when the configuration or the credentials are unusable.
 *
 * @since 0.1.0
 * @category constructors
 */
export const createClient = (options: CreateClientOptions = {}): Promise<Client> =>
  fromLayer(AnthropicClient.layerFile(options satisfies AnthropicConfig.LoadOptions))
