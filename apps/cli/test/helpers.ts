import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

/** The built CLI: tests run what users run. */
export const CLI = resolve(here, '../dist/bin.js');
export const FIXTURES = resolve(here, 'fixtures');
export const EXAMPLES = resolve(here, '../../../examples');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const baseEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  return env;
};

/** Runs `sprint ...args` to the end. */
export function runCli(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; cleanEnv?: boolean; timeoutMs?: number },
): Promise<CliResult> {
  const child = startCli(args, options);
  return child.done(options.timeoutMs ?? 60_000);
}

export interface RunningCli {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves when the output (stdout + stderr) matches. */
  waitForOutput(pattern: RegExp | string, timeoutMs?: number): Promise<void>;
  done(timeoutMs?: number): Promise<CliResult>;
}

const started = new Set<ChildProcess>();
afterEach(async () => {
  // A failed test must not leave a CLI running, nor its agents: those run in process groups
  // of their own, which a SIGKILL of the CLI leaves behind (a `resume` would end them; a test
  // never resumes). SIGTERM first, so the CLI stops them; SIGKILL if it has not ended in 10 s.
  const alive = [...started].filter((c) => c.exitCode === null && c.signalCode === null);
  started.clear();
  await Promise.all(
    alive.map(
      (child) =>
        new Promise<void>((resolveEnd) => {
          const timer = setTimeout(() => {
            child.kill('SIGKILL');
            resolveEnd();
          }, 10_000);
          child.once('close', () => {
            clearTimeout(timer);
            resolveEnd();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}, 20_000);

/** Starts `sprint ...args` and returns at once. */
export function startCli(
  args: string[],
  /** `cleanEnv`: only `env` (and NO_COLOR), nothing inherited from the test's environment. */
  options: { cwd: string; env?: NodeJS.ProcessEnv; cleanEnv?: boolean },
): RunningCli {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env: options.cleanEnv ? { NO_COLOR: '1', ...options.env } : { ...baseEnv(), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(child);
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    for (const l of listeners) l();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    for (const l of listeners) l();
  });
  const exited = new Promise<CliResult>((resolveExit) => {
    child.on('close', (code, signal) => resolveExit({ code, signal, stdout, stderr }));
  });
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    waitForOutput(pattern, timeoutMs = 15_000) {
      const matches = () =>
        typeof pattern === 'string'
          ? (stdout + stderr).includes(pattern)
          : pattern.test(stdout + stderr);
      return new Promise((resolveWait, reject) => {
        if (matches()) return resolveWait();
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(
              `timed out waiting for ${String(pattern)}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`,
            ),
          );
        }, timeoutMs);
        const check = () => {
          if (matches()) {
            clearTimeout(timer);
            listeners.delete(check);
            resolveWait();
          }
        };
        listeners.add(check);
        void exited.then(() => {
          if (!matches() && listeners.has(check)) {
            clearTimeout(timer);
            listeners.delete(check);
            reject(
              new Error(
                `exited before ${String(pattern)}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`,
              ),
            );
          }
        });
      });
    },
    done(timeoutMs = 60_000) {
      return new Promise((resolveDone, reject) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(
            new Error(
              `sprint ${args.join(' ')} did not end in ${timeoutMs} ms\n${stdout}\n${stderr}`,
            ),
          );
        }, timeoutMs);
        void exited.then((r) => {
          clearTimeout(timer);
          resolveDone(r);
        });
      });
    },
  };
}

/** A fresh temp directory, removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sprint-cli-'));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Copies a fixture (or any directory/file) to `dest`. */
export function copy(from: string, dest: string): string {
  cpSync(from, dest, { recursive: true });
  return dest;
}

/** Every file under `dir` with its bytes, to prove nothing changed. */
export function snapshotFiles(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p).toString('base64'));
    }
  };
  walk(dir);
  return out;
}

/** Polls until `check` returns a truthy value. */
export async function waitUntil<T>(
  check: () => T | Promise<T>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether a process exists (zombies included as gone). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

/** PIDs of processes whose command line contains `marker`. */
export function processesWith(marker: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** A sprint directory with shell tasks, in the original format. */
export function shellSprint(
  root: string,
  name: string,
  tasks: {
    id: string;
    command: string;
    dependsOn?: string[];
    priority?: string;
    verify?: string;
    /** The run pauses once this task is done. */
    pauseAfter?: boolean;
  }[],
  config: Record<string, string | number> = { agent: 'shell' },
): string {
  const dir = join(root, `2026-01-15_${name}`);
  mkdirSync(join(dir, 'context'), { recursive: true });
  writeFileSync(
    join(dir, 'SPRINT.yaml'),
    [
      `sprint-id: 2026-01-15_${name}`,
      `name: ${name}`,
      'created: 2026-01-15T09:00:00Z',
      'config:',
      '  auto-commit: false',
      ...Object.entries(config).map(([k, v]) => `  ${k}: ${v}`),
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'PROGRESS.yaml'),
    [
      `sprint-id: 2026-01-15_${name}`,
      'status: not-started',
      'current-task: null',
      'queue:',
      ...tasks.flatMap((t) => [
        `  - id: ${t.id}`,
        '    type: custom',
        `    priority: ${t.priority ?? 'medium'}`,
        `    description: Run ${JSON.stringify(t.command)}`,
        '    done-when: the command exits 0',
        `    command: ${JSON.stringify(t.command)}`,
        ...(t.dependsOn ? [`    depends-on: [${t.dependsOn.join(', ')}]`] : []),
        ...(t.verify ? [`    verify: ${JSON.stringify(t.verify)}`] : []),
        ...(t.pauseAfter ? ['    pause-after: true'] : []),
      ]),
      'completed: []',
      'blocked: []',
      '',
    ].join('\n'),
  );
  return dir;
}

/** Runs the CLI inside a pseudo-terminal (util-linux `script`), as a person at a terminal would. */
export function runInTerminal(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  columns = 100,
): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' ');
  return new Promise((resolve) => {
    const child = spawn('script', ['-qefc', command, '/dev/null'], {
      cwd,
      env: { ...env, COLUMNS: String(columns), TERM: 'xterm' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      output += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      output += d;
    });
    child.on('close', (code) => resolve({ code, output }));
  });
}
