/**
 * A batch file (`batches create FILE.jsonl`): one request a line, `{ "custom_id", "params" }` as the Batches API
 * takes it. Every line is checked before anything is sent, as `createBatch` checks a request
 * (`MessageBatches.whyNotARequest`), and a bad one is named by its line number. Blank lines are skipped.
 */
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as fs from "node:fs/promises"
import * as MessageBatches from "../MessageBatches.js"
import { BatchFileError, reasonOf } from "./errors.js"

/** Where JSON.parse stopped, as a column, without quoting the line (it may hold anything). */
const notJson = (cause: unknown): string => {
  const at = /position (\d+)/.exec(cause instanceof Error ? cause.message : "")
  return at === null ? "not valid JSON" : `not valid JSON (at column ${Number(at[1]) + 1})`
}

/** The requests of a batch file's text, or why a line is not one (its number counted from 1, blank lines included). */
export const parseBatchLines = (text: string): Result.Result<MessageBatches.BatchCreateParams, string> => {
  const requests: Array<MessageBatches.BatchRequest> = []
  const lineOf = new Map<string, number>()
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (line.trim() === "") continue
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch (cause) {
      return Result.fail(`line ${i + 1}: ${notJson(cause)}`)
    }
    const why = MessageBatches.whyNotARequest(value, `line ${i + 1}`)
    if (why !== undefined) return Result.fail(why)
    const request = value as MessageBatches.BatchRequest
    const first = lineOf.get(request.custom_id)
    if (first !== undefined) {
      return Result.fail(`line ${i + 1}: custom_id ${JSON.stringify(request.custom_id)} is already used on line ${first}`)
    }
    lineOf.set(request.custom_id, i + 1)
    requests.push(request)
  }
  return requests.length === 0 ? Result.fail("it holds no requests") : Result.succeed({ requests })
}

/** The requests of the batch file at `file`, every line checked. */
export const readBatchFile = (file: string): Effect.Effect<MessageBatches.BatchCreateParams, BatchFileError> =>
  Effect.tryPromise({
    try: () => fs.readFile(file, "utf8"),
    catch: (cause) => new BatchFileError({ file, detail: `cannot read it (${reasonOf(cause)})` })
  }).pipe(
    Effect.flatMap((text) =>
      Result.match(parseBatchLines(text), {
        onFailure: (detail) => Effect.fail(new BatchFileError({ file, detail })),
        onSuccess: Effect.succeed
      })
    )
  )
