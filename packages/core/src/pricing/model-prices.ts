import type { TokenUsage } from '../model/agent-result.js';

/** US dollars per million tokens of one model. */
export interface ModelPrice {
  input: number;
  output: number;
  /** Cached input read; defaults to `input`. */
  cacheRead?: number;
  /** Cache writes; defaults to `input`. */
  cacheCreation?: number;
}

/** The date the shipped prices were copied from the providers' price pages. */
export const MODEL_PRICES_DATE = '2026-12-01';

/**
 * Shipped list prices, matched by the longest key that prefixes the model
 * name (`gpt-5.1-codex-mini` matches `gpt-5.1-codex-mini` before `gpt-5`).
 * `*` is the fallback for a model the table does not know, so a money limit
 * still holds. Override or extend with `config.prices` in SPRINT.yaml.
 */
export const DEFAULT_MODEL_PRICES: Readonly<Record<string, ModelPrice>> = Object.freeze({
  'gpt-5': { input: 1.25, output: 10, cacheRead: 0.125 },
  'gpt-5-mini': { input: 0.25, output: 2, cacheRead: 0.025 },
  'gpt-5-nano': { input: 0.05, output: 0.4, cacheRead: 0.005 },
  'gpt-5.1': { input: 1.25, output: 10, cacheRead: 0.125 },
  'gpt-5.1-codex-mini': { input: 0.25, output: 2, cacheRead: 0.025 },
  'gpt-5.2': { input: 1.75, output: 14, cacheRead: 0.175 },
  'gpt-4.1': { input: 2, output: 8, cacheRead: 0.5 },
  o3: { input: 2, output: 8, cacheRead: 0.5 },
  'o4-mini': { input: 1.1, output: 4.4, cacheRead: 0.275 },
  'gemini-2.5-pro': { input: 1.25, output: 10, cacheRead: 0.31 },
  'gemini-2.5-flash': { input: 0.3, output: 2.5, cacheRead: 0.075 },
  'gemini-2.5-flash-lite': { input: 0.1, output: 0.4, cacheRead: 0.025 },
  'gemini-3-pro': { input: 2, output: 12, cacheRead: 0.2 },
  // Added 2026-12-03: the models the gemini CLI 0.61 picks by itself (its requests name them).
  'gemini-3-flash': { input: 0.5, output: 3, cacheRead: 0.05 },
  'gemini-3.1-pro': { input: 2, output: 12, cacheRead: 0.2 },
  'gemini-3.1-flash-lite': { input: 0.25, output: 1.5, cacheRead: 0.025 },
  'gemini-3.5-flash': { input: 1.5, output: 9, cacheRead: 0.15 },
  // The CLI's default in its requests; no list price found on 2026-12-03, so the
  // latest flash price (gemini-3.5-flash) until one is published.
  'gemini-3.8-flash': { input: 1.5, output: 9, cacheRead: 0.15 },
  'claude-opus-4': { input: 15, output: 75, cacheRead: 1.5, cacheCreation: 18.75 },
  'claude-opus-4-5': { input: 5, output: 25, cacheRead: 0.5, cacheCreation: 6.25 },
  'claude-sonnet-4': { input: 3, output: 15, cacheRead: 0.3, cacheCreation: 3.75 },
  'claude-haiku-4-5': { input: 1, output: 5, cacheRead: 0.1, cacheCreation: 1.25 },
  '*': { input: 3, output: 15, cacheRead: 0.3 },
});

/** A cost priced from tokens, and which table entry priced it. */
export interface CostEstimate {
  costUsd: number;
  /** The key of the price used (`*` when the model was unknown). */
  priceKey: string;
}

/**
 * Prices `tokens` of `model` from `overrides` over {@link DEFAULT_MODEL_PRICES}.
 * Pure. A model the table does not know (or none) gets the `*` price.
 *
 * @example
 * estimateCost('gpt-5-mini', { input: 1e6, output: 0, cacheRead: 0, cacheCreation: 0 })
 * // { costUsd: 0.25, priceKey: 'gpt-5-mini' }
 */
export function estimateCost(
  model: string | undefined,
  tokens: TokenUsage,
  overrides: Readonly<Record<string, ModelPrice>> = {},
): CostEstimate {
  const table = { ...DEFAULT_MODEL_PRICES, ...overrides };
  const name = (model ?? '').toLowerCase().replace(/^.*\//, ''); // provider/model -> model
  let priceKey = '*';
  for (const key of Object.keys(table)) {
    if (
      key !== '*' &&
      name.startsWith(key.toLowerCase()) &&
      key.length > (priceKey === '*' ? 0 : priceKey.length)
    ) {
      priceKey = key;
    }
  }
  const price = table[priceKey] ?? (DEFAULT_MODEL_PRICES['*'] as ModelPrice);
  const usd =
    (tokens.input * price.input +
      tokens.output * price.output +
      tokens.cacheRead * (price.cacheRead ?? price.input) +
      tokens.cacheCreation * (price.cacheCreation ?? price.input)) /
    1e6;
  return { costUsd: Math.round(usd * 1e6) / 1e6, priceKey };
}
