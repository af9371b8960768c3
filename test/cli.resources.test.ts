/**
 * The `batches` and `files` commands against the stand-in: each body in-process (as main.ts runs it, see
 * `inProcess`), with stderr's terminal-ness given by the test to see the progress bar, the plain lines and `--quiet`;
 * batch files checked line by line; downloads written whole or not at all; and one run of each command group in its
 * own process, through `src/cli/main.ts`, for the wiring.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { parseBatchLines } from "../src/cli/batchFile.js"
import * as Batches from "../src/cli/batches.js"
import * as Files from "../src/cli/files.js"
import type { BytesOutput } from "../src/cli/output.js"
import type * as MessageBatches from "../src/MessageBatches.js"
import * as StandIn from "../src/testing/StandIn.js"
import { cli, CLI_TEST_TIMEOUT_MS, fixture, inProcess } from "./cliHelpers.js"
import { realPause, runClocked, tempDir, writeFile } from "./helpers.js"
import { fakeSink } from "./progressSink.js"

/** Anything a terminal would act on, except line feeds and tabs. */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/

const configLines = (standIn: StandIn.StandIn) => [
  "providers:",
  "  anthropic:",
  "    api_key: sk-ant-api03-resources",
  `    base_url: ${standIn.url}`,
  "    auth:",
  "      mode: static"
]

/** A stand-in, a config file pointing at it, and a temp dir, for one test. */
const setup = Effect.gen(function*() {
  const standIn = yield* StandIn.scoped()
  const dir = yield* tempDir
  const configPath = path.join(dir, "llm.yaml")
  yield* writeFile(configPath, [...configLines(standIn), ""].join("\n"))
  return { standIn, dir, base: { configPath, env: {} } }
})

const request = (customId: string, text: string) =>
  JSON.stringify({ custom_id: customId, params: { model: "claude-haiku-4-5", max_tokens: 16, messages: [{ role: "user", content: text }] } })

/** A batch file of `lines` in `dir`. */
const batchFile = (dir: string, lines: ReadonlyArray<string>, name = "batch.jsonl") =>
  Effect.as(writeFile(path.join(dir, name), lines.join("\n")), path.join(dir, name))

/** A body's `write` of lines onto `inProcess`'s stdout, as main.ts points it at stdout (a line feed after each). */
const toLines = (write: (text: string) => void) => (line: string) => write(`${line}\n`)

/** A stdout for bytes that keeps them. */
const bytesOut = (isTTY = false) => {
  const chunks: Array<Uint8Array> = []
  const out: BytesOutput = { isTTY, write: (bytes) => Effect.sync(() => void chunks.push(bytes)) }
  return { out, bytes: () => Buffer.concat(chunks) }
}

const exists = (file: string) => Effect.promise(() => fs.access(file).then(() => true, () => false))
const listDir = (dir: string) => Effect.promise(() => fs.readdir(dir))

