/**
 * One HTTP attempt as a span of its own under the call's span, as OpenTelemetry's HTTP convention names it: `POST`
 * (the method), kind CLIENT, with the server, the URL (the configuration refuses a user or password in it), the attempt's place among the retries
 * (`http.request.resend_count`) and the answer's status, or the failure's `error.type`. Made only when traced.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import { serverAttributes, tagOf, whenTracing } from "./genAi.js"

/**
 * `attempt` under a span of its own when traced. `statusOf` tells the status of the answer it got, if any (a failed
 * attempt that got an answer carries its status in its error too).
 */
export const traceAttempt = <A, E, R>(
  method: string,
  baseUrl: string,
  url: string,
  resendCount: number,
  attempt: Effect.Effect<A, E, R>,
  statusOf: () => number | undefined
): Effect.Effect<A, E, R> =>
  whenTracing(attempt, () => {
    const attributes: Record<string, unknown> = { "http.request.method": method, "url.full": url, ...serverAttributes(baseUrl) }
    if (resendCount > 0) attributes["http.request.resend_count"] = resendCount
    return Effect.useSpan(method, { kind: "client", attributes }, (span) =>
      Effect.onExit(Effect.withParentSpan(attempt, span), (exit) =>
        Effect.sync(() => {
          const status = statusOf()
          if (status !== undefined) span.attribute("http.response.status_code", status)
          if (Exit.isFailure(exit)) {
            // A cause is a flat list of reasons; the attempt's typed failure, if there is one.
            const failure = Cause.findErrorOption(exit.cause)
            if (Option.isSome(failure)) span.attribute("error.type", tagOf(failure.value))
          }
        })))
  })
