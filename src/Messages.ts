/**
 * Schemas for the Messages API in its own JSON names (snake_case), as the official SDK keeps them.
 *
 * Requests: every field of the SDK's `MessageCreateParams` (thinking of every kind, `output_config`, `container`,
 * `service_tier`, `speed`, top-level `cache_control`, …) and the beta `context_management` and `mcp_servers`; text,
 * image, document (base64, url, text, content, file), search result and tool blocks; every tool definition the SDK
 * types, and `ServerTool` for the others; the blocks of server tools, MCP, compaction and fallback, sent back.
 * Responses: every block the SDK types, with typed citations and callers, and blocks of unknown types kept as they
 * came (statically `never`), never rejected; usage, stop details, container, context management, diagnostics.
 *
 * The schemas transform nothing: a JSON value that passes `Schema.is` is its own decoding, extra fields included.
 *
 * @since 0.1.0
 */
import { accessEffect, accessStream } from "./internal/client/accessors.js"
export * from "./internal/messages/message.js"

/**
 * `POST /v1/messages`: the SDK's `client.messages.create`.
 *
 * @since 0.2.0
 * @category accessors
 */
export const create = accessEffect((client) => client.createMessage)

/**
 * {@link create}, with the answer's metadata (`request-id`, headers, rate limits).
 *
 * @since 0.2.0
 * @category accessors
 */
export const createWithResponse = accessEffect((client) => client.createMessageWithResponse)

/**
 * `POST /v1/messages` streamed, the events as a `Stream`: the SDK's `client.messages.stream`.
 *
 * @since 0.2.0
 * @category accessors
 */
export const stream = accessStream((client) => client.stream)

/**
 * {@link stream}, started, with the answer's metadata (its events live as long as the scope).
 *
 * @since 0.2.0
 * @category accessors
 */
export const streamWithResponse = accessEffect((client) => client.streamWithResponse)

/**
 * `POST /v1/messages/count_tokens`: the SDK's `client.messages.countTokens`.
 *
 * @since 0.2.0
 * @category accessors
 */
export const countTokens = accessEffect((client) => client.countTokens)
