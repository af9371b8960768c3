/**
 * Reading `config/llm.yaml` from the file system and as YAML: bounded in size (the parser's duplicate-key check is
 * quadratic) and in alias expansion, with errors that never quote the file (it may hold secrets).
 */
import { hasFileSystem, noFileSystem } from "../runtime.js"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import type * as YAML from "yaml"
import * as Builtins from "../builtins.js"
import { AnthropicConfigError } from "../errors.js"
import { lazyImport } from "../lazyImport.js"

/**
 * `yaml`, loaded the first time a configuration is parsed, not when the library is imported: it is a seventh of the
 * package's import time on Node (about 45 ms), and a program configured in code (or a Worker) never parses YAML.
 */
export const loadYaml: Effect.Effect<typeof YAML> = lazyImport(() => import("yaml"))

/** Alias references (`*name`) allowed in one file: plenty for a real file, far too few for a "billion laughs". */
const MAX_YAML_ALIASES = 100
/**
 * The largest configuration file read. A real one is a few hundred bytes; the YAML parser's duplicate-key check is
 * quadratic in the keys of a mapping, and a 256 KiB file of short keys takes seconds to parse, 64 KiB under half a one.
 */
const MAX_CONFIG_BYTES = 64 * 1024

/**
 * YAML text as plain data, or one error naming the file: too large, not YAML (with line and column), or aliases that
 * expand too far.
 */
export const parseYaml = (
  yaml: typeof YAML,
  text: string,
  source: string
): Result.Result<unknown, AnthropicConfigError> => {
  if (text.length > MAX_CONFIG_BYTES) return Result.fail(tooLarge(source))
  const doc = yaml.parseDocument(text, { prettyErrors: true, uniqueKeys: true })
  const firstError = doc.errors[0]
  if (firstError !== undefined) {
    const where = firstError.linePos?.[0]
    return Result.fail(
      new AnthropicConfigError({
        file: source,
        path: where === undefined ? undefined : `line ${where.line}, column ${where.col}`,
        problem: `invalid YAML (${firstError.code}): ${yamlErrorWords(firstError)}`,
        fix: "correct the YAML syntax at that line (indent with spaces, quote values containing \": \" or \"#\")"
      })
    )
  }
  return yamlToData(doc, source)
}

/** A configuration past {@link MAX_CONFIG_BYTES}, refused before it is parsed. */
const tooLarge = (file: string): AnthropicConfigError =>
  new AnthropicConfigError({
    file,
    problem: `the configuration is larger than ${MAX_CONFIG_BYTES / 1024} KiB, the most this client reads (a real ` +
      "llm.yaml is a few hundred bytes)",
    fix: "check that this is the configuration file meant (configPath / --config), and keep only the keys docs/configuration.md lists"
  })

/**
 * The file's text, refused when it holds more than {@link MAX_CONFIG_BYTES}: reading stops there, so a huge file (or
 * an endless one) costs no more than that.
 */
const readBounded = async (file: string): Promise<Result.Result<string, AnthropicConfigError>> => {
  const handle = await Builtins.fs().promises.open(file, "r")
  try {
    const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1)
    let length = 0
    for (let read = -1; read !== 0 && length < buffer.length; length += read) {
      read = (await handle.read(buffer, length, buffer.length - length, null)).bytesRead
    }
    return length > MAX_CONFIG_BYTES ? Result.fail(tooLarge(file)) : Result.succeed(buffer.toString("utf8", 0, length))
  } finally {
    await handle.close()
  }
}

/**
 * The configuration file's text. An absent file is `None` when it is `optional` (no path was asked for: the built-in
 * defaults apply); any other failure to read it is one error naming the file.
 */
export const readConfigFile = (
  file: string,
  options: { readonly optional: boolean }
): Effect.Effect<Option.Option<string>, AnthropicConfigError> =>
  // No file system (Cloudflare Workers): the default file is absent; a file asked for by name cannot be read.
  !hasFileSystem ? (options.optional ? Effect.succeedNone : Effect.fail(cannotRead(file, noFileSystem))) : Effect.tryPromise({
    try: (): Promise<Option.Option<Result.Result<string, AnthropicConfigError>>> =>
      readBounded(file).then(Option.some, (cause: NodeJS.ErrnoException) => {
        if (cause.code === "ENOENT" && options.optional) return Option.none()
        throw cause
      }),
    catch: (cause) => cannotRead(file, (cause as NodeJS.ErrnoException).code ?? String(cause))
  }).pipe(Effect.flatMap(Option.match({
    onNone: () => Effect.succeedNone,
    onSome: (text) => Effect.map(Effect.fromResult(text), Option.some)
  })))

const cannotRead = (file: string, code: string): AnthropicConfigError =>
  new AnthropicConfigError({
    file,
    problem: code === "ENOENT"
      ? "the configuration file does not exist"
      : `the configuration file cannot be read (${code})`,
    fix: `create it (docs/configuration.md has an example), or pass another path (configPath / --config)`
  })

/**
 * The parser's description of a YAML error without the source text a few of its messages quote (an unresolved tag,
 * a block scalar header's extra characters, an escape sequence): the file may hold secrets.
 */
const yamlErrorWords = (error: YAML.YAMLError): string => {
  const words = error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "").split(": ")[0]!
  return error.code === "BAD_DQ_ESCAPE" || error.code === "BAD_SCALAR_START" ? words.replace(/ \S+$/, "") : words
}

/**
 * The document as plain data. Aliases are counted (`maxAliasCount`): a few aliases expanding into each other
 * ("billion laughs") would otherwise build an exponentially large tree. `yaml` throws for that and for an alias
 * without its anchor; its message may quote the alias name, so it is not passed on.
 */
const yamlToData = (doc: YAML.Document, file: string): Result.Result<unknown, AnthropicConfigError> =>
  Result.try({
    try: () => doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) as unknown,
    catch: (cause) =>
      new AnthropicConfigError({
        file,
        problem: cause instanceof Error && /alias count/i.test(cause.message)
          ? `YAML aliases (*name) expand to more than ${MAX_YAML_ALIASES} references`
          : cause instanceof Error && /unresolved alias/i.test(cause.message)
          ? "a YAML alias (*name) refers to an anchor (&name) that is not defined before it"
          : "the YAML cannot be turned into data",
        fix: "write the values out instead of repeating them through anchors and aliases (&name / *name)"
      })
  })
