/**
 * Credentials: which credential the client uses and the auth headers for each request.
 *
 * Modes (`auth.mode`): `static` (API key), `setup_token`, `oauth_bundle`, `cli_credentials` (the Claude Code CLI's
 * own file) and `auto`, which takes the first of: bundle file → CLI credentials → setup token → API key, and
 * otherwise fails with {@link NoCredentials} listing every source and why it was skipped.
 *
 * OAuth tokens (bundle and CLI) live in a `Ref`; a 401/403 marks the token that was sent as stale.
 *
 * @since 0.1.0
 */
import { hasFileSystem, noFileSystem } from "./internal/runtime.js"
import * as Context from "effect/Context"
import type { AuthHeaders } from "./internal/credentials/authHeaders.js"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { AnthropicConfig, type AnthropicSettings } from "./AnthropicConfig.js"
import type * as HttpClient from "effect/http/HttpClient"
import {
  AnthropicConfigError,
  type CredentialKind,
  type LoginRequired,
  NoCredentials,
  type RefreshFailed,
  type SourceReport
} from "./internal/errors.js"
import {
  type FileRead,
  type OAuthToken,
  readBundle,
  readCliCredentials,
  readSetupTokenFile
} from "./internal/credentials/credentialFiles.js"
import { bundleStore, cliStore } from "./internal/credentials/tokenStore.js"
import * as TokenRefresher from "./TokenRefresher.js"

export type { OAuthToken } from "./internal/credentials/credentialFiles.js"

/**
 * The beta flag the API requires next to an OAuth bearer token.
 *
 * @since 0.1.0
 * @category constants
 */
export const OAUTH_BETA = "oauth-2025-04-20"

export type { AuthHeaders } from "./internal/credentials/authHeaders.js"

/**
 * A credential as resolution found it.
 *
 * @since 0.1.0
 * @category models
 */
export type ResolvedCredential =
  | { readonly kind: "api_key"; readonly location: string; readonly key: Redacted.Redacted<string> }
  | { readonly kind: "setup_token"; readonly location: string; readonly token: Redacted.Redacted<string> }
  | {
    readonly kind: "oauth_bundle" | "cli_credentials"
    readonly location: string
    readonly token: OAuthToken
  }

/**
 * The outcome of resolution: the credential chosen and what every source looked like.
 *
 * @since 0.1.0
 * @category models
 */
