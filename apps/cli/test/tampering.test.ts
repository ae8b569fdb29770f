import {
  appendFileSync,
  cpSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  processesWith,
  runCli,
  shellSprint,
  snapshotFiles,
  startCli,
  tempDir,
  waitUntil,
} from './helpers.js';

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
// Written until it stays: a write that lands on the file the runner is just replacing (its
// checkpoint renames a new one over it) is gone with it, and a forger tries again.
for (let i = 0; i < 100; i++) {
  const forged = readFileSync(progress, 'utf8').replace(/^status: .*$/m, 'status: completed');
  writeFileSync(progress, forged);
  if (readFileSync(progress, 'utf8') === forged) break;
}
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
    const found = report.tampering.map((t: { file: string }) => t.file).sort();
    // The forged PROGRESS.yaml is found and kept aside; or it landed on the file a checkpoint
    // was just replacing (a window of milliseconds, in the README) and is gone with it: never
    // believed either way.
    const progressForged = found.includes('PROGRESS.yaml');
    expect(found).toEqual(progressForged ? ['PROGRESS.yaml', 'events.jsonl'] : ['events.jsonl']);
    if (!progressForged)
      expect(readFileSync(join(dir, 'PROGRESS.yaml'), 'utf8')).toMatch(/^status: in-progress$/m);
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
    expect(kept.some((f) => f.startsWith('PROGRESS.yaml.foreign-'))).toBe(progressForged);
    const after = JSON.parse((await runCli(['status', dir, '--json'], { cwd })).stdout);
    expect(after.status).toBe('completed');
    expect(after.tampering).toHaveLength(progressForged ? 2 : 1);
  });
});

describe('tampering found outside a run', () => {
  const closing: (() => void)[] = [];
  afterEach(() => {
    for (const close of closing.splice(0)) close();
  });

  it('sends the tamper notification of config.notify once per finding, not on every status or resume', async () => {
    const received: { event: string; reason?: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.end('ok');
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    closing.push(() => server.close());
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;

    const cwd = tempDir();
    const dir = shellSprint(cwd, 'watched', [
      { id: 'a', command: 'true' },
      { id: 'b', command: 'true', dependsOn: ['a'] },
    ]);
    writeFileSync(
      join(dir, 'SPRINT.yaml'),
      `${readFileSync(join(dir, 'SPRINT.yaml'), 'utf8')}  max-tasks: 1\n  notify:\n    - webhook: ${url}\n      events: tamper\n`,
    );
    const first = await runCli(['run', dir], { cwd });
    expect(first.code, first.stderr).toBe(1); // max-tasks: one task, then paused
    expect(received).toEqual([]);

    // Someone appends a forged line while no run is under way.
    const at = new Date().toISOString();
    appendFileSync(
      join(dir, 'events.jsonl'),
      `${JSON.stringify({ type: 'sprint-status', from: 'paused', to: 'completed', seq: 900, at, sprintId: '2026-01-15_watched' })}\n`,
    );
    for (let i = 0; i < 3; i++) {
      const status = await runCli(['status', dir, '--json'], { cwd });
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout).tampering).toHaveLength(1);
    }
    await waitUntil(() => received.length >= 1, 30_000, 'the tamper notification');
    const resumed = await runCli(['resume', dir], { cwd });
    expect(resumed.code, resumed.stderr).toBe(0);
    const after = await runCli(['status', dir, '--json'], { cwd });
    expect(JSON.parse(after.stdout).status).toBe('completed');
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ event: 'tamper' });
    expect(received[0]?.reason).toContain('events.jsonl');
  });
});

