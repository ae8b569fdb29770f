import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import { describeEnd, runCommand } from '../process/run-command.js';
import { atomicWriteFile } from '../stores/atomic-file.js';
import { GitCommandError, git, gitSteps, gitText, identityEnv, NO_OPTIONAL_LOCKS } from './git.js';
import { looseBranchHead } from './git-files.js';
import { type ChainItem, chainSteps, readChain } from './merge-chain.js';
import type { TaskCommit } from './task-commit.js';
import type { TaskWorktree, WorktreeManager } from './worktree-manager.js';
import {
  type ChangedPath,
  COMMIT_DIFF,
  type ConflictReport,
  checkoutBlockers,
  conflictHunks,
  describeConflict,
  parseCommitDiff,
  taskTrailer,
} from './worktree-policy.js';

/** Where an integration stands, as events, `status` and the API show it. */
export type QueueStage =
  | 'queued'
  | 'verifying'
  | 'waiting-for-user'
  | 'integrated'
  | 'conflicted'
  | 'verify-failed';

export interface QueueEvent {
  taskId: string;
  stage: QueueStage;
  branch: string;
  commit?: string;
  detail?: string;
}

export interface IntegrationRequest {
  wt: TaskWorktree;
  taskId: string;
  /** The task's one commit (on the worktree's branch). */
  commit: string;
  /** What `commitTask` said of that commit (its parent, tree, message, changes): git is not asked again. */
  committed?: TaskCommit;
  /** The task's own `verify`, run again on the integrated tree when that differs from what was verified. */
  verify?: string;
  signal?: AbortSignal;
  /** The attempt's run marker, carried by the verify so that a resume after a crash ends it. */
  marker?: string;
}

export type IntegrationOutcome =
  | { kind: 'integrated'; commit: string; previous: string }
  | { kind: 'conflict'; report: ConflictReport; description: string }
  | { kind: 'verify-failed'; message: string }
  | { kind: 'cancelled'; message: string };

export interface MergeQueueOptions {
  manager: WorktreeManager;
  sprintId: string;
  /** The branch the work lands on. */
  target: string;
  /** Replaces the task's `verify` on the integrated tree (for example the project's test suite). */
  mergeVerify?: string;
  verifyTimeoutMs?: number;
  /** How often a waiting integration looks at the user's checkout again (ms). */
  pollMs?: number;
  onEvent?: (event: QueueEvent) => void;
}

/** Written before the target branch and the user's checkout change; read by `recover` after a crash. */
interface Journal {
  taskId: string;
  target: string;
  old: string;
  new: string;
  /** The worktree where the target is checked out, when it is. */
  checkout?: string;
}

/** An integration that waits for the user's files while others are in line: it goes after them. */
const LATER = Symbol('later');

/**
 * Integrates finished tasks one at a time onto the target branch: a
 * three-way merge of the task's commit onto the newest head (in git's object
 * store, with `git merge-tree`: no rebase or merge ever runs in anybody's
 * working tree), `verify` on the integrated tree in the task's worktree, then
 * the branch moves with `update-ref <new> <old>`, so it moves to a verified
 * commit or not at all. Where the target is checked out, the user's files are
 * updated as `git checkout` would, and never over a file they changed: that
 * integration waits.
 */
