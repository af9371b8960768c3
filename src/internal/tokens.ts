/** Facts about Anthropic token strings, shared by the config schema, the credential file readers and the errors. */

export const SETUP_TOKEN_PREFIX = "sk-ant-oat01-"
export const SETUP_TOKEN_MIN_LENGTH = 80

/** Why a setup token is refused, or `undefined` when it is acceptable. Never echoes the token. */
export const setupTokenProblem = (token: string): string | undefined => {
  if (!token.startsWith(SETUP_TOKEN_PREFIX)) {
    return `a setup token starts with "${SETUP_TOKEN_PREFIX}" and this one does not`
  }
  if (token.length < SETUP_TOKEN_MIN_LENGTH) {
    return `a setup token is at least ${SETUP_TOKEN_MIN_LENGTH} characters and this one has ${token.length}`
  }
  return undefined
}

export const SETUP_TOKEN_FIX = "paste the whole token printed by `claude setup-token` (it starts with sk-ant-oat01-)"

/**
 * Anthropic keys and tokens: `sk-ant-api03-…`, `sk-ant-oat01-…`, `sk-ant-ort01-…`, `sk-ant-admin01-…`, and their
 * bodies echoed without `sk-ant-` (`api03-…`, `oat01-…`, `ort01-…`). A bare kind needs 8 characters of body, so host
 * names such as `api01-eu` stay readable; anything after `sk-ant-` is masked whatever its length or kind.
 *
 * The captured group is the part kept: the kind (`sk-ant-api03-`, `ort01-`), or just `sk-ant-` for a shape not known
 * yet. The masked form (`sk-ant-api03-…[redacted]`) does not match again, so scrubbing twice changes nothing.
 */
const SECRET =
  /(sk-ant-[a-z]+\d{2}-)[\w-]+|(sk-ant-)(?![a-z]+\d{2}-)[\w-]+|(?<![A-Za-z0-9])((?:api|oat|ort|admin)\d{2}-)[\w-]{8,}/g

/** Masks anything shaped like an Anthropic key or token, for text that leaves the process (error messages). */
export const scrubSecrets = (text: string): string =>
  text.replace(SECRET, (_, kind?: string, unknownKind?: string, echoedKind?: string) =>
    `${kind ?? unknownKind ?? echoedKind}…[redacted]`)

/** A short, non-reversible fingerprint of a secret, for `status` output and logs. */
export const fingerprint = (secret: string): string => {
  // FNV-1a: enough to tell two tokens apart at a glance, far too short to leak anything.
  let h = 0x811c9dc5
  for (let i = 0; i < secret.length; i++) {
    h ^= secret.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0).toString(16).padStart(8, "0")
}
