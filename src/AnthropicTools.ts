/**
 * Anthropic's own tools as Effect AI provider-defined tools, for `Toolkit.make(...)` with
 * `AnthropicLanguageModel`: the server tools the API runs itself (web search, web fetch, code execution) and the
 * Anthropic-defined tools your code runs (bash, text editor, memory), each with its typed arguments.
 *
 * ```ts
 * const toolkit = Toolkit.make(AnthropicTools.WebSearch_20250305({ max_uses: 3 }), GetWeather)
 * ```
 *
 * The API's calls of a server tool and their results come back as `tool-call` / `tool-result` parts with
 * `providerExecuted: true`; the result is the API's result block as it came (`web_search_tool_result`, …), which
 * is also what goes back to the API in the next turn. Bash, text editor and memory need a handler
 * (`toolkit.toLayer({ AnthropicBash: ... })`) and return a string to the model.
 *
 * Effect AI is part of `effect` itself (`effect/ai/*`).
 *
 * @since 0.2.0
 */
import * as Tool from "effect/ai/Tool"
import * as Schema from "effect/Schema"

const UserLocation = Schema.Struct({
  type: Schema.Literal("approximate"),
  city: Schema.optional(Schema.NullOr(Schema.String)),
  region: Schema.optional(Schema.NullOr(Schema.String)),
  country: Schema.optional(Schema.NullOr(Schema.String)),
  timezone: Schema.optional(Schema.NullOr(Schema.String))
})

const CacheControl = Schema.Struct({ type: Schema.Literal("ephemeral"), ttl: Schema.optional(Schema.Literals(["5m", "1h"])) })

const PositiveInt = Schema.Int.check(Schema.isGreaterThan(0))

const common = {
  cache_control: Schema.optional(Schema.NullOr(CacheControl)),
  /** Who may call the tool: the model directly, or code running in the code execution tool. */
  allowed_callers: Schema.optional(Schema.Array(Schema.String))
}

const searchArgs = {
  ...common,
  /** At most this many uses in one request. */
  max_uses: Schema.optional(Schema.NullOr(PositiveInt)),
  allowed_domains: Schema.optional(Schema.NullOr(Schema.Array(Schema.String))),
  blocked_domains: Schema.optional(Schema.NullOr(Schema.Array(Schema.String)))
}

/** What a server tool's call and result carry: kept as the API sends them (its result block, whole). */
const serverTool = <const Name extends string, Args extends Schema.Struct.Fields, Parameters extends Schema.Struct.Fields>(options: {
  readonly type: string
  readonly toolkitName: Name
  readonly providerName: string
  readonly args: Args
  readonly parameters: Parameters
}) =>
  Tool.providerDefined({
    id: `anthropic.${options.type}`,
    customName: options.toolkitName,
    providerName: options.providerName,
    args: Schema.Struct(options.args),
    parameters: Schema.Struct(options.parameters),
    success: Schema.Unknown,
    failure: Schema.Unknown
  })

/**
 * Web search, run by the API: `{ query }` calls, results with citations.
 *
 * @since 0.2.0
 * @category server tools
 */
export const WebSearch_20250305 = serverTool({
  type: "web_search_20250305",
  toolkitName: "AnthropicWebSearch",
  providerName: "web_search",
  args: { ...searchArgs, user_location: Schema.optional(Schema.NullOr(UserLocation)) },
  parameters: { query: Schema.String }
})

/**
 * Web fetch, run by the API: `{ url }` calls, the page (or PDF) as a document.
 *
 * @since 0.2.0
 * @category server tools
 */
export const WebFetch_20250910 = serverTool({
  type: "web_fetch_20250910",
  toolkitName: "AnthropicWebFetch",
  providerName: "web_fetch",
  args: {
    ...searchArgs,
    citations: Schema.optional(Schema.NullOr(Schema.Struct({ enabled: Schema.optional(Schema.Boolean) }))),
    max_content_tokens: Schema.optional(Schema.NullOr(PositiveInt))
  },
  parameters: { url: Schema.String }
})

