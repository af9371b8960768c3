import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/testing/TestClock"
import * as path from "node:path"
import * as AnthropicClient from "../src/AnthropicClient.js"
import * as AnthropicConfig from "../src/AnthropicConfig.js"
import * as Credentials from "../src/Credentials.js"
import type { AnthropicConfigError, NoCredentials } from "../src/Errors.js"
import * as StandIn from "../src/testing/StandIn.js"
import { hello } from "./fixtures.js"
import { tempDir, writeFile } from "./helpers.js"

const SETUP_TOKEN = "sk-ant-oat01-setup" + "s".repeat(80)
const BUNDLE_ACCESS = "sk-ant-oat01-bundle-access"
const CLI_ACCESS = "sk-ant-oat01-cli-access"
const API_KEY = "sk-ant-api03-static-key"

interface Present {
  readonly bundle: boolean
  readonly cli: boolean
  readonly setupToken: boolean
  readonly apiKey: boolean
}

/** Lay out the sources that are present in a fresh directory; returns the config and env that point at them. */
const layout = (dir: string, present: Present, mode?: string, extra: Record<string, unknown> = {}) =>
  Effect.gen(function*() {
    const secrets = path.join(dir, "secrets")
    if (present.bundle) {
      yield* writeFile(
        path.join(secrets, "anthropic_oauth.json"),
        JSON.stringify({ access_token: BUNDLE_ACCESS, refresh_token: "sk-ant-ort01-r", expires_at: "2099-01-01T00:00:00Z" })
      )
    }
    if (present.cli) {
      yield* writeFile(
        path.join(dir, "home", ".claude", ".credentials.json"),
        JSON.stringify({
          claudeAiOauth: { accessToken: CLI_ACCESS, refreshToken: "sk-ant-ort01-c", expiresAt: 4070908800000 },
          other: true
        })
      )
    }
    if (present.setupToken) yield* writeFile(path.join(secrets, "anthropic_setup_token"), SETUP_TOKEN + "\n")
    return {
      config: {
        providers: {
          anthropic: {
            api_key: "${ANTHROPIC_API_KEY:-}",
            auth: {
              ...(mode === undefined ? {} : { mode }),
              bundle: path.join(secrets, "anthropic_oauth.json"),
              setup_token_file: path.join(secrets, "anthropic_setup_token")
            },
            ...extra
          }
        }
      },
      env: { HOME: path.join(dir, "home"), ...(present.apiKey ? { ANTHROPIC_API_KEY: API_KEY } : {}) }
    }
  })

const resolveIn = (dir: string, present: Present, mode?: string) =>
  Effect.gen(function*() {
    const { config, env } = yield* layout(dir, present, mode)
    const settings = yield* AnthropicConfig.load({ config, env })
    return yield* Credentials.resolve(settings)
  })

const combos: ReadonlyArray<Present> = Array.from({ length: 16 }, (_, i) => ({
  bundle: (i & 8) !== 0,
  cli: (i & 4) !== 0,
  setupToken: (i & 2) !== 0,
  apiKey: (i & 1) !== 0
}))

const expectedKind = (p: Present) =>
  p.bundle ? "oauth_bundle" : p.cli ? "cli_credentials" : p.setupToken ? "setup_token" : p.apiKey ? "api_key" : undefined

