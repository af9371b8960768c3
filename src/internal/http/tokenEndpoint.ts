/**
 * One POST of JSON to an OAuth token endpoint: its status and text when it is 2xx, else the answer classified. Loaded
 * with the first token request (with Effect's HTTP modules, if the client has not loaded them yet).
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import { classify } from "../apiErrors.js"
import type { ApiError } from "../errors.js"
import { connectionError, readError } from "./transportErrors.js"

export const postJson = (tokenUrl: string, body: Record<string, string>): Effect.Effect<{ readonly status: number; readonly text: string }, ApiError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const http = yield* HttpClient.HttpClient
    const request = HttpClientRequest.post(tokenUrl).pipe(
      HttpClientRequest.setHeader("accept", "application/json"),
      HttpClientRequest.bodyText(JSON.stringify(body), "application/json")
    )
    const description = `POST ${tokenUrl}`
    const timeoutDetail = "no complete answer from the token endpoint within timeout_ms"
    const response = yield* http.execute(request).pipe(
      // No trace headers to the token endpoint: Effect's switch for them is this reference, set for the request.
      Effect.provideService(HttpClient.TracerPropagationEnabled, false),
      Effect.mapError((e) => connectionError(description, e, timeoutDetail))
    )
    const text = yield* response.text.pipe(Effect.mapError((e) => readError(description, response, e, timeoutDetail)))
    if (response.status < 200 || response.status >= 300) {
      return yield* classify(response.status, (n) => response.headers[n], text, "oauth_bundle", yield* Clock.currentTimeMillis)
    }
    return { status: response.status, text }
  })
