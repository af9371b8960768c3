/**
 * Settings from Effect `Config` values: each option read from the current `ConfigProvider`, checked by the same rule
 * as the file's key it stands for (`fields.ts`), straight into `SettingsInput`. Values are literal (no `${VAR}`). A
 * refused value's error names the key the user's own `Config` read (`MY_ANTHROPIC_KEY`), not the file's key.
 */
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { AnthropicConfigError } from "../errors.js"
import { SOURCE } from "./defaults.js"
import { formatPath } from "./describeValue.js"
import { ENVIRONMENT_DEFAULTS, type EnvironmentDefault, valueIn } from "./environment.js"
import { checkValue, type Field, FIELDS, redisWithoutUrl } from "./fields.js"
import type { Env } from "./interpolate.js"
import { type AnthropicSettings, type ConfigOptions, type SettingsInput, toSettings } from "./settings.js"

type Options = Config.Wrap<ConfigOptions>

const optional = <A>(config: Config.Config<A>): Config.Config<A | undefined> =>
  Config.map(Config.option(config), Option.getOrUndefined)

/** How a variable of the environment is read from the `ConfigProvider` (the key as a secret). */
const variableConfig = (variable: string): Config.Config<string> =>
  variable === ENVIRONMENT_DEFAULTS.apiKey.variable
    ? Config.map(Config.Redacted(variable), Redacted.value)
    : Config.String(variable)

/** The environment as `Config` values read it: from the current `ConfigProvider`, each variable optional. */
const environmentConfig: Config.Config<Env> = Config.all(
  Object.fromEntries(
    [...Object.values(ENVIRONMENT_DEFAULTS).map((d) => d.variable), "HOME", "CLAUDE_CONFIG_DIR"].map((variable) =>
      [variable, optional(variableConfig(variable))]
    )
  )
)

/** The settings from `Config` values, and for the options left out the file's defaults (the environment's first). */
export const fromConfig = (
  options: Options = {}
): Effect.Effect<AnthropicSettings, Config.ConfigError | AnthropicConfigError> =>
  Effect.flatMap(Config.all([environmentConfig, unwrapOptions(options)]), ([env, given]) =>
    Effect.map(checkOptions(options, given, env), (input) =>
      toSettings(input, {
        source: SOURCE.config,
        env,
        cwd: process.cwd(),
        apiKeyGiven: given.apiKey !== undefined,
        model: Option.none()
      })))

/** `Config.unwrap`, except that no options is no `Config` to read. */
const unwrapOptions = (options: Options): Config.Config<ConfigOptions> =>
  Config.isConfig(options) || Object.keys(options).length > 0 ? Config.unwrap(options) : Config.succeed({})

/** Where a value came from: the option's own `Config`, or the environment variable that stands in for an absent option. */
interface Origin {
  /** What to call it when no key can be named: the option (`apiKey`) or the variable. */
  readonly name: string
  /** What read it, to be read again for the keys it asks for; `None` when one `Config` gave every option. */
  readonly config: Option.Option<Config.Config<unknown>>
}

/** Every option's value checked in the file's order (the first refused one fails), then the rules that tie options. */
const checkOptions = (
  options: Options,
  given: ConfigOptions,
  env: Env
): Effect.Effect<SettingsInput, AnthropicConfigError> =>
  Effect.suspend(() => {
    const input: Record<string, unknown> = {}
    for (const field of FIELDS) {
      const [value, origin] = valueOf(field, options, given, env)
      if (value === undefined) continue
      const checked = checkValue(field, value)
      if (Result.isFailure(checked)) {
        const { fix, problem } = checked.failure
        return Effect.flatMap(keyName(origin, checked.failure), (key) => Effect.fail(refused(key, problem, fix)))
      }
      input[field.option] = checked.success
    }
    return redisWithoutUrl(input) ? redisRefused(options, input) : Effect.succeed(input as SettingsInput)
  })

/** The option's value and origin; for an option left out that the environment supplies, the environment's. */
const valueOf = (field: Field, options: Options, given: ConfigOptions, env: Env): readonly [unknown, Origin] => {
  const value = given[field.option]
  const fromEnvironment: EnvironmentDefault | undefined = Object.hasOwn(ENVIRONMENT_DEFAULTS, field.option)
    ? ENVIRONMENT_DEFAULTS[field.option as keyof typeof ENVIRONMENT_DEFAULTS]
    : undefined
  if (value !== undefined || fromEnvironment === undefined) {
    return [value, { name: field.option, config: optionConfig(options, field.option) }]
  }
  const fallback = valueIn(env, fromEnvironment)
  const origin = { name: fromEnvironment.variable, config: Option.some(variableConfig(fromEnvironment.variable)) }
  return [field.secret ? Redacted.make(fallback) : fallback, origin]
}

