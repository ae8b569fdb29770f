import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type AgentResult, failedResult } from '../model/agent-result.js';
import { InvalidOptionsError } from '../model/errors.js';
import type { NewRunEvent } from '../model/events.js';
import { type Task, taskLabel } from '../model/sprint.js';
import type { SprintStatus } from '../model/status.js';
import type {
  AttemptNext,
  PreparedWorkspace,
  TaskWorkspace,
  TaskWorkspaces,
  WorkspaceOpenContext,
} from '../runner/task-workspace.js';
import { atomicWriteFile } from '../stores/atomic-file.js';
import { git, gitSteps, gitText } from './git.js';
import { looseBranchHead } from './git-files.js';
import { MergeQueue, type QueueEvent } from './merge-queue.js';
import { commitTask } from './task-commit.js';
import {
  type GitProject,
  locateGitProject,
  type TaskWorktree,
  WorktreeManager,
} from './worktree-manager.js';
import {
  conflictResult,
  DEFAULT_MAX_DISK_BYTES,
  decideIsolation,
  fitsDiskBudget,
  formatSize,
  refComponent,
  sparesWanted,
  taskTrailer,
} from './worktree-policy.js';

/** What a sprint's isolation remembers between runs: where its work lands and where it began. */
interface Meta {
  target: string;
  base: string;
}

export interface WorktreeIsolationOptions {
  /** How often an integration waiting on the user's modified files looks again (ms). */
  pollMs?: number;
  /** Where worktrees go (a folder per sprint is made inside); default inside the git directory. */
  home?: string;
}

/**
 * Task isolation with git worktrees: each attempt works in a fresh worktree
 * on its own branch, its work is committed there as one commit and goes
 * through a merge queue onto the sprint's target branch. Chosen per run by
 * `isolation` (config or run option): `auto` isolates when more than one task
 * may run at once in a git project.
 */
export function worktreeIsolation(options: WorktreeIsolationOptions = {}): TaskWorkspaces {
  // What `check` found, for the `open` of the same run that follows it (git is asked once).
  let checked: { projectDir: string; project: Promise<GitProject | undefined> } | undefined;
  const locate = (projectDir: string) => {
    const found = checked?.projectDir === projectDir ? checked.project : undefined;
    checked = undefined;
    return found ?? locateGitProject(projectDir);
  };
  return {
    async check(ctx) {
      const setting = ctx.isolation ?? ctx.definition.config.isolation ?? 'auto';
      if (setting !== 'worktree') return;
      const project = locateGitProject(ctx.projectDir);
      checked = { projectDir: ctx.projectDir, project };
      const inGit = (await project) !== undefined;
      const decision = decideIsolation({ setting, concurrency: ctx.concurrency, inGit });
      if (decision.mode === 'error') throw new InvalidOptionsError(decision.why);
    },
    async open(ctx) {
      const setting = ctx.isolation ?? ctx.definition.config.isolation ?? 'auto';
      const inProject = ctx.sprintDir !== undefined;
      // Shared whatever git says, and no earlier isolated run to clean up after: ask git nothing.
      const sharedAnyway =
        setting === 'shared' || (setting === 'auto' && (ctx.concurrency <= 1 || !inProject));
      const isolatedBefore = Object.values(ctx.state.tasks).some((t) => t.worktree);
      if (sharedAnyway && !isolatedBefore) return undefined;
      const project = await locate(ctx.projectDir);
      const decision = decideIsolation({
        setting,
        concurrency: ctx.concurrency,
        inGit: project !== undefined,
        inProject,
      });
      if (decision.mode === 'error') throw new InvalidOptionsError(decision.why);
      if (!project) return undefined;
      // The sprints folder too (every sprint's files), when the sprint lives in one.
      const sprintsRoot =
        ctx.sprintDir && basename(dirname(ctx.sprintDir)) === 'sprints'
          ? dirname(ctx.sprintDir)
          : undefined;
      const hidden = [sprintsRoot, ctx.sprintDir, ctx.runtimeDir, ...ctx.stateFiles].filter(
        (p): p is string => typeof p === 'string',
      );
      const manager = new WorktreeManager({
        project,
        sprintId: ctx.sprintId,
        hidden,
        home: options.home ? join(options.home, ctx.sprintId) : undefined,
      });
      const session = new WorktreeSession(ctx, manager, options);
      await session.recover();
      if (decision.mode === 'shared') return undefined;
      await session.start(decision.why);
      return session;
    },
  };
}

