import { kebabKey, SPRINT_AGENT_KEYS } from '@sprint/core';
import { describe, expect, it } from 'vitest';
import { SPRINT_CODEX_KEYS } from './options.js';

describe("the keys core lets a sprint's config.codex set", () => {
  it('are the ones the codex agent accepts from a sprint', () => {
    expect([...(SPRINT_AGENT_KEYS.codex ?? [])].sort()).toEqual(
      SPRINT_CODEX_KEYS.map(kebabKey).sort(),
    );
  });
});
