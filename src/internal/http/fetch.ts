/**
 * The `HttpClient` on the runtime's `fetch`, the default where undici's dispatcher cannot run (Bun, Cloudflare
 * Workers, any other runtime). Same semantics as the undici client: each request bounded by one shared watchdog fiber
 * (`timeout`), whole-body reads bounded (`maxBodyBytes`), interrupting a request or a read aborts it, closing the
 * scope a body is pulled in aborts it, an answer never read is aborted once it is garbage-collected.
 *
 * Why not Effect's `FetchHttpClient`: it goes through `HttpClient.make`, which opens a span per request and an
 * uninterruptible region, and a timeout on it is `Effect.timeout` (two fibers). The same construction on undici
 * (`NodeHttpClient.layerUndici`) took 1.76× the raw floor on the bench's 5,000 small calls, where this library's
 * undici client, built as this one is, took 1.08× (Node 22, `npm run bench calls`).
 */
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Cookies from "effect/http/Cookies"
import * as Headers from "effect/http/Headers"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import type * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Url from "effect/http/Url"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Deadlines from "./deadlines.js"
import { WholeBodyResponse } from "./wholeBody.js"
import { type DirectPull, type Pull, PullKey, streamOf } from "./directPull.js"
import { BodyTooLarge, DEFAULT_MAX_BODY_BYTES } from "./bodyLimit.js"
import { type ExecuteWhole, ExecuteWholeKey } from "./executeWhole.js"

export interface Options {
  /** A bound on every request until its status and headers and, when the body is read whole, the body have arrived. */
  readonly timeout?: Duration.Input | undefined
  /** The largest body read whole; default 64 MiB. */
  readonly maxBodyBytes?: number | undefined
  /** The `fetch` to send with; default the global one, looked up at each request. */
  readonly fetch?: typeof globalThis.fetch | undefined
}

/** An `HttpClient` on `fetch`. With a `timeout`, its watchdog fiber lives in the scope. */
export const make = (options: Options = {}): Effect.Effect<HttpClient.HttpClient, never, Scope.Scope> =>
  Effect.map(
    Deadlines.make(options.timeout === undefined ? Infinity : Duration.toMillis(options.timeout)),
    (deadlines) => {
      const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
      const send = makeSend(deadlines, maxBodyBytes, options.fetch, false)
      const client = HttpClient.makeWith<never, never, HttpClientError.HttpClientError, never>(
        (effect) => Effect.flatMap(effect, send),
        Effect.succeed
      )
      const whole: ExecuteWhole = { [ExecuteWholeKey]: makeSend(deadlines, maxBodyBytes, options.fetch, true) }
      return Object.assign(client, whole)
    }
  )

/** The client as a layer; its watchdog fiber ends with the layer. */
export const layerWith = (options: Options): Layer.Layer<HttpClient.HttpClient> =>
  Layer.effect(HttpClient.HttpClient, make(options))

// An answer nobody reads would hold its connection: abort it once it is unreachable.
// Effect 4 has no `GlobalValue`: one registry per copy of this module, each for its own answers.
const unread = new FinalizationRegistry<AbortController>((controller) =>
  controller.abort(new Error("the response was never read"))
)

type Send = (request: HttpClientRequest.HttpClientRequest) => Effect.Effect<
  HttpClientResponse.HttpClientResponse,
  HttpClientError.HttpClientError
>

/**
 * The request sender of one client (`readsWhole`: of its whole-body execute). It remembers the last URL it checked:
 * most requests go to the same few.
 */
