/**
 * The stand-in's rate limits, as the API keeps them: token buckets of requests, input tokens and output tokens per
 * minute, refilled continuously; every Messages answer reports them in `anthropic-ratelimit-*` headers, and a request
 * the budget cannot take gets a 429 with `retry-after` and the same headers. Input is charged when a request
 * arrives (the tokens its answer reports), output when its answer is complete.
 */

/**
 * Per-minute limits of the stand-in.
 *
 * @since 0.2.0
 * @category models
 */
export interface StandInLimits {
  readonly requestsPerMinute: number
  readonly inputTokensPerMinute: number
  readonly outputTokensPerMinute: number
}

/**
 * What the stand-in charged, request by request (for tests that measure a client's pacing).
 *
 * @since 0.2.0
 * @category models
 */
export interface Charge {
  /** The stand-in's clock when the request arrived. */
  readonly at: number
  readonly inputTokens: number
  readonly outputTokens: number
  /** Refused with a 429. */
  readonly limited: boolean
}

/** Generous limits, as a high tier has them: headers as the real API sends, and nothing a test would hit. */
export const DEFAULT_LIMITS: StandInLimits = {
  requestsPerMinute: 4000,
  inputTokensPerMinute: 2_000_000,
  outputTokensPerMinute: 400_000
}

class Bucket {
  level: number
  last: number
  constructor(public capacity: number, now: number) {
    this.level = capacity
    this.last = now
  }
  refill(now: number): void {
    const elapsed = Math.max(0, now - this.last)
    this.level = Math.min(this.capacity, this.level + (elapsed * this.capacity) / 60_000)
    this.last = now
  }
  /** Milliseconds until `tokens` fit. */
  waitFor(tokens: number): number {
    return tokens <= this.level ? 0 : Math.ceil(((tokens - this.level) * 60_000) / this.capacity)
  }
  resetAt(now: number): number {
    return now + Math.ceil(((this.capacity - this.level) * 60_000) / this.capacity)
  }
}

/** The input tokens the stand-in counts (and reports) for a Messages request: its messages, system and tools. */
export const inputTokensOf = (body: any): number =>
  Math.max(1, Math.ceil(JSON.stringify([body?.system ?? "", body?.messages ?? [], body?.tools ?? []]).length / 4))

export const makeRateLimits = (now: () => number) => {
  let limits = DEFAULT_LIMITS
  let buckets = { requests: new Bucket(limits.requestsPerMinute, now()), input: new Bucket(limits.inputTokensPerMinute, now()), output: new Bucket(limits.outputTokensPerMinute, now()) }
  const charges: Array<Charge> = []

  const headers = (at: number): Record<string, string> => {
    const h: Record<string, string> = {}
    for (const [name, bucket] of [["requests", buckets.requests], ["input-tokens", buckets.input], ["output-tokens", buckets.output]] as const) {
      h[`anthropic-ratelimit-${name}-limit`] = String(bucket.capacity)
      h[`anthropic-ratelimit-${name}-remaining`] = String(Math.max(0, Math.floor(bucket.level)))
      h[`anthropic-ratelimit-${name}-reset`] = new Date(bucket.resetAt(at)).toISOString().replace(/\.\d{3}Z$/, "Z")
    }
    return h
  }

  return {
    set: (next: Partial<StandInLimits>) => {
      limits = { ...DEFAULT_LIMITS, ...next }
      const at = now()
      buckets = {
        requests: new Bucket(limits.requestsPerMinute, at),
        input: new Bucket(limits.inputTokensPerMinute, at),
        output: new Bucket(limits.outputTokensPerMinute, at)
      }
      charges.length = 0
    },
    charges,
    /**
     * A request arrives: charged, with the headers to answer with; or refused, with the milliseconds until it would
     * fit (for `retry-after`).
     */
    arrive: (inputTokens: number): { readonly headers: Record<string, string>; readonly retryAfterMs?: number; readonly settle: (outputTokens: number) => void } => {
      const at = now()
      for (const bucket of Object.values(buckets)) bucket.refill(at)
      const wait = Math.max(
        buckets.requests.waitFor(1),
        buckets.input.waitFor(inputTokens),
        // Output is charged afterwards: a bucket already spent refuses new requests.
        buckets.output.level < 1 ? buckets.output.waitFor(1) : 0
      )
      if (wait > 0) {
        charges.push({ at, inputTokens, outputTokens: 0, limited: true })
        return { headers: headers(at), retryAfterMs: wait, settle: () => {} }
      }
      buckets.requests.level -= 1
      buckets.input.level -= inputTokens
      const charge = { at, inputTokens, outputTokens: 0, limited: false }
      charges.push(charge)
      return {
        headers: headers(at),
        settle: (outputTokens) => {
          buckets.output.refill(now())
          buckets.output.level -= outputTokens
          ;(charge as { outputTokens: number }).outputTokens = outputTokens
        }
      }
    }
  }
}
