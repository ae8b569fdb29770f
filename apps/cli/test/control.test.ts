import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  processAlive,
  processesWith,
  shellSprint,
  startCli,
  tempDir,
  waitUntil,
} from './helpers.js';
// Commands that need no process of their own run through main(argv, io) here;
// the runs under test are spawned (startCli / spawnCli).
import { runMain as runCli } from './in-process.js';

/** A task command that runs until the test creates the file `release` in `dir`. */
const waitForRelease = (dir: string) => `while [ ! -f '${dir}/release' ]; do sleep 0.05; done`;

/**
 * A slow first task whose command line is unique to this test, so we can look
 * for leftovers. After its sleep it appends a line to `late`: a stopped task
 * must not get that far. It ignores SIGPIPE, as agents do, so a runner killed
 * with -9 (its output pipes closed) does not end it when it reports the sleep's end.
 */
function slowSprint(cwd: string, name: string) {
  const marker = `${(Math.random() * 1000 + 100).toFixed(3)}`;
  const late = join(cwd, 'after-slow.txt');
  const dir = shellSprint(cwd, name, [
    {
      id: 'slow',
      command: `trap '' PIPE; echo started-slow; sleep ${marker}; echo after-slow >> '${late}'`,
      priority: 'high',
    },
    { id: 'quick', command: 'echo quick-done', dependsOn: ['slow'] },
  ]);
  return { dir, marker: `sleep ${marker}`, late };
}

