import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Whether a process with this PID exists (and may be signalled) on this host. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    // A negative PID signals the whole process group the agent leads.
    process.kill(-pid, signal);
    return true;
  } catch {
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * When the process started (clock ticks since boot, from /proc), to tell a
 * recorded PID from a later process that reuses it. Undefined off Linux.
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Alive, and the same process that was recorded (when its start time was). */
export function isSameProcessAlive(pid: number, startTime?: string): boolean {
  if (!isProcessAlive(pid)) return false;
  if (!startTime) return true;
  const now = processStartTime(pid);
  return now === undefined || now === startTime;
}

/**
 * Whether any live (not zombie) process is left in the group. On Linux this
 * reads /proc, because `kill(-pgid, 0)` also succeeds for zombies that an
 * init process has not reaped yet; elsewhere it falls back to that signal.
 */
export function processGroupAlive(pgid: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM' || isProcessAlive(pgid);
    }
  }
  for (const entry of entries) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}

const groupAlive = processGroupAlive;

/**
 * Ends a process group: SIGTERM, then SIGKILL after `graceMs`. Resolves once
 * nothing of the group is left (or after the SIGKILL when it cannot tell).
 * Used on stop and cancel, and on resume to end an orphaned agent.
 */
export async function terminateProcessGroup(
  pid: number,
  options: { graceMs?: number } = {},
): Promise<'not-running' | 'terminated' | 'killed'> {
  if (!groupAlive(pid)) return 'not-running';
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + (options.graceMs ?? 5000);
  while (Date.now() < deadline) {
    await sleep(25);
    if (!groupAlive(pid)) return 'terminated';
  }
  signalGroup(pid, 'SIGKILL');
  for (let i = 0; i < 40 && groupAlive(pid); i++) await sleep(25);
  return 'killed';
}
