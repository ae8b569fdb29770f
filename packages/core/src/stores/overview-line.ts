import { createHash } from 'node:crypto';
import { LIMITS } from '../model/kinds.js';
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
 * A content check, not a trust: a changed byte in either file or in the line
 * itself (a hand edit, a merge, a tool that rewrites the YAML) is another
 * digest, and the line is passed over for a full read. The digest has no
 * secret (a clone's machine has none of the runner's keys): whoever can write
 * the file can write a line that agrees with it, as they can write the lines
 * above it. Such a line can only make `sprint status` of that clone show what
 * it says, never the runner believe it: it is read only where nothing else is
 * known, never beside the runner's own files, which record the run and find
 * foreign writes; `validate`, `run` and `status --json` read the files
 * themselves. What is not an overview's exact shape (a key it does not have, a
 * count that is not a whole number or does not add up, a time that is not one)
 * is passed over too, so nothing the printer cannot show reaches it.
 *
 *     # overview 1 <digest> {"id":"…","status":"paused",…}
 */

/**
 * The line's layout and what it holds: bump it when `SprintOverview` changes shape, or
 * when what is computed from the same state changes (as the cost sums once did): a line
 * an older `sprint` wrote is then passed over and the files read.
 */
export const OVERVIEW_LINE_FORMAT = 1;
const PREFIX = '# overview ';
/** An overview is small whatever the sprint's size; a larger one (many blocked tasks) is not written. */
const MAX_JSON_BYTES = 64 * 1024;

/** The digest of the line's JSON and what it describes: SPRINT.yaml's digest and PROGRESS.yaml's lines above it. */
function digest(sprintYamlHash: string, body: string | Uint8Array, json: string): string {
  return createHash('sha256')
    .update(`sprint-overview ${OVERVIEW_LINE_FORMAT}\n${sprintYamlHash}\n${json}\n`)
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
  return `${PREFIX}${OVERVIEW_LINE_FORMAT} ${digest(sprintYamlHash, body, json)} ${json}\n`;
}

/**
 * The overview PROGRESS.yaml's last line holds, when its digest is that of
 * these bytes (`progress`, and SPRINT.yaml's digest) and of its JSON, and it
 * has an overview's exact shape; else undefined (no line, another format, an
 * edit, a forgery that does not look like an overview).
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
  // The writer writes ASCII only: any other byte (or a CR) is not its line.
  const line = buf.toString('latin1', start + PREFIX.length, end);
  if (!PRINTABLE_ASCII.test(line)) return undefined;
  const [format, found, json] = splitTwice(line);
  if (format !== String(OVERVIEW_LINE_FORMAT) || json === undefined) return undefined;
  if (digest(sprintYamlHash, buf.subarray(0, start), json) !== found) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  return isOverview(value) ? value : undefined;
}

const NEWLINE = 10;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

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
const bool: Check = (v) => typeof v === 'boolean';
/** A sum of money or a count: finite, not negative. */
const amount: Check = (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const whole: Check = (v) => Number.isSafeInteger(v) && (v as number) >= 0;
/** A time the printer can show. */
const time: Check = (v) => typeof v === 'string' && Number.isFinite(Date.parse(v));
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
/** An object with exactly these fields (an optional one may be missing), each passing its check. */
const exactly =
  (fields: Record<string, Check>): Check =>
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.keys(v).every((k) => Object.hasOwn(fields, k)) &&
    Object.entries(fields).every(([k, check]) => check((v as Record<string, unknown>)[k]));

/** Each kind of stop reason's fields besides `kind` (model/events.ts, `StopReasonSchema`). */
const STOP_REASONS: Record<string, Record<string, Check>> = {
  completed: {},
  paused: { taskId: optional(str), requestedBy: optional(str) },
  stopped: { requestedBy: optional(str) },
  cancelled: { reason: str },
  blocked: { taskId: optional(str), reason: str },
  'needs-human': { taskId: str },
  limit: { limit: oneOf(LIMITS), detail: str },
  interrupted: { detail: str },
};

const counts: Check = (v) => {
  if (!exactly(Object.fromEntries(['total', ...TASK_STATUSES].map((k) => [k, whole])))(v))
    return false;
  const c = v as Record<string, number>;
  return TASK_STATUSES.reduce((sum, s) => sum + c[s]!, 0) === c.total;
};

/**
 * What status reads of an overview, checked exactly: a line with a right digest
 * was still written by whoever could write the file, and a value of another
 * type (or a field the report computes itself, such as `running`) must not
 * reach the printer.
 */
const isOverview = exactly({
  id: str,
  name: str,
  status: oneOf(SPRINT_STATUSES),
  current: listOf(
    exactly({
      id: str,
      title: str,
      type: str,
      attempt: (v) => whole(v) && (v as number) >= 1,
      agent: str,
      startedAt: optional(time),
    }),
  ),
  counts,
  // The line never holds them (only the runner's files record them).
  worktrees: (v) => Array.isArray(v) && v.length === 0,
  blocked: listOf(exactly({ taskId: str, reason: str })),
  humanNeeded: optional(
    exactly({ taskId: str, reason: str, options: listOf(str), details: optional(str) }),
  ),
  reason: optional(str),
  stopReason: optional(
    (v) =>
      typeof v === 'object' &&
      v !== null &&
      Object.hasOwn(STOP_REASONS, (v as { kind?: unknown }).kind as string) &&
      exactly({ kind: str, ...STOP_REASONS[(v as { kind: string }).kind] })(v),
  ),
  iterations: whole,
  costUsd: amount,
  estimatedCostUsd: amount,
  fallbackPricing: optional(exactly({ costUsd: amount, models: listOf(str), unknownModel: bool })),
  tokens: exactly({ input: whole, output: whole, cacheRead: whole, cacheCreation: whole }),
  deferredItems: listOf(str),
  startedAt: optional(time),
  completedAt: optional(time),
  updatedAt: optional(time),
  goals: listOf(str),
}) as (v: unknown) => v is SprintOverview;
