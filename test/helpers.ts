/** Shared test helpers: temp dirs, the loopback stand-in, and driving TestClock while real I/O happens. */
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
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
 * Run `effect` under TestClock, moving the clock to each wake-up the program schedules (never further than
 * `horizonMs` ahead, so request timeouts do not fire while real I/O is in flight). Returns the exit and the waits.
 */
export const runClocked = <A, E>(
  effect: Effect.Effect<A, E>,
  horizonMs = 120_000
): Effect.Effect<{ readonly exit: Exit.Exit<A, E>; readonly waits: ReadonlyArray<number> }> =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    const waits: Array<number> = []
    while (true) {
      const done = yield* Fiber.poll(fiber)
      if (Option.isSome(done)) return { exit: done.value, waits }
      const now = yield* TestClock.currentTimeMillis
      const due = Chunk.toReadonlyArray(yield* TestClock.sleeps()).filter((t) => t - now <= horizonMs)
      if (due.length > 0) {
        const wait = Math.min(...due) - now
        waits.push(wait)
        yield* TestClock.adjust(wait)
      } else {
        yield* realPause(1)
      }
    }
  })

/** The typed failure of an exit; a test failure if it succeeded or died. */
export const failureOf = <A, E>(exit: Exit.Exit<A, E>): E =>
  Exit.match(exit, {
    onSuccess: () => {
      throw new Error("expected a failure")
    },
    onFailure: (cause) => Option.getOrThrowWith(Cause.failureOption(cause), () => new Error(Cause.pretty(cause)))
  })
