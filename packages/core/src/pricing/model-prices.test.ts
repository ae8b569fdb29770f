import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_PRICES, estimateCost } from './model-prices.js';

const t = (input: number, output = 0, cacheRead = 0, cacheCreation = 0) => ({
  input,
  output,
  cacheRead,
  cacheCreation,
});

describe('estimateCost', () => {
  it.each([
    ['gpt-5', t(1e6), 1.25, 'gpt-5'],
    ['gpt-5-mini', t(1e6, 1e6), 2.25, 'gpt-5-mini'],
    ['gpt-5-mini-2025-08-07', t(1e6), 0.25, 'gpt-5-mini'],
    ['openai/gpt-5-nano', t(0, 1e6), 0.4, 'gpt-5-nano'],
    ['gemini-2.5-flash-lite', t(1e6), 0.1, 'gemini-2.5-flash-lite'],
    ['gemini-2.5-flash', t(0, 0, 1e6), 0.075, 'gemini-2.5-flash'],
    ['GPT-5', t(1e6), 1.25, 'gpt-5'],
    // The gemini CLI's own picks, as its requests name them.
    ['gemini-3.8-flash', t(1e6), 1.5, 'gemini-3.8-flash'],
    ['gemini-3-flash-preview', t(0, 1e6), 3, 'gemini-3-flash'],
    ['gemini-3.1-flash-lite-preview', t(1e6), 0.25, 'gemini-3.1-flash-lite'],
    ['gemini-3.1-pro-preview', t(1e6), 2, 'gemini-3.1-pro'],
    ['some-local-model', t(1e6, 1e6), 18, '*'],
    [undefined, t(1e6), 3, '*'],
  ] as const)('prices %s by the longest matching entry', (model, tokens, usd, key) => {
    const got = estimateCost(model, tokens);
    expect(got.priceKey).toBe(key);
    expect(got.costUsd).toBeCloseTo(usd, 6);
  });

  it('lets the configured prices win over the shipped ones', () => {
    expect(estimateCost('gpt-5', t(1e6), { 'gpt-5': { input: 9, output: 9 } }).costUsd).toBe(9);
    expect(estimateCost('my-model', t(1e6), { 'my-model': { input: 0.5, output: 1 } })).toEqual({
      costUsd: 0.5,
      priceKey: 'my-model',
    });
  });

  it('ships a fallback price, so a money limit holds for unknown models', () => {
    expect(DEFAULT_MODEL_PRICES['*']?.input).toBeGreaterThan(0);
  });
});
