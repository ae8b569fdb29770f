import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from './helpers.js';

/** A finished sprint: one task priced from the price table (codex reports tokens only), one reported. */
function pricedSprint(cwd: string, estimated: boolean, fallback = ''): string {
  const dir = join(cwd, '.claude/sprints/2026-12-02_prices');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'SPRINT.yaml'), 'sprint-id: 2026-12-02_prices\nname: Prices\n');
  writeFileSync(
    join(dir, 'PROGRESS.yaml'),
    `sprint-id: 2026-12-02_prices
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
        agent: codex
        started-at: 2026-12-02T10:00:00Z
        ended-at: 2026-12-02T10:01:00Z
        outcome: success
        cost-usd: 0.5
${estimated ? '        cost-estimated: true\n' : ''}${fallback}  - id: reported
    type: custom
    description: d
    done-when: w
    status: done
    cost-usd: 0.25
    attempts:
      - n: 1
        agent: claude
        started-at: 2026-12-02T10:01:00Z
        ended-at: 2026-12-02T10:02:00Z
        outcome: success
        cost-usd: 0.25
blocked: []
run:
  iterations: 2
  cost-usd: 0.75
`,
  );
  return dir;
}

describe('sprint status and an estimated cost', () => {
  it('says which part of the spend is an estimate, in text and --json', async () => {
    const cwd = tempDir();
    const dir = pricedSprint(cwd, true);
    const text = await runCli(['status', dir], { cwd });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('$0.75 ($0.50 of it estimated from token prices)');
    const json = await runCli(['status', dir, '--json'], { cwd });
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report.costUsd).toBe(0.75);
    expect(report.estimatedCostUsd).toBe(0.5);
    // Priced by its model (or logged before the fallback mark existed): no word of a fallback.
    expect(text.stdout).not.toContain('fallback');
    expect(report.fallbackPricing).toBeUndefined();
  });

  it('says when the estimate was priced at the fallback price, and why, in text and --json', async () => {
    const cwd = tempDir();
    const unknown = pricedSprint(cwd, true, '        cost-fallback: true\n');
    const text = await runCli(['status', unknown], { cwd });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(
      '$0.75 ($0.50 of it estimated from token prices; $0.50 at the fallback price: model unknown)',
    );
    const json = JSON.parse((await runCli(['status', unknown, '--json'], { cwd })).stdout);
    expect(json.fallbackPricing).toEqual({ costUsd: 0.5, models: [], unknownModel: true });

    const other = tempDir();
    const notInTable = pricedSprint(
      other,
      true,
      '        cost-model: acme/zeta-1\n        cost-fallback: true\n',
    );
    const named = await runCli(['status', notInTable], { cwd: other });
    expect(named.stdout).toContain(
      '$0.50 at the fallback price: acme/zeta-1 not in the price table)',
    );
  });

  it('says nothing of estimates when every cost was reported', async () => {
    const cwd = tempDir();
    const dir = pricedSprint(cwd, false);
    const text = await runCli(['status', dir], { cwd });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('$0.75,');
    expect(text.stdout).not.toContain('estimated');
    expect(
      JSON.parse((await runCli(['status', dir, '--json'], { cwd })).stdout).estimatedCostUsd,
    ).toBe(0);
  });
});
