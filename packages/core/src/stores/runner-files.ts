import { randomUUID } from 'node:crypto';
import { mkdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunResult } from '../runner/run-result.js';
import { atomicWriteFile } from './atomic-file.js';
import { readTextNoFollow, refuseLink } from './safe-fs.js';
import { logKeyId, openSignedJson, signJson, sprintKey } from './signed-json.js';
import type { ControlRequest } from './sprint-store.js';
import { quarantineName, type TamperFinding } from './tamper-findings.js';

/** The small signed files beside the log: a control request and the last run's result. */
const CONTROL_FILE = 'control.json';
const RESULT_FILE = 'result.json';
export const RUN_LOG = 'run.log';

const CONTROL_RANK = { pause: 0, stop: 1, cancel: 2 } as const;

/** Leaves a control request for the runner; a stronger one waiting is not weakened. */
export async function writeControlRequest(
  runtimeDir: string,
  request: ControlRequest,
): Promise<void> {
  await refuseLink(runtimeDir);
  await mkdir(runtimeDir, { recursive: true });
  const path = join(runtimeDir, CONTROL_FILE);
  const expect = logKeyId(runtimeDir);
  // A stronger request waiting to be taken is not weakened by a later one (cancel > stop > pause).
  const waiting = parseSigned<ControlRequest>(
    await readTextNoFollow(path).catch(() => null),
    expect,
  );
  if (waiting && CONTROL_RANK[waiting.action] > CONTROL_RANK[request.action]) return;
  await atomicWriteFile(path, `${signJson(JSON.stringify(request), sprintKey(runtimeDir))}\n`);
}

/**
 * Takes the waiting control request (at most one reader gets it): the request,
 * or the finding for one not written by `sprint pause|stop|cancel` (kept aside,
 * not obeyed), or null.
 */
export async function takeControlRequest(
  runtimeDir: string,
): Promise<ControlRequest | { forged: TamperFinding } | null> {
  const path = join(runtimeDir, CONTROL_FILE);
  const taken = `${path}.taken-${randomUUID()}`;
  try {
    await rename(path, taken);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const text = await readTextNoFollow(taken).catch(() => null);
    const read = text === null ? null : openSignedJson(text.trim(), logKeyId(runtimeDir));
    if (read?.kind === 'forged') {
      const name = quarantineName(CONTROL_FILE);
      await rename(taken, join(runtimeDir, name)).catch(() => undefined);
      return {
        forged: { file: CONTROL_FILE, detail: `a control request ${read.why}`, quarantined: name },
      };
    }
    return read ? validControl(JSON.parse(read.body)) : null;
  } catch {
    return null;
  } finally {
    await unlink(taken).catch(() => undefined);
  }
}

/** The shared and the task's context notes in `sprintDir/context`, where present. */
export async function readContextFiles(
  sprintDir: string,
  taskId: string,
): Promise<{ shared?: string; task?: string }> {
  const dir = join(sprintDir, 'context');
  const read = (name: string) =>
    readTextNoFollow(join(dir, name)).then(
      (t) => t ?? undefined,
      () => undefined,
    );
  const safe = /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(taskId) && !taskId.includes('..');
  const [shared, task] = await Promise.all([
    read('_shared.md'),
    safe ? read(`${taskId}.md`) : undefined,
  ]);
  return { shared, task };
}

export async function writeResultFile(runtimeDir: string, result: RunResult): Promise<void> {
  await refuseLink(runtimeDir);
  await atomicWriteFile(
    join(runtimeDir, RESULT_FILE),
    `${signJson(JSON.stringify(result, null, 2), sprintKey(runtimeDir))}\n`,
  );
}

/** The last run's result, or null when absent, not the runner's, or not a result. */
export async function readResultFile(runtimeDir: string): Promise<RunResult | null> {
  try {
    const { RunResultSchema } = await import('../runner/run-result.js');
    const raw = parseSigned<unknown>(
      await readTextNoFollow(join(runtimeDir, RESULT_FILE)),
      logKeyId(runtimeDir),
    );
    if (raw === null) return null;
    const parsed = RunResultSchema.safeParse(raw);
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The body of a signed JSON file, or null when absent, foreign or not JSON. */
function parseSigned<T>(text: string | null, expect: string | null): T | null {
  if (text === null) return null;
  const read = openSignedJson(text.trim(), expect);
  if (read.kind === 'forged') return null;
  try {
    return JSON.parse(read.body) as T;
  } catch {
    return null;
  }
}

/** A control request as `writeControlRequest` writes it, or null. */
function validControl(value: unknown): ControlRequest | null {
  const v = value as ControlRequest | null;
  return v && typeof v === 'object' && v.action in CONTROL_RANK ? v : null;
}
