/**
 * For programs that keep `@effect/ai-anthropic`: this project's credentials applied to its HTTP client, through its
 * own `transformClient` option, so it gets every credential mode (setup tokens, OAuth bundles with refresh, the
 * Claude Code CLI's credentials) and not only an API key.
 *
 * ```ts
 * import { AnthropicClient as AiAnthropicClient } from "@effect/ai-anthropic"
 *
 * const AiClient = Layer.unwrap(Effect.map(AiAnthropicCredentials.make, (transformClient) =>
 *   AiAnthropicClient.layer({ transformClient })))
 * ```
 *
 * Requests go where the configuration says (`base_url`, `ANTHROPIC_BASE_URL`): one addressed to
 * `@effect/ai-anthropic`'s default `https://api.anthropic.com` is sent to the configured `base_url` instead, and one
 * addressed anywhere else than the configured `base_url` fails with an `HttpClientError` (`InvalidUrlError`) before
 * any credential is added to it.
 *
 * Each request gets the credential's header (`x-api-key`, or `authorization: Bearer …` with the OAuth beta merged
 * into `anthropic-beta`) from `Credentials.authorize` (so a token due for refresh is refreshed first, serialized
 * and shared across processes as everywhere else), any other auth header removed; a 401 or 403 marks the token
 * stale, so the next request refreshes it first; with a `RateLimiter`, each request waits for its slot. A credential
 * that cannot be had (`LoginRequired`, `RefreshFailed`) fails the request with an `HttpClientError` whose reason is a
 * `TransportError` with that tagged error as its `cause`.
 *
 * Its failures are `HttpClientError`s, their `reason` a `TransportError` (no credential) or an `InvalidUrlError`.
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as AnthropicConfig from "./AnthropicConfig.js"
import { mergeBetas } from "./internal/http/request.js"
import { type AuthHeaders, Credentials } from "./Credentials.js"
import * as RateLimiter from "./RateLimiter.js"

/**
 * The `apiUrl` `@effect/ai-anthropic` uses when it is given none: requests addressed there are sent to the
 * configured `base_url`.
 *
 * @since 0.2.0
 * @category constants
 */
export const AI_ANTHROPIC_DEFAULT_API_URL = "https://api.anthropic.com"

/** A base URL's origin and path, to tell whether a request's URL lies under it. */
interface Base {
  readonly text: string
  readonly origin: string
  /** The path without a trailing slash: "" for a bare origin. */
  readonly path: string
}

const baseOf = (url: string): Base => {
  const parsed = new URL(url)
  return { text: url.replace(/\/+$/, ""), origin: parsed.origin, path: parsed.pathname.replace(/\/+$/, "") }
}

const underBase = (url: URL, base: Base): boolean =>
  url.origin === base.origin && (base.path === "" || url.pathname === base.path || url.pathname.startsWith(`${base.path}/`))

const defaultApi = baseOf(AI_ANTHROPIC_DEFAULT_API_URL)

/**
 * The request addressed where the configuration says: what was addressed to `@effect/ai-anthropic`'s default goes
 * to `base` (its path kept after `base`'s own); anything else must already lie under `base`, or the request fails
 * here, before a credential is added to it.
 */
const routed = (
  request: HttpClientRequest.HttpClientRequest,
  base: Base
): Effect.Effect<HttpClientRequest.HttpClientRequest, HttpClientError.HttpClientError> => {
  const refused = (why: string) =>
    Effect.fail(
      new HttpClientError.HttpClientError({
        reason: new HttpClientError.InvalidUrlError({
          request,
          description: `${why}; the credential is sent only to the configured base_url ${base.text} ` +
            "(set base_url / ANTHROPIC_BASE_URL to where requests should go, and leave @effect/ai-anthropic's apiUrl " +
            "unset or equal to it)"
        })
      })
    )
  let url: URL
  try {
    url = new URL(request.url)
  } catch {
    return refused(`the request's URL ${JSON.stringify(request.url)} is not absolute`)
  }
  if (underBase(url, base)) return Effect.succeed(request)
  if (underBase(url, defaultApi)) {
    const rest = url.pathname.slice(defaultApi.path.length)
    return Effect.succeed(HttpClientRequest.setUrl(request, `${base.text}${rest}${url.search}${url.hash}`))
  }
  return refused(`the request is addressed to ${url.origin}, which the configuration does not name`)
}

