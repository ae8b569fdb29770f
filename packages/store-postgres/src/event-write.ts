import {
  applyEventInPlace,
  countTasks,
  type NewRunEvent,
  type RunEvent,
  type SprintDefinition,
  type SprintState,
  type Task,
} from '@sprint/core';
import { shouldCheckpoint } from './checkpoint-policy.js';

/** A process's copy of a sprint: its definition and its state folded up to `lastSeq`. */
export interface Cached {
  defVersion: number;
  lastSeq: number;
  /** The seq of the checkpoint in `sprints.state`, as last seen (only decides when to write the next). */
  stateSeq: number;
  definition: SprintDefinition;
  state: SprintState;
  byId: Map<string, Task>;
}

/** What a write stores: its events, numbered after the head, and the statement that lands them. */
export interface EventWrite {
  stored: RunEvent[];
  /** SQL and parameters: insert the events, move the head (and the checkpoint when due), NOTIFY. */
  text: string;
  params: unknown[];
}

/**
 * Numbers and stamps `events` after `cur`'s head and folds them into
 * `cur.state` (an illegal one throws with `cur` half-folded: drop it), then
 * builds the one statement that stores them. With `expect` the statement is
 * a compare-and-set, run on its own: it moves the head only if it is still
 * where `cur` was (`expect.lastSeq`, `expect.defVersion`), and returns a row
 * only then. Without it the caller holds the sprint's row lock.
 */
export function eventWrite(input: {
  sprintId: string;
  cur: Cached;
  events: readonly NewRunEvent[];
  tables: { sprints: string; events: string };
  channel: string;
  expect?: { lastSeq: number; defVersion: number };
}): EventWrite {
  const { sprintId, cur, tables, expect } = input;
  const now = new Date().toISOString();
  const statusBefore = cur.state.status;
  const stored: RunEvent[] = [];
  let seq = cur.lastSeq;
  for (const e of input.events) {
    const event = { ...e, seq: ++seq, at: e.at ?? now, sprintId } as RunEvent;
    applyEventInPlace(cur.state, event);
    stored.push(event);
  }
  cur.state.lastSeq = seq;
  cur.state.updatedAt = stored.at(-1)?.at;
  const checkpoint = shouldCheckpoint({
    events: stored,
    sinceCheckpoint: seq - cur.stateSeq,
    taskCount: cur.definition.tasks.length,
    statusChanged: statusBefore !== cur.state.status,
  });
  const params: unknown[] = [
    sprintId,
    JSON.stringify(stored.map((e) => ({ seq: e.seq, type: e.type, at: e.at, body: e }))),
    seq,
    cur.state.status,
    input.channel,
    `${sprintId}:${seq}`,
  ];
  const p = (value: unknown) => `$${params.push(value)}`;
  const set = checkpoint
    ? `, state = ${p(JSON.stringify(cur.state))}, state_seq = $3, counts = ${p(JSON.stringify(countTasks(cur.state)))}`
    : '';
  const where = expect
    ? ` AND last_seq = ${p(expect.lastSeq)} AND def_version = ${p(expect.defVersion)} RETURNING id`
    : '';
  const moved = `moved AS (
    UPDATE ${tables.sprints} SET last_seq = $3, status = $4, updated_at = now()${set}
     WHERE id = $1${where}
  )`;
  const inserted = `inserted AS (
    INSERT INTO ${tables.events} (sprint_id, seq, type, at, body)
    SELECT $1, e.seq, e.type, e.at, e.body
      FROM jsonb_to_recordset($2::jsonb) AS e(seq bigint, type text, at timestamptz, body jsonb)
      ${expect ? 'WHERE EXISTS (SELECT 1 FROM moved)' : ''}
  )`;
  const text = expect
    ? `WITH ${moved}, ${inserted} SELECT pg_notify($5, $6) FROM moved`
    : `WITH ${inserted}, ${moved} SELECT pg_notify($5, $6)`;
  if (checkpoint) cur.stateSeq = seq;
  return { stored, text, params };
}
