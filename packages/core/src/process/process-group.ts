// Whether a recorded process is still the one that was recorded. Ending
// processes is process-tree.ts's job.
import { readFileSync } from 'node:fs';

/** Whether a process with this PID exists (and may be signalled) on this host. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
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
