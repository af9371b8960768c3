#!/usr/bin/env node
/**
 * The `effect-anthropic` command line: demo, chat, models, login, status, logout, batches, files, stand-in. Every command body runs with a
 * console that escapes control characters (`terminalText`); the commands escape server values in their own layouts.
 */
import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as AnthropicConfig from "../AnthropicConfig.js"
import * as UndiciHttpClient from "../internal/http/undici.js"
import * as Auth from "./auth.js"
import * as Batches from "./batches.js"
import * as Chat from "./chat.js"
import * as Demo from "./demo.js"
import * as Files from "./files.js"
import * as Models from "./models.js"
import * as CliRuntime from "./runtime.js"
import * as StandInCommand from "./standIn.js"
import { failureText, withEscapedConsole } from "./terminalText.js"

const configOption = Flag.String("config").pipe(
  Flag.withDescription("path of the configuration file (default config/llm.yaml)"),
  Flag.optional
)

const loadSettings = (config: Option.Option<string>) => AnthropicConfig.load({ configPath: Option.getOrUndefined(config) })

const exitWith = (code: number) =>
  Effect.sync(() => {
    process.exitCode = code
  })

const demo = Command.make(
  "demo",
  {
    live: Flag.Boolean("live").pipe(
      Flag.withDescription("talk to the real API with the credentials config/llm.yaml resolves"),
      Flag.withDefault(false)
    ),
    config: configOption
  },
  ({ config, live }) => withEscapedConsole(Effect.scoped(Demo.run({ live, configPath: Option.getOrUndefined(config) })))
).pipe(Command.withDescription("run the demo against the loopback stand-in (or the real API with --live)"))

const login = Command.make(
  "login",
  {
    noBrowser: Flag.Boolean("no-browser").pipe(
      Flag.withDescription("no browser and no local listener: print one URL, then read the code#state to paste on stdin"),
      Flag.withDefault(false)
    ),
    config: configOption
  },
  ({ config, noBrowser }) =>
    Effect.gen(function*() {
      const settings = yield* loadSettings(config)
      yield* Auth.login({ settings, openBrowser: !noBrowser, pasteOnly: noBrowser, pasted: Auth.stdinLines })
    }).pipe(Effect.scoped, Effect.provide(UndiciHttpClient.layer), withEscapedConsole)
).pipe(Command.withDescription("sign in with your Anthropic account (OAuth PKCE) and write the OAuth bundle"))

const status = Command.make(
  "status",
  {
    json: Flag.Boolean("json").pipe(Flag.withDescription("the report as one JSON object"), Flag.withDefault(false)),
    config: configOption
  },
  ({ config, json }) =>
    Effect.flatMap(loadSettings(config), (settings) => Auth.status(settings, { json })).pipe(
      Effect.flatMap((ok) => ok ? Effect.void : exitWith(1)),
      withEscapedConsole
    )
).pipe(Command.withDescription("show which credential is used, why the others are not, when it expires, and the rate limits"))

const logout = Command.make(
  "logout",
  { config: configOption },
  ({ config }) => withEscapedConsole(Effect.flatMap(loadSettings(config), Auth.logout))
).pipe(Command.withDescription("remove the OAuth bundle"))

const chat = Command.make(
  "chat",
  {
    prompt: Argument.String("prompt").pipe(Argument.withDescription("what to ask")),
    model: Flag.String("model").pipe(
      Flag.withDescription("the model (default: the config's model: selection, else claude-haiku-4-5)"),
      Flag.optional
    ),
    system: Flag.String("system").pipe(Flag.withDescription("a system prompt"), Flag.optional),
    maxTokens: Flag.Int("max-tokens").pipe(Flag.withDefault(1024)),
    config: configOption
  },
  ({ config, maxTokens, model, prompt, system }) =>
    withEscapedConsole(Effect.scoped(Chat.chat({
      prompt,
      configPath: Option.getOrUndefined(config),
      model: Option.getOrUndefined(model),
      system: Option.getOrUndefined(system),
      maxTokens,
      write: (text) => process.stdout.write(text)
    })))
).pipe(Command.withDescription("stream Claude's answer to a prompt, with the configured credential and model"))

const models = Command.make(
  "models",
  {
    json: Flag.Boolean("json").pipe(
      Flag.withDescription("one JSON object a line (the API's ModelInfo)"),
      Flag.withDefault(false)
    ),
    config: configOption
  },
  ({ config, json }) =>
    withEscapedConsole(Effect.scoped(Models.list({
      configPath: Option.getOrUndefined(config),
      json,
      write: (line) => process.stdout.write(`${line}\n`)
    })))
).pipe(Command.withDescription("list the models the configured credential can use, newest first"))

const root = Command.make("effect-anthropic").pipe(
  Command.withDescription("An Effect-TS client for the Anthropic Messages API"),
  Command.withSubcommands([
    demo,
    chat,
    models,
    login,
    status,
    logout,
    Batches.command(configOption),
    Files.command(configOption),
    StandInCommand.command
  ])
)

// The arguments are read from `Stdio` (the CLI's runtime gives the process's), and the program's name in
// the help is the root command's.
Command.run(root, { version: "0.3.0" }).pipe(
  Effect.catch((error) => {
    const text = failureText(error)
    return Effect.andThen(text === undefined ? Effect.void : Console.error(text), exitWith(1))
  }),
  Effect.provide(CliRuntime.layer),
  CliRuntime.runMain
)
