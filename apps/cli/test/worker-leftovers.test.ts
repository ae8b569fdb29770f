import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '@sprint/store-postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { processesWith, runCli, shellSprint, startCli, tempDir, waitUntil } from './helpers.js';

const server = process.env.SPRINT_TEST_DATABASE_URL;

function database(): NodeJS.ProcessEnv {
  const schema = `clilo_${process.pid}_${randomBytes(4).toString('hex')}`;
  afterEach(async () => {
    const db = await openDatabase(server ?? '');
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.query(`DROP SCHEMA IF EXISTS "${schema}_boss" CASCADE`);
    await db.close();
  });
  return { SPRINT_DATABASE_URL: server, SPRINT_DATABASE_SCHEMA: schema };
}

const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@t',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@t',
};
const gitIn = (cwd: string, args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8', env: gitEnv }).trim();

// Worker processes share a database, so this needs a PostgreSQL server (PGlite is one process's).
describe.runIf(server)('sprint worker --repo leaves nothing behind', () => {
  it('killed with -9 mid-task and started again in the same folder, a worker clears its clone; the remote keeps no task branch', async () => {
    const cwd = tempDir();
    const env = database();
    const seed = join(cwd, 'seed');
    gitIn(cwd, ['init', '-q', '-b', 'main', seed]);
    writeFileSync(join(seed, 'README.md'), '# project\n');
    gitIn(seed, ['add', '-A']);
    gitIn(seed, ['commit', '-q', '-m', 'start']);
    const bare = join(cwd, 'remote.git');
    gitIn(cwd, ['clone', '-q', '--bare', seed, bare]);
    const id = '2026-01-15_leftovers';
    const hang = `sleep ${(Math.random() * 1000 + 1300).toFixed(3)}`;
    const tried = join(cwd, 'tried');
    const dir = shellSprint(join(cwd, 'sprints'), 'leftovers', [
      { id: 'quick', command: 'echo quick > quick.txt' },
      {
        id: 'slow',
        // The first attempt writes half its work and hangs; the retry finishes.
        command: `echo half > slow.txt; if [ ! -f ${tried} ]; then touch ${tried}; ${hang}; fi; echo done > slow.txt`,
        dependsOn: ['quick'],
      },
    ]);
    expect((await runCli(['push', dir], { cwd, env })).code).toBe(0);
    const args = ['worker', '--name', 'lo', '--agents', 'shell', '--repo', bare];
    const first = startCli(args, { cwd, env });
    await first.waitForOutput(/in its clone/, 60_000);
    const run = startCli(['run', id, '--workers'], { cwd, env });
    const clone = join(cwd, '.sprint-worker', 'lo');
    try {
      await waitUntil(() => existsSync(tried), 180_000, 'the first attempt of slow');
      first.child.kill('SIGKILL');
      await first.done(30_000);
      expect(gitIn(clone, ['branch', '--list', 'sprint-task/*'])).toContain('slow-1');
      const again = startCli(args, { cwd, env });
      await again.waitForOutput(/in its clone/, 60_000);
      expect(again.stderr).toContain(
        `Removed 1 worktree(s) and branch(es) a previous lo left in its clone (sprint-task/${id}/slow-1)`,
      );
      const ended = await run.done(300_000);
      expect(ended.code, ended.stderr + ended.stdout).toBe(0);
      expect(gitIn(bare, ['show', `sprint/${id}:slow.txt`])).toBe('done');
      expect(gitIn(bare, ['show', `sprint/${id}:quick.txt`])).toBe('quick');
      // Nothing of any attempt is left: no worktree in the clone, no task branch here or in the remote.
      const worktrees = gitIn(clone, ['worktree', 'list', '--porcelain'])
        .split('\n')
        .filter((l) => l.startsWith('worktree '));
      expect(worktrees).toEqual([`worktree ${clone}`]);
      expect(gitIn(clone, ['for-each-ref', 'refs/heads/sprint-task/'])).toBe('');
      expect(gitIn(bare, ['branch', '--list', 'sprint-task/*'])).toBe('');
      expect(readFileSync(join(clone, 'README.md'), 'utf8')).toBe('# project\n');
      again.child.kill('SIGTERM');
      expect((await again.done(60_000)).code).toBe(0);
    } finally {
      for (const pid of processesWith(hang)) process.kill(pid, 'SIGKILL');
    }
  }, 420_000);
});
