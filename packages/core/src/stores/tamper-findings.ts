import { randomUUID } from 'node:crypto';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { NewRunEvent } from '../model/events.js';
import { plural } from '../model/plural.js';
import type { SprintState } from '../model/state.js';
import { EVENT_LOG } from './event-log.js';

/** A foreign write into one of the runner's files. */
export interface TamperFinding {
  /** The runner file's name (events.jsonl, state.json, PROGRESS.yaml). */
  file: string;
  detail: string;
  /** A file whose current bytes are to be kept aside before the runner rewrites it. */
  keep?: string;
  /** Where the foreign bytes were already kept. */
  quarantined?: string;
  /** The tasks known to have been running when it happened, besides those running now. */
  taskIds?: string[];
}

/** Where foreign bytes of `file` are kept: beside it, named by the time they were found. */
export function quarantineName(file: string, now = new Date()): string {
  return `${file}.foreign-${now.toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 6)}`;
}

/** Moves `file` in `dir` to its quarantine name: the name, or undefined when there was no such file. */
export async function moveAside(dir: string, file: string): Promise<string | undefined> {
  const name = quarantineName(file);
  try {
    await rename(join(dir, file), join(dir, name));
    return name;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The event that records a foreign write, naming the tasks that were running. */
export function tamperingEvent(
  finding: TamperFinding,
  state: SprintState,
  recent: Iterable<string> = [],
): NewRunEvent {
  return {
    type: 'tampering',
    file: finding.file,
    detail: finding.detail,
    taskIds: [...new Set([...(finding.taskIds ?? []), ...runningTasks(state), ...recent])],
    quarantined: finding.quarantined,
  };
}

/** The tasks running in `state`: the likely writers of anything foreign. */
export function runningTasks(state: SprintState): string[] {
  return Object.entries(state.tasks)
    .filter(([, t]) => t.status === 'running')
    .map(([id]) => id);
}

/** One finding for the foreign lines of the log. */
export function describeForeign(
  lines: { start: number; end: number; why: string }[],
): TamperFinding {
  const bytes = lines.reduce((n, l) => n + l.end - l.start, 0);
  const whys = [...new Set(lines.map((l) => l.why))].join('; ');
  return {
    file: EVENT_LOG,
    detail: `${plural(lines.length, 'line')} (${bytes} bytes) the runner did not write: ${whys}`,
  };
}
