/**
 * The models the stand-in knows: the Claude API's line-up as `GET /v1/models` lists it (ids, display names, release
 * dates, lifecycles, newest first), the aliases the API resolves (`claude-haiku-4-5` → `claude-haiku-4-5-20251001`),
 * and the checks the API makes on a request's model. Release dates are Anthropic's (its model pages and the official
 * SDK's changelog); deprecation and retirement dates are given where Anthropic published them, else left null.
 */
import type { ModelInfo } from "../resources/models.js"
import type { RecordedRequest, Reply } from "./types.js"

type Line = "haiku" | "sonnet" | "opus" | "fable" | "mythos"

/** The lifecycle of a model that is not `active`, with the dates Anthropic published (`undefined`: not published). */
interface Lifecycle {
  readonly stage: "deprecated" | "retired"
  readonly deprecated?: string | undefined
  readonly retires?: string | undefined
}

const day = (date: string | undefined): string | null => date === undefined ? null : `${date}T00:00:00Z`

const model = (
  id: string,
  display_name: string,
  released: string,
  line: Line,
  [max_input_tokens, max_tokens]: readonly [number, number],
  lifecycle?: Lifecycle
): ModelInfo => ({
  type: "model",
  id,
  display_name,
  created_at: `${released}T00:00:00Z`,
  deprecated_at: day(lifecycle?.deprecated),
  retires_at: day(lifecycle?.retires),
  lifecycle: lifecycle?.stage ?? "active",
  line,
  max_input_tokens,
  max_tokens
})

const MILLION: readonly [number, number] = [1_000_000, 128_000]
const CLASSIC: readonly [number, number] = [200_000, 64_000]

/**
 * The catalogue as the API keeps it, newest first: 19 models it lists by default (active and deprecated), then 8
 * retired ones it lists only for `lifecycle=retired` (and still describes by id).
 */
export const realModels = (): Array<ModelInfo> => [
  model("claude-fable-5-2", "Claude Fable 5.2", "2026-11-09", "fable", MILLION),
  model("claude-mythos-5-2", "Claude Mythos 5.2", "2026-11-09", "mythos", MILLION),
  model("claude-haiku-5-5", "Claude Haiku 5.5", "2026-10-07", "haiku", MILLION),
  model("claude-sonnet-5-5", "Claude Sonnet 5.5", "2026-09-28", "sonnet", MILLION),
  model("claude-opus-5-5", "Claude Opus 5.5", "2026-09-22", "opus", MILLION),
  model("claude-fable-5-1", "Claude Fable 5.1", "2026-09-01", "fable", MILLION),
  model("claude-mythos-5-1", "Claude Mythos 5.1", "2026-09-01", "mythos", MILLION),
  model("claude-opus-5", "Claude Opus 5", "2026-07-24", "opus", MILLION),
  model("claude-sonnet-5", "Claude Sonnet 5", "2026-06-30", "sonnet", MILLION),
  model("claude-fable-5", "Claude Fable 5", "2026-06-09", "fable", MILLION),
  model("claude-mythos-5", "Claude Mythos 5", "2026-06-09", "mythos", MILLION),
  model("claude-opus-4-8", "Claude Opus 4.8", "2026-05-28", "opus", MILLION),
  model("claude-opus-4-7", "Claude Opus 4.7", "2026-04-16", "opus", MILLION),
  model("claude-mythos-preview", "Claude Mythos Preview", "2026-04-07", "mythos", MILLION, {
    stage: "deprecated",
    retires: "2026-06-30"
  }),
  model("claude-sonnet-4-6", "Claude Sonnet 4.6", "2026-02-17", "sonnet", [1_000_000, 64_000]),
  model("claude-opus-4-6", "Claude Opus 4.6", "2026-02-05", "opus", MILLION),
  model("claude-opus-4-5-20251101", "Claude Opus 4.5", "2025-11-24", "opus", CLASSIC, {
    stage: "deprecated",
    deprecated: "2026-11-23",
    retires: "2027-01-22"
  }),
  model("claude-haiku-4-5-20251001", "Claude Haiku 4.5", "2025-10-15", "haiku", CLASSIC),
  model("claude-sonnet-4-5-20250929", "Claude Sonnet 4.5", "2025-09-29", "sonnet", CLASSIC, {
    stage: "deprecated",
    retires: "2026-11-30"
  }),
  ...retiredModels()
]

