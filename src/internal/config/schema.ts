/**
 * The schema of `config/llm.yaml` in the file's own key names, and the rule each value passes (its type, bounds and
 * form). Each rule is written once here: the file's schema is made of them, and the settings from Effect `Config`
 * values are checked by the same ones (see `fields.ts`).
 */
import * as Effect from "effect/Effect"
import * as Num from "effect/Number"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import * as SchemaTransformation from "effect/SchemaTransformation"
import { credentialTextProblem, setupTokenProblem, unsendable } from "../tokens.js"
import { describeValue, refusal, showable, showValue } from "./describeValue.js"

/**
 * The slowest `rate_limit.requests_per_second`: one request every 1,000 s.
 *
 * @category constants
 */
export const MIN_REQUESTS_PER_SECOND = 0.001
/**
 * The fastest: the limiter spaces requests at millisecond resolution, so more than 1,000/s could not be honoured.
 *
 * @category constants
 */
export const MAX_REQUESTS_PER_SECOND = 1000
/** The largest per-minute limit (`requests_per_minute`, `…_tokens_per_minute`): far above any organization's. */
export const MAX_PER_MINUTE = 1_000_000_000

/** The largest `rate_limit.max_concurrent`: far above what one host's sockets allow. */
export const MAX_CONCURRENT = 100_000

/** The most retries `retry.max_retries` allows: more would retry a failing call for hours. */
export const MAX_RETRIES = 100

// ---------------------------------------------------------------------------------------------------------------
// The file's schema, in the file's own key names
// ---------------------------------------------------------------------------------------------------------------

/**
 * Numeric text as a number: `"0.5"`, `"1e3"`, `"Infinity"`; text that is no number is refused ("must be a number").
 *
 * Not `Schema.NumberFromString`, which decodes any text (`"fast"` to `NaN`): text that is no number is refused.
 */
const NumberFromText = Schema.String.pipe(Schema.decodeTo(
  Schema.Number,
  SchemaTransformation.transformEffect({
    decode: (text: string, options) =>
      Option.match(Num.parse(text), {
        onNone: () => Effect.fail(new SchemaIssue.InvalidValue({ expected: "a number" }, text, options)),
        onSome: Effect.succeed
      }),
    encode: (n: number) => Effect.succeed(String(n))
  })
))

/** Numbers may come from `${VAR}` interpolation, which yields strings. */
const NumberLike = Schema.Union([Schema.Number, NumberFromText]).annotate({ expected: "a number" })

/**
 * The longest wait accepted: a JavaScript timer holds at most 2^31 − 1 ms (a longer delay fires at once), so a larger bound would mean none.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_MILLISECONDS = 2 ** 31 - 1

/** A whole number of milliseconds from `min` to {@link MAX_MILLISECONDS} (about 24.8 days). */
const Milliseconds = (min: number) =>
  NumberLike.check(
    Schema.isInt({ expected: "an integer" }),
    Schema.isBetween({ minimum: min, maximum: MAX_MILLISECONDS }, {
      expected: `a number between ${min} and ${MAX_MILLISECONDS}`
    })
  )

/**
 * The auth modes. `cli_credentials` pins the Claude Code CLI import (an extension of the seed's four).
 *
 * @since 0.1.0
 * @category schemas
 */
export const AuthMode = Schema.Literals(["auto", "static", "setup_token", "oauth_bundle", "cli_credentials"]).annotate(
  refusal((found) =>
    `must be one of "auto" | "static" | "setup_token" | "oauth_bundle" | "cli_credentials", not ${showValue(found)}`
  )
)

/**
 * @since 0.1.0
 * @category models
 */
export type AuthMode = typeof AuthMode.Type

/**
 * A string checked by `problem`, which says why it is refused (showing a setting's value, never a secret's: see
 * `describeValue.ts`). A value that is no string at all is told "must be a string" (or "a list of strings"), as for
 * a plain string key.
 */
const checked = (problem: (s: string) => string | undefined) => Schema.String.check(Schema.makeFilter(problem))

/** Loading trims the key and the token, so they are checked trimmed. */
const SetupTokenValue = checked((s) => s.trim() === "" ? undefined : setupTokenProblem(s.trim()))
const ApiKeyValue = checked((s) => credentialTextProblem("an API key", s.trim()))

/** Text sent as it is in a header (`anthropic_version`, each beta) or a request (`client_id`). */
const HeaderText = checked((s) => {
  const bad = unsendable(s, "text")
  return bad === undefined ? undefined : `must be printable ASCII on one line, not ${describeValue(s)} holding ${bad}`
})

/**
 * Why `text` is refused as a URL, or `undefined`. It must parse as http(s) and carry no credentials (the client would
 * not send them, and its errors show the URL); a `strict` one (an endpoint the client posts to) has no query or
 * fragment either. Whitespace and control characters are refused before parsing, which would silently drop some.
 */
