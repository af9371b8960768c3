/**
 * AnthropicTokenizer through the whole stack against the stand-in: the API's count of a prompt as the provider would
 * send it, truncation to the longest tail that fits (cut at user messages, system kept, by bisection), tokenize
 * refusing to make token ids up, errors as AiError, and the model with its tokenizer.
 */
import { describe, expect, it } from "@effect/vitest"
import * as LanguageModel from "effect/ai/LanguageModel"
import * as Prompt from "effect/ai/Prompt"
import * as Tokenizer from "effect/ai/Tokenizer"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as AnthropicClient from "../src/AnthropicClient.js"
import * as AnthropicLanguageModel from "../src/AnthropicLanguageModel.js"
import * as AnthropicTokenizer from "../src/AnthropicTokenizer.js"
import * as Files from "../src/Files.js"
import * as StandIn from "../src/testing/StandIn.js"
import { API_KEY } from "./fixtures.js"

/** The stand-in, and the model with its tokenizer over the whole stack pointed at it. */
const setup = Effect.gen(function*() {
  const standIn = yield* StandIn.scoped()
  const stack = AnthropicClient.layerFile({
    config: { providers: { anthropic: { api_key: API_KEY, base_url: standIn.url, auth: { mode: "static" }, retry: { max_retries: 0 } } } },
    env: {}
  })
  const context = yield* Layer.build(AnthropicLanguageModel.modelWithTokenizer("claude-haiku-4-5").pipe(Layer.provideMerge(stack)))
  return { standIn, provide: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provide(effect, context) }
})

/** Counts the stand-in answers: 100 a message of the request, 10 for a system prompt. */
const countByMessages: StandIn.Reply = {
  type: "dynamic",
  reply: (request) => ({
    type: "json",
    status: 200,
    body: { input_tokens: 100 * request.body.messages.length + (request.body.system === undefined ? 0 : 10) }
  })
}

const conversation = Prompt.make([
  { role: "system", content: "Be brief." },
  { role: "user", content: "u1" },
  { role: "assistant", content: [{ type: "tool-call", id: "toolu_1", name: "lookup", params: { key: "a" } }] },
  { role: "tool", content: [{ type: "tool-result", id: "toolu_1", name: "lookup", result: "A", isFailure: false, providerExecuted: false }] },
  { role: "user", content: "u2" },
  { role: "assistant", content: "a2" },
  { role: "user", content: "u3" }
])

/** What a prompt holds, a message a line. */
const shown = (prompt: Prompt.Prompt) =>
  prompt.content.map((m) =>
    typeof m.content === "string" ? `${m.role}:${m.content}` : `${m.role}:${m.content.map((p) => p.type === "text" ? p.text : p.type).join(",")}`
  )

