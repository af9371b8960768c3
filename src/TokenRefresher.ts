/**
 * The OAuth token refresher: the current token in a `Ref`, refreshes serialized behind a `Semaphore(1)`, and a fiber
 * (forked in the layer's scope) that sleeps until 60 s before `expires_at`, refreshes, persists and reschedules. Its
 * timer does not keep Node alive: a script that forgets `close()` still exits.
 *
 * - A 401/403 marks the token stale (`markStale`); the next `get` refreshes before the request is sent.
 * - Any number of concurrent callers that find the token stale or expiring cause exactly one refresh: they queue on
 *   the semaphore and, once through, find the fresh token.
 * - Across processes: the refresh runs under the credential file's lock; the file is re-read after taking it and
 *   the refresh skipped when another process already wrote a fresh token; after a failure the file is re-read once
 *   more and a valid token written by someone else accepted. Rotated tokens are written back atomically (0600).
 * - A refused refresh token (`invalid_grant`) is {@link LoginRequired}; the file is left as it was.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import { LoginRequired, type RefreshFailed } from "./Errors.js"
import * as BackgroundSleep from "./internal/backgroundSleep.js"
import type { OAuthToken } from "./internal/credentialFiles.js"
import type { TokenStore } from "./internal/tokenStore.js"
import { fingerprint } from "./internal/tokens.js"
import * as OAuth from "./OAuth.js"

/**
 * How long before `expires_at` a token is refreshed.
 *
 * @since 0.1.0
 */
export const REFRESH_BEFORE_EXPIRY = Duration.seconds(60)

/** After a failed background refresh, wait this long before trying again (a refused token needs a person). */
const BACKGROUND_RETRY = Duration.seconds(30)
const BACKGROUND_RETRY_LOGIN = Duration.minutes(5)

/**
 * What the refresher holds, as {@link Service.snapshot} shows it (no secrets).
 *
 * @since 0.1.0
 */
export interface Snapshot {
  readonly expiresAt: Option.Option<number>
  readonly stale: boolean
  readonly hasRefreshToken: boolean
  /** A short fingerprint of the access token, to tell tokens apart. */
  readonly fingerprint: string
  /** How many refreshes this process has performed. */
  readonly refreshes: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly kind: TokenStore["kind"]
  readonly location: string
  /** The access token to send now; refreshed first when stale or within 60 s of expiry. */
  readonly get: Effect.Effect<Redacted.Redacted<string>, LoginRequired | RefreshFailed>
  /** After a 401/403: marks `sent` stale if it is still the current token. */
  readonly markStale: (sent: Redacted.Redacted<string>) => Effect.Effect<void>
  /** Refresh now, whatever the expiry (single flight like every refresh). */
  readonly refresh: Effect.Effect<Redacted.Redacted<string>, LoginRequired | RefreshFailed>
  readonly snapshot: Effect.Effect<Snapshot>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class TokenRefresher extends Context.Tag("effect-anthropic/TokenRefresher")<TokenRefresher, Service>() {}

/**
 * @since 0.1.0
 */
export interface Options {
  readonly store: TokenStore
  /** The token as resolution read it. */
  readonly initial: OAuthToken
  readonly tokenUrl: string
  readonly clientId: string
  /** Retries of a transient refresh failure. */
  readonly maxRetries: number
}

interface State {
  readonly token: OAuthToken
  readonly stale: boolean
  /** The refresh token the endpoint refused (`invalid_grant`): never sent again. */
  readonly refused: Option.Option<string>
  readonly refreshes: number
}

const same = (a: Redacted.Redacted<string>, b: Redacted.Redacted<string>) => Redacted.value(a) === Redacted.value(b)

const windowMs = Duration.toMillis(REFRESH_BEFORE_EXPIRY)

/** Whether `token` may be sent at `now` without refreshing it first. */
const fresh = (token: OAuthToken, now: number): boolean =>
  Option.match(token.expiresAt, { onNone: () => true, onSome: (at) => now < at - windowMs })

const needsRefresh = (state: State, now: number) => state.stale || !fresh(state.token, now)

/**
 * Build the refresher and fork its background fiber into the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options
): Effect.Effect<Service, never, Scope.Scope | HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const { store } = options
    const context = yield* Effect.context<HttpClient.HttpClient>()
    const state = yield* Ref.make<State>({ token: options.initial, stale: false, refused: Option.none(), refreshes: 0 })
    const permit = yield* Effect.makeSemaphore(1)

    const adopt = (token: OAuthToken) =>
      Ref.update(state, (s) => ({ ...s, token, stale: false, refused: Option.none() }))

    /** The file's token, when it is a different one that may be used now (another process refreshed). */
    const newerOnDisk = (current: OAuthToken, now: number) =>
      Effect.map(Effect.either(store.read), (read) =>
        read._tag === "Right" && read.right._tag === "Found" &&
          !same(read.right.value.accessToken, current.accessToken) && fresh(read.right.value, now)
          ? Option.some(read.right.value)
          : Option.none())