export class MergeQueue {
  readonly #o: MergeQueueOptions;
  /** Integrations waiting their turn, in order, and whether they are being worked through. */
  readonly #waiting: Array<{
    request: IntegrationRequest;
    resolve: (outcome: IntegrationOutcome) => void;
    reject: (error: unknown) => void;
  }> = [];
  #draining = false;
  /** The target's head as this queue last saw or moved it: where a merge is tried first. */
  #head: string | undefined;
  /** Integrations that said they wait for the user (once each). */
  readonly #waitingSaid = new WeakSet<IntegrationRequest>();

  constructor(options: MergeQueueOptions) {
    this.#o = options;
  }

  get target(): string {
    return this.#o.target;
  }

  get #journalPath(): string {
    return join(this.#o.manager.home, 'journal.json');
  }

  get #top(): string {
    return this.#o.manager.project.top;
  }

  /**
   * Queues an integration; resolves when it is done. One at a time, in
   * order; integrations waiting together where none needs a verify go in one
   * step (each still its own commit on the target).
   */
  integrate(request: IntegrationRequest): Promise<IntegrationOutcome> {
    this.#emit(request, 'queued');
    return new Promise((resolve, reject) => {
      this.#waiting.push({ request, resolve, reject });
      void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    try {
      // Integrations queued in the same turn of the event loop wait together.
      await Promise.resolve();
      // How many in a row went to the back of the line, waiting for the user's files.
      let later = 0;
      while (this.#waiting.length) {
        const together = this.#waiting.slice(0, this.#together());
        const outcomes =
          together.length > 1
            ? await this.#integrate(together.map((w) => w.request)).catch(() => [])
            : [];
        if (outcomes !== LATER && outcomes.length) {
          for (const [i, w] of this.#waiting.splice(0, outcomes.length).entries())
            w.resolve(outcomes[i]!);
          continue;
        }
        const first = this.#waiting.shift()!;
        const done = await this.#integrate([first.request]).then(
          (outcomes) => {
            if (outcomes === LATER) return false;
            first.resolve(outcomes[0]!);
            return true;
          },
          (error: unknown) => {
            first.reject(error);
            return true;
          },
        );
        // It waits for the user's files and others are in line: they go first, it comes again.
        // When every one in line waits so, the queue looks again after a pause, not at once.
        if (done) {
          later = 0;
          continue;
        }
        this.#waiting.push(first);
        if (++later >= this.#waiting.length) {
          later = 0;
          await sleep(this.#o.pollMs ?? 1000);
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  /** How many of the waiting integrations go together: those first in line that need no verify. */
  #together(): number {
    const plain = (r: IntegrationRequest) =>
      !this.#o.mergeVerify && !r.verify && !r.signal?.aborted;
    let n = 0;
    while (n < Math.min(this.#waiting.length, 16) && plain(this.#waiting[n]!.request)) n++;
    return n;
  }

  /** The commit on the target that holds a task's integrated work, if one does. */
  async integratedCommit(taskId: string, since?: string): Promise<string | undefined> {
    const range = since ? `${since}..refs/heads/${this.#o.target}` : `refs/heads/${this.#o.target}`;
    const out = await git(
      this.#top,
      [
        'log',
        '-1',
        '--format=%H',
        '--fixed-strings',
        `--grep=${taskTrailer(this.#o.sprintId, taskId)}`,
        range,
      ],
      { allowFail: true },
    );
    return out.code === 0 && out.stdout.trim() ? out.stdout.trim() : undefined;
  }

  #emit(
    r: { taskId: string; wt: TaskWorktree },
    stage: QueueStage,
    extra: Partial<QueueEvent> = {},
  ) {
    this.#o.onEvent?.({ taskId: r.taskId, stage, branch: r.wt.branch, ...extra });
  }

  /**
   * Integrates the requests in order, together: one merge chain onto the
   * newest head, one update of the checkout and one move of the branch.
   * Several only where none needs a verify. Returns the outcomes of the
   * first ones it integrated; none (changing nothing) where one of them must
   * be integrated alone (a conflict, or the user's files to wait for), which
   * the caller then does. Alone, it always returns that one's outcome.
   */
  async #integrate(
    requests: readonly IntegrationRequest[],
  ): Promise<IntegrationOutcome[] | typeof LATER> {
    const top = this.#top;
    const ref = `refs/heads/${this.#o.target}`;
    let rs = requests;
    const items: ChainItem[] = await Promise.all(
      rs.map(async (r) => ({
        commit: r.commit,
        ...(r.committed ?? (await this.#describe(r.commit))),
      })),
    );
    const alone = rs.length === 1;
    const r = rs[0]!;
    const env = await identityEnv(top);
    let verified: string | undefined;
    let refusals = 0;
    let refreshed = false;
    let moves = 0;
    for (;;) {
      if (r.signal?.aborted) return [{ kind: 'cancelled', message: 'stopped before integration' }];
      // Where the target is checked out (files only, no git process), asked anew each round.
      const checkout = await this.#checkoutOf(this.#o.target);
      // The newest head (from its loose ref file, or git), and the merges onto it, in one round
      // trip. When git has to say where the head is, the merges are made on the head this queue
      // last saw, and used if the head is still there.
      const read = await looseBranchHead(this.#o.manager.project.commonDir, this.#o.target);
      const guess = read ?? this.#head ?? items[0]!.parent;
      const chain = (head: string, at: number) =>
        chainSteps(head, items, { diff: checkout !== undefined, at });
      const outs = await gitSteps(
        top,
        [...(read ? [] : [{ args: ['rev-parse', ref] }]), ...chain(guess, read ? 0 : 1)],
        { allowFail: true, env },
      );
      if (!read && outs[0]!.code !== 0) throw new GitCommandError(['rev-parse', ref], outs[0]!);
      const head = read ?? outs.shift()!.stdout.trim();
      this.#head = head;
      const result = readChain(
        head,
        items,
        head === guess ? outs : await gitSteps(top, chain(head, 0), { allowFail: true, env }),
      );
      if (result.kind === 'conflict' && result.index > 0) {
        // Those before it go together now; it goes alone after them.
        rs = rs.slice(0, result.index);
        items.splice(result.index);
        continue;
      }
      if (result.kind === 'conflict') {
        const report = await this.#conflictReport(result.tree, result.conflicted, r, head);
        const description = describeConflict(report);
        this.#emit(r, 'conflicted', { detail: result.conflicted.join(', ') });
        return [{ kind: 'conflict', report, description }];
      }
      const { commits, changed } = result;
      const candidate = commits.at(-1)!;
      const verifyCommand =
        this.#o.mergeVerify ?? (head === items[0]!.parent ? undefined : r.verify);
      // (A merge verified on one head needs no verify again when the head moved and the merged
      // tree is the same.)
      const key = result.tree ?? candidate;
      if (alone && verifyCommand && verified !== key) {
        this.#emit(r, 'verifying', { commit: candidate });
        const failure = await this.#verify(r, candidate, verifyCommand);
        if (failure) {
          this.#emit(r, 'verify-failed', { commit: candidate, detail: failure });
          return [{ kind: 'verify-failed', message: failure }];
        }
        verified = key;
      }
      // read-tree below refuses to overwrite a file the user modified or staged, or an
      // untracked one, but writes back one they deleted: only then ask git first.
      if (checkout && (await deletedAny(checkout, changed))) {
        if (!alone) return [];
        if (await this.#userWaits(r, checkout, changed, candidate)) {
          if (this.#waiting.length) return LATER;
          await sleep(this.#o.pollMs ?? 1000, r.signal);
          continue;
        }
      }
      const journal: Journal = {
        taskId: rs.map((x) => x.taskId).join(', '),
        target: this.#o.target,
        old: head,
        new: candidate,
        checkout,
      };
      await atomicWriteFile(this.#journalPath, JSON.stringify(journal));
      // Files first (refused, changing nothing, if the user touched one), then the branch,
      // in one round trip (in the checkout, whose HEAD names the branch).
      const what = `sprint: integrate ${journal.taskId}`;
      const [moved, advanced] = await gitSteps(
        checkout ?? top,
        [
          ...(checkout ? [{ args: ['read-tree', '-m', '-u', head, candidate] }] : []),
          { args: ['update-ref', '-m', what, ref, candidate, head] },
        ],
        { allowFail: true },
      ).then((outs) => (checkout ? outs : [undefined, outs[0]]));
      if (moved && moved.code !== 0) {
        await unlink(this.#journalPath).catch(() => undefined);
        if (!alone) return [];
        // A file only touched (same content, new time stamp: an editor's save, a formatter)
        // is "not uptodate" until the index is refreshed, which read-tree does not do.
        if (!refreshed) {
          refreshed = true;
          await git(checkout!, ['update-index', '-q', '--refresh'], { allowFail: true });
          continue;
        }
        refreshed = false;
        // Refused: the user changed a file it would write. Say which, and wait for them
        // (as long as they take); a refusal git cannot explain is tried a few more times.
        const waits = await this.#userWaits(r, checkout!, changed, candidate);
        if (!waits && ++refusals > 50)
          throw new Error(`could not update ${checkout}: ${moved.stderr.trim()}`);
        if (waits && this.#waiting.length) return LATER;
        await sleep(this.#o.pollMs ?? 1000, r.signal);
        continue;
      }
      if (advanced?.code !== 0) {
        // Someone moved the branch meanwhile: put the checkout back and integrate onto the new head.
        if (checkout)
          await git(checkout, ['read-tree', '-m', '-u', candidate, head], { allowFail: true });
        await unlink(this.#journalPath).catch(() => undefined);
        if (++moves > 50)
          throw new Error(`the branch ${this.#o.target} kept moving: ${advanced?.stderr.trim()}`);
        continue;
      }
      this.#head = candidate;
      await unlink(this.#journalPath).catch(() => undefined);
      return rs.map((x, i) => {
        this.#emit(x, 'integrated', { commit: commits[i] });
        return { kind: 'integrated', commit: commits[i]!, previous: i ? commits[i - 1]! : head };
      });
    }
  }

  /** What integrating a commit made elsewhere needs to know of it (a dead attempt's, a worker's). */
  async #describe(commit: string): Promise<Required<Omit<TaskCommit, 'commit'>>> {
    const [diff, body] = await gitSteps(this.#top, [
      { args: [...COMMIT_DIFF, commit] },
      { args: ['log', '-1', '--format=%B', commit] },
    ]);
    const d = parseCommitDiff(diff!.stdout);
    return {
      parent: d.parents[0] ?? '',
      tree: d.tree,
      changed: d.changed,
      message: `${body!.stdout.trim()}\n`,
    };
  }

  /**
   * Whether integrating must wait for the user: the files it changes that they
   * modified, staged, deleted or left untracked in `checkout`, said once per
   * integration.
   */
  async #userWaits(
    r: IntegrationRequest,
    checkout: string,
    changed: readonly ChangedPath[],
    candidate: string,
  ): Promise<boolean> {
    const paths = changed.map((c) => c.path);
    const blockers = checkoutBlockers(paths, await dirtyPaths(checkout, paths));
    if (!blockers.length) return false;
    if (!this.#waitingSaid.has(r)) {
      this.#waitingSaid.add(r);
      this.#emit(r, 'waiting-for-user', {
        commit: candidate,
        detail: `waiting: integrating would change ${blockers.join(', ')}, which you modified in ${checkout}; commit, stash or revert them and it continues`,
      });
    }
    return true;
  }

  /** Runs the verify command on the integrated tree in the task's worktree; a failure message, or undefined. */
  async #verify(
    r: IntegrationRequest,
    candidate: string,
    command: string,
  ): Promise<string | undefined> {
    // The sprint's files stay out (sparse checkout); hide() deletes whatever the agent left there.
    await git(r.wt.path, [...this.#o.manager.sparseArgs, 'reset', '-q', '--hard', candidate]);
    await this.#o.manager.hide(r.wt.path);
    const result = await runCommand(command, {
      cwd: r.wt.projectDir,
      signal: r.signal,
      marker: r.marker,
      timeoutMs: this.#o.verifyTimeoutMs ?? 10 * 60_000,
    });
    if (result.endedBy === 'exit' && result.exitCode === 0) return undefined;
    return `\`${command}\` on the integrated tree ${describeEnd(result)}${result.tail.trim() ? `\n${result.tail.trim()}` : ''}`;
  }

  async #conflictReport(
    tree: string,
    files: string[],
    r: IntegrationRequest,
    head: string,
  ): Promise<ConflictReport> {
    const top = this.#top;
    const out: ConflictReport['files'] = [];
    for (const path of files.slice(0, 20)) {
      const text = await git(top, ['cat-file', 'blob', `${tree}:${path}`], { allowFail: true });
      const log = await git(
        top,
        [
          'log',
          '--format=%(trailers:key=Sprint-Task,valueonly,separator=%x2C)%x00%h %s',
          `${r.wt.base}..${head}`,
          '--',
          path,
        ],
        { allowFail: true },
      );
      const changedBy = new Set<string>();
      for (const line of log.stdout.split('\n')) {
        if (!line.includes('\0')) continue;
        const [trailer, subject] = line.split('\0');
        const task = trailer?.trim().split('/').pop();
        changedBy.add(task ? `task ${task}` : (subject ?? '').trim());
      }
      out.push({
        path,
        hunks: text.code === 0 ? conflictHunks(text.stdout) : [],
        changedBy: [...changedBy],
      });
    }
    return { files: out, head };
  }

  /**
   * The worktree (outside the sprint's own) where a branch is checked out, if
   * any. Read from the files `git worktree list` reads (each worktree's HEAD and
   * where it lives), asked anew for every integration: the user may switch
   * branches while the sprint runs.
   */
  async #checkoutOf(branch: string): Promise<string | undefined> {
    const common = this.#o.manager.project.commonDir;
    const wanted = `ref: refs/heads/${branch}`;
    const head = (dir: string) =>
      readFile(join(dir, 'HEAD'), 'utf8').then(
        (t) => t.trim(),
        () => '',
      );
    // Anything but a plain `<top>/.git` (a separate git dir, a bare repository): ask git.
    if (basename(common) !== '.git') return this.#checkoutOfByGit(branch);
    if ((await head(common)) === wanted) return dirname(common);
    const linked = await readdir(join(common, 'worktrees')).catch(() => [] as string[]);
    for (const name of linked) {
      const admin = join(common, 'worktrees', name);
      if ((await head(admin)) !== wanted) continue;
      const gitFile = await readFile(join(admin, 'gitdir'), 'utf8').catch(() => '');
      const path = dirname(gitFile.trim());
      if (gitFile.trim() && !isInside(path, this.#o.manager.home)) return path;
    }
    return undefined;
  }

  async #checkoutOfByGit(branch: string): Promise<string | undefined> {
    const out = await gitText(this.#top, ['worktree', 'list', '--porcelain']);
    for (const block of out.split('\n\n')) {
      const lines = block.split('\n');
      if (!lines.includes(`branch refs/heads/${branch}`)) continue;
      const path = lines.find((l) => l.startsWith('worktree '))?.slice(9);
      if (path && !isInside(path, this.#o.manager.home)) return path;
    }
    return undefined;
  }

  /**
   * After a crash: finish or undo the integration that was under way, so the
   * branch and the user's checkout agree, no stale lock is left, and nothing
   * is integrated twice. Returns what it did, or undefined when nothing was under way.
   */
  async recover(): Promise<string | undefined> {
    const raw = await readFile(this.#journalPath, 'utf8').catch(() => undefined);
    if (raw === undefined) return undefined;
    let j: Journal;
    try {
      j = JSON.parse(raw) as Journal;
    } catch {
      await unlink(this.#journalPath).catch(() => undefined);
      return 'dropped an unreadable integration journal';
    }
    const top = this.#top;
    const ref = `refs/heads/${j.target}`;
    const journalAt = (await stat(this.#journalPath)).mtimeMs;
    // Locks younger than the journal were left by our git processes, which died with the runner.
    await removeIfNewer(join(this.#o.manager.project.commonDir, `${ref}.lock`), journalAt);
    if (j.checkout) {
      const gitDir = await gitText(j.checkout, [
        'rev-parse',
        '--path-format=absolute',
        '--git-dir',
      ]);
      await removeIfNewer(join(gitDir, 'index.lock'), journalAt);
      // update-ref of a checked-out branch locks HEAD too (for its reflog).
      await removeIfNewer(join(gitDir, 'HEAD.lock'), journalAt);
    }
    const at = await gitText(top, ['rev-parse', '--verify', ref]);
    let did: string;
    if (at === j.new) {
      if (j.checkout && (await indexMatches(j.checkout, j.old))) {
        await git(j.checkout, ['read-tree', '-m', '-u', j.old, j.new]);
      }
      did = `finished integrating ${j.taskId} (${j.new.slice(0, 12)})`;
    } else if (at === j.old && j.checkout && (await indexMatches(j.checkout, j.new))) {
      await git(top, ['update-ref', ref, j.new, j.old]);
      did = `finished integrating ${j.taskId} (${j.new.slice(0, 12)})`;
    } else {
      if (j.checkout && at === j.old) await rollBackCheckout(j.checkout, j.old, j.new);
      did = `undid the unfinished integration of ${j.taskId}; it is integrated again`;
    }
    await unlink(this.#journalPath).catch(() => undefined);
    return did;
  }
}

/** Whether a path the commit changes or deletes is gone from the checkout (the user deleted it). */
async function deletedAny(checkout: string, changed: readonly ChangedPath[]): Promise<boolean> {
  const gone = await Promise.all(
    changed
      .filter((c) => c.status !== 'A')
      .map((c) =>
        lstat(join(checkout, c.path)).then(
          () => false,
          () => true,
        ),
      ),
  );
  return gone.some(Boolean);
}

async function removeIfNewer(path: string, sinceMs: number): Promise<void> {
  const st = await stat(path).catch(() => undefined);
  if (st && st.mtimeMs >= sinceMs - 1000) await rm(path, { force: true });
}

/** Whether a checkout's index holds exactly a commit's tree. */
async function indexMatches(checkout: string, commit: string): Promise<boolean> {
  const out = await git(checkout, ['diff-index', '--cached', '--quiet', commit], {
    allowFail: true,
  });
  return out.code === 0;
}

/**
 * A read-tree killed half-way wrote some of the new files without moving
 * the index: put back exactly the files that hold the new content (and only
 * those), so the checkout is at `old` again.
 */
async function rollBackCheckout(checkout: string, old: string, next: string): Promise<void> {
  const diff = await gitText(checkout, ['diff', '--name-status', '-z', '--no-renames', old, next]);
  const parts = diff.split('\0').filter(Boolean);
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const status = parts[i]!;
    const path = parts[i + 1]!;
    const newBlob = await git(checkout, ['rev-parse', `${next}:${path}`], { allowFail: true });
    const content = await readFile(join(checkout, path)).catch(() => undefined);
    if (!content || newBlob.code !== 0) continue;
    if (gitBlobId(content) !== newBlob.stdout.trim()) continue;
    if (status === 'A') await rm(join(checkout, path), { force: true });
    else await git(checkout, ['checkout', old, '--', path], { allowFail: true });
  }
}

function gitBlobId(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

/**
 * Paths modified, staged, deleted or untracked in a checkout (relative to its
 * top); only among `among` when given, so a large checkout is not walked whole.
 */
async function dirtyPaths(checkout: string, among?: readonly string[]): Promise<string[]> {
  const limit = among && among.length <= 1000 ? ['--', ...among.map((p) => `:(literal)${p}`)] : [];
  if (among && !among.length) return [];
  // Read-only: no index.lock in the user's checkout for their own git to run into.
  const out = await git(
    checkout,
    ['status', '--porcelain=v1', '-z', '--untracked-files=all', ...limit],
    {
      env: NO_OPTIONAL_LOCKS,
    },
  );
  const entries = out.stdout.split('\0');
  const paths: string[] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    if (entry.length < 4) continue;
    paths.push(entry.slice(3));
    if (entry[0] === 'R' || entry[0] === 'C') paths.push(entries[++i] ?? '');
  }
  return paths.filter(Boolean);
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
