/**
 * Settings from a configuration of the file's shape: YAML text, an object in memory, or `config/llm.yaml` read from
 * disk. The steps: the environment's defaults for absent keys, `${VAR}` interpolation, the file's schema (strict
 * under `providers.anthropic`), then the settings.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as path from "node:path"
import { AnthropicConfigError } from "../errors.js"
import { DEFAULT_CONFIG_PATH, SOURCE } from "./defaults.js"
import { givesApiKey, withEnvironmentDefaults } from "./environment.js"
import { inputFromFile, redisWithoutUrl, showsValueAt } from "./fields.js"
import { toConfigError } from "./fixHints.js"
import { type Env, interpolateTree } from "./interpolate.js"
import { AnthropicProviderFile, LlmFile, ModelSelection } from "./schema.js"
import { type AnthropicSettings, toSettings } from "./settings.js"
import { loadYaml, parseYaml, readConfigFile } from "./yamlFile.js"

/** What {@link load} reads. */
export interface LoadOptions {
  /**
   * The YAML file; ignored when `config` is given. Without it, `config/llm.yaml` is read if it exists, else the
   * built-in defaults apply (the environment alone). A path given here must exist.
   */
  readonly configPath?: string | undefined
  /** The configuration as an object of the file's shape (top-level `providers:`). */
  readonly config?: unknown
  /** Where `${VAR}`, HOME and CLAUDE_CONFIG_DIR are read. Defaults to `process.env`. */
  readonly env?: Env | undefined
  /** What relative paths resolve against. Defaults to `process.cwd()`. */
  readonly cwd?: string | undefined
}

/** Where a configuration in memory is read from and named as. */
export interface SourceOptions {
  readonly env?: Env | undefined
  readonly cwd?: string | undefined
  readonly source?: string
}

/** Parse configuration already in memory (the file's shape), interpolating from `env`. */
export const fromObject = (
  config: unknown,
  options: SourceOptions = {}
): Result.Result<AnthropicSettings, AnthropicConfigError> => {
  const env = options.env ?? process.env
  const source = options.source ?? SOURCE.inline
  return interpolateTree(withEnvironmentDefaults(config), env, source).pipe(
    Result.flatMap((tree) => decodeFile(tree, source)),
    Result.map((file) =>
      toSettings(inputFromFile(file.providers.anthropic), {
        source,
        env,
        cwd: options.cwd ?? process.cwd(),
        apiKeyGiven: givesApiKey(config),
        model: Option.fromNullishOr(file.model)
      })
    )
  )
}

/** Parse YAML text (the content of `config/llm.yaml`); the YAML parser is loaded the first time. */
export const fromYaml = (text: string, options: SourceOptions = {}): Effect.Effect<AnthropicSettings, AnthropicConfigError> =>
  Effect.flatMap(loadYaml, (yaml) => {
    const source = options.source ?? SOURCE.inline
    return Effect.fromResult(Result.flatMap(parseYaml(yaml, text, source), (data) => fromObject(data ?? {}, { ...options, source })))
  })

/**
 * Load the settings: `options.config` when given, else the YAML file at `options.configPath` (default
 * `config/llm.yaml`, or the built-in defaults when that is absent).
 */
export const load = (options: LoadOptions = {}): Effect.Effect<AnthropicSettings, AnthropicConfigError> =>
  Effect.suspend(() => {
    const cwd = options.cwd ?? process.cwd()
    if (options.config !== undefined) return Effect.fromResult(fromObject(options.config, { env: options.env, cwd }))
    const configPath = path.resolve(cwd, options.configPath ?? DEFAULT_CONFIG_PATH)
    return readConfigFile(configPath, { optional: options.configPath === undefined }).pipe(
      Effect.flatMap(Option.match({
        onNone: () => Effect.fromResult(fromObject({}, { env: options.env, cwd, source: SOURCE.builtIn })),
        onSome: (text) => fromYaml(text, { env: options.env, cwd, source: configPath })
      }))
    )
  })

/** Decode a per-agent `model:` selection from anywhere (an agent's own config, say). */
export const decodeModelSelection = (
  input: unknown,
  file: string = SOURCE.inline
): Result.Result<ModelSelection, AnthropicConfigError> =>
  Schema.decodeUnknownResult(ModelSelection)(input, { errors: "first" }).pipe(
    Result.mapError((e) => toConfigError(e, input, file, ["model"], showsValueAt))
  )

const notAMapping = (file: string) =>
  new AnthropicConfigError({
    file,
    problem: "the configuration is not a mapping",
    fix: "start the file with `providers:` and put the client's keys under `providers.anthropic` (see docs/configuration.md)"
  })

/** The interpolated tree as the file's type: the whole file, then `providers.anthropic` strictly, then the rules that tie keys. */
const decodeFile = (raw: unknown, file: string): Result.Result<typeof LlmFile.Type, AnthropicConfigError> => {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return Result.fail(notAMapping(file))
  const result = Schema.decodeUnknownResult(LlmFile)(raw, { errors: "first" })
  if (Result.isFailure(result)) return Result.fail(toConfigError(result.failure, raw, file, [], showsValueAt))
  // Keys under providers.anthropic are checked strictly: a typo there must not silently fall back to a default.
  const anthropic = (raw as { providers?: { anthropic?: unknown } }).providers?.anthropic ?? {}
  const strict = Schema.decodeUnknownResult(AnthropicProviderFile)(anthropic, { errors: "first", onExcessProperty: "error" })
  if (Result.isFailure(strict)) {
    return Result.fail(toConfigError(strict.failure, anthropic, file, ["providers", "anthropic"], showsValueAt))
  }
  if (redisWithoutUrl(inputFromFile(result.success.providers.anthropic))) {
    return Result.fail(
      new AnthropicConfigError({
        file,
        path: "providers.anthropic.rate_limit.redis_url",
        problem: "is missing, and rate_limit.store is redis",
        fix: "add redis_url: redis://host:6379/0 (the Redis every process shares), or set store: memory"
      })
    )
  }
  return Result.succeed(result.success)
}
