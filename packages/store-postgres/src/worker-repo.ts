import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, rmdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  commitTaskWork,
  endMarkedProcesses,
  git,
  gitText,
  locateGitProject,
  MergeQueue,
  refComponent,
  type TaskWorktree,
  WorktreeManager,
} from '@sprint/core';
import type { PostgresStore } from './postgres-store.js';

export interface WorkerRepoOptions {
  store: PostgresStore;
  /** The shared remote: a URL or a path git can clone. */
  remote: string;
  /** This worker's own clone (made on first use). */
  dir: string;
  /** Who holds the integration lease (the worker's name). */
  worker: string;
  /** How long the integration lease lasts without renewal (ms, default 30 s). */
  leaseMs?: number;
  /** Run on the integrated tree before the integrated branch moves (the project's test suite, say). */
  mergeVerify?: string;
  /** How often a worker waiting for its task's integration looks again (ms, default 250). */
  pollMs?: number;
}

/** The branch a sprint's tasks are integrated on, in the shared remote. */
export function integratedBranch(sprintId: string): string {
  return `sprint/${refComponent(sprintId)}`;
}

export type TaskLanding =
  | { kind: 'unchanged' }
  | { kind: 'integrated'; commit: string; branch: string }
  | { kind: 'conflict' | 'verify-failed'; detail: string };

/**
 * A worker's own clone of the shared remote. Each task runs in a worktree
 * of it on its own branch, made from the newest integrated branch; the
 * task's work becomes one commit, pushed as the task's branch. Integration
 * (core's `MergeQueue`, onto `sprint/<sprint>`) runs in one place at a time:
 * under a lease in the database, whichever worker holds it integrates every
 * pushed task in order and pushes the integrated branch with a
 * compare-and-swap (`--force-with-lease`). A task already on the integrated
 * branch (its trailer is there: the integrator died after pushing) is never
 * integrated again; a dead integrator's lease runs out and another worker
 * finishes its queue.
 */
export class WorkerRepo {
  readonly #o: WorkerRepoOptions;
  /** git operations on the clone itself (fetch, worktree add, push) run one at a time. */
  #chain: Promise<unknown> = Promise.resolve();

  constructor(options: WorkerRepoOptions) {
    this.#o = options;
  }

  get dir(): string {
    return this.#o.dir;
  }

