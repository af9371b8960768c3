/**
 * The client for plain async code: a `ManagedRuntime` over the whole stack behind Promise-returning functions.
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
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as AnthropicClient from "./AnthropicClient.js"
import type * as AnthropicConfig from "./AnthropicConfig.js"
import * as Credentials from "./Credentials.js"
import { ClientClosed, type CredentialKind, type SourceReport } from "./Errors.js"
import type { ApiError } from "./Errors.js"
import * as MessagesText from "./Messages.js"
import type * as Messages from "./Messages.js"
import * as MessageStream from "./MessageStream.js"

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
}

/**
 * @category models
 */
export interface Client {
  readonly messages: {
    readonly create: (params: Messages.MessageCreateParams, options?: RequestOptions) => Promise<Messages.Message>
    readonly stream: (params: Messages.MessageCreateParams, options?: RequestOptions) => MessageStreamHandle
    readonly countTokens: (
      params: Messages.CountTokensParams,
      options?: RequestOptions
    ) => Promise<Messages.MessageTokensCount>
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
 * Reject with the error itself rather than Effect's FiberFailure wrapper. An interruption is the caller's abort
 * (the signal's reason), or the client closing under the call.
 */
const settle = <A, E>(exit: Exit.Exit<A, E>, signal?: AbortSignal, closed?: () => ClientClosed | undefined): A => {
  if (Exit.isSuccess(exit)) return exit.value
  const failure = Cause.failureOption(exit.cause)
  if (Option.isSome(failure)) throw failure.value
  if (Cause.isInterruptedOnly(exit.cause)) {
    if (signal?.aborted) throw signal.reason
    throw closed?.() ?? new DOMException("The operation was interrupted", "AbortError")
  }
  throw Cause.squash(exit.cause)
}

const closedError = (detail: string) => new ClientClosed({ detail })

/**
 * A client over any layer that provides the whole stack (tests use this with fake layers).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromLayer = async <E>(layer: Layer.Layer<AnthropicClient.Services, E>): Promise<Client> => {
  const runtime = ManagedRuntime.make(layer)
  const built = await Effect.runPromiseExit(runtime.runtimeEffect)
  if (Exit.isFailure(built)) {
    await runtime.dispose()
    settle(built)
  }
  // Once closed, every call (and every stream) rejects with ClientClosed, never with the runtime's bare string.
  let closing: Promise<void> | undefined
  const closed = () => closing === undefined ? undefined : closedError("client.close() was called")
  // Calls in flight, interrupted by close(): the runtime's disposal alone would leave them running on a closed stack.
  const inFlight = new Set<Fiber.RuntimeFiber<unknown, unknown>>()
  const run = <A, E2>(
    effect: Effect.Effect<A, E2, AnthropicClient.Services>,
    options?: { readonly signal?: AbortSignal | undefined }
  ): Promise<A> => {
    const refused = closed()
    if (refused !== undefined) return Promise.reject(refused)
    const signal = options?.signal
    return new Promise<A>((resolve, reject) => {
      const fiber = runtime.runFork(effect)
      inFlight.add(fiber)
      const abort = () => fiber.unsafeInterruptAsFork(fiber.id())
      if (signal?.aborted) abort()
      else signal?.addEventListener("abort", abort, { once: true })
      fiber.addObserver((exit) => {
        inFlight.delete(fiber)
        signal?.removeEventListener("abort", abort)
        try {
          resolve(settle(exit, signal, closed))
        } catch (error) {
          reject(error)
        }
      })
    })
  }
  const credentials = await run(Credentials.Credentials)
  const client = await run(AnthropicClient.AnthropicClient)
  const streams = new Set<StreamControl>()
  return {
    messages: {
      create: (params, options) => run(client.createMessage(params, options), options),
      stream: (params, options) => {
        const handle = streamHandle(
          // The layer is built by now: its errors cannot occur any more.
          runtime as unknown as ManagedRuntime.ManagedRuntime<AnthropicClient.Services, never>,
          client.stream(params, options),
          options?.signal,
          { closed, opened: (s) => streams.add(s), ended: (s) => streams.delete(s) }
        )
        return handle
      },
      countTokens: (params, options) => run(client.countTokens(params, options), options)
    },
    credential: { kind: credentials.kind, location: credentials.location, report: credentials.report },
    run,
    close: () =>
      closing ??= (async () => {
        const error = closedError("client.close() was called while the stream was open")
        await Promise.all([...streams].map((s) => s.fail(error)))
        await Effect.runPromise(Fiber.interruptAll(inFlight))
        await runtime.dispose()
      })()
  }
}

/** How the client sees an open stream: it can end it (when closing), and is told when it ends. */
interface StreamControl {
  readonly fail: (error: unknown) => Promise<void>
}

interface StreamHooks {
  /** The ClientClosed error once the client is closed. */
  readonly closed: () => ClientClosed | undefined
  readonly opened: (control: StreamControl) => void
  readonly ended: (control: StreamControl) => void
}

type Event = Messages.MessageStreamEvent
type Pull = Effect.Effect<Chunk.Chunk<Event>, Option.Option<ApiError>>

/** How the stream ended: every read after it throws `error`, or finds the end. */
type Ended = { readonly failed: false } | { readonly failed: true; readonly error: unknown }

/**
 * A handle is read once, by one consumer: a second `for await`, or one after `finalMessage()` started reading,
 * would miss the events already taken. A `TypeError`, as the platform's own one-shot readers use (a locked
 * `ReadableStream`, a fetch body already read): it is a mistake in the calling code, not an outcome of the call.
 */
const alreadyRead = () =>
  new TypeError(
    "This message stream is already being read (by a for await, or by finalMessage()/finalText()). Read it once: " +
      "iterate it with one for await and then await finalMessage(), or just await finalMessage()."
  )

/**
 * Pull the Effect stream a chunk at a time; events inside a chunk are handed out without touching Effect again.
 */
const streamHandle = (
  runtime: ManagedRuntime.ManagedRuntime<AnthropicClient.Services, never>,
  stream: Stream.Stream<Event, ApiError>,
  signal: AbortSignal | undefined,
  hooks: StreamHooks
): MessageStreamHandle => {
  const accumulator = new MessageStream.MessageAccumulator()
  // Aborted when the stream ends for any reason (abort(), leaving the loop, the signal, close(), the end itself): it
  // interrupts a pull in flight, and with it the request, its retries and their waits.
  const controller = new AbortController()
  let scope: Scope.CloseableScope | undefined
  let pull: Pull | undefined
  let buffer: ReadonlyArray<Event> = []
  let index = 0
  let ended: Ended | undefined
  let reader: "iterator" | "finalMessage" | undefined
  // The last pull run, and what settles the read waiting on it as soon as the stream ends (whatever the interrupted
  // fiber still has to do: an uninterruptible step must not hold the caller's read).
  let pulling: Promise<unknown> | undefined
  let wake: (() => void) | undefined
  let resolveFinal!: (message: Messages.Message) => void
  let rejectFinal!: (error: unknown) => void
  const final = new Promise<Messages.Message>((resolve, reject) => {
    resolveFinal = resolve
    rejectFinal = reject
  })
  final.catch(() => {}) // reported to whoever awaits finalMessage()

  const control: StreamControl = { fail: (error) => end(error) }
  const onAbort = () => void end(signal!.reason)

  /**
   * End the stream once: stop the pull (the read waiting on it settles at once), let go of the signal and the client,
   * release the request once the pull has stopped, then settle `final`.
   */
  const finish = async (error?: { readonly error: unknown }) => {
    if (ended !== undefined) return
    let outcome: Ended = error === undefined ? { failed: false } : { failed: true, error: error.error }
    let message: Messages.Message | undefined
    if (!outcome.failed) {
      try {
        message = accumulator.final()
      } catch (e) {
        outcome = { failed: true, error: e }
      }
    }
    ended = outcome
    controller.abort()
    wake?.()
    signal?.removeEventListener("abort", onAbort)
    hooks.ended(control)
    await pulling
    const open = scope
    scope = undefined
    // After the runtime is disposed nothing can run on it; closing the scope directly still aborts the request.
    if (open !== undefined) await Effect.runPromise(Scope.close(open, Exit.void))
    if (outcome.failed) rejectFinal(outcome.error)
    else resolveFinal(message!)
  }
  /**
   * Ended from outside (abort(), leaving the loop, the signal, close()): the next read throws the error, as a
   * fetch body's does, without the events still buffered. A message already complete still stands.
   */
  const end = (error: unknown) => {
    if (ended !== undefined || accumulator.done) return finish()
    buffer = []
    index = 0
    return finish({ error })
  }

  /** What a read finds once the stream has ended. */
  const afterEnd = (): false => {
    if (ended?.failed) throw ended.error
    return false
  }

  /** Starts the stream on the first read: registers it with the client and the signal, and makes its pull. */
  const open = (): Pull => {
    hooks.opened(control)
    signal?.addEventListener("abort", onAbort, { once: true })
    // Synchronous (nothing is sent until the first pull): no await between the checks in load() and the pull.
    scope = Effect.runSync(Scope.make())
    return Effect.runSync(Scope.extend(Stream.toPull(stream), scope))
  }

  const pullOnce = (from: Pull) =>
    new Promise<Exit.Exit<Chunk.Chunk<Event>, Option.Option<ApiError>> | undefined>((resolve) => {
      wake = () => resolve(undefined)
      pulling = runtime.runPromiseExit(from, { signal: controller.signal }).then(resolve)
    })

  /**
   * Loads the next chunk into the buffer; false at the end. Never runs twice at once: the iterator queues its reads,
   * and finalMessage() reads only when nobody iterates.
   */
  const load = async (): Promise<boolean> => {
    if (ended !== undefined) return afterEnd()
    const refused = hooks.closed()
    if (refused !== undefined) {
      await end(refused)
      return afterEnd()
    }
    if (signal?.aborted) {
      await end(signal.reason)
      return afterEnd()
    }
    pull ??= open()
    const exit = await pullOnce(pull)
    wake = undefined
    // Ended while this read waited: report that (the abort, ClientClosed), not the broken connection it caused.
    if (ended !== undefined || exit === undefined) return afterEnd()
    if (Exit.isSuccess(exit)) {
      const events = Chunk.toReadonlyArray(exit.value)
      let pushed = 0
      try {
        for (; pushed < events.length; pushed++) accumulator.push(events[pushed]!)
        buffer = events
      } catch (error) {
        // The events before the malformed one are handed out first; the read after them throws.
        buffer = events.slice(0, pushed)
        await finish({ error })
      }
      index = 0
      return true
    }
    const failure = Cause.failureOption(exit.cause)
    if (Option.isSome(failure) && Option.isNone(failure.value)) {
      await finish()
      return afterEnd()
    }
    try {
      settle(Exit.failCause(Cause.map(exit.cause, (e) => Option.getOrThrow(e))), signal, hooks.closed)
    } catch (error) {
      await finish({ error })
    }
    return afterEnd()
  }

  const finalMessage = () => {
    if (reader === undefined) {
      reader = "finalMessage"
      void (async () => {
        while (await load()) { /* the accumulator sees every chunk */ }
      })().catch(() => {})
    }
    return final
  }

  const iterator = (): AsyncIterator<Event> => {
    const slowNext = async (): Promise<IteratorResult<Event>> => {
      while (index >= buffer.length) {
        if (!(await load())) return { value: undefined, done: true }
      }
      return { value: buffer[index++]!, done: false }
    }
    // The last read that waits for a chunk. Later reads queue behind it, so that reads made without awaiting the one
    // before (legal for an async iterator) get the events in order and load one chunk at a time.
    let waiting: Promise<IteratorResult<Event>> | undefined
    return {
      // Events already in the buffer are handed out without an async function's extra ticks.
      next: () => {
        if (waiting === undefined && index < buffer.length) return Promise.resolve({ value: buffer[index++]!, done: false })
        const read = waiting === undefined ? slowNext() : waiting.then(slowNext, slowNext)
        waiting = read
        const settled = () => {
          if (waiting === read) waiting = undefined
        }
        read.then(settled, settled)
        return read
      },
      return: async () => {
        await end(new DOMException("The stream was closed before its end", "AbortError"))
        // Nothing comes out of an iterator after its return(), not even the events still buffered.
        buffer = []
        index = 0
        return { value: undefined, done: true }
      }
    }
  }

  return {
    [Symbol.asyncIterator]: () => {
      if (reader !== undefined) throw alreadyRead()
      reader = "iterator"
      return iterator()
    },
    finalMessage,
    finalText: () => finalMessage().then(MessagesText.textOf),
    abort: () => end(new DOMException("The stream was aborted", "AbortError"))
  }
}

/**
 * Build a client from `config/llm.yaml` (or `configPath`, or `config`). Rejects with a `AnthropicConfigError` or
 * `NoCredentials` when the configuration or the credentials are unusable.
 *
 * @since 0.1.0
 * @category constructors
 */
export const createClient = (options: CreateClientOptions = {}): Promise<Client> =>
  fromLayer(AnthropicClient.layerFile(options satisfies AnthropicConfig.LoadOptions))
