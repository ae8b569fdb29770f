import { kebabKey, OPERATOR_AGENT_KEYS, SPRINT_AGENT_KEYS } from '@sprint/core';
import { describe, expect, it } from 'vitest';
import { ClaudeCodeOptionsSchema } from './options.js';

describe("the keys core lets a sprint's config.claude set", () => {
  it('are exactly the agent options that are not the operator’s, so validate refuses what the agent would refuse', () => {
    const options = Object.keys(ClaudeCodeOptionsSchema.shape).map(kebabKey);
    const sprintKeys = options.filter((k) => !OPERATOR_AGENT_KEYS.includes(k));
    expect([...(SPRINT_AGENT_KEYS.claude ?? [])].sort()).toEqual(sprintKeys.sort());
  });
});
