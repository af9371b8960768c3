/**
 * For programs that keep `@effect/ai-anthropic`: this project's credentials applied to its HTTP client, through its
 * own `transformClient` option, so it gets every credential mode (setup tokens, OAuth bundles with refresh, the
 * Claude Code CLI's credentials) and not only an API key.
 *
 * ```ts
 * import { AnthropicClient as AiAnthropicClient } from "@effect/ai-anthropic"
 *
 * const AiClient = Layer.unwrapEffect(Effect.map(AiAnthropicCredentials.make, (transformClient) =>
 *   AiAnthropicClient.layer({ apiUrl: "https://api.anthropic.com", transformClient })))
 * ```
 *
 * Each request gets the credential's header (`x-api-key`, or `authorization: Bearer …` with the OAuth beta merged
 * into `anthropic-beta`) from `Credentials.authorize` (so a token due for refresh is refreshed first, serialized
 * and shared across processes as everywhere else), any other auth header removed; a 401 or 403 marks the token
 * stale, so the next request refreshes it first; with a `RateLimiter`, each request waits for its slot. A credential
 * that cannot be had (`LoginRequired`, `RefreshFailed`) fails the request with a `RequestError` whose `cause` is
 * that tagged error.
 *
 * @since 0.2.0
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { mergeBetas } from "./AnthropicHttpClient.js"
import { type AuthHeaders, Credentials } from "./Credentials.js"
import * as RateLimiter from "./RateLimiter.js"

/**
 * A `transformClient` for `@effect/ai-anthropic`'s `AnthropicClient.layer` / `make` (its exact type:
 * `(client: HttpClient) => HttpClient`), over these credentials and, optionally, a rate limiter.
 *
 * @since 0.2.0
 * @category constructors
 */
export const transformClient = (
  credentials: Credentials["Type"],
  options: { readonly rateLimiter?: RateLimiter.RateLimiter["Type"] | undefined } = {}
) =>
(client: HttpClient.HttpClient): HttpClient.HttpClient => {
  // Which credential each request carried, to mark that one stale if it is refused.
  const sent = new WeakMap<HttpClientRequest.HttpClientRequest, AuthHeaders>()
  const authorize = options.rateLimiter === undefined
    ? credentials.authorize
    : Effect.zipRight(options.rateLimiter.take, credentials.authorize)
  return client.pipe(
    HttpClient.mapRequestEffect((request) =>
      Effect.matchEffect(authorize, {
        onFailure: (error) =>
          Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause: error, description: error.message })),
        onSuccess: (auth) => {
          const betas = mergeBetas(auth.betas, request.headers["anthropic-beta"] === undefined ? [] : [request.headers["anthropic-beta"]])
          const headers = Headers.set(
            Headers.remove(request.headers, ["x-api-key", "authorization"]),
            auth.header,
            Redacted.value(auth.value)
          )
          const authorized = HttpClientRequest.modify(request, {
            headers: betas === "" ? headers : Headers.set(headers, "anthropic-beta", betas)
          })
          sent.set(authorized, auth)
          return Effect.succeed(authorized)
        }
      })
    ),
    HttpClient.tap((response) => {
      const auth = sent.get(response.request)
      return auth !== undefined && (response.status === 401 || response.status === 403)
        ? credentials.markStale(auth)
        : Effect.void
    })
  )
}

/**
 * {@link transformClient} over the `Credentials` and `RateLimiter` in context (the stack's own, from any of
 * `AnthropicClient`'s layers).
 *
 * @since 0.2.0
 * @category constructors
 */
export const make: Effect.Effect<
  (client: HttpClient.HttpClient) => HttpClient.HttpClient,
  never,
  Credentials | RateLimiter.RateLimiter
> = Effect.map(
  Effect.all([Credentials, RateLimiter.RateLimiter]),
  ([credentials, rateLimiter]) => transformClient(credentials, { rateLimiter })
)