async function statusJson(cwd: string, dir: string) {
  const r = await runCli(['status', dir, '--json'], { cwd });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

function taskStatus(report: { tasks: { id: string; status: string }[] }, id: string) {
  return report.tasks.find((t) => t.id === id)?.status;
}

describe('control from a second process', () => {
  it('stop ends the running agent within a second; resume runs the sprint to completion', async () => {
    const cwd = tempDir();
    const { dir, marker, late } = slowSprint(cwd, 'stoppable');
    const run = startCli(['run', dir], { cwd });
    await run.waitForOutput('started-slow');
    expect(processesWith(marker).length).toBeGreaterThan(0);

    const during = await statusJson(cwd, dir);
    expect(during).toMatchObject({ status: 'in-progress', running: true });
    expect(during.current[0]).toMatchObject({ id: 'slow', agent: 'shell' });

    // One runner per sprint: a second run is refused (exit 75, try later) and changes nothing.
    const second = await runCli(['run', dir], { cwd });
    expect(second.code).toBe(75);
    expect(second.stderr).toContain('is already running');

    const t0 = Date.now();
    const stop = await runCli(['stop', dir], { cwd });
    expect(stop.code, stop.stderr).toBe(0);
    const ran = await run.done();
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(ran.code).toBe(0);
    // The runner reacted within a second of the request.
    const at = (pattern: RegExp) =>
      Date.parse(
        ran.stdout
          .split('\n')
          .find((l) => pattern.test(l))
          ?.slice(0, 24) ?? '',
      );
    expect(at(/ run ended: /) - at(/ stop requested by /)).toBeLessThan(1000);
    expect(stop.stdout).toContain('stopped: now paused');
    expect(processesWith(marker)).toEqual([]);
    expect(existsSync(late)).toBe(false); // the task's shell did not go on past its sleep
    const after = await statusJson(cwd, dir);
    expect(after.status).toBe('paused');
    expect(taskStatus(after, 'slow')).toBe('pending');

    // Make the slow task quick, then resume to the end.
    const { writeFileSync } = await import('node:fs');
    const progress = join(dir, 'PROGRESS.yaml');
    writeFileSync(progress, readFileSync(progress, 'utf8').replaceAll(marker, 'sleep 0'));
    const resumed = await runCli(['resume', dir], { cwd });
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('2/2 tasks done');
    expect((await statusJson(cwd, dir)).status).toBe('completed');
  });

  it('pause lets the running task finish, then the run ends paused (exit 0)', async () => {
    const cwd = tempDir();
    const dir = shellSprint(cwd, 'pausable', [
      // Runs until the test lets it end: the pause surely arrives while it runs, however slow the machine.
      { id: 'first', command: `echo started-first; ${waitForRelease(cwd)}`, priority: 'high' },
      { id: 'second', command: 'true', dependsOn: ['first'] },
    ]);
    const run = startCli(['run', dir], { cwd });
    await run.waitForOutput('started-first');
    const pause = await runCli(['pause', dir], { cwd });
    expect(pause.code, pause.stderr).toBe(0);
    expect(pause.stdout).toContain('Pause requested');
    // The runner has taken the request (its log says so) before the task may end.
    await run.waitForOutput('pause requested');
    writeFileSync(join(cwd, 'release'), '');
    const ran = await run.done();
    expect(ran.code).toBe(0);
    const after = await statusJson(cwd, dir);
    expect(after.status).toBe('paused');
    expect(taskStatus(after, 'first')).toBe('done');
    expect(taskStatus(after, 'second')).toBe('pending');
    // The status says who paused it and how to go on.
    expect(after.reason).toMatch(/^paused at the request of \S+ \(cli\)$/);
    expect(after.next).toBe(`sprint resume ${basename(dir)}`);
    const text = await runCli(['status', dir], { cwd });
    expect(text.stdout).toMatch(/^Stopped: +paused at the request of \S+ \(cli\)$/m);
    expect(text.stdout).toContain(`Continue:   sprint resume ${basename(dir)}\n`);
    // Pausing a paused sprint says so.
    const again = await runCli(['pause', dir], { cwd });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to pause');
  });

  it('a task with pause-after pauses the run; status (text and --json) says after which task and how to go on', async () => {
    const cwd = tempDir();
    const dir = shellSprint(cwd, 'planned-break', [
      { id: 'review', command: 'true', pauseAfter: true },
      { id: 'after', command: 'true', dependsOn: ['review'] },
    ]);
    const ran = await runCli(['run', dir], { cwd });
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toContain('paused - paused after task review (pause-after)');
    const after = await statusJson(cwd, dir);
    expect(after).toMatchObject({
      status: 'paused',
      reason: 'paused after task review (pause-after)',
      stopReason: { kind: 'paused', taskId: 'review' },
      next: `sprint resume ${basename(dir)}`,
    });
    expect(after.tasks.find((t: { id: string }) => t.id === 'review').pauseAfter).toBe(true);
    const text = await runCli(['status', dir], { cwd });
    expect(text.stdout).toMatch(/^Stopped: +paused after task review \(pause-after\)$/m);
    expect(text.stdout).toContain(`Continue:   sprint resume ${basename(dir)}\n`);
    // Going on clears it.
    expect((await runCli(['resume', dir], { cwd })).code).toBe(0);
    const done = await statusJson(cwd, dir);
    expect(done.status).toBe('completed');
    expect(done.next).toBeUndefined();
  });

  it('cancel ends the run for good with the reason (exit 1 for the run)', async () => {
    const cwd = tempDir();
    const { dir, marker, late } = slowSprint(cwd, 'cancellable');
    const run = startCli(['run', dir], { cwd });
    await run.waitForOutput('started-slow');
    const cancel = await runCli(['cancel', dir, '--reason', 'scope changed'], { cwd });
    expect(cancel.code, cancel.stderr).toBe(0);
    const ran = await run.done();
    expect(ran.code).toBe(1);
    expect(processesWith(marker)).toEqual([]);
    expect(existsSync(late)).toBe(false);
    const after = await statusJson(cwd, dir);
    expect(after.status).toBe('cancelled');
    expect(after.stopReason).toMatchObject({ kind: 'cancelled', reason: 'scope changed' });
    const rerun = await runCli(['run', dir], { cwd });
    expect(rerun.code).toBe(64);
    expect(rerun.stderr).toContain('already cancelled');
  });

  it('a sprint another live run holds: run, resume, add, import and run --detach exit 75 naming the holder', async () => {
    const cwd = tempDir();
    const { dir } = slowSprint(cwd, 'locked');
    const run = startCli(['run', dir], { cwd });
    await run.waitForOutput('started-slow');
    const holder = run.child.pid;
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      join(cwd, 'tasks.yaml'),
      '- id: custom-more\n  type: custom\n  description: d\n  done-when: w\n',
    );
    for (const args of [
      ['run', dir],
      ['resume', dir],
      ['add', dir, 'custom', '--description', 'd', '--done-when', 'w'],
      ['import', dir, 'tasks.yaml'],
      ['run', dir, '--detach'],
    ]) {
      const r = await runCli(args, { cwd, timeoutMs: 15_000 });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(75);
      expect(r.stderr).toContain(`is already running (pid ${holder} on`);
    }
    // --detach checked the lock first: no background run was started to die.
    expect(existsSync(join(dir, 'run.log'))).toBe(false);
    const stop = await runCli(['stop', dir], { cwd });
    expect(stop.code, stop.stderr).toBe(0);
    expect((await run.done()).code).toBe(0);
  });

  it('cancel needs a reason that is not blank (exit 64)', async () => {
    const cwd = tempDir();
    const { dir } = slowSprint(cwd, 'blank-reason');
    for (const reason of ['', '   ']) {
      const r = await runCli(['cancel', dir, '--reason', reason], { cwd });
      expect(r.code).toBe(64);
      expect(r.stderr).toContain('A reason is required');
      expect(r.stderr).toContain('Usage: sprint cancel');
    }
    expect((await statusJson(cwd, dir)).status).toBe('not-started');
  });

  it('cancel needs --reason (exit 64)', async () => {
    const cwd = tempDir();
    const { dir } = slowSprint(cwd, 'reasonless');
    const r = await runCli(['cancel', dir], { cwd });
    expect(r.code).toBe(64);
    expect(r.stderr).toContain("required option '--reason <text>' not specified");
    expect(r.stderr).toContain('Usage: sprint cancel');
  });

  it('--detach runs in the background; status --json sees it; stop ends it', async () => {
    const cwd = tempDir();
    const { dir, marker } = slowSprint(cwd, 'detached');
    // The user's FORCE_COLOR (beside the tests' NO_COLOR) colours neither the log file nor
    // provokes Node's warning that NO_COLOR is ignored, here or in the background run.
    const detach = await runCli(['run', dir, '--detach'], {
      cwd,
      timeoutMs: 15_000,
      env: { FORCE_COLOR: '1' },
    });
    expect(detach.code, detach.stderr).toBe(0);
    expect(detach.stderr).not.toContain('NO_COLOR');
    const pid = Number(/pid (\d+)/.exec(detach.stdout)?.[1]);
    expect(pid).toBeGreaterThan(0);
    const shown = basename(dir);
    expect(detach.stdout).toContain(`sprint logs ${shown} --follow`);
    expect(detach.stdout).toContain(`sprint pause ${shown}`);
    expect(detach.stdout).toContain(`sprint stop ${shown}`);
    expect(processAlive(pid)).toBe(true);

    const report = await waitUntil(async () => {
      const s = await statusJson(cwd, dir);
      return s.current.length ? s : null;
    });
    expect(report).toMatchObject({ status: 'in-progress', running: true, runner: { pid } });

    const follow = startCli(['logs', dir, '--follow'], { cwd });
    await follow.waitForOutput('started-slow');

    const stop = await runCli(['stop', dir], { cwd });
    expect(stop.code, stop.stderr).toBe(0);
    await waitUntil(() => !processAlive(pid), 5000, 'the background run to end');
    expect(processesWith(marker)).toEqual([]);
    const followed = await follow.done(10_000);
    expect(followed.code).toBe(0);
    expect(followed.stdout).toContain('run ended: paused');

    const log = readFileSync(join(dir, 'run.log'), 'utf8');
    expect(log).toContain('slow started (attempt 1, agent shell)');
    expect(log).toContain('paused - stopped');
    expect(log).not.toContain('\x1b[');
    expect(log).not.toContain('NO_COLOR');
    expect((await statusJson(cwd, dir)).status).toBe('paused');
  });

  it('status --watch follows a run until it ends', async () => {
    const cwd = tempDir();
    const dir = shellSprint(cwd, 'watched', [
      { id: 'a', command: `echo started-a; ${waitForRelease(cwd)}` },
      { id: 'b', command: 'sleep 0.5', dependsOn: ['a'] },
    ]);
    const run = startCli(['run', dir], { cwd });
    await run.waitForOutput('started-a');
    // Task a ends only once the watch has seen it running.
    const watch = await runCli(['status', dir, '--watch'], {
      cwd,
      timeoutMs: 60_000,
      onStdout: (out) => {
        if (/running a/.test(out)) writeFileSync(join(cwd, 'release'), '');
      },
    });
    expect(watch.code).toBe(0);
    expect(watch.stdout).toMatch(/in-progress 0\/2 done, running a/);
    expect(watch.stdout).toMatch(/completed 2\/2 done/);
    expect((await run.done()).code).toBe(0);
  });

  it('status --watch off a terminal prints a line only when more than the clock changed', async () => {
    const cwd = tempDir();
    const dir = shellSprint(cwd, 'quiet-watch', [
      // Once the watch has seen it, the task runs three seconds more: its clock ticks, nothing else changes.
      { id: 'a', command: `echo started-a; ${waitForRelease(cwd)}; sleep 3` },
    ]);
    const run = startCli(['run', dir], { cwd });
    await run.waitForOutput('started-a');
    const watch = await runCli(['status', dir, '--watch'], {
      cwd,
      timeoutMs: 60_000,
      onStdout: (out) => {
        if (/running a/.test(out)) writeFileSync(join(cwd, 'release'), '');
      },
    });
    expect(watch.code).toBe(0);
    // The task runs for three seconds more: one line for it, not one a second.
    expect(watch.stdout.match(/running a \(/g)).toHaveLength(1);
    expect(watch.stdout).toMatch(/completed 1\/1 done/);
    expect((await run.done()).code).toBe(0);
  });
});

describe('Ctrl-C', () => {
  it('the first SIGINT stops the agent, leaves the task pending and exits 130', async () => {
    const cwd = tempDir();
    const { dir, marker, late } = slowSprint(cwd, 'interrupted');
    const run = startCli(['run', dir], { cwd });
    await run.waitForOutput('started-slow');
    const [agentPid] = processesWith(marker);
    expect(agentPid).toBeDefined();
    run.child.kill('SIGINT');
    const r = await run.done(10_000);
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('stopping; the sprint stays resumable');
    expect(r.stdout).toContain(`Continue: sprint resume ${basename(dir)}`);
    expect(processesWith(marker)).toEqual([]);
    expect(processAlive(agentPid!)).toBe(false);
    expect(existsSync(late)).toBe(false);
    const after = await statusJson(cwd, dir);
    expect(after.status).toBe('paused');
    expect(after.running).toBe(false);
    expect(taskStatus(after, 'slow')).toBe('pending');
    // No half-written state: the files parse and validate.
    expect((await runCli(['validate', dir], { cwd })).code).toBe(0);
    expect(existsSync(join(dir, 'PROGRESS.yaml.tmp'))).toBe(false);
  });

  it('closing the terminal (SIGHUP) stops the agent like Ctrl-C: task pending, sprint resumable, exit 129', async () => {
    const cwd = tempDir();
    const { dir, marker } = slowSprint(cwd, 'hangup');
    const run = startCli(['run', dir], { cwd });
    await run.waitForOutput('started-slow');
    const [agentPid] = processesWith(marker);
    expect(agentPid).toBeDefined();
    run.child.kill('SIGHUP');
    const r = await run.done(20_000);
    expect(r.signal).toBeNull(); // handled, not killed by the signal
    expect(r.code).toBe(129);
    await waitUntil(() => processesWith(marker).length === 0, 10_000, 'the agent to be gone');
    expect(processAlive(agentPid!)).toBe(false);
    const after = await statusJson(cwd, dir);
    expect(after.status).toBe('paused');
    expect(after.running).toBe(false);
    expect(taskStatus(after, 'slow')).toBe('pending');
  });

  it('a run whose reader goes away stops its agent quietly, leaves the sprint resumable and exits 141', async () => {
    const cwd = tempDir();
    const marker = `tick-${(Math.random() * 1e9).toFixed(0)}`;
    const dir = shellSprint(cwd, 'reader-gone', [
      { id: 'chatty', command: `echo started-chatty; while :; do echo ${marker}; sleep 0.2; done` },
    ]);
    const run = startCli(['run', dir], { cwd });
    await run.waitForOutput('started-chatty');
    expect(processesWith(marker).length).toBeGreaterThan(0);
    // The reader leaves, as `head -1` does: the next line the run prints meets a closed pipe.
    run.child.stdout!.destroy();
    const r = await run.done(20_000);
    expect(r.stderr).not.toMatch(/EPIPE|at .*\.js:\d+/);
    expect(r.code).toBe(141);
    await waitUntil(() => processesWith(marker).length === 0, 10_000, 'the agent to be gone');
    const after = await statusJson(cwd, dir);
    expect(after.running).toBe(false);
    expect(taskStatus(after, 'chatty')).toBe('pending');
  });

  it('Ctrl-C on status --watch only stops watching: the run goes on, and nothing says it stops', async () => {
    const cwd = tempDir();
    const { dir } = slowSprint(cwd, 'watched');
    const run = startCli(['run', dir], { cwd });
    await run.waitForOutput('started-slow');
    const watch = startCli(['status', dir, '--watch'], { cwd });
    await watch.waitForOutput('running');
    watch.child.kill('SIGINT');
    const w = await watch.done(10_000);
    expect(w.stderr).not.toContain('stopping');
    expect((await statusJson(cwd, dir)).running).toBe(true);
    run.child.kill('SIGINT');
    expect((await run.done(10_000)).code).toBe(130);
  });

  it('a second SIGINT forces the exit and still leaves no agent behind', async () => {
    const cwd = tempDir();
    // The agent ignores SIGTERM, so the graceful stop cannot finish quickly.
    const marker = `sleep ${(Math.random() * 1000 + 100).toFixed(3)}`;
    const dir = shellSprint(cwd, 'forced', [
      { id: 'stubborn', command: `trap '' TERM; echo started-stubborn; ${marker}` },
    ]);
    const run = startCli(['run', dir], { cwd });
    await run.waitForOutput('started-stubborn');
    run.child.kill('SIGINT');
    await run.waitForOutput('again to force');
    run.child.kill('SIGINT');
    const r = await run.done(10_000);
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('Forced exit');
    await waitUntil(() => processesWith(marker).length === 0, 5000, 'the agent to be gone');
    // The next run recovers the interrupted task.
    const s = await statusJson(cwd, dir);
    expect(s.running).toBe(false);
  });
});

describe('crash recovery', () => {
  it('after kill -9 of the runner, status says interrupted and resume reruns the task', async () => {
    const cwd = tempDir();
    const { dir, marker, late } = slowSprint(cwd, 'crashed');
    const run = startCli(['run', dir], { cwd });
    await run.waitForOutput('started-slow');
    run.child.kill('SIGKILL');
    await run.done();
    const status = await runCli(['status', dir], { cwd });
    expect(status.stdout).toContain('interrupted: no runner is alive');
    const report = await statusJson(cwd, dir);
    expect(report).toMatchObject({ status: 'in-progress', running: false, interrupted: true });

    // The orphaned agent is ended by the next run, and the task runs again.
    const progress = join(dir, 'PROGRESS.yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(progress, readFileSync(progress, 'utf8').replaceAll(marker, 'sleep 0'));
    const resumed = await runCli(['resume', dir], { cwd });
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('2/2 tasks done');
    await waitUntil(() => processesWith(marker).length === 0, 5000, 'the orphan to be ended');
    // Only the rerun got past the sleep: the orphan's shell was ended with its sleep.
    expect(readFileSync(late, 'utf8')).toBe('after-slow\n');
  });
});
