/**
 * The client a resource command (`batches`, `files`) talks through: the configuration `--config` names (else
 * `config/llm.yaml`, else the environment) and the whole stack over it, living as long as the command's scope.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as AnthropicClient from "../AnthropicClient.js"
import * as AnthropicConfig from "../AnthropicConfig.js"
import type { LlmError } from "../internal/errors.js"

/** Which configuration: `--config`, and the environment `${VAR}` and HOME are read from (the process's by default). */
export interface ConfigOptions {
  readonly configPath?: string | undefined
  readonly env?: AnthropicConfig.LoadOptions["env"]
}

export const connect = (options: ConfigOptions): Effect.Effect<AnthropicClient.Service, LlmError, Scope.Scope> =>
  Effect.gen(function*() {
    const settings = yield* AnthropicConfig.load({ configPath: options.configPath, env: options.env })
    const services = yield* Layer.build(AnthropicClient.layerSettings(settings))
    return Context.get(services, AnthropicClient.AnthropicClient)
  })
