import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('pnpm demo', () => {
  it('runs the example sprint end to end with the noop agent', () => {
    const script = resolve(import.meta.dirname, '../../../scripts/demo.mjs');
    const r = spawnSync(process.execPath, [script], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 60_000,
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('Dry Run: Sprint Preview');
    expect(r.stdout).toContain('run ended: completed');
    expect(r.stdout).toMatch(/Status:\s+completed/);
    expect(r.stdout).toContain('The sprint ran to completion.');
  });
});
