/**
 * (The public `Files` module re-exports this module.)
 * The Files API (beta `files-api-2025-04-14`): upload a file once, then refer to it by `file_id` in document and
 * image blocks (`{ type: "file", file_id }`), list, inspect, download and delete files. In the API's own JSON names.
 *
 * The methods are part of `AnthropicClient` (`uploadFile`, `listFiles`, `files`, `retrieveFile`, `downloadFile`,
 * `deleteFile`), so credentials, the rate limiter, retries and error classification apply as for messages. Each
 * sends the Files beta; a Messages request that refers to a `file_id` needs it too: `{ betas: [Files.BETA] }`.
 */
import * as Effect from "effect/Effect"
import type * as HttpBody from "effect/http/HttpBody"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as path from "node:path"
import * as Builtins from "../builtins.js"
import { randomHex } from "../randomHex.js"
import type * as AnthropicHttpClient from "../http/types.js"
import { watchedBytes } from "../http/decoders.js"
import { loadStack } from "../http/loadStack.js"
import type { CallOptions } from "../http/types.js"
import { invalidRequest, pathOf, withCallOptions } from "../http/request.js"
import { type ApiError, type CallError, InvalidRequest, Other } from "../errors.js"
import { decodeAnswer } from "../http/decodeAnswer.js"
import { lenient, maybe, openLiteral } from "../messages/schema.js"
import { makeList, type Page, pageQuery, type PageParams } from "../http/pagination.js"
import type * as ResponseMetadata from "../responseMetadata.js"
import type { Pull } from "../stream/pull.js"
import { announcedSize, countedPull, countedStream, type TransferOptions, type TransferProgress } from "./transferProgress.js"

/**
 * The `anthropic-beta` value of the Files API.
 *
 * @since 0.2.0
 * @category constants
 */
export const BETA = "files-api-2025-04-14"

/**
 * A file's metadata.
 *
 * @since 0.2.0
 * @category schemas
 */
export const FileMetadata = Schema.Struct({
  type: Schema.Literal("file"),
  id: Schema.String,
  filename: Schema.String,
  mime_type: Schema.String,
  size_bytes: Schema.Number,
  /** RFC 3339. */
  created_at: Schema.String,
  /** Only files a tool made (code execution) can be downloaded; uploaded ones cannot. */
  downloadable: Schema.optional(Schema.Boolean),
  expires_at: maybe(Schema.String),
  /** What the file was made in (a `session`, by its id), when it belongs to one. */
  scope: maybe(lenient(Schema.Struct({ id: Schema.String, type: openLiteral("session") })))
})
/**
 * @since 0.2.0
 * @category models
 */
export type FileMetadata = typeof FileMetadata.Type

/**
 * @since 0.2.0
 * @category schemas
 */
export const DeletedFile = Schema.Struct({ type: Schema.optional(Schema.Literal("file_deleted")), id: Schema.String })
/**
 * @since 0.2.0
 * @category models
 */
export type DeletedFile = typeof DeletedFile.Type

/**
 * What to upload: a file on disk (read as it is sent, never whole in memory), bytes, or a stream of bytes. The
 * file name defaults to the path's base name; the MIME type to one guessed from the name's extension
 * (`application/octet-stream` when unknown).
 *
 * A path or bytes are sent again from their start by a retry; a stream cannot be replayed, so its upload is sent
 * once (no retries) and `size`, when given, is sent as its `content-length`.
 *
 * @since 0.2.0
 * @category models
 */
export type UploadSource =
  | { readonly path: string; readonly filename?: string | undefined; readonly mimeType?: string | undefined }
  | { readonly bytes: Uint8Array; readonly filename: string; readonly mimeType?: string | undefined }
  | {
    readonly stream: Stream.Stream<Uint8Array, unknown>
    readonly filename: string
    readonly mimeType?: string | undefined
    readonly size?: number | undefined
  }

/**
 * `GET /v1/files`: which page, and optionally only some ids.
 *
 * @since 0.2.0
 * @category models
 */
export interface FileListParams extends PageParams {
  readonly ids?: ReadonlyArray<string> | undefined
}

/**
 * The Files part of `AnthropicClient`.
 *
 * @since 0.2.0
 * @category models
 */
