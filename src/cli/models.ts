/**
 * `models`: the models the credential can use, newest first, a line each (every page, fetched as it prints).
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
import type { LlmError } from "../Errors.js"

export interface ModelsOptions {
  readonly configPath?: string | undefined
  /** One JSON object a line instead of the table's columns. */
  readonly json: boolean
  /** Where the lines go (stdout); the credential line goes to stderr. */
  readonly write: (line: string) => void
}

export const list = (options: ModelsOptions): Effect.Effect<void, LlmError, Scope.Scope> =>
  Effect.gen(function*() {
    const settings = yield* AnthropicConfig.load({ configPath: options.configPath })
    const services = yield* Layer.build(AnthropicClient.layerSettings(settings))
    const client = Context.get(services, AnthropicClient.AnthropicClient)
    const credentials = Context.get(services, Credentials.Credentials)
    yield* Console.error(`[models of ${settings.baseUrl} via ${credentials.kind} from ${credentials.location}]`)
    yield* Stream.runForEach(client.models({ limit: 100 }), (model) =>
      Effect.sync(() =>
        options.write(
          options.json
            ? JSON.stringify(model)
            : `${model.id.padEnd(36)} ${model.display_name.padEnd(24)} ${model.created_at.slice(0, 10)}${
              model.lifecycle === undefined || model.lifecycle === "active" ? "" : `  (${model.lifecycle})`
            }`
        )
      ))
  })
