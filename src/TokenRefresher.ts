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
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Result from "effect/Result"
import type * as Scope from "effect/Scope"
import * as Semaphore from "effect/Semaphore"
import { LoginRequired, type RefreshFailed } from "./internal/errors.js"
import * as BackgroundSleep from "./internal/http/backgroundSleep.js"
import { withRetries } from "./internal/http/loadStack.js"
import { longestRetryDelayMs } from "./internal/http/retryBounds.js"
import type { OAuthToken } from "./internal/credentials/credentialFiles.js"
import type { TokenStore } from "./internal/credentials/tokenStore.js"
import { fingerprint } from "./internal/tokens.js"
import { traceOperation } from "./internal/telemetry/genAi.js"
import * as OAuth from "./OAuth.js"

/**
 * How long before `expires_at` a token is refreshed.
 *
 * @since 0.1.0
 * @category constants
 */
export const REFRESH_BEFORE_EXPIRY = Duration.seconds(60)

/**
 * The least time between two refreshes made because of the expiry. A token whose whole lifetime falls inside the
 * 60 s window (an `expires_in` of 60 or less) would otherwise be refreshed again at once, forever; meanwhile calls
 * keep using it. A 401/403 (a stale token) is not held back by it.
 *
 * @since 0.1.0
 * @category constants
 */
export const REFRESH_FLOOR = Duration.seconds(30)

/**
 * After a failed refresh, calls within this time fail at once with the same error instead of asking the token
 * endpoint again; the first call after it tries again.
 *
 * @since 0.1.0
 * @category constants
 */
export const FAILURE_COOL_DOWN = Duration.seconds(10)

/** After a failed background refresh, wait this long before trying again (a refused token needs a person). */
const BACKGROUND_RETRY = Duration.seconds(30)
const BACKGROUND_RETRY_LOGIN = Duration.minutes(5)

/**
 * What the refresher holds, as {@link Service.snapshot} shows it (no secrets).
 *
 * @since 0.1.0
 * @category models
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
export class TokenRefresher extends Context.Service<TokenRefresher, Service>()("effect-anthropic/TokenRefresher") {}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly store: TokenStore
  /** The token as resolution read it. */
  readonly initial: OAuthToken
  readonly tokenUrl: string
  readonly clientId: string
  /** Retries of a transient refresh failure. */
  readonly maxRetries: number
  /** The longest `retry-after` of the token endpoint that is honoured. */
  readonly maxRetryAfterMs: number
  /**
   * `timeout_ms`: how long closing the refresher waits for a token request in flight to be answered and saved (the
   * endpoint may already have rotated the refresh token), and how long a refresh waits for another process's lock.
   */
  readonly timeoutMs: number
}

/**
 * The longest a refresh can hold the credential file's lock: every attempt's token request answered within
 * `timeout_ms`, and between attempts the longest retry wait (the endpoint's `retry-after` up to
 * `max_retry_after_ms`, else the 8 s backoff). Whoever else needs the lock (a login, a logout) waits this long for
 * a refresh in progress to end.
 *
 * @since 0.2.0
 * @category utils
 */
export const longestRefreshMs = (options: Pick<Options, "timeoutMs" | "maxRetries" | "maxRetryAfterMs">): number => {
  const retries = Math.max(0, options.maxRetries)
  return (retries + 1) * options.timeoutMs + retries * longestRetryDelayMs(options.maxRetryAfterMs)
}

type RefreshError = LoginRequired | RefreshFailed

interface State {
  readonly token: OAuthToken
  readonly stale: boolean
  /** The refresh token the endpoint refused (`invalid_grant`): never sent again. */
  readonly refused: Option.Option<string>
  readonly refreshes: number
  /** Refresh attempts ended so far, however they ended: a caller that waited sees whether one ended meanwhile. */
  readonly attempts: number
  /** When the token was last replaced by a refresh (ours or another process's): the floor counts from it. */
  readonly renewedAt: Option.Option<number>
  /** How the last attempt ended, if it failed. */
  readonly failure: Option.Option<{ readonly error: RefreshError; readonly at: number }>
  /** The access token this process last read from or wrote to the file. */
  readonly lastOnDisk: Redacted.Redacted<string>
}

const same = (a: Redacted.Redacted<string>, b: Redacted.Redacted<string>) => Redacted.value(a) === Redacted.value(b)

