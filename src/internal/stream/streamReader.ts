/**
 * An Effect `Stream` read from plain code: an `AsyncIterator` over its elements, or `readAll()` consuming it whole,
 * one reader only. The Promise client's message streams, lists, batch results and downloads are all this.
 *
 * Ending it for any reason (`abort()`, leaving the loop, the caller's signal, the client closing, the end itself)
 * interrupts a pull in flight, and with it the request, its retries and their waits.
 */
import type * as Arr from "effect/Array"
import type * as Cause from "effect/Cause"
import * as Channel from "effect/Channel"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Pull from "effect/Pull"
import * as Result from "effect/Result"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { ClientClosed } from "../errors.js"
import type * as MessageStream from "./pull.js"

/** How the client sees an open stream: it can end it (when closing), and is told when it ends. */
export interface StreamControl {
  readonly fail: (error: unknown) => Promise<void>
}

export interface ReaderHooks {
  /** The ClientClosed error once the client is closed. */
  readonly closed: () => ClientClosed | undefined
  readonly opened: (control: StreamControl) => void
  readonly ended: (control: StreamControl) => void
  /** How a failed run's cause becomes what the caller sees (the tagged error, the abort, ClientClosed). */
  readonly settle: (exit: Exit.Exit<never, unknown>) => never
}

export interface ReaderOptions<A, R> {
  /** Sees each element before it is handed out; a throw ends the stream with it, after the elements before. */
  readonly accept?: ((element: A) => void) | undefined
  /** True once the stream has what it needs: ending it from outside changes nothing any more. */
  readonly complete?: (() => boolean) | undefined
  /** The outcome at a normal end (may throw, failing it). */
  readonly result: () => R
}

export interface Reader<A, R> {
  /** The one iterator (a second call throws the `TypeError` of `alreadyRead`). */
  readonly iterator: () => AsyncIterator<A>
  /** Consumes the stream unless an iterator does, and gives its outcome. */
  readonly readAll: () => Promise<R>
  readonly abort: () => Promise<void>
  /** Starts the stream (loads its first chunk) without reading it: its elements stay for the one reader. */
  readonly prefetch: () => Promise<void>
  /** The outcome, once the stream has ended, without reading it. */
  readonly ended: Promise<R>
}

/** How the stream ended: every read after it throws `error`, or finds the end. */
type Ended = { readonly failed: false } | { readonly failed: true; readonly error: unknown }

/** Where a reader's chunks come from: a pull made in the reader's scope (by the first read), as `Stream.toPull` makes one. */
export type Source<A, E> = Effect.Effect<MessageStream.Pull<A, E>, E, Scope.Scope>

/**
 * A stream as a reader's source.
 *
 * The stream's own pull in the reader's scope, not `Stream.toPull`'s, which wraps every read in a
 * semaphore and the context it was made in: the reader never reads twice at once, and runs every read in the
 * context it made the pull in.
 */
export const fromStream = <A, E>(stream: Stream.Stream<A, E>): Source<A, E> =>
  Effect.flatMap(Effect.scope, (scope) => Channel.toPullScoped(Stream.toChannel(stream), scope))

/**
 * Pull the source a chunk at a time; elements inside a chunk are handed out without touching Effect again.
 *
 * Every read runs as a fiber of its own with `context` (a `Context` is what runs effects).
 */
export const makeReader = <A, E, R>(
  context: Context.Context<never>,
  source: Source<A, E>,
  signal: AbortSignal | undefined,
  hooks: ReaderHooks,
  options: ReaderOptions<A, R>,
  alreadyRead: () => TypeError
): Reader<A, R> => new StreamReader(context, source, signal, hooks, options, alreadyRead)

/** Loads the next chunk into `pulled`; fails with `Cause.Done` at the end. */
type Load<E> = Effect.Effect<void, E | Cause.Done>

class StreamReader<A, E, R> implements Reader<A, R> {
  readonly ended: Promise<R>
  private readonly controller = new AbortController()
  private readonly run: ReturnType<typeof Effect.runPromiseExitWith<never>>
  private readonly control: StreamControl = { fail: (error) => this.end(error) }
  private resolveResult!: (value: R) => void
  private rejectResult!: (error: unknown) => void
  private scope: Scope.Closeable | undefined
  private pull: Load<E> | undefined
  private pulled: Arr.NonEmptyReadonlyArray<A> | undefined
  /** The chunk being handed out, and the next element's place in it. */
  buffer: ReadonlyArray<A> = []
  index = 0
  private outcome: Ended | undefined
  private reader: "iterator" | "readAll" | undefined
  // The last pull run, and what settles the read waiting on it as soon as the stream ends (whatever the interrupted
  // fiber still has to do: an uninterruptible step must not hold the caller's read).
  private pulling: Promise<unknown> | undefined
  private wake: (() => void) | undefined
  private loading: Promise<boolean> | undefined

