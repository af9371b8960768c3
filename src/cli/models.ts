/**
 * `models`: the models the credential can use, newest first, a line each (every page, fetched as it prints). What the
 * server sent is escaped before it is printed (see `terminalText`).
 */
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as AnthropicClient from "../AnthropicClient.js"
import * as AnthropicConfig from "../AnthropicConfig.js"
import * as Credentials from "../Credentials.js"
import type { LlmError } from "../internal/errors.js"
import type * as Models from "../internal/resources/models.js"
import { escapeControls } from "./terminalText.js"

export interface ModelsOptions {
  readonly configPath?: string | undefined
  /** Where the config's `${VAR}` and HOME are read; the process's environment by default. */
  readonly env?: AnthropicConfig.LoadOptions["env"]
  /** One JSON object a line instead of the table's columns. */
  readonly json: boolean
  /** Where the lines go (stdout), already escaped; the credential line goes to stderr. */
  readonly write: (line: string) => void
}

/** One model as a line of the table: each server value escaped first, so the columns still line up. */
export const tableLine = (model: Models.ModelInfo): string => {
  const cell = (value: string) => escapeControls(value, "line")
  const lifecycle = model.lifecycle === undefined || model.lifecycle === "active" ? "" : `  (${cell(model.lifecycle)})`
  return `${cell(model.id).padEnd(36)} ${cell(model.display_name).padEnd(24)} ${cell(model.created_at.slice(0, 10))}${lifecycle}`
}

/** One model as a line of JSON (the API's object), with the controls JSON leaves raw escaped too. */
export const jsonLine = (model: Models.ModelInfo): string => escapeControls(JSON.stringify(model), "json")

export const list = (options: ModelsOptions): Effect.Effect<void, LlmError, Scope.Scope> =>
  Effect.gen(function*() {
    const settings = yield* AnthropicConfig.load({ configPath: options.configPath, env: options.env })
    const services = yield* Layer.build(AnthropicClient.layerSettings(settings))
    const client = Context.get(services, AnthropicClient.AnthropicClient)
    const credentials = Context.get(services, Credentials.Credentials)
    yield* Console.error(
      escapeControls(`[models of ${settings.baseUrl} via ${credentials.kind} from ${credentials.location}]`, "line")
    )
    const line = options.json ? jsonLine : tableLine
    yield* Stream.runForEach(client.models({ limit: 100 }), (model) => Effect.sync(() => options.write(line(model))))
  })
