/**
 * Each method's error channel lists only what it can fail with (checked by `tsc`: a wider channel fails the
 * typecheck), and a failure found before sending carries its own tag.
 */
import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import type * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"
import type * as AnthropicClient from "../src/AnthropicClient.js"
import * as Errors from "../src/Errors.js"

type ErrorOf<T> = T extends (...args: ReadonlyArray<any>) => Effect.Effect<any, infer E, any> ? E
  : T extends (...args: ReadonlyArray<any>) => Stream.Stream<any, infer E, any> ? E
  : never
type Client = AnthropicClient.Service

describe("error channels", () => {
  it("a call that is not a stream cannot fail with StreamError", () => {
    expectTypeOf<ErrorOf<Client["createMessage"]>>().toEqualTypeOf<Errors.CallError>()
    expectTypeOf<ErrorOf<Client["createMessageWithResponse"]>>().toEqualTypeOf<Errors.CallError>()
    expectTypeOf<ErrorOf<Client["countTokens"]>>().toEqualTypeOf<Errors.CallError>()
    expectTypeOf<ErrorOf<Client["listModels"]>>().toEqualTypeOf<Errors.CallError>()
    expectTypeOf<ErrorOf<Client["retrieveModel"]>>().toEqualTypeOf<Errors.CallError>()
    expectTypeOf<ErrorOf<Client["createBatch"]>>().toEqualTypeOf<Errors.CallError>()
    expectTypeOf<ErrorOf<Client["waitForBatch"]>>().toEqualTypeOf<Errors.CallError>()
    expectTypeOf<ErrorOf<Client["uploadFile"]>>().toEqualTypeOf<Errors.CallError>()
    expectTypeOf<ErrorOf<Client["deleteFile"]>>().toEqualTypeOf<Errors.CallError>()
    expectTypeOf<Extract<Errors.CallError, { _tag: "StreamError" }>>().toBeNever()
  })

  it("lists walk pages without a stream's failures; streams may break off", () => {
    expectTypeOf<ErrorOf<Client["models"]>>().toEqualTypeOf<Errors.CallError>()
    expectTypeOf<ErrorOf<Client["stream"]>>().toEqualTypeOf<Errors.ApiError>()
    expectTypeOf<ErrorOf<Client["batchResults"]>>().toEqualTypeOf<Errors.ApiError>()
    expectTypeOf<ErrorOf<Client["downloadFile"]>>().toEqualTypeOf<Errors.ApiError>()
  })

  it("InvalidRequest is its own tag, never retried, and says nothing was sent", () => {
    const error = new Errors.InvalidRequest({ detail: "limit must be a whole number from 1 to 1000" })
    expect(error._tag).toBe("InvalidRequest")
    expect(Errors.isRetryable(error)).toBe(false)
    expect(error.message).toBe("Invalid request, nothing was sent: limit must be a whole number from 1 to 1000")
  })

  it("the API's error.type is a union a Match can name, open to types the API adds", () => {
    const known: Errors.ErrorType = "overloaded_error"
    const newer: Errors.ErrorType = "some_future_error"
    expect([known, newer]).toEqual(["overloaded_error", "some_future_error"])
    expectTypeOf<"rate_limit_error">().toMatchTypeOf<Errors.ErrorType>()
  })
})
