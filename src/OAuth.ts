/**
 * The OAuth protocol pieces: PKCE (S256), the authorize URL, the code exchange and the refresh request.
 *
 * Both token requests POST JSON to `auth.token_url`; transient failures (5xx, 429, connection) are retried with the
 * client's retry policy. A refused refresh token (`invalid_grant`) is {@link LoginRequired}.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { type ApiError, type CredentialKind, LoginFailed, LoginRequired, Other, RefreshFailed } from "./internal/errors.js"
import * as Builtins from "./internal/builtins.js"
import { onFirstCall } from "./internal/onFirstCall.js"
import type { RetryOptions } from "./internal/http/retry.js"
import { loadStack, withRetries } from "./internal/http/loadStack.js"
import type { OAuthToken } from "./internal/credentials/credentialFiles.js"

/**
 * A PKCE verifier with its S256 challenge, and an independent `state`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Pkce {
  readonly verifier: string
  readonly challenge: string
  readonly state: string
}

/**
 * @since 0.1.0
 * @category utils
 */
export const challengeOf = (verifier: string): string =>
  Builtins.crypto().createHash("sha256").update(verifier).digest("base64url")

/**
 * Fresh PKCE values: verifier and state are separate 32-byte random base64url strings (never the same value).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makePkce = (): Pkce => {
  const { randomBytes } = Builtins.crypto()
  const verifier = randomBytes(32).toString("base64url")
  return { verifier, challenge: challengeOf(verifier), state: randomBytes(32).toString("base64url") }
}

/**
 * The URL the user opens to authorize.
 *
 * @since 0.1.0
 * @category utils
 */
export const authorizeUrl = (options: {
  readonly authorizeUrl: string
  readonly clientId: string
  readonly redirectUri: string
  readonly scopes: ReadonlyArray<string>
  readonly pkce: Pkce
}): string => {
  const url = new URL(options.authorizeUrl)
  url.searchParams.set("code", "true")
  url.searchParams.set("client_id", options.clientId)
  url.searchParams.set("response_type", "code")
  url.searchParams.set("redirect_uri", options.redirectUri)
  url.searchParams.set("scope", options.scopes.join(" "))
  url.searchParams.set("code_challenge", options.pkce.challenge)
  url.searchParams.set("code_challenge_method", "S256")
  url.searchParams.set("state", options.pkce.state)
  return url.toString()
}

/**
 * The token endpoint's answer. Only `access_token` is required; the other fields are read leniently by
 * {@link toToken}: once the endpoint has answered, the old refresh token is dead, so an answer with a field of an
 * unexpected type must still be kept (a string `expires_in`, a list `scope`, a `null` refresh token).
 *
 * @since 0.1.0
 * @category schemas
 */
export const TokenResponse = Schema.Struct({
  access_token: Schema.NonEmptyString,
  refresh_token: Schema.optional(Schema.Unknown),
  expires_in: Schema.optional(Schema.Unknown),
  scope: Schema.optional(Schema.Unknown)
})

const decodeTokenResponse = onFirstCall(() => Schema.decodeUnknownEffect(TokenResponse))

/**
 * The longest `expires_in` believed: a year. A longer (or non-finite) one is clamped to it: refusing the answer would
 * throw away the rotated refresh token, the old one being dead already, and a 401 still marks the token stale.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_TOKEN_LIFETIME_S = 366 * 24 * 3600

/**
 * The lifetime assumed when an answer has no usable `expires_in` (absent, `null`, not a number): an hour. A token
 * that lives longer is refreshed a little early; one that lives shorter is refreshed after its first 401.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_TOKEN_LIFETIME_S = 3600

/** `expires_in` as a usable number of seconds: a number or numeric text, within 0 … {@link MAX_TOKEN_LIFETIME_S}. */
const lifetimeSeconds = (expiresIn: unknown): number => {
  const seconds = typeof expiresIn === "number"
    ? expiresIn
    : typeof expiresIn === "string" && /^\s*[-+]?\d+(\.\d+)?\s*$/.test(expiresIn)
    ? Number(expiresIn)
    : DEFAULT_TOKEN_LIFETIME_S
  return Number.isNaN(seconds) ? 0 : Math.min(Math.max(seconds, 0), MAX_TOKEN_LIFETIME_S)
}

/**
 * Turn a token response into a token, `expires_in` counted from now (the Clock's) and clamped to
 * 0 … {@link MAX_TOKEN_LIFETIME_S}, so the expiry is always a valid date.
 *
 * @since 0.1.0
 * @category utils
 */
