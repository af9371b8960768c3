/**
 * Moved to `config/describeValue.ts`. This re-export only serves `MessageStream.ts`, which is being restructured
 * elsewhere at the same time: point its import at `./internal/config/describeValue.js` and delete this file.
 */
export { describeValue } from "./config/describeValue.js"