describe("batches create", () => {
  it.effect("prints the batch's id and status; sends each line's request as the file has it (blank lines skipped)", () =>
    Effect.gen(function*() {
      const { base, dir, standIn } = yield* setup
      const file = yield* batchFile(dir, [request("q-1", "one"), "", request("q-2", "two"), ""])
      const run = yield* inProcess((write) =>
        Batches.create({ ...base, write: toLines(write), file, wait: false, quiet: false, progress: fakeSink(false) })
      )
      expect(run.code).toBe(0)
      const id = standIn.batches.all()[0]!.batch.id
      expect(run.stdout).toMatch(new RegExp(`^${id}\\s+in_progress\\s+\\S+\\s+processing 2 · succeeded 0 · errored 0 · canceled 0 · expired 0\\n$`))
      expect(standIn.batches.all()[0]!.requests).toEqual([JSON.parse(request("q-1", "one")), JSON.parse(request("q-2", "two"))])
    }))

  it.effect("a bad line fails naming the file and its line, and nothing is sent", () =>
    Effect.gen(function*() {
      const { base, dir, standIn } = yield* setup
      const create = (file: string) =>
        inProcess((write) => Batches.create({ ...base, write: toLines(write), file, wait: false, quiet: false, progress: fakeSink(false) }))
      const notJson = yield* batchFile(dir, [request("a", "x"), "", "{\"custom_id\": \"b\", params: {}}"], "bad.jsonl")
      const run = yield* create(notJson)
      expect(run.code).toBe(1)
      expect(run.stdout).toBe("")
      expect(run.stderr).toContain(`BatchFileError: ${notJson}: line 3: not valid JSON (at column 20). Nothing was sent.`)
      expect(run.stderr).toContain(`Each line of a batch file is one request: {"custom_id"`)
      const noMaxTokens = yield* batchFile(dir, [request("a", "x"), JSON.stringify({ custom_id: "b", params: { model: "m", messages: [] } })], "m.jsonl")
      // Effect 4's wording of a schema's issue ("Missing key" for Effect 3's "is missing").
      expect((yield* create(noMaxTokens)).stderr).toContain(`line 2 (custom_id "b"): params.max_tokens: Missing key`)
      const missing = yield* create(path.join(dir, "nope.jsonl"))
      expect(missing.stderr).toContain(`${path.join(dir, "nope.jsonl")}: cannot read it (ENOENT)`)
      expect(standIn.requests).toEqual([])
    }))

  it("each line is checked as createBatch checks a request, named by its line number", () => {
    const why = (lines: ReadonlyArray<string>) => Option.getOrUndefined(Result.getFailure(parseBatchLines(lines.join("\n"))))
    expect(why([request("a", "x"), request("a", "y")])).toBe(`line 2: custom_id "a" is already used on line 1`)
    expect(why(["", request("has space", "x")])).toContain(`line 2 (custom_id "has space"): custom_id must be 1 to 64 characters`)
    expect(why(["[1, 2]"])).toBe("line 1: a request must be an object { custom_id, params }")
    expect(why([JSON.stringify({ custom_id: "s", params: { ...JSON.parse(request("s", "x")).params, stream: true } })])).toContain("line 1 (custom_id \"s\"): params.stream must not be true")
    expect(why(["", "  "])).toBe("it holds no requests")
    // A BOM and CRLF line ends are fine.
    expect(Result.isSuccess(parseBatchLines(`\uFEFF${request("a", "x")}\r\n${request("b", "y")}\r\n`))).toBe(true)
  })
})

describe("batches create --wait: progress on stderr", () => {
  /** A batch of three waited on (ending at the fourth poll, on the TestClock), its progress going to `sink`. */
  const waited = (sink: ReturnType<typeof fakeSink>, quiet = false) =>
    Effect.gen(function*() {
      const { base, dir, standIn } = yield* setup
      standIn.batches.setEndAfterPolls(4)
      const file = yield* batchFile(dir, [request("a", "1"), request("b", "2"), request("c", "3")])
      const { exit, waits } = yield* runClocked(
        inProcess((write) => Effect.scoped(Batches.create({ ...base, write: toLines(write), file, wait: true, quiet, progress: sink })))
      )
      if (!Exit.isSuccess(exit)) return yield* Effect.die(new Error(Cause.pretty(exit.cause)))
      const run = exit.value
      expect(run.code).toBe(0)
      expect(waits).toEqual([1000, 2000, 4000])
      // stdout: the batch as created, then as ended; no progress in it.
      const lines = run.stdout.trimEnd().split("\n")
      expect(lines.length).toBe(2)
      expect(lines[0]).toMatch(/^msgbatch_\w+\s+in_progress\s/)
      expect(lines[1]).toMatch(/^msgbatch_\w+\s+ended\s+\S+\s+processing 0 · succeeded 3 · errored 0 · canceled 0 · expired 0$/)
      expect(run.stdout).not.toMatch(/%|\r/)
      return { run, id: standIn.batches.all()[0]!.batch.id }
    })

  it.effect("on a terminal: one line redrawn with \\r as a bar, ended by one line feed", () =>
    Effect.gen(function*() {
      const sink = fakeSink(true)
      const { id } = yield* waited(sink)
      expect(sink.writes.length).toBe(5) // four polls, and the end of the line
      expect(sink.writes.slice(0, 4).every((w) => w.startsWith("\r") && !w.includes("\n"))).toBe(true)
      expect(sink.writes[0]).toBe(`\r[--------------------]   0 % batch ${id} in_progress: 0 of 3 done (processing 3 · succeeded 0 · errored 0 · canceled 0 · expired 0)`)
      expect(sink.writes[3]!.trimEnd()).toBe(`\r[####################] 100 % batch ${id} ended: 3 of 3 done (processing 0 · succeeded 3 · errored 0 · canceled 0 · expired 0)`)
      // "ended" is shorter than "in_progress": padded with spaces to wipe the rest of the line before.
      expect(sink.writes[3]!.length).toBe(sink.writes[2]!.length)
      expect(sink.writes[4]).toBe("\n")
    }))

  it.effect("not a terminal: plain lines, no \\r (the polls are a second or more apart: each is a line)", () =>
    Effect.gen(function*() {
      const sink = fakeSink(false)
      const { id } = yield* waited(sink)
      expect(sink.text()).not.toContain("\r")
      const lines = sink.text().trimEnd().split("\n")
      expect(lines).toEqual([
        ...Array.from({ length: 3 }, () => `batch ${id} in_progress: 0 of 3 done (processing 3 · succeeded 0 · errored 0 · canceled 0 · expired 0) (0 %)`),
        `batch ${id} ended: 3 of 3 done (processing 0 · succeeded 3 · errored 0 · canceled 0 · expired 0) (100 %)`
      ])
    }))

  it.effect("--quiet: no progress at all, the same stdout", () =>
    Effect.gen(function*() {
      for (const isTTY of [true, false]) {
        const sink = fakeSink(isTTY)
        const { run } = yield* waited(sink, true)
        expect(sink.writes).toEqual([])
        expect(run.stderr).toBe("")
      }
    }))
})

