/**
 * The HTTP stack (`stack.ts`), loaded when the first client is made, a client layer built or a token requested,
 * rather than when the library is imported: Effect's HTTP modules are a sixth of a cold import of the root on Node,
 * and a program that imports the library without calling the API (a CLI's `--help`, a Worker's global scope) does
 * not pay for them. Always asynchronous, so that building a client layer is the same every time.
 */
import * as Effect from "effect/Effect"
import type { ApiError } from "../errors.js"
import { lazyImportAsync } from "../lazyImport.js"
import type { RetryOptions } from "./retry.js"

export const loadStack = lazyImportAsync(() => import("./stack.js"))

/** The retry policy's `withRetries`, for the token requests made outside the client (a refresh, a login). */
export const withRetries = <A, E extends ApiError, R>(effect: Effect.Effect<A, E, R>, options: RetryOptions): Effect.Effect<A, E, R> =>
  Effect.flatMap(loadStack, ({ Retry }) => Retry.withRetries(effect, options))
