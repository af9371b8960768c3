/** Building the real client stack against a loopback stand-in, inside the test's scope. */
import type * as HttpClient from "effect/http/HttpClient"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import type * as AnthropicHttpClient from "../src/AnthropicHttpClient.js"
import * as AnthropicClient from "../src/AnthropicClient.js"
import * as AnthropicConfig from "../src/AnthropicConfig.js"
import * as Credentials from "../src/Credentials.js"
import type * as Messages from "../src/Messages.js"
import { type Client, createClient } from "../src/PromiseClient.js"
import * as StandIn from "../src/testing/StandIn.js"

export const API_KEY = "sk-ant-api03-test-key-do-not-leak"

export const hello: Messages.MessageCreateParams = {
  model: "claude-haiku-4-5",
  max_tokens: 64,
  messages: [{ role: "user", content: "hello" }]
}

/** The whole stack from an inline `providers.anthropic` section; lives as long as the test's scope. */
export const stack = (anthropic: Record<string, unknown>, env: Record<string, string> = {}) =>
  Effect.map(
    Layer.build(AnthropicClient.layerFile({ config: { providers: { anthropic } }, env })),
    (services) => ({
      client: Context.get(services, AnthropicClient.AnthropicClient),
      credentials: Context.get(services, Credentials.Credentials)
    })
  )

/**
 * {@link stack} on another `HttpClient` (`NodeHttpClient.layerUndici`, say), as `layerFrom` builds it for users who
 * bring their own: an API key of {@link API_KEY} and `anthropic`'s keys.
 */
export const stackOn = (
  httpClient: Layer.Layer<HttpClient.HttpClient>,
  anthropic: Record<string, unknown>,
  httpClientOptions?: AnthropicHttpClient.Options
) =>
  Effect.gen(function*() {
    const settings = AnthropicConfig.fromObject({ providers: { anthropic: { api_key: API_KEY, ...anthropic } } }, { env: {} })
    if (Result.isFailure(settings)) return yield* Effect.die(settings.failure)
    const services = yield* Layer.build(AnthropicClient.layerFrom({
      config: AnthropicConfig.layer(settings.success),
      credentials: Credentials.layer,
      httpClient,
      ...(httpClientOptions === undefined ? {} : { httpClientOptions })
    }))
    return Context.get(services, AnthropicClient.AnthropicClient)
  })

/**
 * A Promise client (`createClient`) against a fresh stand-in answering `replies` first, both closed after `f`.
 * `anthropic` adds keys to the client's `providers.anthropic`.
 */
export const withPromiseClient = async (
  f: (client: Client, standIn: StandIn.StandIn) => Promise<void>,
  options: { readonly replies?: ReadonlyArray<StandIn.Reply>; readonly anthropic?: Record<string, unknown> } = {}
): Promise<void> => {
  const standIn = await StandIn.start({ replies: options.replies ?? [] })
  const client = await createClient({
    config: { providers: { anthropic: { api_key: API_KEY, base_url: standIn.url, ...options.anthropic } } },
    env: {}
  })
  try {
    await f(client, standIn)
  } finally {
    await client.close()
    await standIn.close()
  }
}
