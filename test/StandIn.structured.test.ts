/**
 * The stand-in's default answer to a request for structured output or a forced tool: a value of the schema asked
 * for, so examples and tests on `StructuredOutput` run against it without a scripted reply.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { sampleOf } from "../src/internal/standIn/sample.js"
import * as MessageStream from "../src/MessageStream.js"
import * as StructuredOutput from "../src/StructuredOutput.js"
import * as StandIn from "../src/testing/StandIn.js"
import { API_KEY, stack } from "./fixtures.js"

const Forecast = Schema.Struct({
  city: Schema.String,
  celsius: Schema.Finite.check(Schema.isBetween({ minimum: -90, maximum: 60 })),
  at: Schema.Date,
  sky: Schema.Literals(["clear", "cloudy"]),
  hours: Schema.Array(Schema.Struct({ hour: Schema.Int })),
  humidity: Schema.Finite.check(Schema.isBetween({ minimum: 20, maximum: 100 }))
})
const GetWeather = Schema.Struct({ city: Schema.String, unit: Schema.optional(Schema.Literals(["C", "F"])) })
const ask = { model: "claude-haiku-4-5", max_tokens: 512, messages: [{ role: "user" as const, content: "Weather?" }] }

describe("the stand-in's structured answers", () => {
  it.effect("output_config json_schema: the answer's text decodes with the same Schema", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
      const forecast = yield* client.createMessage({ ...ask, output_config: { format: StructuredOutput.outputFormat(Forecast) } }).pipe(
        Effect.flatMap(StructuredOutput.decodeOutput(Forecast))
      )
      expect(forecast.sky).toBe("clear")
      expect(forecast.at).toBeInstanceOf(Date)
      expect(forecast.hours[0]!.hour).toBe(0)
      expect(forecast.humidity).toBe(20)
    }))

  it.effect("a forced tool (tool_choice tool or any): a tool_use whose input decodes, created or streamed", () =>
    Effect.gen(function*() {
      const standIn = yield* StandIn.scoped()
      const { client } = yield* stack({ api_key: API_KEY, base_url: standIn.url })
      const tools = [StructuredOutput.tool("get_weather", GetWeather)]
      const answer = yield* client.createMessage({ ...ask, tools, tool_choice: { type: "tool", name: "get_weather" } })
      expect(answer.stop_reason).toBe("tool_use")
      const calls = yield* StructuredOutput.toolInputs("get_weather", GetWeather)(answer)
      expect(calls[0]!.input).toEqual({ city: "example", unit: "C" })
      const streamed = yield* MessageStream.finalMessage(client.stream({ ...ask, tools, tool_choice: { type: "any" } }))
      expect((yield* StructuredOutput.toolInputs("get_weather", GetWeather)(streamed))).toHaveLength(1)
      // Not forced: the echo, as before.
      const echoed = yield* client.createMessage({ ...ask, tools })
      expect(echoed.content[0]).toMatchObject({ type: "text", text: "echo: Weather?" })
    }))

  it("sampleOf: $ref into $defs, enums, unions, bounds, nested arrays, and no endless recursion", () => {
    const root = {
      type: "object",
      properties: { node: { $ref: "#/$defs/Node" }, n: { type: "integer", exclusiveMinimum: 4 }, u: { anyOf: [{ type: "boolean" }, { type: "string" }] } },
      $defs: { Node: { type: "object", properties: { next: { $ref: "#/$defs/Node" }, tag: { enum: ["a", "b"] } } } }
    }
    const sample = sampleOf(root) as any
    expect(sample.n).toBe(5)
    expect(sample.u).toBe(true)
    expect(sample.node.tag).toBe("a")
    expect(JSON.stringify(sample).length).toBeLessThan(10_000)
  })
})