const windowMs = Duration.toMillis(REFRESH_BEFORE_EXPIRY)
const floorMs = Duration.toMillis(REFRESH_FLOOR)
const coolDownMs = Duration.toMillis(FAILURE_COOL_DOWN)

/** Whether `token` may be sent at `now` without refreshing it first. */
const fresh = (token: OAuthToken, now: number): boolean =>
  Option.match(token.expiresAt, { onNone: () => true, onSome: (at) => now < at - windowMs })

/** Renewed less than the floor ago: the expiry alone does not call for another refresh yet. */
const withinFloor = (state: State, now: number): boolean =>
  Option.exists(state.renewedAt, (at) => now - at < floorMs)

const needsRefresh = (state: State, now: number) =>
  state.stale || (!fresh(state.token, now) && !withinFloor(state, now))

/** The held token can still be sent: not stale and not past its expiry (a refresh only failed to renew it early). */
const usable = (state: State, now: number): boolean =>
  !state.stale && Option.match(state.token.expiresAt, { onNone: () => true, onSome: (at) => now < at })

/** The failure of an attempt that ended less than the cool-down ago. */
const recentFailure = (state: State, now: number): Option.Option<RefreshError> =>
  Option.flatMap(state.failure, (f) => now - f.at < coolDownMs ? Option.some(f.error) : Option.none())

/** When the background fiber should refresh next: 60 s before expiry, never sooner than the floor allows. */
const dueAt = (state: State): number | undefined =>
  Option.match(state.token.expiresAt, {
    onNone: () => undefined,
    onSome: (at) => Math.max(at - windowMs, Option.getOrElse(Option.map(state.renewedAt, (r) => r + floorMs), () => 0))
  })

/**
 * Whether the file's token replaces the one held: it is neither that one nor the one this process last saw in the
 * file, so another process (a refresh, a login) wrote it. A file still holding what we last saw is not newer, even
 * if it differs from ours: our own save failed (a read-only mount) and its refresh token is dead.
 */
const replaces = (state: State, onDisk: OAuthToken): boolean =>
  !same(onDisk.accessToken, state.token.accessToken) && !same(onDisk.accessToken, state.lastOnDisk)

/** The refresh in flight, shared by the callers, the background fiber and closing. */
interface Flight {
  /**
   * The attempt in flight, in a fiber of its own: a caller that gives up (an abort, a timeout) stops waiting for it,
   * not the attempt, whose token request may already have rotated the refresh token.
   */
  inflight: Fiber.Fiber<void, RefreshError> | undefined
  /** A token request is out (completed once its answer is kept): closing waits for it, not for anything else. */
  requesting: Deferred.Deferred<void> | undefined
}

/** How an attempt ends: the token it leaves held, and the state the callers and the cool-down read. */
const makeOutcomes = (state: Ref.Ref<State>, store: TokenStore) => {
  /** The attempt ended with this token, refreshed by us or (`!refreshed`) read from the file. */
  const succeeded = (token: OAuthToken, refreshed: boolean) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Ref.update(state, (s) => ({
        token,
        stale: false,
        refused: Option.none(),
        refreshes: s.refreshes + (refreshed ? 1 : 0),
        attempts: s.attempts + 1,
        renewedAt: Option.some(now),
        failure: Option.none(),
        lastOnDisk: refreshed ? s.lastOnDisk : token.accessToken
      })))

  /** The attempt failed: remember the error for the callers waiting on it and for the cool-down. */
  const failed = (error: RefreshError): Effect.Effect<never, RefreshError> =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.andThen(
        Ref.update(state, (s) => ({ ...s, attempts: s.attempts + 1, failure: Option.some({ error, at: now }) })),
        Effect.fail(error)
      ))

  /** The file's token, when it replaces the one held (another process refreshed, or someone logged in). */
  const replacementOnDisk = Effect.flatMap(Effect.result(store.read), (read) =>
    Effect.map(Ref.get(state), (s) =>
      Result.isSuccess(read) && read.success._tag === "Found" && replaces(s, read.success.value)
        ? Option.some(read.success.value)
        : Option.none()))

  /**
   * Keep a refreshed token: in memory at once (the old refresh token is dead now), then in the file, unless the
   * file was replaced meanwhile by a writer that did not take the lock (a login copied in: it wins) or removed
   * (a logout: not undone).
   */
  const keep = (token: OAuthToken): Effect.Effect<void> =>
    Effect.flatMap(replacementOnDisk, (theirs) =>
      Option.isSome(theirs)
        ? Effect.andThen(
          succeeded(theirs.value, false),
          Effect.logWarning(`${store.location} was replaced during the refresh; using the token it holds`)
        )
        : Effect.andThen(
          succeeded(token, true),
          store.write(token).pipe(
            Effect.andThen(Ref.update(state, (s) => ({ ...s, lastOnDisk: token.accessToken }))),
            Effect.andThen(Effect.logDebug(
              `${store.kind}: refreshed, token ${fingerprint(Redacted.value(token.accessToken))}`
            )),
            Effect.catch((error) => Effect.logWarning(`${error.message}; the new token is kept in memory`))
          )
        ))

  return { succeeded, failed, replacementOnDisk, keep }
}

