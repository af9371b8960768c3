/**
 * `files upload|list|get|download|delete`: the Files API from the command line. Data goes to stdout (the new file's
 * id, a line a file, a file's bytes); uploads and downloads show their bytes on stderr (see `progress`). `download -o
 * PATH` writes PATH whole or not at all (see `output`); without `-o` the bytes go to stdout, which must then not be a
 * terminal. Every server value printed is escaped.
 */
import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as path from "node:path"
import type * as Files from "../Files.js"
import type { LlmError } from "../internal/errors.js"
import { json, type ProgressOptions, quiet, type ResourceOptions, resourceOptions, run } from "./commandParts.js"
import { connect } from "./connect.js"
import { OutputError } from "./errors.js"
import { cell, fieldLines, formatBytes, jsonLine } from "./layout.js"
import { type BytesOutput, stderrSink, stdoutBytes, writeAtomically } from "./output.js"
import * as Progress from "./progress.js"

/** What every `files` body is given: its configuration, and where its lines go. */
export type FilesOptions = ResourceOptions

/** One file as a line: id, size, when it was created, type, name. */
export const fileLine = (file: Files.FileMetadata): string =>
  `${cell(file.id).padEnd(30)} ${formatBytes(file.size_bytes).padStart(10)}  ${cell(file.created_at)}  ` +
  `${cell(file.mime_type).padEnd(24)} ${cell(file.filename)}`

/** A transfer's progress as a step: bytes so far, of the total when it is known. */
export const transferStep = (what: string, progress: Files.TransferProgress): Progress.Step => ({
  fraction: progress.total === undefined || progress.total === 0 ? undefined : progress.bytes / progress.total,
  text: `${what}: ${formatBytes(progress.bytes)}${progress.total === undefined ? "" : ` of ${formatBytes(progress.total)}`}`
})

/** `files upload PATH`: the new file's id. */
export const upload = (options: FilesOptions & ProgressOptions & { readonly path: string }): Effect.Effect<void, LlmError, Scope.Scope> =>
  Effect.gen(function*() {
    const client = yield* connect(options)
    const what = `uploading ${path.basename(options.path)}`
    const file = yield* Progress.withReporter(options.progress, options.quiet, (reporter) =>
      client.uploadFile({ path: options.path }, { onProgress: (progress) => reporter.report(transferStep(what, progress)) }))
    options.write(cell(file.id))
  })

/** `files list [--json]`: every file, newest first. */
export const list = (options: FilesOptions & { readonly json: boolean }): Effect.Effect<void, LlmError, Scope.Scope> =>
  Effect.flatMap(connect(options), (client) =>
    Stream.runForEach(client.files({ limit: 100 }), (file) =>
      Effect.sync(() => options.write(options.json ? jsonLine(file) : fileLine(file)))))

/** `files get ID [--json]`: the file's metadata, a field a line. */
export const get = (options: FilesOptions & { readonly id: string; readonly json: boolean }): Effect.Effect<void, LlmError, Scope.Scope> =>
  Effect.gen(function*() {
    const file = yield* (yield* connect(options)).retrieveFile(options.id)
    for (const line of options.json ? [jsonLine(file)] : fieldLines(file)) options.write(line)
  })

/**
 * `files download ID [-o PATH]`: the file's bytes into PATH (whole or not at all), or onto `stdout` when it is not a
 * terminal.
 */
export const download = (options: FilesOptions & ProgressOptions & {
  readonly id: string
  readonly output: string | undefined
  readonly stdout: BytesOutput
}): Effect.Effect<void, LlmError | OutputError, Scope.Scope> =>
  Effect.gen(function*() {
    if (options.output === undefined && options.stdout.isTTY) {
      return yield* new OutputError({
        target: "stdout",
        detail: "it is a terminal, which a file's bytes could garble. Give -o PATH, or redirect stdout (> FILE)"
      })
    }
    const client = yield* connect(options)
    yield* Progress.withReporter(options.progress, options.quiet, (reporter) => {
      const bytes = client.downloadFile(options.id, {
        onProgress: (progress) => reporter.report(transferStep(`downloading ${options.id}`, progress))
      })
      return options.output === undefined
        ? Stream.runForEach(bytes, options.stdout.write)
        : writeAtomically(options.output, bytes)
    })
  })

/** `files delete ID`: the deleted file's id. */
export const remove = (options: FilesOptions & { readonly id: string }): Effect.Effect<void, LlmError, Scope.Scope> =>
  Effect.gen(function*() {
    const deleted = yield* (yield* connect(options)).deleteFile(options.id)
    options.write(`${cell(deleted.id)} deleted`)
  })

// ---------------------------------------------------------------------------------------------------------------
// The commands
// ---------------------------------------------------------------------------------------------------------------

const id = Argument.String("id").pipe(Argument.withDescription("the file's id (file_…)"))

/** `files` and its subcommands, with the `--config` flag the other commands take. */
export const command = (config: Flag.Flag<Option.Option<string>>) => {
  const uploadCommand = Command.make("upload", {
    path: Argument.String("path").pipe(Argument.withDescription("the file to upload")),
    quiet,
    config
  }, (o) => run(upload({ ...resourceOptions(o.config), path: o.path, quiet: o.quiet, progress: stderrSink }))).pipe(
    Command.withDescription("upload a file; prints its id")
  )
  const listCommand = Command.make("list", { json, config }, (o) => run(list({ ...resourceOptions(o.config), json: o.json }))).pipe(
    Command.withDescription("list the files, newest first")
  )
  const getCommand = Command.make("get", { id, json, config }, (o) => run(get({ ...resourceOptions(o.config), id: o.id, json: o.json }))).pipe(
    Command.withDescription("show a file's metadata")
  )
  const downloadCommand = Command.make("download", {
    id,
    output: Flag.String("output").pipe(
      Flag.withAlias("o"),
      Flag.withDescription("write the file here (whole or not at all) instead of to stdout"),
      Flag.optional
    ),
    quiet,
    config
  }, (o) =>
    run(download({
      ...resourceOptions(o.config),
      id: o.id,
      output: Option.getOrUndefined(o.output),
      quiet: o.quiet,
      progress: stderrSink,
      stdout: stdoutBytes
    }))).pipe(Command.withDescription("download a file (one a tool made) to stdout or -o PATH"))
  const deleteCommand = Command.make("delete", { id, config }, (o) => run(remove({ ...resourceOptions(o.config), id: o.id }))).pipe(
    Command.withDescription("delete a file")
  )
  return Command.make("files").pipe(
    Command.withDescription("Files (beta): upload, list, get, download, delete"),
    Command.withSubcommands([uploadCommand, listCommand, getCommand, downloadCommand, deleteCommand])
  )
}