describe("Credentials: auto resolution", () => {
  for (const present of combos) {
    const label = Object.entries(present).filter(([, v]) => v).map(([k]) => k).join(" + ") || "nothing"
    it.effect(`${label} → ${expectedKind(present) ?? "NoCredentials"}`, () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const result = yield* Effect.result(resolveIn(dir, present))
        const kind = expectedKind(present)
        if (kind === undefined) {
          expect(result._tag).toBe("Failure")
          const error = (result as { failure: NoCredentials | AnthropicConfigError }).failure as NoCredentials
          expect(error._tag).toBe("NoCredentials")
          expect(error.tried.map((t) => t.source)).toEqual(["oauth_bundle", "cli_credentials", "setup_token", "api_key"])
          expect(error.tried.every((t) => !t.used && t.reason.length > 0)).toBe(true)
          expect(error.message).toContain("no bundle file")
          expect(error.message).toContain("no Claude Code CLI credentials file")
          expect(error.message).toContain("ANTHROPIC_API_KEY")
          return
        }
        expect(result._tag).toBe("Success")
        const { credential, report } = (result as { success: Credentials.Resolution }).success
        expect(credential.kind).toBe(kind)
        expect(report.map((r) => r.source)).toEqual(["oauth_bundle", "cli_credentials", "setup_token", "api_key"])
        expect(report.filter((r) => r.used).map((r) => r.source)).toEqual([kind])
      }))
  }
})

describe("Credentials: pinned modes use only their own source", () => {
  const all: Present = { bundle: true, cli: true, setupToken: true, apiKey: true }
  const none: Present = { bundle: false, cli: false, setupToken: false, apiKey: false }
  const pinned = [
    ["static", "api_key"],
    ["setup_token", "setup_token"],
    ["oauth_bundle", "oauth_bundle"],
    ["cli_credentials", "cli_credentials"]
  ] as const
  for (const [mode, kind] of pinned) {
    it.effect(`${mode} picks ${kind} even when every source exists`, () =>
      Effect.gen(function*() {
        const { credential, report } = yield* resolveIn(yield* tempDir, all, mode)
        expect(credential.kind).toBe(kind)
        expect(report.map((r) => r.source)).toEqual([kind])
      }))
    it.effect(`${mode} without its source fails with NoCredentials naming only it`, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(resolveIn(yield* tempDir, { ...all, ...none, apiKey: kind !== "api_key" }, mode))
        expect(error._tag).toBe("NoCredentials")
        expect((error as NoCredentials).tried.map((t) => t.source)).toEqual([kind])
      }))
  }

  it.effect("an inline setup_token wins over the setup token file", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const { config, env } = yield* layout(dir, { ...none, setupToken: true }, "setup_token")
      config.providers.anthropic.auth = { ...config.providers.anthropic.auth, setup_token: SETUP_TOKEN } as never
      const { credential } = yield* Credentials.resolve(yield* AnthropicConfig.load({ config, env }))
      expect(credential.location).toBe("auth.setup_token")
    }))
})

describe("Credentials: unusable files", () => {
  it.effect("a malformed bundle fails with an AnthropicConfigError naming the file and field", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const { config, env } = yield* layout(dir, { bundle: false, cli: false, setupToken: false, apiKey: true })
      const bundle = path.join(dir, "secrets", "anthropic_oauth.json")
      yield* writeFile(bundle, JSON.stringify({ refresh_token: "sk-ant-ort01-r", expires_at: "2099-01-01T00:00:00Z" }))
      const error = yield* Effect.flip(Effect.flatMap(AnthropicConfig.load({ config, env }), Credentials.resolve))
      expect(error._tag).toBe("AnthropicConfigError")
      expect((error as AnthropicConfigError).file).toBe(bundle)
      expect((error as AnthropicConfigError).path).toBe("access_token")
      expect(error.message).toContain("effect-anthropic login")
    }))

  it.effect("a bundle that is not JSON is refused without echoing its content", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const { config, env } = yield* layout(dir, { bundle: false, cli: false, setupToken: false, apiKey: false })
      yield* writeFile(path.join(dir, "secrets", "anthropic_oauth.json"), "sk-ant-oat01-leaked{")
      const error = yield* Effect.flip(Effect.flatMap(AnthropicConfig.load({ config, env }), Credentials.resolve))
      expect(error.message).toContain("not valid JSON")
      expect(error.message).not.toContain("leaked")
    }))

  it.effect("auto skips a malformed CLI file with its reason; the pinned mode refuses it", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const { config, env } = yield* layout(dir, { bundle: false, cli: false, setupToken: false, apiKey: true })
      yield* writeFile(path.join(dir, "home", ".claude", ".credentials.json"), JSON.stringify({ claudeAiOauth: {} }))
      const settings = yield* AnthropicConfig.load({ config, env })
      const { credential, report } = yield* Credentials.resolve(settings)
      expect(credential.kind).toBe("api_key")
      expect(report[1]!.reason).toContain("not usable")
      const pinned = yield* Effect.flip(
        Credentials.resolve({ ...settings, auth: { ...settings.auth, mode: "cli_credentials" } })
      )
      expect(pinned._tag).toBe("AnthropicConfigError")
      expect((pinned as AnthropicConfigError).path).toBe("claudeAiOauth.accessToken")
    }))

  it.effect("a setup token file holding a short token is refused at load, naming the file", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const { config, env } = yield* layout(dir, { bundle: false, cli: false, setupToken: false, apiKey: true })
      const file = path.join(dir, "secrets", "anthropic_setup_token")
      yield* writeFile(file, "sk-ant-oat01-short\n")
      const error = yield* Effect.flip(Effect.flatMap(AnthropicConfig.load({ config, env }), Credentials.resolve))
      expect(error._tag).toBe("AnthropicConfigError")
      expect((error as AnthropicConfigError).file).toBe(file)
      expect(error.message).toContain("at least 80 characters")
      expect(error.message).not.toContain("sk-ant-oat01-short")
    }))
})