const retired = (deprecated?: string, retires?: string): Lifecycle => ({ stage: "retired", deprecated, retires })

const retiredModels = (): Array<ModelInfo> => [
  model("claude-opus-4-1-20250805", "Claude Opus 4.1", "2025-08-05", "opus", [200_000, 32_000], retired("2026-06-05", "2026-08-05")),
  model("claude-opus-4-20250514", "Claude Opus 4", "2025-05-22", "opus", [200_000, 32_000], retired("2026-04-14", "2026-06-15")),
  model("claude-sonnet-4-20250514", "Claude Sonnet 4", "2025-05-22", "sonnet", CLASSIC, retired("2026-04-14", "2026-06-15")),
  model("claude-3-7-sonnet-20250219", "Claude Sonnet 3.7", "2025-02-24", "sonnet", CLASSIC, retired("2025-10-28", "2026-02-19")),
  model("claude-3-5-haiku-20241022", "Claude Haiku 3.5", "2024-10-22", "haiku", [200_000, 8_192], retired()),
  model("claude-3-5-sonnet-20241022", "Claude Sonnet 3.5 (New)", "2024-10-22", "sonnet", [200_000, 8_192], retired("2025-08-13", "2025-10-22")),
  model("claude-3-5-sonnet-20240620", "Claude Sonnet 3.5 (Old)", "2024-06-20", "sonnet", [200_000, 8_192], retired("2025-08-13", "2025-10-22")),
  model("claude-3-opus-20240229", "Claude Opus 3", "2024-02-29", "opus", [200_000, 4_096], retired("2025-06-30", "2026-01-05"))
]

/** The API's aliases of dated snapshots (from Claude 4.6 on, a dateless id is its own snapshot, not an alias). */
export const ALIASES: Readonly<Record<string, string>> = {
  "claude-haiku-4-5": "claude-haiku-4-5-20251001",
  "claude-sonnet-4-5": "claude-sonnet-4-5-20250929",
  "claude-opus-4-5": "claude-opus-4-5-20251101",
  "claude-opus-4-1": "claude-opus-4-1-20250805",
  "claude-opus-4-0": "claude-opus-4-20250514",
  "claude-sonnet-4-0": "claude-sonnet-4-20250514",
  "claude-3-7-sonnet-latest": "claude-3-7-sonnet-20250219",
  "claude-3-5-haiku-latest": "claude-3-5-haiku-20241022",
  "claude-3-5-sonnet-latest": "claude-3-5-sonnet-20241022",
  "claude-3-opus-latest": "claude-3-opus-20240229"
}

/**
 * Which models a Messages request may name: the catalogue's (by id or alias, not retired; any other gets the API's
 * 404), or `"any"` name at all (a name the catalogue does not know is answered as it was given).
 */
export type Accepted = "catalogue" | "any"

/** The model `name` stands for in `models`: by id, else by alias (any lifecycle); `undefined` when unknown. */
export const find = (models: ReadonlyArray<ModelInfo>, name: string): ModelInfo | undefined =>
  models.find((m) => m.id === name) ?? (Object.hasOwn(ALIASES, name) ? models.find((m) => m.id === ALIASES[name]) : undefined)

type ErrorReply = (status: number, options: { readonly errorType?: string; readonly message?: string }) => Reply

/** The API's answer to a model it does not serve: 404 `not_found_error`, `model: <the name as given>`. */
export const notFound = (error: ErrorReply, name: string): Reply =>
  error(404, { errorType: "not_found_error", message: `model: ${name}` })

/**
 * A Messages request (create, stream, count_tokens) checked as the API checks its model: refused (a missing model
 * is a 400, an unknown or retired one a 404), or passed on with the model resolved to its full id, as the API's
 * answer names it.
 */
export const checkModel = (
  request: RecordedRequest,
  models: ReadonlyArray<ModelInfo>,
  accepted: Accepted,
  error: ErrorReply
): { readonly refused: Reply } | { readonly request: RecordedRequest } => {
  const name: unknown = request.body?.model
  if (typeof name !== "string" || name === "") {
    return accepted === "any" ? { request } : { refused: error(400, { message: "model: Field required" }) }
  }
  const known = find(models, name)
  if (known === undefined || known.lifecycle === "retired") {
    return accepted === "any" && known === undefined ? { request } : { refused: notFound(error, name) }
  }
  return { request: { ...request, body: { ...request.body, model: known.id } } }
}
