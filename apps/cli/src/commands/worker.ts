import { join, resolve } from 'node:path';
import { type AgentName, defaultHooks, git, refComponent } from '@sprint/core';
import { redactUrl } from '@sprint/store-postgres';
import { workerAgents } from '../agents.js';
import type { CommandContext } from '../cli.js';
import { databaseUrlOf, openDatabaseStore } from '../database.js';
import { EXIT } from '../exit-codes.js';
import { AGENT_NAMES } from '../usage.js';
import { UsageError } from '../usage-error.js';

/**
 * `sprint worker`: runs tasks that `sprint run --workers` hands out, until
 * Ctrl-C or SIGTERM; then it drains: its running agents end and their tasks
 * go back to the queue for another worker (not counted as attempts).
 */
export interface WorkerOptions {
  concurrency?: number;
  agents?: string;
  name?: string;
  repo?: string;
  cloneDir?: string;
  mergeVerify?: string;
  integrationLeaseMs?: number;
}

/** The shared remote: `--repo`, else the origin of the git project the worker starts in, else none. */
async function sharedRemote(cwd: string, repo: string | undefined): Promise<string | undefined> {
  if (repo) return /^[\w+-]+:\/\//.test(repo) || repo.includes('@') ? repo : resolve(cwd, repo);
  const origin = await git(cwd, ['remote', 'get-url', 'origin'], { allowFail: true }).catch(
    () => undefined,
  );
  return origin?.code === 0 ? origin.stdout.trim() || undefined : undefined;
}

export async function workerCommand(ctx: CommandContext, options: WorkerOptions): Promise<number> {
  const { io } = ctx;
  const url = databaseUrlOf(ctx);
  if (!url) {
    throw new UsageError(
      'worker needs a database: give --database-url postgres://... or set SPRINT_DATABASE_URL.',
      'worker',
    );
  }
  const names = (options.agents ?? AGENT_NAMES.join(','))
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  const agents = names.filter((n): n is AgentName =>
    (AGENT_NAMES as readonly string[]).includes(n),
  );
  const unknown = names.filter((n) => !agents.includes(n as AgentName));
  if (unknown.length || names.length === 0) {
    throw new UsageError(
      `--agents takes a comma-separated list of ${AGENT_NAMES.join(', ')} (got "${options.agents}"${unknown.length ? `: ${unknown.join(', ')} unknown` : ''}).`,
      'worker',
    );
  }
  const remote = await sharedRemote(io.cwd, options.repo);
  const cloneDir = (name: string) =>
    resolve(io.cwd, options.cloneDir ?? join('.sprint-worker', refComponent(name)));
  const { TaskWorker, WorkerRepo, claimWorkerName, holdClone, startTaskQueue } = await import(
    '@sprint/store-postgres'
  );
  // One live worker per clone: a second would remove the first one's worktrees as a dead
  // predecessor's. Held before the database is reached when the folder is known already.
  const lost = new AbortController();
  const hold = (dir: string) => holdClone(dir, () => lost.abort());
  let held =
    remote && (options.cloneDir !== undefined || options.name !== undefined)
      ? await hold(cloneDir(options.name ?? ''))
      : undefined;
  try {
    const store = await openDatabaseStore(ctx, url);
    // By default the machine's name, so a worker started again is the same one (and finds its orphans).
    const name = options.name ?? (await claimWorkerName(store));
    if (remote && !held) held = await hold(cloneDir(name));
    const repo = remote
      ? new WorkerRepo({
          store,
          remote,
          dir: cloneDir(name),
          worker: name,
          mergeVerify: options.mergeVerify,
          leaseMs: options.integrationLeaseMs,
        })
      : undefined;
    // The runners that hand out tasks look for lost ones; a worker only works them.
    const boss = await startTaskQueue(store, { connectionString: url, supervise: false });
    const worker = new TaskWorker({
      store,
      boss,
      agents: await workerAgents(agents, io.env as NodeJS.ProcessEnv),
      concurrency: options.concurrency,
      name,
      repo,
      // Each sprint's auto-commit setting is read at every step.
      hooks: defaultHooks(),
    });
    await worker.start();
    if (worker.orphansEnded.length) {
      io.stderr.write(
        `Ended ${worker.orphansEnded.length} process(es) a previous ${name} left running (pids ${worker.orphansEnded.join(', ')}).\n`,
      );
    }
    if (repo?.leftovers.length) {
      io.stderr.write(
        `Removed ${repo.leftovers.length} worktree(s) and branch(es) a previous ${name} left in its clone (${repo.leftovers.join(', ')}).\n`,
      );
    }
    io.stderr.write(
      `Worker ${worker.name} runs ${names.join(', ')} tasks from ${redactUrl(url)}${repo ? ` in its clone ${repo.dir} of ${remote}` : ''}; Ctrl-C or SIGTERM drains it.\n`,
    );
    await new Promise<void>((resolve) => {
      if (io.signal.aborted || lost.signal.aborted) resolve();
      io.signal.addEventListener('abort', () => resolve(), { once: true });
      lost.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    const taken = lost.signal.aborted && !io.signal.aborted;
    io.stderr.write(
      taken
        ? `Worker ${worker.name} lost its hold of its clone ${repo?.dir} (another worker took it over after this one went a minute without a heartbeat): draining, ${worker.running.length} running task(s) go back to the queue.\n`
        : `Draining ${worker.name}: ${worker.running.length} running task(s) go back to the queue.\n`,
    );
    await worker.drain();
    io.stderr.write(`Worker ${worker.name} stopped.\n`);
    return taken ? EXIT.locked : EXIT.ok;
  } finally {
    await held?.release();
  }
}
