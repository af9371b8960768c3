import { describe, expect, it } from "vitest"
import * as path from "node:path"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import { execFile } from "node:child_process"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as References from "effect/References"
import * as AnthropicClient from "../src/AnthropicClient.js"
import { ClientClosed, AnthropicConfigError, createClient, NoCredentials, Other } from "../src/index.js"
import { fromLayer } from "../src/PromiseClient.js"
import * as StandIn from "../src/testing/StandIn.js"
import { API_KEY, hello } from "./fixtures.js"
import { bundleScript } from "./nodeScript.js"

const withStandIn = async (f: (standIn: StandIn.StandIn) => Promise<void>) => {
  const standIn = await StandIn.start()
  try {
    await f(standIn)
  } finally {
    await standIn.close()
  }
}

const configFor = (standIn: StandIn.StandIn, extra: Record<string, unknown> = {}) => ({
  providers: { anthropic: { api_key: "${KEY}", base_url: standIn.url, ...extra } }
})

describe("createClient (Promise facade)", () => {
  it("creates a message and counts tokens", () =>
    withStandIn(async (standIn) => {
      const client = await createClient({ config: configFor(standIn), env: { KEY: API_KEY } })
      try {
        const msg = await client.messages.create(hello)
        expect(msg.type).toBe("message")
        expect(msg.content).toEqual([{ type: "text", text: "echo: hello" }])
        const n = await client.messages.countTokens({ model: hello.model, messages: hello.messages })
        expect(n.input_tokens).toBeGreaterThan(0)
        expect(client.credential.kind).toBe("api_key")
        expect(standIn.requests[0]!.headers["x-api-key"]).toBe(API_KEY)
      } finally {
        await client.close()
      }
    }))

  it("rejects with the tagged error itself", () =>
    withStandIn(async (standIn) => {
      standIn.enqueue(StandIn.error(400, { message: "max_tokens: Field required" }))
      const client = await createClient({ config: configFor(standIn), env: { KEY: API_KEY } })
      try {
        const err = await client.messages.create(hello).then(() => undefined, (e: unknown) => e)
        expect(err).toBeInstanceOf(Other)
        expect((err as Other)._tag).toBe("Other")
        expect((err as Other).status).toBe(400)
        expect((err as Other).apiMessage).toBe("max_tokens: Field required")
        expect((err as Other).message).toContain("HTTP 400 invalid_request_error")
      } finally {
        await client.close()
      }
    }))

  it("rejects building with AnthropicConfigError or NoCredentials", async () => {
    const bad = await createClient({ config: { providers: { anthropic: { auth: { mode: "nope" } } } }, env: {} }).then(
      () => undefined,
      (e: unknown) => e
    )
    expect(bad).toBeInstanceOf(AnthropicConfigError)
    expect((bad as AnthropicConfigError)._tag).toBe("AnthropicConfigError")
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "ea-"))
    try {
      const none = await createClient({
        config: {
          providers: {
            anthropic: {
              auth: { bundle: path.join(dir, "b.json"), setup_token_file: path.join(dir, "t") }
            }
          }
        },
        env: { HOME: dir }
      }).then(() => undefined, (e: unknown) => e)
      expect(none).toBeInstanceOf(NoCredentials)
      expect((none as NoCredentials).tried.length).toBe(4)
    } finally {
      await fs.rm(dir, { recursive: true, force: true })
    }
  })

  it("reads config/llm.yaml by default, with ${VAR} from env", () =>
    withStandIn(async (standIn) => {
      const client = await createClient({
        env: { ANTHROPIC_API_KEY: API_KEY, ANTHROPIC_BASE_URL: standIn.url, ANTHROPIC_AUTH_MODE: "static", HOME: "/nonexistent" }
      })
      try {
        await client.messages.create(hello)
        expect(standIn.requests[0]!.headers["x-api-key"]).toBe(API_KEY)
      } finally {
        await client.close()
      }
    }))

  it("an aborted signal interrupts the call and its request", () =>
    withStandIn(async (standIn) => {
      standIn.enqueue({ type: "stall" })
      const client = await createClient({ config: configFor(standIn), env: { KEY: API_KEY } })
      try {
        const controller = new AbortController()
        const pending = client.messages.create(hello, { signal: controller.signal })
        while (standIn.requests.length === 0) await new Promise((r) => setTimeout(r, 2))
        const reason = new Error("user cancelled")
        controller.abort(reason)
        const err = await pending.then(() => undefined, (e: unknown) => e)
        expect(err).toBe(reason)
        expect(standIn.requests.length).toBe(1)
        // The HTTP request was aborted: the server saw its client go away.
        while (standIn.abandoned.length === 0) await new Promise((r) => setTimeout(r, 2))
        expect(standIn.abandoned[0]).toBe(standIn.requests[0])
      } finally {
        await client.close()
      }
    }))

  it("close() releases the client: later calls reject with ClientClosed", () =>
    withStandIn(async (standIn) => {
      const client = await createClient({ config: configFor(standIn), env: { KEY: API_KEY } })
      await client.messages.create(hello)
      await client.close()
      await expect(client.messages.create(hello)).rejects.toBeInstanceOf(ClientClosed)
      await expect(client.messages.create(hello)).rejects.toMatchObject({ _tag: "ClientClosed" })
      // Closing twice is harmless.
      await client.close()
      expect(standIn.requests.length).toBe(1)
    }))
})

