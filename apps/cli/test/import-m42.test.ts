import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copy, runCli, snapshotFiles, tempDir } from './helpers.js';
import { runMain } from './in-process.js';

/** Real m42 sprints, from the public Mission42-ai/m42-claude-plugins repository (see its README). */
const M42 = resolve(import.meta.dirname, '../../../packages/core/src/imports/fixtures/m42');

function m42Project(name: string) {
  const cwd = tempDir();
  const dir = copy(join(M42, name), join(cwd, '.claude/sprints', name));
  return { cwd, dir };
}

describe('sprint import --from-m42', () => {
  it('turns a compiled m42 sprint into a runnable sprint: phases in order, finished ones completed, the original unchanged', async () => {
    const { cwd, dir } = m42Project('2026-02-05_claudemd-commands');
    const before = snapshotFiles(dir);
    const r = await runMain(['import', '--from-m42', dir, '--json'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({
      tasks: 10,
      done: 9,
      workflow: 'plugin-development',
      fromProgress: true,
    });
    expect(doc.path).toBe(`${dir}-imported`);
    expect(snapshotFiles(dir)).toEqual(before);
    const progress = readFileSync(join(doc.path, 'PROGRESS.yaml'), 'utf8');
    expect(progress).toMatch(/queue:\n {2}- id: pr-create/);
    expect(progress).toContain('depends-on:\n      - summary');
    expect(existsSync(join(doc.path, 'context/_shared-context.md'))).toBe(true);

    // It validates and runs like any sprint (noop agent): only the unfinished phase is left.
    expect((await runMain(['validate', doc.path], { cwd })).code).toBe(0);
    const preview = await runMain(['run', doc.path, '--dry-run', '--json'], { cwd });
    expect(JSON.parse(preview.stdout).tasks.map((t: { id: string }) => t.id)).toEqual([
      'pr-create',
    ]);
    const run = await runCli(['run', doc.path, '--agent', 'noop'], { cwd });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('10/10 tasks done');
  });

  it('an m42 sprint without PROGRESS.yaml: one task per step; the default place is beside it', async () => {
    const { cwd, dir } = m42Project('2026-01-29_agent-monitor-panel');
    const r = await runMain(['import', '--from-m42', dir], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('as .claude/sprints/2026-01-29_agent-monitor-panel-imported:');
    expect(r.stdout).toContain('1 task, 0 already done');
    expect(r.stdout).toContain('there was no compiled PROGRESS.yaml');
  });

  it('validate and run on an m42 sprint point to the import, and change nothing', async () => {
    for (const name of ['2026-02-05_claudemd-commands', '2026-01-29_agent-monitor-panel']) {
      const { cwd, dir } = m42Project(name);
      const before = snapshotFiles(cwd);
      for (const command of ['validate', 'run']) {
        const r = await runMain([command, dir], { cwd });
        expect([64, 65]).toContain(r.code);
        expect(r.stderr).toContain(
          `This is a sprint in m42's workflow format (workflow: plugin-development)`,
        );
        expect(r.stderr).toContain(`sprint import --from-m42 .claude/sprints/${name}`);
      }
      expect(snapshotFiles(cwd)).toEqual(before);
    }
  });

  it('refuses an existing target (64) and an empty step list (65 with file, field and fix), writing nothing', async () => {
    const { cwd, dir } = m42Project('2026-02-05_claudemd-commands');
    const taken = await runMain(['import', '--from-m42', dir, '--into', join(cwd, '.claude')], {
      cwd,
    });
    expect(taken.code).toBe(64);
    expect(taken.stderr).toContain('already exists');
    // Core says what is wrong; the CLI says it with its own flag.
    expect(taken.stderr).toContain('Fix: choose another place with --into DIR, or remove it.');

    const empty = m42Project('2026-02-02_step-learnings');
    const before = snapshotFiles(empty.cwd);
    const r = await runMain(['import', '--from-m42', empty.dir], { cwd: empty.cwd });
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/SPRINT\.yaml collections: has no steps to convert \(fix: /);
    expect(snapshotFiles(empty.cwd)).toEqual(before);
  });
});
