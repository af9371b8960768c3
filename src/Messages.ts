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
export * from "./internal/messages/message.js"
