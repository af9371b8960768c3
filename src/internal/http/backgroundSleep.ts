/**
 * Sleeping in a background fiber (a watchdog, a scheduled refresh) without keeping Node alive for it.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

/** The clock every fiber has unless a test replaces it (a reference's default, read without running a fiber at import). */
const defaultClock = Context.get(Context.empty(), Clock.Clock)

/**
 * `clock.sleep`, except that on the default clock the timer is unref'd: a background fiber waiting on it does not
 * keep Node running.
 */
export const backgroundSleep = (clock: Clock.Clock, ms: number): Effect.Effect<void> =>
  clock !== defaultClock
    ? clock.sleep(Duration.millis(ms))
    : Effect.callback<void>((resume) => {
      const timer = setTimeout(() => resume(Effect.void), Math.min(ms, 2 ** 31 - 1))
      timer.unref()
      return Effect.sync(() => clearTimeout(timer))
    })

/** {@link backgroundSleep} on the fiber's clock. */
export const sleep = (duration: Duration.Input): Effect.Effect<void> =>
  Effect.clockWith((clock) => backgroundSleep(clock, Duration.toMillis(duration)))
