import { type ChildProcess, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  claudeTestEnv,
  type FakeAnthropic,
  type FakeRequest,
  findClaudeBin,
  startFakeAnthropic,
} from '@sprint/test-kit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const PLUGIN = resolve(here, '..');
const REPO = resolve(PLUGIN, '../..');
const SPRINT_CLI = resolve(REPO, 'apps/cli/dist/bin.js');
const CLAUDE = findClaudeBin(here);

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

const running = new Set<ChildProcess>();
afterEach(() => {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
  running.clear();
});

function run(
  cmd: string,
  args: string[],
  options: { cwd: string; env: Record<string, string>; timeoutMs?: number },
): Promise<Ran> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} did not end\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 180_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** A directory holding only a `sprint` executable that runs this checkout's built CLI. */
function sprintOnPath(): string {
  const bin = mkdtempSync(join(tmpdir(), 'sprint-plugin-bin-'));
  const shim = join(bin, 'sprint');
  writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${SPRINT_CLI}" "$@"\n`);
  chmodSync(shim, 0o755);
  return bin;
}

/** A project with a sprint of two shell tasks (the second depends on the first). */
function project(): { cwd: string; dir: string } {
  const cwd = mkdtempSync(join(tmpdir(), 'sprint-plugin-project-'));
  const dir = join(cwd, '.claude/sprints/2026-01-15_plugin');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'SPRINT.yaml'),
    'sprint-id: 2026-01-15_plugin\nname: plugin\nconfig:\n  auto-commit: false\n  agent: shell\n',
  );
  writeFileSync(
    join(dir, 'PROGRESS.yaml'),
    [
      'sprint-id: 2026-01-15_plugin',
      'status: not-started',
      'queue:',
      '  - id: write',
      '    type: chore',
      '    command: echo written > written.txt',
      '  - id: check',
      '    type: chore',
      '    depends-on: [write]',
      '    command: test -f written.txt',
      'completed: []',
      'blocked: []',
      '',
    ].join('\n'),
  );
  return { cwd, dir };
}

/** The text of every user message of a request, tool results included. */
function userText(request: FakeRequest): string {
  const body = request.body as { messages?: { role: string; content: unknown }[] };
  return JSON.stringify((body.messages ?? []).filter((m) => m.role === 'user'));
}

function toolResults(request: FakeRequest): string {
  const body = request.body as { messages?: { role: string; content: unknown }[] };
  const last = body.messages?.at(-1);
  return JSON.stringify(last?.content ?? '');
}

