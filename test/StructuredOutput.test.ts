/**
 * StructuredOutput: Effect Schemas as the API's JSON schemas (the strict subset), and answers decoded back with the
 * Schema, through the stand-in.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as StructuredOutput from "../src/StructuredOutput.js"
import * as StandIn from "../src/testing/StandIn.js"
import { API_KEY, hello, stack } from "./fixtures.js"

const Kind = Schema.Union([
  Schema.Struct({ t: Schema.Literal("x") }),
  Schema.Struct({ t: Schema.Literal("y"), n: Schema.NumberFromString })
])
class Person extends Schema.Class<Person>("Person")({
  name: Schema.String.check(Schema.isMinLength(2)),
  age: Schema.optional(Schema.Int),
  tags: Schema.Array(Schema.Literals(["a", "b"])).check(Schema.isMinLength(1)),
  born: Schema.Date,
  kind: Kind
}) {}

describe("StructuredOutput.jsonSchema: the API's subset", () => {
  it("objects closed, oneOf/anyOf kept as anyOf, unsupported keywords moved into the description, the root $ref resolved", () => {
    const schema = StructuredOutput.jsonSchema(Person)
    // Effect 4: no titles, and no definitions but the root's (resolved); an optional field may be `null` in JSON;
    // `Schema.Int` is a safe integer; a JSON schema's `minLength` counts code points, so `isMinLength(2)` (UTF-16
    // units) is `minLength: 1` there, the Schema judging the rest.
    expect(schema).toEqual({
      type: "object",
      properties: {
        name: { type: "string", description: "a value with a length of at least 2\n\n{minLength: 1}" },
        age: {
          anyOf: [
            { type: "integer", description: "an integer\n\n{minimum: -9007199254740991, maximum: 9007199254740991}" },
            { type: "null" }
          ]
        },
        tags: { type: "array", items: { enum: ["a", "b"] }, minItems: 1, description: "a value with a length of at least 1" },
        born: { type: "string", description: "a string that will be decoded as a Date" },
        kind: {
          anyOf: [
            { type: "object", properties: { t: { enum: ["x"] } }, additionalProperties: false, required: ["t"] },
            {
              type: "object",
              properties: { t: { enum: ["y"] }, n: { type: "string", description: "a string that will be decoded as a number" } },
              additionalProperties: false,
              required: ["t", "n"]
            }
          ]
        }
      },
      additionalProperties: false,
      required: ["name", "tags", "born", "kind"]
    })
    expect(JSON.stringify(schema)).not.toContain("$schema")
  })

  it("a record's value schema is kept as words; string formats outside the API's list too", () => {
    const schema = StructuredOutput.jsonSchema(Schema.Struct({
      scores: Schema.Record(Schema.String, Schema.Finite),
      id: Schema.String.annotate({ format: "uuid" }),
      code: Schema.String.annotate({ format: "hex-color" })
    }))
    expect(schema.properties).toEqual({
      scores: {
        type: "object",
        properties: {},
        additionalProperties: false,
        description: '{additionalProperties: {"type":"number","description":"a finite number"}}'
      },
      id: { type: "string", format: "uuid" },
      code: { type: "string", description: '{format: "hex-color"}' }
    })
  })

  it("a schema that is not an object at its root is refused, saying how to fix it", () => {
    expect(() => StructuredOutput.jsonSchema(Schema.Array(Schema.String))).toThrow(/must describe a JSON object at its root.*Schema.Struct/)
    expect(() => StructuredOutput.outputFormat(Kind)).toThrow(/not "a union"/)
  })
})

describe("StructuredOutput through the stand-in", () => {
  const Weather = Schema.Struct({
    city: Schema.String,
    celsius: Schema.Finite.check(Schema.isBetween({ minimum: -90, maximum: 60 })),
    at: Schema.Date
  })

  it.effect("the request carries output_config.format (with extended thinking); the answer's text is decoded with the Schema", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped({
        replies: [StandIn.text(JSON.stringify({ city: "Paris", celsius: 21.5, at: "2026-12-02T10:00:00.000Z" }))]
      })
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
      const format = StructuredOutput.outputFormat(Weather)
      const answer = yield* client.createMessage({
        ...hello,
        max_tokens: 4096,
        thinking: { type: "enabled", budget_tokens: 1024 },
        output_config: { format, effort: "low" }
      })
      expect(standIn.requests[0]!.body.output_config).toEqual({ format, effort: "low" })
      expect(standIn.requests[0]!.body.output_config.format.schema.additionalProperties).toBe(false)
      const weather = yield* StructuredOutput.decodeOutput(Weather)(answer)
      expect(weather).toEqual({ city: "Paris", celsius: 21.5, at: new Date("2026-12-02T10:00:00.000Z") })
    }))

  it.effect("an answer that is not JSON, does not fit, or stopped early is a StructuredOutputError saying which", () =>
    Effect.gen(function*() {
      const decode = StructuredOutput.decodeOutput(Weather)
      const message = (text: string, stop_reason: string = "end_turn") =>
        StandIn.messageJson([{ type: "text", text }], { stop_reason })
      const notJson = yield* Effect.flip(decode(message("It is sunny in Paris.")))
      expect(notJson).toMatchObject({ _tag: "StructuredOutputError", source: "text", detail: "the answer's text is not JSON" })
      const outOfRange = yield* Effect.flip(decode(message(JSON.stringify({ city: "Paris", celsius: 99, at: "2026-12-02" }))))
      expect(outOfRange.detail).toContain("celsius")
      expect(outOfRange.detail).toContain("between -90 and 60")
      const cut = yield* Effect.flip(decode(message('{"city": "Pa', "max_tokens")))
      expect(cut).toMatchObject({ detail: "the answer was cut off by max_tokens", stopReason: "max_tokens" })
      expect(cut.message).toBe("The structured output does not fit its schema: the answer was cut off by max_tokens (stop_reason max_tokens)")
      const refused = yield* Effect.flip(decode(message("", "refusal")))
      expect(refused.detail).toBe("the model refused to answer")
    }))

  it.effect("a tool from a Schema: its input_schema is sent; tool_use inputs are decoded, a bad one names the tool", () =>
    Effect.gen(function*() {
      const Input = Schema.Struct({ city: Schema.String, days: Schema.optional(Schema.Int) })
      const getWeather = StructuredOutput.tool("get_weather", Input, { description: "Weather by city", strict: true })
      expect(getWeather).toEqual({
        name: "get_weather",
        description: "Weather by city",
        strict: true,
        input_schema: {
          type: "object",
          properties: {
            city: { type: "string" },
            days: {
              anyOf: [
                { type: "integer", description: "an integer\n\n{minimum: -9007199254740991, maximum: 9007199254740991}" },
                { type: "null" }
              ]
            }
          },
          additionalProperties: false,
          required: ["city"]
        }
      })
      const standIn = yield* StandIn.scoped({ replies: [StandIn.toolUse("get_weather", { city: "Oslo", days: 3 }, "Let me check.")] })
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
      const answer = yield* client.createMessage({ ...hello, tools: [getWeather] })
      expect(standIn.requests[0]!.body.tools).toEqual([getWeather])
      const calls = yield* StructuredOutput.toolInputs("get_weather", Input)(answer)
      expect(calls.map((c) => c.input)).toEqual([{ city: "Oslo", days: 3 }])
      expect(calls[0]!.id).toMatch(/^toolu_/)
      expect(yield* StructuredOutput.toolInputs("other_tool", Input)(answer)).toEqual([])
      const bad = StandIn.messageJson([{ type: "tool_use", id: "toolu_x", name: "get_weather", input: { city: 5 } }])
      const error = yield* Effect.flip(StructuredOutput.toolInputs("get_weather", Input)(bad))
      expect(error).toMatchObject({ _tag: "StructuredOutputError", source: "tool_use", name: "get_weather" })
      expect(error.message).toContain("The input of tool get_weather does not fit its schema")
      const one = yield* StructuredOutput.decodeToolInput(Input)({ type: "tool_use", id: "t", name: "get_weather", input: { city: "Rome" } })
      expect(one).toEqual({ city: "Rome" })
    }))
})
