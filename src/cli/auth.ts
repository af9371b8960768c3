/**
 * The credential commands: `login` (PKCE wizard), `status` (credentials and rate limits), `logout`. What they print
 * is escaped for the terminal (see `terminalText`): a Redis's error, a path from the environment, a server's answer
 * quoted in a message.
 */
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Filter from "effect/Filter"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { identity } from "effect/Function"
import type * as HttpClient from "effect/http/HttpClient"
import { spawn } from "node:child_process"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as readline from "node:readline"
import { type AnthropicSettings, DEFAULT_MAX_WAIT_MS, type MinuteLimits } from "../AnthropicConfig.js"
import * as Credentials from "../Credentials.js"
import { AnthropicConfigError, LoginFailed, type NoCredentials } from "../internal/errors.js"
import * as RedisStore from "../internal/rateLimiter/redisStore.js"
import { bundleStore, LOCK_STALE_MS } from "../internal/credentials/tokenStore.js"
import { fingerprint } from "../internal/tokens.js"
import * as OAuth from "../OAuth.js"
import * as RateLimiter from "../RateLimiter.js"
import * as TokenRefresher from "../TokenRefresher.js"
import { escapeControls } from "./terminalText.js"

// ---------------------------------------------------------------------------------------------------------------
// login
// ---------------------------------------------------------------------------------------------------------------

/**
 * How long a login or logout waits for the bundle's lock: a refresh in progress (in this or another process) holds
 * it for at most {@link TokenRefresher.longestRefreshMs}, and a holder that died leaves a lock that is broken once
 * stale. Waiting any less could throw away a finished sign-in because a refresh had a slow endpoint.
 */
const lockWaitMs = (settings: AnthropicSettings): number => TokenRefresher.longestRefreshMs(settings) + LOCK_STALE_MS

const waitingForRefresh = (settings: AnthropicSettings) =>
  `${settings.auth.bundle} is locked, most likely by a token refresh in progress (here or in another process); ` +
  `waiting for it to finish (at most ${Math.ceil(lockWaitMs(settings) / 1000)} s)…`

export interface LoginOptions {
  readonly settings: AnthropicSettings
  /** Try to open the authorize URL in a browser (`--no-browser` turns it off). */
  readonly openBrowser: boolean
  /**
   * The paste path only (`--no-browser`): no loopback listener and no browser; one URL is printed, whose redirect (the
   * hosted `auth.manual_redirect_url`) shows the `code#state` to paste; the end of `pasted` before a code ends the
   * login with `LoginFailed`.
   */
  readonly pasteOnly?: boolean | undefined
  /**
   * Lines the user pastes (`code#state`); the stream ends when stdin does. Without `pasteOnly`, its end (or it never
   * giving anything) leaves the browser callback to win.
   */
  readonly pasted: Stream.Stream<string>
  /** How long to wait for either path. */
  readonly timeout?: Duration.Input
  /** Opens a URL in a browser; the default tries xdg-open / open / start. */
  readonly launch?: (url: string) => Effect.Effect<void, Error>
  /** Where the wizard's lines go; the default is the console. */
  readonly print?: (line: string) => Effect.Effect<void>
}

/**
 * The lines typed on stdin, for the paste path of `login`: the stream ends with stdin (Ctrl-D, a closed pipe); the
 * reader is closed when the stream is no longer read.
 */
export const stdinLines: Stream.Stream<string> = Stream.callback<string>((lines) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const reader = readline.createInterface({ input: process.stdin, terminal: false })
      reader.on("line", (line) => void Queue.offerUnsafe(lines, line))
      reader.once("close", () => void Queue.endUnsafe(lines))
      return reader
    }),
    (reader) => Effect.sync(() => reader.close())
  )
)

interface Authorization {
  readonly code: string
  readonly state: string
  readonly redirectUri: string
  readonly via: "browser callback" | "pasted code"
}

const page = (title: string, text: string) =>
  `<!doctype html><meta charset="utf-8"><title>${title}</title><body style="font-family:sans-serif"><h1>${title}</h1><p>${text}</p></body>`

