/**
 * Deadlines for many requests kept by one fiber, instead of a timer race per request (`Effect.timeout` forks two
 * fibers per call: about 50 µs, as much as a whole loopback call).
 *
 * Deadlines of the same length expire in the order they were armed, so each length is a FIFO lane: arming is a push,
 * disarming sets a flag. Nearly every request uses the default length; a call with its own `timeoutMs` gets a lane
 * of its own (a handful at most). The fiber sleeps until the earliest lane head, is woken when an arm makes an
 * earlier deadline (or any deadline while it is parked), and runs `expire` for each deadline it finds overdue. It
 * sleeps on Effect's `Clock` (so `TestClock` drives it in tests), and with the default clock on an unref'd timer: a
 * pending deadline never keeps the process alive.
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import type * as Scope from "effect/Scope"
import { backgroundSleep } from "./backgroundSleep.js"

export interface Deadline {
  /** The request is complete (or no longer bounded): never expire. */
  disarm(): void
}

export interface Deadlines {
  /** The default length. */
  readonly timeoutMs: number
  /** A deadline `timeoutMs` (default: the default length) from now; `expire` runs once if not disarmed by then. */
  readonly arm: (expire: () => void, timeoutMs?: number) => Deadline
}

class Entry implements Deadline {
  constructor(readonly at: number, public expire: (() => void) | undefined, private readonly lane: Lane) {}
  /** Drops `expire` too: the lane keeps the entry until its time, but not what `expire` refers to. */
  disarm(): void {
    if (this.expire === undefined) return
    this.expire = undefined
    this.lane.disarmed()
  }
}

class Lane {
  queue: Array<Entry> = []
  head = 0
  /** Armed entries not yet expired or disarmed. */
  live = 0
  push(entry: Entry): void {
    this.queue.push(entry)
    this.live++
  }
  /**
   * Behind one slow request every finished one stays queued until the slow one's time: when most of the lane is
   * dead weight, it is dropped (an entry is never expired early or late: order is kept).
   */
  disarmed(): void {
    this.live--
    const waiting = this.queue.length - this.head
    if (waiting > 4096 && this.live * 4 < waiting) {
      this.queue = this.queue.slice(this.head).filter((entry) => entry.expire !== undefined)
      this.head = 0
    }
  }
  /** Runs what is overdue; the time of the next live deadline, or `undefined` when the lane is empty. */
  expireUntil(now: number): number | undefined {
    while (this.head < this.queue.length) {
      const entry = this.queue[this.head]!
      const expire = entry.expire
      if (expire !== undefined && entry.at > now) break
      this.head++
      if (expire !== undefined) {
        entry.expire = undefined
        this.live--
        expire()
      }
    }
    if (this.head === this.queue.length) {
      this.queue = []
      this.head = 0
      return undefined
    }
    if (this.head > 1024) {
      this.queue = this.queue.slice(this.head)
      this.head = 0
    }
    return this.queue[this.head]!.at
  }
}

/** The deadlines and their fiber, which lives as long as the scope. */
export const make = (timeoutMs: number): Effect.Effect<Deadlines, never, Scope.Scope> =>
  Effect.gen(function*() {
    const clock = yield* Effect.clockWith(Effect.succeed)
    const lanes = new Map<number, Lane>([[timeoutMs, new Lane()]])
    /** When the fiber wakes up next (Infinity: parked), and how to wake it sooner. */
    let wakesAt = Infinity
    let wake: (() => void) | undefined
    // An earlier deadline armed while the fiber is between two sleeps: its next sleep ends at once.
    let wakePending = false

    const arm = (expire: () => void, ms = timeoutMs): Deadline => {
      let lane = lanes.get(ms)
      if (lane === undefined) lanes.set(ms, lane = new Lane())
      const entry = new Entry(clock.currentTimeMillisUnsafe() + ms, expire, lane)
      lane.push(entry)
      if (entry.at < wakesAt) {
        wakesAt = entry.at
        const w = wake
        wake = undefined
        if (w !== undefined) w()
        else wakePending = true
      }
      return entry
    }

    const woken = Effect.callback<void>((resume) => {
      if (wakePending) {
        wakePending = false
        return resume(Effect.void)
      }
      wake = () => resume(Effect.void)
      return Effect.sync(() => {
        wake = undefined
      })
    })

    const watch: Effect.Effect<never> = Effect.suspend(() => {
      const now = clock.currentTimeMillisUnsafe()
      wakePending = false
      let next = Infinity
      for (const [ms, lane] of lanes) {
        const at = lane.expireUntil(now)
        if (at !== undefined) next = Math.min(next, at)
        else if (ms !== timeoutMs) lanes.delete(ms)
      }
      wakesAt = next
      return Effect.andThen(
        next === Infinity ? woken : Effect.raceFirst(backgroundSleep(clock, next - now), woken),
        watch
      )
    })
    yield* Effect.forkScoped(Effect.interruptible(watch))
    return { timeoutMs, arm }
  })

/** The bound {@link withTimeout} sets for the requests of an effect; `undefined`: the client's own. */
export const currentTimeout = Context.Reference<number | undefined>("effect-anthropic/UndiciHttpClient/currentTimeout", {
  defaultValue: () => undefined
})

/**
 * The requests `effect` sends through a client bounded by deadlines (`UndiciHttpClient`, the default `fetch` client)
 * are bounded by `timeout` instead of the client's own (longer or shorter), with the same semantics and the same
 * watchdog fiber.
 *
 * @since 0.2.0
 * @category combinators
 */
export const withTimeout: {
  (timeout: Duration.Input): <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(effect: Effect.Effect<A, E, R>, timeout: Duration.Input): Effect.Effect<A, E, R>
} = dual(2, <A, E, R>(effect: Effect.Effect<A, E, R>, timeout: Duration.Input) =>
  Effect.provideService(effect, currentTimeout, Duration.toMillis(timeout)))
