/**
 * The command line escapes what a server (or a file, or the environment) sent before it reaches a terminal: the
 * escaping function itself, and the command bodies run in-process against a stand-in that sends ESC, BEL, CR, C1
 * and bidi controls everywhere it can.
 */
import { describe, expect, it } from "@effect/vitest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import * as path from "node:path"
import * as AnthropicConfig from "../src/AnthropicConfig.js"
import * as Auth from "../src/cli/auth.js"
import * as CliRuntime from "../src/cli/runtime.js"
import * as Chat from "../src/cli/chat.js"
import * as Credentials from "../src/Credentials.js"
import * as Models from "../src/cli/models.js"
import { escapeControls, failureText, withEscapedConsole } from "../src/cli/terminalText.js"
import * as StandIn from "../src/testing/StandIn.js"
import { captured } from "./cliHelpers.js"
import { API_KEY, hello, stack } from "./fixtures.js"
import { lineLog, tempDir, writeFile } from "./helpers.js"

/** Every character class a terminal acts on, and what it must look like once escaped. */
const HOSTILE = "a\x1b]0;pwned\x07b\x1b[2J\rc\x00\x7f\x9b\u202eevil\u2066d"
const HOSTILE_ESCAPED = "a\\x1b]0;pwned\\x07b\\x1b[2J\\rc\\x00\\x7f\\x9b\\u202eevil\\u2066d"

/** Anything a terminal would act on, except line feeds and tabs. */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/

/** A config file for the stand-in with an API key, for the commands that take `--config`. */
const configFile = (standIn: StandIn.StandIn) =>
  Effect.gen(function*() {
    const file = path.join(yield* tempDir, "llm.yaml")
    yield* writeFile(
      file,
      ["providers:", "  anthropic:", `    api_key: ${API_KEY}`, `    base_url: ${standIn.url}`, "    auth:", "      mode: static", ""]
        .join("\n")
    )
    return file
  })

describe("escapeControls", () => {
  it("line mode: C0, DEL, C1 and bidi controls, line feeds and tabs too, as visible escapes", () => {
    expect(escapeControls(HOSTILE)).toBe(HOSTILE_ESCAPED)
    expect(escapeControls("one\ntwo\tthree")).toBe("one\\ntwo\\tthree")
    for (const code of [0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069]) {
      expect(escapeControls(String.fromCharCode(code))).toBe(`\\u${code.toString(16)}`)
    }
    for (let code = 0; code < 0x20; code++) expect(escapeControls(String.fromCharCode(code))).toMatch(/^\\(x[0-9a-f]{2}|[nrt])$/)
    for (let code = 0x7f; code <= 0x9f; code++) expect(escapeControls(String.fromCharCode(code))).toMatch(/^\\x[0-9a-f]{2}$/)
  })

  it("leaves ordinary text alone, non-ASCII included, and escaping twice changes nothing", () => {
    const ordinary = "Claude Opus 4.7 — 18 °C, naïve ✓ 日本語 \\x1b (already text) 100%s"
    expect(escapeControls(ordinary)).toBe(ordinary)
    expect(escapeControls(escapeControls(HOSTILE))).toBe(escapeControls(HOSTILE))
    expect(escapeControls(HOSTILE)).not.toMatch(RAW_CONTROL)
  })

  it("text mode keeps line feeds and tabs, and escapes carriage returns and everything else", () => {
    expect(escapeControls("line one\n\tline two\r\nthree\x1b[1A", "text")).toBe("line one\n\tline two\\r\nthree\\x1b[1A")
    expect(escapeControls(HOSTILE, "text")).toBe(HOSTILE_ESCAPED)
  })

  it("json mode: still JSON, parsing to the very same value, with nothing raw a terminal acts on", () => {
    const value = { id: HOSTILE, nested: ["\u009b31m", "\u202e"] }
    const json = escapeControls(JSON.stringify(value, null, 2), "json")
    expect(json).not.toMatch(RAW_CONTROL)
    expect(JSON.parse(json)).toEqual(value)
    expect(json).toContain("\\u009b31m")
  })
})

