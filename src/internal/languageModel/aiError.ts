/**
 * This client's tagged errors as `@effect/ai`'s `AiError`, keeping what a caller needs: the status, `retry-after`
 * and `request-id` (as response headers), the API's error body, a readable description, and the original tagged
 * error itself as the AiError's `cause` (see `AnthropicLanguageModel.apiError`).
 */
import * as AiError from "@effect/ai/AiError"
import * as Option from "effect/Option"
import type { ApiError } from "../errors.js"

/** Where the error happened, for AiError's `module` (default `AnthropicLanguageModel`) / `method`. */
export interface Site {
  readonly module?: string | undefined
  readonly method: string
  readonly url: string
}

const DEFAULT_MODULE = "AnthropicLanguageModel"

const request = (url: string): typeof AiError.HttpRequestDetails.Type => ({
  method: "POST",
  url,
  urlParams: [],
  hash: Option.none(),
  headers: {}
})

/** The original error, reachable from any AiError made here (`HttpResponseError` has no `cause` field of its own). */
const withCause = <E extends AiError.AiError>(error: E, cause: ApiError): E => {
  if ((error as { cause?: unknown }).cause !== cause) {
    Object.defineProperty(error, "cause", { value: cause, enumerable: false, configurable: true, writable: true })
  }
  return error
}

/**
 * The AiError for a failed call:
 * - an HTTP answer (`RateLimit`, `CredentialInvalid`, `ServerError`, `Other` with a status) → `HttpResponseError`
 *   (`reason: "StatusCode"`, `response.status`, `response.headers` with `request-id` / `retry-after-ms`, `body` the API's
 *   error JSON);
 * - no answer (`ConnectionError`), a stream that broke or went silent → `HttpRequestError` (`reason: "Transport"`);
 * - a request refused before sending (`InvalidRequest`) → `MalformedInput`; this client's limiter refusing to wait
 *   (`RateLimit` with `heldBy`) → `UnknownError`;
 * - an answer that is not what the API promised (`invalid_response`, a malformed stream) → `MalformedOutput`;
 * - a credential that cannot be refreshed (`LoginRequired`, `RefreshFailed`) → `UnknownError`.
 */
export const toAiError = (error: ApiError, site: Site): AiError.AiError => {
  const method = site.method
  const module = site.module ?? DEFAULT_MODULE
  switch (error._tag) {
    case "InvalidRequest":
      return withCause(new AiError.MalformedInput({ module, method, description: error.message, cause: error }), error)
    case "RateLimit":
    case "CredentialInvalid":
    case "ServerError":
    case "Other": {
      if (error._tag === "RateLimit" && error.heldBy !== undefined) {
        // This client's own limiter refused to wait (nothing was sent): no HTTP answer to describe.
        return withCause(new AiError.UnknownError({ module, method, description: error.message, cause: error }), error)
      }
      if (error.errorType === "invalid_response") {
        return withCause(new AiError.MalformedOutput({ module, method, description: error.message, cause: error }), error)
      }
      const headers: Record<string, string> = {}
      if (error.requestId !== undefined) headers["request-id"] = error.requestId
      const retryAfterMs = "retryAfterMs" in error ? error.retryAfterMs : undefined
      if (retryAfterMs !== undefined) headers["retry-after-ms"] = String(retryAfterMs)
      return withCause(
        new AiError.HttpResponseError({
          module,
          method,
          reason: "StatusCode",
          request: request(site.url),
          response: { status: error.status, headers },
          body: JSON.stringify({ type: "error", error: { type: error.errorType, message: error.apiMessage } }),
          description: error.message
        }),
        error
      )
    }
    case "ConnectionError":
      return withCause(
        new AiError.HttpRequestError({ module, method, reason: "Transport", request: request(site.url), description: error.message, cause: error }),
        error
      )
    case "StreamError":
      return withCause(
        error.reason === "malformed"
          ? new AiError.MalformedOutput({ module, method, description: error.message, cause: error })
          : new AiError.HttpRequestError({ module, method, reason: "Transport", request: request(site.url), description: error.message, cause: error }),
        error
      )
    case "LoginRequired":
    case "RefreshFailed":
      return withCause(new AiError.UnknownError({ module, method, description: error.message, cause: error }), error)
  }
}

const API_ERROR_TAGS: ReadonlySet<string> = new Set([
  "RateLimit",
  "CredentialInvalid",
  "ServerError",
  "Other",
  "ConnectionError",
  "StreamError",
  "LoginRequired",
  "RefreshFailed",
  "InvalidRequest"
])

/** The tagged error an AiError made by {@link toAiError} came from. */
export const apiErrorOf = (error: AiError.AiError): ApiError | undefined => {
  const cause = (error as { cause?: unknown }).cause
  return typeof cause === "object" && cause !== null && API_ERROR_TAGS.has((cause as { _tag?: string })._tag ?? "")
    ? cause as ApiError
    : undefined
}
