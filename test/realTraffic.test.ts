/**
 * Replays public recordings of real API traffic (../shared/real-traffic, read in place, never copied here) through
 * the decoder, the Effect client and the Promise client. Streams must accumulate to the Message the official SDK's
 * accumulator builds from the same bytes; Messages must come back as they are; errors must get the README's tags.
 * Skipped as a whole where the recordings are absent.
 */
import Anthropic from "@anthropic-ai/sdk"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as fc from "fast-check"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import type * as Messages from "../src/Messages.js"
import * as MessageStream from "../src/MessageStream.js"
import { type Client, createClient } from "../src/PromiseClient.js"
import * as StandIn from "../src/testing/StandIn.js"
import { API_KEY, hello, stack } from "./fixtures.js"

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../shared/real-traffic")
const present = fs.existsSync(path.join(ROOT, "manifest.json"))

interface Entry {
  readonly name: string
  readonly kind: "stream" | "message" | "error" | "stream-error"
  readonly file: string
  readonly status?: number
  readonly expectStatus?: number
  readonly credential?: string
  /** Why the manifest keeps the recording out of replays (e.g. two messages spliced into one body). */
  readonly skip?: string
}

const manifest: ReadonlyArray<Entry> = present ? JSON.parse(fs.readFileSync(path.join(ROOT, "manifest.json"), "utf8")) : []
const ofKind = (kind: Entry["kind"]) => manifest.filter((entry) => entry.kind === kind)
const bytesOf = (entry: Entry) => new Uint8Array(fs.readFileSync(path.join(ROOT, entry.file)))
const jsonOf = (entry: Entry) => JSON.parse(fs.readFileSync(path.join(ROOT, entry.file), "utf8"))

const SETUP_TOKEN = "sk-ant-oat01-replay" + "r".repeat(80)
const staticKey = { api_key: API_KEY, auth: { mode: "static" }, retry: { max_retries: 0 } }
const providerFor = (entry: Entry) =>
  entry.credential === "setup_token"
    ? { auth: { mode: "setup_token", setup_token: SETUP_TOKEN }, retry: { max_retries: 0 } }
    : staticKey

// ---------------------------------------------------------------------------------------------------------------
// The official SDK as the reference
// ---------------------------------------------------------------------------------------------------------------

type Json = Record<string, any>

/** What the SDK's own accumulator builds from `bytes`, with the events its own SSE parser read. */
const sdkReading = async (bytes: Uint8Array): Promise<{ readonly message: Json | undefined; readonly events: Array<Json>; readonly error?: unknown }> => {
  const sdk = new Anthropic({
    apiKey: API_KEY,
    maxRetries: 0,
    fetch: async () => new Response(new Blob([bytes as Uint8Array<ArrayBuffer>]), { status: 200, headers: { "content-type": "text/event-stream" } })
  })
  const stream = sdk.messages.stream(hello as Anthropic.MessageCreateParamsNonStreaming)
  const events: Array<Json> = []
  let message: Json | undefined
  // The snapshot at message_stop is the accumulated Message itself, before finalMessage() adds `parsed_output`.
  stream.on("streamEvent", (event, snapshot) => {
    events.push(JSON.parse(JSON.stringify(event)))
    if (event.type === "message_stop") message = JSON.parse(JSON.stringify(snapshot))
  })
  const error = await stream.done().then(() => undefined, (e: unknown) => e)
  return error === undefined ? { message, events } : { message, events, error }
}

