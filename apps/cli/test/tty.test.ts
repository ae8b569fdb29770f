import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import xterm from '@xterm/headless';
import { describe, expect, it } from 'vitest';
import { CLI, runInTerminal, shellSprint, startCli, tempDir } from './helpers.js';

const ESC = '\u001b';

/**
 * Runs the CLI in a pseudo-terminal of the given size (set with stty, so the
 * CLI asks the terminal, not COLUMNS); `type` writes keys to it, as a person would.
 */
function startInTerminal(
  args: string[],
  cwd: string,
  size: { cols: number; rows: number },
  env: NodeJS.ProcessEnv = envWithout('NO_COLOR', 'COLUMNS', 'LINES'),
) {
  const command = `stty cols ${size.cols} rows ${size.rows}; exec ${[process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' ')}`;
  const child = spawn('script', ['-qefc', command, '/dev/null'], {
    cwd,
    env: { ...env, TERM: 'xterm' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters = new Set<() => void>();
  const collect = (d: string) => {
    output += d;
    for (const w of waiters) w();
  };
  child.stdout.setEncoding('utf8').on('data', collect);
  child.stderr.setEncoding('utf8').on('data', collect);
  const done = new Promise<{ code: number | null; output: string }>((resolve) => {
    child.on('close', (code) => resolve({ code, output }));
  });
  return {
    done,
    type(keys: string) {
      child.stdin.write(keys);
    },
    waitFor(text: string, timeoutMs = 30_000) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!output.includes(text)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${text}\n${output}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

/** What a terminal of this size shows after `output`, scrollback included: one string per row. */
async function screen(output: string, size: { cols: number; rows: number }): Promise<string[]> {
  const term = new xterm.Terminal({ ...size, scrollback: 100_000, allowProposedApi: true });
  await new Promise<void>((resolve) => term.write(output, resolve));
  const buffer = term.buffer.active;
  const rows: string[] = [];
  for (let i = 0; i < buffer.length; i++)
    rows.push(buffer.getLine(i)?.translateToString(true) ?? '');
  term.dispose();
  return rows;
}

/** Gives a task of the sprint a title. */
function setTitle(dir: string, id: string, title: string) {
  const file = join(dir, 'PROGRESS.yaml');
  writeFileSync(
    file,
    readFileSync(file, 'utf8').replace(`  - id: ${id}\n`, `  - id: ${id}\n    title: ${title}\n`),
  );
}

function envWithout(...names: string[]): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const n of names) delete env[n];
  return env;
}

describe('on a terminal', () => {
  it('shows a live view: running task, elapsed time, current activity and a progress bar, in colour', async () => {
    const cwd = tempDir();
    const dir = shellSprint(cwd, 'live', [
      { id: 'talker', command: 'echo first-line; sleep 0.7; echo second-line; sleep 0.7' },
      { id: 'after', command: 'true', dependsOn: ['talker'] },
    ]);
    const { code, output } = await runInTerminal(['run', dir], cwd, envWithout('NO_COLOR'));
    expect(code).toBe(0);
    expect(output).toMatch(new RegExp(`${ESC}\\[(2K|J)`)); // the live region is redrawn in place
    expect(output).toMatch(/talker\S* 0:0\d/); // the running task and its clock
    expect(output).toContain('stdout: second-line'); // what the agent does now
    expect(output).toMatch(/\[█+░+\] 1\/2/); // the progress bar
    expect(output).toContain(`${ESC}[32m`); // colour
    expect(output).toContain('2/2 tasks done');
  });

  it('uses no colour with NO_COLOR, but still the live view', async () => {
    const cwd = tempDir();
    const dir = shellSprint(cwd, 'nocolor', [{ id: 'one', command: 'echo hi; sleep 0.5' }]);
    const { code, output } = await runInTerminal(['run', dir], cwd, {
      ...process.env,
      NO_COLOR: '1',
    });
    expect(code).toBe(0);
    expect(output).toMatch(new RegExp(`${ESC}\\[(2K|J)`));
    expect(output).not.toMatch(new RegExp(`${ESC}\\[(1|2|3\\d)m`));
    expect(output).toContain('1/1 tasks done');
  });

  it('colours status on a terminal and not through a pipe', async () => {
    const cwd = tempDir();
    const dir = shellSprint(cwd, 'colours', [{ id: 'one', command: 'true' }]);
    const { output } = await runInTerminal(['status', dir], cwd, envWithout('NO_COLOR'));
    expect(output).toContain(`${ESC}[1m`);
    expect(output).toContain('not-started');
  });

  it('status --watch cuts every line to the terminal width, so a redraw leaves no stale rows', async () => {
    const cwd = tempDir();
    // The task runs until the watch has shown it running, however slow the machine.
    const dir = shellSprint(cwd, 'narrow-watch', [
      {
        id: 'a-task-with-a-rather-long-identifier-for-a-narrow-terminal',
        command: `echo started-long; while [ ! -f '${cwd}/release' ]; do sleep 0.05; done`,
      },
    ]);
    const run = startCli(['run', dir], { cwd });
    await run.waitForOutput('started-long');
    const size = { cols: 50, rows: 24 };
    const watch = startInTerminal(['status', dir, '--watch'], cwd, size);
    await watch.waitFor('running in pid'); // the long status line was drawn (cut)
    writeFileSync(join(cwd, 'release'), '');
    const { code, output } = await watch.done;
    expect(code).toBe(0);
    expect(output).toMatch(new RegExp(`${ESC}\\[(2K|J)`)); // redrawn in place
    // What a 50-column terminal shows afterwards: the last frame once, no stale rows of earlier ones.
    const rows = await screen(output, size);
    expect(rows.filter((row) => row.startsWith('Sprint:'))).toHaveLength(1);
    expect(rows.filter((row) => row.startsWith('Status:'))).toHaveLength(1);
    expect(rows.some((row) => row.includes('completed'))).toBe(true);
    expect((await run.done()).code).toBe(0);
  });

  it('counts terminal cells: a CJK and emoji title in a 60-column terminal leaves no stale copy of the live view', async () => {
    const cwd = tempDir();
    const dir = shellSprint(cwd, 'wide', [
      { id: 'wide', command: 'for i in 1 2 3 4 5 6 7 8; do echo 出力-$i; sleep 0.25; done' },
    ]);
    setTitle(
      dir,
      'wide',
      '日本語のタスク名がとても長いのでこの行は六十桁の端末に収まりません🚀🚀🚀',
    );
    const size = { cols: 60, rows: 20 };
    const run = startInTerminal(['run', dir], cwd, size);
    const { code, output } = await run.done;
    expect(code, output).toBe(0);
    expect(output).toContain('出力-8'); // the live view was redrawn while the task talked
    const rows = await screen(output, size);
    // The live region (task line with its clock, activity, progress bar) is gone at the end:
    // any copy left in the scrollback is a redraw that miscounted rows.
    expect(rows.filter((r) => /▶ wide \d+:\d\d/.test(r))).toEqual([]);
    expect(rows.filter((r) => /\] 0\/1 .*tokens/.test(r))).toEqual([]);
    expect(rows.some((r) => r.includes('1/1 tasks done'))).toBe(true);
  });

  it('clips the live view to the terminal height: six running tasks in an 8-row terminal leave no stale rows', async () => {
    const cwd = tempDir();
    const tasks = [1, 2, 3, 4, 5, 6].map((n) => ({
      id: `t${n}`,
      command: `echo started-${n}; sleep 1.5`,
    }));
    const dir = shellSprint(cwd, 'tall', tasks);
    const size = { cols: 80, rows: 8 };
    const run = startInTerminal(['run', dir, '--concurrency', '6'], cwd, size);
    const { code, output } = await run.done;
    expect(code, output).toBe(0);
    expect(output).toMatch(/… \d+ more lines/); // the region said what it left out
    const rows = await screen(output, size);
    expect(rows.filter((r) => /▶ t\d \d+:\d\d/.test(r))).toEqual([]);
    expect(rows.filter((r) => /\] \d\/6 .*tokens/.test(r))).toEqual([]);
    expect(rows.some((r) => r.includes('6/6 tasks done'))).toBe(true);
  });

  it('keeps the "press Ctrl-C again" hint on screen while the live view goes on redrawing', async () => {
    const cwd = tempDir();
    // The agent ignores SIGTERM, so the view keeps redrawing through the grace period.
    const dir = shellSprint(cwd, 'hint', [
      { id: 'stubborn', command: `trap '' TERM; echo started-stubborn; sleep 60` },
    ]);
    const size = { cols: 100, rows: 20 };
    const run = startInTerminal(['run', dir], cwd, size);
    await run.waitFor('started-stubborn');
    run.type('\x03'); // Ctrl-C, through the terminal
    const { code, output } = await run.done;
    expect(code, output).toBe(130);
    const rows = await screen(output, size);
    expect(rows.filter((r) => r.includes('press Ctrl-C again to force'))).toHaveLength(1);
    expect(rows.filter((r) => /▶ stubborn \d+:\d\d/.test(r))).toEqual([]);
  });

  it('FORCE_COLOR colours output through a pipe', async () => {
    const cwd = tempDir();
    const dir = shellSprint(cwd, 'forced-colour', [{ id: 'one', command: 'true' }]);
    const plain = startCli(['status', dir], { cwd });
    expect((await plain.done()).stdout).not.toContain(`${ESC}[`);
    const forced = startCli(['status', dir], { cwd, env: { FORCE_COLOR: '1' } });
    expect((await forced.done()).stdout).toContain(`${ESC}[1m`);
  });

  it('FORCE_COLOR beside NO_COLOR: FORCE_COLOR decides, without Node warning that NO_COLOR is ignored', async () => {
    const cwd = tempDir();
    const dir = shellSprint(cwd, 'both-colour-vars', [{ id: 'one', command: 'true' }]);
    const both = startCli(['validate', dir], { cwd, env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    const { code, stderr } = await both.done();
    expect(code, stderr).toBe(0);
    expect(stderr).not.toContain('NO_COLOR');
  });
});
