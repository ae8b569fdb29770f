import { AsyncLocalStorage } from 'node:async_hooks';
import { SpawnServer, type StepOutput } from '../process/spawn-server.js';

/** What one git command printed and how it ended. */
export interface GitOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** A git command that failed where failure was not expected. */
export class GitCommandError extends Error {
  readonly args: string[];
  readonly code: number;
  readonly stderr: string;
  constructor(args: readonly (string | StepOutput)[], out: GitOutput) {
    const words = args.map((a) => (typeof a === 'string' ? a : `<output of step ${a.stdoutOf}>`));
    super(`git ${words.join(' ')} exited ${out.code}: ${out.stderr.trim() || out.stdout.trim()}`);
    this.name = 'GitCommandError';
    this.args = words;
    this.code = out.code;
    this.stderr = out.stderr;
  }
}

export interface GitOptions {
  signal?: AbortSignal;
  /** Extra environment variables (GIT_INDEX_FILE and the like). */
  env?: Record<string, string>;
  /** Resolve with the exit code instead of throwing on a non-zero exit. */
  allowFail?: boolean;
  /** Written to the command's stdin. */
  input?: string;
}

let spawned = 0;

/** How many git processes this module has started (the benchmark counts them per phase). */
export function gitSpawns(): number {
  return spawned;
}

// Identity only where git has none: the user's own identity wins when configured.
const FALLBACK_IDENTITY = {
  GIT_AUTHOR_NAME: 'sprint',
  GIT_AUTHOR_EMAIL: 'sprint@localhost',
  GIT_COMMITTER_NAME: 'sprint',
  GIT_COMMITTER_EMAIL: 'sprint@localhost',
};

/**
 * For a `git status` that only reads: git then refreshes no index, so it
 * takes no `index.lock` that a person's git (or a commit of ours) would meet.
 */
export const NO_OPTIONAL_LOCKS = { GIT_OPTIONAL_LOCKS: '0' };

/** Git commands go through one small helper process: a spawn from a large Node process costs more. */
const server = new SpawnServer();

/**
 * Git work nobody waits for at once (a finished task's commit, its
 * integration, worktrees made ahead) goes through a second helper at
 * niceness +10 while agents work: on a busy machine it yields the CPU to
 * them and to the runner's foreground steps (the worktree the next agent
 * needs). When no agent works, it is what the run waits for (the last
 * tasks' commits and integrations): then it runs at our own niceness.
 */
const background = new SpawnServer({ niceness: 10 });
const lane = new AsyncLocalStorage<'background'>();
/** Per owner (a run's isolation), how many of its agents work now. */
const working = new Map<object, number>();

/**
 * Runs `fn` with every git command it starts (also later, in what it
 * awaits or queues) going through the background helper while agents work.
 */
export function inBackground<T>(fn: () => T): T {
  return lane.run('background', fn);
}

/** Says how many agents of `owner` work now (0 when it is done): background git work yields to them. */
export function agentsWorking(owner: object, n: number): void {
  if (n > 0) working.set(owner, n);
  else working.delete(owner);
}

/**
 * Another short command (not git) through the same helper, where it runs
 * often enough for a spawn from Node to count (`du` before each worktree).
 */
export function runServed(file: string, args: readonly string[], cwd: string): Promise<GitOutput> {
  return server.run(file, args, { cwd, env: process.env });
}

/**
 * Runs one git command in `cwd`. Prompts and pagers are off, so git never
 * waits on a terminal, and aborting the signal ends it.
 */
export async function git(
  cwd: string,
  args: string[],
  options: GitOptions = {},
): Promise<GitOutput> {
  const [out] = await gitSteps(cwd, [{ args, input: options.input }], options);
  return out!;
}

/** One git command of `gitSteps`. */
export interface GitStep {
  /** Its arguments; `{ stdoutOf: i }` is the first line step `i` printed (a tree, a commit). */
  args: (string | StepOutput)[];
  /** Written to its stdin. */
  input?: string;
  /** The steps after it run even when it fails (`true`), or when it exits with one of these codes. */
  allowFail?: boolean | readonly number[];
}

/**
 * Runs git commands one after another in `cwd` in one round trip to the
 * helper (as `git a && git b`): the sequence stops at the first step that
 * fails (unless that step allows failure), which throws unless
 * `options.allowFail`. Resolves with the output of each step that ran.
 */
export async function gitSteps(
  cwd: string,
  steps: readonly GitStep[],
  options: Omit<GitOptions, 'input'> = {},
): Promise<GitOutput[]> {
  const helper = lane.getStore() === 'background' && working.size > 0 ? background : server;
  const outputs = await helper.runSteps(
    steps.map((s) => ({ file: 'git', args: s.args, input: s.input, allowFail: s.allowFail })),
    {
      cwd,
      signal: options.signal,
      env: {
        ...process.env,
        GIT_TERMINAL_PROMPT: '0',
        GIT_PAGER: 'cat',
        LC_ALL: 'C',
        ...options.env,
      },
    },
  );
  spawned += outputs.length;
  const last = outputs.length - 1;
  const out = outputs[last];
  const allowed = steps[last]?.allowFail;
  const goesOn = (code: number) =>
    code === 0 || allowed === true || (Array.isArray(allowed) && allowed.includes(code));
  const failed = out && !goesOn(out.code);
  if (failed && !options.allowFail) {
    throw new GitCommandError(steps[last]!.args, out!);
  }
  return outputs;
}

/** `git ...` and its trimmed stdout; throws on failure. */
export async function gitText(cwd: string, args: string[], options: GitOptions = {}) {
  return (await git(cwd, args, options)).stdout.trim();
}

/** The fallback author and committer used when the repository has no identity configured. */
export function identityEnv(cwd: string): Promise<Record<string, string>> {
  let env = identities.get(cwd);
  if (!env) {
    env = git(cwd, ['config', 'user.email'], { allowFail: true }).then((email) =>
      email.code === 0 && email.stdout.trim() ? {} : FALLBACK_IDENTITY,
    );
    identities.set(cwd, env);
    // Asked again next time if git could not answer at all.
    env.catch(() => identities.delete(cwd));
  }
  return env;
}

/** Identity per directory: asked once (also by commits that ask at the same moment), since a run commits many times. */
const identities = new Map<string, Promise<Record<string, string>>>();
