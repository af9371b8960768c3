// Prints vitest's totals as one plain closing line ("N passed, N failed"), for CI logs.
import { readFileSync } from "node:fs"

const report = JSON.parse(readFileSync(".vitest-report.json", "utf8"))
const skipped = report.numPendingTests + report.numTodoTests
console.log(
  `tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed` + (skipped > 0 ? `, ${skipped} skipped` : "")
)
