/**
 * The bounds of the retry policy (`retry.ts`) that code outside the HTTP stack needs before anything is sent: how
 * long a refresh may take at most is known without loading the policy itself.
 */
import { MAX_MILLISECONDS } from "../config/schema.js"

/** The longest backoff between two attempts. */
export const MAX_BACKOFF_MS = 8000

/**
 * The longest wait between two attempts: the server's word up to `maxRetryAfterMs`, else the longest backoff.
 */
export const longestRetryDelayMs = (maxRetryAfterMs: number): number =>
  Math.max(Math.min(maxRetryAfterMs, MAX_MILLISECONDS), MAX_BACKOFF_MS)