/**
 * A `transformClient` for `@effect/ai-anthropic`'s `AnthropicClient.layer` / `make` (its exact type:
 * `(client: HttpClient) => HttpClient`), over these credentials and, optionally, a rate limiter.
 *
 * `baseUrl` is where requests may go (the configuration's `base_url`; {@link make} passes it): a request addressed to
 * `@effect/ai-anthropic`'s default `https://api.anthropic.com` is sent there instead, and one addressed anywhere
 * else fails with an `HttpClientError` (`InvalidUrlError`) before any credential is added. Without `baseUrl`, the credential
 * goes to `https://api.anthropic.com` only.
 *
 * @since 0.2.0
 * @category constructors
 */
export const transformClient = (
  credentials: Credentials["Service"],
  options: {
    readonly rateLimiter?: RateLimiter.RateLimiter["Service"] | undefined
    readonly baseUrl?: string | undefined
  } = {}
) =>
(client: HttpClient.HttpClient): HttpClient.HttpClient => {
  const base = baseOf(options.baseUrl ?? AnthropicConfig.DEFAULT_BASE_URL)
  // The last credential sent; a refused answer marks it stale only if its request carried that one (read from the
  // request's header: the client under this one may answer with a copy of the request). A refusal of an older
  // credential needs nothing: a newer one is already in use.
  let last: AuthHeaders | undefined
  const carried = (request: HttpClientRequest.HttpClientRequest): AuthHeaders | undefined =>
    last !== undefined && request.headers[last.header] === Redacted.value(last.value) ? last : undefined
  const authorize = options.rateLimiter === undefined
    ? credentials.authorize
    : Effect.andThen(options.rateLimiter.take, credentials.authorize)
  return client.pipe(
    HttpClient.mapRequestEffect((addressed) => Effect.flatMap(routed(addressed, base), (request) =>
      Effect.matchEffect(authorize, {
        onFailure: (error) =>
          Effect.fail(
            new HttpClientError.HttpClientError({
              reason: new HttpClientError.TransportError({ request, cause: error, description: error.message })
            })
          ),
        onSuccess: (auth) => {
          const betas = mergeBetas(auth.betas, request.headers["anthropic-beta"] === undefined ? [] : [request.headers["anthropic-beta"]])
          // Any other auth header goes: only this credential is sent.
          let authorized = HttpClientRequest.removeHeader(HttpClientRequest.removeHeader(request, "x-api-key"), "authorization")
          authorized = HttpClientRequest.setHeader(authorized, auth.header, Redacted.value(auth.value))
          if (betas !== "") authorized = HttpClientRequest.setHeader(authorized, "anthropic-beta", betas)
          last = auth
          return Effect.succeed(authorized)
        }
      }))
    ),
    HttpClient.tap((response) => {
      const auth = carried(response.request)
      return auth !== undefined && (response.status === 401 || response.status === 403)
        ? credentials.markStale(auth)
        : Effect.void
    })
  )
}

/**
 * {@link transformClient} over the `Credentials` and `RateLimiter` in context (the stack's own, from any of
 * `AnthropicClient`'s layers), sending requests to the configured `base_url` (the `AnthropicConfig` in context; with
 * none, `https://api.anthropic.com`).
 *
 * @since 0.2.0
 * @category constructors
 */
export const make: Effect.Effect<
  (client: HttpClient.HttpClient) => HttpClient.HttpClient,
  never,
  Credentials | RateLimiter.RateLimiter
> = Effect.map(
  Effect.all([Credentials, RateLimiter.RateLimiter, Effect.serviceOption(AnthropicConfig.AnthropicConfig)]),
  ([credentials, rateLimiter, settings]) =>
    transformClient(credentials, {
      rateLimiter,
      baseUrl: Option.getOrUndefined(Option.map(settings, (s) => s.baseUrl))
    })
)