const urlProblem = (text: string, strict: boolean): string | undefined => {
  if (/[\s\x00-\x1f\x7f-\x9f]/.test(text)) {
    return "must be an http(s) URL without spaces, line breaks or other control characters"
  }
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return notHttp(text, undefined)
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return notHttp(text, url.protocol)
  // The parser forgets an empty `@` (`http://@host`), so the text is read too.
  if (url.username !== "" || url.password !== "" || /^[a-z][a-z\d+.-]*:[/\\]*[^/\\?#]*@/i.test(text)) {
    return "must be an http(s) URL without a user name or password (user:password@host): the client does not send " +
      "them, and the URL shows in error messages and logs"
  }
  // `http://h?` parses to an empty search: the text is read here too.
  if (strict && (url.search !== "" || url.hash !== "" || /[?#]/.test(text))) {
    return "must be an http(s) URL without a query (?…) or fragment (#…): the URL shows in error messages and logs " +
      "(and the client adds its paths to base_url)"
  }
  return undefined
}

/**
 * A refused URL as an error shows it: up to its host and port, since a path, query or fragment may hold a token
 * (`"ftp://127.0.0.1/…"`); described when even that part holds something like a secret (a user:password@).
 */
const shownUrl = (text: string): string => {
  const head = /^(?:[a-z][a-z\d+.-]*:\/\/)?[^/?#]*/i.exec(text)![0]
  return head === text || !showable(head) ? showValue(text) : `${JSON.stringify(head).slice(0, -1)}/…"`
}

/** Why `text` is no http(s) URL, showing it and what it lacks. */
const notHttp = (text: string, protocol: string | undefined): string => {
  const why = !/^[a-z][a-z\d+.-]*:\/\//i.test(text)
    ? "it has no http:// or https:// in front"
    : protocol === undefined
    ? "it cannot be read as a URL"
    : `${protocol} is not http: or https:`
  return `must be an http(s) URL such as https://api.anthropic.com, not ${shownUrl(text)} (${why})`
}

/**
 * `rate_limit.redis_url`: `redis://` or `rediss://` (TLS), with a password if the server needs one (it is kept
 * `Redacted`, never shown; errors name the host only).
 */
const RedisUrl = checked((s) => {
  if (/[\s\x00-\x1f\x7f-\x9f]/.test(s)) return "must be a redis:// or rediss:// URL without spaces or control characters"
  let url: URL
  try {
    url = new URL(s)
  } catch {
    return `must be a URL such as redis://127.0.0.1:6379/0, not ${describeValue(s)}`
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    return "must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379/0"
  }
  if (url.hostname === "") return "must name a host, as in redis://127.0.0.1:6379"
  if (url.pathname !== "" && url.pathname !== "/" && !/^\/\d{1,2}$/.test(url.pathname)) {
    return "may end with a database number only, as in redis://host:6379/2"
  }
  return undefined
})

/** Booleans may come from `${VAR}` interpolation as `true` / `false`. */
const BooleanLike = Schema.Union([
  Schema.Boolean,
  Schema.Literals(["true", "false"]).pipe(Schema.decodeTo(
    Schema.Boolean,
    SchemaTransformation.transform({
      decode: (s) => s === "true",
      encode: (b): "true" | "false" => (b ? "true" : "false")
    })
  ))
]).annotate(refusal((found) => `must be true or false, not ${showValue(found)}`))

/** A whole number within bounds, refused in words that show the number (never a secret: these are settings). */
const wholeNumber = (min: number, max: number) =>
  NumberLike.check(Schema.makeFilter((n: number) =>
    Number.isInteger(n) && n >= min && n <= max
      ? undefined
      : `must be a whole number from ${min} to ${max}, not ${showValue(n)}`
  ))

/** A per-minute limit: a whole number from 1. */
const PerMinute = wholeNumber(1, MAX_PER_MINUTE)

/** The limits one model (or every model) has per minute. */
const MinuteLimits = {
  requests_per_minute: Schema.optional(PerMinute),
  input_tokens_per_minute: Schema.optional(PerMinute),
  output_tokens_per_minute: Schema.optional(PerMinute)
}

/** `rate_limit.key_prefix`: the Redis keys' prefix, so several budgets (or applications) can share one Redis. */
const KeyPrefix = checked((s) =>
  s.length >= 1 && s.length <= 100 && /^[\x21-\x7e]+$/.test(s)
    ? undefined
    : "must be 1 to 100 printable ASCII characters without spaces, e.g. effect-anthropic:ratelimit:"
)

/**
 * The rule of each key, by the key's name in the file. The file's schema below is made of these, and the settings from
 * Effect `Config` values are checked by them (`fields.ts`): a rule is written once.
 */
export const Rules = {
  api_key: ApiKeyValue,
  /** `base_url`, `auth.token_url`: the client adds paths and its errors name the URL. */
  http_url: checked((s) => urlProblem(s, true)),
  /** `auth.authorize_url`, `auth.manual_redirect_url`: pages for a browser, where a query is the page's business. */
  page_url: checked((s) => urlProblem(s, false)),
  header_text: HeaderText,
  betas: Schema.Array(HeaderText),
  requests_per_second: NumberLike.check(Schema.makeFilter((n: number) =>
    n >= MIN_REQUESTS_PER_SECOND && n <= MAX_REQUESTS_PER_SECOND
      ? undefined
      : `must be a number from ${MIN_REQUESTS_PER_SECOND} to ${MAX_REQUESTS_PER_SECOND} ` +
        `(fractions allowed, e.g. 0.5), not ${showValue(n)}`
  )),
  per_minute: PerMinute,
  /** Per model, in place of the limits of the whole `rate_limit` for that model. */
  models: Schema.Record(Schema.String, Schema.Struct(MinuteLimits)),
  adaptive: BooleanLike,
  store: Schema.Literals(["memory", "redis"]).annotate(
    refusal((found) => `must be memory or redis, not ${showValue(found)}`)
  ),
  redis_url: RedisUrl,
  key_prefix: KeyPrefix,
  max_concurrent: wholeNumber(1, MAX_CONCURRENT),
  max_retries: wholeNumber(0, MAX_RETRIES),
  /** A wait that may be zero: `max_wait_ms`, `max_retry_after_ms`. */
  wait_ms: Milliseconds(0),
  /** A timeout, never zero: `timeout_ms`, `stream_idle_timeout_ms`. */
  timeout_ms: Milliseconds(1),
  mode: AuthMode,
  path: Schema.String,
  setup_token: SetupTokenValue,
  scopes: Schema.Union([Schema.String, Schema.Array(Schema.String)])
} as const

const AuthFile = Schema.Struct({
  mode: Schema.optional(Rules.mode),
  bundle: Schema.optional(Rules.path),
  setup_token: Schema.optional(Rules.setup_token),
  setup_token_file: Schema.optional(Rules.path),
  cli_credentials: Schema.optional(Rules.path),
  token_url: Schema.optional(Rules.http_url),
  authorize_url: Schema.optional(Rules.page_url),
  manual_redirect_url: Schema.optional(Rules.page_url),
  client_id: Schema.optional(Rules.header_text),
  scopes: Schema.optional(Rules.scopes)
})

/**
 * The `providers.anthropic` section as written in the file.
 *
 * @since 0.1.0
 * @category schemas
 */
export const AnthropicProviderFile = Schema.Struct({
  api_key: Schema.optional(Rules.api_key),
  base_url: Schema.optional(Rules.http_url),
  anthropic_version: Schema.optional(Rules.header_text),
  betas: Schema.optional(Rules.betas),
  rate_limit: Schema.optional(Schema.Struct({
    requests_per_second: Schema.optional(Rules.requests_per_second),
    ...MinuteLimits,
    models: Schema.optional(Rules.models),
    adaptive: Schema.optional(Rules.adaptive),
    store: Schema.optional(Rules.store),
    redis_url: Schema.optional(Rules.redis_url),
    key_prefix: Schema.optional(Rules.key_prefix),
    max_wait_ms: Schema.optional(Rules.wait_ms),
    max_concurrent: Schema.optional(Rules.max_concurrent)
  })),
  retry: Schema.optional(Schema.Struct({
    max_retries: Schema.optional(Rules.max_retries),
    max_retry_after_ms: Schema.optional(Rules.wait_ms)
  })),
  timeout_ms: Schema.optional(Rules.timeout_ms),
  stream_idle_timeout_ms: Schema.optional(Rules.timeout_ms),
  auth: Schema.optional(AuthFile)
})

/**
 * The per-agent model selection: `model: {provider: anthropic, model: claude-haiku-4-5}`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ModelSelection = Schema.Struct({
  provider: Schema.Literal("anthropic").annotate(
    refusal((found) => `this client serves provider "anthropic" only, not ${showValue(found)}`)
  ),
  // Trimmed, then non-empty, each with its own words.
  model: Schema.String.check(
    Schema.isTrimmed({ expected: "a string with no leading or trailing whitespace" }),
    Schema.isNonEmpty({ expected: "a non empty string" })
  )
})

/**
 * @since 0.1.0
 * @category models
 */
export type ModelSelection = typeof ModelSelection.Type

/** The whole file: the providers (this client reads `anthropic`) and the per-agent `model:` selection. */
export const LlmFile = Schema.Struct({
  providers: Schema.Struct({
    anthropic: Schema.optional(AnthropicProviderFile)
  }),
  model: Schema.optional(ModelSelection)
})
