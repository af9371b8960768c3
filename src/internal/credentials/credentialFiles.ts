/**
 * Reading the three credential files: the OAuth bundle, the Claude Code CLI credentials, the setup token file.
 * Each read says whether the file is missing, present but unusable (with an AnthropicConfigError naming the field), or found.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as Builtins from "../builtins.js"
import { AnthropicConfigError } from "../errors.js"
import { decodeProblem } from "../config/describeValue.js"
import { credentialTextProblem, SETUP_TOKEN_FIX, setupTokenProblem } from "../tokens.js"

/** An OAuth access token with what is needed to refresh it. */
export interface OAuthToken {
  readonly accessToken: Redacted.Redacted<string>
  readonly refreshToken: Option.Option<Redacted.Redacted<string>>
  /** Epoch milliseconds; `None` when the source did not say. */
  readonly expiresAt: Option.Option<number>
}

export type FileRead<A> =
  | { readonly _tag: "Missing" }
  | { readonly _tag: "Invalid"; readonly error: AnthropicConfigError }
  | { readonly _tag: "Found"; readonly value: A }

const missing: FileRead<never> = { _tag: "Missing" }
const invalid = (error: AnthropicConfigError): FileRead<never> => ({ _tag: "Invalid", error })
const found = <A>(value: A): FileRead<A> => ({ _tag: "Found", value })

/** The file's text, or None when it does not exist. Other I/O failures are reported against the file. */
export const readText = (file: string): Effect.Effect<Option.Option<string>, AnthropicConfigError> =>
  Effect.tryPromise({
    try: () => Builtins.fs().promises.readFile(file, "utf8").then(Option.some),
    catch: (cause) => cause as NodeJS.ErrnoException
  }).pipe(
    Effect.catch((cause) =>
      cause.code === "ENOENT" || cause.code === "ENOTDIR"
        ? Effect.succeed(Option.none<string>())
        : Effect.fail(
          new AnthropicConfigError({
            file,
            problem: `the file cannot be read (${cause.code ?? "I/O error"})`,
            fix: "check that the path is a readable file (and its permissions)"
          })
        )
    )
  )

const parseJson = (text: string, file: string, fix: string): Result.Result<unknown, AnthropicConfigError> =>
  Result.try({
    try: () => JSON.parse(text) as unknown,
    catch: () => new AnthropicConfigError({ file, problem: "the file is not valid JSON", fix })
  })

/** Read a JSON credential file through `schema`, then shape what it holds with `toValue`. */
const readJsonFile = <A, B>(
  file: string,
  schema: Schema.Decoder<A>,
  fix: string,
  toValue: (decoded: A) => B
): Effect.Effect<FileRead<B>, AnthropicConfigError> =>
  Effect.map(readText(file), (text) => {
    if (Option.isNone(text)) return missing
    const decoded = parseJson(text.value, file, fix).pipe(Result.flatMap((json) => decodeWith(schema, json, file, fix)))
    return Result.isFailure(decoded) ? invalid(decoded.failure) : found(toValue(decoded.success))
  })

const decodeWith = <A>(schema: Schema.Decoder<A>, input: unknown, file: string, fix: string) =>
  Schema.decodeUnknownResult(schema)(input, { errors: "first" }).pipe(
    Result.mapError((error) => {
      // Described, never quoted: a token pasted into the wrong field must not come back in the error.
      const { path, problem } = decodeProblem(error, input)
      return new AnthropicConfigError({ file, path: path.length === 0 ? undefined : path.join("."), problem, fix })
    })
  )

/**
 * Expiry instants are believed from the epoch to the year 3000: outside that a value is a corrupted file or a
 * mistake and, past ±8.64e15 ms, not even a JavaScript `Date` (which `status` and the refresher format). The epoch,
 * not a recent year, is the lower bound because a clock under test (`TestClock`) starts there.
 */
const LATEST_EXPIRY = Date.UTC(3000, 0, 1)
const EXPIRY_RANGE = "a date from 1970-01-01 up to 3000-01-01"

const plausibleExpiry = (ms: number): boolean => ms >= 0 && ms < LATEST_EXPIRY

