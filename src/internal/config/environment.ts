/**
 * What the environment supplies to a configuration that leaves keys out: `ANTHROPIC_API_KEY`, `ANTHROPIC_BASE_URL`,
 * `ANTHROPIC_AUTH_MODE` (one table, read as `${VAR:-default}` by a file and from the `ConfigProvider` by `Config`
 * values), and HOME / CLAUDE_CONFIG_DIR for paths.
 */
import { DEFAULT_BASE_URL } from "./defaults.js"
import type { Env } from "./interpolate.js"

/**
 * The shipped `config/llm.yaml`'s environment lookups, as the defaults of the keys a configuration leaves out: so a
 * configuration without them (or no file at all) starts from the environment alone, as every peer client does. The
 * default applies when the variable is unset or empty (`${VAR:-default}`).
 */
export const ENVIRONMENT_DEFAULTS = {
  apiKey: { variable: "ANTHROPIC_API_KEY", fallback: "" },
  baseUrl: { variable: "ANTHROPIC_BASE_URL", fallback: DEFAULT_BASE_URL },
  authMode: { variable: "ANTHROPIC_AUTH_MODE", fallback: "auto" }
} as const

export type EnvironmentDefault = (typeof ENVIRONMENT_DEFAULTS)[keyof typeof ENVIRONMENT_DEFAULTS]

/** The default as a file writes it: `${ANTHROPIC_BASE_URL:-https://api.anthropic.com}`. */
const asInterpolation = ({ fallback, variable }: EnvironmentDefault): string => "${" + variable + ":-" + fallback + "}"

/** The default's value in `env`: the variable, or the fallback when it is unset or empty. */
export const valueIn = (env: Env, { fallback, variable }: EnvironmentDefault): string => {
  const value = env[variable]
  return value === undefined || value === "" ? fallback : value
}

const isMapping = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value)

/**
 * A configuration of the file's shape with the environment's defaults where its keys are absent; anything else is left
 * for the schema to judge.
 */
export const withEnvironmentDefaults = (config: unknown): unknown => {
  // A configuration with keys but no `providers` is a mistake (a misplaced `anthropic:`, say): let the schema say so.
  if (!isMapping(config) || (config.providers === undefined && Object.keys(config).length > 0)) return config
  const providers = config.providers ?? {}
  if (!isMapping(providers)) return config
  const anthropic = providers.anthropic ?? {}
  if (!isMapping(anthropic)) return config
  const auth = anthropic.auth ?? {}
  if (!isMapping(auth)) return config
  return {
    ...config,
    providers: {
      ...providers,
      anthropic: {
        api_key: asInterpolation(ENVIRONMENT_DEFAULTS.apiKey),
        base_url: asInterpolation(ENVIRONMENT_DEFAULTS.baseUrl),
        ...anthropic,
        auth: { mode: asInterpolation(ENVIRONMENT_DEFAULTS.authMode), ...auth }
      }
    }
  }
}

/** Whether a configuration of the file's shape names `api_key` itself (rather than leaving it to the environment). */
export const givesApiKey = (config: unknown): boolean =>
  isMapping(config) && isMapping(config.providers) && isMapping(config.providers.anthropic) &&
  Object.hasOwn(config.providers.anthropic, "api_key")