/** The loopback callback server on 127.0.0.1 (port 0); authorizations it accepts land in the queue. */
const callbackServer = (expectedState: string, accepted: Queue.Queue<Authorization>, log: (line: string) => void) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly server: http.Server; readonly redirectUri: string }>((resume) => {
      const server = http.createServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://localhost")
        if (url.pathname !== "/callback") {
          res.writeHead(404, { "content-type": "text/plain" }).end("not found")
          return
        }
        const code = url.searchParams.get("code")
        const state = url.searchParams.get("state")
        if (code === null || code === "" || state !== expectedState) {
          const why = code === null || code === "" ? "it carries no code" : "its state does not match this login"
          log(`Refused a browser callback: ${why}.`)
          res.writeHead(400, { "content-type": "text/html" }).end(page("Login refused", `The callback was refused: ${why}. Start the login again.`))
          return
        }
        res.writeHead(200, { "content-type": "text/html" }).end(page("Signed in", "You can close this tab and return to the terminal."))
        Queue.offerUnsafe(accepted, { code, state, redirectUri, via: "browser callback" })
      })
      let redirectUri = ""
      server.listen(0, "127.0.0.1", () => {
        redirectUri = `http://localhost:${(server.address() as AddressInfo).port}/callback`
        resume(Effect.succeed({ server, redirectUri }))
      })
    }),
    ({ server }) =>
      Effect.callback<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

/** One pasted line as an authorization, or why it is refused (printed; the wizard waits for another). */
const checkPaste = (line: string, expectedState: string, redirectUri: string, print: (line: string) => Effect.Effect<void>) => {
  const hash = line.indexOf("#")
  const code = hash < 0 ? "" : line.slice(0, hash)
  const state = hash < 0 ? "" : line.slice(hash + 1)
  if (code === "" || state === "") {
    return Effect.as(print("Refused: paste the whole value shown after signing in, in the form code#state."), Option.none())
  }
  if (state !== expectedState) {
    return Effect.as(
      print("Refused: that code belongs to another login attempt (its state does not match). Paste the code from this one."),
      Option.none()
    )
  }
  return Effect.succeed(Option.some<Authorization>({ code, state, redirectUri, via: "pasted code" }))
}

/** The first acceptable pasted `code#state` (malformed or mismatched ones refused with a message); none if the lines end first. */
const awaitPaste = (
  pasted: Stream.Stream<string>,
  expectedState: string,
  redirectUri: string,
  print: (line: string) => Effect.Effect<void>
): Effect.Effect<Option.Option<Authorization>> =>
  pasted.pipe(
    Stream.map((line) => line.trim()),
    Stream.filter((line) => line !== ""),
    Stream.mapEffect((line) => checkPaste(line, expectedState, redirectUri, print)),
    Stream.filterMap(Filter.fromPredicateOption(identity)),
    Stream.runHead
  )

const launchBrowser = (url: string): Effect.Effect<void, Error> =>
  Effect.callback<void, Error>((resume) => {
    const [command, args] = process.platform === "darwin"
      ? ["open", [url]]
      : process.platform === "win32"
      ? ["cmd", ["/c", "start", "", url]]
      : ["xdg-open", [url]]
    const child = spawn(command, args as Array<string>, { detached: true, stdio: "ignore" })
    child.once("error", (error) => resume(Effect.fail(error)))
    child.once("spawn", () => {
      child.unref()
      resume(Effect.void)
    })
  })

/** What both ways of signing in share: the options, the PKCE pair, the authorize URL for a redirect, the printer. */
interface Wizard {
  readonly options: LoginOptions
  readonly pkce: OAuth.Pkce
  readonly urlFor: (redirectUri: string) => string
  readonly print: (line: string) => Effect.Effect<void>
}

