/** The bound on a body read whole, shared by this library's clients. */

/**
 * The `cause` of a whole-body read that went past {@link Options.maxBodyBytes}.
 *
 * @since 0.1.0
 * @category models
 */
export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`the body is larger than ${limit} bytes (maxBodyBytes)`)
    this.name = "BodyTooLarge"
  }
}

/**
 * Default of {@link Options.maxBodyBytes}.
 *
 * @category constants
 */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