/** Epoch milliseconds, as the Claude Code CLI writes them. */
const EpochMillis = Schema.Number.check(
  Schema.makeFilter(plausibleExpiry, { message: `must be ${EXPIRY_RANGE}, in epoch milliseconds` })
)

/** ISO 8601 text or epoch milliseconds. */
const Instant = Schema.Union([
  EpochMillis,
  Schema.String.check(
    Schema.makeFilter((s: string) => plausibleExpiry(Date.parse(s)), {
      message: `must be ${EXPIRY_RANGE} as ISO 8601 text (2026-05-01T12:00:00.000Z) or epoch milliseconds`
    })
  )
])
const toMillis = (instant: number | string): number => typeof instant === "number" ? instant : Date.parse(instant)

/** An access token, sent as `Authorization: Bearer …`: one run of printable ASCII, or no request could carry it. */
const AccessToken = Schema.String.check(
  Schema.isNonEmpty({ expected: "a non empty string" }),
  Schema.makeFilter((s: string) => credentialTextProblem("an access token", s))
)

/** A refresh token that may be missing or empty: then there is none, and the token works until it expires. */
const RefreshToken = Schema.optional(Schema.String)

const refreshTokenOf = (token: string | undefined): Option.Option<Redacted.Redacted<string>> =>
  Option.fromNullishOr(token).pipe(Option.filter((t) => t !== ""), Option.map(Redacted.make))

/**
 * `{access_token, refresh_token, expires_at}` as the login wizard writes it. A token endpoint need not issue a refresh
 * token (RFC 6749), so `refresh_token` may be absent or empty.
 */
export const BundleFile = Schema.Struct({
  access_token: AccessToken,
  refresh_token: RefreshToken,
  expires_at: Instant
})

const BUNDLE_FIX = "run `effect-anthropic login` to write a fresh bundle, or delete the file"

export const readBundle = (file: string): Effect.Effect<FileRead<OAuthToken>, AnthropicConfigError> =>
  readJsonFile(file, BundleFile, BUNDLE_FIX, (bundle): OAuthToken => ({
    accessToken: Redacted.make(bundle.access_token),
    refreshToken: refreshTokenOf(bundle.refresh_token),
    expiresAt: Option.some(toMillis(bundle.expires_at))
  }))

/** The part of `~/.claude/.credentials.json` this client reads; every other key is left alone. */
export const CliCredentialsFile = Schema.Struct({
  claudeAiOauth: Schema.Struct({
    accessToken: AccessToken,
    refreshToken: RefreshToken,
    expiresAt: Schema.optional(EpochMillis)
  })
})

const CLI_FIX = "log in again with the Claude Code CLI (`claude`), or pin another auth.mode"

export const readCliCredentials = (file: string): Effect.Effect<FileRead<OAuthToken>, AnthropicConfigError> =>
  readJsonFile(file, CliCredentialsFile, CLI_FIX, ({ claudeAiOauth: oauth }): OAuthToken => ({
    accessToken: Redacted.make(oauth.accessToken),
    refreshToken: refreshTokenOf(oauth.refreshToken),
    expiresAt: Option.fromNullishOr(oauth.expiresAt)
  }))

/**
 * One setup token on one line; refused with the same rule as an inline `auth.setup_token`. A second line (a comment,
 * the token pasted twice) is refused too: it would be sent as part of the token.
 */
export const readSetupTokenFile = (file: string): Effect.Effect<FileRead<Redacted.Redacted<string>>, AnthropicConfigError> =>
  Effect.map(readText(file), (text) => {
    if (Option.isNone(text)) return missing
    const lines = text.value.split(/\r\n|\r|\n/).map((line) => line.trim()).filter((line) => line !== "")
    const token = lines[0] ?? ""
    if (lines.length > 1) {
      return invalid(new AnthropicConfigError({
        file,
        problem: `the file holds more than one line (${lines.length} lines with text)`,
        fix: "keep only the token in the file, on one line (no comments, no second copy); " + SETUP_TOKEN_FIX
      }))
    }
    const problem = token === "" ? "the file is empty" : setupTokenProblem(token)
    return problem === undefined
      ? found(Redacted.make(token))
      : invalid(new AnthropicConfigError({ file, problem, fix: SETUP_TOKEN_FIX }))
  })