/** `--no-browser`: one URL, whose redirect shows the code to paste; no listener. The end of stdin ends the login. */
const pastedAuthorization = ({ options, pkce, print, urlFor }: Wizard): Effect.Effect<Authorization, LoginFailed> =>
  Effect.gen(function*() {
    const { manualRedirectUrl } = options.settings.auth
    yield* print(
      `Open this URL in a browser on any machine, sign in, and paste the code#state it shows here:\n\n  ${urlFor(manualRedirectUrl)}\n`
    )
    yield* print("Waiting for a pasted code…")
    const pasted = yield* awaitPaste(options.pasted, pkce.state, manualRedirectUrl, print)
    return yield* Option.match(pasted, {
      onSome: Effect.succeed,
      onNone: () =>
        new LoginFailed({
          detail: "stdin ended before a code was pasted; run the login in a terminal and paste the code#state shown " +
            "after signing in"
        })
    })
  })

/** The browser callback on a loopback listener, or a pasted code, whichever comes first; the browser opened if asked. */
const browserAuthorization = ({ options, pkce, print, urlFor }: Wizard): Effect.Effect<Authorization, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { manualRedirectUrl } = options.settings.auth
    const accepted = yield* Queue.unbounded<Authorization>()
    // The callback server's lines are printed on the caller's runtime (its logger, its console).
    const runFork = Effect.runForkWith(yield* Effect.context<never>())
    const { redirectUri } = yield* callbackServer(pkce.state, accepted, (line) => runFork(print(line)))
    const browserUrl = urlFor(redirectUri)
    yield* print(`Sign in to Anthropic in a browser:\n\n  ${browserUrl}\n`)
    yield* print(
      `No browser on this machine? Open this URL anywhere, sign in, and paste the code#state it shows here:\n\n  ${
        urlFor(manualRedirectUrl)
      }\n`
    )
    if (options.openBrowser) {
      yield* (options.launch ?? launchBrowser)(browserUrl).pipe(
        Effect.catch((error) => print(`(Could not open a browser: ${error.message}. Open the URL yourself.)`))
      )
    }
    yield* print(`Waiting for the browser callback on ${redirectUri}, or a pasted code…`)
    // Without more lines on stdin, only the browser callback can win.
    const pasted = awaitPaste(options.pasted, pkce.state, manualRedirectUrl, print).pipe(
      Effect.flatMap(Option.match({ onSome: Effect.succeed, onNone: () => Effect.never }))
    )
    return yield* Effect.raceFirst(Queue.take(accepted), pasted)
  })

/** Exchanges the code and writes the bundle under the refresher's lock. */
const saveToken = ({ options, pkce, print }: Wizard, authorization: Authorization) =>
  Effect.gen(function*() {
    const { auth } = options.settings
    const token = yield* OAuth.exchangeCode({
      tokenUrl: auth.tokenUrl,
      clientId: auth.clientId,
      code: authorization.code,
      state: authorization.state,
      redirectUri: authorization.redirectUri,
      verifier: pkce.verifier,
      maxRetries: options.settings.maxRetries,
      maxRetryAfterMs: options.settings.maxRetryAfterMs
    })
    // Under the refresher's lock: a refresh that began before the login ends first (its token is then replaced by
    // this one), and one that begins later finds this token in the file.
    const runFork = Effect.runForkWith(yield* Effect.context<never>())
    const store = yield* bundleStore(auth.bundle, {
      lockWaitMs: lockWaitMs(options.settings),
      onWait: () => runFork(print(waitingForRefresh(options.settings)))
    })
    yield* store.withLock(store.create(token)).pipe(
      Effect.mapError((error) => new LoginFailed({ detail: `could not write ${auth.bundle}: ${error.detail}` }))
    )
    const expiresAt = Option.getOrElse(token.expiresAt, () => 0)
    yield* print(`Saved the OAuth bundle to ${auth.bundle} (mode 0600); the access token expires ${new Date(expiresAt).toISOString()}.`)
    return { bundle: auth.bundle, expiresAt }
  })

/**
 * The PKCE login: prints the authorize URLs, opens a browser, and takes whichever comes first of the loopback
 * callback and a pasted `code#state` (with `pasteOnly`, a pasted one only); exchanges the code and writes the bundle
 * (atomically, 0600).
 */
