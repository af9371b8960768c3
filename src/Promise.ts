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
 * @since 0.1.0
 */
/**
 * A streamed reply for plain code: iterate the API's events with `for await`, or just await `finalMessage()` /
 * `finalText()` (which consume the stream themselves when nobody iterates). Leaving the loop early, calling
 * `abort()` or aborting the signal aborts the request.
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

/**
 * Pull the Effect stream a chunk at a time; events inside a chunk are handed out without touching Effect again.
 */
const streamHandle = (
  runtime: ManagedRuntime.ManagedRuntime<AnthropicClient.Services, never>,
  stream: Stream.Stream<Messages.MessageStreamEvent, ApiError>,
  signal: AbortSignal | undefined,
  hooks: StreamHooks
): MessageStreamHandle => {
  const accumulator = new MessageStream.MessageAccumulator()
  let scope: Scope.CloseableScope | undefined
  let pull: Effect.Effect<Chunk.Chunk<Messages.MessageStreamEvent>, Option.Option<ApiError>> | undefined
  let buffer: ReadonlyArray<Messages.MessageStreamEvent> = []
  let index = 0
  let finished = false
  let iterating = false
  let resolveFinal!: (message: Messages.Message) => void
  let rejectFinal!: (error: unknown) => void
  const final = new Promise<Messages.Message>((resolve, reject) => {
    resolveFinal = resolve
    rejectFinal = reject
  })
  final.catch(() => {}) // reported to whoever awaits finalMessage()

  // Why the stream was ended from outside (abort(), the signal, close()): what a pending read reports then.
  let endedBy: { readonly error: unknown } | undefined
  const close = async () => {
    const open = scope
    scope = undefined
    // After the runtime is disposed nothing can run on it; closing the scope directly still aborts the request.
    if (open !== undefined) await Effect.runPromise(Scope.close(open, Exit.void))
  }
  const control: StreamControl = { fail: (error) => end(error) }
  const finish = async (error?: unknown) => {
    if (finished) return
    finished = true
    hooks.ended(control)
    await close()
    if (error !== undefined) return rejectFinal(error)
    try {
      resolveFinal(accumulator.final())
    } catch (e) {
      rejectFinal(e)
    }
  }
  // A function, so the check after an await is not narrowed away by the one before it.
  const endedFromOutside = () => endedBy
  const end = (error: unknown) => {
    endedBy ??= { error }
    return finish(error)
  }
  signal?.addEventListener("abort", () => void end(signal.reason), { once: true })

  /** Loads the next chunk into the buffer; false at the end. */
  const load = async (): Promise<boolean> => {
    if (endedBy !== undefined) throw endedBy.error
    if (finished) return false
    const refused = hooks.closed()
    if (refused !== undefined) {
      await end(refused)
      throw refused
    }
    if (pull === undefined) {
      hooks.opened(control)
      scope = await runtime.runPromise(Scope.make())
      pull = await runtime.runPromise(Scope.extend(Stream.toPull(stream), scope))
    }
    const exit = await runtime.runPromiseExit(pull, { signal }).catch((error: unknown) => {
      throw hooks.closed() ?? error
    })
    // Ended from outside while this read waited: report that, not the broken connection it caused.
    const outside = endedFromOutside()
    if (outside !== undefined) throw outside.error
    if (Exit.isSuccess(exit)) {
      buffer = Chunk.toReadonlyArray(exit.value)
      index = 0
      try {
        for (const event of buffer) accumulator.push(event)
      } catch (error) {
        await finish(error)
        throw error
      }
      return true
    }
    const failure = Cause.failureOption(exit.cause)
    if (Option.isSome(failure) && Option.isNone(failure.value)) {
      await finish()
      return false
    }
    let error: unknown
    try {
      settle(Exit.failCause(Cause.map(exit.cause, (e) => Option.getOrThrow(e))), signal, hooks.closed)
    } catch (e) {
      error = e
    }
    await finish(error)
    throw error
  }

  const drain = async () => {
    while (await load()) { /* the accumulator sees every chunk */ }
  }

  const finalMessage = () => {
    if (!iterating) {
      iterating = true
      void drain().catch(() => {})
    }
    return final
  }

  return {
    [Symbol.asyncIterator]: () => {
      if (iterating) throw new Error("a message stream can be iterated only once")
      iterating = true
      const slowNext = async (): Promise<IteratorResult<Messages.MessageStreamEvent>> => {
        while (index >= buffer.length) {
          if (!(await load())) return { value: undefined, done: true }
        }
        return { value: buffer[index++]!, done: false }
      }
      return {
        // Events already in the buffer are handed out without an async function's extra ticks.
        next: () =>
          index < buffer.length ? Promise.resolve({ value: buffer[index++]!, done: false }) : slowNext(),
        return: async () => {
          await end(new DOMException("The stream was closed before its end", "AbortError"))
          return { value: undefined, done: true }
        }
      }
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
