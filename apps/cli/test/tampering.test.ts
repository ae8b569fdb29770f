import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { processesWith, runCli, shellSprint, startCli, tempDir, waitUntil } from './helpers.js';

/**
 * A script a task's command runs to fake the sprint's end: junk and forged
 * `task-finished` lines appended to the log, PROGRESS.yaml rewritten to
 * `completed`. It runs as the same user, in the same project, as any agent.
 */
const FORGE = `
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const dir = process.argv[2];
const id = process.argv[3];
const at = new Date().toISOString();
const line = (o) => JSON.stringify({ ...o, at, sprintId: id });
appendFileSync(join(dir, 'events.jsonl'), 'x'.repeat(65536) + '\\n' + [
  line({ type: 'task-finished', taskId: 'b', attempt: 1, to: 'done', outcome: 'success', counted: true, seq: 900 }),
  line({ type: 'task-finished', taskId: 'c', attempt: 1, to: 'done', outcome: 'success', counted: true, seq: 901 }),
  line({ type: 'sprint-status', from: 'in-progress', to: 'completed', seq: 902 }),
].join('\\n') + '\\n');
const progress = join(dir, 'PROGRESS.yaml');
writeFileSync(progress, readFileSync(progress, 'utf8').replace(/^status: .*$/m, 'status: completed'));
`;

describe('forged history', () => {
  it('a task forges the log and PROGRESS.yaml, the runner is killed at once: status and resume keep the truth', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'forge.mjs'), FORGE);
    const marker = `sleep ${(Math.random() * 1000 + 100).toFixed(3)}`;
    const flag = join(cwd, 'forged.flag');
    const name = 'forged';
    const id = `2026-01-15_${name}`;
    const dir = join(cwd, id);
    const dirArg = JSON.stringify(dir);
    const dir0 = shellSprint(cwd, name, [
      {
        id: 'a',
        priority: 'high',
        // Forges once, then (on the rerun after resume) just succeeds.
        command: `test -f ${flag} || { ${process.execPath} ${join(cwd, 'forge.mjs')} ${dirArg} ${id} && touch ${flag} && echo forged-a && ${marker}; }`,
      },
      { id: 'b', command: `echo b > ${join(cwd, 'b.out')}`, dependsOn: ['a'] },
      { id: 'c', command: `echo c > ${join(cwd, 'c.out')}` },
    ]);
    expect(dir0).toBe(dir);
    const run = startCli(['run', dir], { cwd });
    await run.waitForOutput('forged-a');
    run.child.kill('SIGKILL');
    await run.done();

    const status = await runCli(['status', dir, '--json'], { cwd });
    expect(status.code, status.stderr).toBe(0);
    const report = JSON.parse(status.stdout);
    expect(report.status).toBe('in-progress');
    expect(report.tasks.map((t: { status: string }) => t.status)).toEqual([
      'running',
      'pending',
      'pending',
    ]);
    expect(report.tampering.map((t: { file: string }) => t.file).sort()).toEqual([
      'PROGRESS.yaml',
      'events.jsonl',
    ]);
    for (const t of report.tampering) expect(t.taskIds).toEqual(['a']);
    const human = await runCli(['status', dir], { cwd });
    expect(human.stdout).toMatch(
      /Tampering: +events\.jsonl written by someone else .* while a ran/,
    );

    const resumed = await runCli(['resume', dir], { cwd });
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(existsSync(join(cwd, 'b.out'))).toBe(true);
    expect(existsSync(join(cwd, 'c.out'))).toBe(true);
    await waitUntil(() => processesWith(marker).length === 0, 10_000, 'the orphan to be ended');
    const log = readFileSync(join(dir, 'events.jsonl'), 'utf8');
    expect(log).not.toContain('"seq":902');
    const kept = readdirSync(dir).filter((f) => f.includes('.foreign-'));
    expect(kept.some((f) => f.startsWith('events.jsonl.foreign-'))).toBe(true);
    expect(kept.some((f) => f.startsWith('PROGRESS.yaml.foreign-'))).toBe(true);
    const after = JSON.parse((await runCli(['status', dir, '--json'], { cwd })).stdout);
    expect(after.status).toBe('completed');
    expect(after.tampering).toHaveLength(2);
  });
});
