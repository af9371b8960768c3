/**
 * Layouts the resource commands share (`batches`, `files`): an object as one line of JSON, or as `field: value`
 * lines, and a number of bytes for people. Every server value is escaped (`terminalText`).
 */
import { escapeControls } from "./terminalText.js"

/** A value as one line of JSON (the API's object), with the controls JSON leaves raw escaped too. */
export const jsonLine = (value: unknown): string => escapeControls(JSON.stringify(value), "json")

/** A table cell: a server value on one line, escaped. */
export const cell = (value: string): string => escapeControls(value, "line")

/**
 * An object as `field: value` lines, a nested object's fields as `outer.inner: value`, a missing value as `-`, a
 * list as JSON.
 */
export const fieldLines = (value: object, prefix = ""): Array<string> =>
  Object.entries(value).flatMap(([key, field]) =>
    field !== null && typeof field === "object" && !Array.isArray(field)
      ? fieldLines(field, `${prefix}${key}.`)
      : [cell(`${prefix}${key}: ${field === null || field === undefined ? "-" : Array.isArray(field) ? JSON.stringify(field) : String(field)}`)]
  )

const UNITS = ["KiB", "MiB", "GiB", "TiB"] as const

/** Bytes for people: `512 B`, `1.5 KiB`, `20.0 MiB`. */
export const formatBytes = (bytes: number): string => {
  if (bytes < 1024) return `${bytes} B`
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(1)} ${UNITS[unit]}`
}