export interface Resolution {
  readonly credential: ResolvedCredential
  readonly report: ReadonlyArray<SourceReport>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly kind: CredentialKind
  /** Where the credential came from (a path or a config key); never the secret. */
  readonly location: string
  /** What resolution saw, source by source. */
  readonly report: ReadonlyArray<SourceReport>
  /** The auth headers for the next request (an OAuth token is refreshed first when stale or expiring). */
  readonly authorize: Effect.Effect<AuthHeaders, LoginRequired | RefreshFailed>
  /**
   * Called after a 401/403. Marks the token that was sent as stale (only if it is still the current one, so a late
   * answer to an old token cannot spoil a fresh one). A no-op for API keys and setup tokens, which cannot refresh.
   */
  readonly markStale: (sent: AuthHeaders) => Effect.Effect<void>
  /** Whether the current OAuth token is marked stale. Always false for keys and setup tokens. */
  readonly isStale: Effect.Effect<boolean>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Credentials extends Context.Service<Credentials, Service>()("effect-anthropic/Credentials") {}

// ---------------------------------------------------------------------------------------------------------------
// Resolution
// ---------------------------------------------------------------------------------------------------------------

type Source = SourceReport["source"]

type Probe =
  | { readonly _tag: "Found"; readonly credential: ResolvedCredential }
  | { readonly _tag: "Skipped"; readonly reason: string }
  | { readonly _tag: "Invalid"; readonly error: AnthropicConfigError }

interface Probed {
  readonly source: Source
  readonly location: string
  readonly probe: Probe
}

const fromFile = <A>(
  read: FileRead<A>,
  missingReason: string,
  found: (value: A) => ResolvedCredential
): Probe => {
  switch (read._tag) {
    case "Missing":
      return { _tag: "Skipped", reason: missingReason }
    case "Invalid":
      return { _tag: "Invalid", error: read.error }
    case "Found":
      return { _tag: "Found", credential: found(read.value) }
  }
}

/** The bundle and the CLI file: an OAuth token read from a file. */
const probeTokenFile = (
  kind: "oauth_bundle" | "cli_credentials",
  location: string,
  read: Effect.Effect<FileRead<OAuthToken>, AnthropicConfigError>,
  missingReason: string
): Effect.Effect<Probed, AnthropicConfigError> =>
  hasFileSystem
    ? Effect.map(read, (result) => ({
      source: kind,
      location,
      probe: fromFile(result, missingReason, (token) => ({ kind, location, token }))
    }))
    : Effect.succeed({ source: kind, location, probe: { _tag: "Skipped", reason: noFileSystem } })

const probeBundle = (s: AnthropicSettings) =>
  probeTokenFile(
    "oauth_bundle",
    s.auth.bundle,
    readBundle(s.auth.bundle),
    "no bundle file (run `effect-anthropic login` to create one)"
  )

const probeCli = (s: AnthropicSettings) =>
  probeTokenFile(
    "cli_credentials",
    s.auth.cliCredentials,
    readCliCredentials(s.auth.cliCredentials),
    "no Claude Code CLI credentials file"
  )

const probeSetupToken = (s: AnthropicSettings): Effect.Effect<Probed, AnthropicConfigError> =>
  Option.match(s.auth.setupToken, {
    onSome: (token) =>
      Effect.succeed<Probed>({
        source: "setup_token",
        location: "auth.setup_token",
        probe: { _tag: "Found", credential: { kind: "setup_token", location: "auth.setup_token", token } }
      }),
    onNone: () =>
      !hasFileSystem ? Effect.succeed<Probed>({
        source: "setup_token",
        location: "auth.setup_token",
        probe: { _tag: "Skipped", reason: `auth.setup_token is empty, and there is ${noFileSystem.replace(": use", " to read a token file from: set")}` }
      }) : Effect.map(readSetupTokenFile(s.auth.setupTokenFile), (read): Probed => ({
        source: "setup_token",
        location: s.auth.setupTokenFile,
        probe: fromFile(read, "auth.setup_token is empty and there is no setup token file", (token) => ({
          kind: "setup_token",
          location: s.auth.setupTokenFile,
          token
        }))
      }))
  })

const probeApiKey = (s: AnthropicSettings): Effect.Effect<Probed> =>
  Effect.succeed({
    source: "api_key",
    location: s.apiKeyLocation,
    probe: Option.match(s.apiKey, {
      onNone: () => ({ _tag: "Skipped", reason: s.apiKeyMissing }),
      onSome: (key) => ({ _tag: "Found", credential: { kind: "api_key", location: s.apiKeyLocation, key } })
    })
  })

/** The sources each mode looks at, in order. */
const sourcesFor = (s: AnthropicSettings): ReadonlyArray<Effect.Effect<Probed, AnthropicConfigError>> => {
  switch (s.auth.mode) {
    case "auto":
      return [probeBundle(s), probeCli(s), probeSetupToken(s), probeApiKey(s)]
    case "oauth_bundle":
      return [probeBundle(s)]
    case "cli_credentials":
      return [probeCli(s)]
    case "setup_token":
      return [probeSetupToken(s)]
    case "static":
      return [probeApiKey(s)]
  }
}

/** Why a file that exists was not used: the field at fault and what is wrong with it. */
const notUsable = (error: AnthropicConfigError): string =>
  `not usable: ${error.path === undefined ? "" : `${error.path} `}${error.problem}`

/**
 * Find the credential the settings call for. Every source of the mode is looked at (so the report is complete);
 * the first one found wins. A source that exists but is malformed fails resolution with its AnthropicConfigError when it
 * comes before the winner, except the CLI file, which `auto` skips as the seed says ("if it exists and is valid").
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolve = (settings: AnthropicSettings): Effect.Effect<Resolution, AnthropicConfigError | NoCredentials> =>
  Effect.gen(function*() {
    const probed = yield* Effect.all(sourcesFor(settings))
    const lenient = settings.auth.mode === "auto"
    let chosen: ResolvedCredential | undefined
    const report: Array<SourceReport> = []
    for (const { location, probe, source } of probed) {
      const entry = { source, location }
      if (chosen !== undefined) {
        report.push({
          ...entry,
          used: false,
          reason: probe._tag === "Found"
            ? `available, but ${chosen.kind} comes first`
            : probe._tag === "Invalid"
            ? notUsable(probe.error)
            : probe.reason
        })
        continue
      }
      switch (probe._tag) {
        case "Found":
          chosen = probe.credential
          report.push({ ...entry, used: true, reason: "used" })
          break
        case "Skipped":
          report.push({ ...entry, used: false, reason: probe.reason })
          break
        case "Invalid":
          if (lenient && source === "cli_credentials") {
            report.push({ ...entry, used: false, reason: notUsable(probe.error) })
            break
          }
          return yield* probe.error
      }
    }
    if (chosen === undefined) {
      return yield* new NoCredentials({ mode: settings.auth.mode, tried: report })
    }
    return { credential: chosen, report }
  })

// ---------------------------------------------------------------------------------------------------------------
// The service
// ---------------------------------------------------------------------------------------------------------------

const bearer = (kind: CredentialKind, token: Redacted.Redacted<string>): AuthHeaders => ({
  kind,
  header: "authorization",
  value: Redacted.make(`Bearer ${Redacted.value(token)}`),
  token,
  betas: [OAUTH_BETA]
})

const fixed = (credential: ResolvedCredential, auth: AuthHeaders, report: ReadonlyArray<SourceReport>): Service => ({
  kind: credential.kind,
  location: credential.location,
  report,
  authorize: Effect.succeed(auth),
  markStale: () => Effect.void,
  isStale: Effect.succeed(false)
})

const apiKeyHeaders = (key: Redacted.Redacted<string>): AuthHeaders => ({
  kind: "api_key",
  header: "x-api-key",
  value: key,
  token: key,
  betas: []
})

/** The service over a refresher: its token, refreshed as it needs, as a bearer header. */
const refreshing = (refresher: TokenRefresher.Service, report: ReadonlyArray<SourceReport>): Service => {
  // The headers change only when the token does: build them once per token, not once per request.
  let last: AuthHeaders | undefined
  const headersFor = (token: Redacted.Redacted<string>) =>
    last !== undefined && last.token === token ? last : (last = bearer(refresher.kind, token))
  return {
    kind: refresher.kind,
    location: refresher.location,
    report,
    authorize: Effect.map(refresher.get, headersFor),
    markStale: (sent) => refresher.markStale(sent.token),
    isStale: Effect.map(refresher.snapshot, (s) => s.stale)
  }
}

/**
 * Credentials over the {@link TokenRefresher} in context: its OAuth token, refreshed as it needs, sent as a bearer
 * token. `report` is what resolution saw (by default: just this source, used).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerRefreshing = (
  report?: ReadonlyArray<SourceReport>
): Layer.Layer<Credentials, never, TokenRefresher.TokenRefresher> =>
  Layer.effect(
    Credentials,
    Effect.map(TokenRefresher.TokenRefresher, (refresher) =>
      refreshing(
        refresher,
        report ?? [{ source: refresher.kind, location: refresher.location, used: true, reason: "used" }]
      ))
  )

/**
 * The layer for a resolved credential. Tokens from the OAuth bundle or the CLI file get a {@link TokenRefresher}
 * (refresh from `auth.token_url`, persisted back to their file); keys and setup tokens are sent as they are.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerResolved = (
  { credential, report }: Resolution,
  settings: Pick<AnthropicSettings, "auth" | "maxRetries" | "maxRetryAfterMs" | "timeoutMs">
): Layer.Layer<Credentials, never, HttpClient.HttpClient> => {
  switch (credential.kind) {
    case "api_key":
      return Layer.succeed(Credentials, fixed(credential, apiKeyHeaders(credential.key), report))
    case "setup_token":
      return Layer.succeed(Credentials, fixed(credential, bearer("setup_token", credential.token), report))
    case "oauth_bundle":
    case "cli_credentials": {
      const storeOptions = { lockWaitMs: settings.timeoutMs }
      const store = credential.kind === "oauth_bundle"
        ? bundleStore(credential.location, storeOptions)
        : cliStore(credential.location, storeOptions)
      const refresher = Layer.unwrap(Effect.map(store, (store) =>
        TokenRefresher.layer({
          store,
          initial: credential.token,
          tokenUrl: settings.auth.tokenUrl,
          clientId: settings.auth.clientId,
          maxRetries: settings.maxRetries,
          maxRetryAfterMs: settings.maxRetryAfterMs,
          timeoutMs: settings.timeoutMs
        })))
      return layerRefreshing(report).pipe(Layer.provide(refresher))
    }
  }
}

/**
 * Credentials from the configuration (`auth.mode`, files, `api_key`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Credentials, AnthropicConfigError | NoCredentials, AnthropicConfig | HttpClient.HttpClient> =
  Layer.unwrap(
    Effect.flatMap(AnthropicConfig, (settings) =>
      Effect.map(resolve(settings), (resolution) => layerResolved(resolution, settings)))
  )

/**
 * A fixed credential of any kind, without files or configuration: for tests and for programs that hold the
 * secret themselves. `layerFixed("api_key", Redacted.make("sk-ant-api03-…"))`. A token is sent as it is: nothing
 * refreshes it.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFixed = (kind: CredentialKind, secret: Redacted.Redacted<string>): Layer.Layer<Credentials> => {
  const credential: ResolvedCredential = kind === "api_key"
    ? { kind, location: "<fixed>", key: secret }
    : kind === "setup_token"
    ? { kind, location: "<fixed>", token: secret }
    : { kind, location: "<fixed>", token: { accessToken: secret, refreshToken: Option.none(), expiresAt: Option.none() } }
  const report = [{ source: kind, location: "<fixed>", used: true, reason: "used" }]
  return Layer.succeed(
    Credentials,
    fixed(credential, kind === "api_key" ? apiKeyHeaders(secret) : bearer(kind, secret), report)
  )
}