    /** The refresh itself, under the file lock: re-read, maybe skip, POST, persist. */
    const refreshLocked = (force: boolean) =>
      store.withLock(Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const current = yield* Ref.get(state)
        const onDisk = yield* newerOnDisk(current.token, now)
        if (Option.isSome(onDisk)) {
          yield* Effect.logDebug(`${store.kind}: another process refreshed ${store.location}; using its token`)
          return yield* adopt(onDisk.value)
        }
        const refreshToken = current.token.refreshToken
        if (Option.isNone(refreshToken)) {
          return yield* new LoginRequired({
            credential: store.kind,
            location: store.location,
            detail: "it holds no refresh token"
          })
        }
        if (Option.contains(current.refused, Redacted.value(refreshToken.value)) && !force) {
          return yield* new LoginRequired({
            credential: store.kind,
            location: store.location,
            detail: "its refresh token was already refused (invalid_grant)"
          })
        }
        const next = yield* OAuth.refresh({
          tokenUrl: options.tokenUrl,
          clientId: options.clientId,
          refreshToken: refreshToken.value,
          maxRetries: options.maxRetries,
          credential: store.kind,
          location: store.location
        }).pipe(
          Effect.provide(context),
          Effect.map(Option.some),
          Effect.catchAll((error) =>
            // Someone else may have rotated the token meanwhile (and so made ours invalid): accept theirs.
            Effect.flatMap(Clock.currentTimeMillis, (later) => newerOnDisk(current.token, later)).pipe(
              Effect.flatMap(Option.match({
                onSome: (token) => Effect.as(adopt(token), Option.none<OAuthToken>()),
                onNone: () =>
                  Effect.zipRight(
                    error._tag === "LoginRequired"
                      ? Ref.update(state, (s) => ({ ...s, refused: Option.some(Redacted.value(refreshToken.value)) }))
                      : Effect.void,
                    Effect.fail(error)
                  )
              }))
            )
          )
        )
        if (Option.isNone(next)) return
        // The old refresh token is dead now: keep the new one in memory even if saving it fails.
        yield* Ref.update(state, (s) => ({
          token: next.value,
          stale: false,
          refused: Option.none(),
          refreshes: s.refreshes + 1
        }))
        yield* store.write(next.value).pipe(
          Effect.catchAll((error) => Effect.logWarning(error.message))
        )
        yield* Effect.logDebug(`${store.kind}: refreshed, token ${fingerprint(Redacted.value(next.value.accessToken))}`)
      }))

    /** Single flight: whoever gets the permit refreshes; the others find the fresh token when they get it. */
    const refreshIfNeeded = (seen: Redacted.Redacted<string>, force: boolean) =>
      permit.withPermits(1)(Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const s = yield* Ref.get(state)
        const changed = !same(s.token.accessToken, seen)
        if (force ? changed : !needsRefresh(s, now)) return s.token.accessToken
        yield* refreshLocked(force)
        return (yield* Ref.get(state)).token.accessToken
      }))

    const get = Effect.gen(function*() {
      const s = yield* Ref.get(state)
      if (!needsRefresh(s, yield* Clock.currentTimeMillis)) return s.token.accessToken
      return yield* refreshIfNeeded(s.token.accessToken, false)
    })

    const background: Effect.Effect<never> = Effect.gen(function*() {
      const s = yield* Ref.get(state)
      const now = yield* Clock.currentTimeMillis
      const due = Option.match(s.token.expiresAt, { onNone: () => undefined, onSome: (at) => at - windowMs })
      if (due === undefined) {
        // Nothing to schedule; look again later in case the file gains an expiry.
        return yield* BackgroundSleep.sleep(Duration.hours(1))
      }
      if (now < due && !s.stale) return yield* BackgroundSleep.sleep(due - now)
      yield* refreshIfNeeded(s.token.accessToken, false).pipe(
        Effect.catchAll((error) =>
          Effect.zipRight(
            Effect.logWarning(`background token refresh: ${error.message}`),
            BackgroundSleep.sleep(error._tag === "LoginRequired" ? BACKGROUND_RETRY_LOGIN : BACKGROUND_RETRY)
          )
        )
      )
    }).pipe(Effect.forever)

    yield* Effect.forkScoped(background)

    return {
      kind: store.kind,
      location: store.location,
      get,
      markStale: (sent) => Ref.update(state, (s) => same(s.token.accessToken, sent) ? { ...s, stale: true } : s),
      refresh: Effect.flatMap(Ref.get(state), (s) => refreshIfNeeded(s.token.accessToken, true)),
      snapshot: Effect.map(Ref.get(state), (s) => ({
        expiresAt: s.token.expiresAt,
        stale: s.stale,
        hasRefreshToken: Option.isSome(s.token.refreshToken),
        fingerprint: fingerprint(Redacted.value(s.token.accessToken)),
        refreshes: s.refreshes
      }))
    }
  })

/**
 * The refresher as a layer over a token store.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<TokenRefresher, never, HttpClient.HttpClient> =>
  Layer.scoped(TokenRefresher, make(options))
