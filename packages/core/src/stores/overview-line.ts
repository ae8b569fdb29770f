import { createHash } from 'node:crypto';
import { SPRINT_STATUSES, TASK_STATUSES } from '../model/transitions.js';
import type { SprintOverview } from '../workspace/describe-sprint.js';

/**
 * PROGRESS.yaml's last line, a YAML comment: the overview `sprint status`
 * shows, as the runner computed it when it wrote the file, with the digest of
 * the bytes it describes (SPRINT.yaml's and every line of PROGRESS.yaml above
 * it). A sprint with no runner files beside it (a `git clone`: they are
 * gitignored) is otherwise parsed whole on every status, 10,000 tasks at a
 * time, on every machine that has not seen those bytes.
 *
 * A content check, not a trust: a changed byte in either file (a hand edit, a
 * merge, a tool that rewrites the YAML) is another digest, and the line is
 * passed over for a full read. The line says no more than the lines above it
 * (whoever can write it can write them), and it is read only where nothing
 * else is known: never beside the runner's own files, which say what the
 * runner recorded and find foreign writes. What does not look like an
 * overview is passed over the same way.
 *
 *     # overview 1 <digest> {"id":"…","status":"paused",…}
 */

/** The line's layout and what it holds: bump it when `SprintOverview` changes shape or meaning. */
export const OVERVIEW_LINE_FORMAT = 1;
const PREFIX = '# overview ';
/** An overview is small whatever the sprint's size; a larger one (many blocked tasks) is not written. */
const MAX_JSON_BYTES = 64 * 1024;

/** The digest of what the line describes: SPRINT.yaml's digest and PROGRESS.yaml's lines above it. */
function digest(sprintYamlHash: string, body: string | Uint8Array): string {
  return createHash('sha256')
    .update(`sprint-overview ${OVERVIEW_LINE_FORMAT}\n${sprintYamlHash}\n`)
    .update(body)
    .digest('base64url');
}

/**
 * The line to end PROGRESS.yaml's `body` with, for a SPRINT.yaml whose bytes
 * have `sprintYamlHash` (`textHash`); `''` when the overview is too large to keep.
 * It holds what a read of those bytes gives: not the worktrees or the tampering
 * found, which only the runner's own files record (a clone has neither).
 */
export function overviewLine(
  body: string | Uint8Array,
  sprintYamlHash: string,
  overview: SprintOverview,
): string {
  const written: SprintOverview = { ...overview, worktrees: [], tampering: undefined };
  // ASCII only: no byte of it can be taken for a line break by any YAML reader (U+0085, U+2028).
  const json = JSON.stringify(written).replace(
    /[\u007f-\uffff]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  if (json.length > MAX_JSON_BYTES) return '';
  return `${PREFIX}${OVERVIEW_LINE_FORMAT} ${digest(sprintYamlHash, body)} ${json}\n`;
}

/**
 * The overview PROGRESS.yaml's last line holds, when its digest is that of
 * these bytes (`progress`, and SPRINT.yaml's digest) and it has an overview's
 * shape; else undefined (no line, another format, an edit, a forgery).
 */
export function readOverviewLine(
  progress: Uint8Array,
  sprintYamlHash: string,
): SprintOverview | undefined {
  const end = progress.length - 1;
  if (end < PREFIX.length || progress[end] !== NEWLINE) return undefined;
  const buf = Buffer.from(progress.buffer, progress.byteOffset, progress.length);
  const start = buf.lastIndexOf(NEWLINE, end - 1) + 1;
  if (buf.toString('latin1', start, start + PREFIX.length) !== PREFIX) return undefined;
  const line = buf.toString('latin1', start + PREFIX.length, end);
  const [format, found, json] = splitTwice(line);
  if (format !== String(OVERVIEW_LINE_FORMAT) || json === undefined) return undefined;
  if (digest(sprintYamlHash, buf.subarray(0, start)) !== found) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  return isOverview(value) ? value : undefined;
}

const NEWLINE = 10;

/** `a b rest` as [a, b, rest]. */
function splitTwice(line: string): [string, string | undefined, string | undefined] {
  const one = line.indexOf(' ');
  if (one < 0) return [line, undefined, undefined];
  const two = line.indexOf(' ', one + 1);
  if (two < 0) return [line.slice(0, one), line.slice(one + 1), undefined];
  return [line.slice(0, one), line.slice(one + 1, two), line.slice(two + 1)];
}

type Check = (v: unknown) => boolean;
const str: Check = (v) => typeof v === 'string';
const num: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const optional =
  (check: Check): Check =>
  (v) =>
    v === undefined || check(v);
const listOf =
  (check: Check): Check =>
  (v) =>
    Array.isArray(v) && v.every(check);
const oneOf =
  (values: readonly string[]): Check =>
  (v) =>
    typeof v === 'string' && values.includes(v);
/** An object whose named fields pass their checks (others are allowed: `status` prints what it knows). */
const shape =
  (fields: Record<string, Check>): Check =>
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.entries(fields).every(([k, check]) => check((v as Record<string, unknown>)[k]));
const anObject: Check = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

const COUNT_KEYS = ['total', ...TASK_STATUSES] as const;

/**
 * What status reads of an overview, checked: a line with a right digest was
 * still written by whoever could write the file, and a value of another type
 * must not reach the printer.
 */
const isOverview = shape({
  id: str,
  name: str,
  status: oneOf(SPRINT_STATUSES),
  current: listOf(
    shape({ id: str, title: str, type: str, attempt: num, agent: str, startedAt: optional(str) }),
  ),
  counts: shape(Object.fromEntries(COUNT_KEYS.map((k) => [k, num]))),
  worktrees: listOf(shape({ taskId: str })),
  blocked: listOf(shape({ taskId: str, reason: str })),
  humanNeeded: optional(
    shape({ taskId: str, reason: str, options: listOf(str), details: optional(str) }),
  ),
  reason: optional(str),
  stopReason: optional(anObject),
  iterations: num,
  costUsd: num,
  estimatedCostUsd: num,
  fallbackPricing: optional(anObject),
  tokens: shape({ input: num, output: num, cacheRead: num, cacheCreation: num }),
  deferredItems: listOf(str),
  tampering: optional(listOf(anObject)),
  startedAt: optional(str),
  completedAt: optional(str),
  updatedAt: optional(str),
  goals: listOf(str),
}) as (v: unknown) => v is SprintOverview;
