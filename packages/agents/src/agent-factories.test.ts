import { AGENT_NAMES } from '@sprint/core';
import { describe, expect, it } from 'vitest';
import { agentFactories } from './agent-factories.js';

describe('agentFactories', () => {
  it('builds every agent sprint knows, each under its own name', () => {
    const make = agentFactories({}, {});
    expect(Object.keys(make).sort()).toEqual([...AGENT_NAMES].sort());
    for (const name of AGENT_NAMES) expect(make[name]().name).toBe(name);
  });

  it('makes a new agent on each call', () => {
    const make = agentFactories({}, {});
    expect(make.codex()).not.toBe(make.codex());
  });
});
