/**
 * The command line's own failures, beside the library's: a batch file that cannot be sent as it is, and output that
 * cannot be written. Their messages say what to fix; `main.ts` prints them as `Tag: message`.
 */
import * as Schema from "effect/Schema"

/** A batch file (`batches create FILE.jsonl`) that cannot be read, or a line of it that is not a request. */
export class BatchFileError extends Schema.TaggedError<BatchFileError>("effect-anthropic/cli/BatchFileError")(
  "BatchFileError",
  { file: Schema.String, detail: Schema.String }
) {
  override get message(): string {
    return `${this.file}: ${this.detail}. Nothing was sent. Each line of a batch file is one request: ` +
      `{"custom_id": "a-z A-Z 0-9 _ - (1 to 64)", "params": {the Messages request: model, max_tokens, messages}}`
  }
}

/** Where a command's output was to go cannot take it: nothing was written there. */
export class OutputError extends Schema.TaggedError<OutputError>("effect-anthropic/cli/OutputError")(
  "OutputError",
  { target: Schema.String, detail: Schema.String }
) {
  override get message(): string {
    return `Nothing was written to ${this.target}: ${this.detail}`
  }
}

/** The `code` of a Node error (`ENOENT`), or its message. */
export const reasonOf = (cause: unknown): string =>
  cause instanceof Error && "code" in cause && typeof cause.code === "string"
    ? cause.code
    : cause instanceof Error
    ? cause.message
    : String(cause)
