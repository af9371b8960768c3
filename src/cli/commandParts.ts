/**
 * What the resource commands (`batches`, `files`) share: their `--json` and `--quiet` flags, what every body is
 * given, and how a body runs (in its own scope, with the console escaping what it prints, as `main.ts` runs the
 * others).
 */
import * as Flag from "effect/cli/Flag"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type { ConfigOptions } from "./connect.js"
import { stdoutLine } from "./output.js"
import type * as Progress from "./progress.js"
import { withEscapedConsole } from "./terminalText.js"

/** What every resource command's body is given: its configuration, and where its lines go. */
export interface ResourceOptions extends ConfigOptions {
  /** Where the lines go (stdout), each already escaped. */
  readonly write: (line: string) => void
}

/** How a body's progress is shown: on `progress` (stderr), unless `quiet`. */
export interface ProgressOptions {
  readonly quiet: boolean
  readonly progress: Progress.Sink
}

// A boolean flag is required unless it has a default: absent is `false`.
export const json = Flag.Boolean("json").pipe(Flag.withDescription("the API's JSON objects, one a line"), Flag.withDefault(false))

export const quiet = Flag.Boolean("quiet").pipe(
  Flag.withAlias("q"),
  Flag.withDescription("no progress on stderr"),
  Flag.withDefault(false)
)

/** A body's options from `--config`, its lines going to stdout. */
export const resourceOptions = (config: Option.Option<string>): ResourceOptions => ({
  configPath: Option.getOrUndefined(config),
  write: stdoutLine
})

/** A body run as a command: in its own scope, with the console escaping what it prints. */
export const run = <E>(body: Effect.Effect<void, E, Scope.Scope>): Effect.Effect<void, E> => withEscapedConsole(Effect.scoped(body))
