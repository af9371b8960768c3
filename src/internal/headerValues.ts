/**
 * Reading header values leniently: a value that is absent or does not parse is simply not there (a hostile or new
 * header never fails a call), numbers must be finite and non-negative, times RFC 3339.
 */

/** The longest header value read: a real one is short; a hostile one may be megabytes. */
export const MAX_VALUE = 256

/** A non-negative decimal number (the first of a list), or `undefined`. */
export const numberOf = (value: string | undefined): number | undefined => {
  if (value === undefined || value.length > MAX_VALUE) return undefined
  const comma = value.indexOf(",")
  const text = (comma === -1 ? value : value.slice(0, comma)).trim()
  if (!/^\d+(\.\d+)?$/.test(text)) return undefined
  const n = Number(text)
  return Number.isFinite(n) ? n : undefined
}

/** An RFC 3339 time, as sent and as epoch ms; anything else is left out. */
export const timeOf = (value: string | undefined): { reset?: string; resetAtMs?: number } => {
  if (value === undefined || value.length > 64) return {}
  const text = value.trim()
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text)) return {}
  const ms = Date.parse(text)
  return Number.isFinite(ms) ? { reset: text, resetAtMs: ms } : {}
}