export const login = (
  options: LoginOptions
): Effect.Effect<{ readonly bundle: string; readonly expiresAt: number }, LoginFailed, Scope.Scope | HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const { auth } = options.settings
    const pkce = OAuth.makePkce()
    const wizard: Wizard = {
      options,
      pkce,
      print: (line) => (options.print ?? Console.log)(escapeControls(line, "text")),
      urlFor: (redirectUri) =>
        OAuth.authorizeUrl({ authorizeUrl: auth.authorizeUrl, clientId: auth.clientId, redirectUri, scopes: auth.scopes, pkce })
    }
    const authorization = yield* (options.pasteOnly === true ? pastedAuthorization(wizard) : browserAuthorization(wizard)).pipe(
      Effect.timeoutOrElse({
        duration: options.timeout ?? Duration.minutes(10),
        orElse: () =>
          Effect.fail(
            new LoginFailed({
              detail: options.pasteOnly === true ? "no code was pasted in time" : "no browser callback or pasted code arrived in time"
            })
          )
      })
    )
    yield* wizard.print(`Authorized (${authorization.via}); exchanging the code…`)
    return yield* saveToken(wizard, authorization)
  })

// ---------------------------------------------------------------------------------------------------------------
// status
// ---------------------------------------------------------------------------------------------------------------

const humanDuration = (ms: number): string => {
  const abs = Math.abs(ms)
  const text = abs < 120_000
    ? `${Math.round(abs / 1000)} s`
    : abs < 7_200_000
    ? `${Math.round(abs / 60_000)} min`
    : abs < 172_800_000
    ? `${(abs / 3_600_000).toFixed(1)} h`
    : `${Math.round(abs / 86_400_000)} days`
  return ms >= 0 ? `in ${text}` : `${text} ago`
}

/** What `status` reports: which credential is used and why the others are not, and the rate limits. Never a secret. */
export interface StatusReport {
  readonly config: string
  readonly authMode: string
  readonly sources: ReadonlyArray<{ readonly source: string; readonly location: string; readonly used: boolean; readonly reason: string }>
  readonly inUse: {
    readonly kind: string
    readonly location: string
    readonly fingerprint: string
    /** For OAuth credentials: when the access token expires (ISO), or null when unknown. */
    readonly expiresAt?: string | null
    readonly refreshToken?: boolean
  } | null
  readonly rateLimit: {
    readonly store: "memory" | "redis"
    /** The Redis (never its password), for store redis. */
    readonly redis?: { readonly url: string; readonly keyPrefix: string; readonly reachable: boolean; readonly detail: string }
    readonly adaptive: boolean
    readonly requestsPerSecond: number | null
    readonly requestsPerMinute: number | null
    readonly inputTokensPerMinute: number | null
    readonly outputTokensPerMinute: number | null
    readonly models: Readonly<Record<string, MinuteLimits>>
    readonly maxWaitMs: number
    readonly maxConcurrent: number | null
    /** What the fleet shares in Redis now (store redis, reachable): the pause, and every budget known. */
    readonly shared?: {
      readonly pausedForMs: number
      readonly budgets: ReadonlyArray<RateLimiter.Budget>
    }
  }
}