describe("Credentials: a bundle without a refresh token (a token endpoint need not issue one)", () => {
  const bundles: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
    ["refresh_token: \"\" (as login writes it)", { refresh_token: "" }],
    ["no refresh_token key", {}]
  ]
  for (const [name, refresh] of bundles) {
    it.effect(`${name} loads as a token without refresh token`, () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const { config, env } = yield* layout(dir, { bundle: false, cli: false, setupToken: false, apiKey: false })
        yield* writeFile(
          path.join(dir, "secrets", "anthropic_oauth.json"),
          JSON.stringify({ access_token: BUNDLE_ACCESS, ...refresh, expires_at: "2099-01-01T00:00:00Z" })
        )
        const { credential } = yield* Credentials.resolve(yield* AnthropicConfig.load({ config, env }))
        expect(credential.kind).toBe("oauth_bundle")
        if (credential.kind !== "oauth_bundle") return
        expect(Option.isNone(credential.token.refreshToken)).toBe(true)
      }))
  }

  it.effect("its token is sent until it expires; then the call fails with LoginRequired", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const standIn = yield* StandIn.scoped()
      const bundle = path.join(dir, "secrets", "anthropic_oauth.json")
      const { config, env } = yield* layout(dir, { bundle: false, cli: false, setupToken: false, apiKey: false }, "oauth_bundle", {
        base_url: standIn.url
      })
      config.providers.anthropic.auth = { ...config.providers.anthropic.auth, token_url: standIn.oauth.tokenUrl } as never
      // TestClock starts at the epoch: the token is valid for an hour.
      yield* writeFile(bundle, JSON.stringify({ access_token: BUNDLE_ACCESS, refresh_token: "", expires_at: 3_600_000 }))
      const client = Context.get(yield* Layer.build(AnthropicClient.layerFile({ config, env })), AnthropicClient.AnthropicClient)
      yield* client.createMessage(hello)
      expect(standIn.requests[0]!.headers.authorization).toBe(`Bearer ${BUNDLE_ACCESS}`)
      yield* TestClock.adjust("2 hours")
      const error = yield* Effect.flip(client.createMessage(hello))
      expect(error._tag).toBe("LoginRequired")
      expect(error.message).toContain("effect-anthropic login")
      expect(standIn.requests.length).toBe(1)
      expect(standIn.oauth.tokenRequests.length).toBe(0)
    }))
})

