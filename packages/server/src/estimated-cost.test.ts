import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { callServer as call, listeningServer } from './test-support/harness.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** A finished sprint whose one attempt was priced at the table's `*` fallback (`cost-fallback`). */
const PROGRESS = `sprint-id: 2026-12-03_fallback
status: completed
queue: []
completed:
  - id: priced
    type: custom
    description: d
    done-when: w
    status: done
    cost-usd: 0.5
    attempts:
      - n: 1
        agent: opencode
        started-at: 2026-12-03T10:00:00Z
        ended-at: 2026-12-03T10:01:00Z
        outcome: success
        cost-usd: 0.5
        cost-estimated: true
        cost-model: acme/zeta-1
        cost-fallback: true
blocked: []
run:
  iterations: 1
  cost-usd: 0.5
`;

describe('a cost priced at the fallback price, through a real listening server', () => {
  it('is named in GET /sprints/{id} with the model the table lacks, and in the OpenAPI document', async () => {
    const { server, root, close } = await listeningServer({
      agents: { enabled: ['noop'], defaultAgent: 'noop' },
    });
    cleanups.push(close);
    const dir = join(root, '2026-12-03_fallback');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'SPRINT.yaml'), 'sprint-id: 2026-12-03_fallback\nname: Fallback\n');
    await writeFile(join(dir, 'PROGRESS.yaml'), PROGRESS);

    const res = await call(server, 'GET', '/sprints/2026-12-03_fallback');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.sprint.estimatedCostUsd).toBe(0.5);
    expect(res.body.sprint.fallbackPricing).toEqual({
      costUsd: 0.5,
      models: ['acme/zeta-1'],
      unknownModel: false,
    });
    const doc = await call(server, 'GET', '/openapi.json');
    expect(Object.keys(doc.body.components.schemas.SprintStatusReport.properties)).toEqual(
      expect.arrayContaining(['estimatedCostUsd', 'fallbackPricing']),
    );
  });
});
