/**
 * What the API's own tools are called and need: the beta a tool version requires, and the names a server tool's
 * calls may carry (the public `AnthropicTools` module re-exports both).
 */

/**
 * The `anthropic-beta` a tool version needs, if any (the provider sends it for you).
 *
 * @since 0.2.0
 * @category utils
 */
export const betaFor = (type: string): string | undefined => BETAS[type]

const BETAS: Readonly<Record<string, string>> = {
  code_execution_20250522: "code-execution-2025-05-22",
  bash_20241022: "computer-use-2024-10-22",
  text_editor_20241022: "computer-use-2024-10-22",
  computer_20241022: "computer-use-2024-10-22",
  computer_20250124: "computer-use-2025-01-24",
  computer_20251124: "computer-use-2025-11-24"
}

/**
 * The API names a server tool's calls may carry: code execution's bash and editor calls count as its own.
 *
 * @since 0.2.0
 * @category utils
 */
export const callNamesOf = (providerName: string): ReadonlyArray<string> =>
  providerName === "code_execution"
    ? ["code_execution", "bash_code_execution", "text_editor_code_execution"]
    : [providerName]
