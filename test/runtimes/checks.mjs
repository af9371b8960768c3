// The checks each runtime runs against the stand-in, through the installed package (plain JavaScript: Bun, Deno
// and workerd run it as it is). `env` holds ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL; `files`, where the runtime has
// a file system, the paths of an OAuth bundle and a Claude Code credentials file and the token endpoint.
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import { AnthropicClient, createClient, Messages } from "effect-anthropic"

const hello = { model: "claude-haiku-4-5", max_tokens: 64, messages: [{ role: "user", content: "hello" }] }

/** A failure as `Tag: message`, for the harness to read. */
const described = (error) => `${error?._tag ?? "Error"}: ${error?.message ?? String(error)}`

const promiseClient = async (env) => {
  const client = await createClient({ env })
  try {
    // The stand-in answers this one's first attempt with a 429 and retry-after-ms: retried after it.
    const created = Messages.textOf(await client.messages.create(hello))
    let deltas = 0
    const stream = client.messages.stream(hello)
    for await (const event of stream) if (event.type === "content_block_delta") deltas++
    const final = Messages.textOf(await stream.finalMessage())
    return { created, deltas, final }
  } finally {
    await client.close()
  }
}

const effectProgram = (env) =>
  Effect.runPromise(
    Messages.create(hello).pipe(
      Effect.map(Messages.textOf),
      Effect.provide(AnthropicClient.layerConfig()),
      // The worker's bindings (or the process's variables picked) as the configuration: Effect 4's environment
      // provider over an explicit record, so nothing reads `process.env` or `import.meta.env` here.
      Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env }))
    )
  )

/** A call through a credential file (its refresh taking the file's lock and rewriting it), then the client closed. */
const fileCredential = async (env, auth) => {
  const client = await createClient({ env: { ANTHROPIC_BASE_URL: env.ANTHROPIC_BASE_URL }, config: { providers: { anthropic: { auth } } } })
  try {
    return { kind: client.credential.kind, text: Messages.textOf(await client.messages.create(hello)) }
  } finally {
    await client.close()
  }
}

export const runChecks = async (env, files) => {
  const results = { promise: await promiseClient(env), effect: await effectProgram(env) }
  if (files === undefined) {
    results.fileMode = await createClient({ env, config: { providers: { anthropic: { auth: { mode: "oauth_bundle" } } } } })
      .then((client) => client.close().then(() => "created"), described)
  } else {
    results.bundle = await fileCredential(env, { mode: "oauth_bundle", bundle: files.bundle, token_url: files.tokenUrl })
    results.cli = await fileCredential(env, { mode: "cli_credentials", cli_credentials: files.cli, token_url: files.tokenUrl })
  }
  return results
}
