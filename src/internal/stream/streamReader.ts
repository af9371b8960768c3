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
 * Every read runs as a fiber of its own with `context` (Effect 4 has no `Runtime`: a `Context` is what runs effects).
 */
export const makeReader = <A, E, R>(
  context: Context.Context<never>,
  source: Source<A, E>,
  signal: AbortSignal | undefined,
  hooks: ReaderHooks,
  options: ReaderOptions<A, R>,
  alreadyRead: () => TypeError
): Reader<A, R> => {
  const controller = new AbortController()
  const run = Effect.runPromiseExitWith(context)
  let scope: Scope.Closeable | undefined
  /** Loads the next chunk into `pulled`; fails with `Cause.Done` at the end. */
  type Load = Effect.Effect<void, E | Cause.Done>
  let pull: Load | undefined
  let pulled: Arr.NonEmptyReadonlyArray<A> | undefined
  let buffer: ReadonlyArray<A> = []
  let index = 0
  let ended: Ended | undefined
  let reader: "iterator" | "readAll" | undefined
  // The last pull run, and what settles the read waiting on it as soon as the stream ends (whatever the interrupted
  // fiber still has to do: an uninterruptible step must not hold the caller's read).
  let pulling: Promise<unknown> | undefined
  let wake: (() => void) | undefined
  let resolveResult!: (value: R) => void
  let rejectResult!: (error: unknown) => void
  const result = new Promise<R>((resolve, reject) => {
    resolveResult = resolve
    rejectResult = reject
  })
  result.catch(() => {}) // reported to whoever awaits readAll()
  const accept = options.accept
  const complete = options.complete ?? (() => false)

  const control: StreamControl = { fail: (error) => end(error) }
  const onAbort = () => void end(signal!.reason)

  /**
   * End the stream once: stop the pull (the read waiting on it settles at once), let go of the signal and the client,
   * release the request once the pull has stopped, then settle the result.
   */
  const finish = async (error?: { readonly error: unknown }) => {
    if (ended !== undefined) return
    let outcome: Ended = error === undefined ? { failed: false } : { failed: true, error: error.error }
    let value: R | undefined
    if (!outcome.failed) {
      try {
        value = options.result()
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
    // Not run with `context`: after the client's stack is released nothing should run in it; closing the scope
    // directly still aborts the request.
    if (open !== undefined) await Effect.runPromise(Scope.close(open, Exit.void))
    if (outcome.failed) rejectResult(outcome.error)
    else resolveResult(value!)
  }
  /**
   * Ended from outside (abort(), leaving the loop, the signal, close()): the next read throws the error, as a
   * fetch body's does, without the elements still buffered. A stream already complete still stands.
   */
  const end = (error: unknown) => {
    if (ended !== undefined || complete()) return finish()
    buffer = []
    index = 0
    return finish({ error })
  }

  /** What a read finds once the stream has ended. */
  const afterEnd = (): false => {
    if (ended?.failed) throw ended.error
    return false
  }

  // The chunk leaves through `pulled`, and the pull's fiber ends with void. A pull that waited for bytes long enough
  // for its fiber to be moved to the old generation would otherwise keep its chunk, dead, alive through every
  // young-generation collection until the next full one (measured on 400k events: scavenges 4.5x slower, the heap
  // growing by tens of MB per stream, the Promise `for await` 10-15% slower).
  const handOver = (chunk: Arr.NonEmptyReadonlyArray<A>) => {
    pulled = chunk
  }
  /**
   * Starts the stream on the first read: registers it with the client and the signal, and gives the pull that makes
   * the source's pull in the reader's scope, then reads through it (and leaves it as `pull` for every later read).
   */
  const open = (): Load => {
    hooks.opened(control)
    signal?.addEventListener("abort", onAbort, { once: true })
    // Synchronous: no await between the checks in load() and the first pull.
    const opened = scope = Scope.makeUnsafe()
    return Effect.flatMap(Scope.provide(source, opened), (pullChunk) => {
      pull = Effect.map(pullChunk, handOver)
      return pull
    })
  }

  const pullOnce = (from: Load) =>
    new Promise<Exit.Exit<void, E | Cause.Done> | undefined>((resolve) => {
      wake = () => resolve(undefined)
      pulling = run(from, { signal: controller.signal }).then(resolve)
    })

  /**
   * Loads the next chunk into the buffer; false at the end. Never runs twice at once: the iterator queues its reads,
   * readAll() reads only when nobody iterates, and a prefetch shares the load in flight.
   */
  let loading: Promise<boolean> | undefined
  const load = (): Promise<boolean> => {
    if (loading === undefined) {
      const current = loadOnce()
      loading = current
      const clear = () => {
        if (loading === current) loading = undefined
      }
      current.then(clear, clear)
    }
    return loading
  }
  const loadOnce = async (): Promise<boolean> => {
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
      const elements: ReadonlyArray<A> = pulled!
      pulled = undefined
      if (accept === undefined) {
        buffer = elements
      } else {
        let accepted = 0
        try {
          for (; accepted < elements.length; accepted++) accept(elements[accepted]!)
          buffer = elements
        } catch (error) {
          // The elements before the one refused are handed out first; the read after them throws.
          buffer = elements.slice(0, accepted)
          await finish({ error })
        }
      }
      index = 0
      return true
    }
    const failure = Pull.filterDone(exit.cause)
    if (Result.isSuccess(failure)) {
      await finish()
      return afterEnd()
    }
    try {
      hooks.settle(Exit.failCause(failure.failure))
    } catch (error) {
      await finish({ error })
    }
    return afterEnd()
  }

  const readAll = () => {
    if (reader === undefined) {
      reader = "readAll"
      void (async () => {
        while (await load()) { /* `accept` sees every chunk */ }
      })().catch(() => {})
    }
    return result
  }

  const makeIterator = (): AsyncIterator<A> => {
    const slowNext = async (): Promise<IteratorResult<A>> => {
      while (index >= buffer.length) {
        if (!(await load())) return { value: undefined, done: true }
      }
      return { value: buffer[index++]!, done: false }
    }
    // The last read that waits for a chunk. Later reads queue behind it, so that reads made without awaiting the one
    // before (legal for an async iterator) get the elements in order and load one chunk at a time.
    let waiting: Promise<IteratorResult<A>> | undefined
    return {
      // Elements already in the buffer are handed out without an async function's extra ticks.
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
        // Nothing comes out of an iterator after its return(), not even the elements still buffered.
        buffer = []
        index = 0
        return { value: undefined, done: true }
      }
    }
  }

  return {
    iterator: () => {
      if (reader !== undefined) throw alreadyRead()
      reader = "iterator"
      return makeIterator()
    },
    readAll,
    abort: () => end(new DOMException("The stream was aborted", "AbortError")),
    prefetch: async () => {
      if (ended !== undefined || pull !== undefined) return
      await load().catch(() => {})
    },
    ended: result
  }
}
