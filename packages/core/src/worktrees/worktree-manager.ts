import {
  appendFile,
  mkdir,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  rmdir,
  stat,
  writeFile,
} from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { atomicWriteFile } from '../stores/atomic-file.js';
import { git, gitSteps, gitText, runServed } from './git.js';
import { unfinishedGitState, worktreeGitDir } from './git-files.js';
import { refComponent, sprintBranchPrefix, taskBranch } from './worktree-policy.js';

/**
 * Where worktrees go, inside the project (where Claude Code puts its own):
 * Claude Code refuses to write anywhere under `.git/`, and a folder outside
 * the project would leave the project's settings and CLAUDE.md behind.
 */
const WORKTREES_DIR = join('.claude', 'worktrees');

/** Where a git project lives: its top, the repository's common directory, and where the project sits inside. */
export interface GitProject {
  /** The working tree the project directory belongs to. */
  top: string;
  /** The repository's common git directory (shared by all its worktrees). */
  commonDir: string;
  /** The project directory relative to `top` ('' when it is the top). */
  subdir: string;
}

/** Finds the git repository a directory is in, or undefined when it is in none (or has no commit yet). */
export async function locateGitProject(projectDir: string): Promise<GitProject | undefined> {
  const out = await git(
    projectDir,
    [
      'rev-parse',
      '--path-format=absolute',
      '--show-toplevel',
      '--git-common-dir',
      '--verify',
      '-q',
      'HEAD',
    ],
    { allowFail: true },
  ).catch(() => undefined);
  if (out?.code !== 0) return undefined;
  const [top, commonDir] = out.stdout.trim().split('\n');
  if (!top || !commonDir) return undefined;
  return { top, commonDir, subdir: relative(top, resolve(projectDir)) };
}

/** One task attempt's worktree. */
export interface TaskWorktree {
  taskId: string;
  attempt: number;
  /** The main project's top (where its git identity is configured). */
  top?: string;
  branch: string;
  /** The worktree's top. */
  path: string;
  /** Where the project directory is inside the worktree: what the agent and verify see. */
  projectDir: string;
  /** The commit it was created from. */
  base: string;
  /** That commit's tree, when the caller knew it (saves asking git when committing). */
  baseTree?: string;
}

/** A worktree or branch of this sprint that git knows of. */
export interface ListedWorktree {
  path: string;
  branch?: string;
  head?: string;
}

export interface WorktreeManagerOptions {
  project: GitProject;
  sprintId: string;
  /**
   * Absolute paths that must not appear in a worktree (the sprint's own
   * directory and state files): a tracked copy is hidden there, so the
   * agent never mistakes it for the real one and never commits it.
   */
  hidden?: string[];
  /** Where worktrees go; default `<project>/.claude/worktrees/<sprint>`. */
  home?: string;
}

/**
 * Creates, lists and removes the worktrees and branches of one sprint's
 * tasks. Everything it makes is named after the sprint (branches under
 * `sprint-task/<sprint>/`, worktrees under one folder), so a crash can be
 * cleaned up by name and `sprint clean` removes exactly what the sprint made.
 */
export class WorktreeManager {
  readonly project: GitProject;
  readonly sprintId: string;
  readonly home: string;
  readonly #hidden: string[];
  /**
   * Worktrees waiting for the next attempt, their branches gone: finished
   * attempts' folders, and ones made ahead (`fresh`: nothing written in them since).
   */
  readonly #spares: Array<{ path: string; fresh: boolean }> = [];
  #sparesMade = 0;
  /** Spares being made ahead, in the background: all of them, and the one under way. */
  #making: Promise<void> | undefined;
  #makingOne: Promise<void> | undefined;
  /** How many spares `makeSpares` last asked for, and at which commit. */
  #spareWish = { base: '', count: 0 };
  /** Whether worktrees are recorded by writing git's files (`#record`), decided once. */
  #byHand: Promise<boolean> | undefined;
  /** Once per manager: worktrees made at the same time would each append the line. */
  #excluded: Promise<void> | undefined;
  #adminChain: Promise<unknown> = Promise.resolve();
  /** `#shared` commands under way. */
  readonly #readers = new Set<Promise<void>>();