class WorktreeSession implements TaskWorkspace {
  readonly #ctx: WorkspaceOpenContext;
  readonly #manager: WorktreeManager;
  readonly #options: WorktreeIsolationOptions;
  #queue!: MergeQueue;
  #meta!: Meta;
  #bytesPerWorktree: number | undefined;
  /** What a fresh worktree holds, from git, until one is measured. */
  #freshEstimate: Promise<number> | undefined;
  /** Bytes of the worktrees being made for attempts right now (not measurable yet). */
  #making = 0;
  /** Tasks that may run in this run (not done, skipped, blocked or cancelled when it opened). */
  readonly #waiting: number;
  /** Tasks this run gave a worktree. */
  readonly #started = new Set<string>();
  readonly #live = new Map<string, TaskWorktree>();
  /** Attempts working in their worktrees: prepared, not yet committed or settled. */
  #working = 0;
  /** Worktrees of attempts committed and waiting for the merge queue (they come back once settled). */
  readonly #returning = new Set<TaskWorktree>();
  readonly #conflicts = new Map<string, number>();
  /** Committed work of attempts that died before integration: task -> branch. */
  readonly #orphaned = new Map<string, string>();

  constructor(
    ctx: WorkspaceOpenContext,
    manager: WorktreeManager,
    options: WorktreeIsolationOptions,
  ) {
    this.#ctx = ctx;
    this.#manager = manager;
    this.#options = options;
    this.#waiting = ctx.definition.tasks.filter((t) =>
      WAITING.has(ctx.state.tasks[t.id]?.status ?? 'pending'),
    ).length;
    for (const [taskId, t] of Object.entries(ctx.state.tasks)) {
      const n = t.attempts.filter((a) => a.error?.kind === 'conflict').length;
      if (n) this.#conflicts.set(taskId, n);
    }
  }

  #emit(events: NewRunEvent[]): void {
    this.#ctx.emit(events);
  }

  get #metaPath(): string {
    return join(this.#manager.home, 'meta.json');
  }

  /** Whatever a crash left: the integration under way, dead attempts' worktrees and branches. */
  async recover(): Promise<void> {
    const meta = await readFile(this.#metaPath, 'utf8').then(
      (t) => JSON.parse(t) as Meta,
      () => undefined,
    );
    // The sprint never made a worktree (its first isolated run writes meta.json before any):
    // nothing to recover, and no git process to ask.
    const isolatedBefore = Object.values(this.#ctx.state.tasks).some((t) => t.worktree);
    if (!meta && !isolatedBefore) return;
    const notes: string[] = [];
    if (meta) {
      this.#meta = meta;
      this.#queue = this.#makeQueue();
      const did = await this.#queue.recover();
      if (did) notes.push(did);
    }
    const keep = new Set<string>();
    const { branches } = await this.#manager.list();
    for (const [taskId, t] of Object.entries(this.#ctx.state.tasks)) {
      const mine = branches.filter(
        (b) =>
          b.startsWith(`${this.#manager.branchPrefix}`) &&
          branchTask(b, this.#manager.branchPrefix) === refComponent(taskId),
      );
      if (t.status === 'blocked' && t.worktree?.branch && mine.includes(t.worktree.branch)) {
        keep.add(t.worktree.branch); // left for a person to inspect
        continue;
      }
      if (t.status === 'done' || !meta) continue;
      // A dead attempt that committed its work but was not integrated: keep it to integrate.
      for (const b of mine.sort().reverse()) {
        const body = await gitText(this.#manager.project.top, ['log', '-1', '--format=%B', b]);
        if (body.includes(taskTrailer(this.#ctx.sprintId, taskId))) {
          keep.add(b);
          this.#orphaned.set(taskId, b);
          break;
        }
      }
    }
    const removed = await this.#manager.prune(keep);
    if (removed.length)
      notes.push(`removed ${removed.length} worktree(s)/branch(es) of dead attempts`);
    if (notes.length)
      this.#emit([{ type: 'worktree', stage: 'recovered', detail: notes.join('; ') }]);
  }

  #makeQueue(): MergeQueue {
    return new MergeQueue({
      manager: this.#manager,
      sprintId: this.#ctx.sprintId,
      target: this.#meta.target,
      mergeVerify: this.#ctx.definition.config.mergeVerify,
      pollMs: this.#options.pollMs,
      onEvent: (e) => this.#onQueue(e),
    });
  }

  #onQueue(e: QueueEvent): void {
    const wt = this.#live.get(e.taskId);
    this.#emit([
      {
        type: 'worktree',
        taskId: e.taskId,
        attempt: wt?.attempt,
        stage: e.stage,
        branch: e.branch,
        commit: e.commit,
        detail: e.detail,
      },
    ]);
  }

  /** Decides (once per sprint) where the work lands, and says so. */
  async start(why: string): Promise<void> {
    if (!this.#meta) {
      const top = this.#manager.project.top;
      const configured = this.#ctx.definition.config.targetBranch;
      // One round trip: the branch checked out (unless configured) and where the target is.
      const [current, exists] = await gitSteps(
        top,
        [
          ...(configured
            ? []
            : [{ args: ['symbolic-ref', '-q', '--short', 'HEAD'], allowFail: true }]),
          {
            args: ['rev-parse', '--verify', '-q', configured ? `refs/heads/${configured}` : 'HEAD'],
          },
        ],
        { allowFail: true },
      ).then((outs) => (configured ? [undefined, outs[0]] : outs));
      const target = configured ?? current!.stdout.trim();
      if (!configured && (current!.code !== 0 || !target)) {
        throw new InvalidOptionsError(
          'isolation needs a branch for the work to land on, and HEAD is detached (fix: check out a branch, or set config target-branch, e.g. sprint/my-sprint)',
        );
      }
      if (exists?.code !== 0) await git(top, ['branch', target, 'HEAD']);
      const base =
        exists?.code === 0
          ? exists.stdout.trim()
          : await gitText(top, ['rev-parse', `refs/heads/${target}`]);
      this.#meta = { target, base };
      await atomicWriteFile(this.#metaPath, JSON.stringify(this.#meta)).catch(async () => {
        const { mkdir } = await import('node:fs/promises');
        await mkdir(this.#manager.home, { recursive: true });
        await atomicWriteFile(this.#metaPath, JSON.stringify(this.#meta));
      });
      this.#queue = this.#makeQueue();
    }
    this.#emit([
      {
        type: 'worktree',
        stage: 'mode',
        branch: this.#meta.target,
        path: this.#manager.home,
        detail: `a worktree per task (${why}); work lands on ${this.#meta.target}`,
      },
    ]);
  }

  async prepare(input: {
    task: Task;
    attempt: number;
    signal: AbortSignal;
    runMarker?: string;
  }): Promise<PreparedWorkspace> {
    const { task, attempt, signal } = input;
    const top = this.#manager.project.top;
    const orphan = this.#orphaned.get(task.id);
    this.#orphaned.delete(task.id);
    // Only a task that ran before can have integrated work or leftovers: a first attempt skips the look.
    if (attempt > 1 || orphan) {
      const integrated = await this.#queue.integratedCommit(task.id, this.#meta.base);
      if (integrated) {
        await this.#removeTaskWorktrees(task.id);
        return {
          result: success(
            `already integrated in ${integrated.slice(0, 12)} before the runner stopped`,
          ),
        };
      }
      await this.#removeTaskWorktrees(task.id, orphan);
    }
    const ref = `refs/heads/${this.#meta.target}`;
    // Measured, not estimated: agents fill worktrees (dependencies, builds), and kept ones stay.
    // (Measured while the head is read.)
    const measured = this.#manager.diskUse();
    // The head from its loose ref file where git keeps one: no git process.
    const read = await looseBranchHead(this.#manager.project.commonDir, this.#meta.target);
    const [head, headTree] = read
      ? [read]
      : (await gitText(top, ['rev-parse', ref, `${ref}^{tree}`])).split('\n');
    const maxBytes = this.#ctx.definition.config.worktrees?.maxDiskBytes ?? DEFAULT_MAX_DISK_BYTES;
    // Before the first worktree exists to measure, git says what a fresh one would hold.
    const estimated = this.#bytesPerWorktree === undefined;
    this.#freshEstimate ??= this.#manager.freshSize(head!);
    const perWorktree = this.#bytesPerWorktree ?? (await this.#freshEstimate);
    const usedBytes = await measured;
    // A finished attempt's worktree is reused: the next attempt takes no more disk than it did.
    const nextBytes = this.#manager.hasSpare ? 0 : perWorktree;
    // Worktrees other tasks are making right now (not on disk yet) count too.
    const making = this.#making;
    if (!fitsDiskBudget({ usedBytes: usedBytes + making, nextBytes, maxBytes })) {
      return {
        result: failedResult(
          'config',
          `another worktree would take the sprint's worktrees past worktrees.max-disk (${formatSize(usedBytes)} in use, measured,${making ? ` + ${formatSize(making)} for worktrees being made,` : ''} + ${formatSize(nextBytes)}${estimated ? ' (estimated from git)' : ''} for a fresh one > ${formatSize(maxBytes)}; fix: sprint clean, finish or clean blocked tasks, or raise worktrees.max-disk)`,
        ),
      };
    }
    this.#started.add(task.id);
    this.#making += nextBytes;
    this.#working++;
    let wt: TaskWorktree;
    try {
      wt = await this.#manager.create(task.id, attempt, head!, headTree);
      this.#bytesPerWorktree ??= await this.#manager.diskUse(wt.path);
    } catch (error) {
      this.#working--;
      throw error;
    } finally {
      this.#making -= nextBytes;
    }
    this.#live.set(task.id, wt);
    // While this attempt works, worktrees for the next tasks are made (one per slot at most, and
    // none when no further task waits), so starting one is a checkout of what changed, not a
    // worktree made from nothing. They count against the budget like any other.
    const spares = sparesWanted({
      working: this.#working,
      returning: this.#returning.size,
      waiting: this.#waiting - this.#started.size,
    });
    const ahead = this.#bytesPerWorktree * spares;
    if (
      spares > 0 &&
      fitsDiskBudget({ usedBytes: usedBytes + making, nextBytes: nextBytes + ahead, maxBytes })
    ) {
      this.#manager.makeSpares(head!, spares);
    }
    this.#emit([
      {
        type: 'worktree',
        taskId: task.id,
        attempt,
        stage: 'created',
        branch: wt.branch,
        path: wt.path,
      },
    ]);
    if (orphan) {
      // Committed work of an attempt that died before integrating it: integrate it, not redo it.
      const commit = await gitText(top, ['rev-parse', orphan]);
      await git(top, ['branch', '-q', '-D', orphan], { allowFail: true });
      const outcome = await this.#queue.integrate({
        wt,
        taskId: task.id,
        commit,
        verify: task.verify,
        signal,
        marker: input.runMarker,
      });
      if (outcome.kind === 'integrated') {
        const body = await gitText(top, ['log', '-1', '--format=%b', commit]);
        return {
          result: success(
            `integrated the work an earlier attempt committed before the runner stopped\n\n${body}`,
          ),
        };
      }
    }
    return { projectDir: wt.projectDir };
  }

  async finish(input: {
    task: Task;
    attempt: number;
    result: AgentResult;
    signal: AbortSignal;
    runMarker?: string;
    release?: () => void;
  }) {
    const { task, result, signal } = input;
    const wt = this.#live.get(task.id);
    if (!wt || !result.success) return result;
    const committed = await commitTask(
      wt,
      {
        sprintId: this.#ctx.sprintId,
        sprintName: this.#ctx.definition.name,
        taskId: task.id,
        taskType: task.type,
        label: taskLabel(task),
        summary: result.summary,
      },
      this.#manager.hiddenPaths,
      signal,
    );
    if (!committed) {
      this.#emit([
        {
          type: 'worktree',
          taskId: task.id,
          attempt: wt.attempt,
          stage: 'integrated',
          branch: wt.branch,
          detail: 'nothing to integrate: the task changed no files',
        },
      ]);
      return result;
    }
    const integrated = this.#queue.integrate({
      wt,
      taskId: task.id,
      commit: committed.commit,
      committed,
      verify: task.verify,
      signal,
      marker: input.runMarker,
    });
    // Committed on its branch (a crash now integrates it on resume): the merge queue takes it
    // from here, and the next task need not wait for it.
    this.#working--;
    this.#returning.add(wt);
    input.release?.();
    const outcome = await integrated;
    switch (outcome.kind) {
      case 'integrated':
        return result;
      case 'cancelled':
        return {
          ...result,
          success: false,
          error: { kind: 'cancelled' as const, message: outcome.message },
        };
      case 'verify-failed':
        return {
          ...result,
          success: false,
          summary: outcome.message,
          error: { kind: 'verify' as const, message: outcome.message },
        };
      case 'conflict': {
        const conflictsBefore = this.#conflicts.get(task.id) ?? 0;
        this.#conflicts.set(task.id, conflictsBefore + 1);
        return conflictResult({
          taskId: task.id,
          conflictsBefore,
          result,
          description: outcome.description,
          kept: `its worktree ${wt.path} (branch ${wt.branch}) is kept for you`,
        });
      }
    }
  }

  async settle(input: { task: Task; attempt: number; next: AttemptNext }): Promise<void> {
    const wt = this.#live.get(input.task.id);
    if (!wt || wt.attempt !== input.attempt) return;
    this.#live.delete(input.task.id);
    if (!this.#returning.delete(wt)) this.#working--;
    if (input.next === 'blocked' || input.next === 'needs-human') {
      this.#emit([
        {
          type: 'worktree',
          taskId: wt.taskId,
          attempt: wt.attempt,
          stage: 'kept',
          branch: wt.branch,
          path: wt.path,
          detail: `kept for inspection while ${wt.taskId} is ${input.next}`,
        },
      ]);
      return;
    }
    // Its folder is reset for the next attempt instead of written anew (the branch goes now).
    await this.#manager.recycle(wt);
    this.#emit([
      {
        type: 'worktree',
        taskId: wt.taskId,
        attempt: wt.attempt,
        stage: 'removed',
        branch: wt.branch,
      },
    ]);
  }

  /**
   * A completed sprint leaves nothing behind: worktrees kept while a task was
   * blocked or needed a person (a task a person then skipped) go too, each
   * recorded as `removed`, so `status` lists none. Otherwise only the spares go.
   */
  async close(input: { status: SprintStatus } = { status: 'paused' }): Promise<void> {
    if (input.status !== 'completed') return this.#manager.dropSpares();
    const { worktrees } = await this.#manager.list();
    await this.#manager.clean();
    this.#emitRemoved(worktrees.flatMap((w) => (w.branch ? [w.branch] : [])));
  }

  /** Removes the worktrees and branches of a task's earlier attempts (all but `except`). */
  async #removeTaskWorktrees(taskId: string, except?: string): Promise<void> {
    const { worktrees, branches } = await this.#manager.list();
    const prefix = this.#manager.branchPrefix;
    const mine = (b: string | undefined) =>
      b !== undefined && b !== except && branchTask(b, prefix) === refComponent(taskId);
    const removed: string[] = [];
    for (const w of worktrees) {
      if (!mine(w.branch)) continue;
      await this.#manager.remove(w);
      removed.push(w.branch!);
    }
    for (const b of branches) if (mine(b)) await this.#manager.remove({ branch: b });
    this.#emitRemoved(removed);
  }

  /** `removed` events for the worktrees (named by branch) of this sprint's tasks that went. */
  #emitRemoved(branches: readonly string[]): void {
    const prefix = this.#manager.branchPrefix;
    const events: NewRunEvent[] = [];
    for (const branch of branches) {
      const [, attempt] = /-(\d+)$/.exec(branch) ?? [];
      const ref = branchTask(branch, prefix);
      // Branch names are made of the task id (refComponent): find the task it names.
      const taskId = this.#ctx.definition.tasks.find((t) => refComponent(t.id) === ref)?.id;
      if (!taskId) continue;
      events.push({
        type: 'worktree',
        taskId,
        attempt: attempt ? Number(attempt) : undefined,
        stage: 'removed',
        branch,
      });
    }
    if (events.length) this.#emit(events);
  }
}

/** Task statuses that may still start in a run. */
const WAITING = new Set(['pending', 'running', 'failed']);

/** The task id in `sprint-task/<sprint>/<task>-<attempt>`. */
function branchTask(branch: string, prefix: string): string | undefined {
  if (!branch.startsWith(prefix)) return undefined;
  return branch.slice(prefix.length).replace(/-\d+$/, '');
}

function success(summary: string): AgentResult {
  return {
    success: true,
    summary,
    deferredItems: [],
    filesChanged: [],
    costUsd: 0,
    tokens: { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 },
    durationMs: 0,
  };
}
