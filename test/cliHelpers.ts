/** Running the CLI as a user would: in its own process, against a loopback stand-in and a config of its own. */
import { afterAll, beforeAll } from "vitest"
import { execFile } from "node:child_process"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import * as StandIn from "../src/testing/StandIn.js"

/** Run the CLI from source in its own process, as a user would. */
export const cli = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", ...args],
      { env: { PATH: process.env.PATH ?? "", HOME: "/nonexistent", ...env }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr })
    )
  })

/** A temp dir, a stand-in and a config file written from `lines(dir, standIn)`, for one describe block. */
export const fixture = (prefix: string, lines: (dir: string, standIn: StandIn.StandIn) => ReadonlyArray<string>) => {
  const state = { dir: "", config: "", standIn: undefined as unknown as StandIn.StandIn }
  beforeAll(async () => {
    state.dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix))
    state.standIn = await StandIn.start()
    state.config = path.join(state.dir, "llm.yaml")
    await fs.writeFile(state.config, [...lines(state.dir, state.standIn), ""].join("\n"))
  })
  afterAll(async () => {
    await state.standIn.close()
    await fs.rm(state.dir, { recursive: true, force: true })
  })
  return state
}

