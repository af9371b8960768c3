/**
 * Failures below HTTP: a request that got no answer, or an answer whose body could not be read, as tagged errors.
 */
import * as Cause from "effect/Cause"
import type * as HttpClientError from "effect/http/HttpClientError"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import { ConnectionError, Other } from "../errors.js"
import { BodyTooLarge } from "./bodyLimit.js"
import { causeText } from "../causeText.js"

/**
 * A transport failure, or the client's own timeout (a `Cause.TimeoutError` from `UndiciHttpClient`).
 * `request` is `METHOD url`; `timeoutDetail` says which bound ran out.
 */
export const connectionError = (
  request: string,
  error: HttpClientError.HttpClientError,
  timeoutDetail: string
): ConnectionError =>
  Cause.isTimeoutError(error.reason.cause)
    ? new ConnectionError({ reason: "timeout", request, detail: timeoutDetail })
    : new ConnectionError({ reason: "transport", request, detail: causeText(error.reason.cause, error.message) })

/** A body that could not be read whole: too large (no retry makes it smaller), else a broken or slow connection. */
export const readError = (
  request: string,
  response: HttpClientResponse.HttpClientResponse,
  error: HttpClientError.HttpClientError,
  timeoutDetail: string
): Other | ConnectionError =>
  error.reason.cause instanceof BodyTooLarge
    ? new Other({
      status: response.status,
      errorType: "invalid_response",
      apiMessage: `the answer to ${request} is ${error.reason.cause.message}`,
      requestId: response.headers["request-id"],
      retryable: false
    })
    : connectionError(request, error, timeoutDetail)