const makeSend = (
  deadlines: Deadlines.Deadlines,
  maxBodyBytes: number,
  fetchWith: Options["fetch"],
  readsWhole: boolean
): Send => {
  let lastUrl = ""
  let lastHref = ""
  const hrefOf = (request: HttpClientRequest.HttpClientRequest): string | HttpClientError.HttpClientError => {
    const plain = request.urlParams.params.length === 0 && Option.isNone(request.hash)
    if (plain && request.url === lastUrl) return lastHref
    const url = Url.make(request.url, request.urlParams, Option.getOrUndefined(request.hash))
    if (Result.isFailure(url)) {
      return new HttpClientError.HttpClientError({ reason: new HttpClientError.InvalidUrlError({ request, cause: url.failure }) })
    }
    const href = url.success.href
    if (plain) {
      lastUrl = request.url
      lastHref = href
    }
    return href
  }

  const exchange = (request: HttpClientRequest.HttpClientRequest, href: string, body: BodyInit | null, streamed: boolean) =>
    Effect.withFiber<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>((fiber) => {
      const timeoutMs = fiber.getRef(Deadlines.currentTimeout) ?? deadlines.timeoutMs
      return Effect.callback((resume) => {
        const controller = new AbortController()
        const deadline = timeoutMs === Infinity ? undefined : deadlines.arm(
          () => controller.abort(new Cause.TimeoutError(`no complete answer within ${timeoutMs} ms`)),
          timeoutMs
        )
        let answered = false
        const init: RequestInit & { duplex?: "half" } = { method: request.method, headers: headersOf(request), body, signal: controller.signal }
        if (streamed) init.duplex = "half"
        ;(fetchWith ?? globalThis.fetch)(href, init).then(
          (web) => {
            const answer = (early?: EarlyBody) => {
              answered = true
              resume(Effect.succeed(new FetchResponse(request, href, web, controller, deadline, maxBodyBytes, early)))
            }
            if (!readsWhole || !isSmall(web, maxBodyBytes)) return answer()
            web.arrayBuffer().then((buffer) => answer({ bytes: new Uint8Array(buffer) }), (cause) => answer({ cause }))
          },
          (cause) => {
            deadline?.disarm()
            const reason: unknown = controller.signal.aborted ? controller.signal.reason : innermost(cause)
            resume(Effect.fail(
              new HttpClientError.HttpClientError({ reason: new HttpClientError.TransportError({ request, cause: reason }) })
            ))
          }
        )
        return Effect.sync(() => {
          if (answered) return
          deadline?.disarm()
          controller.abort(new Error("the request was interrupted"))
        })
      })
    })

  return (request) => {
    const href = hrefOf(request)
    if (typeof href !== "string") return Effect.fail(href)
    const body = request.body
    switch (body._tag) {
      case "Empty":
        return exchange(request, href, null, false)
      case "Uint8Array":
      case "Raw":
        return exchange(request, href, body.body as BodyInit, false)
      case "FormData":
        return exchange(request, href, body.formData, false)
      case "Stream":
        return Effect.flatMap(
          Stream.toReadableStreamEffect(body.stream),
          (stream) => exchange(request, href, stream, true)
        )
    }
  }
}

/**
 * Through the whole-body execute (`ExecuteWholeKey`), a small body of known length is read before the answer is
 * handed over: the read then finds it complete, and the call resumes once, not twice (a resumption costs ~4 µs on
 * Bun; single calls there measured 2–7 % less CPU). Through `execute` (streams, downloads) an answer is handed over
 * at its head.
 */
const EARLY_READ_MAX_BYTES = 256 * 1024

type EarlyBody = { readonly bytes: Uint8Array; readonly cause?: undefined } | { readonly bytes?: undefined; readonly cause: unknown }

const isSmall = (web: Response, maxBodyBytes: number): boolean => {
  const length = web.headers.get("content-length")
  return length !== null && Number(length) <= Math.min(EARLY_READ_MAX_BYTES, maxBodyBytes) &&
    web.headers.get("content-encoding") === null
}

/** What went wrong: Node's `fetch` rejects with "fetch failed" and the reason (ECONNREFUSED, …) as its `cause`. */
const innermost = (error: unknown): unknown =>
  error instanceof TypeError && error.cause instanceof Error ? error.cause : error

/** `fetch` computes the length of the body itself and refuses one given. */
const headersOf = (request: HttpClientRequest.HttpClientRequest): Record<string, string> =>
  request.headers["content-length"] === undefined ? request.headers : Headers.remove(request.headers, "content-length")

/**
 * The whole body, bounded by `maxBodyBytes`. Read in one call when its length is known (and not compressed: a
 * `content-length` then counts the compressed bytes); otherwise chunk by chunk, counting.
 */
const readWhole = async (web: Response, maxBodyBytes: number, controller: AbortController): Promise<Uint8Array> => {
  const length = web.headers.get("content-length")
  if (length !== null && web.headers.get("content-encoding") === null) {
    if (Number(length) > maxBodyBytes) throw tooLarge(controller, maxBodyBytes)
    return new Uint8Array(await web.arrayBuffer())
  }
  if (web.body === null) return new Uint8Array(0)
  const reader = web.body.getReader()
  const chunks: Array<Uint8Array> = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.length
    if (size > maxBodyBytes) throw tooLarge(controller, maxBodyBytes)
    chunks.push(value)
  }
  return chunks.length === 1 ? chunks[0]! : concat(chunks, size)
}

const tooLarge = (controller: AbortController, limit: number): BodyTooLarge => {
  const error = new BodyTooLarge(limit)
  controller.abort(error)
  return error
}

const concat = (chunks: ReadonlyArray<Uint8Array>, size: number): Uint8Array => {
  const out = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.length
  }
  return out
}

const decoder = new TextDecoder()
const headersPrototype: object = Object.getPrototypeOf(Headers.empty)