  constructor(options: WorktreeManagerOptions) {
    this.project = options.project;
    this.sprintId = options.sprintId;
    this.home =
      options.home ?? join(options.project.top, WORKTREES_DIR, refComponent(options.sprintId));
    this.#hidden = (options.hidden ?? [])
      .map((p) => relative(options.project.top, p))
      .filter((p) => p && !p.startsWith('..') && !isAbsolute(p));
  }

  /** Paths (relative to the top) kept out of worktrees and commits. */
  get hiddenPaths(): readonly string[] {
    return this.#hidden;
  }

  get branchPrefix(): string {
    return sprintBranchPrefix(this.sprintId);
  }

  pathFor(taskId: string, attempt: number): string {
    return join(this.home, `${refComponent(taskId)}-${attempt}`);
  }

  /**
   * A fresh worktree for one attempt, on its own branch at `base`. Leftovers
   * of the same name (a crashed run) are removed first, so git never says
   * "branch already used by worktree".
   */
  async create(
    taskId: string,
    attempt: number,
    base: string,
    baseTree?: string,
  ): Promise<TaskWorktree> {
    const branch = taskBranch(this.sprintId, taskId, attempt);
    const path = this.pathFor(taskId, attempt);
    if (await exists(path)) await this.remove({ path, branch });
    const top = this.project.top;
    // One being made ahead is nearly ready: sooner than making another behind it.
    if (!this.#spares.length && this.#makingOne) await this.#makingOne;
    if (!(await this.#reuseSpare(path, branch, base))) {
      await this.#add(path, branch, base);
    }
    return {
      taskId,
      attempt,
      top,
      branch,
      path,
      projectDir: this.project.subdir ? join(path, this.project.subdir) : path,
      base,
      baseTree,
    };
  }

  /**
   * A new worktree at `path`, on `branch` at `base` (a branch of that name left
   * by a crash is taken over) or detached there, its files those of `base`
   * (the hidden paths left out).
   */
  async #add(path: string, branch: string | undefined, base: string): Promise<void> {
    await mkdir(this.home, { recursive: true });
    this.#excluded ??= this.#excludeHome().catch((error: unknown) => {
      this.#excluded = undefined;
      throw error;
    });
    await this.#excluded;
    this.#byHand ??= this.#canAddByHand();
    if ((await this.#byHand) && (await this.#record(path, branch, base)))
      return this.#fill(path, branch, base);
    // -B: a branch of that name left by a crash is taken over, never "already exists".
    const how = branch ? ['-B', branch] : ['--detach'];
    await this.#exclusive(() =>
      git(this.project.top, ['worktree', 'add', '-q', '--no-checkout', ...how, path, base]),
    );
    if (this.#hidden.length) await this.#writeSparse(await worktreeGitDir(path));
    await this.#fill(path, undefined, base);
  }

  /**
   * Fills a new worktree's index and folder from its HEAD (creating its branch
   * first when given), in one round trip. The sprint's own files stay out through
   * the worktree's sparse-checkout file; read-tree records stat data, so a later
   * `add -A` hashes nothing.
   */
  async #fill(path: string, branch: string | undefined, base: string): Promise<void> {
    await gitSteps(path, [
      ...(branch ? [{ args: ['update-ref', `refs/heads/${branch}`, base] }] : []),
      { args: [...this.sparseArgs, 'read-tree', '-m', '-u', 'HEAD'] },
    ]);
  }

