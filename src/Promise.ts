/**
 * The client for plain async code: a `ManagedRuntime` over the whole stack behind Promise-returning functions.
 *
 * ```ts
 * const client = await createClient()
 * const msg = await client.messages.create({ model: "claude-haiku-4-5", max_tokens: 256, messages: [...] })
 * await client.close()
 * ```
 *
 * A failed call rejects with the tagged error itself (`err._tag === "RateLimit"`, …). An aborted `signal`
 * interrupts the call (and its HTTP request) and rejects with the signal's reason.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import * as AnthropicClient from "./AnthropicClient.js"
import type * as Config from "./Config.js"
import * as Credentials from "./Credentials.js"
import type { CredentialKind, SourceReport } from "./Errors.js"
import type * as Messages from "./Messages.js"

/**
 * @since 0.1.0
 */
export interface CreateClientOptions {
  /** Defaults to `config/llm.yaml`. */
  readonly configPath?: string
  /** The configuration as an object of the same shape as `config/llm.yaml` (top-level `providers:`). */
  readonly config?: object
  /** Where `${VAR}`, HOME and CLAUDE_CONFIG_DIR are read. Defaults to `process.env`. */
  readonly env?: Record<string, string | undefined>
}

/**
 * @since 0.1.0
 */
export interface RequestOptions extends AnthropicClient.CallOptions {
  readonly signal?: AbortSignal | undefined
}

/**
 * @since 0.1.0
 */
export interface Client {
  readonly messages: {
    readonly create: (params: Messages.MessageCreateParams, options?: RequestOptions) => Promise<Messages.Message>
    readonly countTokens: (
      params: Messages.CountTokensParams,
      options?: RequestOptions
    ) => Promise<Messages.MessageTokensCount>
  }
  /** The credential in use and what every other source looked like (no secrets). */
  readonly credential: {
    readonly kind: CredentialKind
    readonly location: string
    readonly report: ReadonlyArray<SourceReport>
  }
  /** Runs any Effect program against this client's services. */
  readonly run: <A, E>(
    effect: Effect.Effect<A, E, AnthropicClient.Services>,
    options?: { readonly signal?: AbortSignal | undefined }
  ) => Promise<A>
  /** Releases everything the client started (connections, background fibers). */
  readonly close: () => Promise<void>
}

/** Reject with the error itself rather than Effect's FiberFailure wrapper. */
const settle = <A, E>(exit: Exit.Exit<A, E>, signal?: AbortSignal): A => {
  if (Exit.isSuccess(exit)) return exit.value
  const failure = Cause.failureOption(exit.cause)
  if (Option.isSome(failure)) throw failure.value
  if (Cause.isInterruptedOnly(exit.cause)) {
    throw signal?.aborted ? signal.reason : new DOMException("The operation was interrupted", "AbortError")
  }
  throw Cause.squash(exit.cause)
}

/**
 * A client over any layer that provides the whole stack (tests use this with fake layers).
 *
 * @since 0.1.0
 */
export const fromLayer = async <E>(layer: Layer.Layer<AnthropicClient.Services, E>): Promise<Client> => {
  const runtime = ManagedRuntime.make(layer)
  const built = await Effect.runPromiseExit(runtime.runtimeEffect)
  if (Exit.isFailure(built)) {
    await runtime.dispose()
    settle(built)
  }
  const run = <A, E2>(
    effect: Effect.Effect<A, E2, AnthropicClient.Services>,
    options?: { readonly signal?: AbortSignal | undefined }
  ): Promise<A> => runtime.runPromiseExit(effect, options).then((exit) => settle(exit, options?.signal))
  const credentials = await run(Credentials.Credentials)
  return {
    messages: {
      create: (params, options) =>
        run(Effect.flatMap(AnthropicClient.AnthropicClient, (c) => c.createMessage(params, options)), options),
      countTokens: (params, options) =>
        run(Effect.flatMap(AnthropicClient.AnthropicClient, (c) => c.countTokens(params, options)), options)
    },
    credential: { kind: credentials.kind, location: credentials.location, report: credentials.report },
    run,
    close: () => runtime.dispose()
  }
}

/**
 * Build a client from `config/llm.yaml` (or `configPath`, or `config`). Rejects with a `ConfigError` or
 * `NoCredentials` when the configuration or the credentials are unusable.
 *
 * @since 0.1.0
 */
export const createClient = (options: CreateClientOptions = {}): Promise<Client> =>
  fromLayer(AnthropicClient.layerConfig(options satisfies Config.LoadOptions))