let fake: FakeAnthropic | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('the Claude Code plugin', () => {
  let home: string;
  let env: (extra?: Record<string, string>) => Record<string, string>;

  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'sprint-plugin-home-'));
  });

  it('passes claude plugin validate, as a plugin and as the repository marketplace', async () => {
    const base = claudeTestEnv({ baseUrl: 'http://127.0.0.1:9', home });
    const plugin = await run(CLAUDE, ['plugin', 'validate', PLUGIN], { cwd: REPO, env: base });
    expect(plugin.code, plugin.stdout + plugin.stderr).toBe(0);
    expect(plugin.stdout).toContain('Validation passed');
    for (const name of [
      'start-sprint',
      'add-task',
      'import-tasks',
      'run-sprint',
      'sprint-status',
      'pause-sprint',
      'resume-sprint',
      'stop-sprint',
      'cancel-sprint',
    ]) {
      expect(plugin.stdout).toContain(`commands: sprint:${name}`);
    }
    const market = await run(CLAUDE, ['plugin', 'validate', REPO], { cwd: REPO, env: base });
    expect(market.code, market.stdout + market.stderr).toBe(0);
    expect(market.stdout).toContain('Validation passed');
  });

  it('installs from the repository marketplace, and /run-sprint starts a detached run that completes', async () => {
    const { cwd, dir } = project();
    const bin = sprintOnPath();
    let launched = '';
    fake = await startFakeAnthropic((request, index) => {
      const text = userText(request);
      if (index === 0) {
        // The plugin's command reached the model, expanded with the user's arguments.
        if (!text.includes('Run Sprint Command') || !text.includes(dir))
          return { type: 'text', text: `unexpected prompt: ${text.slice(0, 2000)}` };
        return {
          type: 'tool-use',
          name: 'Bash',
          input: { command: `sprint run "${dir}" --detach`, description: 'start the sprint' },
        };
      }
      launched = toolResults(request);
      return { type: 'text', text: 'Sprint Loop Launched' };
    });
    env = (extra = {}) =>
      claudeTestEnv({
        baseUrl: fake!.url,
        home,
        extra: { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, NO_COLOR: '1', ...extra },
      });

    const add = await run(CLAUDE, ['plugin', 'marketplace', 'add', REPO], { cwd, env: env() });
    expect(add.code, add.stdout + add.stderr).toBe(0);
    const install = await run(CLAUDE, ['plugin', 'install', 'sprint@sprint'], { cwd, env: env() });
    expect(install.code, install.stdout + install.stderr).toBe(0);

    const session = await run(
      CLAUDE,
      ['-p', '--output-format', 'json', `/sprint:run-sprint ${dir}`],
      { cwd, env: env() },
    );
    expect(session.code, session.stdout + session.stderr).toBe(0);
    expect(JSON.parse(session.stdout)).toMatchObject({ is_error: false, permission_denials: [] });
    expect(launched, session.stdout).toContain('is running in the background');

    // The run goes on without the session: wait until it ends, as `sprint status` says.
    let report: { status?: string; running?: boolean } = {};
    const deadline = Date.now() + 120_000;
    for (;;) {
      const status = await run(process.execPath, [SPRINT_CLI, 'status', dir, '--json'], {
        cwd,
        env: env(),
      });
      report = JSON.parse(status.stdout);
      if (report.status !== 'in-progress' && report.status !== 'not-started') break;
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(report.status).toBe('completed');
    expect(readFileSync(join(cwd, 'written.txt'), 'utf8')).toBe('written\n');
  });

  it('lets a command run only the sprint CLI, and says how to install it when it is missing', async () => {
    const { cwd, dir } = project();
    const results: string[] = [];
    fake = await startFakeAnthropic((request, index) => {
      if (index > 0) results.push(toolResults(request));
      if (index === 0) {
        const text = userText(request);
        if (!text.includes('Sprint Status Command') || !text.includes(`sprint status ${dir}`))
          return { type: 'text', text: `unexpected prompt: ${text.slice(0, 2000)}` };
        return {
          type: 'tool-use',
          name: 'Bash',
          input: { command: 'touch forbidden.txt', description: 'outside the allowed tools' },
        };
      }
      if (index === 1) {
        return {
          type: 'tool-use',
          name: 'Bash',
          input: { command: `sprint status "${dir}"`, description: 'show the status' },
        };
      }
      return { type: 'text', text: 'done' };
    });
    // The plugin loaded for one session from its folder; no sprint on PATH.
    const session = await run(
      CLAUDE,
      ['-p', '--output-format', 'json', '--plugin-dir', PLUGIN, `/sprint:sprint-status ${dir}`],
      {
        cwd,
        env: claudeTestEnv({
          baseUrl: fake.url,
          home: mkdtempSync(join(tmpdir(), 'sprint-plugin-home-')),
          extra: { PATH: dirname(process.execPath) + ':/usr/bin:/bin', NO_COLOR: '1' },
        }),
      },
    );
    expect(session.code, session.stdout + session.stderr).toBe(0);
    const outcome = JSON.parse(session.stdout) as { permission_denials: { tool_input: unknown }[] };
    expect(JSON.stringify(outcome.permission_denials)).toContain('touch forbidden.txt');
    expect(existsSync(join(cwd, 'forbidden.txt'))).toBe(false);
    expect(results[1]).toMatch(/sprint: (command )?not found/);
    // The command's own text tells the model what to say then.
    const prompt = userText(fake.messageRequests()[0]!);
    expect(prompt).toContain('The sprint CLI is not installed');
    expect(prompt).toContain('./dev build');
  });
});
