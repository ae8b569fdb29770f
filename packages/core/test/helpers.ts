import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
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
    ...(config ? { config } : {}),
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
