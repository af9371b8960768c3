/**
 * The credential commands: `login` (PKCE wizard), `status`, `logout`.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Redacted from "effect/Redacted"
import * as Runtime from "effect/Runtime"
import type * as Scope from "effect/Scope"
import { spawn } from "node:child_process"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import type { AnthropicSettings } from "../AnthropicConfig.js"
import * as Credentials from "../Credentials.js"
import { AnthropicConfigError, LoginFailed, type NoCredentials } from "../Errors.js"
import { bundleStore } from "../internal/tokenStore.js"
import { fingerprint } from "../internal/tokens.js"
import * as OAuth from "../OAuth.js"

// ---------------------------------------------------------------------------------------------------------------
// login
// ---------------------------------------------------------------------------------------------------------------

export interface LoginOptions {
  readonly settings: AnthropicSettings
  /** Try to open the authorize URL in a browser (`--no-browser` turns it off). */
  readonly openBrowser: boolean
  /** Lines the user pastes (`code#state`). Never completing is fine: then only the browser callback can win. */
  readonly pasted: Queue.Dequeue<string>
  /** How long to wait for either path. */
  readonly timeout?: Duration.DurationInput
  /** Opens a URL in a browser; the default tries xdg-open / open / start. */
  readonly launch?: (url: string) => Effect.Effect<void, Error>
  /** Where the wizard's lines go; the default is the console. */
  readonly print?: (line: string) => Effect.Effect<void>
}

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
    Effect.async<{ readonly server: http.Server; readonly redirectUri: string }>((resume) => {
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
        Queue.unsafeOffer(accepted, { code, state, redirectUri, via: "browser callback" })
      })
      let redirectUri = ""
      server.listen(0, "127.0.0.1", () => {
        redirectUri = `http://localhost:${(server.address() as AddressInfo).port}/callback`
        resume(Effect.succeed({ server, redirectUri }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

/** Waits for a pasted `code#state`; malformed or mismatched values are refused with a message and ignored. */
const awaitPaste = (
  pasted: Queue.Dequeue<string>,
  expectedState: string,
  redirectUri: string,
  print: (line: string) => Effect.Effect<void>
): Effect.Effect<Authorization> =>
  Effect.gen(function*() {
    while (true) {
      const line = (yield* Queue.take(pasted)).trim()
      if (line === "") continue
      const hash = line.indexOf("#")
      const code = hash < 0 ? "" : line.slice(0, hash)
      const state = hash < 0 ? "" : line.slice(hash + 1)
      if (code === "" || state === "") {
        yield* print("Refused: paste the whole value shown after signing in, in the form code#state.")
        continue
      }
      if (state !== expectedState) {
        yield* print(
          "Refused: that code belongs to another login attempt (its state does not match). Paste the code from this one."
        )
        continue
      }
      return { code, state, redirectUri, via: "pasted code" as const }
    }
  })

const launchBrowser = (url: string): Effect.Effect<void, Error> =>
  Effect.async<void, Error>((resume) => {
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

/**
 * The PKCE login: prints the authorize URLs, opens a browser, and takes whichever comes first of the loopback
 * callback and a pasted `code#state`; exchanges the code and writes the bundle (atomically, 0600).
 */
export const login = (
  options: LoginOptions
): Effect.Effect<{ readonly bundle: string; readonly expiresAt: number }, LoginFailed, Scope.Scope | HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const { auth } = options.settings
    const print = options.print ?? ((line: string) => Console.log(line))
    const pkce = OAuth.makePkce()
    const accepted = yield* Queue.unbounded<Authorization>()
    // The callback server's lines are printed on the caller's runtime (its logger, its console).
    const runFork = Runtime.runFork(yield* Effect.runtime<never>())
    const { redirectUri } = yield* callbackServer(pkce.state, accepted, (line) => runFork(print(line)))
    const urlFor = (redirect: string) =>
      OAuth.authorizeUrl({
        authorizeUrl: auth.authorizeUrl,
        clientId: auth.clientId,
        redirectUri: redirect,
        scopes: auth.scopes,
        pkce
      })
    const browserUrl = urlFor(redirectUri)
    yield* print(`Sign in to Anthropic in a browser:\n\n  ${browserUrl}\n`)
    yield* print(
      `No browser on this machine? Open this URL anywhere, sign in, and paste the code#state it shows here:\n\n  ${
        urlFor(auth.manualRedirectUrl)
      }\n`
    )
    if (options.openBrowser) {
      yield* (options.launch ?? launchBrowser)(browserUrl).pipe(
        Effect.catchAll((error) => print(`(Could not open a browser: ${error.message}. Open the URL yourself.)`))
      )
    }
    yield* print(`Waiting for the browser callback on ${redirectUri}, or a pasted code…`)
    const authorization = yield* Effect.raceFirst(
      Queue.take(accepted),
      awaitPaste(options.pasted, pkce.state, auth.manualRedirectUrl, print)
    ).pipe(
      Effect.timeoutFail({
        duration: options.timeout ?? Duration.minutes(10),
        onTimeout: () => new LoginFailed({ detail: "no browser callback or pasted code arrived in time" })
      })
    )
    yield* print(`Authorized (${authorization.via}); exchanging the code…`)
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
    // Under the refresher's lock: a refresh that began before the login cannot write its token over the new one.
    const store = yield* bundleStore(auth.bundle, { lockWaitMs: options.settings.timeoutMs })
    yield* store.withLock(store.create(token)).pipe(
      Effect.mapError((error) => new LoginFailed({ detail: `could not write ${auth.bundle}: ${error.detail}` }))
    )
    const expiresAt = Option.getOrElse(token.expiresAt, () => 0)
    yield* print(`Saved the OAuth bundle to ${auth.bundle} (mode 0600); the access token expires ${new Date(expiresAt).toISOString()}.`)
    return { bundle: auth.bundle, expiresAt }
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

/** Which credential `auth.mode` picks and why each other source was skipped; expiry; never a secret. */
export const status = (settings: AnthropicSettings): Effect.Effect<boolean, AnthropicConfigError> =>
  Effect.gen(function*() {
    yield* Console.log(`Configuration: ${settings.source} (auth.mode: ${settings.auth.mode})`)
    const resolved = yield* Effect.either(Credentials.resolve(settings))
    const report = resolved._tag === "Right" ? resolved.right.report : (resolved.left as NoCredentials).tried
    if (resolved._tag === "Left" && resolved.left._tag === "AnthropicConfigError") return yield* resolved.left
    for (const r of report) {
      yield* Console.log(`  ${r.used ? "✓" : "·"} ${r.source.padEnd(15)} ${r.location}\n      ${r.reason}`)
    }
    if (resolved._tag === "Left") {
      yield* Console.log("\nNo usable credential: run `effect-anthropic login`, set ANTHROPIC_API_KEY, or add a setup token.")
      return false
    }
    const { credential } = resolved.right
    yield* Console.log(`\nIn use: ${credential.kind} from ${credential.location}`)
    const secret = credential.kind === "api_key" ? credential.key : credential.kind === "setup_token" ? credential.token : credential.token.accessToken
    yield* Console.log(`  fingerprint: ${fingerprint(Redacted.value(secret))}`)
    if (credential.kind === "oauth_bundle" || credential.kind === "cli_credentials") {
      const now = yield* Clock.currentTimeMillis
      yield* Option.match(credential.token.expiresAt, {
        onNone: () => Console.log("  expiry: unknown"),
        onSome: (at) =>
          Console.log(
            `  access token expires ${new Date(at).toISOString()} (${humanDuration(at - now)}); refreshed ${
              humanDuration(at - 60_000 - now)
            }`
          )
      })
      yield* Console.log(`  refresh token: ${Option.isSome(credential.token.refreshToken) ? "present" : "absent"}`)
    }
    return true
  })

// ---------------------------------------------------------------------------------------------------------------
// logout
// ---------------------------------------------------------------------------------------------------------------

/**
 * Removes the OAuth bundle (the file a symlink points to, and the link), under the refresher's lock: a refresh in
 * another process does not write it back.
 */
export const logout = (settings: AnthropicSettings): Effect.Effect<void, AnthropicConfigError> =>
  Effect.flatMap(bundleStore(settings.auth.bundle, { lockWaitMs: settings.timeoutMs }), (store) =>
    store.withLock(store.remove).pipe(
      Effect.mapError((error) =>
        new AnthropicConfigError({
          file: settings.auth.bundle,
          problem: `the bundle cannot be removed (${error.detail})`,
          fix: "check the file's and its directory's permissions"
        })
      ),
      Effect.flatMap((removed) =>
        Console.log(
          removed
            ? `Removed the OAuth bundle ${settings.auth.bundle}.`
            : `No OAuth bundle at ${settings.auth.bundle}; nothing to do.`
        )
      )
    ))