describe('a log the runner no longer has', () => {
  /** A sprint of two shell tasks run up to its first (max-tasks: 1): paused, a done. */
  async function pausedSprint(name: string) {
    const cwd = tempDir();
    // Keys and the runner's records of this test's sprints in a home of their own.
    const env = { SPRINT_STATE_HOME: tempDir() };
    const dir = shellSprint(
      cwd,
      name,
      [
        { id: 'a', command: 'true' },
        { id: 'b', command: `echo b > ${join(cwd, 'b.out')}`, dependsOn: ['a'] },
      ],
      { agent: 'shell', 'max-tasks': 1 },
    );
    const original = readFileSync(join(dir, 'PROGRESS.yaml'), 'utf8');
    const first = await runCli(['run', dir], { cwd, env });
    expect(first.code, first.stderr).toBe(1); // max-tasks: a, then paused
    return { cwd, env, dir, original };
  }

  const statusOf = async (dir: string, cwd: string, env: NodeJS.ProcessEnv) => {
    const r = await runCli(['status', dir, '--json'], { cwd, env });
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  };

  it('rm events.jsonl state.json and a PROGRESS.yaml that says completed: status reports tampering, not completed; resume refuses (65) naming the fix, changing nothing', async () => {
    const { cwd, env, dir } = await pausedSprint('gone');
    // Nothing of the runner's is left in the sprint (its .gitignore included).
    for (const f of ['events.jsonl', 'state.json', 'result.json', '.gitignore'])
      rmSync(join(dir, f));
    const progress = join(dir, 'PROGRESS.yaml');
    writeFileSync(
      progress,
      readFileSync(progress, 'utf8').replace(/^status: paused$/m, 'status: completed'),
    );
    const report = await statusOf(dir, cwd, env);
    expect(report.status).toBe('paused');
    expect(report.tampering).toHaveLength(1);
    expect(report.tampering[0]).toMatchObject({ file: 'events.jsonl' });
    expect(report.logLost).toContain('the log is gone');
    const human = await runCli(['status', dir], { cwd, env });
    expect(human.stdout).toMatch(/Status: +paused - held: .*sprint resume \S+ --trust-files/);
    expect(human.stdout).toMatch(/Tampering: +events\.jsonl .*the log is gone.*--trust-files/);

    const before = snapshotFiles(dir);
    const resumed = await runCli(['resume', dir], { cwd, env });
    expect(resumed.code, resumed.stderr).toBe(65);
    expect(resumed.stderr).toContain('is held: the log is gone');
    expect(resumed.stderr).toContain('Fix: ');
    expect(resumed.stderr).toContain('sprint resume <sprint> --trust-files');
    expect(existsSync(join(cwd, 'b.out'))).toBe(false);
    const add = await runCli(['add', dir, 'custom', '--description', 'c', '--done-when', 'ok'], {
      cwd,
      env,
    });
    expect(add.code, add.stderr).toBe(65);
    expect(snapshotFiles(dir)).toEqual(before);
  });

  it('runtime files removed on purpose to start over: run refuses until --trust-files, then runs from PROGRESS.yaml', async () => {
    const { cwd, env, dir, original } = await pausedSprint('over');
    for (const f of ['events.jsonl', 'state.json', 'result.json']) rmSync(join(dir, f));
    writeFileSync(join(dir, 'PROGRESS.yaml'), original);
    const refused = await runCli(['run', dir], { cwd, env });
    expect(refused.code).toBe(65);
    const run = await runCli(['run', dir, '--trust-files'], { cwd, env });
    expect(run.code, run.stderr).toBe(1); // max-tasks: a again, then paused
    const rest = await runCli(['resume', dir], { cwd, env });
    expect(rest.code, rest.stderr).toBe(0);
    expect(existsSync(join(cwd, 'b.out'))).toBe(true);
    const report = await statusOf(dir, cwd, env);
    expect(report.status).toBe('completed');
    expect(report.tampering).toHaveLength(1);
    expect(report.tampering[0].detail).toMatch(/gone.*trusted as they are, as asked/);
  });

  it("a log replaced by another sprint's (another key): not believed, not completed, resume refuses", async () => {
    const { cwd, env, dir } = await pausedSprint('replaced');
    const other = shellSprint(cwd, 'other', [{ id: 'x', command: 'true' }]);
    const done = await runCli(['run', other], { cwd, env });
    expect(done.code, done.stderr).toBe(0);
    cpSync(join(other, 'events.jsonl'), join(dir, 'events.jsonl'));
    rmSync(join(dir, 'state.json'));
    const report = await statusOf(dir, cwd, env);
    expect(report.status).toBe('paused');
    expect(report.tampering[0].detail).toContain('replaced by one with another key');
    const resumed = await runCli(['resume', dir], { cwd, env });
    expect(resumed.code).toBe(65);
    expect(existsSync(join(cwd, 'b.out'))).toBe(false);
  });

  it('no alarm for a copy at another path, a missing keys folder, or sprint clean', async () => {
    const { cwd, env, dir } = await pausedSprint('copied');
    const elsewhere = join(tempDir(), basename(dir));
    cpSync(dir, elsewhere, { recursive: true });
    expect((await statusOf(elsewhere, cwd, env)).tampering).toBeUndefined();
    const copy = await runCli(['resume', elsewhere], { cwd, env });
    expect(copy.code, copy.stderr).toBe(0);
    expect((await runCli(['clean', dir], { cwd, env })).code).toBe(0);
    expect((await statusOf(dir, cwd, env)).tampering).toBeUndefined();
    // The keys are gone (a new home, a wiped state folder): the log cannot be checked, but
    // nothing the runner recorded says it was replaced.
    rmSync(join(env.SPRINT_STATE_HOME, 'keys'), { recursive: true });
    const resumed = await runCli(['resume', dir], { cwd, env });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).not.toContain('--trust-files');
  });

  it('no alarm for sprint init where a removed sprint was', async () => {
    const cwd = tempDir();
    const env = { SPRINT_STATE_HOME: tempDir() };
    const setUp = async () => {
      expect((await runCli(['init', 'again'], { cwd, env })).code).toBe(0);
      const add = await runCli(['add', 'custom', '--description', 'One', '--done-when', 'ok'], {
        cwd,
        env,
      });
      expect(add.code, add.stderr).toBe(0);
      const [id] = readdirSync(join(cwd, '.claude/sprints'));
      return join(cwd, '.claude/sprints', id!);
    };
    const dir = await setUp();
    expect((await runCli(['run', '--agent', 'noop'], { cwd, env })).code).toBe(0);
    rmSync(dir, { recursive: true });
    expect(await setUp()).toBe(dir);
    expect((await statusOf(dir, cwd, env)).tampering).toBeUndefined();
    const run = await runCli(['run', '--agent', 'noop'], { cwd, env });
    expect(run.code, run.stderr).toBe(0);
  });
});