  constructor(
    context: Context.Context<never>,
    private readonly source: Source<A, E>,
    private readonly signal: AbortSignal | undefined,
    private readonly hooks: ReaderHooks,
    private readonly options: ReaderOptions<A, R>,
    private readonly alreadyRead: () => TypeError
  ) {
    this.run = Effect.runPromiseExitWith(context)
    this.ended = new Promise<R>((resolve, reject) => {
      this.resolveResult = resolve
      this.rejectResult = reject
    })
    this.ended.catch(() => {}) // reported to whoever awaits readAll()
  }

  readonly iterator = (): AsyncIterator<A> => {
    if (this.reader !== undefined) throw this.alreadyRead()
    this.reader = "iterator"
    return makeIterator(this)
  }

  readonly readAll = (): Promise<R> => {
    if (this.reader === undefined) {
      this.reader = "readAll"
      void (async () => {
        while (await this.load()) { /* `accept` sees every chunk */ }
      })().catch(() => {})
    }
    return this.ended
  }

  readonly abort = (): Promise<void> => this.end(new DOMException("The stream was aborted", "AbortError"))

  readonly prefetch = async (): Promise<void> => {
    if (this.outcome !== undefined || this.pull !== undefined) return
    await this.load().catch(() => {})
  }

  /**
   * Ended from outside (abort(), leaving the loop, the signal, close()): the next read throws the error, as a
   * fetch body's does, without the elements still buffered. A stream already complete still stands.
   */
  end(error: unknown): Promise<void> {
    if (this.outcome !== undefined || this.options.complete?.() === true) return this.finish()
    this.buffer = []
    this.index = 0
    return this.finish({ error })
  }

  /**
   * Loads the next chunk into the buffer; false at the end. Never runs twice at once: the iterator queues its reads,
   * readAll() reads only when nobody iterates, and a prefetch shares the load in flight.
   */
  load(): Promise<boolean> {
    if (this.loading === undefined) {
      const current = this.loadOnce()
      this.loading = current
      const clear = () => {
        if (this.loading === current) this.loading = undefined
      }
      current.then(clear, clear)
    }
    return this.loading
  }

  private readonly onAbort = () => void this.end(this.signal!.reason)

  // The chunk leaves through `pulled`, and the pull's fiber ends with void. A pull that waited for bytes long enough
  // for its fiber to be moved to the old generation would otherwise keep its chunk, dead, alive through every
  // young-generation collection until the next full one (measured on 400k events: scavenges 4.5x slower, the heap
  // growing by tens of MB per stream, the Promise `for await` 10-15% slower).
  private readonly handOver = (chunk: Arr.NonEmptyReadonlyArray<A>) => {
    this.pulled = chunk
  }

  /**
   * End the stream once: stop the pull (the read waiting on it settles at once), let go of the signal and the client,
   * release the request once the pull has stopped, then settle the result.
   */
  private async finish(error?: { readonly error: unknown }): Promise<void> {
    if (this.outcome !== undefined) return
    const outcome = this.outcomeOf(error)
    this.outcome = outcome.ended
    this.controller.abort()
    this.wake?.()
    this.signal?.removeEventListener("abort", this.onAbort)
    this.hooks.ended(this.control)
    await this.pulling
    const open = this.scope
    this.scope = undefined
    // Not run with the reader's context: after the client's stack is released nothing should run in it; closing the
    // scope directly still aborts the request.
    if (open !== undefined) await Effect.runPromise(Scope.close(open, Exit.void))
    if (outcome.ended.failed) this.rejectResult(outcome.ended.error)
    else this.resolveResult(outcome.value!)
  }

  /** How the stream ends: with `error`, or with the result (unless working it out throws). */
  private outcomeOf(error: { readonly error: unknown } | undefined): { ended: Ended; value?: R } {
    if (error !== undefined) return { ended: { failed: true, error: error.error } }
    try {
      return { ended: { failed: false }, value: this.options.result() }
    } catch (e) {
      return { ended: { failed: true, error: e } }
    }
  }