type Outcomes = ReturnType<typeof makeOutcomes>

/** One attempt, under the file lock: re-read (maybe another process refreshed), else POST and persist. */
const makeAttempt = (
  options: Options,
  state: Ref.Ref<State>,
  outcomes: Outcomes,
  flight: Flight,
  context: Context.Context<HttpClient.HttpClient>
) => {
  const { store } = options
  const { failed, keep, replacementOnDisk, succeeded } = outcomes

  /**
   * One token request and, when it succeeds, the saving of its token, as one unit that closing the refresher lets
   * finish: the endpoint rotates the refresh token as it answers, so an answer that is not kept is a lost login.
   */
  const requestAndKeep = (request: OAuth.RefreshOptions) =>
    Effect.acquireUseRelease(
      Effect.tap(Deferred.make<void>(), (done) => Effect.sync(() => void (flight.requesting = done))),
      // A span of its own when traced (under the call that found the token stale, or the scheduled refresh).
      () => traceOperation("oauth.refresh")(Effect.flatMap(OAuth.refreshOnce(request), keep)),
      (done) => Effect.andThen(Effect.sync(() => void (flight.requesting = undefined)), Deferred.succeed(done, undefined))
    )

  /** POST the refresh token (retried); on failure, a token someone else wrote meanwhile is accepted instead. */
  const post = (refreshToken: Redacted.Redacted<string>): Effect.Effect<void, RefreshError> => {
    const request: OAuth.RefreshOptions = {
      tokenUrl: options.tokenUrl,
      clientId: options.clientId,
      refreshToken,
      maxRetries: options.maxRetries,
      maxRetryAfterMs: options.maxRetryAfterMs,
      credential: store.kind,
      location: store.location
    }
    return withRetries(requestAndKeep(request), options).pipe(
      Effect.provide(context),
      Effect.mapError((error) => OAuth.refreshError(error, request)),
      Effect.catch((error) =>
        // Someone else may have rotated the token meanwhile (and so made ours invalid): take theirs.
        Effect.flatMap(replacementOnDisk, (theirs): Effect.Effect<void, RefreshError> =>
          Option.isSome(theirs)
            ? succeeded(theirs.value, false)
            : error._tag === "LoginRequired"
            ? Effect.andThen(
              Ref.update(state, (s) => ({ ...s, refused: Option.some(Redacted.value(refreshToken)) })),
              Effect.fail(error)
            )
            : Effect.fail(error))
      )
    )
  }

  return (force: boolean): Effect.Effect<void, RefreshError> =>
    store.withLock(Effect.gen(function*() {
      const theirs = yield* replacementOnDisk
      if (Option.isSome(theirs)) {
        yield* Effect.logDebug(`${store.kind}: ${store.location} holds a newer token; using it`)
        yield* succeeded(theirs.value, false)
        // Theirs may itself be inside the window: then refresh it (with its own, live refresh token).
        if (fresh(theirs.value, yield* Clock.currentTimeMillis)) return
      }
      const current = yield* Ref.get(state)
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
      yield* post(refreshToken.value)
    })).pipe(Effect.catch(failed))
}

/**
 * Closing: a token request in flight is given `timeout_ms` to be answered and kept; anything else (waiting for the
 * lock, a backoff between retries) stops at once.
 */
const closeFlight = (flight: Flight, timeoutMs: number): Effect.Effect<void> =>
  Effect.suspend(() => {
    const fiber = flight.inflight
    if (fiber === undefined) return Effect.void
    const request = flight.requesting
    const settle = request === undefined ? Effect.void : Effect.ignore(Effect.timeout(Deferred.await(request), timeoutMs))
    return Effect.andThen(settle, Fiber.interrupt(fiber))
  })