  /**
   * Records a new worktree at `path` in the repository as `git worktree add
   * --no-checkout` does, by writing the same files: the folder's `.git`, and
   * the worktree's own folder in the repository (`gitdir`, `commondir`,
   * `HEAD`, and the sparse-checkout file), which is made under another name
   * and renamed into place, so no git process ever sees it half made and
   * worktrees are made side by side (`git worktree add` also starts git twice
   * more, for the branch and for HEAD). False, leaving nothing behind, where
   * that cannot be done (the folder or the name is taken, another file
   * system): then git makes it.
   */
  async #record(path: string, branch: string | undefined, base: string): Promise<boolean> {
    const id = basename(path);
    const admin = join(this.project.commonDir, 'worktrees', id);
    const draft = join(this.home, `.record-${id}`);
    try {
      await mkdir(path);
    } catch {
      return false;
    }
    try {
      const real = join(await realpath(dirname(path)), id);
      await mkdir(join(draft, 'info'), { recursive: true });
      await writeFile(join(real, '.git'), `gitdir: ${admin}\n`);
      await writeFile(join(draft, 'commondir'), '../..\n');
      await writeFile(join(draft, 'HEAD'), branch ? `ref: refs/heads/${branch}\n` : `${base}\n`);
      if (this.#hidden.length) await this.#writeSparse(draft);
      await writeFile(join(draft, 'gitdir'), `${join(real, '.git')}\n`);
      await mkdir(dirname(admin), { recursive: true });
      if (await exists(admin)) throw new Error(`${admin} exists`);
      await rename(draft, admin);
      return true;
    } catch {
      await rm(draft, { recursive: true, force: true });
      await rm(path, { recursive: true, force: true });
      return false;
    }
  }

