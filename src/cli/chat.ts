/**
 * `chat "prompt"`: streams Claude's reply to the terminal with the credential `config/llm.yaml` resolves. The reply
 * keeps its line feeds and tabs; every other control character in it (ESC, BEL, carriage return, C1, bidi
 * overrides) is printed as a visible escape, as is anything the server sent into the status lines.
 */
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as AnthropicClient from "../AnthropicClient.js"
import * as AnthropicConfig from "../AnthropicConfig.js"
import * as Credentials from "../Credentials.js"
import type { LlmError } from "../internal/errors.js"
import type * as Messages from "../internal/messages/message.js"
import * as MessageStream from "../MessageStream.js"
import { escapeControls } from "./terminalText.js"

export interface ChatOptions {
  readonly prompt: string
  readonly configPath?: string | undefined
  /** Where the config's `${VAR}` and HOME are read; the process's environment by default. */
  readonly env?: AnthropicConfig.LoadOptions["env"]
  /** Overrides the config's `model:` selection. */
  readonly model?: string | undefined
  readonly system?: string | undefined
  readonly maxTokens: number
  /** Where the reply's text goes (stdout), already escaped; status lines go to stderr. */
  readonly write: (text: string) => void
}

/** The model: `--model`, else the config's `model: {provider, model}`, else claude-haiku-4-5. */
export const DEFAULT_CHAT_MODEL = "claude-haiku-4-5"

/** The line after the reply: token counts and the stop reason, as the server sent them, escaped. */
export const statusLine = (message: Messages.Message): string =>
  escapeControls(
    `[${message.usage.input_tokens} tokens in, ${message.usage.output_tokens} out, stop: ${message.stop_reason}]`,
    "line"
  )

export const chat = (options: ChatOptions): Effect.Effect<void, LlmError, Scope.Scope> =>
  Effect.gen(function*() {
    const settings = yield* AnthropicConfig.load({ configPath: options.configPath, env: options.env })
    const model = options.model ??
      Option.match(settings.model, { onNone: () => DEFAULT_CHAT_MODEL, onSome: (selection) => selection.model })
    const services = yield* Layer.build(AnthropicClient.layerSettings(settings))
    const client = Context.get(services, AnthropicClient.AnthropicClient)
    const credentials = Context.get(services, Credentials.Credentials)
    yield* Console.error(escapeControls(`[${model} via ${credentials.kind} from ${credentials.location}]`, "line"))
    const message = yield* MessageStream.finalMessage(
      client.stream({
        model,
        max_tokens: options.maxTokens,
        ...(options.system === undefined ? {} : { system: options.system }),
        messages: [{ role: "user", content: options.prompt }]
      }).pipe(
        Stream.tap((event) => {
          const text = MessageStream.deltaText(event)
          return text === undefined ? Effect.void : Effect.sync(() => options.write(escapeControls(text, "text")))
        })
      )
    )
    options.write("\n")
    yield* Console.error(statusLine(message))
  })