/** The scheduled refresh: sleeps until the token is due (or stale), refreshes, and on failure tries again later. */
const backgroundRefresh = (
  state: Ref.Ref<State>,
  refreshIfNeeded: (seen: State, force: boolean) => Effect.Effect<unknown, RefreshError>
): Effect.Effect<never> =>
  Effect.gen(function*() {
    const s = yield* Ref.get(state)
    const now = yield* Clock.currentTimeMillis
    const due = dueAt(s)
    if (due === undefined) {
      // Nothing to schedule; look again later in case the file gains an expiry.
      return yield* BackgroundSleep.sleep(Duration.hours(1))
    }
    if (now < due && !s.stale) return yield* BackgroundSleep.sleep(due - now)
    yield* refreshIfNeeded(s, false).pipe(
      Effect.catch((error) =>
        Effect.andThen(
          Effect.logWarning(`background token refresh: ${error.message}`),
          BackgroundSleep.sleep(error._tag === "LoginRequired" ? BACKGROUND_RETRY_LOGIN : BACKGROUND_RETRY)
        )
      )
    )
  }).pipe(Effect.forever)

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
    const state = yield* Ref.make<State>({
      token: options.initial,
      stale: false,
      refused: Option.none(),
      refreshes: 0,
      attempts: 0,
      renewedAt: Option.none(),
      failure: Option.none(),
      lastOnDisk: options.initial.accessToken
    })
    const permit = yield* Semaphore.make(1)
    const flight: Flight = { inflight: undefined, requesting: undefined }
    const attempt = makeAttempt(options, state, makeOutcomes(state, store), flight, context)
    const current = Effect.map(Ref.get(state), (s) => s.token.accessToken)

    /**
     * Single flight with a shared outcome. Under the permit, a caller joins the attempt in flight, or takes the
     * outcome of one that ended while it waited for the permit (the fresh token, or its error), or starts one; the
     * waiting happens after the permit is released.
     */
    const refreshIfNeeded = (seen: State, force: boolean): Effect.Effect<Redacted.Redacted<string>, RefreshError> =>
      Effect.flatten(permit.withPermits(1)(Effect.gen(function*() {
        if (flight.inflight !== undefined) return Effect.andThen(Fiber.join(flight.inflight), current)
        const s = yield* Ref.get(state)
        if (s.attempts !== seen.attempts) {
          return Option.match(s.failure, { onNone: () => current, onSome: (f) => Effect.fail(f.error) })
        }
        if (!force && !needsRefresh(s, yield* Clock.currentTimeMillis)) return current
        const fiber = yield* Effect.forkDetach(attempt(force))
        flight.inflight = fiber
        // Called at once if the attempt is already over: `inflight` never names a finished attempt for long.
        fiber.addObserver(() => {
          if (flight.inflight === fiber) flight.inflight = undefined
        })
        return Effect.andThen(Fiber.join(fiber), current)
      })))

    /** After a failed refresh: the held token while it still works (a refresh only renews early), else the error. */
    const orStillUsable = (error: RefreshError): Effect.Effect<Redacted.Redacted<string>, RefreshError> =>
      Effect.flatMap(Effect.all([Ref.get(state), Clock.currentTimeMillis]), ([s, now]) =>
        usable(s, now)
          ? Effect.as(Effect.logWarning(`token refresh failed, using the current token until it expires: ${error.message}`), s.token.accessToken)
          : Effect.fail(error))

    const get = Effect.gen(function*() {
      const s = yield* Ref.get(state)
      const now = yield* Clock.currentTimeMillis
      if (!needsRefresh(s, now)) return s.token.accessToken
      const recent = recentFailure(s, now)
      if (Option.isSome(recent)) return yield* (usable(s, now) ? Effect.succeed(s.token.accessToken) : Effect.fail(recent.value))
      return yield* Effect.catch(refreshIfNeeded(s, false), orStillUsable)
    })

    yield* Effect.addFinalizer(() => closeFlight(flight, options.timeoutMs))
    yield* Effect.forkScoped(backgroundRefresh(state, refreshIfNeeded))

    return {
      kind: store.kind,
      location: store.location,
      get,
      markStale: (sent) => Ref.update(state, (s) => same(s.token.accessToken, sent) ? { ...s, stale: true } : s),
      refresh: Effect.flatMap(Ref.get(state), (s) => refreshIfNeeded(s, true)),
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
  Layer.effect(TokenRefresher, make(options))
