import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, shellSprint, startCli, tempDir } from './helpers.js';

const ESC = '\u001b';

/** Runs the CLI inside a pseudo-terminal (util-linux `script`), as a person at a terminal would. */
function runInTerminal(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  columns = 100,
): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' ');
  return new Promise((resolve) => {
    const child = spawn('script', ['-qefc', command, '/dev/null'], {
      cwd,
      env: { ...env, COLUMNS: String(columns), TERM: 'xterm' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      output += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      output += d;
    });
    child.on('close', (code) => resolve({ code, output }));
  });
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
    expect(output).toContain(`${ESC}[J`); // the live region is redrawn in place
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
    expect(output).toContain(`${ESC}[J`);
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
    const dir = shellSprint(cwd, 'narrow-watch', [
      {
        id: 'a-task-with-a-rather-long-identifier-for-a-narrow-terminal',
        command: 'echo started-long; sleep 1.5',
      },
    ]);
    const run = startCli(['run', dir], { cwd });
    await run.waitForOutput('started-long');
    const { code, output } = await runInTerminal(
      ['status', dir, '--watch'],
      cwd,
      envWithout('NO_COLOR'),
      50,
    );
    expect(code).toBe(0);
    expect(output).toContain(`${ESC}[J`); // redrawn in place
    expect(output).toContain('running in pid'); // the long status line was drawn (cut)
    const rows = output
      .split(new RegExp(`\\r?\\n|${ESC}\\[\\d+F${ESC}\\[J`))
      .map((row) => row.replace(new RegExp(`${ESC}\\[[0-9;?]*[A-Za-z]`, 'g'), ''));
    const wide = rows.filter((row) => [...row].length > 50);
    expect(wide).toEqual([]);
    expect((await run.done()).code).toBe(0);
  });
});
