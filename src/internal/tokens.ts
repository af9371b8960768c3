/** Facts about Anthropic token strings, shared by the config schema, the credential file readers and the errors. */

export const SETUP_TOKEN_PREFIX = "sk-ant-oat01-"
export const SETUP_TOKEN_MIN_LENGTH = 80

/**
 * What in `text` cannot go into an HTTP header value, in words (never the text), or `undefined` when all of it can.
 * Printable ASCII only: undici refuses CR, LF and NUL (every attempt would fail as a "transport" error), and other
 * bytes would reach the server garbled. `"text"` allows spaces inside; `"token"` (a key, a token) does not.
 */
export const unsendable = (text: string, kind: "text" | "token"): string | undefined => {
  const bad = (kind === "text" ? /[^\x20-\x7e]/ : /[^\x21-\x7e]/).exec(text)?.[0]
  if (bad === undefined) return undefined
  return bad === "\r" || bad === "\n"
    ? "a line break"
    : bad === " "
    ? "a space"
    : bad < " " || bad === "\x7f"
    ? "a control character"
    : "a character outside printable ASCII"
}

/** Why a key or token cannot be sent in a header, or `undefined`. `what` names it ("an API key"). */
export const credentialTextProblem = (what: string, token: string): string | undefined => {
  const bad = unsendable(token, "token")
  return bad === undefined
    ? undefined
    : `${what} is one run of printable ASCII characters, and this one holds ${bad}, which cannot be sent in a header`
}

/** Why a setup token is refused, or `undefined` when it is acceptable. Never echoes the token. */
export const setupTokenProblem = (token: string): string | undefined => {
  if (!token.startsWith(SETUP_TOKEN_PREFIX)) {
    return `a setup token starts with "${SETUP_TOKEN_PREFIX}" and this one does not`
  }
  const bad = credentialTextProblem("a setup token", token)
  if (bad !== undefined) return bad
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
