/**
 * Moved to `config/schema.ts`. This re-export only serves `AnthropicHttpClient.ts`, which is being restructured
 * elsewhere at the same time: point its import at `./internal/config/schema.js` and delete this file.
 */
export { MAX_MILLISECONDS } from "./config/schema.js"
