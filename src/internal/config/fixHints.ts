/**
 * The fix an `AnthropicConfigError` proposes for a refused value, chosen by the key's path in the file (a value from a
 * `Config` is looked up by the file key it stands for), and the error itself for a failed decode.
 */
import type * as Schema from "effect/Schema"
import { AnthropicConfigError } from "../errors.js"
import { SETUP_TOKEN_FIX } from "../tokens.js"
import { DEFAULT_AUTHORIZE_URL, DEFAULT_CLIENT_ID, DEFAULT_MAX_WAIT_MS } from "./defaults.js"
import { decodeProblem, formatPath } from "./describeValue.js"
import {
  MAX_CONCURRENT,
  MAX_MILLISECONDS,
  MAX_REQUESTS_PER_SECOND,
  MAX_RETRIES,
  MIN_REQUESTS_PER_SECOND
} from "./schema.js"

/** Where credentials go instead of a URL. */
const NOT_IN_URLS = "credentials belong in api_key / ANTHROPIC_API_KEY or the auth files, never in a URL"

/** The first pattern that matches the key's path gives the fix: the more specific patterns come first. */
const FIXES: ReadonlyArray<readonly [RegExp, string]> = [
  [/auth\.mode$/, "set it to one of auto, static, setup_token, oauth_bundle, cli_credentials (or leave it out for auto)"],
  [/auth\.setup_token$/, SETUP_TOKEN_FIX],
  [/^providers\.anthropic\.api_key$/, "put the key alone (sk-ant-api03-…, one line, no spaces or quotes) in api_key or ANTHROPIC_API_KEY"],
  [/anthropic_version$/, "write the version alone, e.g. 2023-06-01 (or leave it out for the default)"],
  [/client_id$/, `write the OAuth client id alone, e.g. ${DEFAULT_CLIENT_ID} (or leave it out for the default)`],
  [
    /requests_per_second$/,
    `write a number from ${MIN_REQUESTS_PER_SECOND} to ${MAX_REQUESTS_PER_SECOND} such as 2 or 0.5, ` +
    "or remove rate_limit for no limit"
  ],
  [/max_retries$/, `write a whole number from 0 to ${MAX_RETRIES} (default 2)`],
  [/max_retry_after_ms$/, `write a whole number of milliseconds from 0 to ${MAX_MILLISECONDS} (default 60000)`],
  [/max_wait_ms$/, `write a whole number of milliseconds from 0 to ${MAX_MILLISECONDS} (default ${DEFAULT_MAX_WAIT_MS})`],
  [/max_concurrent$/, `write a whole number from 1 to ${MAX_CONCURRENT}, or leave it out for no cap`],
  [/_ms$/, `write a whole number of milliseconds from 1 to ${MAX_MILLISECONDS}`],
  [/per_minute$/, "write a whole number, e.g. 50 (requests) or 40000 (tokens), or leave the key out for no limit"],
  [/rate_limit\.adaptive$/, "write true (the API's headers adjust the limits, the default) or false"],
  [/rate_limit\.store$/, "write memory (one process, the default) or redis (shared, with redis_url)"],
  [/redis_url$/, "write the Redis server's URL, e.g. redis://127.0.0.1:6379/0 (rediss:// for TLS; a password may go in it)"],
  [/key_prefix$/, "write a short prefix without spaces, e.g. myapp:anthropic: (the default is effect-anthropic:ratelimit:)"],
  [/base_url$/, `write a full URL alone, such as https://api.anthropic.com (here or in ANTHROPIC_BASE_URL); ${NOT_IN_URLS}`],
  [/token_url$/, `write the token endpoint's full URL alone, such as https://platform.claude.com/v1/oauth/token; ${NOT_IN_URLS}`],
  [/_url$/, `write a full URL such as ${DEFAULT_AUTHORIZE_URL}, without user:password@; ${NOT_IN_URLS}`],
  [/^model\.provider$/, "set model.provider to anthropic (other providers are served by other clients)"],
  [/^model\.model$/, "name a model, e.g. claude-haiku-4-5"],
  [/betas/, "write a list of strings, each one beta name, e.g. [prompt-caching-2024-07-31]"],
  [/auth\.scopes/, "write the scopes as one string (\"user:profile user:inference\") or a list of strings"]
]

/** The fix for `problem` at the file key `keyPath` (`providers.anthropic.timeout_ms`). */
export const fixFor = (keyPath: string, problem: string): string => {
  if (problem.startsWith("is unexpected")) {
    return "remove the key or correct its spelling; docs/configuration.md lists every key"
  }
  for (const [pattern, fix] of FIXES) if (pattern.test(keyPath)) return fix
  return "correct the value; docs/configuration.md lists every key with its type"
}

/**
 * One AnthropicConfigError for a failed decode of `input` (found at `prefix` in the file): the key, the problem, the
 * fix. The value is shown where `shownAt` allows it for the file key (`providers.anthropic.base_url`), else described.
 */
export const toConfigError = (
  error: Schema.SchemaError,
  input: unknown,
  file: string,
  prefix: ReadonlyArray<PropertyKey>,
  shownAt: (keyPath: string) => boolean = () => false
): AnthropicConfigError => {
  const { path: at, problem } = decodeProblem(error, input, (path) => shownAt(formatPath([...prefix, ...path])))
  const keyPath = formatPath([...prefix, ...at])
  return new AnthropicConfigError({
    file,
    path: keyPath === "" ? undefined : keyPath,
    problem,
    fix: fixFor(keyPath, problem)
  })
}