/** The six `message_delta.usage` fields the SDK's `MessageStream` copies; its `BetaMessageStream` copies more. */
const SDK_USAGE_FIELDS = new Set(["output_tokens", "input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "server_tool_use", "output_tokens_details"])
/** The blocks whose `input_json_delta` the SDK's `MessageStream` reads; its `BetaMessageStream` adds `mcp_tool_use`. */
const SDK_TOOL_INPUT_BLOCKS = new Set(["tool_use", "server_tool_use"])

/**
 * The Message we must give: the SDK's, plus what the SDK's `MessageStream` drops although the wire carries it (and
 * the non-streamed Message, and the SDK's own `BetaMessageStream`, keep it). Each allowed difference is one rule:
 *
 * 1. `message_delta.usage` fields other than the six it copies (`iterations`, `fallback_credit`).
 * 2. `message_delta` fields beside `type`, `delta` and `usage` (`context_management`).
 * 3. The input of a block other than `tool_use` / `server_tool_use` built from `input_json_delta` (`mcp_tool_use`):
 *    the SDK leaves the `{}` of its content_block_start.
 */
const expectedFrom = (sdk: { readonly message: Json | undefined; readonly events: ReadonlyArray<Json> }): Json => {
  const expected = structuredClone(sdk.message)!
  const otherInputs = new Map<number, string>()
  for (const event of sdk.events) {
    if (event.type === "message_delta") {
      for (const [key, value] of Object.entries(event.usage as Json)) {
        if (!SDK_USAGE_FIELDS.has(key) && value !== null) expected.usage[key] = value // rule 1
      }
      for (const [key, value] of Object.entries(event)) {
        if (key !== "type" && key !== "delta" && key !== "usage" && value !== null) expected[key] = value // rule 2
      }
    }
    if (
      event.type === "content_block_delta" && event.delta.type === "input_json_delta" &&
      !SDK_TOOL_INPUT_BLOCKS.has(expected.content[event.index].type)
    ) {
      otherInputs.set(event.index, (otherInputs.get(event.index) ?? "") + event.delta.partial_json) // rule 3
    }
  }
  for (const [index, json] of otherInputs) expected.content[index].input = json === "" ? {} : JSON.parse(json)
  return expected
}

const references = new Map<string, Promise<Json>>()
/** The expected Message of a stream recording, read once. */
const referenceFor = (entry: Entry) => {
  let reference = references.get(entry.name)
  if (reference === undefined) {
    reference = sdkReading(bytesOf(entry)).then((sdk) => {
      if (sdk.error !== undefined) throw sdk.error
      return expectedFrom(sdk)
    })
    references.set(entry.name, reference)
  }
  return reference
}

// ---------------------------------------------------------------------------------------------------------------
// Chunkings: whole, several seeded random splits, and byte by byte for the small ones
// ---------------------------------------------------------------------------------------------------------------

const SPLITS_PER_RECORDING = 4
/** Recordings up to this size are also fed a byte at a time (to the decoder), and over HTTP a few bytes a write. */
const SMALL = 8 * 1024

const split = (bytes: Uint8Array, cuts: ReadonlyArray<number>): Array<Uint8Array> => {
  const points = [...new Set(cuts)].sort((a, b) => a - b)
  return [...points, bytes.length].map((end, i) => bytes.subarray(i === 0 ? 0 : points[i - 1]!, end))
}

/** Ways to cut `bytes` into network chunks, the same on every run: fast-check with a seed of its own per recording. */
const chunkings = (bytes: Uint8Array, seed: number): Array<{ readonly label: string; readonly chunks: Array<Uint8Array> }> => [
  { label: "whole", chunks: [bytes] },
  ...fc.sample(fc.array(fc.nat({ max: bytes.length }), { minLength: 1, maxLength: 200 }), { seed, numRuns: SPLITS_PER_RECORDING })
    .map((cuts, i) => ({ label: `random split ${i + 1} (seed ${seed})`, chunks: split(bytes, cuts) })),
  ...(bytes.length <= SMALL ? [{ label: "byte at a time", chunks: Array.from(bytes, (b) => Uint8Array.of(b)) }] : [])
]

/** HTTP write sizes: whole, one seeded size, and a few bytes a write for the small recordings. */
const writeSizes = (bytes: Uint8Array, seed: number): Array<number | undefined> => [
  undefined,
  1 + (seed * 7919 % 509),
  ...(bytes.length <= SMALL ? [3] : [])
]

const decodeAll = (chunks: ReadonlyArray<Uint8Array>) =>
  Stream.fromIterable(chunks).pipe(MessageStream.decodeSse({ credential: "api_key" }))

const streamReply = (bytes: Uint8Array, chunkSize: number | undefined): StandIn.Reply =>
  chunkSize === undefined ? { type: "stream", body: bytes } : { type: "stream", body: bytes, chunkSize }

/** A recording's own bytes as a JSON answer. */
const rawJson = (entry: Entry, status: number): StandIn.Reply => ({
  type: "raw",
  status,
  body: fs.readFileSync(path.join(ROOT, entry.file), "utf8"),
  headers: { "content-type": "application/json" }
})

// ---------------------------------------------------------------------------------------------------------------
// The README's classification table, for the answers the recordings hold
// ---------------------------------------------------------------------------------------------------------------

const expectClassified = (error: any, entry: Entry, status: number, body: Json) => {
  expect(error.status).toBe(status)
  expect(error.errorType).toBe(body.error.type)
  expect(error.apiMessage).toBe(body.error.message)
  if (body.request_id !== undefined) expect(error.requestId).toBe(body.request_id)
  if (status >= 500) {
    expect(error._tag).toBe("ServerError")
  } else if (status === 400 && entry.credential !== undefined) {
    // Anthropic's refusal of a subscription credential outside Claude Code
    expect(error._tag).toBe("CredentialInvalid")
    expect(error.reason).toBe("subscription_policy")
    expect(error.credential).toBe(entry.credential)
  } else {
    expect(error._tag).toBe("Other")
  }
}

// ---------------------------------------------------------------------------------------------------------------

describe.skipIf(!present)("real traffic", () => {
  let standIn: StandIn.StandIn
  const promiseClients = new Map<string, Client>()
  /** One Promise client per kind of credential, over one stand-in: each test enqueues its own replies. */
  const promiseClient = async (entry: Entry) => {
    const provider = providerFor(entry)
    const key = JSON.stringify(provider)
    let client = promiseClients.get(key)
    if (client === undefined) {
      client = await createClient({ config: { providers: { anthropic: { ...provider, base_url: standIn.url } } }, env: {} })
      promiseClients.set(key, client)
    }
    return client
  }
  beforeAll(async () => {
    standIn = await StandIn.start()
  })
  afterAll(async () => {
    for (const client of promiseClients.values()) await client.close()
    await standIn.close()
  })

  describe("stream recordings accumulate to the official SDK's Message", () => {
    ofKind("stream").forEach((entry, seed) => {
      if (entry.skip !== undefined) {
        it.skip(`${entry.name}: ${entry.skip}`, () => {})
        return
      }

      it(`${entry.name}: decodeSse + finalMessage, whole and re-chunked`, async () => {
        const expected = await referenceFor(entry)
        for (const { chunks, label } of chunkings(bytesOf(entry), seed + 1)) {
          const message = Effect.runSync(MessageStream.finalMessage(decodeAll(chunks)))
          expect(message, label).toStrictEqual(expected)
        }
      })

      it.effect(`${entry.name}: AnthropicClient.stream over HTTP`, () =>
        Effect.gen(function*() {
          const expected = yield* Effect.promise(() => referenceFor(entry))
          const bytes = bytesOf(entry)
          const sizes = writeSizes(bytes, seed + 1)
          const server = yield* StandIn.scoped({ replies: sizes.map((size) => streamReply(bytes, size)) })
          const { client } = yield* stack({ ...staticKey, base_url: server.url })
          for (const size of sizes) {
            const message = yield* MessageStream.finalMessage(client.stream(hello))
            expect(message, `written ${size ?? "whole"} bytes at a time`).toStrictEqual(expected)
          }
        }))

      it(`${entry.name}: Promise client messages.stream().finalMessage()`, async () => {
        const expected = await referenceFor(entry)
        const bytes = bytesOf(entry)
        const client = await promiseClient(entry)
        for (const size of writeSizes(bytes, seed + 1)) {
          standIn.enqueue(streamReply(bytes, size))
          expect(await client.messages.stream(hello).finalMessage(), `written ${size ?? "whole"} bytes at a time`).toStrictEqual(expected)
        }
      })
    })
  })

  describe("Message recordings come back as they are", () => {
    for (const entry of ofKind("message")) {
      it.effect(`${entry.name}: createMessage`, () =>
        Effect.gen(function*() {
          const server = yield* StandIn.scoped({ replies: [rawJson(entry, entry.status ?? 200)] })
          const { client } = yield* stack({ ...staticKey, base_url: server.url })
          expect(yield* client.createMessage(hello)).toStrictEqual(jsonOf(entry))
        }))

      it(`${entry.name}: Promise client messages.create`, async () => {
        standIn.enqueue(rawJson(entry, entry.status ?? 200))
        const client = await promiseClient(entry)
        expect(await client.messages.create(hello)).toStrictEqual(jsonOf(entry))
      })
    }
  })

  describe("error recordings get the README's tags", () => {
    for (const entry of ofKind("error")) {
      it.effect(`${entry.name} (${entry.status}): createMessage, not retried`, () =>
        Effect.gen(function*() {
          const server = yield* StandIn.scoped({ replies: [rawJson(entry, entry.status!)] })
          const { client } = yield* stack({ ...providerFor(entry), base_url: server.url })
          const error = yield* Effect.flip(client.createMessage(hello))
          expectClassified(error, entry, entry.status!, jsonOf(entry))
          expect(server.requests.length).toBe(1)
        }))

      it(`${entry.name} (${entry.status}): Promise client messages.create`, async () => {
        standIn.enqueue(rawJson(entry, entry.status!))
        const client = await promiseClient(entry)
        const error = await client.messages.create(hello).then(() => undefined, (e: unknown) => e)
        expectClassified(error, entry, entry.status!, jsonOf(entry))
      })
    }
  })

  describe("a stream that fails mid-way fails with the tagged error, after the events before it", () => {
    for (const entry of ofKind("stream-error")) {
      const payload = () => {
        const text = new TextDecoder().decode(bytesOf(entry))
        return JSON.parse(text.slice(text.lastIndexOf("event: error")).split("data: ")[1]!) as Json
      }

      it(`${entry.name}: decodeSse, whole and re-chunked`, async () => {
        const sdk = await sdkReading(bytesOf(entry))
        expect(sdk.error).toBeDefined() // the SDK fails there too
        for (const { chunks, label } of chunkings(bytesOf(entry), 1)) {
          const seen: Array<Messages.MessageStreamEvent> = []
          const error: any = Effect.runSync(Effect.flip(Stream.runForEach(decodeAll(chunks), (e) => Effect.sync(() => void seen.push(e)))))
          expect(seen, label).toEqual(sdk.events)
          expect(error._tag, label).toBe("ServerError")
          expect(error.status, label).toBe(entry.expectStatus)
          expect(error.apiMessage, label).toBe(payload().error.message)
          expect(error.requestId, label).toBe(payload().request_id)
        }
      })

      it.effect(`${entry.name}: AnthropicClient.stream over HTTP, not retried`, () =>
        Effect.gen(function*() {
          const sdk = yield* Effect.promise(() => sdkReading(bytesOf(entry)))
          const server = yield* StandIn.scoped({ replies: [streamReply(bytesOf(entry), 17)] })
          const { client } = yield* stack({ ...staticKey, base_url: server.url })
          const seen: Array<Messages.MessageStreamEvent> = []
          const error: any = yield* Effect.flip(Stream.runForEach(client.stream(hello), (e) => Effect.sync(() => void seen.push(e))))
          expect(seen).toEqual(sdk.events)
          expect(error._tag).toBe("ServerError")
          expect(error.status).toBe(entry.expectStatus)
          expect(server.requests.length).toBe(1)
        }))

      it(`${entry.name}: Promise client, for await then finalMessage()`, async () => {
        const sdk = await sdkReading(bytesOf(entry))
        standIn.enqueue(streamReply(bytesOf(entry), 17))
        const stream = (await promiseClient(entry)).messages.stream(hello)
        const seen: Array<Messages.MessageStreamEvent> = []
        const error: any = await (async () => {
          for await (const event of stream) seen.push(event)
        })().then(() => undefined, (e: unknown) => e)
        expect(seen).toEqual(sdk.events)
        expect(error._tag).toBe("ServerError")
        expect(error.status).toBe(entry.expectStatus)
        await expect(stream.finalMessage()).rejects.toBe(error)
      })
    }
  })

  it("the manifest names recordings of every kind this file replays", () => {
    expect(ofKind("stream").length).toBeGreaterThan(0)
    expect(ofKind("message").length).toBeGreaterThan(0)
    expect(ofKind("error").length).toBeGreaterThan(0)
    expect(ofKind("stream-error").length).toBeGreaterThan(0)
  })
})
