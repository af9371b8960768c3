/**
 * The stand-in's Models, Message Batches and Files endpoints: in memory, paginated as the API paginates, with the
 * API's error answers for what it refuses. The helpers it shares with the rest of the stand-in are passed in, so
 * this module does not import the stand-in back.
 */
import type * as http from "node:http"
import type { BatchResult, MessageBatch } from "../resources/messageBatches.js"
import type * as Messages from "../messages/message.js"
import type { FileMetadata } from "../resources/files.js"
import type { ModelInfo } from "../resources/models.js"
import { find, notFound as modelNotFound } from "./catalogue.js"
import type { RecordedRequest, Reply } from "./types.js"

interface Helpers {
  readonly nextId: (prefix: string) => string
  readonly error: (status: number, options?: { readonly errorType?: string; readonly message?: string }) => Reply
  /** What the stand-in answers to `POST /v1/messages` with these params (the echo, by default). */
  readonly answer: (params: Messages.MessageCreateParams) => Messages.Message
  /** The models `GET /v1/models` lists (see `catalogue.ts`). */
  readonly models: Array<ModelInfo>
}

/**
 * A batch as the stand-in keeps it.
 *
 * @since 0.2.0
 * @category models
 */
export interface StoredBatch {
  batch: MessageBatch
  readonly requests: ReadonlyArray<{ readonly custom_id: string; readonly params: Messages.MessageCreateParams }>
  /** Retrieves so far (a batch ends after `endAfterPolls` of them). */
  polls: number
  /** The results file's lines, once it has ended. */
  lines?: () => Iterable<string> | AsyncIterable<string>
}

/**
 * The stand-in's Message Batches: what was created, and how batches end.
 *
 * @since 0.2.0
 * @category models
 */
export interface BatchServer {
  /** Every batch, newest first. */
  readonly all: () => ReadonlyArray<StoredBatch>
  /** Retrieves after which a batch in progress ends by itself (default 2; 0: it ends at once). */
  readonly setEndAfterPolls: (polls: number) => void
  /** End a batch now, with a result per request from `resultFor` (default: the stand-in's answer, succeeded). */
  readonly end: (id: string) => void
  /** How each request turns out when its batch ends. */
  readonly setResultFor: (f: (request: StoredBatch["requests"][number]) => BatchResult["result"]) => void
  /** Serve these lines as the batch's results file (any number, produced as they are written: a huge file). */
  readonly setResultLines: (id: string, lines: () => Iterable<string> | AsyncIterable<string>) => void
}

/**
 * The stand-in's Files.
 *
 * @since 0.2.0
 * @category models
 */
export interface FileServer {
  /** Every file and its bytes, newest first. */
  readonly all: () => ReadonlyArray<{ readonly metadata: FileMetadata; readonly bytes: Uint8Array }>
  /** Add a file as a tool would make it (downloadable by default). */
  readonly add: (file: { readonly filename: string; readonly bytes: Uint8Array; readonly mimeType?: string; readonly downloadable?: boolean }) => FileMetadata
  /** Whether uploaded files can be downloaded (the API says no: only files tools made; default false). */
  readonly setDownloadableUploads: (on: boolean) => void
}

/** A reply the stand-in writes itself, with backpressure. */
const writer = (write: (res: http.ServerResponse) => void): Reply => ({ type: "write", write })

/**
 * One page of `items` (newest first) as the API pages: `limit` (1–1000, default 20), `after_id` / `before_id`.
 */
const page = <A extends { readonly id: string }>(
  items: ReadonlyArray<A>,
  query: URLSearchParams,
  helpers: Helpers
): Reply => {
  const limitText = query.get("limit")
  const limit = limitText === null ? 20 : Number(limitText)
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    return helpers.error(400, { message: "limit: Input should be between 1 and 1000" })
  }
  const after = query.get("after_id")
  const before = query.get("before_id")
  let start = 0
  let end = items.length
  if (after !== null) {
    const at = items.findIndex((item) => item.id === after)
    if (at === -1) return helpers.error(400, { message: `after_id: no such id ${after}` })
    start = at + 1
  }
  if (before !== null) {
    const at = items.findIndex((item) => item.id === before)
    if (at === -1) return helpers.error(400, { message: `before_id: no such id ${before}` })
    end = at
  }
  // Backwards, the page is the `limit` items just before `before_id`.
  const data = before !== null && after === null
    ? items.slice(Math.max(start, end - limit), end)
    : items.slice(start, Math.min(end, start + limit))
  const first = data[0]?.id ?? null
  const last = data[data.length - 1]?.id ?? null
  const hasMore = before !== null && after === null ? end - data.length > start : start + data.length < end
  return { type: "json", status: 200, body: { data, has_more: hasMore, first_id: first, last_id: last } }
}

const json = (body: unknown): Reply => ({ type: "json", status: 200, body })

const counts = () => ({ processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 })

/** Resolves when the socket takes more (or the client went away); leaves no listener behind. */
const drained = (res: http.ServerResponse) =>
  new Promise<void>((resolve) => {
    const done = () => {
      res.off("drain", done)
      res.off("close", done)
      resolve()
    }
    res.on("drain", done)
    res.on("close", done)
  })

