/**
 * `effect-anthropic stand-in`: the stand-in as a server of its own. In its own process for the wiring (the printed
 * environment, `chat` and `models` run with it alone, SIGTERM); in-process for the port rules.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { spawn } from "node:child_process"
import * as fs from "node:fs/promises"
import * as http from "node:http"
import * as os from "node:os"
import * as path from "node:path"
import * as AnthropicConfig from "../src/AnthropicConfig.js"
import * as StandInCli from "../src/cli/standIn.js"
import * as StandIn from "../src/testing/StandIn.js"
import { cli, CLI_PROCESS_TIMEOUT_MS, CLI_TEST_TIMEOUT_MS, cliEntry, inProcess } from "./cliHelpers.js"
import { lineLog, tempDir } from "./helpers.js"

/** `stand-in --port 0` in its own process, once it has printed its environment. */
const startProcess = async () => {
  const child = spawn(process.execPath, [await cliEntry(), "stand-in", "--port", "0"], {
    env: { PATH: process.env.PATH ?? "", HOME: "/nonexistent" },
    timeout: CLI_PROCESS_TIMEOUT_MS
  })
  let stdout = ""
  let stderr = ""
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  // Woken by the command's own output (its last line is the one saying how to stop it), not by polling.
  await new Promise<void>((resolve) => {
    const read = (into: (text: string) => void) => (d: Buffer) => {
      into(String(d))
      if (stdout.includes("ANTHROPIC_AUTH_MODE=") && stderr.includes("Ctrl-C stops it")) resolve()
    }
    child.stdout.on("data", read((text) => (stdout += text)))
    child.stderr.on("data", read((text) => (stderr += text)))
  })
  const env = Object.fromEntries(stdout.trim().split("\n").map((line) => line.split("=", 2) as [string, string]))
  return { child, env, stdout, stderr: () => stderr, exited }
}

describe("effect-anthropic stand-in", () => {
  it("prints the environment; chat and models work with it alone, no config file; SIGTERM stops it (its own processes)", async () => {
    const server = await startProcess()
    // A directory without config/llm.yaml: the environment alone configures the commands.
    const cwd = await fs.mkdtemp(path.join(os.tmpdir(), "ea-standin-"))
    try {
      expect(server.stdout).toMatch(
        /^ANTHROPIC_BASE_URL=http:\/\/127\.0\.0\.1:\d+\nANTHROPIC_API_KEY=sk-ant-api03-standin-\S+\nANTHROPIC_AUTH_MODE=static\n$/
      )
      const url = server.env.ANTHROPIC_BASE_URL!
      expect(server.stderr()).toContain(`listening on ${url}`)
      expect(server.stderr()).toContain(`export ANTHROPIC_BASE_URL=${url} ANTHROPIC_API_KEY=sk-ant-api03-standin-`)
      const models = await cli(["models"], server.env, { cwd })
      expect(models.stderr).toBe(`[models of ${url} via api_key from ANTHROPIC_API_KEY]\n`)
      expect(models.code).toBe(0)
      expect(models.stdout.split("\n")[0]).toMatch(/^claude-fable-5-2\s+Claude Fable 5\.2\s+2026-11-09$/)
      const chat = await cli(["chat", "Hello there"], server.env, { cwd })
      expect(chat.code).toBe(0)
      expect(chat.stdout).toBe("echo: Hello there\n")
      expect(chat.stderr).toContain("[claude-haiku-4-5 via api_key from ANTHROPIC_API_KEY]")
      const unknown = await cli(["chat", "Hi", "--model", "claude-haiku-4.5"], server.env, { cwd })
      expect(unknown.code).toBe(1)
      expect(unknown.stderr).toContain("HTTP 404 not_found_error: model: claude-haiku-4.5")
      server.child.kill("SIGTERM")
      expect(await server.exited).toBe(130)
      expect(server.stderr()).toContain(`Stand-in on ${url} stopped.`)
      await expect(fetch(`${url}/v1/models`)).rejects.toThrow()
    } finally {
      server.child.kill("SIGKILL")
      await fs.rm(cwd, { recursive: true, force: true })
    }
  }, CLI_TEST_TIMEOUT_MS * 2)

  it.live("the printed environment is a valid configuration on its own: the stand-in's URL, its key, pinned", () =>
    Effect.gen(function*() {
      const cwd = yield* tempDir
      const env = Object.fromEntries(StandInCli.environment("http://127.0.0.1:4010"))
      const settings = yield* AnthropicConfig.load({ cwd, env: { ...env, HOME: cwd } })
      expect(settings.source).toBe("<built-in defaults>")
      expect(settings.baseUrl).toBe("http://127.0.0.1:4010")
      expect(Option.map(settings.apiKey, Redacted.value)).toEqual(Option.some(StandInCli.STAND_IN_API_KEY))
      expect(settings.auth.mode).toBe("static")
    }))

  it.live("with no port: 4010, or a free port when 4010 is in use; interrupted, it closes", () =>
    Effect.gen(function*() {
      // Hold 4010 if it is free (if something else holds it, it is in use all the same).
      const holder = http.createServer()
      yield* Effect.acquireRelease(
        Effect.promise(() => new Promise<void>((resolve) => holder.once("error", () => resolve()).listen(4010, "127.0.0.1", resolve))),
        () => Effect.promise(() => new Promise<void>((resolve) => holder.listening ? holder.close(() => resolve()) : resolve()))
      )
      const out = lineLog()
      const err = lineLog()
      const print = (log: ReturnType<typeof lineLog>) => (line: string) => Effect.sync(() => log.push(line))
      const fiber = yield* Effect.forkChild(Effect.scoped(StandInCli.serve({ out: print(out), err: print(err) })))
      yield* out.until((lines) => lines.length === 3)
      const url = out.lines[0]!.replace("ANTHROPIC_BASE_URL=", "")
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(url).not.toBe("http://127.0.0.1:4010")
      expect(err.lines[0]).toBe("(Port 4010 is in use: listening on a free port instead.)")
      expect((yield* Effect.promise(() => fetch(`${url}/v1/models/claude-opus-4-6`))).status).toBe(200)
      yield* Fiber.interrupt(fiber)
      expect(err.lines.at(-1)).toBe(`Stand-in on ${url} stopped.`)
      yield* Effect.promise(() => expect(fetch(`${url}/v1/models`)).rejects.toThrow())
    }))

  it.live("a port asked for that is in use, or out of range, is one clear error", () =>
    Effect.gen(function*() {
      const taken = yield* StandIn.scoped()
      const port = Number(new URL(taken.url).port)
      const inUse = yield* inProcess(() => Effect.scoped(StandInCli.serve({ port })))
      expect(inUse.code).toBe(1)
      expect(inUse.stderr).toBe(
        `StandInListenFailed: the stand-in cannot listen on 127.0.0.1:${port}: the port is in use; stop what listens ` +
          "there, or pick another with --port N (--port 0: any free port)\n"
      )
      expect(inUse.stdout).toBe("")
      const outOfRange = yield* inProcess(() => Effect.scoped(StandInCli.serve({ port: 70000 })))
      expect(outOfRange.stderr).toContain("127.0.0.1:70000: a port is a whole number from 0 to 65535")
    }))
})
