/**
 * Bounds on what an answer may put into an error or metadata: a hostile answer can make any field megabytes long.
 */

/** The most of an API message an error keeps. (Errors scrub secrets.) */
const MAX_MESSAGE = 2000
/** The most of an identifier kept (`error.type`, a request id, an OAuth `error`): real ones are short. */
export const MAX_IDENTIFIER = 256

/** `text` cut to `max` characters and marked as cut. */
export const clip = <A extends string | undefined>(text: A, max = MAX_MESSAGE): A =>
  text === undefined || text.length <= max ? text : `${text.slice(0, max)}… (cut)` as A
