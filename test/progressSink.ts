/** A stderr of the test's for the CLI's progress (`src/cli/progress.ts`): what was written to it. */
export const fakeSink = (isTTY: boolean, columns = 200) => {
  const writes: Array<string> = []
  return { isTTY, columns, write: (text: string) => void writes.push(text), writes, text: () => writes.join("") }
}
