/**
 * `batches create|list|get|results|cancel`: Message Batches from the command line. Data goes to stdout (a line a
 * batch or result, or the API's JSON a line with `--json`); `create --wait` shows the request counts on stderr while
 * it waits (see `progress`). Every server value is escaped.
 */
import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { LlmError } from "../internal/errors.js"
import type * as MessageBatches from "../MessageBatches.js"
import { readBatchFile } from "./batchFile.js"
import { json, type ProgressOptions, quiet, type ResourceOptions, resourceOptions, run } from "./commandParts.js"
import { connect } from "./connect.js"
import type { BatchFileError } from "./errors.js"
import { cell, fieldLines, jsonLine } from "./layout.js"
import { stderrSink } from "./output.js"
import * as Progress from "./progress.js"

/** What every `batches` body is given: its configuration, and where its lines go. */
export type BatchesOptions = ResourceOptions

type Counts = MessageBatches.MessageBatch["request_counts"]

const countsText = (c: Counts): string =>
  `processing ${c.processing} · succeeded ${c.succeeded} · errored ${c.errored} · canceled ${c.canceled} · expired ${c.expired}`

/** One batch as a line: id, status, when it was created, its request counts. */
export const batchLine = (batch: MessageBatches.MessageBatch): string =>
  `${cell(batch.id).padEnd(30)} ${cell(batch.processing_status).padEnd(11)} ${cell(batch.created_at)}  ${countsText(batch.request_counts)}`

/** A wait's progress as a step: how many requests have a result, of all of them. */
export const batchStep = (progress: MessageBatches.BatchProgress): Progress.Step => ({
  fraction: progress.total === 0 ? undefined : progress.done / progress.total,
  text: `batch ${progress.id} ${progress.processingStatus}: ${progress.done} of ${progress.total} done ` +
    `(${countsText(progress.requestCounts)})`
})

const MAX_PREVIEW = 120

/** One result as a line: its custom_id, what became of it, and the reply's text or the error (cut to a line). */
export const resultLine = (line: MessageBatches.BatchResult): string => {
  const result = line.result as { readonly type: string }
  const detail = line.result.type === "succeeded"
    ? line.result.message.content.map((block) => block.type === "text" ? block.text : `[${block.type}]`).join(" ")
    : line.result.type === "errored"
    ? `${line.result.error.error.type}: ${line.result.error.error.message}`
    : ""
  const preview = detail.length > MAX_PREVIEW ? `${detail.slice(0, MAX_PREVIEW)}…` : detail
  return `${cell(line.custom_id)}  ${cell(result.type)}${preview === "" ? "" : `  ${cell(preview)}`}`
}

/** `batches create FILE.jsonl [--wait]`: the batch's line; with `--wait`, its line again once it has ended. */
export const create = (options: BatchesOptions & ProgressOptions & { readonly file: string; readonly wait: boolean }): Effect.Effect<void, LlmError | BatchFileError, Scope.Scope> =>
  Effect.gen(function*() {
    const params = yield* readBatchFile(options.file)
    const client = yield* connect(options)
    const created = yield* client.createBatch(params)
    options.write(batchLine(created))
    if (!options.wait) return
    const ended = yield* Progress.withReporter(options.progress, options.quiet, (reporter) =>
      client.waitForBatch(created.id, { onProgress: (progress) => reporter.report(batchStep(progress)) }))
    options.write(batchLine(ended))
  })

/** `batches list [--json]`: every batch, newest first. */
export const list = (options: BatchesOptions & { readonly json: boolean }): Effect.Effect<void, LlmError, Scope.Scope> =>
  Effect.flatMap(connect(options), (client) =>
    Stream.runForEach(client.batches({ limit: 100 }), (batch) =>
      Effect.sync(() => options.write(options.json ? jsonLine(batch) : batchLine(batch)))))

/** `batches get ID [--json]`: the batch, a field a line. */
export const get = (options: BatchesOptions & { readonly id: string; readonly json: boolean }): Effect.Effect<void, LlmError, Scope.Scope> =>
  Effect.gen(function*() {
    const batch = yield* (yield* connect(options)).retrieveBatch(options.id)
    for (const line of options.json ? [jsonLine(batch)] : fieldLines(batch)) options.write(line)
  })

/** `batches results ID [--json]`: a line a result, or the results file's JSON objects. */
export const results = (options: BatchesOptions & { readonly id: string; readonly json: boolean }): Effect.Effect<void, LlmError, Scope.Scope> =>
  Effect.flatMap(connect(options), (client) =>
    Stream.runForEach(client.batchResults(options.id), (line) =>
      Effect.sync(() => options.write(options.json ? jsonLine(line) : resultLine(line)))))

/** `batches cancel ID`: the batch's line (`canceling` until it has ended). */
export const cancel = (options: BatchesOptions & { readonly id: string }): Effect.Effect<void, LlmError, Scope.Scope> =>
  Effect.gen(function*() {
    const batch = yield* (yield* connect(options)).cancelBatch(options.id)
    options.write(batchLine(batch))
  })

// ---------------------------------------------------------------------------------------------------------------
// The commands
// ---------------------------------------------------------------------------------------------------------------

const id = Argument.String("id").pipe(Argument.withDescription("the batch's id (msgbatch_…)"))

/** `batches` and its subcommands, with the `--config` flag the other commands take. */
export const command = (config: Flag.Flag<Option.Option<string>>) => {
  const createCommand = Command.make("create", {
    file: Argument.String("FILE.jsonl").pipe(Argument.withDescription("one request a line: {\"custom_id\", \"params\"}")),
    wait: Flag.Boolean("wait").pipe(
      Flag.withDescription("wait until the batch has ended, showing its progress on stderr"),
      Flag.withDefault(false)
    ),
    quiet,
    config
  }, (o) => run(create({ ...resourceOptions(o.config), file: o.file, wait: o.wait, quiet: o.quiet, progress: stderrSink }))).pipe(
    Command.withDescription("create a batch from a JSON Lines file; prints its id and status")
  )
  const listCommand = Command.make("list", { json, config }, (o) => run(list({ ...resourceOptions(o.config), json: o.json }))).pipe(
    Command.withDescription("list the batches, newest first")
  )
  const getCommand = Command.make("get", { id, json, config }, (o) => run(get({ ...resourceOptions(o.config), id: o.id, json: o.json }))).pipe(
    Command.withDescription("show a batch: its status, request counts and times")
  )
  const resultsCommand = Command.make("results", { id, json, config }, (o) =>
    run(results({ ...resourceOptions(o.config), id: o.id, json: o.json }))).pipe(
      Command.withDescription("the results of an ended batch, one a line (--json: the API's JSON Lines)")
    )
  const cancelCommand = Command.make("cancel", { id, config }, (o) => run(cancel({ ...resourceOptions(o.config), id: o.id }))).pipe(
    Command.withDescription("cancel a batch that is still processing")
  )
  return Command.make("batches").pipe(
    Command.withDescription("Message Batches: create, list, get, results, cancel"),
    Command.withSubcommands([createCommand, listCommand, getCommand, resultsCommand, cancelCommand])
  )
}
