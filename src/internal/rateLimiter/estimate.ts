/**
 * A cheap estimate of a request's input tokens, from its JSON body, for reserving before it is sent: the API counts
 * and charges the real number, and the reservation is corrected from the answer's `usage`.
 *
 * About four characters a token for text and JSON (the usual rule of thumb for Claude's tokenizer, a little
 * generous for English and code). A base64 `data` field (an image, a PDF) is not text: it counts as 1,600 tokens, the
 * most an image takes at the API's default size (a PDF's pages take more; the correction settles it).
 */
const BASE64_FIELD = /"data":"[A-Za-z0-9+/=]{1000,}"/g

/** Tokens an image is taken to cost. */
export const IMAGE_TOKENS = 1600

export const estimateInputTokens = (json: string): number => {
  let characters = json.length
  let attachments = 0
  if (json.length > 1000) {
    for (const m of json.matchAll(BASE64_FIELD)) {
      characters -= m[0].length
      attachments++
    }
  }
  return Math.ceil(characters / 4) + attachments * IMAGE_TOKENS
}
