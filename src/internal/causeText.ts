/** What went wrong, in the fewest useful words: for the `detail` of an error that wraps a lower-level failure. */
import * as Cause from "effect/Cause"

/**
 * The innermost useful words of an error chain (`ECONNRESET: socket hang up`), or of a `Cause` (squashed first).
 * Anything that is not an `Error` gives `fallback`.
 */
export const causeText = (cause: unknown, fallback = "connection error"): string =>
  errorText(Cause.isCause(cause) ? Cause.squash(cause) : cause) ?? fallback

const errorText = (error: unknown): string | undefined => {
  if (!(error instanceof Error)) return undefined
  const code = (error as NodeJS.ErrnoException).code
  const inner = error.cause instanceof Error ? errorText(error.cause) : undefined
  return inner ?? (code !== undefined ? `${code}: ${error.message}` : error.message)
}