describe("batches list, get, results, cancel", () => {
  /** A batch of two ended at once, the second request errored with a hostile message. */
  const endedBatch = Effect.gen(function*() {
    const context = yield* setup
    context.standIn.batches.setEndAfterPolls(0)
    context.standIn.batches.setResultFor((r) =>
      r.custom_id === "ok"
        ? { type: "succeeded", message: StandIn.messageJson([{ type: "text", text: "fine\x1b[2J\nline two" }]) as never }
        : { type: "errored", error: { type: "error", error: { type: "overloaded_error", message: "busy\x07\u202e" }, request_id: null } }
    )
    const file = yield* batchFile(context.dir, [request("ok", "1"), request("bad", "2")])
    yield* inProcess((write) => Batches.create({ ...context.base, write: toLines(write), file, wait: false, quiet: true, progress: fakeSink(false) }))
    return { ...context, id: context.standIn.batches.all()[0]!.batch.id }
  })

  it.effect("list: a line a batch, newest first; --json: the API's objects", () =>
    Effect.gen(function*() {
      const { base, id, standIn } = yield* endedBatch
      const table = yield* inProcess((write) => Batches.list({ ...base, write: toLines(write), json: false }))
      expect(table.stdout).toMatch(new RegExp(`^${id}\\s+ended\\s+\\S+\\s+processing 0 · succeeded 1 · errored 1 · canceled 0 · expired 0\\n$`))
      const json = yield* inProcess((write) => Batches.list({ ...base, write: toLines(write), json: true }))
      expect(json.stdout.trimEnd().split("\n").map((l) => JSON.parse(l))).toEqual([standIn.batches.all()[0]!.batch])
    }))

  it.effect("get: a field a line (nested counts as request_counts.x); --json: the object", () =>
    Effect.gen(function*() {
      const { base, id, standIn } = yield* endedBatch
      const fields = yield* inProcess((write) => Batches.get({ ...base, write: toLines(write), id, json: false }))
      expect(fields.stdout).toContain(`id: ${id}\nprocessing_status: ended\nrequest_counts.processing: 0\nrequest_counts.succeeded: 1\n`)
      expect(fields.stdout).toContain("archived_at: -\n")
      const json = yield* inProcess((write) => Batches.get({ ...base, write: toLines(write), id, json: true }))
      expect(JSON.parse(json.stdout)).toEqual(standIn.batches.all()[0]!.batch)
      const missing = yield* inProcess((write) => Batches.get({ ...base, write: toLines(write), id: "msgbatch_nope", json: false }))
      expect(missing.code).toBe(1)
      expect(missing.stderr).toContain("not_found_error")
    }))

  it.effect("results: a line a result, server text escaped; --json: the results file's objects, still parsing to the same", () =>
    Effect.gen(function*() {
      const { base, id } = yield* endedBatch
      const text = yield* inProcess((write) => Batches.results({ ...base, write: toLines(write), id, json: false }))
      expect(text.code).toBe(0)
      expect(text.stdout).toBe("ok  succeeded  fine\\x1b[2J\\nline two\nbad  errored  overloaded_error: busy\\x07\\u202e\n")
      const json = yield* inProcess((write) => Batches.results({ ...base, write: toLines(write), id, json: true }))
      expect(json.stdout).not.toMatch(RAW_CONTROL)
      const lines: Array<MessageBatches.BatchResult> = json.stdout.trimEnd().split("\n").map((l) => JSON.parse(l))
      expect(lines.map((l) => [l.custom_id, l.result.type])).toEqual([["ok", "succeeded"], ["bad", "errored"]])
      expect(lines[1]!.result).toMatchObject({ error: { error: { message: "busy\x07\u202e" } } })
    }))

  it.effect("cancel: the batch, canceling", () =>
    Effect.gen(function*() {
      const { base, dir, standIn } = yield* setup
      standIn.batches.setEndAfterPolls(100)
      const file = yield* batchFile(dir, [request("a", "1")])
      yield* inProcess((write) => Batches.create({ ...base, write: toLines(write), file, wait: false, quiet: true, progress: fakeSink(false) }))
      const id = standIn.batches.all()[0]!.batch.id
      const run = yield* inProcess((write) => Batches.cancel({ ...base, write: toLines(write), id }))
      expect(run.stdout).toMatch(new RegExp(`^${id}\\s+canceling\\s`))
      expect(standIn.requests.at(-1)).toMatchObject({ method: "POST", path: `/v1/messages/batches/${id}/cancel` })
    }))
})

