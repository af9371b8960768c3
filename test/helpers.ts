/** Shared test helpers: temp dirs, the loopback stand-in, and driving TestClock while real I/O happens. */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as TestClock from "effect/testing/TestClock"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"

/** A real pause (not TestClock) to let loopback I/O progress. */
export const realPause = (ms = 1): Effect.Effect<void> =>
  Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

/** A temporary directory removed with the scope. */
export const tempDir: Effect.Effect<string, never, Scope.Scope> = Effect.acquireRelease(
  Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "effect-anthropic-"))),
  (dir) => Effect.promise(() => fs.rm(dir, { recursive: true, force: true }))
)

export const writeFile = (file: string, content: string) =>
  Effect.promise(async () => {
    await fs.mkdir(path.dirname(file), { recursive: true })
    await fs.writeFile(file, content)
  })

/**
 * Lines written by the code under test, with a way to wait for one: the wait is woken by each new line (no
 * polling) and fails the test after `timeoutMs` of real time.
 */
export const lineLog = () => {
  const lines: Array<string> = []
  const waiters = new Set<() => void>()
  const push = (line: string) => {
    lines.push(line)
    for (const check of [...waiters]) check()
  }
  const until = (condition: (lines: ReadonlyArray<string>) => boolean, timeoutMs = 5000): Effect.Effect<void> =>
    Effect.promise(() =>
      new Promise<void>((resolve, reject) => {
        if (condition(lines)) return resolve()
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`no line came within ${timeoutMs} ms for: ${condition.toString()}`))
        }, timeoutMs)
        const check = () => {
          if (!condition(lines)) return
          waiters.delete(check)
          clearTimeout(timer)
          resolve()
        }
        waiters.add(check)
      })
    )
  return { lines, push, until }
}

/**
 * The wake-up times of the sleeps a TestClock holds (Effect 3's `TestClock.sleeps()`). Effect 4's TestClock keeps
 * them (`sleeps`, each with its `timestamp`) but no longer lists them in its interface; read here, checked, so a
 * change of shape fails loudly.
 */
export const pendingWakeUps = (clock: TestClock.TestClock): ReadonlyArray<number> => {
  const sleeps = (clock as unknown as { readonly sleeps?: ReadonlyArray<{ readonly timestamp: number }> }).sleeps
  if (!Array.isArray(sleeps)) throw new Error("TestClock no longer keeps its sleeps as `sleeps`: update pendingWakeUps")
  return sleeps.map((sleep) => sleep.timestamp)
}

/** {@link pendingWakeUps} of the test's TestClock. */
export const sleeps: Effect.Effect<ReadonlyArray<number>> = TestClock.testClockWith((clock) =>
  Effect.sync(() => pendingWakeUps(clock))
)

/**
 * Run `effect` under TestClock, moving the clock to each wake-up the program schedules (never further than
 * `horizonMs` ahead, so request timeouts do not fire while real I/O is in flight), and only while `settled` says
 * so (e.g. no request in flight: Effect 3's `TestClock.adjust` let loopback I/O finish by waiting for every fiber to
 * suspend; Effect 4's moves at once). Returns the exit and the waits.
 */
export const runClocked = <A, E>(
  effect: Effect.Effect<A, E>,
  horizonMs = 120_000,
  settled: Effect.Effect<boolean> = Effect.succeed(true)
): Effect.Effect<{ readonly exit: Exit.Exit<A, E>; readonly waits: ReadonlyArray<number> }> =>
  TestClock.testClockWith((clock) =>
    Effect.gen(function*() {
      const fiber = yield* Effect.forkChild(effect)
      const waits: Array<number> = []
      while (true) {
        const done = fiber.pollUnsafe()
        if (done !== undefined) return { exit: done, waits }
        const now = clock.currentTimeMillisUnsafe()
        const due = (yield* settled) ? pendingWakeUps(clock).filter((t) => t - now <= horizonMs) : []
        if (due.length > 0) {
          const wait = Math.min(...due) - now
          waits.push(wait)
          yield* clock.adjust(wait)
        } else {
          yield* realPause(1)
        }
      }
    })
  )

/** The typed failure of an exit; a test failure if it succeeded or died. */
export const failureOf = <A, E>(exit: Exit.Exit<A, E>): E =>
  Exit.match(exit, {
    onSuccess: () => {
      throw new Error("expected a failure")
    },
    onFailure: (cause) => Option.getOrThrowWith(Cause.findErrorOption(cause), () => new Error(Cause.pretty(cause)))
  })