  /**
   * Whether worktrees may be recorded by writing git's files: not where
   * `git worktree add` would carry settings over from the user's worktree
   * (their sparse-checkout patterns, per-worktree config), which git then does.
   */
  async #canAddByHand(): Promise<boolean> {
    const common = this.project.commonDir;
    const [config, perWorktree, sparse] = await Promise.all([
      readFile(join(common, 'config'), 'utf8').catch(() => ''),
      readFile(join(common, 'config.worktree'), 'utf8').catch(() => ''),
      exists(join(common, 'info', 'sparse-checkout')),
    ]);
    return !sparse && !/sparsecheckout|worktreeconfig/i.test(config + perWorktree);
  }

  /**
   * Makes worktrees for the next attempts ahead of time, in the background
   * (detached at `base`), until `count` wait: an attempt that starts then
   * only moves one to its branch, writing the files that changed since.
   * Failures are left to `create`, which makes its own.
   */
  makeSpares(base: string, count: number): void {
    // The newest wish counts, also for spares being made now.
    this.#spareWish = { base, count };
    if (this.#making) return;
    const one = async () => {
      const path = join(this.home, `.spare-${process.pid}-${++this.#sparesMade}`);
      try {
        await this.#add(path, undefined, this.#spareWish.base);
        this.#spares.push({ path, fresh: true });
        return true;
      } catch {
        await this.remove({ path });
        return false;
      }
    };
    const make = async () => {
      while (this.#spares.length < this.#spareWish.count) {
        const made = one();
        this.#makingOne = made.then(() => undefined);
        if (!(await made)) return;
      }
    };
    this.#making = make().finally(() => {
      this.#making = undefined;
      this.#makingOne = undefined;
    });
  }

  /**
   * Runs `fn` alone among this sprint's git commands that add or delete a
   * worktree's admin folder: git reads every worktree's admin folder (to see
   * where a branch is checked out) and fails on one another command is
   * writing or deleting at that moment ("failed to read
   * .git/worktrees/<name>/commondir"). Waits for those running beside each
   * other (`#shared`) to end first.
   */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = Promise.all([this.#adminChain, ...this.#readers]).then(fn, fn);
    this.#adminChain = run.catch(() => undefined);
    return run;
  }

  /**
   * Runs `fn` after the `#exclusive` commands queued before it, beside other
   * shared ones: commands that read the admin folders, or replace a file in
   * their own atomically (a checkout moving its HEAD), never add or delete one.
   */
  #shared<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#adminChain.then(fn, fn);
    const done = run.then(
      () => undefined,
      () => undefined,
    );
    this.#readers.add(done);
    void done.then(() => this.#readers.delete(done));
    return run;
  }

  /** Whether a finished attempt's worktree waits to be reused (the next attempt takes no more disk). */
  get hasSpare(): boolean {
    return this.#spares.length > 0 || this.#making !== undefined;
  }

  /**
   * A finished attempt's worktree, instead of being removed: its branch goes
   * (as with remove), its folder waits for the next attempt, which resets it
   * rather than writing every file of the project again. One whose git state
   * is unfinished (a lock, a rebase or merge under way) is removed instead.
   */
  async recycle(wt: { path: string; branch: string; base: string }): Promise<void> {
    const gitDir = await worktreeGitDir(wt.path).catch(() => undefined);
    if (!gitDir || !isInside(wt.path, this.home) || (await unfinishedGitState(gitDir))) {
      return this.remove(wt);
    }
    // HEAD detached (at any commit: the next attempt resets it; git will not do this and
    // delete the branch in one transaction), then the branch deleted.
    await atomicWriteFile(join(gitDir, 'HEAD'), `${wt.base}\n`);
    await git(this.project.top, ['update-ref', '-d', `refs/heads/${wt.branch}`]);
    const spare = join(this.home, `.spare-${process.pid}-${++this.#sparesMade}`);
    try {
      await this.#move(wt.path, spare, gitDir);
      this.#spares.push({ path: spare, fresh: false });
    } catch {
      await this.remove({ path: (await exists(spare)) ? spare : wt.path });
    }
  }

  /** Removes the worktrees waiting to be reused (at the end of a run). */
  async dropSpares(): Promise<void> {
    await this.#making;
    for (const { path } of this.#spares.splice(0)) await this.remove({ path });
  }

  /**
   * Turns a spare worktree into a fresh one for an attempt: moved to the
   * attempt's folder, on its new branch at `base`, with exactly the files of
   * `base` (only those that differ are written) and nothing else: what the
   * last agent left, ignored files too, is deleted. False when there is none.
   */
  async #reuseSpare(path: string, branch: string, base: string): Promise<boolean> {
    const popped = this.#spares.pop();
    if (!popped) return false;
    const spare = popped.path;
    try {
      await this.#move(spare, path, await worktreeGitDir(spare));
      // One round trip; one made ahead holds nothing but its files: only a used one is cleaned.
      await this.#shared(() =>
        gitSteps(path, [
          { args: [...this.sparseArgs, 'checkout', '-q', '-f', '-B', branch, base] },
          ...(popped.fresh ? [] : [{ args: ['clean', '-q', '-ffdx'] }]),
        ]),
      );
      await this.hide(path);
      return true;
    } catch {
      await this.remove({ path: (await exists(path)) ? path : spare });
      return false;
    }
  }

  /** Moves a worktree's folder and tells git where it went (what `git worktree move` writes). */
  async #move(from: string, to: string, gitDir: string): Promise<void> {
    await rename(from, to);
    await atomicWriteFile(join(gitDir, 'gitdir'), `${join(to, '.git')}\n`);
  }

  /** `-c core.sparseCheckout=true` where paths are hidden: git commands that write files in a worktree keep them out. */
  get sparseArgs(): string[] {
    return this.#hidden.length ? ['-c', 'core.sparseCheckout=true'] : [];
  }

  /** Everything but the hidden paths, in a worktree's own (per-worktree) sparse-checkout file. */
  async #writeSparse(gitDir: string): Promise<void> {
    const lines = ['/*', ...this.#hidden.map((p) => `!/${escapePattern(p.split(sep).join('/'))}`)];
    await mkdir(join(gitDir, 'info'), { recursive: true });
    await writeFile(join(gitDir, 'info', 'sparse-checkout'), `${lines.join('\n')}\n`);
  }

  /**
   * Keeps the worktrees folder out of the user's `git status` through the
   * repository's own exclude file (never a committed .gitignore).
   */
  async #excludeHome(): Promise<void> {
    const rel = relative(this.project.top, dirname(this.home));
    if (rel.startsWith('..') || isAbsolute(rel)) return;
    const file = join(this.project.commonDir, 'info', 'exclude');
    const line = `/${rel.split(sep).join('/')}/`;
    const text = await readFile(file, 'utf8').catch(() => '');
    if (text.split('\n').includes(line)) return;
    await mkdir(dirname(file), { recursive: true });
    await appendFile(file, `${text && !text.endsWith('\n') ? '\n' : ''}${line}\n`);
  }

  /**
   * Hides the sprint's files again in a worktree after something wrote them
   * (they are skip-worktree through its sparse-checkout file), deleting whatever is there.
   */
  async hide(path: string): Promise<void> {
    if (!this.#hidden.length) return;
    await Promise.all(
      this.#hidden.map((rel) => rm(join(path, rel), { recursive: true, force: true })),
    );
  }

  /** Removes a worktree (whatever is in it) and its branch; missing ones are fine. */
  async remove(target: { path?: string; branch?: string }): Promise<void> {
    const top = this.project.top;
    // Only ever a folder of ours: never anything outside this sprint's worktree home.
    if (target.path && isInside(target.path, this.home)) {
      // What `git worktree remove --force` does, without walking every file for changes
      // first: the folder and git's record of it (.git/worktrees/<name>) go.
      const gitDir = await worktreeGitDir(target.path).catch(() => undefined);
      await rm(target.path, { recursive: true, force: true });
      if (gitDir && isInside(gitDir, join(this.project.commonDir, 'worktrees'))) {
        await this.#exclusive(() => rm(gitDir, { recursive: true, force: true }));
      } else {
        await this.#exclusive(() => git(top, ['worktree', 'prune'], { allowFail: true }));
      }
    }
    if (target.branch) {
      await git(top, ['update-ref', '-d', `refs/heads/${target.branch}`], { allowFail: true });
    }
  }

  /** This sprint's worktrees (as git lists them) and branches. */
  async list(): Promise<{ worktrees: ListedWorktree[]; branches: string[] }> {
    const top = this.project.top;
    const out = await this.#shared(() => gitText(top, ['worktree', 'list', '--porcelain']));
    const worktrees: ListedWorktree[] = [];
    for (const block of out.split('\n\n')) {
      const lines = block.split('\n');
      const path = lines.find((l) => l.startsWith('worktree '))?.slice(9);
      if (!path || !isInside(path, this.home)) continue;
      const branch = lines
        .find((l) => l.startsWith('branch '))
        ?.slice(7)
        .replace(/^refs\/heads\//, '');
      const head = lines.find((l) => l.startsWith('HEAD '))?.slice(5);
      worktrees.push({ path, branch, head });
    }
    const refs = await gitText(top, [
      'for-each-ref',
      '--format=%(refname:short)',
      `refs/heads/${this.branchPrefix}`,
    ]);
    return { worktrees, branches: refs ? refs.split('\n') : [] };
  }

  /**
   * After a crash: forget worktrees whose folders are gone (`git worktree
   * prune`), then remove every worktree and branch of this sprint except
   * `keep` (branches of tasks a person should inspect, or whose committed
   * work still waits to be integrated).
   */
  async prune(keep: ReadonlySet<string> = new Set()): Promise<string[]> {
    const top = this.project.top;
    await this.#exclusive(() => git(top, ['worktree', 'prune'], { allowFail: true }));
    const { worktrees, branches } = await this.list();
    const removed: string[] = [];
    for (const w of worktrees) {
      if (w.branch && keep.has(w.branch)) {
        await this.clearStaleLocks(w.path);
        continue;
      }
      await this.remove({ path: w.path, branch: w.branch });
      removed.push(w.branch ?? w.path);
    }
    for (const b of branches) {
      if (keep.has(b) || removed.includes(b)) continue;
      await this.#exclusive(() => git(top, ['branch', '-q', '-D', b], { allowFail: true }));
      removed.push(b);
    }
    return removed;
  }

  /** A worktree kept after a crash: no index.lock of a dead git, no half-done rebase or merge. */
  async clearStaleLocks(path: string): Promise<void> {
    const gitDir = await gitText(path, ['rev-parse', '--path-format=absolute', '--git-dir']).catch(
      () => undefined,
    );
    if (!gitDir) return;
    await rm(join(gitDir, 'index.lock'), { force: true });
    for (const [marker, args] of [
      ['rebase-merge', ['rebase', '--abort']],
      ['rebase-apply', ['rebase', '--abort']],
      ['MERGE_HEAD', ['merge', '--abort']],
      ['CHERRY_PICK_HEAD', ['cherry-pick', '--abort']],
    ] as const) {
      if (await exists(join(gitDir, marker))) await git(path, [...args], { allowFail: true });
    }
  }

  /** Removes everything of this sprint: worktrees, branches, and its folder. */
  async clean(): Promise<string[]> {
    await this.#making;
    const removed = await this.prune();
    await rm(this.home, { recursive: true, force: true });
    // The shared worktrees folder goes too once no sprint uses it (rmdir fails on a non-empty one).
    await rmdir(dirname(this.home)).catch(() => undefined);
    return removed;
  }

  /**
   * What this sprint's worktrees take on disk, in bytes, measured (`du`): their
   * folders (files the agents wrote included, `node_modules` and all) and git's
   * record of each (its index), not the objects they share with the repository.
   * One worktree's when `path` is given.
   */
  async diskUse(path?: string): Promise<number> {
    const dirs = path ? [path] : await this.#ownDirs();
    if (!dirs.length) return 0;
    // -c: one total; hard links and shared folders counted once. Through git's helper: it runs
    // before every worktree, and a spawn from the runner's large process costs more.
    const { stdout } = await runServed('du', ['-skc', ...dirs], this.project.top).catch(() => ({
      stdout: '',
    }));
    // du exits non-zero when a file vanishes mid-walk (an agent deleting); the total still counts.
    const total = stdout.trim().split('\n').at(-1) ?? '';
    const kb = Number.parseInt(total, 10);
    return Number.isFinite(kb) ? kb * 1024 : 0;
  }

  /**
   * What a fresh worktree at `ref` would take, estimated from git without
   * checking anything out: the sizes of the files it would hold (the hidden
   * paths left out), as `git ls-tree -l` gives them. Used before any worktree
   * exists to measure.
   */
  async freshSize(ref: string): Promise<number> {
    const out = await gitText(this.project.top, ['ls-tree', '-r', '-l', '-z', ref]);
    const hidden = this.#hidden.map((h) => h.split(sep).join('/'));
    let bytes = 0;
    for (const entry of out.split('\0')) {
      // "<mode> blob <object> <size>\t<path>"; submodules (commit) have no size here.
      const tab = entry.indexOf('\t');
      if (tab < 0) continue;
      const [, type, , size] = entry.slice(0, tab).split(/\s+/);
      if (type !== 'blob') continue;
      const path = entry.slice(tab + 1);
      if (hidden.some((h) => path === h || path.startsWith(`${h}/`))) continue;
      bytes += Number.parseInt(size ?? '0', 10) || 0;
    }
    return bytes;
  }

  /** The sprint's worktree home and the admin folders (in the common git dir) of the worktrees in it. */
  async #ownDirs(): Promise<string[]> {
    const names = await readdir(this.home).catch(() => [] as string[]);
    const admin = await Promise.all(
      names.map((n) => worktreeGitDir(join(this.home, n)).catch(() => undefined)),
    );
    const common = join(this.project.commonDir, 'worktrees');
    const exists = await stat(this.home).then(
      () => true,
      () => false,
    );
    return [
      ...(exists ? [this.home] : []),
      ...admin.filter((d): d is string => d !== undefined && isInside(d, common)),
    ];
  }
}

/** A path as a literal sparse-checkout (gitignore) pattern. */
function escapePattern(path: string): string {
  return path.replace(/[\\*?[\]!#]/g, (c) => `\\${c}`);
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