describe("files upload", () => {
  it.effect("prints the new file's id alone on stdout; the bytes sent go to stderr: a bar, plain lines, or nothing", () =>
    Effect.gen(function*() {
      const { base, dir, standIn } = yield* setup
      const file = path.join(dir, "report.pdf")
      const bytes = randomBytes(1024 * 1024)
      yield* Effect.promise(() => fs.writeFile(file, bytes))
      const upload = (sink: ReturnType<typeof fakeSink>, quiet: boolean) =>
        inProcess((write) => Files.upload({ ...base, write: toLines(write), path: file, quiet, progress: sink }))
      const tty = fakeSink(true)
      const run = yield* upload(tty, false)
      expect(run.code).toBe(0)
      expect(run.stdout).toBe(`${standIn.files.all()[0]!.metadata.id}\n`)
      expect(Buffer.compare(Buffer.from(standIn.files.all()[0]!.bytes), bytes)).toBe(0)
      expect(tty.writes[0]).toMatch(/^\r\[[#-]{20}\]\s+\d+ % uploading report\.pdf: [\d.]+ KiB of 1\.0 MiB$/)
      expect(tty.writes.at(-2)!.trimEnd()).toBe("\r[####################] 100 % uploading report.pdf: 1.0 MiB of 1.0 MiB")
      expect(tty.writes.at(-1)).toBe("\n")
      const plain = fakeSink(false)
      yield* upload(plain, false)
      expect(plain.text()).not.toContain("\r")
      expect(plain.text().trimEnd().split("\n").at(-1)).toBe("uploading report.pdf: 1.0 MiB of 1.0 MiB (100 %)")
      const quiet = fakeSink(true)
      const silent = yield* upload(quiet, true)
      expect(quiet.writes).toEqual([])
      expect(silent.stdout).toMatch(/^file_\w+\n$/)
      expect(standIn.files.all().length).toBe(3)
    }))

  it.effect("a file that cannot be read: one clear error, nothing sent", () =>
    Effect.gen(function*() {
      const { base, dir, standIn } = yield* setup
      const run = yield* inProcess((write) => Files.upload({ ...base, write: toLines(write), path: path.join(dir, "gone.pdf"), quiet: false, progress: fakeSink(false) }))
      expect(run.code).toBe(1)
      expect(run.stderr).toContain(`cannot read ${path.join(dir, "gone.pdf")} to upload it: ENOENT`)
      expect(standIn.requests).toEqual([])
    }))
})

describe("files list, get, delete", () => {
  it.effect("list: a line a file (hostile names escaped); --json the API's objects; get: a field a line; delete: the id", () =>
    Effect.gen(function*() {
      const { base, standIn } = yield* setup
      const a = standIn.files.add({ filename: "a.csv", bytes: new Uint8Array(2048), mimeType: "text/csv" })
      const b = standIn.files.add({ filename: "evil\x1b]0;pwned\x07.txt", bytes: new Uint8Array(10) })
      const table = yield* inProcess((write) => Files.list({ ...base, write: toLines(write), json: false }))
      const lines = table.stdout.trimEnd().split("\n")
      expect(lines[0]).toMatch(new RegExp(`^${b.id}\\s+10 B\\s+\\S+\\s+application/octet-stream\\s+evil\\\\x1b\\]0;pwned\\\\x07\\.txt$`))
      expect(lines[1]).toMatch(new RegExp(`^${a.id}\\s+2\\.0 KiB\\s+\\S+\\s+text/csv\\s+a\\.csv$`))
      expect(table.stdout).not.toMatch(RAW_CONTROL)
      const json = yield* inProcess((write) => Files.list({ ...base, write: toLines(write), json: true }))
      expect(json.stdout.trimEnd().split("\n").map((l) => JSON.parse(l))).toEqual([b, a])
      const got = yield* inProcess((write) => Files.get({ ...base, write: toLines(write), id: a.id, json: false }))
      expect(got.stdout).toContain(`id: ${a.id}\nfilename: a.csv\nmime_type: text/csv\nsize_bytes: 2048\n`)
      const gotJson = yield* inProcess((write) => Files.get({ ...base, write: toLines(write), id: a.id, json: true }))
      expect(JSON.parse(gotJson.stdout)).toEqual(a)
      const deleted = yield* inProcess((write) => Files.remove({ ...base, write: toLines(write), id: a.id }))
      expect(deleted.stdout).toBe(`${a.id} deleted\n`)
      expect(standIn.files.all().map((f) => f.metadata.id)).toEqual([b.id])
    }))
})

describe("files download", () => {
  const download = (
    base: { configPath: string; env: {} },
    id: string,
    options: { output?: string; sink?: ReturnType<typeof fakeSink>; stdout?: BytesOutput; quiet?: boolean } = {}
  ) =>
    inProcess((write) =>
      Files.download({
        ...base,
        write: toLines(write),
        id,
        output: options.output,
        quiet: options.quiet ?? false,
        progress: options.sink ?? fakeSink(false),
        stdout: options.stdout ?? bytesOut().out
      })
    )

  it.effect("to stdout: the bytes alone, byte for byte; the bytes received on stderr (none with --quiet)", () =>
    Effect.gen(function*() {
      const { base, standIn } = yield* setup
      const bytes = randomBytes(300_000)
      const meta = standIn.files.add({ filename: "made.bin", bytes })
      const stdout = bytesOut()
      const sink = fakeSink(false)
      const run = yield* download(base, meta.id, { stdout: stdout.out, sink })
      expect(run.code).toBe(0)
      expect(run.stdout).toBe("")
      expect(Buffer.compare(stdout.bytes(), bytes)).toBe(0)
      expect(sink.text().trimEnd().split("\n").at(-1)).toBe(`downloading ${meta.id}: 293.0 KiB of 293.0 KiB (100 %)`)
      const quietOut = bytesOut()
      const quietSink = fakeSink(true)
      expect((yield* download(base, meta.id, { stdout: quietOut.out, sink: quietSink, quiet: true })).code).toBe(0)
      expect(quietSink.writes).toEqual([])
      expect(Buffer.compare(quietOut.bytes(), bytes)).toBe(0)
    }))

  it.effect("to a terminal's stdout: refused before anything is asked, pointing at -o", () =>
    Effect.gen(function*() {
      const { base, standIn } = yield* setup
      const stdout = bytesOut(true)
      const run = yield* download(base, "file_1", { stdout: stdout.out })
      expect(run.code).toBe(1)
      expect(run.stderr).toContain("OutputError: Nothing was written to stdout: it is a terminal")
      expect(run.stderr).toContain("Give -o PATH")
      expect(stdout.bytes().length).toBe(0)
      expect(standIn.requests).toEqual([])
    }))

  it.effect("-o PATH: the file written whole (an old one replaced), no temp file left, nothing on stdout", () =>
    Effect.gen(function*() {
      const { base, dir, standIn } = yield* setup
      const bytes = randomBytes(1024 * 1024 + 3)
      const meta = standIn.files.add({ filename: "made.bin", bytes })
      const output = path.join(dir, "out.bin")
      yield* writeFile(output, "old content")
      const stdout = bytesOut()
      const sink = fakeSink(true)
      const run = yield* download(base, meta.id, { output, stdout: stdout.out, sink })
      expect(run.code).toBe(0)
      expect(run.stdout).toBe("")
      expect(stdout.bytes().length).toBe(0)
      expect(Buffer.compare(yield* Effect.promise(() => fs.readFile(output)), bytes)).toBe(0)
      expect((yield* listDir(dir)).sort()).toEqual(["llm.yaml", "out.bin"])
      expect(sink.writes.at(-2)!.trimEnd()).toBe(`\r[####################] 100 % downloading ${meta.id}: 1.0 MiB of 1.0 MiB`)
    }))

  it.effect("a download cut off midway leaves no file at -o PATH (an old one keeps its content) and no temp file", () =>
    Effect.gen(function*() {
      const { base, dir, standIn } = yield* setup
      const fresh = path.join(dir, "fresh.bin")
      standIn.enqueue({ type: "stream", body: "x".repeat(100_000), cutAfter: 40_000, headers: { "content-length": "100000" } })
      const cut = yield* download(base, "file_1", { output: fresh })
      expect(cut.code).toBe(1)
      expect(cut.stderr).toContain("StreamError")
      expect(yield* exists(fresh)).toBe(false)
      const kept = path.join(dir, "kept.bin")
      yield* writeFile(kept, "old content")
      standIn.enqueue({ type: "stream", body: "y".repeat(100_000), cutAfter: 40_000 })
      expect((yield* download(base, "file_1", { output: kept })).code).toBe(1)
      expect(yield* Effect.promise(() => fs.readFile(kept, "utf8"))).toBe("old content")
      expect((yield* listDir(dir)).sort()).toEqual(["kept.bin", "llm.yaml"])
    }))

  it.effect("a download interrupted midway (Ctrl-C) leaves no file at -o PATH and no temp file", () =>
    Effect.gen(function*() {
      const { base, dir, standIn } = yield* setup
      const output = path.join(dir, "out.bin")
      standIn.enqueue({ type: "stream", body: "z".repeat(100_000), stallAfter: 30_000 })
      const sink = fakeSink(false)
      const fiber = yield* Effect.forkChild(Effect.scoped(Files.download({
        ...base,
        write: () => {},
        id: "file_1",
        output,
        quiet: false,
        progress: sink,
        stdout: bytesOut().out
      })))
      // The first bytes have been written to the temp file beside PATH; PATH itself does not exist yet.
      while (sink.writes.length === 0) yield* realPause()
      expect((yield* listDir(dir)).filter((f) => f.endsWith(".part"))).toEqual([expect.stringMatching(/^\.out\.bin\.[0-9a-f]{12}\.part$/)])
      expect(yield* exists(output)).toBe(false)
      yield* Fiber.interrupt(fiber)
      expect(yield* listDir(dir)).toEqual(["llm.yaml"])
    }))
})

describe("batches and files in their own process", () => {
  const f = fixture("ea-resources-", (_, standIn) => configLines(standIn))

  it("batches create --wait, results --json; files upload, list: data on stdout, progress as plain lines on stderr", async () => {
    // Ended at the first poll: no real wait (the waits themselves are tested on the TestClock above).
    f.standIn.batches.setEndAfterPolls(1)
    const file = path.join(f.dir, "b.jsonl")
    await fs.writeFile(file, `${request("w-1", "hello")}\n`)
    const created = await cli(["batches", "create", file, "--wait", "--config", f.config])
    expect(created.code).toBe(0)
    const [first, last] = created.stdout.trimEnd().split("\n")
    expect(first).toMatch(/^msgbatch_\w+\s+in_progress\s/)
    expect(last).toMatch(/^msgbatch_\w+\s+ended\s/)
    expect(created.stderr).toMatch(/batch msgbatch_\w+ ended: 1 of 1 done .*\(100 %\)\n$/)
    expect(created.stderr).not.toContain("\r")
    const id = first!.split(/\s+/)[0]!
    const results = await cli(["batches", "results", id, "--json", "--config", f.config])
    expect(JSON.parse(results.stdout)).toMatchObject({ custom_id: "w-1", result: { type: "succeeded" } })
    const upload = path.join(f.dir, "notes.txt")
    await fs.writeFile(upload, "some notes\n")
    const uploaded = await cli(["files", "upload", upload, "--quiet", "--config", f.config])
    expect(uploaded.code).toBe(0)
    expect(uploaded.stderr).toBe("")
    expect(uploaded.stdout).toMatch(/^file_\w+\n$/)
    const listed = await cli(["files", "list", "--json", "--config", f.config])
    expect(JSON.parse(listed.stdout)).toMatchObject({ id: uploaded.stdout.trim(), filename: "notes.txt", size_bytes: 11 })
  }, CLI_TEST_TIMEOUT_MS * 2)
})