  /** The shared remote this clone pushes to. */
  get remote(): string {
    return this.#o.remote;
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(fn);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Clones the remote when the clone is missing. An existing clone is this
   * worker's from a previous life (a clone is one worker's: the default
   * folder is named after it), so whatever worktrees and task branches are
   * in it are a dead predecessor's attempts: they are removed (`leftovers`
   * says which), as a local run's resume removes dead attempts'.
   */
  async open(): Promise<void> {
    if (existsSync(this.#o.dir)) {
      await git(this.#o.dir, ['remote', 'set-url', 'origin', this.#o.remote]);
      this.#leftovers = await this.#sweep();
      return;
    }
    await mkdir(dirname(this.#o.dir), { recursive: true });
    await git(dirname(this.#o.dir), ['clone', '-q', this.#o.remote, this.#o.dir]);
  }

  #leftovers: string[] = [];

  /** The worktrees and branches of a previous life that `open()` removed (their branch names, or paths). */
  get leftovers(): readonly string[] {
    return this.#leftovers;
  }

  async #sweep(): Promise<string[]> {
    const dir = this.#o.dir;
    const top = resolve(dir);
    const removed: string[] = [];
    const listed = await gitText(dir, ['worktree', 'list', '--porcelain']);
    const homes = new Set<string>();
    for (const block of listed.split('\n\n')) {
      const lines = block.split('\n');
      const path = lines.find((l) => l.startsWith('worktree '))?.slice(9);
      // Every linked worktree of the clone is one the worker made; the clone itself stays.
      if (!path || resolve(path) === top) continue;
      await rm(path, { recursive: true, force: true });
      homes.add(dirname(path));
      removed.push(
        lines
          .find((l) => l.startsWith('branch '))
          ?.slice(7)
          .replace(/^refs\/heads\//, '') ?? path,
      );
    }
    await git(dir, ['worktree', 'prune']);
    // The sprint folders they were in, and the worktrees folder once empty (rmdir spares a non-empty one).
    for (const home of homes) {
      await rmdir(home).catch(() => undefined);
      await rmdir(dirname(home)).catch(() => undefined);
    }
    const refs = await gitText(dir, [
      'for-each-ref',
      '--format=%(refname)',
      'refs/heads/sprint-task/',
      'refs/remotes/origin/sprint-task/',
    ]);
    const dead = refs ? refs.split('\n') : [];
    if (dead.length) {
      await git(dir, ['update-ref', '--stdin'], {
        input: dead.map((r) => `delete ${r}\n`).join(''),
      });
    }
    for (const ref of dead) {
      const branch = ref.replace(/^refs\/heads\//, '');
      if (ref.startsWith('refs/heads/') && !removed.includes(branch)) removed.push(branch);
    }
    return removed;
  }

  /**
   * Deletes a task's branch from the remote (and the clone's copy of it)
   * while it still points at `commit`: its work is integrated or superseded
   * by a newer attempt, and a local run leaves no task branch behind either.
   */
  async #deleteTaskBranch(branch: string, commit: string): Promise<void> {
    await git(
      this.#o.dir,
      [
        'push',
        '-q',
        `--force-with-lease=refs/heads/${branch}:${commit}`,
        'origin',
        `:refs/heads/${branch}`,
      ],
      { allowFail: true },
    );
    await git(this.#o.dir, ['update-ref', '-d', `refs/remotes/origin/${branch}`], {
      allowFail: true,
    });
  }

  async #manager(sprintId: string): Promise<WorktreeManager> {
    const project = await locateGitProject(this.#o.dir);
    if (!project) throw new Error(`${this.#o.dir} is not a clone with a commit`);
    return new WorktreeManager({ project, sprintId });
  }

  /** The remote's commit of a branch, or undefined when it has none. */
  async #remoteHead(branch: string): Promise<string | undefined> {
    const out = await git(
      this.#o.dir,
      ['ls-remote', '--exit-code', 'origin', `refs/heads/${branch}`],
      {
        allowFail: true,
      },
    );
    return out.code === 0 ? out.stdout.split(/\s/)[0] : undefined;
  }

  /** Where a task starts: the integrated branch when it exists, else the remote's default branch. */
  async #base(sprintId: string): Promise<string> {
    const target = integratedBranch(sprintId);
    const out = await git(this.#o.dir, [
      'fetch',
      '-q',
      'origin',
      '+HEAD:refs/sprint-worker/remote-head',
      ...((await this.#remoteHead(target))
        ? [`+refs/heads/${target}:refs/remotes/origin/${target}`]
        : []),
    ]);
    void out;
    const integrated = await git(
      this.#o.dir,
      ['rev-parse', '--verify', '-q', `refs/remotes/origin/${target}`],
      { allowFail: true },
    );
    if (integrated.code === 0 && (await this.#remoteHead(target))) return integrated.stdout.trim();
    return gitText(this.#o.dir, ['rev-parse', 'refs/sprint-worker/remote-head']);
  }

  /** A fresh worktree for one attempt, at the newest integrated work. */
  prepare(sprintId: string, taskId: string, attempt: number): Promise<TaskWorktree> {
    return this.#serial(async () => {
      const base = await this.#base(sprintId);
      return (await this.#manager(sprintId)).create(taskId, attempt, base);
    });
  }

  /** Removes an attempt's worktree and local branch (a failed attempt: the runner decides what follows). */
  async discard(sprintId: string, wt: TaskWorktree): Promise<void> {
    await this.#serial(async () =>
      (await this.#manager(sprintId)).remove({ path: wt.path, branch: wt.branch }),
    ).catch(() => undefined);
  }

  /**
   * Commits the attempt's work, pushes the task's branch, queues it for
   * integration and waits until it is integrated (integrating the queue
   * itself whenever it can take the lease).
   */
  async land(
    wt: TaskWorktree,
    info: {
      sprintId: string;
      sprintName: string;
      taskId: string;
      taskType: string;
      label: string;
      summary: string;
      /** The attempt's run marker: its merge verify carries it, so that an orphaned one is found. */
      marker?: string;
    },
  ): Promise<TaskLanding> {
    const commit = await commitTaskWork(wt, info, []);
    if (!commit) {
      await this.#serial(async () =>
        (await this.#manager(info.sprintId)).remove({ path: wt.path, branch: wt.branch }),
      );
      return { kind: 'unchanged' };
    }
    await this.#serial(() =>
      git(this.#o.dir, ['push', '-q', '--force', 'origin', `${commit}:refs/heads/${wt.branch}`]),
    );
    const { store } = this.#o;
    const table = store.table('integrations');
    // The row it replaces (the statement sees the table as it was before): an earlier attempt's.
    const [queued] = await store.db.query<{
      prev_branch: string | null;
      prev_commit: string | null;
    }>(
      `WITH prev AS (SELECT branch, commit FROM ${table} WHERE sprint_id = $1 AND task_id = $2)
       INSERT INTO ${table} (sprint_id, task_id, branch, commit, worker, marker)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (sprint_id, task_id) DO UPDATE
         SET branch = $3, commit = $4, worker = $5, marker = $6, state = 'pending', detail = NULL,
             seq = nextval(pg_get_serial_sequence('${table}', 'seq'))
         WHERE ${table}.state <> 'integrated'
       RETURNING (SELECT branch FROM prev) AS prev_branch, (SELECT commit FROM prev) AS prev_commit`,
      [info.sprintId, info.taskId, wt.branch, commit, this.#o.worker, info.marker ?? null],
    );
    // A failed or dead earlier attempt's branch: this attempt's work supersedes it.
    if (queued?.prev_branch && queued.prev_commit && queued.prev_branch !== wt.branch)
      await this.#serial(() => this.#deleteTaskBranch(queued.prev_branch!, queued.prev_commit!));
    for (;;) {
      const [row] = await store.db.query<{
        state: string;
        integrated_commit: string | null;
        detail: string | null;
      }>(
        `SELECT state, integrated_commit, detail FROM ${store.table('integrations')} WHERE sprint_id = $1 AND task_id = $2`,
        [info.sprintId, info.taskId],
      );
      if (row && row.state !== 'pending') {
        await this.#serial(async () =>
          (await this.#manager(info.sprintId)).remove({ path: wt.path, branch: wt.branch }),
        ).catch(() => undefined);
        if (row.state === 'integrated')
          return {
            kind: 'integrated',
            commit: row.integrated_commit ?? '',
            branch: integratedBranch(info.sprintId),
          };
        return { kind: row.state as 'conflict' | 'verify-failed', detail: row.detail ?? row.state };
      }
      if (!(await this.integrateQueue(info.sprintId))) {
        await new Promise((r) => setTimeout(r, this.#o.pollMs ?? 250));
      }
    }
  }

  /**
   * Integrates every queued task of a sprint if this worker can take the
   * integration lease; false when another holds it. Taking over a lease that
   * ran out, it first ends the merge verify its holder was running (by the
   * run marker the lease names, on this host): a holder killed with -9
   * leaves its verify running, and it would run on beside the new one.
   */
  async integrateQueue(sprintId: string): Promise<boolean> {
    const { store } = this.#o;
    const name = `integrate:${sprintId}`;
    const holder = `${this.#o.worker}:${randomBytes(4).toString('hex')}`;
    const leaseMs = this.#o.leaseMs ?? 30_000;
    const leases = store.table('leases');
    // (The statement sees the table as it was before it: the run-out lease it replaces.)
    const taken = await store.db.query<{ orphan: string | null }>(
      `WITH prev AS (SELECT marker FROM ${leases} WHERE name = $1 AND expires_at < now())
       INSERT INTO ${leases} (name, holder, expires_at)
       VALUES ($1, $2, now() + make_interval(secs => $3))
       ON CONFLICT (name) DO UPDATE
         SET holder = $2, expires_at = now() + make_interval(secs => $3), marker = NULL
         WHERE ${leases}.expires_at < now()
       RETURNING (SELECT marker FROM prev) AS orphan`,
      [name, holder, leaseMs / 1000],
    );
    if (taken.length === 0) return false;
    const orphan = taken[0]?.orphan;
    if (orphan) await endMarkedProcesses(orphan, [], 2_000);
    const renew = setInterval(
      () => {
        void store.db
          .query(
            `UPDATE ${store.table('leases')} SET expires_at = now() + make_interval(secs => $3) WHERE name = $1 AND holder = $2`,
            [name, holder, leaseMs / 1000],
          )
          .catch(() => undefined);
      },
      Math.max(50, Math.floor(leaseMs / 3)),
    );
    try {
      await this.#serial(() => this.#integrateAll(sprintId, name, holder));
    } catch {
      return false; // the lease ran out or git failed: the queue stays, the next holder goes on
    } finally {
      clearInterval(renew);
      await store.db
        .query(`DELETE FROM ${store.table('leases')} WHERE name = $1 AND holder = $2`, [
          name,
          holder,
        ])
        .catch(() => undefined);
    }
    return true;
  }

  async #integrateAll(sprintId: string, lease: string, holder: string): Promise<void> {
    const { store } = this.#o;
    const dir = this.#o.dir;
    const target = integratedBranch(sprintId);
    const manager = await this.#manager(sprintId);
    const table = store.table('integrations');
    for (;;) {
      const [row] = await store.db.query<{
        task_id: string;
        branch: string;
        commit: string;
        marker: string | null;
      }>(
        `SELECT task_id, branch, commit, marker FROM ${table} WHERE sprint_id = $1 AND state = 'pending' ORDER BY seq LIMIT 1`,
        [sprintId],
      );
      if (!row) return;
      // The lease names the marker of the verify about to run, before it runs: whoever takes
      // the lease over (or this worker started again) ends that verify if this one dies.
      const still = await store.db.query(
        `UPDATE ${store.table('leases')} SET marker = $3
          WHERE name = $1 AND holder = $2 AND expires_at > now() RETURNING 1`,
        [lease, holder, row.marker],
      );
      if (still.length === 0) throw new Error('the integration lease ran out');
      // The newest integrated branch (or the default branch) as our local target, and the task's commit.
      const remote = await this.#remoteHead(target);
      await git(dir, [
        'fetch',
        '-q',
        'origin',
        '+HEAD:refs/sprint-worker/remote-head',
        `+refs/heads/${row.branch}:refs/remotes/origin/${row.branch}`,
      ]);
      if (remote)
        await git(dir, [
          'fetch',
          '-q',
          'origin',
          `+refs/heads/${target}:refs/remotes/origin/${target}`,
        ]);
      const head = remote ?? (await gitText(dir, ['rev-parse', 'refs/sprint-worker/remote-head']));
      await git(dir, ['update-ref', `refs/heads/${target}`, head]);
      const queue = new MergeQueue({ manager, sprintId, target, mergeVerify: this.#o.mergeVerify });
      const done = await queue.integratedCommit(row.task_id);
      if (done) {
        // Its integrator died after pushing: it is there already, never twice.
        await store.db.query(
          `UPDATE ${table} SET state = 'integrated', integrated_commit = $3 WHERE sprint_id = $1 AND task_id = $2`,
          [sprintId, row.task_id, done],
        );
        await this.#deleteTaskBranch(row.branch, row.commit);
        continue;
      }
      const wt = await manager.create(`integrate-${row.task_id}`, 1, head);
      try {
        const outcome = await queue.integrate({
          wt,
          taskId: row.task_id,
          commit: row.commit,
          marker: row.marker ?? undefined,
        });
        if (outcome.kind === 'integrated') {
          const pushed = await git(
            dir,
            [
              'push',
              '-q',
              `--force-with-lease=refs/heads/${target}:${remote ?? ''}`,
              'origin',
              `${outcome.commit}:refs/heads/${target}`,
            ],
            { allowFail: true },
          );
          if (pushed.code !== 0) continue; // the branch moved under us: again from its new head
          await store.db.query(
            `UPDATE ${table} SET state = 'integrated', integrated_commit = $3 WHERE sprint_id = $1 AND task_id = $2`,
            [sprintId, row.task_id, outcome.commit],
          );
          await this.#deleteTaskBranch(row.branch, row.commit);
        } else {
          const detail = outcome.kind === 'conflict' ? outcome.description : outcome.message;
          await store.db.query(
            `UPDATE ${table} SET state = $3, detail = $4 WHERE sprint_id = $1 AND task_id = $2`,
            [
              sprintId,
              row.task_id,
              outcome.kind === 'conflict' ? 'conflict' : 'verify-failed',
              detail,
            ],
          );
        }
      } finally {
        await manager.remove({ path: wt.path, branch: wt.branch }).catch(() => undefined);
      }
    }
  }
}
