/**
 * Where the resource commands' output goes: lines and bytes on stdout (with the stream's backpressure), progress on
 * stderr, and a file written whole or not at all (`files download -o PATH`: a temp file beside it, renamed over it at
 * the end; a failure or an interruption removes the temp file and leaves PATH as it was).
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Stream from "effect/Stream"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { OutputError, reasonOf } from "./errors.js"
import type * as Progress from "./progress.js"

/** Where a file's bytes go when no `-o` is given: stdout, or a test's stand-in for it. */
export interface BytesOutput {
  /** Whether it is a terminal (a file's bytes are not written to one). */
  readonly isTTY: boolean
  readonly write: (bytes: Uint8Array) => Effect.Effect<void, OutputError>
}

/** A line on the process's stdout (the command's data). */
export const stdoutLine = (line: string): void => void process.stdout.write(`${line}\n`)

/** The process's stderr, for progress. */
export const stderrSink: Progress.Sink = {
  get isTTY() {
    return process.stderr.isTTY === true
  },
  get columns() {
    return process.stderr.columns
  },
  write: (text) => void process.stderr.write(text)
}

/** The process's stdout for bytes: each write waits while the stream's buffer is full. */
export const stdoutBytes: BytesOutput = {
  get isTTY() {
    return process.stdout.isTTY === true
  },
  write: (bytes) =>
    Effect.callback<void, OutputError>((resume) => {
      const out = process.stdout
      if (out.write(bytes)) return resume(Effect.void)
      const settle = (error?: unknown) => {
        out.off("drain", settle).off("error", settle).off("close", settle)
        resume(error === undefined ? Effect.void : Effect.fail(new OutputError({ target: "stdout", detail: reasonOf(error) })))
      }
      out.on("drain", settle).on("error", settle).on("close", settle)
    })
}

const attempt = <A>(target: string, what: string, f: () => Promise<A>): Effect.Effect<A, OutputError> =>
  Effect.tryPromise({ try: f, catch: (cause) => new OutputError({ target, detail: `cannot ${what} (${reasonOf(cause)})` }) })

/** All of `bytes` written at the handle's position. */
const writeAll = async (handle: fs.FileHandle, bytes: Uint8Array): Promise<void> => {
  for (let at = 0; at < bytes.length;) at += (await handle.write(bytes, at)).bytesWritten
}

/**
 * `bytes` written to `file` whole or not at all: into a temp file in the same folder, flushed, then renamed over
 * `file`. If the stream fails, a write fails or the fiber is interrupted, the temp file is removed and `file` is left
 * as it was (absent, or its old content).
 */
export const writeAtomically = <E>(file: string, bytes: Stream.Stream<Uint8Array, E>): Effect.Effect<void, E | OutputError> =>
  Effect.suspend(() => {
    const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString("hex")}.part`)
    const written = Effect.acquireUseRelease(
      attempt(file, `create a temp file in ${path.dirname(file)}`, () => fs.open(temp, "wx")),
      (handle) =>
        Effect.andThen(
          Stream.runForEach(bytes, (chunk) => attempt(file, "write", () => writeAll(handle, chunk))),
          attempt(file, "flush", () => handle.sync())
        ),
      // Closing waits for a write still in flight (an interrupted one), so the removal below comes after it.
      (handle) => Effect.promise(() => handle.close().catch(() => undefined))
    )
    return written.pipe(
      Effect.andThen(attempt(file, "rename the temp file over it", () => fs.rename(temp, file))),
      Effect.onExit((exit) => Exit.isSuccess(exit) ? Effect.void : Effect.promise(() => fs.rm(temp, { force: true })))
    )
  })
