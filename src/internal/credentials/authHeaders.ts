/**
 * What a credential puts on a request: the one auth header it owns and the betas it needs (the public `Credentials`
 * module re-exports the type).
 */
import type * as Redacted from "effect/Redacted"
import type { CredentialKind } from "../errors.js"

/**
 * The headers one credential authorizes a request with.
 *
 * @since 0.1.0
 * @category models
 */
export interface AuthHeaders {
  readonly kind: CredentialKind
  /** `x-api-key` for API keys, `authorization` (`Bearer …`) for every OAuth-style token. Never both. */
  readonly header: "x-api-key" | "authorization"
  /** The header's value (`Bearer …` for tokens). */
  readonly value: Redacted.Redacted<string>
  /** The credential itself, to tell which token a 401 answered. */
  readonly token: Redacted.Redacted<string>
  readonly betas: ReadonlyArray<string>
}
