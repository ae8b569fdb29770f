import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CLI,
  copy,
  EXAMPLES,
  FIXTURES,
  shellSprint,
  snapshotFiles,
  runCli as spawnCli,
  tempDir,
} from './helpers.js';
// Commands that need no process of their own run through main(argv, io) here;
// the runs under test are spawned (startCli / spawnCli).
import { runMain as runCli } from './in-process.js';

describe('sprint run', () => {
  it('runs the demo sprint to completion with plain timestamped lines when not a TTY', async () => {
    const cwd = tempDir();
    const dir = copy(join(EXAMPLES, 'demo-sprint'), join(cwd, 'demo'));
    const r = await spawnCli(['run', dir], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => /^\d{4}-\d{2}-\d{2}T/.test(l));
    expect(lines.length).toBeGreaterThanOrEqual(10);
    for (const l of lines) expect(l).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z \S/);
    expect(r.stdout).toContain('custom-changelog started (attempt 1, agent noop)');
    expect(r.stdout).toContain('run ended: completed');
    expect(r.stdout).toContain('4/4 tasks done');
    expect(r.stdout).not.toContain('\u001b[');
    // Order: dependencies before dependents.
    const started = [...r.stdout.matchAll(/ (\S+) started \(attempt/g)].map((m) => m[1]);
    expect(started.indexOf('implement-issue-12')).toBeLessThan(
      started.indexOf('refactor-session-store'),
    );
    expect(started.indexOf('refactor-session-store')).toBeLessThan(
      started.indexOf('update-docs-readme'),
    );
    const progress = readFileSync(join(dir, 'PROGRESS.yaml'), 'utf8');
    expect(progress).toMatch(/^status: completed$/m);
    expect(progress).toMatch(/^queue: \[\]$/m);
  });

  it('--json prints exactly one JSON document (the RunResult) on stdout', async () => {
    const cwd = tempDir();
    const dir = copy(join(EXAMPLES, 'demo-sprint'), join(cwd, 'demo'));
    const r = await runCli(['run', dir, '--json'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({
      success: true,
      status: 'completed',
      stopReason: { kind: 'completed' },
      stepsCompleted: 4,
      stepsTotal: 4,
      iterations: 4,
    });
    expect(result.agentResults).toHaveLength(4);
    // The progress went to stderr.
    expect(r.stderr).toContain('run ended: completed');
  });

  it('runs a sprint written exactly as the original plugin templates to completion', async () => {
    const cwd = tempDir();
    const dir = copy(
      join(FIXTURES, 'plugin-sprint'),
      join(cwd, '.claude/sprints/2026-01-15_plugin-sprint'),
    );
    const v = await runCli(['validate'], { cwd });
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toContain('5 tasks (1 done)');
    const dry = await runCli(['run', '--dry-run'], { cwd });
    expect(dry.stdout).toContain('- Total tasks: 4');
    const r = await runCli(['run', '--agent', 'noop'], { cwd });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toContain('Using sprint .claude/sprints/2026-01-15_plugin-sprint');
    expect(r.stdout).toContain('5/5 tasks done');
    const progress = readFileSync(join(dir, 'PROGRESS.yaml'), 'utf8');
    expect(progress).toMatch(/^status: completed$/m);
    expect(progress).toMatch(/^queue: \[\]$/m);
    expect(progress).toContain('tasks-completed: 5');
    // The original fields are kept, the earlier completed entry included.
    expect(progress).toContain('issue-number: 42');
    expect(progress).toContain('done-when:');
    expect(progress).toContain('Added .github/workflows/test.yml running npm test');
    const sprintYaml = readFileSync(join(dir, 'SPRINT.yaml'), 'utf8');
    expect(sprintYaml).toBe(readFileSync(join(FIXTURES, 'plugin-sprint/SPRINT.yaml'), 'utf8'));
  });

  it('loads a plugin sprint directory with PROGRESS.yaml alone (named by its sprint-id) in status, list and validate, and ends it completed when its queue is empty', async () => {
    for (const command of ['run', 'resume'] as const) {
      const cwd = tempDir();
      const dir = copy(
        join(FIXTURES, 'plugin-progress-only'),
        join(cwd, '.claude/sprints/2026-01-20_only-progress'),
      );
      const status = await runCli(['status', dir, '--json'], { cwd });
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({
        name: '2026-01-20_plugin-only',
        status: 'in-progress',
      });
      const list = await runCli(['list', '--json'], { cwd });
      expect(list.code, list.stderr).toBe(0);
      expect(JSON.parse(list.stdout)).toEqual([
        expect.objectContaining({ id: '2026-01-20_only-progress', status: 'in-progress' }),
      ]);
      const v = await runCli(['validate', dir], { cwd });
      expect(v.code, v.stderr).toBe(0);
      expect(v.stdout).toContain('2 tasks (2 done)');

      // No task is left, so no agent CLI is needed (the default agent is claude).
      const r = await spawnCli([command, dir], { cwd, env: { PATH: process.env.PATH } });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('in-progress -> completed');
      const progress = readFileSync(join(dir, 'PROGRESS.yaml'), 'utf8');
      expect(progress).toMatch(/^sprint-id: 2026-01-20_plugin-only$/m);
      expect(progress).toMatch(/^status: completed$/m);
      expect(progress).toContain('Added .github/workflows/test.yml running npm test');
      // Nothing invents a SPRINT.yaml for it.
      expect(existsSync(join(dir, 'SPRINT.yaml'))).toBe(false);
      const after = await runCli(['status', dir, '--json'], { cwd });
      expect(JSON.parse(after.stdout)).toMatchObject({ status: 'completed' });
    }
  });

  it("enforces init's config.max-tasks (tasks started per run) and time-box (no task starts after it), as limits: exit 1, paused, recorded, resumable", async () => {
    const cwd = tempDir();
    const tasks = ['a', 'b', 'c'].map((id) => ({ id, command: 'true' }));
    const dir = shellSprint(cwd, 'capped', tasks, { agent: 'shell', 'max-tasks': 2 });
    const r = await spawnCli(['run', dir, '--json'], { cwd });
    expect(r.code, r.stderr).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({
      status: 'paused',
      stopReason: { kind: 'limit', limit: 'max-tasks' },
    });
    expect(r.stderr).toContain('max tasks reached (2 tasks started in this run)');
    const events = readFileSync(join(dir, 'events.jsonl'), 'utf8');
    expect(events).toMatch(/"type":"limit-reached","limit":"max-tasks"/);
    const status = await runCli(['status', dir, '--json'], { cwd });
    expect(JSON.parse(status.stdout)).toMatchObject({ status: 'paused' });
    // The next run may start two more: the last one runs and the sprint completes.
    const again = await spawnCli(['resume', dir], { cwd });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('3/3 tasks done');

    const boxed = shellSprint(
      cwd,
      'boxed',
      [
        // Outlasts the one-second box: the task itself finishes, nothing starts after it.
        { id: 'slow', command: 'sleep 2' },
        { id: 'next', command: 'true', dependsOn: ['slow'] },
      ],
      { agent: 'shell', 'time-box': '1s' },
    );
    const t = await spawnCli(['run', boxed, '--json'], { cwd });
    expect(t.code, t.stderr).toBe(1);
    expect(JSON.parse(t.stdout)).toMatchObject({
      status: 'paused',
      stopReason: { kind: 'limit', limit: 'time-box' },
    });
    expect(t.stderr).toContain('time box reached (1s since this run started)');
    const after = await runCli(['status', boxed, '--json'], { cwd });
    expect(JSON.stringify(JSON.parse(after.stdout))).toContain('time box reached');
  });

  it('enforces the max-tasks that init wrote in a sprint whose SPRINT.yaml was never edited: 12 tasks, paused after 10, exit 1', async () => {
    const cwd = tempDir();
    expect((await runCli(['init', 'limits'], { cwd })).code).toBe(0);
    for (let i = 1; i <= 12; i++) {
      const add = await runCli(['add', 'lint', '--id', `t${i}`, '--command', 'true'], { cwd });
      expect(add.code, add.stderr).toBe(0);
    }
    const r = await spawnCli(['run', '--agent', 'noop', '--json'], { cwd });
    expect(r.code, r.stderr).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({
      status: 'paused',
      stopReason: { kind: 'limit', limit: 'max-tasks' },
    });
    expect(r.stderr).toContain('max tasks reached (10 tasks started in this run)');
    const [id] = readdirSync(join(cwd, '.claude/sprints'));
    const events = readFileSync(join(cwd, '.claude/sprints', id!, 'events.jsonl'), 'utf8');
    expect(events).toMatch(/"type":"limit-reached","limit":"max-tasks"/);
  });

  it('runs a Markdown sprint document to completion and ticks its boxes', async () => {
    const cwd = tempDir();
    const doc = copy(
      join(FIXTURES, 'sprint-08_core-sprint-runner.md'),
      join(cwd, 'sprint-08_core-sprint-runner.md'),
    );
    const dry = await runCli(['run', doc, '--dry-run'], { cwd });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('Sprint: Core Sprint Runner');
    const r = await runCli(['run', doc, '--agent', 'noop'], { cwd });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const text = readFileSync(doc, 'utf8');
    const tasks = text.slice(text.indexOf('## Tasks'), text.indexOf('## Deliverables'));
    expect(tasks).not.toContain('- [ ]');
    expect(tasks.match(/- \[x\]/g)?.length).toBe(8);
    const status = await runCli(['status', doc, '--json'], { cwd });
    expect(JSON.parse(status.stdout)).toMatchObject({ status: 'completed' });
  });

  it('exits 1 when a task fails and blocks the sprint', async () => {
    const cwd = tempDir();
    const dir = shellSprint(cwd, 'failing', [{ id: 'broken', command: 'echo oops >&2; exit 3' }], {
      agent: 'shell',
      retry: '{ max-attempts: 1 }',
    });
    const r = await runCli(['run', dir], { cwd });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toContain('blocked');
    const status = await runCli(['status', dir], { cwd });
    expect(status.stdout).toContain('Blocked:');
    expect(status.stdout).toContain('broken');
    expect(status.stdout).toContain('exited with code 3');
  });

  it('exits 1 when --max-iterations is reached, and resume carries on', async () => {
    const cwd = tempDir();
    const dir = shellSprint(cwd, 'limited', [
      { id: 'one', command: 'true' },
      { id: 'two', command: 'true' },
    ]);
    const r = await runCli(['run', dir, '--max-iterations', '1', '--json'], { cwd });
    expect(r.code, r.stderr).toBe(1);
    const result = JSON.parse(r.stdout);
    expect(result.stopReason).toMatchObject({ kind: 'limit', limit: 'max-iterations' });
    expect(result.stepsCompleted).toBe(1);
    const resumed = await runCli(['resume', dir], { cwd });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('2/2 tasks done');
  });

  it('exits 65 for invalid sprint data and changes no file', async () => {
    const cwd = tempDir();
    const dir = shellSprint(cwd, 'cyclic', [
      { id: 'a', command: 'true', dependsOn: ['b'] },
      { id: 'b', command: 'true', dependsOn: ['a'] },
    ]);
    const before = snapshotFiles(cwd);
    const r = await runCli(['run', dir], { cwd });
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/cycle/i);
    expect(snapshotFiles(cwd)).toEqual(before);
  });

  it('exits 65 for an unknown agent in the sprint configuration', async () => {
    const cwd = tempDir();
    const dir = shellSprint(cwd, 'unknown-agent', [{ id: 'a', command: 'true' }], {
      agent: 'gpt-9',
    });
    const before = snapshotFiles(cwd);
    const r = await runCli(['run', dir], { cwd });
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('gpt-9');
    expect(snapshotFiles(cwd)).toEqual(before);
  });

  it('--agent overrides the configuration for every task', async () => {
    const cwd = tempDir();
    const dir = shellSprint(cwd, 'override', [{ id: 'a', command: 'exit 9' }], {
      agent: 'shell',
    });
    const r = await runCli(['run', dir, '--agent', 'noop'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('agent noop');
  });

  it('--concurrency runs independent tasks at the same time', async () => {
    const cwd = tempDir();
    const dir = shellSprint(cwd, 'parallel', [
      { id: 'left', command: 'sleep 0.8' },
      { id: 'right', command: 'sleep 0.8' },
    ]);
    const r = await runCli(['run', dir, '--concurrency', '2'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    const firstDone = lines.findIndex((l) => / (left|right) done /.test(l));
    const starts = lines
      .map((l, i) => (/ (left|right) started /.test(l) ? i : -1))
      .filter((i) => i >= 0);
    expect(starts).toHaveLength(2);
    expect(Math.max(...starts)).toBeLessThan(firstDone);
  });

  it('logs prints the event log after a run', async () => {
    const cwd = tempDir();
    const dir = shellSprint(cwd, 'logged', [
      { id: 'talk', command: 'echo line-one; echo line-two' },
    ]);
    expect((await runCli(['run', dir], { cwd })).code).toBe(0);
    const logs = await runCli(['logs', dir], { cwd });
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain('talk stdout: line-one');
    expect(logs.stdout).toContain('run ended: completed');
    const json = await runCli(['logs', dir, '--json'], { cwd });
    const events = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events[0].type).toBe('run-started');
    expect(events.at(-1).type).toBe('run-ended');
  });

  it('`sprint logs | head -1` ends quietly: no EPIPE stack trace, exit 141 like any Unix tool', async () => {
    const cwd = tempDir();
    const dir = shellSprint(cwd, 'long-log', [{ id: 'many', command: 'seq 1 3000' }]);
    expect((await runCli(['run', dir], { cwd })).code).toBe(0);
    for (const extra of [[], ['--json']]) {
      const r = await new Promise<{ out: string; err: string; codes: string }>((done) => {
        const child = spawn(
          'bash',
          [
            '-c',
            `set -o pipefail; "${process.execPath}" "${CLI}" logs "${dir}" ${extra.join(' ')} | head -1; echo "codes \${PIPESTATUS[*]}" >&2`,
          ],
          { cwd, env: { ...process.env, NO_COLOR: '1' } },
        );
        let out = '';
        let err = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          out += d;
        });
        child.stderr.setEncoding('utf8').on('data', (d: string) => {
          err += d;
        });
        child.on('close', () => done({ out, err, codes: err.match(/codes (.*)/)?.[1] ?? '' }));
      });
      expect(r.out.split('\n').filter(Boolean)).toHaveLength(1);
      expect(r.err).not.toMatch(/EPIPE|Error|at /);
      expect(r.codes).toBe('141 0');
    }
  });

  it('hands a slower reader every byte: `status --json | wc -c` and `run --dry-run | wc -c` are the whole output', async () => {
    const cwd = tempDir();
    // Far more than a pipe holds (64 KiB): the reader is still reading when the command is done.
    const tasks = Array.from({ length: 1500 }, (_, i) => ({ id: `t${i}`, command: 'true' }));
    const dir = shellSprint(cwd, 'wide', tasks);
    for (const args of [
      ['status', dir, '--json'],
      ['run', dir, '--dry-run'],
    ]) {
      const whole = await runCli(args, { cwd });
      expect(whole.code).toBe(0);
      expect(Buffer.byteLength(whole.stdout)).toBeGreaterThan(64 * 1024);
      const piped = execFileSync(
        'bash',
        [
          '-c',
          `set -o pipefail; "${process.execPath}" "${CLI}" ${args.map((a) => `'${a}'`).join(' ')} | wc -c`,
        ],
        { cwd, env: { ...process.env, NO_COLOR: '1' }, encoding: 'utf8' },
      );
      expect(Number(piped.trim())).toBe(Buffer.byteLength(whole.stdout));
    }
  });

  it('writes a run with a time limit per task (--task-timeout) and stops at it', async () => {
    const cwd = tempDir();
    const late = join(cwd, 'after-slow.txt');
    const dir = shellSprint(cwd, 'slow', [
      { id: 'slow', command: `sleep 20; echo late > '${late}'` },
    ]);
    const r = await runCli(['run', dir, '--task-timeout', '1s', '--json'], { cwd });
    expect(r.code, r.stderr).toBe(1);
    expect(JSON.parse(r.stdout).stopReason).toMatchObject({ kind: 'limit', limit: 'task-timeout' });
    expect(existsSync(late)).toBe(false); // the shell did not go on past its ended sleep
  });
});

describe('bad input leaves files alone', () => {
  it('a PROGRESS.yaml with a bad priority exits 65 with file, line and fix', async () => {
    const cwd = tempDir();
    const dir = copy(join(EXAMPLES, 'demo-sprint'), join(cwd, 'demo'));
    const file = join(dir, 'PROGRESS.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('priority: high', 'priority: asap'));
    const before = snapshotFiles(cwd);
    const r = await runCli(['run', dir], { cwd });
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/PROGRESS\.yaml:\d+/);
    expect(r.stderr).toContain('asap');
    expect(snapshotFiles(cwd)).toEqual(before);
  });
});
