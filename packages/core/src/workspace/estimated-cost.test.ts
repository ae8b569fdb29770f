import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentRegistry } from '../agents/agent-registry.js';
import { SprintRunner } from '../runner/sprint-runner.js';
import { SprintDirectoryStore } from '../stores/sprint-directory-store.js';
import { ScriptedAgent } from '../testing/scripted-agent.js';
import { describeSprint } from './describe-sprint.js';

const SPRINT = `sprint-id: 2026-12-02_prices
name: Prices
goals: [Say which cost is an estimate]
`;
const PROGRESS = `sprint-id: 2026-12-02_prices
status: not-started
queue:
  - id: priced
    type: custom
    description: An agent that reports tokens only (priced from the table)
    done-when: done
  - id: reported
    type: custom
    description: An agent whose provider reports the cost
    done-when: done
completed: []
blocked: []
`;

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sprint-estimate-'));
  const dir = join(root, '2026-12-02_prices');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'SPRINT.yaml'), SPRINT);
  await writeFile(join(dir, 'PROGRESS.yaml'), PROGRESS);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('a cost priced from the price table', () => {
  it('is named as an estimate in the run result, the status report and PROGRESS.yaml, also after a reload', async () => {
    const agent = new ScriptedAgent('s', {
      priced: { success: true, summary: 'ok', costUsd: 0.5, costEstimated: true },
      reported: { success: true, summary: 'ok', costUsd: 0.25 },
    });
    const result = await new SprintRunner({
      store: new SprintDirectoryStore({ root }),
      agents: new AgentRegistry({ default: agent }),
    }).run('2026-12-02_prices');
    expect(result.status).toBe('completed');
    expect(result.costUsd).toBeCloseTo(0.75);
    expect(result.estimatedCostUsd).toBeCloseTo(0.5);

    const progress = await readFile(join(root, '2026-12-02_prices', 'PROGRESS.yaml'), 'utf8');
    expect(progress).toContain('cost-estimated: true');

    // A fresh store reads the flag back from PROGRESS.yaml.
    const snapshot = await new SprintDirectoryStore({ root }).load('2026-12-02_prices');
    const report = describeSprint(snapshot, null);
    expect(report.costUsd).toBeCloseTo(0.75);
    expect(report.estimatedCostUsd).toBeCloseTo(0.5);
    // Priced by a model the table knows (or written before the mark existed): no fallback.
    expect(report.fallbackPricing).toBeUndefined();
  });

  it('says which part of the estimate the `*` fallback priced, and why, also after a reload', async () => {
    const agent = new ScriptedAgent('s', {
      priced: {
        success: true,
        summary: 'ok',
        costUsd: 0.5,
        costEstimated: true,
        costModel: 'gpt-9',
        costFallback: true,
      },
      reported: {
        success: true,
        summary: 'ok',
        costUsd: 0.1,
        costEstimated: true,
        costFallback: true,
      },
    });
    const result = await new SprintRunner({
      store: new SprintDirectoryStore({ root }),
      agents: new AgentRegistry({ default: agent }),
    }).run('2026-12-02_prices');
    const fallback = { costUsd: 0.6, models: ['gpt-9'], unknownModel: true };
    expect(result.fallbackPricing).toEqual(fallback);

    const progress = await readFile(join(root, '2026-12-02_prices', 'PROGRESS.yaml'), 'utf8');
    expect(progress).toContain('cost-model: gpt-9');
    expect(progress).toContain('cost-fallback: true');
    const store = new SprintDirectoryStore({ root });
    expect(describeSprint(await store.load('2026-12-02_prices'), null).fallbackPricing).toEqual(
      fallback,
    );
    const ended = (await store.readEvents('2026-12-02_prices')).findLast(
      (e) => e.type === 'run-ended',
    );
    expect(ended && 'fallbackPricing' in ended ? ended.fallbackPricing : undefined).toEqual(
      fallback,
    );
  });

  it('leaves nothing estimated when every provider reported its cost', async () => {
    const agent = new ScriptedAgent('s', {}, { success: true, summary: 'ok', costUsd: 0.1 });
    const result = await new SprintRunner({
      store: new SprintDirectoryStore({ root }),
      agents: new AgentRegistry({ default: agent }),
    }).run('2026-12-02_prices');
    expect(result.costUsd).toBeCloseTo(0.2);
    expect(result.estimatedCostUsd).toBeUndefined();
    expect(result.fallbackPricing).toBeUndefined();
    const snapshot = await new SprintDirectoryStore({ root }).load('2026-12-02_prices');
    expect(describeSprint(snapshot, null).estimatedCostUsd).toBe(0);
  });
});