/** Code execution's calls: Python (`code`), and since 20250825 its bash and file tools (`command`, `path`, …). */
const codeParameters = {
  code: Schema.optional(Schema.String),
  command: Schema.optional(Schema.Unknown),
  path: Schema.optional(Schema.String),
  file_text: Schema.optional(Schema.String),
  old_str: Schema.optional(Schema.String),
  new_str: Schema.optional(Schema.String)
}

/**
 * Code execution in a sandbox run by the API (bash and file editing inside it: its calls are named
 * `bash_code_execution` and `text_editor_code_execution`).
 *
 * @since 0.2.0
 * @category server tools
 */
export const CodeExecution_20250825 = serverTool({
  type: "code_execution_20250825",
  toolkitName: "AnthropicCodeExecution",
  providerName: "code_execution",
  args: common,
  parameters: codeParameters
})

/**
 * Code execution, the first version (Python only; needs `anthropic-beta: code-execution-2025-05-22`, sent for you).
 *
 * @since 0.2.0
 * @category server tools
 */
export const CodeExecution_20250522 = serverTool({
  type: "code_execution_20250522",
  toolkitName: "AnthropicCodeExecution",
  providerName: "code_execution",
  args: common,
  parameters: codeParameters
})

/** An Anthropic-defined tool your code runs: the model's input typed, a string back to the model. */
const clientTool = <const Name extends string, Args extends Schema.Struct.Fields, Parameters extends Schema.Struct.Fields>(options: {
  readonly type: string
  readonly toolkitName: Name
  readonly providerName: string
  readonly args: Args
  readonly parameters: Parameters
}) =>
  Tool.providerDefined({
    id: `anthropic.${options.type}`,
    customName: options.toolkitName,
    providerName: options.providerName,
    args: Schema.Struct(options.args),
    requiresHandler: true,
    parameters: Schema.Struct(options.parameters),
    success: Schema.String,
    failure: Schema.String
  })

/**
 * A bash shell your code runs (`{ command }`, or `{ restart: true }`).
 *
 * @since 0.2.0
 * @category client tools
 */
export const Bash_20250124 = clientTool({
  type: "bash_20250124",
  toolkitName: "AnthropicBash",
  providerName: "bash",
  args: common,
  parameters: { command: Schema.optional(Schema.String), restart: Schema.optional(Schema.Boolean) }
})

const editorCommands = {
  path: Schema.String,
  file_text: Schema.optional(Schema.String),
  insert_line: Schema.optional(Schema.Int),
  insert_text: Schema.optional(Schema.String),
  new_str: Schema.optional(Schema.String),
  old_str: Schema.optional(Schema.String),
  view_range: Schema.optional(Schema.Array(Schema.Int))
}

/**
 * A file editor your code runs (`view`, `create`, `str_replace`, `insert`).
 *
 * @since 0.2.0
 * @category client tools
 */
export const TextEditor_20250728 = clientTool({
  type: "text_editor_20250728",
  toolkitName: "AnthropicTextEditor",
  providerName: "str_replace_based_edit_tool",
  args: { ...common, max_characters: Schema.optional(Schema.NullOr(PositiveInt)) },
  parameters: { command: Schema.Literals(["view", "create", "str_replace", "insert"]), ...editorCommands }
})

/**
 * The memory tool your code runs: a `/memories` directory the model keeps across conversations (`view`, `create`,
 * `str_replace`, `insert`, `delete`, `rename`). Keep every path inside the directory you mean: the model writes them.
 *
 * @since 0.2.0
 * @category client tools
 */
export const Memory_20250818 = clientTool({
  type: "memory_20250818",
  toolkitName: "AnthropicMemory",
  providerName: "memory",
  args: common,
  parameters: {
    command: Schema.Literals(["view", "create", "str_replace", "insert", "delete", "rename"]),
    path: Schema.optional(Schema.String),
    file_text: Schema.optional(Schema.String),
    insert_line: Schema.optional(Schema.Int),
    insert_text: Schema.optional(Schema.String),
    new_str: Schema.optional(Schema.String),
    old_str: Schema.optional(Schema.String),
    old_path: Schema.optional(Schema.String),
    new_path: Schema.optional(Schema.String),
    view_range: Schema.optional(Schema.Array(Schema.Int))
  }
})

export { betaFor, callNamesOf } from "./internal/languageModel/toolNames.js"
