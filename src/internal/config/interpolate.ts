/**
 * Shell-style environment interpolation for configuration strings, and its walk over a whole configuration tree.
 *
 * Supported: `${VAR}` (an error when VAR is unset), `${VAR:-default}` (default when unset or empty),
 * `${VAR-default}` (default only when unset), `$VAR`, and `$$` for a literal `$`. Defaults may nest
 * (`${CLAUDE_CONFIG_DIR:-${HOME}/.claude}`), at most {@link MAX_NESTING} deep.
 *
 * Errors name the variable and the position, never the text: a default is often where a key is pasted.
 */
import * as Result from "effect/Result"
import { AnthropicConfigError } from "../errors.js"
import { formatPath } from "./describeValue.js"

export type Env = Readonly<Record<string, string | undefined>>

export class InterpolationError {
  constructor(readonly problem: string, readonly fix: string) {}
}

/** At most this many `${…}` inside one another; a real file nests two or three. */
export const MAX_NESTING = 32

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y

const SUPPORTED = "write ${NAME}, ${NAME:-default} or ${NAME-default}"

/** Shell operators people reach for, which are named back (they are syntax, not a value) when refused. */
const SHELL_OPERATORS = [":?", ":+", ":=", "?", "+", "="]

/** Returns the interpolated string, or an `InterpolationError` saying which variable is at fault. */
export const interpolate = (input: string, env: Env): string | InterpolationError => interpolateAt(input, env, 0)

const interpolateAt = (input: string, env: Env, depth: number): string | InterpolationError => {
  if (!input.includes("$")) return input
  if (depth >= MAX_NESTING) {
    return new InterpolationError(
      `"\${…}" nests more than ${MAX_NESTING} levels deep (\${A:-\${B:-…}})`,
      `nest at most ${MAX_NESTING} levels of \${…}, or set one of the variables`
    )
  }
  let out = ""
  let i = 0
  while (i < input.length) {
    const ch = input[i]!
    if (ch !== "$") {
      out += ch
      i++
      continue
    }
    const next = input[i + 1]
    if (next === "$") {
      out += "$"
      i += 2
      continue
    }
    if (next === "{") {
      const close = matchingBrace(input, i + 1)
      if (close < 0) {
        return new InterpolationError(
          `"\${" at character ${i + 1} of this ${input.length}-character value is never closed`,
          "close it with \"}\", or write \"$$\" for a literal \"$\""
        )
      }
      const resolved = expression(input.slice(i + 2, close), env, depth)
      if (resolved instanceof InterpolationError) return resolved
      out += resolved
      i = close + 1
      continue
    }
    NAME.lastIndex = i + 1
    const name = NAME.exec(input)
    if (name === null) {
      out += "$"
      i++
      continue
    }
    out += env[name[0]] ?? ""
    i += 1 + name[0].length
  }
  return out
}

const matchingBrace = (input: string, open: number): number => {
  let depth = 0
  for (let j = open; j < input.length; j++) {
    if (input[j] === "{") depth++
    else if (input[j] === "}" && --depth === 0) return j
  }
  return -1
}

const expression = (body: string, env: Env, depth: number): string | InterpolationError => {
  NAME.lastIndex = 0
  const name = NAME.exec(body)
  if (name === null) {
    return new InterpolationError("an expression \"${…}\" does not start with a variable name", SUPPORTED)
  }
  const variable = name[0]
  const rest = body.slice(variable.length)
  const value = env[variable]
  if (rest === "") {
    if (value === undefined) {
      return new InterpolationError(
        `environment variable ${variable} is not set`,
        `set ${variable}, or give a default with \${${variable}:-default}`
      )
    }
    return value
  }
  if (rest.startsWith(":-")) {
    return value === undefined || value === "" ? interpolateAt(rest.slice(2), env, depth + 1) : value
  }
  if (rest.startsWith("-")) {
    return value === undefined ? interpolateAt(rest.slice(1), env, depth + 1) : value
  }
  const operator = SHELL_OPERATORS.find((op) => rest.startsWith(op))
  return new InterpolationError(
    operator === undefined
      ? `unsupported expression after \${${variable}`
      : `unsupported operator \${${variable}${operator}…}`,
    SUPPORTED
  )
}

/** How deep the configuration may nest (the file itself is 4 levels); past this it is refused, not recursed into. */
const MAX_CONFIG_DEPTH = 32

/** Interpolate every string scalar of a parsed configuration, naming the key of the first failure. */
export const interpolateTree = (
  node: unknown,
  env: Env,
  file: string,
  at: ReadonlyArray<PropertyKey> = []
): Result.Result<unknown, AnthropicConfigError> => {
  if (at.length > MAX_CONFIG_DEPTH) {
    // A real file is 4 levels deep; a cyclic object or a pathological file must not exhaust the stack.
    return Result.fail(
      new AnthropicConfigError({
        file,
        path: formatPath(at.slice(0, 4)),
        problem: `nests more than ${MAX_CONFIG_DEPTH} levels deep`,
        fix: "keep to the shape docs/configuration.md shows (providers.anthropic.<key>); remove the nested values"
      })
    )
  }
  if (typeof node === "string") {
    const result = interpolate(node, env)
    return result instanceof InterpolationError
      ? Result.fail(new AnthropicConfigError({ file, path: formatPath(at), problem: result.problem, fix: result.fix }))
      : Result.succeed(result)
  }
  if (node === null || typeof node !== "object") return Result.succeed(node)
  const entries: ReadonlyArray<readonly [PropertyKey, unknown]> = Array.isArray(node)
    ? node.map((value, i) => [i, value] as const)
    : Object.entries(node)
  const out: Array<readonly [PropertyKey, unknown]> = []
  for (const [key, value] of entries) {
    const result = interpolateTree(value, env, file, [...at, key])
    if (Result.isFailure(result)) return result
    out.push([key, result.success])
  }
  return Result.succeed(Array.isArray(node) ? out.map(([, value]) => value) : Object.fromEntries(out))
}