describe("Credentials: values no header can carry are refused at load, never quoted", () => {
  const TOKEN = "sk-ant-oat01-" + "Q".repeat(80)
  const setupTokenFiles: ReadonlyArray<readonly [string, string, RegExp]> = [
    ["a comment on a second line", `${TOKEN}\n# made by claude setup-token\n`, /^the file holds more than one line/],
    ["the token pasted twice, on two lines", `${TOKEN}\r\n${TOKEN}\r\n`, /^the file holds more than one line/],
    ["the token pasted twice, on one line", `${TOKEN} ${TOKEN}\n`, /holds a space, which cannot be sent in a header/],
    ["a control character inside", `${TOKEN.slice(0, 40)}\u0000${TOKEN.slice(40)}\n`, /holds a control character/]
  ]
  for (const [name, content, says] of setupTokenFiles) {
    it.effect(`a setup token file with ${name}`, () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const { config, env } = yield* layout(dir, { bundle: false, cli: false, setupToken: false, apiKey: false }, "setup_token")
        const file = path.join(dir, "secrets", "anthropic_setup_token")
        yield* writeFile(file, content)
        const error = yield* Effect.flip(Effect.flatMap(AnthropicConfig.load({ config, env }), Credentials.resolve))
        expect(error._tag).toBe("AnthropicConfigError")
        expect((error as AnthropicConfigError).file).toBe(file)
        expect((error as AnthropicConfigError).problem).toMatch(says)
        expect(error.message).toContain("claude setup-token")
        for (const text of [error.message, JSON.stringify(error)]) expect(text).not.toContain("QQQQQQ")
      }))
  }

  it.effect("a setup token file with the token and blank lines around it is fine", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const { config, env } = yield* layout(dir, { bundle: false, cli: false, setupToken: false, apiKey: false }, "setup_token")
      yield* writeFile(path.join(dir, "secrets", "anthropic_setup_token"), `\n  ${TOKEN}  \r\n\n`)
      const { credential } = yield* Credentials.resolve(yield* AnthropicConfig.load({ config, env }))
      expect(credential.kind === "setup_token" && Redacted.value(credential.token)).toBe(TOKEN)
    }))

  it.effect("a bundle whose access token holds a line break", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const { config, env } = yield* layout(dir, { bundle: false, cli: false, setupToken: false, apiKey: false })
      const bundle = path.join(dir, "secrets", "anthropic_oauth.json")
      yield* writeFile(
        bundle,
        JSON.stringify({ access_token: "sk-ant-oat01-QQQQQQQQ\r\nx: y", refresh_token: "", expires_at: "2099-01-01T00:00:00Z" })
      )
      const error = yield* Effect.flip(Effect.flatMap(AnthropicConfig.load({ config, env }), Credentials.resolve))
      expect((error as AnthropicConfigError).file).toBe(bundle)
      expect((error as AnthropicConfigError).path).toBe("access_token")
      expect((error as AnthropicConfigError).problem).toContain("holds a line break")
      expect(JSON.stringify(error)).not.toContain("QQQQQQ")
    }))

  it.effect("ANTHROPIC_API_KEY holding a space is refused as providers.anthropic.api_key, naming the variable in the fix", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const { config, env } = yield* layout(dir, { bundle: false, cli: false, setupToken: false, apiKey: false })
      const error = yield* Effect.flip(
        AnthropicConfig.load({ config, env: { ...env, ANTHROPIC_API_KEY: "sk-ant-api03-QQQQQQQQ QQQQQQQQ" } })
      )
      expect(error.path).toBe("providers.anthropic.api_key")
      expect(error.problem).toBe(
        "an API key is one run of printable ASCII characters, and this one holds a space, which cannot be sent in a header"
      )
      expect(error.fix).toContain("ANTHROPIC_API_KEY")
      expect(JSON.stringify(error)).not.toContain("QQQQQQ")
    }))
})

