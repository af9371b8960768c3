/**
 * JSON Lines (one JSON value per line) decoded as the bytes arrive: a network chunk at a time, one line in memory
 * at most, so a results file of any size is read in constant memory.
 */
import * as Arr from "effect/Array"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Pull from "effect/Pull"
import * as Stream from "effect/Stream"
import { StreamError } from "../errors.js"

/** The default bound on one line: far above any real batch result, far below what breaks a string. */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024

/**
 * The values of the lines of `bytes`, in order. Blank lines are skipped and a `\r` before a `\n` is dropped; the
 * last line needs no `\n`. A line that is not JSON, or longer than `maxLineBytes` (counted in decoded characters,
 * which never outnumber the bytes), fails with `StreamError { reason: "malformed" }` naming its line number.
 */
export const decodeJsonLines = <A = unknown>(options: {
  readonly requestId?: string | undefined
  readonly maxLineBytes?: number | undefined
  /**
   * Checks each value (the `index`-th, from 0): what to fail with, or `undefined` to keep it. In the same loop as
   * the parse, so a large file costs no Effect step per line.
   */
  readonly check?: ((value: unknown, index: number) => string | undefined) | undefined
}) =>
<E, R>(bytes: Stream.Stream<Uint8Array, E, R>): Stream.Stream<A, E | StreamError, R> =>
  // On the bytes' pull (`transformPull`, called for each run of the stream), since a chunk may not be
  // empty: a read of bytes that completes no line reads again instead of handing out an empty chunk.
  Stream.transformPull(bytes, (pull) => {
    const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES
    // Fatal: bytes that are not UTF-8 are a malformed line, not replacement characters in a result.
    const decoder = new TextDecoder("utf-8", { fatal: true })
    let rest = ""
    let lineNumber = 0
    let values = 0
    const check = options.check
    const malformed = (detail: string) =>
      new StreamError({ reason: "malformed", detail: `line ${lineNumber}: ${detail}`, requestId: options.requestId })
    /** Parses one complete line into `out`; a failure to report, or undefined. */
    const parseLine = (line: string, out: Array<A>): StreamError | undefined => {
      lineNumber++
      const text = line.endsWith("\r") ? line.slice(0, -1) : line
      if (text.trim() === "") return undefined
      let value: unknown
      try {
        value = JSON.parse(text)
      } catch {
        return malformed("not JSON")
      }
      const refused = check?.(value, values)
      if (refused !== undefined) return malformed(refused)
      values++
      out.push(value as A)
      return undefined
    }
    // Newlines are looked for in the new text only: `rest` (a line still growing) is never searched again, so a
    // line that arrives over many chunks costs its length once, not once per chunk.
    const feed = (text: string, out: Array<A>): StreamError | undefined => {
      let start = 0
      for (let end = text.indexOf("\n"); end !== -1; end = text.indexOf("\n", start)) {
        const failure = parseLine(rest + text.slice(start, end), out)
        rest = ""
        if (failure !== undefined) return failure
        start = end + 1
      }
      rest += text.slice(start)
      if (rest.length > maxLineBytes) {
        lineNumber++
        return malformed(`longer than ${maxLineBytes} bytes`)
      }
      return undefined
    }
    // The values before a bad line are delivered first; the stream fails at the next read.
    let failed: StreamError | undefined
    let ended = false
    const onChunk = (chunk: Arr.NonEmptyReadonlyArray<Uint8Array>): Pull.Pull<Arr.NonEmptyReadonlyArray<A>, E | StreamError> => {
      const out: Array<A> = []
      for (const piece of chunk) {
        let text: string
        try {
          text = decoder.decode(piece, { stream: true })
        } catch {
          lineNumber++
          failed = malformed("not UTF-8 text")
          break
        }
        failed = feed(text, out)
        if (failed !== undefined) break
      }
      return Arr.isArrayNonEmpty(out) ? Effect.succeed(out) : next
    }
    // The bytes' end: the last line, which needs no `\n`.
    const onEnd = (): Pull.Pull<Arr.NonEmptyReadonlyArray<A>, StreamError> => {
      ended = true
      const out: Array<A> = []
      let tail: string
      try {
        tail = decoder.decode()
      } catch {
        lineNumber++
        return Effect.fail(failed = malformed("not UTF-8 text"))
      }
      const failure = parseLine(rest + tail, out)
      rest = ""
      if (failure !== undefined) return Effect.fail(failed = failure)
      return Arr.isArrayNonEmpty(out) ? Effect.succeed(out) : Cause.done()
    }
    const read = Pull.matchEffect(pull, { onSuccess: onChunk, onFailure: Effect.failCause, onDone: onEnd })
    const next: Pull.Pull<Arr.NonEmptyReadonlyArray<A>, E | StreamError> = Effect.suspend(() =>
      failed !== undefined ? Effect.fail(failed) : ended ? Cause.done() : read
    )
    return Effect.succeed(next)
  })
