/**
 * The undici client behind `UndiciHttpClient` (the public module is its API and docs): a request is one undici
 * handler object, its body read through the handler's callbacks.
 */
import type * as Arr from "effect/Array"
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
import type { Dispatcher } from "undici"
import * as Deadlines from "./deadlines.js"
import { WholeBodyResponse } from "./wholeBody.js"
import { type DirectPull, type Pull, PullKey, streamOf } from "./directPull.js"
import { BodyTooLarge, DEFAULT_MAX_BODY_BYTES } from "./bodyLimit.js"
import * as Builtins from "../builtins.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * A bound on every request, from sending until its status and headers have arrived and, when the body is read
   * whole (`text`, `json`, `arrayBuffer`, …), until the body is complete. A body read as a `stream` is not bounded
   * once the stream starts (its reader decides how long a silence may last). A request past it is aborted and fails
   * with an `HttpClientError` whose reason (a `TransportError` / `DecodeError`) has a `Cause.TimeoutError` as `cause`.
   *
   * All requests share one watchdog fiber (see `internal/deadlines.ts`), so the bound costs almost nothing per
   * request, unlike `Effect.timeout` around each one. Default: none.
   */
  readonly timeout?: Duration.Input | undefined
  /**
   * The largest body read whole (`text`, `json`, `arrayBuffer`, …); a longer one is aborted and the read fails with
   * a `DecodeError` reason whose `cause` is a {@link BodyTooLarge}. A body read as a `stream` is not limited. Default
   * 64 MiB: far above any Messages API answer, far below what would exhaust memory.
   */
  readonly maxBodyBytes?: number | undefined
}

/**
 * An `HttpClient` sending through `dispatcher`. With a `timeout`, its watchdog fiber lives in the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (dispatcher: Dispatcher, options: Options = {}): Effect.Effect<HttpClient.HttpClient, never, Scope.Scope> =>
  Effect.map(
    Deadlines.make(options.timeout === undefined ? Infinity : Duration.toMillis(options.timeout)),
    (deadlines) => {
      const send = makeSend(dispatcher, deadlines, options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES)
      return HttpClient.makeWith<never, never, HttpClientError.HttpClientError, never>(
        (effect) => Effect.flatMap(effect, send),
        Effect.succeed
      )
    }
  )

/**
 * `undici`, named by a variable so that bundlers (wrangler, esbuild) leave the import to run time: a Worker never
 * builds this layer, and undici is half of a Worker bundle that holds it.
 */
const UNDICI = "undici"
const importUndici = (): Promise<typeof import("undici")> => import(UNDICI)

/**
 * The client on an undici `Agent` of its own, closed with the layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWith = (options: Options): Layer.Layer<HttpClient.HttpClient> =>
  Layer.effect(
    HttpClient.HttpClient,
    Effect.flatMap(
      Effect.acquireRelease(
        // Loaded when the layer is built, not when the library is imported: undici is a tenth of a second of
        // start-up that a program on another client (Bun, Workers, its own) never needs.
        Effect.map(Effect.promise(importUndici), (undici) => new undici.Agent()),
        (agent) => Effect.promise(() => agent.destroy())
      ),
      (agent) => make(agent, options)
    )
  )

/**
 * {@link layerWith} without a timeout.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<HttpClient.HttpClient> = layerWith({})


// An answer nobody reads would hold its connection (and, paused, never finish): abort it once it is unreachable.
// Effect 4 has no `GlobalValue`: one registry per copy of this module, each for its own answers.
const unread = new FinalizationRegistry<Exchange>((exchange) => exchange.abort(new Error("the response was never read")))

/** Buffered body bytes above which undici is paused until a reader catches up. */
const HIGH_WATER_MARK = 1 << 20

/** Where undici sends a request: the origin, and the path with its query and fragment; the URL without fragment. */
interface Target {
  readonly origin: string
  readonly path: string
  readonly url: string
}

/**
 * The request sender of one client. It remembers the last URL it parsed: a client sends most requests to the same
 * few URLs, and `new URL` is a noticeable part of a loopback call.
 */