  /** What a read finds once the stream has ended. */
  private afterEnd(): false {
    if (this.outcome?.failed) throw this.outcome.error
    return false
  }

  /**
   * Starts the stream on the first read: registers it with the client and the signal, and gives the pull that makes
   * the source's pull in the reader's scope, then reads through it (and leaves it as `pull` for every later read).
   */
  private open(): Load<E> {
    this.hooks.opened(this.control)
    this.signal?.addEventListener("abort", this.onAbort, { once: true })
    // Synchronous: no await between the checks in loadOnce() and the first pull.
    const opened = this.scope = Scope.makeUnsafe()
    return Effect.flatMap(Scope.provide(this.source, opened), (pullChunk) => {
      const pull = Effect.map(pullChunk, this.handOver)
      this.pull = pull
      return pull
    })
  }

  private pullOnce(from: Load<E>): Promise<Exit.Exit<void, E | Cause.Done> | undefined> {
    return new Promise((resolve) => {
      this.wake = () => resolve(undefined)
      this.pulling = this.run(from, { signal: this.controller.signal }).then(resolve)
    })
  }

  private async loadOnce(): Promise<boolean> {
    if (this.outcome !== undefined) return this.afterEnd()
    const refused = this.hooks.closed() ?? (this.signal?.aborted ? this.signal.reason : undefined)
    if (refused !== undefined) {
      await this.end(refused)
      return this.afterEnd()
    }
    this.pull ??= this.open()
    const exit = await this.pullOnce(this.pull)
    this.wake = undefined
    // Ended while this read waited: report that (the abort, ClientClosed), not the broken connection it caused.
    if (this.outcome !== undefined || exit === undefined) return this.afterEnd()
    if (Exit.isSuccess(exit)) {
      const refused = this.take()
      if (refused !== undefined) await this.finish(refused)
      return true
    }
    const failure = Pull.filterDone(exit.cause)
    if (Result.isSuccess(failure)) {
      await this.finish()
      return this.afterEnd()
    }
    try {
      this.hooks.settle(Exit.failCause(failure.failure))
    } catch (error) {
      await this.finish({ error })
    }
    return this.afterEnd()
  }

  /**
   * The chunk just pulled into the buffer, each element seen by `accept` first; the error `accept` threw, if it did
   * (the elements before the one refused are handed out first; the read after them throws). Synchronous: this runs
   * for every chunk, and an `async` step would cost each read two more ticks.
   */
  private take(): { readonly error: unknown } | undefined {
    const elements: ReadonlyArray<A> = this.pulled!
    this.pulled = undefined
    this.index = 0
    const accept = this.options.accept
    if (accept === undefined) {
      this.buffer = elements
      return undefined
    }
    let accepted = 0
    try {
      for (; accepted < elements.length; accepted++) accept(elements[accepted]!)
      this.buffer = elements
      return undefined
    } catch (error) {
      this.buffer = elements.slice(0, accepted)
      return { error }
    }
  }
}

/** The one iterator over a reader's elements. */
const makeIterator = <A, E, R>(reader: StreamReader<A, E, R>): AsyncIterator<A> => {
  const slowNext = async (): Promise<IteratorResult<A>> => {
    while (reader.index >= reader.buffer.length) {
      if (!(await reader.load())) return { value: undefined, done: true }
    }
    return { value: reader.buffer[reader.index++]!, done: false }
  }
  // The last read that waits for a chunk. Later reads queue behind it, so that reads made without awaiting the one
  // before (legal for an async iterator) get the elements in order and load one chunk at a time.
  let waiting: Promise<IteratorResult<A>> | undefined
  return {
    // Elements already in the buffer are handed out without an async function's extra ticks.
    next: () => {
      if (waiting === undefined && reader.index < reader.buffer.length) {
        return Promise.resolve({ value: reader.buffer[reader.index++]!, done: false })
      }
      const read = waiting === undefined ? slowNext() : waiting.then(slowNext, slowNext)
      waiting = read
      const settled = () => {
        if (waiting === read) waiting = undefined
      }
      read.then(settled, settled)
      return read
    },
    return: async () => {
      await reader.end(new DOMException("The stream was closed before its end", "AbortError"))
      // Nothing comes out of an iterator after its return(), not even the elements still buffered.
      reader.buffer = []
      reader.index = 0
      return { value: undefined, done: true }
    }
  }
}
