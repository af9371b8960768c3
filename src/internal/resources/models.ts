/**
 * (The public `Models` module re-exports this module.)
 * The Models API: `GET /v1/models` (paginated) and `GET /v1/models/{id}`, in the API's own JSON names.
 *
 * The methods are part of `AnthropicClient` (`listModels`, `models`, `retrieveModel`), so credentials, the rate
 * limiter, retries and error classification apply as for messages.
 */
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import type * as Stream from "effect/Stream"
import type * as AnthropicHttpClient from "../http/types.js"
import type { CallOptions } from "../http/types.js"
import { pathOf, withCallOptions } from "../http/request.js"
import type { CallError } from "../errors.js"
import { decodeAnswer } from "../http/decodeAnswer.js"
import { lenient, maybe, openLiteral } from "../messages/schema.js"
import { makeList, type Page, pageQuery, type PageParams } from "../http/pagination.js"

const Support = Schema.Struct({ supported: Schema.Boolean })

/**
 * What a model supports (typed as the official SDK has it; any shape is kept at run time, since it grows often).
 *
 * @since 0.2.0
 * @category schemas
 */
export const ModelCapabilities = Schema.Struct({
  batch: Support,
  citations: Support,
  code_execution: Support,
  context_management: Schema.Struct({
    clear_thinking_20251015: Schema.NullOr(Support),
    clear_tool_uses_20250919: Schema.NullOr(Support),
    compact_20260112: Schema.NullOr(Support),
    supported: Schema.Boolean
  }),
  effort: Schema.Struct({
    low: Support,
    medium: Support,
    high: Support,
    max: Support,
    xhigh: Schema.NullOr(Support),
    supported: Schema.Boolean
  }),
  image_input: Support,
  pdf_input: Support,
  server_tools: Schema.Struct({ code_execution: Support, web_search: Support, supported: Schema.Boolean }),
  structured_outputs: Support,
  thinking: Schema.Struct({
    supported: Schema.Boolean,
    types: Schema.Struct({ adaptive: Support, between_tools: Support, disabled: Support, enabled: Support })
  })
})

/**
 * A model, as `GET /v1/models` lists it.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ModelInfo = Schema.Struct({
  type: Schema.Literal("model"),
  id: Schema.String,
  display_name: Schema.String,
  /** RFC 3339 time of release. */
  created_at: Schema.String,
  capabilities: maybe(lenient(ModelCapabilities)),
  deprecated_at: maybe(Schema.String),
  retires_at: maybe(Schema.String),
  lifecycle: Schema.optional(openLiteral("active", "deprecated", "retired")),
  line: maybe(openLiteral("haiku", "sonnet", "opus", "fable", "mythos")),
  max_input_tokens: maybe(Schema.Number),
  max_tokens: maybe(Schema.Number)
})
/**
 * @since 0.2.0
 * @category models
 */
export type ModelInfo = typeof ModelInfo.Type

/**
 * `GET /v1/models`: which page (`limit`, `after_id` / `before_id`), and which lifecycles.
 *
 * @since 0.2.0
 * @category models
 */
export interface ModelListParams extends PageParams {
  readonly lifecycle?: ReadonlyArray<"active" | "deprecated" | "retired"> | undefined
}

/**
 * The Models part of `AnthropicClient`.
 *
 * @since 0.2.0
 * @category models
 */
export interface Service {
  /** `GET /v1/models`: one page (newest first). */
  readonly listModels: (params?: ModelListParams, options?: CallOptions) => Effect.Effect<Page<ModelInfo>, CallError>
  /** Every model from `params` on, fetching page after page as the stream is read. */
  readonly models: (params?: ModelListParams, options?: CallOptions) => Stream.Stream<ModelInfo, CallError>
  /** `GET /v1/models/{id}`: one model, by id or alias (`claude-haiku-4-5`). */
  readonly retrieveModel: (id: string, options?: CallOptions) => Effect.Effect<ModelInfo, CallError>
}

const decodeModel = decodeAnswer(ModelInfo, "model")

/** The Models methods over the HTTP client. */
export const make = (http: AnthropicHttpClient.Service): Service => {
  const list = (options: CallOptions | undefined) =>
    makeList(ModelInfo, "models", (params: ModelListParams) =>
      http.json(withCallOptions({
        method: "GET",
        path: "/v1/models",
        query: { ...pageQuery(params), lifecycle: params.lifecycle }
      }, options)))
  return {
    listModels: (params = {}, options) => list(options).page(params),
    models: (params = {}, options) => list(options).all(params),
    retrieveModel: (id, options) =>
      Result.match(pathOf`/v1/models/${id}`, {
        onFailure: Effect.fail,
        onSuccess: (path) => Effect.flatMap(http.json(withCallOptions({ method: "GET", path }, options)), decodeModel)
      })
  }
}