const makeSend = (dispatcher: Dispatcher, deadlines: Deadlines.Deadlines, maxBodyBytes: number) => {
  let lastUrl = ""
  let lastTarget: Target | undefined
  const targetOf = (request: HttpClientRequest.HttpClientRequest): Target | HttpClientError.HttpClientError => {
    const plain = request.urlParams.params.length === 0 && Option.isNone(request.hash)
    if (plain && request.url === lastUrl && lastTarget !== undefined) return lastTarget
    const url = Url.make(request.url, request.urlParams, Option.getOrUndefined(request.hash))
    if (Result.isFailure(url)) {
      return new HttpClientError.HttpClientError({ reason: new HttpClientError.InvalidUrlError({ request, cause: url.failure }) })
    }
    const { hash, href, origin, pathname, search } = url.success
    const target = { origin, path: pathname + search + hash, url: hash === "" ? href : href.slice(0, -hash.length) }
    if (plain) {
      lastUrl = request.url
      lastTarget = target
    }
    return target
  }

  const dispatch = (request: HttpClientRequest.HttpClientRequest, target: Target, body: Body) =>
    Effect.withFiber<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>((fiber) =>
      exchangeOf(request, target, body, fiber.getRef(Deadlines.currentTimeout) ?? deadlines.timeoutMs)
    )

  const exchangeOf = (request: HttpClientRequest.HttpClientRequest, target: Target, body: Body, timeoutMs: number) =>
    Effect.callback<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>((resume) => {
      const exchange = new Exchange(request, target.url, resume, maxBodyBytes)
      if (timeoutMs !== Infinity) {
        exchange.deadline = deadlines.arm(
          () => exchange.abort(new Cause.TimeoutError(`no complete answer within ${timeoutMs} ms`)),
          timeoutMs
        )
      }
      try {
        dispatcher.dispatch({
          origin: target.origin,
          path: target.path,
          method: request.method,
          headers: request.headers,
          body,
          // undici's own timers are off: the deadline above (or the caller) bounds the request.
          headersTimeout: 60 * 60 * 1000,
          bodyTimeout: 0
        }, exchange)
      } catch (cause) {
        exchange.onResponseError(undefined, cause as Error)
      }
      return Effect.sync(() => exchange.abort(new Error("the request was interrupted")))
    })

  return (
    request: HttpClientRequest.HttpClientRequest
  ): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError> => {
    const target = targetOf(request)
    if (target instanceof HttpClientError.HttpClientError) return Effect.fail(target)
    const body = request.body
    switch (body._tag) {
      case "Empty":
        return dispatch(request, target, null)
      case "Uint8Array":
        return dispatch(request, target, body.body)
      case "Raw":
        return dispatch(request, target, body.body as Body)
      case "FormData":
        return dispatch(request, target, body.formData as unknown as Body) // undici takes the global FormData
      case "Stream":
        // A Node Readable over the stream, run on the caller's runtime; a failing stream fails the request.
        return Effect.flatMap(
          Stream.toAsyncIterableEffect(body.stream),
          (chunks) => dispatch(request, target, Builtins.stream().Readable.from(chunks, { objectMode: false }))
        )
    }
  }
}

type Body = Exclude<Dispatcher.DispatchOptions["body"], undefined>

/**
 * One request in flight: undici's handler, and the body's buffer between undici and the reader.
 * It never refers to its response object, so an unread response can be collected (see `unread`).
 */
class Exchange implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined
  private started = false
  private settled = false
  deadline: Deadlines.Deadline | undefined
  /** Body bytes not yet taken by a stream reader (whole-body readers keep them: `text` may be read twice). */
  chunks: Array<Uint8Array> = []
  private buffered = 0
  /**
   * A whole-body reader is waiting: undici must not be paused any more (only a stream reader's `take` would resume
   * it, and a body over the high-water mark would then never complete), but the body is bounded by `maxBodyBytes`.
   */
  private readingWhole = false
  done = false
  failure: Error | undefined = undefined
  private wake: (() => void) | undefined

  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    readonly url: string,
    private readonly resume: (
      effect: Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>
    ) => void,
    private readonly maxBodyBytes: number
  ) {}

  /** Abort unless the answer is complete. Before undici has started the request, fail now and abort when it does. */
  abort(reason: Error): void {
    if (this.settled) return
    if (this.controller === undefined) this.onResponseError(undefined, reason)
    else this.controller.abort(reason)
  }

  /** The body is being streamed: its reader bounds it from now on. */
  unbound(): void {
    this.deadline?.disarm()
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller
    if (this.failure !== undefined) controller.abort(this.failure)
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    status: number,
    headers: Record<string, string | Array<string> | undefined>
  ): void {
    if (status < 200) return // 1xx: informational, the real answer follows
    this.started = true
    const response = new UndiciResponse(this.request, this.url, status, headers, this)
    unread.register(response, this, this)
    this.resume(Effect.succeed(response))
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Uint8Array): void {
    this.chunks.push(chunk)
    this.buffered += chunk.length
    if (this.readingWhole) {
      if (this.buffered > this.maxBodyBytes) return this.abort(new BodyTooLarge(this.maxBodyBytes))
    } else if (this.buffered > HIGH_WATER_MARK) {
      controller.pause()
    }
    this.notify()
  }

  /** A whole-body read waits for the end: let undici go on, and bound what it may buffer. */
  readWhole(): void {
    if (this.readingWhole) return
    this.readingWhole = true
    if (this.buffered > this.maxBodyBytes) return this.abort(new BodyTooLarge(this.maxBodyBytes))
    if (this.controller?.paused === true) this.controller.resume()
  }

  onResponseEnd(): void {
    this.done = true
    this.settle()
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    if (this.settled) return
    this.failure = error
    this.settle()
    if (!this.started) {
      this.resume(Effect.fail(
        new HttpClientError.HttpClientError({ reason: new HttpClientError.TransportError({ request: this.request, cause: error }) })
      ))
    }
  }

  private settle(): void {
    this.settled = true
    this.deadline?.disarm()
    unread.unregister(this)
    this.notify()
  }

  /** Take every buffered chunk (a stream reader, when there is one at least), letting undici go on if it was paused. */
  take(): Arr.NonEmptyReadonlyArray<Uint8Array> {
    const taken = this.chunks as unknown as Arr.NonEmptyReadonlyArray<Uint8Array>
    this.chunks = []
    this.buffered = 0
    if (this.controller?.paused === true) this.controller.resume()
    return taken
  }

  /** Run `f` at the next change (data, end or failure); one reader waits at a time. */
  onChange(f: () => void): void {
    this.wake = f
  }

  private notify(): void {
    const wake = this.wake
    if (wake === undefined) return
    this.wake = undefined
    wake()
  }
}

