/**
 * What the command line prints, made safe for a terminal. A server (or a file, or an environment variable) can put
 * control characters into anything the CLI shows: a model's id, a stop reason, an error's message. Written raw they
 * would clear the screen, set the window title, move the cursor over earlier lines, or reorder text with bidi
 * overrides. Every character of that kind is shown as a visible escape instead (`\x1b`, `\u202e`).
 */
import * as CliError from "effect/cli/CliError"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { inspect } from "node:util"

/**
 * How a text is escaped:
 * - `"line"`: one line of a layout (a table cell, a status line): every control character is escaped, line breaks
 *   and tabs too, so a value cannot start a line of its own.
 * - `"text"`: text with lines (the model's reply, a multi-line message): line feeds and tabs stay, every other
 *   control character (carriage return included) is escaped.
 * - `"json"`: the output of `JSON.stringify`, which escapes C0 itself but leaves DEL, C1 and bidi controls raw:
 *   those are written as `\u` escapes, so the JSON still parses to the same value.
 */
export type Mode = "line" | "text" | "json"

// C0 (U+0000–U+001F), DEL, C1 (U+0080–U+009F), bidi embeddings and overrides (U+202A–U+202E), bidi isolates
// (U+2066–U+2069).
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g
const UNSAFE_BUT_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g

const hex = (code: number, digits: number) => code.toString(16).padStart(digits, "0")

/** The usual names where there is one (`\n`, `\r`, `\t`), else `\xHH` / `\uHHHH`. */
const NAMED: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" }

const visible = (char: string): string => {
  const code = char.charCodeAt(0)
  return NAMED[char] ?? (code < 0x100 ? `\\x${hex(code, 2)}` : `\\u${hex(code, 4)}`)
}

const asJsonEscape = (char: string): string => `\\u${hex(char.charCodeAt(0), 4)}`

/**
 * `text` with every character a terminal would act on shown as a visible escape. The result holds none of them, so
 * escaping it again changes nothing.
 */
export const escapeControls = (text: string, mode: Mode = "line"): string =>
  mode === "line"
    ? text.replace(UNSAFE, visible)
    : text.replace(UNSAFE_BUT_LINES, mode === "json" ? asJsonEscape : visible)

/** What `console.log(...args)` would print, escaped as `"text"`. */
const printed = (args: ReadonlyArray<unknown>): string =>
  escapeControls(args.map((arg) => typeof arg === "string" ? arg : inspect(arg)).join(" "), "text")

/** `base` with everything it prints (lines and log lines alike) escaped. */
const escaping = (base: Console.Console): Console.Console => ({
  ...base,
  log: (...args) => base.log(printed(args)),
  info: (...args) => base.info(printed(args)),
  warn: (...args) => base.warn(printed(args)),
  error: (...args) => base.error(printed(args)),
  debug: (...args) => base.debug(printed(args))
})

/**
 * Run a command's body with the current console escaping what it prints (`"text"` mode), its loggers' lines
 * included. The commands escape server values in their own layouts as well; this is the net under everything else
 * they print. (`effect/cli`'s own help and errors stay outside: their colours are meant.)
 */
export const withEscapedConsole = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Console.consoleWith((base) => Effect.provideService(effect, Console.Console, escaping(base)))

/**
 * What a failed command prints: our tagged errors carry a message written for people (the API's own message quoted
 * in it), so that, escaped, and not a stack. Anything else has been reported already (`effect/cli`'s parse errors,
 * shown with the help) and prints nothing here.
 */
export const failureText = (error: unknown): string | undefined =>
  error instanceof Error && "_tag" in error && !CliError.isCliError(error)
    ? escapeControls(`${String(error._tag)}: ${error.message}`, "text")
    : undefined
