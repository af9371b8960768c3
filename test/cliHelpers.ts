/**
 * Running the CLI's commands: their bodies in-process, as `main.ts` runs them (the command's console escaping what
 * it prints, log lines on stderr, a failure printed as `failureText`), and the CLI as a whole in its own process,
 * as a user would (one such test per command, for the wiring).
 */
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { afterAll, beforeAll } from "vitest"
import { execFile } from "node:child_process"
import * as fsSync from "node:fs"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import * as CliRuntime from "../src/cli/runtime.js"
import { failureText, withEscapedConsole } from "../src/cli/terminalText.js"
import * as StandIn from "../src/testing/StandIn.js"
import { bundleScript } from "./nodeScript.js"

/**
 * How long one run of the CLI in its own process may take: starting it costs some CPU, many times more on a loaded
 * machine. The tests that run one take this plus a margin.
 */
export const CLI_PROCESS_TIMEOUT_MS = 100_000
export const CLI_TEST_TIMEOUT_MS = CLI_PROCESS_TIMEOUT_MS + 20_000

/**
 * The CLI's sources bundled once per test worker (`nodeScript.ts`: plain `node` starts it in a fraction of what tsx
 * takes to compile it), removed when the worker exits.
 */
let bundledCli: Promise<string> | undefined
export const cliEntry = (): Promise<string> =>
  bundledCli ??= bundleScript("src/cli/main.ts").then(({ file }) => {
    process.once("exit", () => fsSync.rmSync(path.dirname(file), { recursive: true, force: true }))
    return file
  })

/** Run the CLI from source in its own process, as a user would (in `options.cwd`, by default this one). */
export const cli = async (
  args: ReadonlyArray<string>,
  env: Record<string, string> = {},
  options: { readonly cwd?: string } = {}
) => {
  const entry = await cliEntry()
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [entry, ...args],
      { env: { PATH: process.env.PATH ?? "", HOME: "/nonexistent", ...env }, timeout: CLI_PROCESS_TIMEOUT_MS, ...options },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr })
    )
  })
}

/** A temp dir, a stand-in and a config file written from `lines(dir, standIn)`, for one describe block. */
export const fixture = (prefix: string, lines: (dir: string, standIn: StandIn.StandIn) => ReadonlyArray<string>) => {
  const state = { dir: "", config: "", standIn: undefined as unknown as StandIn.StandIn }
  beforeAll(async () => {
    state.dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix))
    state.standIn = await StandIn.start()
    state.config = path.join(state.dir, "llm.yaml")
    await fs.writeFile(state.config, [...lines(state.dir, state.standIn), ""].join("\n"))
  })
  afterAll(async () => {
    await state.standIn.close()
    await fs.rm(state.dir, { recursive: true, force: true })
  })
  return state
}

/**
 * The current console keeping what it is given (lines, and log lines: Effect 4's console is one of plain functions,
 * which loggers call too) instead of printing it.
 */
export const captured = Console.consoleWith((base) =>
  Effect.sync(() => {
    const out: Array<string> = []
    const err: Array<string> = []
    const text = (args: ReadonlyArray<unknown>) => args.map(String).join(" ")
    const console: Console.Console = {
      ...base,
      log: (...args) => void out.push(text(args)),
      error: (...args) => void err.push(text(args))
    }
    return { out, err, console }
  })
)

/** What a command run in-process printed, as the terminal would show it, and how it ended. */
export interface InProcessRun<A> {
  /** 1 when the body failed (main.ts then prints `failureText` and exits with 1), else 0. */
  readonly code: 0 | 1
  /** Lines printed to the console and text given to the body's `write`, in order. */
  readonly stdout: string
  /** Lines printed as errors, log lines (logfmt, as the CLI's runtime writes them) and `failureText` of a failure. */
  readonly stderr: string
  /** The body's result, when it succeeded. */
  readonly value: Option.Option<A>
}

/**
 * A command's body run in-process as `main.ts` runs it: under the CLI's runtime (log lines on stderr), with the
 * console escaping what it prints, a failure printed as `failureText`. `body` gets the `write` that main.ts points at
 * stdout. A defect fails the test.
 */
export const inProcess = <A, E, R>(
  body: (write: (text: string) => void) => Effect.Effect<A, E, R>
): Effect.Effect<InProcessRun<A>, never, Exclude<R, Layer.Success<typeof CliRuntime.layer>>> =>
  Effect.gen(function*() {
    const stdout: Array<string> = []
    const stderr: Array<string> = []
    const console: Console.Console = yield* Console.consoleWith((base) =>
      Effect.succeed<Console.Console>({
        ...base,
        log: (...args) => void stdout.push(`${args.map(String).join(" ")}\n`),
        error: (...args) => void stderr.push(`${args.map(String).join(" ")}\n`)
      })
    )
    const exit = yield* withEscapedConsole(body((text) => void stdout.push(text))).pipe(
      Effect.provide(CliRuntime.layer),
      Effect.provideService(Console.Console, console),
      Effect.exit
    )
    if (Exit.isFailure(exit)) {
      const failure = Cause.findErrorOption(exit.cause)
      if (Option.isNone(failure)) return yield* Effect.die(new Error(Cause.pretty(exit.cause)))
      const text = failureText(failure.value)
      if (text !== undefined) stderr.push(`${text}\n`)
    }
    return {
      code: Exit.isSuccess(exit) ? 0 : 1,
      stdout: stdout.join(""),
      stderr: stderr.join(""),
      value: Exit.isSuccess(exit) ? Option.some(exit.value) : Option.none()
    } as const
  })