class UndiciResponse extends WholeBodyResponse implements DirectPull {
  private parsedHeaders: Headers.Headers | undefined

  constructor(
    request: HttpClientRequest.HttpClientRequest,
    readonly url: string,
    readonly status: number,
    private readonly rawHeaders: Record<string, string | Array<string> | undefined>,
    private readonly exchange: Exchange
  ) {
    super(request)
  }

  /** Built on first use: most answers are read without a look at their headers. */
  get headers(): Headers.Headers {
    return this.parsedHeaders ??= Headers.fromInput(this.rawHeaders)
  }

  get cookies(): Cookies.Cookies {
    const header = this.rawHeaders["set-cookie"]
    return header === undefined ? Cookies.empty : Cookies.fromSetCookie(Array.isArray(header) ? header : [header])
  }




  get text(): Effect.Effect<string, HttpClientError.HttpClientError> {
    return this.whole((bytes) => (bytes as Buffer).toString("utf8"))
  }

  /**
   * `f` of the whole body. A body that is already complete (most small answers are by the time they are read) is
   * answered at once, without a suspended effect in between; otherwise the read waits for the end.
   */
  protected whole<A>(f: (bytes: Uint8Array) => A): Effect.Effect<A, HttpClientError.HttpClientError> {
    const exchange = this.exchange
    const complete = (): Effect.Effect<A, HttpClientError.HttpClientError> =>
      exchange.failure !== undefined
        ? Effect.fail(this.decodeError(exchange.failure))
        : Effect.succeed(f(Buffer.concat(exchange.chunks)))
    if (exchange.done || exchange.failure !== undefined) return complete()
    return Effect.suspend(() => {
      exchange.readWhole()
      if (exchange.done || exchange.failure !== undefined) return complete()
      return Effect.callback<A, HttpClientError.HttpClientError>((resume) => {
        const check = () => (exchange.done || exchange.failure !== undefined ? resume(complete()) : exchange.onChange(check))
        exchange.onChange(check)
        return Effect.sync(() => exchange.abort(new Error("the body read was interrupted")))
      })
    })
  }




  /** The body as it arrives, each read taking every chunk buffered so far. Ending early aborts the request. */
  get stream(): Stream.Stream<Uint8Array, HttpClientError.HttpClientError> {
    return streamOf(this.pull)
  }

  get [PullKey](): Effect.Effect<Pull, never, Scope.Scope> {
    return this.pull
  }

  /** {@link stream}'s pull, without a Stream around it (see {@link toPull}). */
  get pull(): Effect.Effect<Pull, never, Scope.Scope> {
    const exchange = this.exchange
    const pull: Pull = Effect.suspend(() => {
      if (exchange.chunks.length > 0) return Effect.succeed(exchange.take())
      if (exchange.failure !== undefined) return Effect.fail(this.decodeError(exchange.failure))
      if (exchange.done) return Cause.done()
      return Effect.andThen(Effect.callback<void>((resume) => exchange.onChange(() => resume(Effect.void))), pull)
    })
    return Effect.andThen(
      Effect.addFinalizer(() => Effect.sync(() => exchange.abort(new Error("the body stream ended before the body")))),
      Effect.sync(() => {
        exchange.unbound()
        return pull
      })
    )
  }

}
