import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** One process as /proc/<pid>/stat shows it. */
interface Proc {
  pid: number;
  ppid: number;
  pgid: number;
  /** R, S, D, Z (zombie), T, ... */
  state: string;
  /** When it started, in clock ticks since boot. */
  start: number;
}

const HAS_PROC = (() => {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
})();

/** /proc's processes, or only those with a PID above `above` (see {@link forkedAbove}). */
function readProcs(above = 0): Map<number, Proc> {
  const procs = new Map<number, Proc>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid < above) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: fields start after the last ')'.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.set(pid, {
        pid,
        state: f[0] ?? '?',
        ppid: Number(f[1]),
        pgid: Number(f[2]),
        start: Number(f[19]),
      });
    } catch {
      // ended while we looked
    }
  }
  return procs;
}

/**
 * The variable that marks every process of one attempt at one task: the
 * runner sets it for the agent and the task's commands (verify), every
 * process they start inherits it, and the value is recorded in the log
 * (`task-started`) before anything is spawned. So the processes of an attempt
 * can be found and ended even when one runs in its own session, lost its
 * parent, or its runner was killed before it could log a PID.
 */
export const RUN_MARKER_ENV = 'SPRINT_RUN_MARKER';

/** The marker of one attempt: unique per run, task and attempt number. */
export function runMarker(runId: string, taskId: string, attempt: number): string {
  return `${runId}/${taskId}/${attempt}`;
}

/**
 * PIDs of the processes whose environment holds `name=value`: everything an
 * agent started, including tools it put in their own session and processes
 * that lost their parent. Linux only; empty elsewhere.
 */