describe("the commands escape what the server sent", () => {
  it.effect("models: id, display name, release date and lifecycle escaped in the table, the columns kept; --json too", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      standIn.models.splice(0, standIn.models.length, {
        type: "model",
        id: `claude-\x1b[2Jx`,
        display_name: `Claude\x07\rOverwritten`,
        created_at: `2026-01-01T00:00:00Z\x1b]0;t`,
        lifecycle: "deprecated\u202e" as "deprecated"
      } as (typeof standIn.models)[number])
      const config = yield* configFile(standIn)
      const lines: Array<string> = []
      const { console, err } = yield* captured
      yield* Models.list({ configPath: config, json: false, write: (line) => lines.push(line) }).pipe(
        Effect.provideService(Console.Console, console)
      )
      expect(lines).toEqual([
        `${"claude-\\x1b[2Jx".padEnd(36)} ${"Claude\\x07\\rOverwritten".padEnd(24)} 2026-01-01  (deprecated\\u202e)`
      ])
      expect(err.join("\n")).toContain("[models of http://127.0.0.1")

      const json: Array<string> = []
      yield* Models.list({ configPath: config, json: true, write: (line) => json.push(line) }).pipe(Effect.provideService(Console.Console, console))
      expect(json.length).toBe(1)
      expect(json[0]).not.toMatch(RAW_CONTROL)
      expect(JSON.parse(json[0]!)).toEqual(standIn.models[0])
    }))

  it.effect("chat: the reply keeps its lines and tabs but no ESC/BEL/CR/C1/bidi; the stop reason is escaped", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      const reply = `Title\x1b]0;pwned\x07\n\tindented\r\nend\u202e`
      standIn.enqueue(
        StandIn.streamOf(StandIn.messageJson([{ type: "text", text: reply }], { stop_reason: "end_turn\x1b[2J\n" }), {
          piecesPerBlock: 5
        })
      )
      const written: Array<string> = []
      const { console, err } = yield* captured
      yield* Chat.chat({ prompt: "hi", configPath: yield* configFile(standIn), maxTokens: 64, write: (t) => written.push(t) }).pipe(
        Effect.provideService(Console.Console, console)
      )
      expect(written.join("")).toBe("Title\\x1b]0;pwned\\x07\n\tindented\\r\nend\\u202e\n")
      expect(err.at(-1)).toBe("[12 tokens in, 8 out, stop: end_turn\\x1b[2J\\n]")
      for (const line of [...written, ...err]) expect(line).not.toMatch(RAW_CONTROL)
    }))

  it.effect("an error quoting the API's message prints it escaped (its own line breaks kept)", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url, retry: { max_retries: 0 } })
      standIn.enqueue(StandIn.error(400, { message: "bad\x1b[2J request\x07\u202e" }))
      const error = yield* Effect.flip(client.createMessage(hello))
      expect(error.message).toContain("\x1b[2J")
      const text = failureText(error)!
      expect(text).toMatch(/^Other: /)
      expect(text).toContain("bad\\x1b[2J request\\x07\\u202e")
      expect(text).not.toMatch(RAW_CONTROL)
      expect(failureText(new Error("not ours"))).toBeUndefined()
    }))

  it.effect("a multi-line message (no credentials: the sources tried) keeps its lines, escaped", () =>
    Effect.gen(function*() {
      const settings = yield* AnthropicConfig.load({
        config: { providers: { anthropic: { auth: { mode: "oauth_bundle", bundle: "/nonexistent/b\x1b[2J.json" } } } },
        env: {}
      })
      const error = yield* Effect.flip(Credentials.resolve(settings))
      expect(error._tag).toBe("NoCredentials")
      const text = failureText(error)!
      expect(text.split("\n").length).toBeGreaterThan(2)
      expect(text).toContain("/nonexistent/b\\x1b[2J.json")
      expect(text).not.toMatch(RAW_CONTROL)
    }))

  it.effect("status: paths and values from outside escaped in text and JSON", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const bundle = path.join(dir, "bundle\x1b]0;title\x07\u202e.json")
      const settings = yield* AnthropicConfig.load({
        config: { providers: { anthropic: { auth: { mode: "auto", bundle } } } },
        env: { ANTHROPIC_API_KEY: "sk-ant-api03-status-escape", HOME: dir }
      })
      const { console, out } = yield* captured
      yield* Auth.status(settings).pipe(Effect.provideService(Console.Console, console))
      yield* Auth.status(settings, { json: true }).pipe(Effect.provideService(Console.Console, console))
      const [text, json] = out as [string, string]
      expect(text).toContain("bundle\\x1b]0;title\\x07\\u202e.json")
      expect(text.split("\n").length).toBeGreaterThan(5)
      expect(json).not.toMatch(RAW_CONTROL)
      expect(JSON.parse(json).sources.some((s: { location: string }) => s.location === bundle)).toBe(true)
      for (const line of out) expect(line).not.toMatch(RAW_CONTROL)
    }))

  it.effect("a log line written while a command runs is escaped by the command's console", () =>
    Effect.gen(function*() {
      const { console, err, out } = yield* captured
      // Under the CLI's runtime, as main.ts runs a command: its log lines go to the console's stderr (Effect 4's
      // default logger would print them with console.log).
      yield* withEscapedConsole(Effect.gen(function*() {
        yield* Console.log("out\x1b[2J")
        yield* Console.error("err\x07")
        yield* Effect.logWarning("log\x1b]0;t\x07")
      })).pipe(Effect.provide(CliRuntime.layer), Effect.provideService(Console.Console, console))
      expect(out).toEqual(["out\\x1b[2J"])
      expect(err[0]).toBe("err\\x07")
      expect(err.length).toBe(2)
      expect(err[1]).toMatch(/^timestamp=\S+ level=WARN fiber=#\d+ message=log\\x1b\]0;t\\x07$/)
      expect(err.join("\n") + out.join("\n")).not.toMatch(RAW_CONTROL)
    }))

  it.effect("login: a message quoting something from outside (a browser launcher's error) is escaped", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      const settings = yield* AnthropicConfig.load({
        config: { providers: { anthropic: { auth: { token_url: standIn.oauth.tokenUrl, authorize_url: standIn.oauth.authorizeUrl } } } },
        env: {}
      })
      const log = lineLog()
      const fiber = yield* Effect.forkChild(
        Auth.login({
          settings,
          openBrowser: true,
          pasted: Stream.never,
          launch: () => Effect.fail(new Error("xdg-open\x1b]0;pwned\x07 not found")),
          print: (line) => Effect.sync(() => log.push(line))
        }).pipe(Effect.provide(NodeHttpClient.layerUndici))
      )
      yield* log.until((lines) => lines.some((l) => l.startsWith("Waiting for")))
      expect(log.lines.join("\n")).toContain("(Could not open a browser: xdg-open\\x1b]0;pwned\\x07 not found.")
      for (const line of log.lines) expect(line).not.toMatch(RAW_CONTROL)
      yield* Fiber.interrupt(fiber)
    }))
})
