import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shellSprint, snapshotFiles, tempDir } from './helpers.js';
import { runMain as runCli } from './in-process.js';

/** Every `task-status` event the runner logged under `dir`. */
function taskStatusEvents(dir: string): Record<string, unknown>[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name === 'events.jsonl') found.push(p);
    }
  };
  walk(dir);
  return found
    .flatMap((f) => readFileSync(f, 'utf8').split('\n'))
    .filter((l) => l.includes('"task-status"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .map((e) => ((e.event as Record<string, unknown>) ?? e) as Record<string, unknown>);
}

describe('sprint skip / sprint retry', () => {
  it('skips a blocked task with who and why; its dependent runs on resume', async () => {
    const cwd = tempDir();
    const dir = shellSprint(
      cwd,
      'skippy',
      [
        { id: 'broken', command: 'exit 3' },
        { id: 'after', command: 'echo after-ran', dependsOn: ['broken'] },
      ],
      { agent: 'shell', retry: '{ max-attempts: 1 }' },
    );
    expect((await runCli(['run', dir], { cwd })).code).toBe(1);
    // Blocked: status says how to go on, as the run's summary does.
    const blocked = await runCli(['status', dir], { cwd });
    expect(blocked.stdout).toMatch(/Status: +blocked/);
    expect(blocked.stdout).toMatch(/Continue: +sprint resume /);

    // Bad requests: a clear message, exit 64, nothing changed on disk.
    const before = snapshotFiles(dir);
    const noReason = await runCli(['skip', dir, 'broken'], { cwd });
    expect(noReason.code).toBe(64);
    expect(noReason.stderr).toContain('--reason');
    const unknown = await runCli(['skip', dir, 'nope', '--reason', 'x'], { cwd });
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain('has no task "nope"');
    expect(unknown.stderr).toContain('broken, after');
    const pendingRetry = await runCli(['retry', dir, 'after'], { cwd });
    expect(pendingRetry.code).toBe(64);
    expect(pendingRetry.stderr).toContain('Cannot retry task after: it is pending');
    expect(pendingRetry.stderr).toContain('Fix: nothing to retry: sprint resume <sprint> runs it.');
    expect(snapshotFiles(dir)).toEqual(before);

    const skip = await runCli(['skip', dir, 'broken', '--reason', 'fixed by hand'], { cwd });
    expect(skip.code, skip.stderr).toBe(0);
    expect(skip.stdout).toContain('Task broken skipped (was blocked): fixed by hand.');
    // PROGRESS.yaml says so in the original's terms.
    const progress = readFileSync(join(dir, 'PROGRESS.yaml'), 'utf8');
    expect(progress).toMatch(/- id: broken[\s\S]*?status: skipped[\s\S]*?reason: fixed by hand/);
    const [event] = taskStatusEvents(cwd).filter((e) => e.to === 'skipped');
    expect(event).toMatchObject({ taskId: 'broken', from: 'blocked', reason: 'fixed by hand' });
    expect(String(event?.requestedBy)).toMatch(/ \(cli\)$/);

    const resumed = await runCli(['resume', dir], { cwd });
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    const status = JSON.parse((await runCli(['status', dir, '--json'], { cwd })).stdout);
    expect(status.status).toBe('completed');
    const byId = Object.fromEntries(
      (status.tasks as { id: string; status: string }[]).map((t) => [t.id, t.status]),
    );
    expect(byId).toEqual({ broken: 'skipped', after: 'done' });
    // The text says where the task that is not done went.
    const text = (await runCli(['status', dir], { cwd })).stdout;
    expect(text).toMatch(/Progress: .* 1\/2 done, 1 skipped\n/);
    expect(text).not.toContain('Continue:');
  });

  it('retries a blocked task: pending again, and it runs on resume', async () => {
    const cwd = tempDir();
    const dir = shellSprint(cwd, 'retryable', [{ id: 'flaky', command: `test -f ${cwd}/ok` }], {
      agent: 'shell',
      retry: '{ max-attempts: 1 }',
    });
    expect((await runCli(['run', dir], { cwd })).code).toBe(1);
    writeFileSync(join(cwd, 'ok'), '');
    const retry = await runCli(['retry', dir, 'flaky', '--json'], { cwd });
    expect(retry.code, retry.stderr).toBe(0);
    expect(JSON.parse(retry.stdout)).toMatchObject({
      taskId: 'flaky',
      from: 'blocked',
      to: 'pending',
    });
    const resumed = await runCli(['resume', dir], { cwd });
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    const status = JSON.parse((await runCli(['status', dir, '--json'], { cwd })).stdout);
    expect(status.status).toBe('completed');
  });
});
