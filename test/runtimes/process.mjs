// Bun and Deno: the checks in a process of their own, their results as JSON on stdout; the process must then end by
// itself (no handle left by the clients).
import { runChecks } from "./checks.mjs"

const env = globalThis.Deno ? Deno.env.toObject() : process.env
const pick = (names) => Object.fromEntries(names.filter((n) => env[n] !== undefined).map((n) => [n, env[n]]))
const results = await runChecks(pick(["ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"]), {
  bundle: env.BUNDLE,
  cli: env.CLI_CREDENTIALS,
  tokenUrl: env.TOKEN_URL
})
console.log(JSON.stringify(results))