/** The `Config` the user gave for one option, if the options are a record of them. */
const optionConfig = (options: Options, option: keyof ConfigOptions): Option.Option<Config.Config<unknown>> => {
  if (Config.isConfig(options)) return Option.none()
  const wrapped: unknown = options[option]
  if (Config.isConfig(wrapped)) return Option.some(wrapped)
  // A record of `Config`s for a record option (`rateLimitModels: { "claude-x": { … } }`).
  return wrapped !== null && typeof wrapped === "object" && Object.keys(wrapped).length > 0
    ? Option.some(Config.unwrap(wrapped as Config.Wrap<unknown>))
    : Option.none()
}

const refused = (key: string, problem: string, fix: string) =>
  new AnthropicConfigError({ file: SOURCE.config, path: key, problem, fix })

/** A redis store without its URL, named by the store's key (the URL has none: it was left out). */
const redisRefused = (options: Options, input: SettingsInput): Effect.Effect<never, AnthropicConfigError> =>
  Effect.flatMap(
    keyName(
      { name: "rateLimitStore", config: optionConfig(options, "rateLimitStore") },
      { within: [], found: input.rateLimitStore }
    ),
    (key) =>
      Effect.fail(refused(
        key,
        "is redis, and no redisUrl is given",
        "give redisUrl as well (the Redis every process shares, e.g. redis://host:6379/0), or use the memory store"
      ))
  )

/** The part of a value that was refused: where inside the value, and what is there. */
interface RefusedPart {
  readonly within: ReadonlyArray<PropertyKey>
  readonly found: unknown
}

/**
 * The key a refused value is named by: the key its `Config` read (`MY_ANTHROPIC_KEY`), with the place inside the value
 * (`MY_BETAS[1]`). The value reaches these checks after its `Config` is done (`Config.withDefault` and `Config.map`
 * may have changed it), so the `Config` is read again, noting the keys it asks for and what each gave.
 */
const keyName = (origin: Origin, part: RefusedPart): Effect.Effect<string> =>
  Option.match(origin.config, {
    onNone: () => Effect.succeed(formatPath([origin.name, ...part.within])),
    onSome: (config) => Effect.map(readsOf(config), (reads) => nameAmong(reads, origin.name, part))
  })

/** One key read, and the values it gave (several for a list split from one value). */
interface Read {
  readonly key: string
  readonly values: ReadonlyArray<string>
}

/**
 * Whether a value read gave the refused part: the same text, or the number or boolean parsed from it (a provider
 * gives text; the `Config` parses it).
 */
const gave = (value: string, found: unknown): boolean =>
  typeof found === "string"
    ? value === found
    : typeof found === "number"
    ? value.trim() !== "" && Number(value) === found
    : typeof found === "boolean" && value.trim().toLowerCase() === String(found)

/**
 * The key that gave the refused part (`LIMITS.claude-x.rpm` of a map of models); else the one key read, with the place
 * inside its value; else the option's name with it.
 */
const nameAmong = (reads: ReadonlyArray<Read>, name: string, { found, within }: RefusedPart): string => {
  const holders = reads.filter((read) => read.values.some((value) => gave(value, found)))
  if (holders.length === 1) {
    const [holder] = holders as [Read]
    const index = within.at(-1)
    // A list split from one value (`a,b`) is one key with several values: its item is named by index.
    return holder.values.length > 1 && typeof index === "number" ? `${holder.key}[${index}]` : holder.key
  }
  return formatPath([reads.length === 1 ? reads[0]!.key : name, ...within])
}

/**
 * The values a provider's node gives. A provider gives text, and `Config.Array` splits a list from one value on `,`
 * afterwards, so the parts are noted too: a refused item is named by
 * its index.
 */
const valuesOf = (node: ConfigProvider.Node | undefined): ReadonlyArray<string> => {
  const value = node?.value
  if (value === undefined) return []
  return value.includes(",") ? [value, ...value.split(",")] : [value]
}

/** What `config` reads from the current `ConfigProvider`, key by key (the same as it read the first time). */
const readsOf = (config: Config.Config<unknown>): Effect.Effect<ReadonlyArray<Read>> =>
  Effect.flatMap(ConfigProvider.ConfigProvider, (provider) => {
    const reads: Array<Read> = []
    const noting = ConfigProvider.make((path) =>
      Effect.tap(provider.load(path), (node) =>
        Effect.sync(() => {
          reads.push({ key: formatPath(path), values: valuesOf(node) })
        }))
    )
    return Effect.map(Effect.exit(config.parse(noting)), () => reads)
  })