/** Writes `lines` as the answer, waiting for the socket whenever it is full: memory stays flat for any size. */
const writeLines = (lines: Iterable<string> | AsyncIterable<string>, contentType: string, requestId: string): Reply => writer((res) => {
  res.writeHead(200, { "content-type": contentType, "request-id": requestId })
  void (async () => {
    for await (const line of lines) {
      if (res.destroyed) return
      if (!res.write(`${line}\n`)) {
        await drained(res)
      }
    }
    res.end()
  })().catch(() => res.destroy())
})

/** Writes `bytes` in 64 KiB pieces, waiting for the socket when it is full. */
const writeBytes = (bytes: Uint8Array, contentType: string, requestId: string): Reply => writer((res) => {
  res.writeHead(200, { "content-type": contentType, "content-length": bytes.length, "request-id": requestId })
  void (async () => {
    for (let at = 0; at < bytes.length; at += 65_536) {
      if (res.destroyed) return
      if (!res.write(bytes.subarray(at, at + 65_536))) {
        await drained(res)
      }
    }
    res.end()
  })()
})

/** The resources, and the router that answers their requests (`undefined`: not one of theirs). */
export const makeResources = (helpers: Helpers) => {
  const models = helpers.models
  const batches: Array<StoredBatch> = []
  const files: Array<{ metadata: FileMetadata; bytes: Uint8Array }> = []
  let endAfterPolls = 2
  let downloadableUploads = false
  let clock = Date.parse("2026-12-01T00:00:00Z")
  const now = () => new Date(clock += 1000).toISOString()
  let resultFor = (request: StoredBatch["requests"][number]): BatchResult["result"] => ({
    type: "succeeded",
    message: helpers.answer(request.params)
  })
  const notFound = (what: string, id: string) =>
    helpers.error(404, { errorType: "not_found_error", message: `${what} not found: ${id}` })

  const endBatch = (stored: StoredBatch, canceled: boolean) => {
    const requestCounts = counts()
    const results = stored.requests.map((request) => {
      const result: BatchResult["result"] = canceled ? { type: "canceled" } : resultFor(request)
      const type = (result as { readonly type: string }).type as keyof ReturnType<typeof counts>
      if (type in requestCounts) requestCounts[type]++
      return JSON.stringify({ custom_id: request.custom_id, result })
    })
    stored.lines ??= () => results
    stored.batch = {
      ...stored.batch,
      processing_status: "ended",
      request_counts: requestCounts,
      ended_at: now(),
      results_url: `/v1/messages/batches/${stored.batch.id}/results`
    }
  }

  const createBatch = (body: any): Reply => {
    const requests = body?.requests
    if (!Array.isArray(requests) || requests.length === 0) {
      return helpers.error(400, { message: "requests: at least one request is required" })
    }
    for (const request of requests) {
      if (typeof request?.custom_id !== "string" || typeof request?.params !== "object" || request.params === null) {
        return helpers.error(400, { message: "requests: each request needs custom_id and params" })
      }
    }
    const created = now()
    const stored: StoredBatch = {
      batch: {
        type: "message_batch",
        id: helpers.nextId("msgbatch"),
        processing_status: "in_progress",
        request_counts: { ...counts(), processing: requests.length },
        created_at: created,
        expires_at: new Date(Date.parse(created) + 86_400_000).toISOString(),
        ended_at: null,
        archived_at: null,
        cancel_initiated_at: null,
        results_url: null
      },
      requests,
      polls: 0
    }
    batches.unshift(stored)
    if (endAfterPolls === 0) endBatch(stored, false)
    return json(stored.batch)
  }

  const onBatch = (method: string, id: string, action: string | undefined): Reply => {
    const stored = batches.find((b) => b.batch.id === id)
    if (stored === undefined) return notFound("message batch", id)
    if (action === undefined && method === "GET") {
      stored.polls++
      if (stored.batch.processing_status === "canceling") endBatch(stored, true)
      else if (stored.batch.processing_status === "in_progress" && stored.polls >= endAfterPolls) endBatch(stored, false)
      return json(stored.batch)
    }
    if (action === "cancel" && method === "POST") {
      if (stored.batch.processing_status === "in_progress") {
        stored.batch = { ...stored.batch, processing_status: "canceling", cancel_initiated_at: now() }
      }
      return json(stored.batch)
    }
    if (action === undefined && method === "DELETE") {
      if (stored.batch.processing_status !== "ended") {
        return helpers.error(400, { message: `message batch ${id} is still processing: cancel it first` })
      }
      batches.splice(batches.indexOf(stored), 1)
      return json({ id, type: "message_batch_deleted" })
    }
    if (action === "results" && method === "GET") {
      if (stored.batch.processing_status !== "ended" || stored.lines === undefined) {
        return helpers.error(400, { message: `message batch ${id} has not ended: its results are not ready` })
      }
      return writeLines(stored.lines(), "application/x-jsonl", helpers.nextId("req"))
    }
    return helpers.error(405, { message: `${method} not allowed here` })
  }

  const upload = async (request: RecordedRequest): Promise<Reply> => {
    const type = request.headers["content-type"] ?? ""
    if (!type.startsWith("multipart/form-data")) return helpers.error(400, { message: "expected multipart/form-data" })
    let form: FormData
    try {
      form = await new Response(request.raw as Uint8Array<ArrayBuffer>, { headers: { "content-type": type } }).formData()
    } catch {
      return helpers.error(400, { message: "the multipart body could not be read" })
    }
    const file = form.get("file")
    if (file === null || typeof file === "string") return helpers.error(400, { message: "file: a file part is required" })
    const bytes = new Uint8Array(await file.arrayBuffer())
    return json(add({ filename: file.name, bytes, mimeType: file.type || "application/octet-stream", downloadable: downloadableUploads }))
  }

  const add: FileServer["add"] = (file) => {
    const metadata: FileMetadata = {
      type: "file",
      id: helpers.nextId("file"),
      filename: file.filename,
      mime_type: file.mimeType ?? "application/octet-stream",
      size_bytes: file.bytes.length,
      created_at: now(),
      downloadable: file.downloadable ?? true
    }
    files.unshift({ metadata, bytes: file.bytes })
    return metadata
  }

  const onFile = (method: string, id: string, action: string | undefined): Reply => {
    const stored = files.find((f) => f.metadata.id === id)
    if (stored === undefined) return notFound("file", id)
    if (action === undefined && method === "GET") return json(stored.metadata)
    if (action === "content" && method === "GET") {
      if (stored.metadata.downloadable !== true) {
        return helpers.error(400, { message: `file ${id} is not downloadable (only files made by tools are)` })
      }
      return writeBytes(stored.bytes, stored.metadata.mime_type, helpers.nextId("req"))
    }
    if (action === undefined && method === "DELETE") {
      files.splice(files.indexOf(stored), 1)
      return json({ id, type: "file_deleted" })
    }
    return helpers.error(405, { message: `${method} not allowed here` })
  }

  /** The answer to a request on one of these routes, or `undefined`. */
  const route = (request: RecordedRequest): Reply | undefined => {
    const url = new URL(request.path, "http://stand-in")
    let parts: Array<string> // ["v1", "models", id?]
    try {
      parts = url.pathname.split("/").slice(1).map(decodeURIComponent)
    } catch {
      return helpers.error(400, { message: "the path is not valid percent-encoded text" })
    }
    const method = request.method
    if (parts[0] !== "v1") return undefined
    if (parts[1] === "models") {
      if (parts.length === 2 && method === "GET") {
        // As the API: active and deprecated models unless other lifecycles are asked for (retired ones only then).
        const lifecycles = url.searchParams.getAll("lifecycle")
        const listed = (m: ModelInfo) =>
          lifecycles.length === 0 ? m.lifecycle !== "retired" : lifecycles.includes(m.lifecycle ?? "active")
        return page(models.filter(listed), url.searchParams, helpers)
      }
      if (parts.length === 3 && method === "GET") {
        // By id or alias; the answer names the model by its full id.
        const model = find(models, parts[2]!)
        return model === undefined ? modelNotFound(helpers.error, parts[2]!) : json(model)
      }
    }
    if (parts[1] === "messages" && parts[2] === "batches") {
      if (parts.length === 3) {
        if (method === "POST") return createBatch(request.body)
        if (method === "GET") return page(batches.map((b) => b.batch), url.searchParams, helpers)
      }
      if (parts.length === 4 || parts.length === 5) return onBatch(method, parts[3]!, parts[4])
    }
    if (parts[1] === "files") {
      if (request.headers["anthropic-beta"]?.split(",").includes("files-api-2025-04-14") !== true) {
        return helpers.error(400, { message: "the Files API needs anthropic-beta: files-api-2025-04-14" })
      }
      if (parts.length === 2) {
        if (method === "POST") return { type: "later", reply: upload(request) }
        if (method === "GET") return page(files.map((f) => f.metadata), url.searchParams, helpers)
      }
      if (parts.length === 3 || parts.length === 4) return onFile(method, parts[2]!, parts[3])
    }
    return undefined
  }

  const batchServer: BatchServer = {
    all: () => batches,
    setEndAfterPolls: (polls) => {
      endAfterPolls = polls
    },
    end: (id) => {
      const stored = batches.find((b) => b.batch.id === id)
      if (stored !== undefined && stored.batch.processing_status !== "ended") endBatch(stored, false)
    },
    setResultFor: (f) => {
      resultFor = f
    },
    setResultLines: (id, lines) => {
      const stored = batches.find((b) => b.batch.id === id)
      if (stored !== undefined) stored.lines = lines
    }
  }
  const fileServer: FileServer = {
    all: () => files,
    add,
    setDownloadableUploads: (on) => {
      downloadableUploads = on
    }
  }
  return { models, batches: batchServer, files: fileServer, route }
}