export const toToken = (
  response: typeof TokenResponse.Type,
  nowMs: number,
  previousRefresh: Option.Option<Redacted.Redacted<string>> = Option.none()
): OAuthToken => ({
  accessToken: Redacted.make(response.access_token),
  // Refresh tokens rotate; an answer without one (or with `null`, or not a string) keeps the old.
  refreshToken: typeof response.refresh_token === "string" && response.refresh_token !== ""
    ? Option.some(Redacted.make(response.refresh_token))
    : previousRefresh,
  expiresAt: Option.some(nowMs + Math.round(lifetimeSeconds(response.expires_in) * 1000))
})

/** One POST of JSON to the token endpoint, its answer decoded; a non-2xx answer classified. */
const requestToken = (
  tokenUrl: string,
  body: Record<string, string>
): Effect.Effect<typeof TokenResponse.Type, ApiError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const { TokenEndpoint } = yield* loadStack
    const { status, text } = yield* TokenEndpoint.postJson(tokenUrl, body)
    const invalid = new Other({
      status,
      errorType: "invalid_response",
      apiMessage: "the token endpoint's answer has no access_token",
      retryable: false
    })
    const json = yield* Effect.try({ try: () => JSON.parse(text) as unknown, catch: () => invalid })
    return yield* Effect.mapError(decodeTokenResponse(json), () => invalid)
  })

/** {@link requestToken} with transient failures retried. */
const postToken = (tokenUrl: string, body: Record<string, string>, retry: RetryOptions) =>
  withRetries(requestToken(tokenUrl, body), retry)

/**
 * What a refresh needs to know.
 *
 * @since 0.1.0
 * @category models
 */
export interface RefreshOptions {
  readonly tokenUrl: string
  readonly clientId: string
  readonly refreshToken: Redacted.Redacted<string>
  readonly maxRetries: number
  /** The longest `retry-after` honoured; a 429 asking for more fails at once. */
  readonly maxRetryAfterMs: number
  readonly credential: CredentialKind
  readonly location: string
}

/**
 * One refresh request, not retried: the rotated token, or the answer's classified error. For callers that keep
 * each answer as it comes (the refresher saves a rotated token before anything can interrupt it).
 *
 * @since 0.1.0
 * @category utils
 */
export const refreshOnce = (options: RefreshOptions): Effect.Effect<OAuthToken, ApiError, HttpClient.HttpClient> =>
  Effect.flatMap(
    requestToken(options.tokenUrl, {
      grant_type: "refresh_token",
      refresh_token: Redacted.value(options.refreshToken),
      client_id: options.clientId
    }),
    (response) => Effect.map(Clock.currentTimeMillis, (now) => toToken(response, now, Option.some(options.refreshToken)))
  )

/**
 * What a failed refresh means: `invalid_grant` (or a 401) is {@link LoginRequired}, anything else
 * {@link RefreshFailed}.
 *
 * @since 0.1.0
 * @category utils
 */
export const refreshError = (error: ApiError, options: RefreshOptions): LoginRequired | RefreshFailed =>
  error._tag === "LoginRequired" || error._tag === "RefreshFailed"
    ? error
    : "errorType" in error && (error.errorType === "invalid_grant" || error.status === 401)
    ? new LoginRequired({
      credential: options.credential,
      location: options.location,
      detail: `the token endpoint refused the refresh token (${error.errorType}: ${error.apiMessage})`
    })
    : new RefreshFailed({ credential: options.credential, location: options.location, detail: error.message })

/**
 * Refresh: `{grant_type: "refresh_token", refresh_token, client_id}`, transient failures retried. Returns the
 * rotated token.
 *
 * @since 0.1.0
 * @category utils
 */
export const refresh = (options: RefreshOptions): Effect.Effect<OAuthToken, LoginRequired | RefreshFailed, HttpClient.HttpClient> =>
  Effect.mapError(withRetries(refreshOnce(options), options), (error) => refreshError(error, options))

/**
 * Exchange an authorization code: `{grant_type: "authorization_code", code, state, client_id, redirect_uri,
 * code_verifier}` (the same `redirect_uri` the authorize URL carried).
 *
 * @since 0.1.0
 * @category utils
 */
export const exchangeCode = (options: {
  readonly tokenUrl: string
  readonly clientId: string
  readonly code: string
  readonly state: string
  readonly redirectUri: string
  readonly verifier: string
  readonly maxRetries: number
  readonly maxRetryAfterMs: number
}): Effect.Effect<OAuthToken, LoginFailed, HttpClient.HttpClient> =>
  postToken(options.tokenUrl, {
    grant_type: "authorization_code",
    code: options.code,
    state: options.state,
    client_id: options.clientId,
    redirect_uri: options.redirectUri,
    code_verifier: options.verifier
  }, options).pipe(
    Effect.flatMap((response) => Effect.map(Clock.currentTimeMillis, (now) => toToken(response, now))),
    Effect.mapError((error) =>
      new LoginFailed({ detail: `the code exchange at ${options.tokenUrl} failed: ${error.message}` })
    )
  )
