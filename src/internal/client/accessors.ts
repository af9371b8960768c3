/**
 * Accessors: the client's methods as functions that read the `AnthropicClient` service from the context, so a
 * program finds each call where an SDK user does (`Models.retrieve(id)` for `client.models.retrieve(id)`).
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { AnthropicClient, type Service } from "./service.js"

/** An Effect-returning method of the client, as a function of the context. */
export const accessEffect = <Args extends Array<any>, A, E, R>(
  method: (client: Service) => (...args: Args) => Effect.Effect<A, E, R>
): (...args: Args) => Effect.Effect<A, E, R | AnthropicClient> =>
(...args) => AnthropicClient.use((client) => method(client)(...args))

/** A Stream-returning method of the client, as a function of the context. */
export const accessStream = <Args extends Array<any>, A, E>(
  method: (client: Service) => (...args: Args) => Stream.Stream<A, E>
) =>
(...args: Args): Stream.Stream<A, E, AnthropicClient> =>
  Stream.unwrap(Effect.map(AnthropicClient, (client) => method(client)(...args)))
