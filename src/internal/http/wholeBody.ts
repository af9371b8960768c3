/**
 * What the library's two responses (undici's, `fetch`'s) share: the readers built on the whole body (`arrayBuffer`,
 * `json`, `urlParamsBody`, `formData`) and the platform's identity. Each client says how the whole body arrives
 * (`whole`), how its text is decoded, and what a failed read is caused by.
 */
import * as Effect from "effect/Effect"
import type * as Cookies from "effect/http/Cookies"
import type * as Headers from "effect/http/Headers"
import * as HttpClientError from "effect/http/HttpClientError"
import type * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as HttpIncomingMessage from "effect/http/HttpIncomingMessage"
import * as UrlParams from "effect/http/UrlParams"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import { pipeArguments } from "effect/Pipeable"
import type * as Schema from "effect/Schema"
import type * as Socket from "effect/socket/Socket"
import type * as Stream from "effect/Stream"

export abstract class WholeBodyResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpIncomingMessage.TypeId]: typeof HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: typeof HttpClientResponse.TypeId = HttpClientResponse.TypeId

  constructor(readonly request: HttpClientRequest.HttpClientRequest) {
    super()
  }

  abstract readonly status: number
  abstract readonly url: string
  abstract readonly headers: Headers.Headers
  abstract readonly cookies: Cookies.Cookies
  abstract readonly text: Effect.Effect<string, HttpClientError.HttpClientError>
  abstract readonly stream: Stream.Stream<Uint8Array, HttpClientError.HttpClientError>
  /** `f` of the whole body, once it has arrived. */
  protected abstract whole<A>(f: (bytes: Uint8Array) => A): Effect.Effect<A, HttpClientError.HttpClientError>
  /** What a failed read was caused by (an abort's reason, where there is one). */
  protected causeOf(cause: unknown): unknown {
    return cause
  }

  get remoteAddress(): Option.Option<string> {
    return Option.none()
  }

  protected decodeError(cause: unknown): HttpClientError.HttpClientError {
    return new HttpClientError.HttpClientError({
      reason: new HttpClientError.DecodeError({ request: this.request, response: this, cause: this.causeOf(cause) })
    })
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.HttpClientError> {
    return this.whole((bytes) => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer)
  }

  get json(): Effect.Effect<Schema.Json, HttpClientError.HttpClientError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({ try: () => (text === "" ? null : JSON.parse(text)), catch: (cause) => this.decodeError(cause) }))
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.HttpClientError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: () => UrlParams.fromInput(new URLSearchParams(text)),
        catch: (cause) => this.decodeError(cause)
      }))
  }

  get formData(): Effect.Effect<FormData, HttpClientError.HttpClientError> {
    return Effect.flatMap(this.whole((bytes) => new Uint8Array(bytes)), (bytes) =>
      Effect.tryPromise({
        try: () => new Response(bytes, { headers: this.headers }).formData(),
        catch: (cause) => this.decodeError(cause)
      }))
  }

  /** Effect 4 asks every response for an upgrade's connection: these clients never send an upgrade (as `fetch`'s). */
  get upgrade(): Effect.Effect<Socket.Socket, HttpClientError.HttpClientError> {
    return Effect.fail(
      new HttpClientError.HttpClientError({
        reason: new HttpClientError.StatusCodeError({
          request: this.request,
          response: this,
          description: "this client cannot hand over the connection of an HTTP upgrade"
        })
      })
    )
  }

  pipe() {
    return pipeArguments(this, arguments)
  }

  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, {
      _id: "effect/http/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status
    })
  }
}
