/**
 * What kind of block a block type is, for the provider's two directions (prompt to request, answer to parts).
 */

/** A server tool's result block (web search, code execution, MCP, …): what goes back to the API unchanged. */
export const isResultBlock = (type: string): boolean => type.endsWith("_tool_result") || type === "mcp_tool_result"

/** A call the API runs itself. */
export const isServerCall = (type: string): boolean => type === "server_tool_use" || type === "mcp_tool_use"
