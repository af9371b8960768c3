/**
 * `stand-in [--port N]`: the loopback stand-in of the API (`testing/StandIn`) as a server of its own, for trying the
 * `chat` and `models` commands, the library or any client without an account or a network. It listens on 127.0.0.1
 * only, prints the environment that points a client at it (the `KEY=value` lines on stdout, everything else on
 * stderr), and runs until Ctrl-C (SIGINT) or SIGTERM, when it closes its connections and stops.
 */
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as StandIn from "../testing/StandIn.js"
import { withEscapedConsole } from "./terminalText.js"

/** The port tried when none is given; a free one is taken instead when it is in use. */
export const DEFAULT_PORT = 4010

/**
 * The API key the printed environment gives: shaped as an API key (the configuration checks keys), plainly not one
 * of Anthropic's. The stand-in takes any key.
 */
export const STAND_IN_API_KEY = "sk-ant-api03-standin-loopback-only-not-a-real-key"

/**
 * The stand-in could not listen where it was asked to.
 *
 * @category errors
 */
export class StandInListenFailed extends Schema.TaggedError<StandInListenFailed>()("StandInListenFailed", {
  port: Schema.Number,
  detail: Schema.String
}) {
  override get message(): string {
    return `the stand-in cannot listen on 127.0.0.1:${this.port}: ${this.detail}`
  }
}

type Print = (line: string) => Effect.Effect<void>

export interface ServeOptions {
  /** The port on 127.0.0.1: absent, {@link DEFAULT_PORT} or a free one when it is taken; 0, a free one. */
  readonly port?: number | undefined
  /** Where the environment's `KEY=value` lines go (stdout); the default is the console's log. */
  readonly out?: Print | undefined
  /** Where the other lines go (stderr); the default is the console's error. */
  readonly err?: Print | undefined
}

const listenFailed = (port: number, cause: unknown) => {
  const code = (cause as { code?: unknown } | null)?.code
  const detail = code === "EADDRINUSE"
    ? "the port is in use; stop what listens there, or pick another with --port N (--port 0: any free port)"
    : code === "EACCES"
    ? "this user may not listen on that port; pick one from 1024 up with --port N (--port 0: any free port)"
    : `${String((cause as Error | null)?.message ?? cause)}; pick another port with --port N (--port 0: any free port)`
  return new StandInListenFailed({ port, detail })
}

/** The stand-in on `port`, closed with the scope (then `stopped` is said). */
const started = (port: number, stopped: Print): Effect.Effect<StandIn.StandIn, StandInListenFailed, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({ try: () => StandIn.start({ port }), catch: (cause) => listenFailed(port, cause) }),
    (standIn) => Effect.promise(() => standIn.close()).pipe(Effect.andThen(stopped(`Stand-in on ${standIn.url} stopped.`)))
  )

/** The stand-in on the port asked for; with none, on {@link DEFAULT_PORT}, else on a free one (and whether it fell back). */
const listen = (port: number | undefined, stopped: Print) =>
  port !== undefined
    ? Effect.map(started(port, stopped), (standIn) => ({ standIn, fellBack: false }))
    : started(DEFAULT_PORT, stopped).pipe(
      Effect.map((standIn) => ({ standIn, fellBack: false })),
      Effect.catch(() => Effect.map(started(0, stopped), (standIn) => ({ standIn, fellBack: true })))
    )

/** The environment that points a client (this CLI, `createClient`, the official SDKs) at the stand-in at `url`. */
export const environment = (url: string): ReadonlyArray<readonly [string, string]> => [
  ["ANTHROPIC_BASE_URL", url],
  ["ANTHROPIC_API_KEY", STAND_IN_API_KEY],
  // Pins the key: with `auto`, a Claude Code login or an OAuth bundle on this machine would be tried first.
  ["ANTHROPIC_AUTH_MODE", "static"]
]

/** Runs the stand-in until interrupted (Ctrl-C, SIGTERM), printing where it is and the environment to use. */
export const serve = (options: ServeOptions = {}): Effect.Effect<never, StandInListenFailed, Scope.Scope> =>
  Effect.gen(function*() {
    const out = options.out ?? Console.log
    const err = options.err ?? Console.error
    if (options.port !== undefined && !(Number.isInteger(options.port) && options.port >= 0 && options.port <= 65535)) {
      return yield* new StandInListenFailed({ port: options.port, detail: "a port is a whole number from 0 to 65535" })
    }
    const { fellBack, standIn } = yield* listen(options.port, err)
    if (fellBack) yield* err(`(Port ${DEFAULT_PORT} is in use: listening on a free port instead.)`)
    yield* err(`Anthropic API stand-in listening on ${standIn.url} (127.0.0.1 only: no account, no network needed).`)
    const variables = environment(standIn.url)
    for (const [name, value] of variables) yield* out(`${name}=${value}`)
    yield* err(
      `Use it from another terminal: export ${variables.map(([name, value]) => `${name}=${value}`).join(" ")}` +
        ` (or put these before a command), then e.g. effect-anthropic chat "Hello". Ctrl-C stops it.`
    )
    return yield* Effect.never
  })

/** The `stand-in` command. */
export const command = Command.make(
  "stand-in",
  {
    port: Flag.Int("port").pipe(
      Flag.withDescription(`the port on 127.0.0.1 (default ${DEFAULT_PORT}, or a free one when it is in use; 0: a free one)`),
      Flag.optional
    )
  },
  ({ port }) => withEscapedConsole(Effect.scoped(serve({ port: Option.getOrUndefined(port) })))
).pipe(Command.withDescription("run the loopback stand-in of the API and print the environment that points clients at it"))