export interface Service {
  /**
   * `POST /v1/files` (multipart, streamed): the new file's metadata, whose `id` goes in `file` sources.
   * `onProgress` sees the bytes sent (see {@link TransferOptions}).
   */
  readonly uploadFile: (source: UploadSource, options?: TransferOptions) => Effect.Effect<FileMetadata, CallError>
  /** `GET /v1/files`: one page. */
  readonly listFiles: (params?: FileListParams, options?: CallOptions) => Effect.Effect<Page<FileMetadata>, CallError>
  /** Every file from `params` on, fetching page after page as the stream is read. */
  readonly files: (params?: FileListParams, options?: CallOptions) => Stream.Stream<FileMetadata, CallError>
  /** `GET /v1/files/{id}`: the metadata. */
  readonly retrieveFile: (id: string, options?: CallOptions) => Effect.Effect<FileMetadata, CallError>
  /**
   * `GET /v1/files/{id}/content`: the bytes as they arrive (a file the API made downloadable). Retried until the
   * first bytes arrive; then bounded by `stream_idle_timeout_ms` of silence, like a message stream. `onProgress`
   * sees the bytes received, of the answer's `content-length` (see {@link TransferOptions}).
   */
  readonly downloadFile: (id: string, options?: TransferOptions) => Stream.Stream<Uint8Array, ApiError>
  /**
   * {@link downloadFile}, started: the request is sent (and retried) until its first bytes, and the answer's
   * metadata (`request-id`, headers, rate limits) comes with the bytes, which live as long as the scope: as a
   * `stream`, and as a `pull` for a loop without a Stream around it (read one of them, not both).
   */
  readonly downloadFileWithResponse: (
    id: string,
    options?: TransferOptions
  ) => Effect.Effect<StartedDownload, ApiError, Scope.Scope>
  /** `DELETE /v1/files/{id}`. */
  readonly deleteFile: (id: string, options?: CallOptions) => Effect.Effect<DeletedFile, CallError>
}

const MIME_TYPES: Readonly<Record<string, string>> = {
  ".pdf": "application/pdf",
  ".txt": "text/plain",
  ".md": "text/markdown",
  ".csv": "text/csv",
  ".json": "application/json",
  ".jsonl": "application/x-ndjson",
  ".html": "text/html",
  ".xml": "application/xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  ".zip": "application/zip"
}

/**
 * The MIME type an upload is sent with when none is given, from the file name's extension.
 *
 * @since 0.2.0
 * @category utils
 */
export const guessMimeType = (filename: string): string =>
  MIME_TYPES[path.extname(filename).toLowerCase()] ?? "application/octet-stream"

/** A quoted multipart parameter, escaped as browsers do (RFC 7578 §4.2, the HTML form encoding). */
const quoted = (value: string) => `"${value.replace(/"/g, "%22").replace(/\r/g, "%0D").replace(/\n/g, "%0A")}"`

/** A header value a caller gave: one line, or refused (it would let them forge parts of the body). */
const headerSafe = (value: string) => !/[\r\n]/.test(value)

const encoder = new TextEncoder()

/**
 * What went wrong with an upload's source in its last attempt: a file that could not be read, a caller's stream that
 * failed or gave another size than it declared. The request then failed because of it, which is the caller's problem
 * (reported as such, never retried), not the network's. And who hears of the bytes sent, if anyone.
 */
interface SourceWatch {
  failure: CallError | undefined
  readonly onProgress: ((progress: TransferProgress) => Effect.Effect<void>) | undefined
}

/**
 * The bytes of `file()` checked as they are sent: a failure of the source, or a total that is not `size`, is noted in
 * `watch` and fails the body. The count so far goes to `watch.onProgress` when there is one.
 */
const watched = (
  file: () => Stream.Stream<Uint8Array, unknown>,
  size: number | undefined,
  watch: SourceWatch,
  failed: (cause: unknown) => CallError
): Stream.Stream<Uint8Array, unknown> =>
  Stream.suspend(() => {
    let sent = 0
    const wrongSize = () =>
      invalidRequest(`the upload's source gave ${sent} bytes, not the ${size} its size said`)
    return file().pipe(
      Stream.mapError((cause) => (watch.failure = failed(cause))),
      Stream.tap((chunk) =>
        Effect.suspend(() => {
          sent += chunk.length
          if (size !== undefined && sent > size) return Effect.fail(watch.failure = wrongSize())
          return watch.onProgress === undefined ? Effect.void : watch.onProgress({ bytes: sent, total: size })
        })
      ),
      Stream.concat(Stream.suspend(() =>
        size !== undefined && sent !== size ? Stream.fail(watch.failure = wrongSize()) : Stream.empty
      ))
    )
  })

