import * as os from "node:os"
import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Worker threads sharing their module cache between files: importing Effect and the stack once per worker
    // instead of once per file takes the suite from ~57 s to ~37 s. The tests keep no module-level state that
    // another file could see (every test builds its own stack, stand-in and temp files) and mock no module; the one
    // count a module keeps across calls (the metrics' tag sets, bounded) is tested on an instance of its own.
    // `@effect/vitest`'s `layer()` is not used for that reason: its test services (the TestClock) were seen by the
    // next file run in the same worker.
    pool: "threads",
    isolate: false,
    // A worker a core: vitest's default leaves one core out (a single worker on a 2-core machine), and much of
    // the suite waits on loopback servers and child processes rather than computing.
    maxWorkers: os.availableParallelism()
  }
})