describe("Credentials: setup token file length", () => {
  const tokenOf = (length: number) => "sk-ant-oat01-" + "f".repeat(length - "sk-ant-oat01-".length)
  const withTokenFile = (token: string) =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const none = { bundle: false, cli: false, setupToken: false, apiKey: false }
      const { config, env } = yield* layout(dir, none, "setup_token")
      const file = path.join(dir, "secrets", "anthropic_setup_token")
      yield* writeFile(file, token + "\n")
      return { file, result: yield* Effect.result(Effect.flatMap(AnthropicConfig.load({ config, env }), Credentials.resolve)) }
    })

  it.effect("exactly 80 characters is accepted", () =>
    Effect.gen(function*() {
      const { result } = yield* withTokenFile(tokenOf(80))
      expect(result._tag).toBe("Success")
      const { credential } = (result as { success: Credentials.Resolution }).success
      expect(credential.kind).toBe("setup_token")
    }))

  it.effect("79 characters is refused, naming the file and the length", () =>
    Effect.gen(function*() {
      const { file, result } = yield* withTokenFile(tokenOf(79))
      expect(result._tag).toBe("Failure")
      const error = (result as { failure: AnthropicConfigError }).failure
      expect(error._tag).toBe("AnthropicConfigError")
      expect(error.file).toBe(file)
      expect(error.problem).toBe("a setup token is at least 80 characters and this one has 79")
    }))
})

describe("Credentials: expiry instants outside any plausible date are refused at load", () => {
  // 1e300 ms is past what a JavaScript Date can hold: `status` used to crash on it with "Invalid time value".
  const badBundleExpiries: ReadonlyArray<unknown> = [
    1e300,
    -1,
    8.64e15 + 1,
    "+275760-09-13T00:00:00.001Z",
    "3000-01-01T00:00:00Z",
    "NaN"
  ]

  for (const expiresAt of badBundleExpiries) {
    it.effect(`a bundle whose expires_at is ${JSON.stringify(expiresAt)}`, () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const { config, env } = yield* layout(dir, { bundle: false, cli: false, setupToken: false, apiKey: true })
        const bundle = path.join(dir, "secrets", "anthropic_oauth.json")
        yield* writeFile(
          bundle,
          JSON.stringify({ access_token: BUNDLE_ACCESS, refresh_token: "sk-ant-ort01-r", expires_at: expiresAt })
        )
        const error = yield* Effect.flip(Effect.flatMap(AnthropicConfig.load({ config, env }), Credentials.resolve))
        expect(error._tag).toBe("AnthropicConfigError")
        expect((error as AnthropicConfigError).file).toBe(bundle)
        expect((error as AnthropicConfigError).path).toBe("expires_at")
        expect(error.message).toContain("from 1970-01-01 up to 3000-01-01")
        expect(error.message).not.toContain(String(expiresAt))
      }))
  }

  it.effect("the last plausible instants are accepted: ISO text and epoch milliseconds", () =>
    Effect.gen(function*() {
      for (const expiresAt of ["2999-12-31T23:59:59.999Z", Date.UTC(3000, 0, 1) - 1, 0]) {
        const dir = yield* tempDir
        const { config, env } = yield* layout(dir, { bundle: false, cli: false, setupToken: false, apiKey: false })
        yield* writeFile(
          path.join(dir, "secrets", "anthropic_oauth.json"),
          JSON.stringify({ access_token: BUNDLE_ACCESS, refresh_token: "sk-ant-ort01-r", expires_at: expiresAt })
        )
        const { credential } = yield* Credentials.resolve(yield* AnthropicConfig.load({ config, env }))
        expect(credential.kind).toBe("oauth_bundle")
      }
    }))

  it.effect("a CLI file whose expiresAt is 1e300: auto skips it with its reason, the pinned mode refuses it", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const { config, env } = yield* layout(dir, { bundle: false, cli: false, setupToken: false, apiKey: true })
      const file = path.join(dir, "home", ".claude", ".credentials.json")
      yield* writeFile(
        file,
        JSON.stringify({ claudeAiOauth: { accessToken: CLI_ACCESS, refreshToken: "sk-ant-ort01-c", expiresAt: 1e300 } })
      )
      const settings = yield* AnthropicConfig.load({ config, env })
      const { credential, report } = yield* Credentials.resolve(settings)
      expect(credential.kind).toBe("api_key")
      expect(report[1]!.source).toBe("cli_credentials")
      expect(report[1]!.reason).toContain("not usable: claudeAiOauth.expiresAt must be a date from 1970-01-01 up to 3000-01-01")
      const pinned = yield* Effect.flip(
        Credentials.resolve({ ...settings, auth: { ...settings.auth, mode: "cli_credentials" } })
      )
      expect(pinned._tag).toBe("AnthropicConfigError")
      expect((pinned as AnthropicConfigError).file).toBe(file)
      expect((pinned as AnthropicConfigError).path).toBe("claudeAiOauth.expiresAt")
      expect(pinned.message).not.toContain("1e+300")
    }))
})

