// Cloudflare Workers: the checks in a request, with the worker's bindings as the configuration.
import { runChecks } from "./checks.mjs"

export default {
  async fetch(_request, env) {
    try {
      return Response.json(await runChecks({ ANTHROPIC_API_KEY: env.ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL: env.ANTHROPIC_BASE_URL }))
    } catch (error) {
      return Response.json({ failed: `${error?._tag ?? "Error"}: ${error?.message ?? String(error)}`, stack: String(error?.stack) }, { status: 500 })
    }
  }
}
