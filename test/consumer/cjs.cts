// A CommonJS application: `require` gets this package's CommonJS build, whose `require("effect/…")` loads Effect's
// ES modules (Effect 4 ships only those; Node 22 can `require()` an ES module), so the application, the package and
// any `import()` share one copy of effect, one module instance each.
import { createRequire } from "node:module"
import * as Effect from "effect/Effect"
import EffectModule = require("effect/Effect")
import { AnthropicClient, createClient, Messages } from "effect-anthropic"
import StandIn = require("effect-anthropic/testing/StandIn")

const hello: Messages.MessageCreateParams = { model: "claude-haiku-4-5", max_tokens: 64, messages: [{ role: "user", content: "hi" }] }

const main = async () => {
  const standIn = await StandIn.start()
  try {
    const client = await createClient({ config: { providers: { anthropic: { base_url: standIn.url, api_key: "sk-ant-api03-cjs" } } }, env: {} })
    try {
      const message = await client.messages.create(hello)
      const viaEffect = await client.run(Effect.flatMap(AnthropicClient.AnthropicClient, (c) => c.createMessage(hello)))
      if (Messages.textOf(message) !== "echo: hi" || Messages.textOf(viaEffect) !== "echo: hi") throw new Error("bad answer")
    } finally {
      await client.close()
    }
    if (!require.resolve("effect-anthropic").includes(`${"dist"}/cjs/`)) throw new Error("require did not load the CommonJS build")
    // One copy of effect: the package resolves the application's, and `require` and `import()` give the same module.
    const fromPackage = createRequire(require.resolve("effect-anthropic")).resolve("effect/Effect")
    if (fromPackage !== require.resolve("effect/Effect")) throw new Error(`two copies of effect: ${fromPackage}, ${require.resolve("effect/Effect")}`)
    if ((await import("effect/Effect")) !== EffectModule) throw new Error("require and import() gave two instances of effect/Effect")
    // Every public entry point loads through `require` (its CommonJS build), the optional peers not installed.
    const entries = Object.keys((require("effect-anthropic/package.json") as { exports: Record<string, unknown> }).exports)
    for (const entry of entries.filter((entry) => entry !== "./package.json")) {
      const specifier = `effect-anthropic${entry.slice(1)}`
      if (!require.resolve(specifier).includes(`${"dist"}/cjs/`)) throw new Error(`${specifier} did not resolve to the CommonJS build`)
      require(specifier)
    }
  } finally {
    await standIn.close()
  }
  console.log("cjs consumer: ok")
}
main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
