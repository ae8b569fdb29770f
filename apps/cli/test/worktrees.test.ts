import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  claudeTestEnv,
  type FakeAnthropic,
  findClaudeBin,
  startFakeAnthropic,
} from '@sprint/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, shellSprint, snapshotFiles, tempDir } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
let fake: FakeAnthropic | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function gitProject(): { cwd: string; git: (...args: string[]) => string } {
  const cwd = tempDir();
  const git = (...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'Test User');
  git('config', 'user.email', 'user@example.com');
  writeFileSync(join(cwd, 'README.md'), 'project\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'initial');
  return { cwd, git };
}

const worktreeLines = (git: (...a: string[]) => string) =>
  git('worktree', 'list', '--porcelain')
    .split('\n')
    .filter((l) => l.startsWith('worktree '));

describe('isolation from the command line', { timeout: 120_000 }, () => {
  it('--concurrency 2 in git runs each task in its own worktree and integrates one commit per task', async () => {
    const { cwd, git } = gitProject();
    const dir = shellSprint(join(cwd, '.claude', 'sprints'), 'iso', [
      { id: 'left', command: 'echo left > left.txt' },
      { id: 'right', command: 'echo right > right.txt' },
    ]);
    const r = await runCli(['run', dir, '--concurrency', '2'], { cwd });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/worktree mode .*work lands on main/);
    expect(r.stdout).toMatch(
      /left worktree integrated sprint-task\/2026-01-15_iso\/left-1 [0-9a-f]{12}/,
    );
    expect(git('log', '--format=%s', 'main').split('\n')).toHaveLength(3);
    expect(readFileSync(join(cwd, 'right.txt'), 'utf8')).toBe('right\n');
    expect(worktreeLines(git)).toEqual([`worktree ${cwd}`]);
    expect(git('branch', '--format=%(refname:short)')).toBe('main');
  });

  it('--isolation worktree outside git is a usage error that changes nothing', async () => {
    const cwd = tempDir();
    const dir = shellSprint(cwd, 'nogit', [{ id: 'a', command: 'true' }]);
    const before = snapshotFiles(cwd);
    const r = await runCli(['run', dir, '--isolation', 'worktree'], { cwd });
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/needs a git repository.*git init/);
    expect(snapshotFiles(cwd)).toEqual(before);
  });

  it('validate finds what run refuses: isolation: worktree outside git', async () => {
    const cwd = tempDir();
    const dir = shellSprint(cwd, 'nogitcfg', [{ id: 'a', command: 'true' }], {
      agent: 'shell',
      isolation: 'worktree',
    });
    const before = snapshotFiles(cwd);
    const validate = await runCli(['validate', dir], { cwd });
    const run = await runCli(['run', dir], { cwd });
    expect(validate.code).toBe(64);
    expect(run.code).toBe(64);
    expect(validate.stderr).toMatch(/needs a git repository.*git init/);
    expect(snapshotFiles(cwd)).toEqual(before);
  });

  it('keeps a blocked task’s worktree, shows it in status, and sprint clean removes it', async () => {
    const { cwd, git } = gitProject();
    const dir = shellSprint(
      join(cwd, '.claude', 'sprints'),
      'kept',
      [{ id: 'bad', command: 'echo half > half.txt; exit 3' }],
      { agent: 'shell', isolation: 'worktree' },
    );
    const r = await runCli(['run', dir], { cwd });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/bad worktree kept/);
    const status = await runCli(['status', dir], { cwd });
    expect(status.stdout).toMatch(
      /Worktree:\s+bad kept on sprint-task\/2026-01-15_kept\/bad-3 at /,
    );
    const json = JSON.parse((await runCli(['status', dir, '--json'], { cwd })).stdout);
    const kept = json.worktrees[0];
    expect(kept).toMatchObject({ taskId: 'bad', stage: 'kept' });
    expect(readFileSync(join(kept.path, 'half.txt'), 'utf8')).toBe('half\n');
    expect(worktreeLines(git)).toHaveLength(2);

    const clean = await runCli(['clean', dir], { cwd });
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stdout).toContain('sprint-task/2026-01-15_kept/bad-3');
    expect(worktreeLines(git)).toEqual([`worktree ${cwd}`]);
    expect(git('branch', '--format=%(refname:short)')).toBe('main');
    expect(clean.stdout).toContain("Removed the sprint's worktree folder");
    // What clean removed is recorded: status lists the worktree no more.
    const after = await runCli(['status', dir], { cwd });
    expect(after.stdout).not.toMatch(/Worktree:/);
    const afterJson = JSON.parse((await runCli(['status', dir, '--json'], { cwd })).stdout);
    expect(afterJson.worktrees ?? []).toEqual([]);
    const again = await runCli(['clean', dir], { cwd });
    expect(again.stdout).toContain('Nothing to clean');
  });

  it('runs the real claude CLI (fake Messages API) on two tasks at once, each in its own worktree', async () => {
    const { cwd, git } = gitProject();
    const dir = shellSprint(
      join(cwd, '.claude', 'sprints'),
      'claude',
      [
        { id: 'task-left', command: 'write-left' },
        { id: 'task-right', command: 'write-right' },
      ],
      { agent: 'claude', concurrency: 2 },
    );
    const usage = { input_tokens: 50, output_tokens: 10 };
    fake = await startFakeAnthropic((request) => {
      const body = JSON.stringify(request.body);
      const task = body.includes('write-left') ? 'left' : 'right';
      if (!body.includes('tool_result')) {
        return {
          type: 'tool-use',
          name: 'Bash',
          input: {
            command: `pwd > ${task}.txt`,
            description: 'write',
          },
          usage,
        };
      }
      return {
        type: 'structured-output',
        output: {
          status: 'completed',
          summary: `wrote ${task}.txt`,
          deferred_items: [],
          files_changed: [`${task}.txt`],
        },
        usage,
      };
    });
    const home = mkdtempSync(join(tmpdir(), 'sprint-cli-home-'));
    const env = {
      ...claudeTestEnv({ baseUrl: fake.url, home }),
      SPRINT_CLAUDE_BIN: findClaudeBin(here),
    };
    const r = await runCli(['run', dir], { cwd, env, cleanEnv: true, timeoutMs: 110_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const logs = (await runCli(['logs', dir], { cwd })).stdout;
    for (const task of ['left', 'right']) {
      expect(git('ls-files'), logs).toContain(`${task}.txt`);
      // The agent worked in its own worktree, not in the project.
      expect(readFileSync(join(cwd, `${task}.txt`), 'utf8')).toContain(
        `.claude/worktrees/2026-01-15_claude/task-${task}-1`,
      );
    }
    const trailers = git('log', '--format=%(trailers:key=Sprint-Task,valueonly)', 'main')
      .split('\n')
      .filter(Boolean)
      .sort();
    expect(trailers).toEqual(['2026-01-15_claude/task-left', '2026-01-15_claude/task-right']);
    expect(worktreeLines(git)).toEqual([`worktree ${cwd}`]);
    expect(git('branch', '--format=%(refname:short)')).toBe('main');
  });
});
