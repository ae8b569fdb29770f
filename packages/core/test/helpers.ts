import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Task } from '../src/model/sprint.js';
import { SprintDirectoryStore } from '../src/stores/sprint-directory-store.js';

export const CHILD = join(import.meta.dirname, 'fixtures', 'run-sprint.mjs');

export async function tempSprint(
  tasks: Partial<Task>[],
  /** SPRINT.yaml's config over the defaults (max-tasks 10, time-box 4h, ...). */
  config?: Record<string, unknown>,
): Promise<{
  root: string;
  dir: string;
  id: string;
  store: SprintDirectoryStore;
  cleanup: () => Promise<void>;
}> {
  const root = await mkdtemp(join(tmpdir(), 'sprint-proc-'));
  const store = new SprintDirectoryStore({ root });
  const id = await store.create({
    name: 'proc',
    // The sprint's own folder is its project, whatever holds the temp dir: unpinned, a .git in
    // an ancestor (a TMPDIR inside a checkout, a /tmp/.git another test left for a moment) made
    // that ancestor the project, and the agents wrote their files there (see processes.test.ts).
    config: { 'project-dir': '.', ...config },
    tasks: tasks.map(
      (t) => ({ type: 'shell', priority: 'medium', dependsOn: [], fields: {}, ...t }) as Task,
    ),
  });
  return {
    root,
    dir: join(root, id),
    id,
    store,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

export function startChild(
  path: string,
  mode: 'run' | 'resume' = 'run',
  agent = 'shell',
): ChildProcess & {
  output: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>;
} {
  const child = spawn(process.execPath, [CHILD, path, mode, agent], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const output = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
  }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout: stdout + stderr })),
  );
  return Object.assign(child, { output });
}

export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * The content of `path` once the runner process `child` wrote it (through its
 * agent). Fails at once, with the child's output, when the child ends first:
 * a runner that died or finished early never writes it, and waiting out the
 * deadline would hide why.
 */
export async function childWrote(
  child: ReturnType<typeof startChild>,
  path: string,
  // Under the process tests' 120 s limit: a runner's start alone took seconds at a load of 20.
  timeoutMs = 100_000,
): Promise<string> {
  let ended: { code: number | null; signal: NodeJS.Signals | null; stdout: string } | undefined;
  void child.output.then((o) => (ended = o));
  return waitFor(async () => {
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text?.trim()) return text;
    if (ended) {
      throw new Error(
        `the runner ended (code ${ended.code}, signal ${ended.signal}) before ${path} was written:\n${ended.stdout}`,
      );
    }
    return undefined;
  }, timeoutMs);
}

/** Alive and not a zombie waiting for init to reap it. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