/** One upload's multipart body around the file's bytes, made afresh each time it is sent. */
const multipart = (
  filename: string,
  mimeType: string,
  size: number | undefined,
  file: () => Stream.Stream<Uint8Array, unknown>,
  watch: SourceWatch,
  failed: (cause: unknown) => CallError
) =>
  Effect.map(loadStack, ({ Bodies }) => {
    watch.failure = undefined
    const boundary = `----effect-anthropic-${randomHex(16)}`
    const head = encoder.encode(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename=${quoted(filename)}\r\n` +
        `Content-Type: ${mimeType}\r\n\r\n`
    )
    const tail = encoder.encode(`\r\n--${boundary}--\r\n`)
    return Bodies.stream(
      Stream.concat(Stream.make(head), Stream.concat(watched(file, size, watch, failed), Stream.make(tail))),
      `multipart/form-data; boundary=${boundary}`,
      size === undefined ? undefined : head.length + size + tail.length
    )
  })

/**
 * A file on disk, read as it is sent. It must be a readable file before anything is sent (the error names it); if it
 * cannot be read while being sent, the upload fails with that, not with a network error.
 */
const fromPath = (file: string, filename: string, mimeType: string, watch: SourceWatch): Effect.Effect<HttpBody.HttpBody, CallError> =>
  Effect.flatMap(
    Effect.tryPromise({
      try: async () => {
        const fs = Builtins.fs()
        const stat = await fs.promises.stat(file)
        if (stat.isFile()) await fs.promises.access(file, fs.constants.R_OK)
        return stat
      },
      catch: (cause) => unreadable(file, cause)
    }),
    (stat) =>
      stat.isFile()
        ? multipart(filename, mimeType, stat.size, () =>
          // Opened when the body is sent, and closed when it ends, fails or is interrupted.
          Stream.suspend(() =>
            Stream.fromAsyncIterable(Builtins.fs().createReadStream(file, { highWaterMark: 256 * 1024 }) as AsyncIterable<Uint8Array>, (e) => e)
          ), watch, (cause) => unreadable(file, cause))
        : Effect.fail(invalidRequest(`cannot upload ${file}: it is not a file`))
  )

const unreadable = (file: string, cause: unknown) =>
  invalidRequest(
    `cannot read ${file} to upload it: ${
      cause instanceof Error && "code" in cause ? String(cause.code) : cause instanceof Error ? cause.message : "unknown error"
    }`
  )

const streamFailed = (cause: unknown) =>
  // The library's own refusal (a source that is not what it said) passes as it is.
  cause instanceof InvalidRequest || cause instanceof Other
    ? cause
    : invalidRequest(`the upload's stream failed: ${cause instanceof Error ? cause.message : String(cause)}`)

/** The source as a body made per attempt, and whether a retry may send it again. */
const bodyOf = (
  source: UploadSource,
  watch: SourceWatch
): Result.Result<{ body: Effect.Effect<HttpBody.HttpBody, CallError>; replayable: boolean }, CallError> => {
  if (source === null || typeof source !== "object") return Result.fail(invalidRequest("uploadFile needs { path }, { bytes, filename } or { stream, filename }"))
  const name = "path" in source && typeof source.path === "string" && source.filename === undefined
    ? path.basename(source.path)
    : source.filename
  if (typeof name !== "string" || name === "") return Result.fail(invalidRequest("an upload needs a filename"))
  const mimeType = source.mimeType ?? guessMimeType(name)
  if (!headerSafe(mimeType)) return Result.fail(invalidRequest("an upload's mimeType must be one line"))
  if ("path" in source) return Result.succeed({ body: fromPath(source.path, name, mimeType, watch), replayable: true })
  if ("bytes" in source) {
    if (!(source.bytes instanceof Uint8Array)) return Result.fail(invalidRequest("an upload's bytes must be a Uint8Array"))
    const bytes = source.bytes
    return Result.succeed({
      body: multipart(name, mimeType, bytes.length, () => Stream.make(bytes), watch, streamFailed),
      replayable: true
    })
  }
  if ("stream" in source) {
    const size = source.size
    if (size !== undefined && !(Number.isSafeInteger(size) && size >= 0)) {
      return Result.fail(invalidRequest("an upload's size must be a whole number of bytes"))
    }
    return Result.succeed({ body: multipart(name, mimeType, size, () => source.stream, watch, streamFailed), replayable: false })
  }
  return Result.fail(invalidRequest("uploadFile needs { path }, { bytes, filename } or { stream, filename }"))
}

const decodeFile = decodeAnswer(FileMetadata, "file metadata")
const decodeDeleted = decodeAnswer(DeletedFile, "deleted file")

/**
 * A started download: its bytes, and its answer's metadata.
 *
 * @since 0.2.0
 * @category models
 */
export interface StartedDownload extends ResponseMetadata.ResponseMetadata {
  readonly stream: Stream.Stream<Uint8Array, ApiError>
  /** The same bytes a chunk at a time, failing with `Cause.Done` at the end. */
  readonly pull: Pull<Uint8Array, ApiError>
}

/** The Files methods over the HTTP client. */
export const make = (http: AnthropicHttpClient.Service): Service => {
  const beta = (options: CallOptions | undefined): CallOptions => {
    const withBeta = withCallOptions({}, options)
    withBeta.betas = [BETA, ...(options?.betas ?? [])]
    return withBeta
  }
  const onFile = <A>(id: string, f: (path: string) => A, fail: (error: InvalidRequest) => A): A =>
    Result.match(pathOf`/v1/files/${id}`, { onFailure: fail, onSuccess: f })
  const list = (options: CallOptions | undefined) =>
    makeList(FileMetadata, "files", (params: FileListParams) =>
      http.json({ ...beta(options), method: "GET", path: "/v1/files", query: { ...pageQuery(params), ids: params.ids } }))
  const download = (path: string, options: CallOptions | undefined) => ({
    ...beta(options),
    method: "GET" as const,
    path: `${path}/content`,
    headers: { accept: "application/binary", ...options?.headers }
  })
  return {
    uploadFile: (source, options) =>
      Effect.suspend(() => {
        const watch: SourceWatch = { failure: undefined, onProgress: options?.onProgress }
        return Result.match(bodyOf(source, watch), {
          onFailure: Effect.fail,
          onSuccess: ({ body, replayable }) =>
            Effect.flatMap(
              http.json({
                ...beta(options),
                path: "/v1/files",
                rawBody: body,
                bodyFailure: () => watch.failure,
                // A second upload after a lost answer would be a second file: retried only when surely not stored.
                retry: "unprocessed",
                ...(replayable ? {} : { maxRetries: 0 })
              }),
              decodeFile
            )
        })
      }),
    listFiles: (params = {}, options) => list(options).page(params),
    files: (params = {}, options) => list(options).all(params),
    retrieveFile: (id, options) =>
      onFile(id, (path) => Effect.flatMap(http.json({ ...beta(options), method: "GET", path }), decodeFile), Effect.fail),
    downloadFile: (id, options) =>
      onFile(id, (path) => {
        const onProgress = options?.onProgress
        // Counted only when someone listens: the plain stream has nothing between its chunks and the reader.
        return onProgress === undefined
          ? http.stream(download(path, options), watchedBytes)
          : Stream.unwrap(Effect.map(
            http.streamWithResponse(download(path, options), watchedBytes),
            ({ response, stream }) => countedStream(stream, announcedSize(response.headers), onProgress)
          ))
      }, Stream.fail),
    downloadFileWithResponse: (id, options) =>
      onFile(
        id,
        (path) =>
          Effect.map(
            http.streamWithResponse(download(path, options), watchedBytes),
            ({ pull, response, stream }) => {
              const onProgress = options?.onProgress
              if (onProgress === undefined) return { ...response, stream, pull }
              const total = announcedSize(response.headers)
              return { ...response, stream: countedStream(stream, total, onProgress), pull: countedPull(pull, total, onProgress) }
            }
          ),
        Effect.fail
      ),
    deleteFile: (id, options) =>
      onFile(id, (path) => Effect.flatMap(http.json({ ...beta(options), method: "DELETE", path, retry: "unprocessed" }), decodeDeleted), Effect.fail)
  }
}
