/**
 * What the command line runs on: the services `effect/cli` asks for and a main that sets the exit code, without
 * `@effect/platform-node` (whose dependencies bring install scripts and half of Effect's ecosystem to every user of
 * the library). The commands read no files through `effect/cli`, spawn nothing through it and ask nothing
 * interactively, so a file system that has nothing to offer, a terminal that only writes, a standard input that is
 * not read and a process spawner that is never called are all they need.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Path from "effect/Path"
import * as ChildProcessSpawner from "effect/process/ChildProcessSpawner"
import * as Sink from "effect/Sink"
import * as Stdio from "effect/Stdio"
import * as Stream from "effect/Stream"
import * as Terminal from "effect/Terminal"
import * as readline from "node:readline"
import { escapeControls } from "./terminalText.js"

const unsupported = (what: string) => new Error(`effect-anthropic: ${what} is not supported`)

/** A terminal on the process's stdout; a line read from stdin for the rare prompt. */
const terminal: Terminal.Terminal = Terminal.make({
  columns: Effect.sync(() => process.stdout.columns ?? 80),
  rows: Effect.sync(() => process.stdout.rows ?? 24),
  // The terminal also offers its size changes; nothing here asks for them.
  size: Effect.die(unsupported("watching the terminal's size")),
  readInput: Effect.die(unsupported("interactive key input")),
  readLine: Effect.callback<string, Terminal.QuitError>((resume) => {
    const reader = readline.createInterface({ input: process.stdin, terminal: false })
    reader.once("line", (line) => {
      reader.close()
      resume(Effect.succeed(line))
    })
    reader.once("close", () => resume(Effect.fail(new Terminal.QuitError())))
    return Effect.sync(() => reader.close())
  }),
  display: (text) => Effect.sync(() => void process.stdout.write(text))
})

/** A writer onto one of the process's streams, as `Stdio` gives them. */
const writeTo = (stream: NodeJS.WriteStream) => () =>
  Sink.forEach((chunk: string | Uint8Array) => Effect.sync(() => void stream.write(chunk)))

/**
 * `effect/cli` reads the command line's arguments from `Stdio`; its other streams are given for completeness, stdin excepted (the commands read it themselves).
 */
const stdio: Stdio.Stdio = Stdio.make({
  args: Effect.sync(() => process.argv.slice(2)),
  stdinIsTerminal: Effect.sync(() => process.stdin.isTTY === true),
  stdoutIsTerminal: Effect.sync(() => process.stdout.isTTY === true),
  stderrIsTerminal: Effect.sync(() => process.stderr.isTTY === true),
  stdout: writeTo(process.stdout),
  stderr: writeTo(process.stderr),
  stdin: Stream.die(unsupported("reading stdin through Stdio"))
})

/** `effect/cli` offers a process spawner to the effects of flags and arguments; the commands use none. */
const spawner = ChildProcessSpawner.make(() => Effect.die(unsupported("spawning a process through effect/cli")))

/**
 * The services `effect/cli` runs on, and log lines on stderr: stdout is the commands' output (`chat` prints the
 * answer there), so a warning (a token kept in memory on a read-only mount, say) must not mix into it.
 */
export const layer: Layer.Layer<
  FileSystem.FileSystem | Path.Path | Terminal.Terminal | Stdio.Stdio | ChildProcessSpawner.ChildProcessSpawner
> = Layer.mergeAll(
  FileSystem.layerNoop({}),
  Path.layer,
  Layer.succeed(Terminal.Terminal, terminal),
  Layer.succeed(Stdio.Stdio, stdio),
  Layer.succeed(ChildProcessSpawner.ChildProcessSpawner, spawner),
  // The default logger replaced (log lines to stderr), the tracer's kept.
  Logger.layer([Logger.withConsoleError(Logger.formatLogFmt), Logger.tracerLogger])
)

/**
 * Run the program as the process's main: Ctrl-C (SIGINT) or SIGTERM interrupts it; a failure or defect not handled
 * by the program is printed and sets exit code 1 (the program sets its own code otherwise).
 */
export const runMain = <E>(program: Effect.Effect<void, E>): void => {
  const fiber = Effect.runFork(program)
  const interrupt = () => fiber.interruptUnsafe()
  process.once("SIGINT", interrupt)
  process.once("SIGTERM", interrupt)
  fiber.addObserver((exit) => {
    process.off("SIGINT", interrupt)
    process.off("SIGTERM", interrupt)
    if (Exit.isFailure(exit)) {
      const interrupted = Cause.hasInterruptsOnly(exit.cause)
      if (!interrupted) console.error(escapeControls(Cause.pretty(exit.cause), "text"))
      process.exitCode = interrupted ? 130 : 1
    }
  })
}