describe("AnthropicTokenizer", () => {
  it.effect("countTokens: the API's count of the prompt as the provider sends it (system, merged turns, the files beta)", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* setup
      standIn.enqueue({ type: "json", status: 200, body: { input_tokens: 1234 } }, { type: "json", status: 200, body: { input_tokens: 99 } })
      const count = yield* provide(Effect.flatMap(AnthropicTokenizer.AnthropicTokenizer, (t) => t.countTokens(conversation)))
      expect(count).toBe(1234)
      const request = standIn.requests[0]!
      expect(request.path).toBe("/v1/messages/count_tokens")
      expect(request.body).toEqual({
        model: "claude-haiku-4-5",
        system: [{ type: "text", text: "Be brief." }],
        messages: [
          { role: "user", content: [{ type: "text", text: "u1" }] },
          { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "lookup", input: { key: "a" } }] },
          { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "A" }, { type: "text", text: "u2" }] },
          { role: "assistant", content: [{ type: "text", text: "a2" }] },
          { role: "user", content: [{ type: "text", text: "u3" }] }
        ]
      })
      yield* provide(Effect.flatMap(AnthropicTokenizer.AnthropicTokenizer, (t) =>
        t.countTokens([{ role: "user", content: [{ type: "file", mediaType: "application/pdf", data: "", options: { "effect-anthropic": { fileId: "file_1" } } }] }])))
      expect(standIn.requests[1]!.headers["anthropic-beta"]).toBe(Files.BETA)
    }))

  it.effect("truncate: the whole prompt when it fits (one request); else system and the longest tail from a user message that fits", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* setup
      standIn.setDefault(countByMessages)
      const truncate = (max: number) => provide(Effect.flatMap(Tokenizer.Tokenizer, (t) => t.truncate(conversation, max)))

      expect(shown(yield* truncate(510))).toEqual(shown(conversation))
      expect(standIn.requests.length).toBe(1)

      // 510 in all; from u2: 310 (the tool result goes with its call); from u3: 110.
      expect(shown(yield* truncate(350))).toEqual(["system:Be brief.", "user:u2", "assistant:a2", "user:u3"])
      expect(standIn.requests.length).toBe(4)
      expect(shown(yield* truncate(200))).toEqual(["system:Be brief.", "user:u3"])
      expect(shown(yield* truncate(50))).toEqual([])
      expect(shown(yield* truncate(0))).toEqual([])
      // No count in the request of a tail ever starts with a tool result or an assistant turn.
      for (const request of standIn.requests) expect(request.body.messages[0].role).toBe("user")
      expect(standIn.requests.every((r) => r.body.messages[0].content[0].type !== "tool_result")).toBe(true)
    }))

  it.effect("tokenize fails, saying so, instead of making token ids up; nothing is sent", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* setup
      const error = yield* Effect.flip(provide(Effect.flatMap(Tokenizer.Tokenizer, (t) => t.tokenize("Hello"))))
      // Effect 4: the AiError's reason is Effect 3's error kind.
      expect(error).toMatchObject({ _tag: "AiError", module: "AnthropicTokenizer", method: "tokenize", reason: { _tag: "UnknownError" } })
      expect(error.message).toContain("countTokens")
      expect(standIn.requests).toEqual([])
    }))

  it.effect("a failed count is an AiError of this tokenizer with the client's tagged error; a prompt it cannot send fails first", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* setup
      standIn.enqueue(StandIn.error(429, { retryAfterMs: "500" }))
      const limited = yield* Effect.flip(provide(Effect.flatMap(AnthropicTokenizer.AnthropicTokenizer, (t) => t.countTokens("Hi"))))
      expect(limited).toMatchObject({
        _tag: "AiError",
        module: "AnthropicTokenizer",
        method: "countTokens",
        reason: { _tag: "RateLimitError", http: { response: { status: 429 } } }
      })
      expect(AnthropicLanguageModel.apiError(limited)).toMatchObject({ _tag: "RateLimit", retryAfterMs: 500 })
      const empty = yield* Effect.flip(provide(Effect.flatMap(AnthropicTokenizer.AnthropicTokenizer, (t) => t.countTokens([{ role: "system", content: "only" }]))))
      expect(empty).toMatchObject({ _tag: "AiError", module: "AnthropicTokenizer", reason: { _tag: "InvalidUserInputError" } })
      expect(standIn.requests.length).toBe(1)
    }))

  it.effect("modelWithTokenizer: the language model and its tokenizer from one layer", () =>
    Effect.gen(function*() {
      const { provide, standIn } = yield* setup
      standIn.enqueue(StandIn.text("Hello."), { type: "json", status: 200, body: { input_tokens: 7 } })
      const [text, count] = yield* provide(Effect.all([
        Effect.map(LanguageModel.generateText({ prompt: "Hi" }), (r) => r.text),
        Effect.flatMap(AnthropicTokenizer.AnthropicTokenizer, (t) => t.countTokens("Hi"))
      ]))
      expect([text, count]).toEqual(["Hello.", 7])
      expect(standIn.requests.map((r) => r.path)).toEqual(["/v1/messages", "/v1/messages/count_tokens"])
    }))
})