class FetchResponse extends WholeBodyResponse implements DirectPull {
  private parsedHeaders: Headers.Headers | undefined
  /** The body read whole, once: `text` may be read twice. */
  private bytes: Promise<Uint8Array> | undefined

  constructor(
    request: HttpClientRequest.HttpClientRequest,
    /** The URL asked for: the answer's own (`web.url`) when `fetch` gives one. */
    private readonly href: string,
    private readonly web: Response,
    private readonly controller: AbortController,
    private readonly deadline: Deadlines.Deadline | undefined,
    private readonly maxBodyBytes: number,
    /** The body, already read (or its read failed) before the answer was handed over. */
    private readonly early: EarlyBody | undefined
  ) {
    super(request)
    if (early === undefined) unread.register(this, controller, this)
    else deadline?.disarm()
  }

  get status(): number {
    return this.web.status
  }

  get url(): string {
    const url = this.web.url === "" ? this.href : this.web.url
    const hash = url.indexOf("#")
    return hash === -1 ? url : url.slice(0, hash)
  }

  /** Built on first use, by `forEach` (names come lower-case from `fetch`): cheaper than `Headers.fromInput`'s iterator. */
  get headers(): Headers.Headers {
    if (this.parsedHeaders !== undefined) return this.parsedHeaders
    const out: Record<string, string> = Object.create(headersPrototype)
    this.web.headers.forEach((value, name) => {
      out[name] = value
    })
    return this.parsedHeaders = out as Headers.Headers
  }

  get cookies(): Cookies.Cookies {
    return Cookies.fromSetCookie(this.web.headers.getSetCookie())
  }


  /** The body is read (or being read): the registry no longer needs to abort it. */
  private claimed(): void {
    unread.unregister(this)
  }

  private abort(why: string): void {
    this.deadline?.disarm()
    this.controller.abort(new Error(why))
  }

  protected override causeOf(cause: unknown): unknown {
    return this.controller.signal.aborted ? this.controller.signal.reason : cause
  }

  /** `f` of the whole body, once it has arrived; the deadline bounds it until then. */
  protected whole<A>(f: (bytes: Uint8Array) => A): Effect.Effect<A, HttpClientError.HttpClientError> {
    const early = this.early
    if (early !== undefined) {
      return early.bytes === undefined ? Effect.fail(this.decodeError(early.cause)) : Effect.sync(() => f(early.bytes))
    }
    return Effect.callback((resume) => {
      if (this.bytes === undefined) {
        this.claimed()
        const deadline = this.deadline
        this.bytes = readWhole(this.web, this.maxBodyBytes, this.controller)
        if (deadline !== undefined) this.bytes.then(() => deadline.disarm(), () => deadline.disarm())
      }
      let settled = false
      this.bytes.then(
        (bytes) => {
          settled = true
          resume(Effect.succeed(f(bytes)))
        },
        (cause) => {
          settled = true
          resume(Effect.fail(this.decodeError(cause)))
        }
      )
      return Effect.sync(() => {
        if (!settled) this.abort("the body read was interrupted")
      })
    })
  }


  get text(): Effect.Effect<string, HttpClientError.HttpClientError> {
    return this.whole((bytes) => decoder.decode(bytes))
  }




  /** The body as it arrives. Ending early aborts the request. */
  get stream(): Stream.Stream<Uint8Array, HttpClientError.HttpClientError> {
    return streamOf(this[PullKey])
  }

  /** The body's pull: no longer bounded by the deadline (its reader decides how long a silence may last). */
  get [PullKey](): Effect.Effect<Pull, never, Scope.Scope> {
    return Effect.andThen(
      Effect.addFinalizer(() => Effect.sync(() => this.abort("the body stream ended before the body"))),
      Effect.sync(() => {
        this.claimed()
        this.deadline?.disarm()
        return this.pullOf(this.early === undefined ? this.web.body?.getReader() : undefined)
      })
    )
  }

  private pullOf(reader: ReadableStreamDefaultReader<Uint8Array> | undefined): Pull {
    if (this.early !== undefined) return this.earlyPull(this.early)
    if (reader === undefined) return Cause.done()
    return Effect.callback((resume) => {
      reader.read().then(
        ({ done, value }) => resume(done ? Cause.done() : Effect.succeed([value] as const)),
        (cause) => resume(Effect.fail(this.decodeError(cause)))
      )
    })
  }

  /** The body read early, as a pull: its bytes in one chunk (or its failure), then the end. */
  private earlyPull(early: EarlyBody): Pull {
    let given = false
    return Effect.suspend((): Pull => {
      if (given) return Cause.done()
      given = true
      if (early.bytes === undefined) return Effect.fail(this.decodeError(early.cause))
      return early.bytes.length === 0 ? Cause.done() : Effect.succeed([early.bytes] as const)
    })
  }
}
