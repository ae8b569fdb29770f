import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from './postgres-store.js';
import {
  openTestDatabase,
  startSharedPglite,
  testDatabases,
  uniqueSchema,
} from './test-database.js';
import { WorkerRepo } from './worker-repo.js';

beforeAll(() => startSharedPglite(), 180_000);

const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@t',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@t',
};
const gitIn = (cwd: string, args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8', env: gitEnv }).trim();

/** A bare repository with one commit on main: the shared remote. */
function sharedRemote(cwd: string): string {
  const seed = join(cwd, 'seed');
  gitIn(cwd, ['init', '-q', '-b', 'main', seed]);
  writeFileSync(join(seed, 'README.md'), '# project\n');
  gitIn(seed, ['add', '-A']);
  gitIn(seed, ['commit', '-q', '-m', 'start']);
  const bare = join(cwd, 'remote.git');
  gitIn(cwd, ['clone', '-q', '--bare', seed, bare]);
  return bare;
}

const lines = (text: string) => (text ? text.split('\n') : []);
const info = (sprintId: string, taskId: string) => ({
  sprintId,
  sprintName: 's',
  taskId,
  taskType: 'feature',
  label: taskId,
  summary: `did ${taskId}`,
});

/** A store in a fresh schema and a shared remote in a fresh folder; `cleanup` drops both. */
async function setup(url: string) {
  const cwd = mkdtempSync(join(tmpdir(), 'wrepo-'));
  const schema = uniqueSchema('wrepo');
  const { db, cleanup } = await openTestDatabase(url, schema);
  const store = await PostgresStore.open({ db, schema });
  return {
    cwd,
    db,
    store,
    remote: sharedRemote(cwd),
    cleanup: async () => {
      await store.close();
      await cleanup();
      rmSync(cwd, { recursive: true, force: true });
    },
  };
}

for (const { name, url } of testDatabases()) {
  describe(`WorkerRepo leaves nothing behind on ${name}`, () => {
    it("started again in its clone, a worker removes its dead predecessor's worktrees and task branches", async () => {
      const { cwd, store, remote, cleanup } = await setup(url);
      try {
        const dir = join(cwd, '.sprint-worker', 'w1');
        const dead = new WorkerRepo({ store, remote, dir, worker: 'w1' });
        await dead.open();
        // What a worker killed with -9 mid-task leaves: attempts' worktrees (one with work in it)
        // and an integration's, with their branches, and a fetched copy of a task branch.
        const d2 = await dead.prepare('s1', 'd2', 1);
        writeFileSync(join(d2.path, 'half.txt'), 'half done\n');
        await dead.prepare('s1', 'r2', 1);
        await dead.prepare('s1', 'integrate-r2', 1);
        await dead.prepare('s2', 'x', 3);
        gitIn(dir, ['update-ref', 'refs/remotes/origin/sprint-task/s1/r2-1', 'HEAD']);
        expect(
          lines(gitIn(dir, ['worktree', 'list', '--porcelain'])).filter((l) =>
            l.startsWith('worktree '),
          ),
        ).toHaveLength(5);

        const again = new WorkerRepo({ store, remote, dir, worker: 'w1' });
        await again.open();
        expect([...again.leftovers].sort()).toEqual([
          'sprint-task/s1/d2-1',
          'sprint-task/s1/integrate-r2-1',
          'sprint-task/s1/r2-1',
          'sprint-task/s2/x-3',
        ]);
        const listed = lines(gitIn(dir, ['worktree', 'list', '--porcelain'])).filter((l) =>
          l.startsWith('worktree '),
        );
        expect(listed).toEqual([`worktree ${dir}`]);
        expect(
          gitIn(dir, [
            'for-each-ref',
            'refs/heads/sprint-task/',
            'refs/remotes/origin/sprint-task/',
          ]),
        ).toBe('');
        expect(existsSync(d2.path)).toBe(false);
        expect(existsSync(join(dir, '.claude', 'worktrees'))).toBe(false);
        expect(gitIn(dir, ['status', '--porcelain'])).toBe('');
        // The clone works as before.
        const next = await again.prepare('s1', 'd2', 2);
        expect(existsSync(join(next.path, 'README.md'))).toBe(true);
      } finally {
        await cleanup();
      }
    }, 120_000);

    it("a task's pushed branch leaves the remote once integrated; a superseded attempt's goes when the next one lands", async () => {
      const { cwd, db, store, remote, cleanup } = await setup(url);
      try {
        const repo = new WorkerRepo({
          store,
          remote,
          dir: join(cwd, '.sprint-worker', 'w1'),
          worker: 'w1',
          pollMs: 20,
        });
        await repo.open();
        const s1 = await store.create({ name: 'Branches' });
        const remoteTaskBranches = () =>
          lines(
            gitIn(remote, ['for-each-ref', '--format=%(refname:short)', 'refs/heads/sprint-task/']),
          );
        // Attempt 1 of b died after pushing its branch and queueing it: its row waits, pending.
        const b1 = await repo.prepare(s1, 'b', 1);
        writeFileSync(join(b1.path, 'b.txt'), 'b, first try\n');
        gitIn(b1.path, ['add', '-A']);
        gitIn(b1.path, ['commit', '-q', '-m', 'b1']);
        const b1Commit = gitIn(b1.path, ['rev-parse', 'HEAD']);
        gitIn(b1.path, ['push', '-q', 'origin', `HEAD:refs/heads/${b1.branch}`]);
        await db.query(
          `INSERT INTO ${store.table('integrations')} (sprint_id, task_id, branch, commit, worker, state, detail)
           VALUES ($3, 'b', $1, $2, 'w1', 'conflict', 'it clashed')`,
          [b1.branch, b1Commit, s1],
        );
        await repo.discard(s1, b1);
        expect(remoteTaskBranches()).toEqual([b1.branch]);
        for (const [task, attempt] of [
          ['a', 1],
          ['b', 2],
        ] as const) {
          const wt = await repo.prepare(s1, task, attempt);
          writeFileSync(join(wt.path, `${task}.txt`), `${task}\n`);
          const landing = await repo.land(wt, info(s1, task));
          expect(landing.kind).toBe('integrated');
        }
        expect(gitIn(remote, ['show', `sprint/${s1}:a.txt`])).toBe('a');
        expect(gitIn(remote, ['show', `sprint/${s1}:b.txt`])).toBe('b');
        expect(remoteTaskBranches()).toEqual([]);
        expect(gitIn(repo.dir, ['for-each-ref', 'refs/remotes/origin/sprint-task/'])).toBe('');
      } finally {
        await cleanup();
      }
    }, 180_000);
  });
}
