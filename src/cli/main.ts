#!/usr/bin/env node
/**
 * The `effect-anthropic` command line.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Demo from "./demo.js"

const configOption = Options.file("config").pipe(
  Options.withDescription("path of the configuration file (default config/llm.yaml)"),
  Options.optional
)

const demo = Command.make(
  "demo",
  {
    live: Options.boolean("live").pipe(
      Options.withDescription("talk to the real API with the credentials config/llm.yaml resolves")
    ),
    config: configOption
  },
  ({ config, live }) => Effect.scoped(Demo.run({ live, configPath: Option.getOrUndefined(config) }))
).pipe(Command.withDescription("run the demo against the loopback stand-in (or the real API with --live)"))

const root = Command.make("effect-anthropic").pipe(
  Command.withDescription("An Effect-TS client for the Anthropic Messages API"),
  Command.withSubcommands([demo])
)

const cli = Command.run(root, { name: "effect-anthropic", version: "0.1.0" })

Effect.suspend(() => cli(process.argv)).pipe(
  // Tagged errors carry a message written for people: print it, not a stack.
  Effect.tapErrorTag("ConfigError", (e) => Console.error(e.message)),
  Effect.catchAll((error) =>
    Effect.zipRight(
      "_tag" in (error as object) && (error as { _tag: string })._tag !== "ConfigError"
        ? Console.error(`${(error as { _tag: string })._tag}: ${(error as Error).message}`)
        : Effect.void,
      Effect.sync(() => {
        process.exitCode = 1
      })
    )
  ),
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain
)
