/**
 * Progress of long work (a batch waited on, a file uploaded or downloaded), shown on stderr and never on stdout,
 * which carries the commands' data. On a terminal one line is redrawn in place (`\r`) with a bar; elsewhere (a log, a
 * pipe) plain lines, at most one a second unless another tenth of the work is done; with `--quiet` nothing. What is
 * shown is escaped (`terminalText`): it quotes server values (a batch id).
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { escapeControls } from "./terminalText.js"

/** Where progress goes: the process's stderr, or a test's stand-in for it. */
export interface Sink {
  /** Whether it is a terminal: a bar redrawn in place, else plain lines. */
  readonly isTTY: boolean
  /** The terminal's width, when known (a bar is cut to fit, so it never wraps). */
  readonly columns?: number | undefined
  readonly write: (text: string) => void
}

/** One state of the work: how far (0 to 1, when known) and what to say. */
export interface Step {
  readonly fraction: number | undefined
  readonly text: string
}

/** Shows the steps of one piece of work. */
export interface Reporter {
  readonly report: (step: Step) => Effect.Effect<void>
  /** The last step shown if it was not yet, and the bar's line ended. */
  readonly end: Effect.Effect<void>
}

/** How often a bar is redrawn at most, and a plain line printed at most (unless another tenth is done). */
export const BAR_INTERVAL_MS = 100
export const LINE_INTERVAL_MS = 1000

const BAR_WIDTH = 20

const percent = (fraction: number) => Math.floor(Math.min(Math.max(fraction, 0), 1) * 100)

/** The bar's line: `[#########-----------]  45 % text`, or the text alone when how far is not known. */
export const barLine = (step: Step): string => {
  if (step.fraction === undefined) return step.text
  const filled = Math.round(percent(step.fraction) / 100 * BAR_WIDTH)
  return `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}] ${String(percent(step.fraction)).padStart(3)} % ${step.text}`
}

/** A plain line: the text, and how far in percent when known. */
export const plainLine = (step: Step): string =>
  step.fraction === undefined ? step.text : `${step.text} (${percent(step.fraction)} %)`

const nothing: Reporter = { report: () => Effect.void, end: Effect.void }

/** One line redrawn in place, at most every {@link BAR_INTERVAL_MS} (the last step always). */
const bar = (sink: Sink): Reporter => {
  let drawnAt = -Infinity
  let drawnWidth = 0
  let pending: Step | undefined
  const draw = (step: Step) => {
    // A terminal that does not say its width (0, or none) is taken as 80 columns.
    const width = Math.max((sink.columns !== undefined && sink.columns > 0 ? sink.columns : 80) - 1, 10)
    const line = escapeControls(barLine(step), "line").slice(0, width)
    sink.write(`\r${line.padEnd(drawnWidth)}`)
    drawnWidth = line.length
    pending = undefined
  }
  return {
    report: (step) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        pending = step
        if (now - drawnAt < BAR_INTERVAL_MS && step.fraction !== 1) return
        drawnAt = now
        draw(step)
      }),
    end: Effect.sync(() => {
      if (pending !== undefined) draw(pending)
      if (drawnWidth > 0) sink.write("\n")
      drawnWidth = 0
    })
  }
}

/** Plain lines: the first step, then one when a second has passed or another tenth is done; the last one at the end. */
const lines = (sink: Sink): Reporter => {
  let printedAt = -Infinity
  let printedTenth = -1
  let pending: Step | undefined
  const print = (step: Step) => {
    sink.write(`${escapeControls(plainLine(step), "line")}\n`)
    pending = undefined
  }
  return {
    report: (step) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const tenth = step.fraction === undefined ? -1 : Math.floor(percent(step.fraction) / 10)
        pending = step
        if (now - printedAt < LINE_INTERVAL_MS && tenth <= printedTenth) return
        printedAt = now
        printedTenth = Math.max(tenth, printedTenth)
        print(step)
      }),
    end: Effect.sync(() => {
      if (pending !== undefined) print(pending)
    })
  }
}

/** The reporter for `sink`: a bar on a terminal, plain lines elsewhere, nothing when `quiet`. */
export const make = (sink: Sink, quiet: boolean): Effect.Effect<Reporter> =>
  Effect.sync(() => quiet ? nothing : sink.isTTY ? bar(sink) : lines(sink))

/** `use` with a reporter that is ended however `use` ends (so an error starts on a line of its own). */
export const withReporter = <A, E, R>(
  sink: Sink,
  quiet: boolean,
  use: (reporter: Reporter) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> => Effect.flatMap(make(sink, quiet), (reporter) => Effect.ensuring(use(reporter), reporter.end))
