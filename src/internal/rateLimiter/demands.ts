/**
 * What an attempt asks of the store (its demand), from its cost and the configured limits; and the scopes this client
 * has seen, for snapshots.
 */
import type { Demand, Dimension, Need } from "./store.js"

/** The limits and bounds the limiter keeps. */
export interface LimiterOptions {
  readonly requestsPerSecond: number | undefined
  /** Per-minute limits for every model (`*`), and per model where configured. */
  readonly limits: Readonly<Partial<Record<Dimension, number>>>
  readonly models: Readonly<Record<string, Readonly<Partial<Record<Dimension, number>>>>>
  readonly adaptive: boolean
  readonly maxWaitMs: number
  readonly maxRetryAfterMs: number
  readonly maxConcurrent: number | undefined
}

/** What one attempt is about to use: Messages requests say; other calls only take a slot. */
export interface Cost {
  readonly model: string | undefined
  readonly inputTokens: number
  readonly outputTokens: number
}

export const makeDemands = (options: LimiterOptions, maxScopes: number) => {
  const slotIntervalMs = options.requestsPerSecond === undefined ? undefined : 1000 / options.requestsPerSecond
  const scopes = new Set<string>(["*", ...Object.keys(options.models)])

  // Own keys only: a model named `constructor` or `__proto__` must not find Object.prototype's (absent) limits.
  const limitScopeOf = (model: string | undefined) => model !== undefined && Object.hasOwn(options.models, model) ? model : "*"
  const configuredOf = (limitScope: string): Readonly<Partial<Record<Dimension, number>>> =>
    limitScope === "*" ? options.limits : options.models[limitScope]!

  const demandOf = (cost: Cost | undefined): Demand => {
    if (cost === undefined) return { scope: "*", limitScope: "*", needs: [], slotIntervalMs }
    const scope = cost.model ?? "*"
    if (scopes.size < maxScopes) scopes.add(scope)
    const limitScope = limitScopeOf(cost.model)
    const configured = configuredOf(limitScope)
    const needs: Array<Need> = [
      { dimension: "requests", tokens: 1, configured: configured.requests },
      { dimension: "input", tokens: cost.inputTokens, configured: configured.input },
      { dimension: "output", tokens: cost.outputTokens, configured: configured.output }
    ]
    return { scope, limitScope, needs, slotIntervalMs }
  }

  /** The scopes this client has seen and those `known` to the store, each with its configured limits. */
  const views = (known: ReadonlyArray<string>) =>
    [...new Set([...scopes, ...known])].map((scope) => {
      const limitScope = limitScopeOf(scope === "*" ? undefined : scope)
      return { scope, limitScope, configured: configuredOf(limitScope) }
    })

  return { demandOf, views }
}
