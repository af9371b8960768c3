/** The @effect/ai provider over the real stack against a stand-in, for the LanguageModel tests. */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as AnthropicClient from "../src/AnthropicClient.js"
import * as AnthropicLanguageModel from "../src/AnthropicLanguageModel.js"
import * as StandIn from "../src/testing/StandIn.js"
import { API_KEY } from "./fixtures.js"

/**
 * A stand-in, and the services of `AnthropicLanguageModel.model(…)` over the whole stack pointed at it, living as
 * long as the test's scope.
 */
export const languageModel = (
  options: { readonly config?: AnthropicLanguageModel.ConfigService; readonly anthropic?: Record<string, unknown> } = {}
) =>
  Effect.gen(function*() {
    const standIn = yield* StandIn.scoped()
    const stack = AnthropicClient.layerFile({
      config: { providers: { anthropic: { api_key: API_KEY, base_url: standIn.url, auth: { mode: "static" }, ...options.anthropic } } },
      env: {}
    })
    const context = yield* Layer.build(
      AnthropicLanguageModel.model("claude-haiku-4-5", { max_tokens: 1000, ...options.config }).pipe(Layer.provideMerge(stack))
    )
    return {
      standIn,
      context,
      provide: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provide(effect, context),
      provideStream: <A, E, R>(stream: Stream.Stream<A, E, R>) => Stream.provide(stream, context)
    }
  })

export type LanguageModelSetup = Effect.Success<ReturnType<typeof languageModel>>

/** A Message whose content is these blocks (any kind, as the API sends them). */
export const message = (content: ReadonlyArray<Record<string, unknown>>, overrides: Record<string, unknown> = {}) =>
  StandIn.messageJson(content as never, overrides as never)