function processesWithEnv(name: string, value: string): number[] {
  if (!HAS_PROC) return [];
  const needle = Buffer.from(`${name}=${value}\0`);
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${pid}/environ`);
      if (environ.includes(needle)) found.push(pid);
    } catch {
      // ended, or not ours to read
    }
  }
  return found;
}

/** Processes carrying this attempt's marker (see {@link RUN_MARKER_ENV}). */
export function markedProcesses(marker: string): number[] {
  return processesWithEnv(RUN_MARKER_ENV, marker);
}

/**
 * The processes of `procs` carrying `name=value`, reading the environment
 * only of those started at or after `sinceTicks`: an older process cannot
 * carry a marker made later, and reading another process's environment
 * costs far more than its stat line.
 */
function withEnv(procs: Map<number, Proc>, name: string, value: string, sinceTicks: number) {
  const needle = Buffer.from(`${name}=${value}\0`);
  const found: number[] = [];
  for (const p of procs.values()) {
    if (p.start < sinceTicks || p.pid === process.pid || p.state === 'Z') continue;
    try {
      if (readFileSync(`/proc/${p.pid}/environ`).includes(needle)) found.push(p.pid);
    } catch {
      // ended, or not ours to read
    }
  }
  return found;
}

/**
 * Where the kernel's PID allocator stood: how many processes and threads had
 * been forked since boot (`processes` in /proc/stat), how many existed
 * (`nr_threads`, /proc/loadavg), and the largest PID it hands out. Undefined
 * where /proc does not say.
 */
export interface ForkClock {
  forks: number;
  threads: number;
  pidMax: number;
}

/** The {@link ForkClock} now. Costs three small reads of /proc. */
export function forkClock(): ForkClock | undefined {
  if (!HAS_PROC) return undefined;
  try {
    const forks = Number(/^processes (\d+)$/m.exec(readFileSync('/proc/stat', 'latin1'))?.[1]);
    const threads = Number(readFileSync('/proc/loadavg', 'latin1').split(' ')[3]?.split('/')[1]);
    const pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'latin1'));
    return [forks, threads, pidMax].every(Number.isSafeInteger)
      ? { forks, threads, pidMax }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether every process forked after `first` (a process forked after `before`
 * was read) has a PID above it, `now`: then only those PIDs can be its
 * descendants or carry its marker. Linux hands out PIDs in increasing order and
 * wraps to the bottom only after passing every PID above the last one, each
 * either handed out (a fork, counted) or in use (a process's PID, process
 * group or session: at most 3 per process, and the processes are at most those
 * that existed at `before` plus those forked since). So while 4 x forks + 3 x
 * threads stays below the PIDs left above `first`, no wrap can have happened.
 * No fork counted (not even `first`'s) means the counter is not the kernel's: no.
 */
export function forkedAbove(first: number, before: ForkClock, now: ForkClock): boolean {
  const forks = now.forks - before.forks;
  const room = Math.min(before.pidMax, now.pidMax) - 1 - first;
  return forks >= 1 && 4 * forks + 3 * before.threads < room;
}

/** The first process of an attempt, to tell its processes from older ones. */
export interface AttemptStart {
  /** When it started, in clock ticks since boot (see `processStartTime`). */
  ticks: number;
  pid?: number;
  /** The fork clock read before it was forked. */
  clock?: ForkClock;
}

/**
 * Ends everything of one attempt: the given roots (a process group leader),
 * every process carrying `marker`, and all their descendants; SIGTERM, then
 * SIGKILL after `graceMs` (see {@link endProcessTree}). `since`, when known
 * (the attempt's first process), spares reading the environment of older
 * processes, and with its PID and fork clock, while no wrap of the PIDs can
 * have happened since (see {@link forkedAbove}), their stat lines too: a
 * clean exit then costs a listing of /proc and the stat lines of the
 * processes started since, not of every process on the machine.
 */
export function endMarkedProcesses(
  marker: string | undefined,
  roots: readonly number[],
  graceMs: number,
  /** A number: the first process's start ticks alone (as before `AttemptStart`). */
  started: AttemptStart | number = 0,
): Promise<void> {
  if (!HAS_PROC) return endProcessTree(roots, graceMs);
  const since = typeof started === 'number' ? { ticks: started } : started;
  const now = since.pid !== undefined && since.clock ? forkClock() : undefined;
  const above =
    now && since.clock && since.pid !== undefined && forkedAbove(since.pid, since.clock, now)
      ? since.pid
      : 0;
  const procs = readProcs(above);
  const marked = marker ? withEnv(procs, RUN_MARKER_ENV, marker, since.ticks) : [];
  // A narrowed reading still holds every process of the tree: all were forked after `since`.
  return endProcessTree([...roots, ...marked], graceMs, procs);
}

function members(roots: readonly number[], procs: Map<number, Proc>): Proc[] {
  const rootSet = new Set(roots);
  const out = new Map<number, Proc>();
  for (const p of procs.values()) {
    if (rootSet.has(p.pid) || rootSet.has(p.pgid)) out.set(p.pid, p);
  }
  // Add descendants through parent links until nothing new turns up.
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of procs.values()) {
      if (!out.has(p.pid) && out.has(p.ppid)) {
        out.set(p.pid, p);
        grew = true;
      }
    }
  }
  return [...out.values()];
}

function send(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Ends a tree of processes: the processes in `roots`, their process groups
 * and all their descendants. All of them get each signal together (see
 * {@link signalTogether}), so none goes on to its next step when another ends:
 * `sh -c 'sleep 20; date > after'` must not write `after` because its `sleep`
 * died first. SIGTERM first, SIGKILL to whatever is left after `graceMs`.
 * Resolves when nothing of the tree is left but zombies whose parent is init
 * (where PID 1 does not reap orphans, as in some containers, they stay), or
 * after a hard cap of two grace periods plus a second.
 *
 * Without /proc (not Linux) it signals the roots' process groups instead.
 */
export async function endProcessTree(
  roots: readonly number[],
  graceMs: number,
  /** A fresh reading of /proc to start from, when the caller just made one. */
  first?: Map<number, Proc>,
): Promise<void> {
  if (roots.length === 0) return;
  if (!HAS_PROC) return endGroups(roots, graceMs);
  const started = performance.now();
  const signalled = new Map<number, NodeJS.Signals>();
  let procs = first;
  for (;;) {
    const elapsed = performance.now() - started;
    const tree = members(roots, procs ?? readProcs());
    procs = undefined;
    const live = tree.filter((p) => p.state !== 'Z' && p.state !== 'X');
    if (tree.length === 0) return;
    if (elapsed > graceMs * 2 + 1000) return; // what is left no signal can end
    if (live.length > 0) {
      const signal: NodeJS.Signals = elapsed >= graceMs ? 'SIGKILL' : 'SIGTERM';
      const due = live.filter((p) => signalled.get(p.pid) !== signal);
      for (const p of due) signalled.set(p.pid, signal);
      if (due.length > 0) signalTogether(roots, due, signal);
    } else if (tree.every((p) => p.ppid === 1)) {
      return; // only zombies whose parent is init are left: they are not ours to reap
    }
    await sleep(15);
  }
}

/**
 * Sends `signal` to the roots' process groups and to `procs` so that no
 * process sees another end before it has its own signal: all are stopped
 * first (a stopped process runs nothing, and a stop wakes no waiting parent),
 * then signalled, then continued. A group's signal reaches even a member
 * forked after /proc was read.
 */
function signalTogether(roots: readonly number[], procs: readonly Proc[], signal: NodeJS.Signals) {
  const groups = roots.filter((pid) => procs.some((p) => p.pgid === pid));
  for (const step of ['SIGSTOP', signal, 'SIGCONT'] as const) {
    for (const pgid of groups) send(-pgid, step);
    for (const p of procs) send(p.pid, step);
  }
}

async function endGroups(roots: readonly number[], graceMs: number): Promise<void> {
  const alive = () =>
    roots.filter((pid) => {
      try {
        process.kill(-pid, 0);
        return true;
      } catch {
        return false;
      }
    });
  for (const pid of alive()) send(-pid, 'SIGTERM');
  const deadline = performance.now() + graceMs;
  while (alive().length && performance.now() < deadline) await sleep(20);
  for (const pid of alive()) send(-pid, 'SIGKILL');
}