describe("Credentials: each mode's exact headers on the wire", () => {
  const cases = [
    { mode: "static", present: { apiKey: true }, auth: ["x-api-key", API_KEY] },
    { mode: "setup_token", present: { setupToken: true }, auth: ["authorization", `Bearer ${SETUP_TOKEN}`] },
    { mode: "oauth_bundle", present: { bundle: true }, auth: ["authorization", `Bearer ${BUNDLE_ACCESS}`] },
    { mode: "cli_credentials", present: { cli: true }, auth: ["authorization", `Bearer ${CLI_ACCESS}`] }
  ] as const
  for (const c of cases) {
    it.effect(c.mode, () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const standIn = yield* StandIn.scoped()
        const present = { bundle: false, cli: false, setupToken: false, apiKey: false, ...c.present }
        const { config, env } = yield* layout(dir, present, c.mode, {
          base_url: standIn.url,
          betas: ["prompt-caching-2024-07-31"]
        })
        const services = yield* Layer.build(AnthropicClient.layerFile({ config, env }))
        const client = Context.get(services, AnthropicClient.AnthropicClient)
        const msg = yield* client.createMessage(
          { model: "claude-haiku-4-5", max_tokens: 16, messages: [{ role: "user", content: "hi" }] },
          { betas: ["token-efficient-tools-2025-02-19", "prompt-caching-2024-07-31"] }
        )
        expect(msg.content[0]).toEqual({ type: "text", text: "echo: hi" })
        const headers = standIn.requests[0]!.headers
        expect(headers[c.auth[0]]).toBe(c.auth[1])
        expect(headers["anthropic-version"]).toBe("2023-06-01")
        expect(headers["content-type"]).toBe("application/json")
        const oauth = c.mode !== "static"
        // Never both auth headers.
        expect(headers[oauth ? "x-api-key" : "authorization"]).toBeUndefined()
        expect(headers["anthropic-beta"]).toBe(
          oauth
            ? "oauth-2025-04-20,prompt-caching-2024-07-31,token-efficient-tools-2025-02-19"
            : "prompt-caching-2024-07-31,token-efficient-tools-2025-02-19"
        )
      }))
  }

  it.effect("without betas an API key request carries no anthropic-beta header", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const standIn = yield* StandIn.scoped()
      const { config, env } = yield* layout(dir, { bundle: false, cli: false, setupToken: false, apiKey: true }, "static", {
        base_url: standIn.url
      })
      yield* Effect.flatMap(AnthropicClient.AnthropicClient, (c) =>
        c.countTokens({ model: "claude-haiku-4-5", messages: [{ role: "user", content: "hi" }] })).pipe(
          Effect.provide(AnthropicClient.layerFile({ config, env }))
        )
      expect(standIn.requests[0]!.path).toBe("/v1/messages/count_tokens")
      expect(standIn.requests[0]!.headers["anthropic-beta"]).toBeUndefined()
    }))
})
