/**
 * What the command line runs on: the services `@effect/cli` asks for and a main that sets the exit code, without
 * `@effect/platform-node` (whose dependencies bring install scripts and half of Effect's ecosystem to every user of
 * the library). The commands read no files through `@effect/cli` and ask nothing interactively, so a file system
 * that has nothing to offer and a terminal that only writes are all they need.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Terminal from "@effect/platform/Terminal"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as readline from "node:readline"
import { escapeControls } from "./terminalText.js"

/** A terminal on the process's stdout; a line read from stdin for the rare prompt. */
const terminal: Terminal.Terminal = {
  columns: Effect.sync(() => process.stdout.columns ?? 80),
  rows: Effect.sync(() => process.stdout.rows ?? 24),
  isTTY: Effect.sync(() => process.stdout.isTTY === true),
  readInput: Effect.dieMessage("effect-anthropic: interactive key input is not supported"),
  readLine: Effect.async<string, Terminal.QuitException>((resume) => {
    const reader = readline.createInterface({ input: process.stdin, terminal: false })
    reader.once("line", (line) => {
      reader.close()
      resume(Effect.succeed(line))
    })
    reader.once("close", () => resume(Effect.fail(new Terminal.QuitException())))
    return Effect.sync(() => reader.close())
  }),
  display: (text) => Effect.sync(() => void process.stdout.write(text))
}

/**
 * The services `@effect/cli` runs on, and log lines on stderr: stdout is the commands' output (`chat` prints the
 * answer there), so a warning (a token kept in memory on a read-only mount, say) must not mix into it.
 */
export const layer: Layer.Layer<FileSystem.FileSystem | Path.Path | Terminal.Terminal> = Layer.mergeAll(
  FileSystem.layerNoop({}),
  Path.layer,
  Layer.succeed(Terminal.Terminal, terminal),
  Logger.replace(Logger.defaultLogger, Logger.withConsoleError(Logger.logfmtLogger))
)

/**
 * Run the program as the process's main: Ctrl-C (SIGINT) or SIGTERM interrupts it; a failure or defect not handled
 * by the program is printed and sets exit code 1 (the program sets its own code otherwise).
 */
export const runMain = <E>(program: Effect.Effect<void, E>): void => {
  const fiber = Effect.runFork(program)
  const interrupt = () => Effect.runFork(Fiber.interrupt(fiber))
  process.once("SIGINT", interrupt)
  process.once("SIGTERM", interrupt)
  fiber.addObserver((exit) => {
    process.off("SIGINT", interrupt)
    process.off("SIGTERM", interrupt)
    if (Exit.isFailure(exit)) {
      if (!Cause.isInterruptedOnly(exit.cause)) console.error(escapeControls(Cause.pretty(exit.cause), "text"))
      process.exitCode = Cause.isInterruptedOnly(exit.cause) ? 130 : 1
    }
  })
}
