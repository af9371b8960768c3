/**
 * The command line's progress display (`src/cli/progress.ts`), on the TestClock: a bar redrawn in place on a terminal,
 * throttled plain lines elsewhere, nothing when quiet; what it shows escaped; and the byte and batch steps the
 * commands give it.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/testing/TestClock"
import { batchStep } from "../src/cli/batches.js"
import { transferStep } from "../src/cli/files.js"
import { formatBytes } from "../src/cli/layout.js"
import * as Progress from "../src/cli/progress.js"
import { fakeSink } from "./progressSink.js"

const step = (fraction: number | undefined, text = "work") => ({ fraction, text })

describe("progress: plain lines (stderr is not a terminal)", () => {
  it.effect("the first step, then one a second or one each further tenth; the last step at the end", () =>
    Effect.gen(function*() {
      const sink = fakeSink(false)
      const reporter = yield* Progress.make(sink, false)
      yield* reporter.report(step(0.01, "a"))
      yield* TestClock.adjust("100 millis")
      yield* reporter.report(step(0.02, "b")) // too soon, same tenth
      yield* reporter.report(step(0.12, "c")) // a further tenth
      yield* reporter.report(step(0.15, "d")) // too soon, same tenth
      yield* TestClock.adjust("1 second")
      yield* reporter.report(step(0.16, "e")) // a second later
      yield* reporter.report(step(0.17, "f"))
      yield* reporter.end
      expect(sink.text()).toBe("a (1 %)\nc (12 %)\ne (16 %)\nf (17 %)\n")
      expect(sink.text()).not.toContain("\r")
    }))

  it.effect("without a total: by time alone; nothing more at the end when the last step was printed", () =>
    Effect.gen(function*() {
      const sink = fakeSink(false)
      const reporter = yield* Progress.make(sink, false)
      for (let i = 1; i <= 5; i++) {
        yield* reporter.report(step(undefined, `step ${i}`))
        yield* TestClock.adjust("500 millis")
      }
      yield* reporter.end
      expect(sink.writes).toEqual(["step 1\n", "step 3\n", "step 5\n"])
    }))
})

describe("progress: a bar (stderr is a terminal)", () => {
  it.effect("redrawn in place with \\r at most every 100 ms, the last step always, one line feed at the end", () =>
    Effect.gen(function*() {
      const sink = fakeSink(true)
      const reporter = yield* Progress.make(sink, false)
      yield* reporter.report(step(0, "start"))
      yield* reporter.report(step(0.3, "skipped")) // within 100 ms
      yield* TestClock.adjust("100 millis")
      yield* reporter.report(step(0.5, "half")) // one column shorter: padded to wipe the line before
      yield* reporter.report(step(1, "done")) // the end is always drawn
      yield* reporter.end
      expect(sink.writes).toEqual([
        "\r[--------------------]   0 % start",
        "\r[##########----------]  50 % half ",
        "\r[####################] 100 % done",
        "\n"
      ])
    }))

  it.effect("a step held back is drawn at the end; a line is cut to the terminal's width; control characters escaped", () =>
    Effect.gen(function*() {
      const sink = fakeSink(true, 30)
      const reporter = yield* Progress.make(sink, false)
      yield* reporter.report(step(undefined, "first"))
      yield* reporter.report(step(undefined, "id\x1b[2J\rx then a long tail that is cut"))
      yield* reporter.end
      expect(sink.writes.length).toBe(3)
      expect(sink.writes[1]).toBe("\rid\\x1b[2J\\rx then a long tail")
      expect(sink.writes[1]!.length).toBe(30) // \r and 29 columns: the line never wraps
      expect(sink.writes[2]).toBe("\n")
    }))

  it.effect("a terminal that does not say its width is taken as 80 columns", () =>
    Effect.gen(function*() {
      const sink = fakeSink(true, 0)
      const reporter = yield* Progress.make(sink, false)
      yield* reporter.report(step(0.5, "x".repeat(200)))
      expect(sink.writes[0]!.length).toBe(80)
    }))
})

describe("progress: quiet, and the steps", () => {
  it.effect("--quiet shows nothing, on a terminal or not", () =>
    Effect.gen(function*() {
      for (const isTTY of [true, false]) {
        const sink = fakeSink(isTTY)
        yield* Progress.withReporter(sink, true, (reporter) => reporter.report(step(0.5)))
        expect(sink.writes).toEqual([])
      }
    }))

  it.effect("withReporter ends the display when the work fails, so the error starts on a line of its own", () =>
    Effect.gen(function*() {
      const sink = fakeSink(true)
      const failed = yield* Effect.flip(Progress.withReporter(sink, false, (reporter) =>
        Effect.andThen(reporter.report(step(0.4, "going")), Effect.fail("broken"))))
      expect(failed).toBe("broken")
      expect(sink.text()).toBe("\r[########------------]  40 % going\n")
    }))

  it("bytes for people, a transfer's step and a batch's step", () => {
    expect([0, 1023, 1024, 1536, 5 * 1024 * 1024, 3 * 1024 ** 3].map(formatBytes)).toEqual([
      "0 B",
      "1023 B",
      "1.0 KiB",
      "1.5 KiB",
      "5.0 MiB",
      "3.0 GiB"
    ])
    expect(transferStep("uploading a.pdf", { bytes: 512, total: 2048 })).toEqual({
      fraction: 0.25,
      text: "uploading a.pdf: 512 B of 2.0 KiB"
    })
    expect(transferStep("downloading f", { bytes: 512, total: undefined })).toEqual({ fraction: undefined, text: "downloading f: 512 B" })
    const counts = { processing: 1, succeeded: 2, errored: 1, canceled: 0, expired: 0 }
    expect(batchStep({ id: "msgbatch_1", processingStatus: "in_progress", requestCounts: counts, total: 4, done: 3 })).toEqual({
      fraction: 0.75,
      text: "batch msgbatch_1 in_progress: 3 of 4 done (processing 1 · succeeded 2 · errored 1 · canceled 0 · expired 0)"
    })
  })
})
