/**
 * What the library's two responses (undici's, `fetch`'s) share: the readers built on the whole body (`arrayBuffer`,
 * `json`, `urlParamsBody`, `formData`) and the platform's identity. Each client says how the whole body arrives
 * (`whole`), how its text is decoded, and what a failed read is caused by.
 */
import type * as Cookies from "@effect/platform/Cookies"
import type * as Headers from "@effect/platform/Headers"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Effect from "effect/Effect"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import type * as Stream from "effect/Stream"

export abstract class WholeBodyResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId

  constructor(readonly request: HttpClientRequest.HttpClientRequest) {
    super()
  }

  abstract readonly status: number
  abstract readonly headers: Headers.Headers
  abstract readonly cookies: Cookies.Cookies
  abstract readonly text: Effect.Effect<string, HttpClientError.ResponseError>
  abstract readonly stream: Stream.Stream<Uint8Array, HttpClientError.ResponseError>
  /** `f` of the whole body, once it has arrived. */
  protected abstract whole<A>(f: (bytes: Uint8Array) => A): Effect.Effect<A, HttpClientError.ResponseError>
  /** What a failed read was caused by (an abort's reason, where there is one). */
  protected causeOf(cause: unknown): unknown {
    return cause
  }

  get remoteAddress(): Option.Option<string> {
    return Option.none()
  }

  protected decodeError(cause: unknown): HttpClientError.ResponseError {
    return new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause: this.causeOf(cause) })
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return this.whole((bytes) => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer)
  }

  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({ try: () => (text === "" ? null : JSON.parse(text)), catch: (cause) => this.decodeError(cause) }))
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: () => UrlParams.fromInput(new URLSearchParams(text)),
        catch: (cause) => this.decodeError(cause)
      }))
  }

  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return Effect.flatMap(this.whole((bytes) => new Uint8Array(bytes)), (bytes) =>
      Effect.tryPromise({
        try: () => new Response(bytes, { headers: this.headers }).formData(),
        catch: (cause) => this.decodeError(cause)
      }))
  }

  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status
    })
  }
}
