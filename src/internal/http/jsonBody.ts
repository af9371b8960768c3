/**
 * A request's params as its JSON body, with the input tokens the rate limiter is charged for them: loaded with the
 * HTTP stack, the one place a request's body is made.
 */
import * as HttpBody from "effect/http/HttpBody"
import * as Result from "effect/Result"
import type { InvalidRequest } from "../errors.js"
import { estimateInputTokens } from "../rateLimiter/estimate.js"
import { jsonText } from "./request.js"

/**
 * The params as a JSON body, or an `InvalidRequest` saying why JSON cannot carry them. It never quotes them: they may
 * hold anything.
 */
export const encodeBody = (params: unknown, metered: boolean): Result.Result<{ body: HttpBody.HttpBody; inputTokens: number }, InvalidRequest> =>
  Result.map(
    jsonText(params, "the request params"),
    // The text as it is (every platform client sends a string): encoding it to bytes first was a copy per call.
    (text) => ({ body: HttpBody.raw(text, { contentType: "application/json" }), inputTokens: metered ? estimateInputTokens(text) : 0 })
  )
