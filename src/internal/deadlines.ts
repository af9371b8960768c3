/**
 * Deadlines for many requests kept by one fiber, instead of a timer race per request (`Effect.timeout` forks two
 * fibers per call: about 50 µs, as much as a whole loopback call).
 *
 * Every deadline is the same `timeoutMs` after arming, so they expire in the order they were armed: a FIFO queue is
 * enough. Arming is a push, disarming sets a flag; the fiber sleeps until the oldest armed deadline, parks when none
 * is left, and runs `expire` for each deadline it finds overdue. It sleeps on Effect's `Clock` (so `TestClock` drives
 * it in tests), and with the default clock on an unref'd timer: a pending deadline never keeps the process alive.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { backgroundSleep } from "./backgroundSleep.js"

export interface Deadline {
  /** The request is complete (or no longer bounded): never expire. */
  disarm(): void
}

export interface Deadlines {
  readonly timeoutMs: number
  /** A deadline `timeoutMs` from now; `expire` runs once if it is not disarmed by then. */
  readonly arm: (expire: () => void) => Deadline
}

class Entry implements Deadline {
  constructor(readonly at: number, public expire: (() => void) | undefined) {}
  /** Drops `expire` too: the queue keeps the entry until its time, but not what `expire` refers to. */
  disarm(): void {
    this.expire = undefined
  }
}

/** The deadlines and their fiber, which lives as long as the scope. */
export const make = (timeoutMs: number): Effect.Effect<Deadlines, never, Scope.Scope> =>
  Effect.gen(function*() {
    const clock = yield* Effect.clock
    let queue: Array<Entry> = []
    let head = 0
    let parked: (() => void) | undefined

    const arm = (expire: () => void): Deadline => {
      const entry = new Entry(clock.unsafeCurrentTimeMillis() + timeoutMs, expire)
      queue.push(entry)
      if (parked !== undefined) {
        const wake = parked
        parked = undefined
        wake()
      }
      return entry
    }

    const watch: Effect.Effect<never> = Effect.suspend(() => {
      const now = clock.unsafeCurrentTimeMillis()
      while (head < queue.length) {
        const entry = queue[head]!
        const expire = entry.expire
        if (expire !== undefined && entry.at > now) break
        head++
        if (expire !== undefined) {
          entry.expire = undefined
          expire()
        }
      }
      if (head === queue.length) {
        queue = []
        head = 0
        return Effect.zipRight(Effect.async<void>((resume) => void (parked = () => resume(Effect.void))), watch)
      }
      if (head > 1024) {
        queue = queue.slice(head)
        head = 0
      }
      return Effect.zipRight(backgroundSleep(clock, queue[head]!.at - now), watch)
    })
    yield* Effect.forkScoped(Effect.interruptible(watch))
    return { timeoutMs, arm }
  })