/** The status report for these settings: credentials resolved as a call would, Redis probed (a bounded wait). */
export const statusReport = (settings: AnthropicSettings): Effect.Effect<StatusReport, AnthropicConfigError> =>
  Effect.gen(function*() {
    const resolved = yield* Effect.result(Credentials.resolve(settings))
    if (resolved._tag === "Failure" && resolved.failure._tag === "AnthropicConfigError") return yield* resolved.failure
    const report = resolved._tag === "Success" ? resolved.success.report : (resolved.failure as NoCredentials).tried
    let inUse: StatusReport["inUse"] = null
    if (resolved._tag === "Success") {
      const { credential } = resolved.success
      const secret = credential.kind === "api_key" ? credential.key : credential.kind === "setup_token" ? credential.token : credential.token.accessToken
      inUse = {
        kind: credential.kind,
        location: credential.location,
        fingerprint: fingerprint(Redacted.value(secret)),
        ...(credential.kind === "oauth_bundle" || credential.kind === "cli_credentials"
          ? {
            expiresAt: Option.match(credential.token.expiresAt, { onNone: () => null, onSome: (at) => new Date(at).toISOString() }),
            refreshToken: Option.isSome(credential.token.refreshToken)
          }
          : {})
      }
    }
    const limits = settings.rateLimit
    const redisUrl = limits.store === "redis" ? Option.getOrUndefined(limits.redisUrl) : undefined
    const redis = redisUrl === undefined ? undefined : {
      url: RedisStore.redisOptions(redisUrl).location,
      keyPrefix: limits.keyPrefix,
      ...(yield* RedisStore.probe(redisUrl))
    }
    // What the fleet shares now, read through a limiter of its own over the same Redis.
    const shared = redis?.reachable === true
      ? yield* Effect.scoped(Effect.flatMap(RateLimiter.makeWith(settings), (limiter) => limiter.snapshot)).pipe(
        Effect.map(({ budgets, pausedForMs }) => ({ pausedForMs, budgets })),
        Effect.timeout("5 seconds"),
        Effect.option,
        Effect.map(Option.getOrUndefined)
      )
      : undefined
    return {
      config: settings.source,
      authMode: settings.auth.mode,
      sources: report.map(({ location, reason, source, used }) => ({ source, location, used, reason })),
      inUse,
      rateLimit: {
        store: limits.store,
        ...(redis === undefined ? {} : { redis }),
        adaptive: limits.adaptive,
        requestsPerSecond: Option.getOrNull(settings.requestsPerSecond),
        requestsPerMinute: limits.requestsPerMinute ?? null,
        inputTokensPerMinute: limits.inputTokensPerMinute ?? null,
        outputTokensPerMinute: limits.outputTokensPerMinute ?? null,
        models: limits.models,
        maxWaitMs: limits.maxWaitMs ?? DEFAULT_MAX_WAIT_MS,
        maxConcurrent: limits.maxConcurrent ?? null,
        ...(shared === undefined ? {} : { shared })
      }
    }
  })

/** Limits as a line; absent (`undefined`, or the report's `null`) is no limit. */
const perMinute = (limits: { readonly [K in keyof MinuteLimits]: number | null | undefined }): string => {
  const parts = [
    limits.requestsPerMinute == null ? undefined : `${limits.requestsPerMinute} requests`,
    limits.inputTokensPerMinute == null ? undefined : `${limits.inputTokensPerMinute} input tokens`,
    limits.outputTokensPerMinute == null ? undefined : `${limits.outputTokensPerMinute} output tokens`
  ].filter((part) => part !== undefined)
  return parts.length === 0 ? "none" : `${parts.join(", ")} a minute`
}

/** A value from outside (a path, a reason quoting a file, a Redis's answer) as part of one line. */
const cell = (value: string) => escapeControls(value, "line")