class Greeting extends Context.Service<Greeting, string>()("test/Greeting") {}
const OwnRef = Context.Reference<number>("test/OwnRef", { defaultValue: () => 0 })

/** A layer setting what a user's layer may: a service, a logger, a minimum log level and a reference of its own. */
const userLayer = (logged: Array<string>) =>
  Layer.mergeAll(
    Layer.succeed(Greeting, "hello"),
    Logger.layer([Logger.make(({ message }) => void logged.push(String(message)))]),
    Layer.succeed(References.MinimumLogLevel, "Debug"),
    Layer.succeed(OwnRef, 42)
  )

// From the Effect 3 suite's leanRuntime.test.ts: its lean-runtime unit is gone (Effect 4 forks every call from the
// built Context), the behaviour a user sees is kept here.
describe("fromLayer over a user's layer", () => {
  it("its calls and its run() see what the layer set: service, logger, log level, references", () =>
    withStandIn(async (standIn) => {
      const logged: Array<string> = []
      const stack = AnthropicClient.layerFile({ config: { providers: { anthropic: { api_key: API_KEY, base_url: standIn.url } } }, env: {} })
      const client = await fromLayer(Layer.merge(stack, userLayer(logged)))
      try {
        expect((await client.messages.create(hello)).type).toBe("message")
        const read = Effect.gen(function*() {
          yield* Effect.logDebug("from run")
          return { greeting: yield* Greeting, own: yield* OwnRef }
        })
        expect(await client.run(read as Effect.Effect<{ greeting: string; own: number }>)).toEqual({ greeting: "hello", own: 42 })
        expect(logged).toContain("from run")
      } finally {
        await client.close()
      }
    }))
})

describe("createClient: background fibers never keep Node running", () => {
  it("a script that never calls close() exits once its calls are done (request deadlines, scheduled refresh)", () =>
    withStandIn(async (standIn) => {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), "effect-anthropic-exit-"))
      try {
        const bundle = path.join(dir, "bundle.json")
        // Expires in an hour: the refresher's fiber sleeps until 60 s before that.
        const expiresAt = new Date(Date.now() + 3_600_000).toISOString()
        await fs.writeFile(bundle, JSON.stringify({ access_token: "sk-ant-oat01-a", refresh_token: "sk-ant-ort01-r", expires_at: expiresAt }))
        const script = path.join(dir, "script.mts")
        const index = path.resolve("src/index.ts")
        await fs.writeFile(script, [
          `import { createClient } from ${JSON.stringify(index)}`,
          `const base = { base_url: ${JSON.stringify(standIn.url)} }`,
          `const keyed = await createClient({ config: { providers: { anthropic: { ...base, api_key: "${API_KEY}" } } } })`,
          `const oauth = await createClient({ config: { providers: { anthropic: { ...base, auth: { mode: "oauth_bundle", bundle: ${JSON.stringify(bundle)} } } } } })`,
          `console.log((await keyed.messages.create(${JSON.stringify(hello)})).type, (await oauth.messages.create(${JSON.stringify(hello)})).type)`
        ].join("\n"))
        const { file, remove } = await bundleScript(script)
        // The child is killed only after 100 s, so `killed` and the lag below are what decide: a script kept alive
        // by a timer (the refresher's fiber sleeps for ~59 minutes) exits only when killed, long after its output.
        // Starting it takes what the machine's load makes it take; the lag from its last line to its exit does not.
        const { code, exitLagMs, killed, stdout } = await new Promise<
          { code: number | null; killed: boolean; stdout: string; exitLagMs: number }
        >((resolve) => {
          let printedAt = Number.NaN
          const child = execFile(process.execPath, [file], { timeout: 100_000 }, (error, stdout) =>
            resolve({
              code: error === null ? 0 : (error as { code?: number }).code ?? null,
              killed: error?.killed === true,
              stdout,
              exitLagMs: Date.now() - printedAt
            }))
          child.stdout!.on("data", () => (printedAt = Date.now()))
        }).finally(remove)
        expect(killed).toBe(false)
        expect(stdout.trim()).toBe("message message")
        expect(code).toBe(0)
        expect(exitLagMs).toBeLessThan(10_000)
        expect(standIn.requests.map((r) => r.headers.authorization ?? "x-api-key")).toEqual(["x-api-key", "Bearer sk-ant-oat01-a"])
      } finally {
        await fs.rm(dir, { recursive: true, force: true })
      }
    }), 120_000)
})
