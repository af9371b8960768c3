/**
 * This client's tagged errors as Effect AI's `AiError`, keeping what a caller needs: the status, `retry-after`
 * and `request-id` (as response headers), the API's error body, a readable description, and the original tagged
 * error itself as the reason's `cause` (see `AnthropicLanguageModel.apiError`).
 *
 * An `AiError` is `{ module, method, reason }` and its own `cause` is its reason, so the tagged error is
 * the reason's `cause` (a chain `AiError` → reason → tagged error) rather than the `AiError`'s.
 */
import * as AiError from "effect/ai/AiError"
import * as Duration from "effect/Duration"
import type { ApiError } from "../errors.js"
import { KEY, PEER_KEY } from "./prompt.js"

/** Where the error happened, for AiError's `module` (default `AnthropicLanguageModel`) / `method`. */
export interface Site {
  readonly module?: string | undefined
  readonly method: string
  readonly url: string
}

const DEFAULT_MODULE = "AnthropicLanguageModel"

/** The original error, reachable from the reason of any AiError made here (most reasons have no `cause` field). */
export const withCause = <R extends AiError.AiErrorReason>(reason: R, cause: unknown): R => {
  if ((reason as { cause?: unknown }).cause !== cause) {
    Object.defineProperty(reason, "cause", { value: cause, enumerable: false, configurable: true, writable: true })
  }
  return reason
}

type HttpError = Extract<ApiError, { readonly status: number }>

/** The answer as the reason's `http`: the status, `request-id` / `retry-after-ms` as headers, the API's error JSON. */
const httpOf = (error: HttpError): typeof AiError.HttpContext.Type => {
  const headers: Record<string, string> = {}
  if (error.requestId !== undefined) headers["request-id"] = error.requestId
  const retryAfterMs = "retryAfterMs" in error ? error.retryAfterMs : undefined
  if (retryAfterMs !== undefined) headers["retry-after-ms"] = String(retryAfterMs)
  return {
    response: { status: error.status, headers },
    body: JSON.stringify({ type: "error", error: { type: error.errorType, message: error.apiMessage } })
  }
}

/** The API's error type and request id, under our key and `@effect/ai-anthropic`'s (its `AnthropicErrorMetadata`). */
const metadataOf = (error: HttpError) => {
  const info = { errorType: error.errorType, requestId: error.requestId ?? null }
  return { [KEY]: info, [PEER_KEY]: info }
}

/** An HTTP answer's reason, by what it says: its tag first, then its status. */
const answerReason = (error: HttpError): AiError.AiErrorReason => {
  const http = httpOf(error)
  const metadata = metadataOf(error)
  const description = error.message
  if (error.errorType === "invalid_response") {
    // A 2xx answer that is not what the API promised.
    return new AiError.InvalidResponseError({ description, metadata, http })
  }
  switch (error._tag) {
    case "RateLimit":
      return error.spendLimitReached
        ? new AiError.QuotaExhaustedError({ metadata, http })
        : new AiError.RateLimitError({ retryAfter: Duration.millis(error.retryAfterMs), metadata, http })
    case "CredentialInvalid":
      return new AiError.AuthenticationError({
        kind: error.reason === "subscription_policy" || error.status === 403 ? "InsufficientPermissions" : "InvalidKey",
        description,
        metadata,
        http
      })
    case "ServerError":
      return new AiError.InternalProviderError({ description, metadata, http })
    case "Other":
      break
  }
  const status = error.status
  if (status === 402 || error.errorType === "billing_error") return new AiError.QuotaExhaustedError({ metadata, http })
  if (status === 400 || status === 404 || status === 413 || status === 422) {
    return new AiError.InvalidRequestError({ description, metadata, http })
  }
  if (status === 401 || status === 403) {
    return new AiError.AuthenticationError({ kind: status === 403 ? "InsufficientPermissions" : "InvalidKey", description, metadata, http })
  }
  if (status === 429) {
    return new AiError.RateLimitError({
      ...(error.retryAfterMs === undefined ? {} : { retryAfter: Duration.millis(error.retryAfterMs) }),
      metadata,
      http
    })
  }
  if (status >= 500) return new AiError.InternalProviderError({ description, metadata, http })
  return new AiError.UnknownError({ description, metadata, http })
}

/**
 * The reason for a failed call:
 * - an HTTP answer: `RateLimit` → `RateLimitError` (`retryAfter`; a reached spend limit → `QuotaExhaustedError`),
 *   `CredentialInvalid` → `AuthenticationError`, `ServerError` → `InternalProviderError`, `Other` by its status
 *   (`InvalidRequestError`, `QuotaExhaustedError` for billing, …, else `UnknownError`); each with `http` (the status,
 *   `request-id` / `retry-after-ms` as headers, the API's error JSON as `body`) and the error type and request id in
 *   its `metadata`;
 * - no answer (`ConnectionError`), a stream that broke or went silent → `NetworkError` (`TransportError`);
 * - a request refused before sending (`InvalidRequest`) → `InvalidUserInputError`; this client's limiter refusing to
 *   wait (`RateLimit` with `heldBy`: nothing was sent) → `UnknownError`;
 * - an answer that is not what the API promised (`invalid_response`, a malformed stream) → `InvalidResponseError`;
 * - a credential that cannot be refreshed: `LoginRequired` → `AuthenticationError` (`ExpiredKey`), `RefreshFailed`
 *   → `AuthenticationError` (`Unknown`).
 */
const reasonOf = (error: ApiError, url: string): AiError.AiErrorReason => {
  switch (error._tag) {
    case "InvalidRequest":
      return new AiError.InvalidUserInputError({ description: error.message })
    case "RateLimit":
    case "CredentialInvalid":
    case "ServerError":
    case "Other":
      if (error._tag === "RateLimit" && error.heldBy !== undefined) {
        // This client's own limiter refused to wait (nothing was sent): no HTTP answer to describe.
        return new AiError.UnknownError({ description: error.message })
      }
      return answerReason(error)
    case "ConnectionError":
      return new AiError.NetworkError({ reason: "TransportError", method: "POST", url, description: error.message, cause: error })
    case "StreamError":
      return error.reason === "malformed"
        ? new AiError.InvalidResponseError({ description: error.message })
        : new AiError.NetworkError({ reason: "TransportError", method: "POST", url, description: error.message, cause: error })
    case "LoginRequired":
      return new AiError.AuthenticationError({ kind: "ExpiredKey", description: error.message })
    case "RefreshFailed":
      return new AiError.AuthenticationError({ kind: "Unknown", description: error.message })
  }
}

/** The AiError for a failed call (see {@link reasonOf} for the reasons), its reason's `cause` the tagged error. */
export const toAiError = (error: ApiError, site: Site): AiError.AiError =>
  AiError.make({ module: site.module ?? DEFAULT_MODULE, method: site.method, reason: withCause(reasonOf(error, site.url), error) })

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
  const cause = (error.reason as { cause?: unknown } | undefined)?.cause
  return typeof cause === "object" && cause !== null && API_ERROR_TAGS.has((cause as { _tag?: string })._tag ?? "")
    ? cause as ApiError
    : undefined
}