/** The report as lines for a person. */
const statusLines = (report: StatusReport, now: number): Array<string> => {
  const lines = [`Configuration: ${cell(report.config)} (auth.mode: ${cell(report.authMode)})`]
  for (const r of report.sources) {
    lines.push(`  ${r.used ? "✓" : "·"} ${cell(r.source).padEnd(15)} ${cell(r.location)}\n      ${cell(r.reason)}`)
  }
  const { inUse } = report
  if (inUse === null) {
    lines.push("\nNo usable credential: run `effect-anthropic login`, set ANTHROPIC_API_KEY, or add a setup token.")
  } else {
    lines.push(`\nIn use: ${inUse.kind} from ${cell(inUse.location)}`, `  fingerprint: ${inUse.fingerprint}`)
    if (inUse.expiresAt === null) lines.push("  expiry: unknown")
    if (typeof inUse.expiresAt === "string") {
      const at = Date.parse(inUse.expiresAt)
      lines.push(`  access token expires ${inUse.expiresAt} (${humanDuration(at - now)}); refreshed ${humanDuration(at - 60_000 - now)}`)
    }
    if (inUse.refreshToken !== undefined) lines.push(`  refresh token: ${inUse.refreshToken ? "present" : "absent"}`)
  }
  const limits = report.rateLimit
  const { redis } = limits
  lines.push(
    "\nRate limits:",
    `  store: ${
      redis === undefined
        ? "memory (this process)"
        : `redis ${cell(redis.url)}, keys ${cell(redis.keyPrefix)}*: ${
          redis.reachable ? "reachable" : `not reachable (${cell(redis.detail)}); calls would use limits kept in each process`
        }`
    }`,
    `  requests per second: ${limits.requestsPerSecond ?? "no limit"}`,
    `  per minute: ${perMinute(limits)}`
  )
  for (const [model, own] of Object.entries(limits.models)) lines.push(`    ${cell(model)}: ${perMinute(own)}`)
  lines.push(
    `  adaptive: ${limits.adaptive ? "on (the API's anthropic-ratelimit-* headers tighten these; a 429 pauses every call)" : "off"}`,
    `  longest wait for budget: ${limits.maxWaitMs} ms; requests in flight: ${limits.maxConcurrent ?? "no cap"}`
  )
  if (limits.shared !== undefined) {
    lines.push(`  shared now: ${limits.shared.pausedForMs > 0 ? `paused for ${limits.shared.pausedForMs} ms after a 429` : "not paused"}`)
    for (const budget of limits.shared.budgets) lines.push(`    ${budgetLine(budget, now)}`)
  }
  return lines
}

/** One budget of the shared snapshot as a line: the configured, the learned and the API's word on it. */
const budgetLine = (budget: RateLimiter.Budget, now: number): string => {
  const parts = [
    budget.configured === undefined ? undefined : `configured ${budget.configured.limit}, ${Math.floor(budget.configured.available)} available`,
    budget.learned === undefined ? undefined : `the API's limit ${budget.learned.limit}, ${Math.floor(budget.learned.available)} available`,
    budget.api === undefined
      ? undefined
      : `the API said ${Math.floor(budget.api.remaining)} left${
        budget.api.resetAtMs === undefined ? "" : ` until ${humanDuration(budget.api.resetAtMs - now)}`
      }`
  ].filter((part) => part !== undefined)
  return `${cell(budget.scope === "*" ? "every model" : budget.scope)} ${budget.limit}: ${parts.join("; ")}`
}

/**
 * Prints the status report (as text, or as one JSON object with `json`); succeeds with whether a credential is
 * usable.
 */
export const status = (settings: AnthropicSettings, options: { readonly json?: boolean } = {}): Effect.Effect<boolean, AnthropicConfigError> =>
  Effect.gen(function*() {
    const report = yield* statusReport(settings)
    const now = yield* Clock.currentTimeMillis
    yield* Console.log(
      options.json === true
        ? escapeControls(JSON.stringify(report, null, 2), "json")
        : escapeControls(statusLines(report, now).join("\n"), "text")
    )
    return report.inUse !== null
  })

// ---------------------------------------------------------------------------------------------------------------
// logout
// ---------------------------------------------------------------------------------------------------------------

/**
 * Removes the OAuth bundle (the file a symlink points to, and the link), under the refresher's lock: a refresh in
 * progress ends first, and one in another process does not write it back.
 */
export const logout = (settings: AnthropicSettings): Effect.Effect<void, AnthropicConfigError> =>
  Effect.gen(function*() {
    const runFork = Effect.runForkWith(yield* Effect.context<never>())
    const store = yield* bundleStore(settings.auth.bundle, {
      lockWaitMs: lockWaitMs(settings),
      onWait: () => runFork(Console.log(escapeControls(waitingForRefresh(settings), "text")))
    })
    const removed = yield* store.withLock(store.remove).pipe(
      Effect.mapError((error) =>
        new AnthropicConfigError({
          file: settings.auth.bundle,
          problem: `the bundle cannot be removed (${error.detail})`,
          fix: "check the file's and its directory's permissions"
        })
      )
    )
    yield* Console.log(
      removed
        ? `Removed the OAuth bundle ${cell(settings.auth.bundle)}.`
        : `No OAuth bundle at ${cell(settings.auth.bundle)}; nothing to do.`
    )
  })
