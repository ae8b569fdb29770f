import type { RunEvent } from '../model/events.js';
import { chainDigest, loadRunnerKey, type RunnerKey } from './runner-secret.js';

/** The append-only event log in a sprint's runtime folder. */
export const EVENT_LOG = 'events.jsonl';

/**
 * Where a reader or writer stands in the log's chain of digests.
 *
 * - `legacy`: no header line seen yet (a log written before logs were keyed):
 *   lines are taken as they are, unless the checkpoint says the log is keyed.
 * - `keyed`: after the header, every line must carry `"mac"`, the keyed
 *   digest of the line chained after the previous accepted line's.
 * - `keyless`: the header names a key this machine does not have; no line can
 *   be verified, so none is believed.
 */
export interface LogChain {
  mode: 'legacy' | 'keyed' | 'keyless';
  key: RunnerKey | null;
  /** The digest of the last accepted line (the key id right after the header). */
  prev: string;
  /** The key id the checkpoint expects, when it knows the log is keyed. */
  expect?: string;
}

/** One line of the log, as a reader judged it. */
export type LogItem =
  | { kind: 'event'; event: RunEvent; start: number; end: number }
  | { kind: 'header'; start: number; end: number }
  | { kind: 'foreign'; start: number; end: number; why: string };

const HEADER = /^\{"sprint-log":1,"key":"([0-9a-f]{24})"\}$/;
const MAC_SUFFIX = 42; // `,"mac":"` + 32 hex + `"}`

/** The first line of a keyed log. */
export function logHeader(key: RunnerKey): string {
  return `{"sprint-log":1,"key":"${key.id}"}\n`;
}

/** The key id a log's first line names, or null for a legacy (unkeyed) log. */
export function headerKeyId(firstLine: string): string | null {
  return HEADER.exec(firstLine)?.[1] ?? null;
}

/** The digest a sealed line carries, from the line's end (its last bytes, newline included); null if none. */
export function sealedLineMac(lineEnd: string): string | null {
  return /,"mac":"([0-9a-f]{32})"\}\n$/.exec(lineEnd)?.[1] ?? null;
}

/** How many bytes before a line's end hold its digest (`,"mac":"` + 32 hex + `"}` + newline). */
export const SEALED_TAIL_BYTES = MAC_SUFFIX + 1;

/** A chain positioned right after a header for `key`. */
export function chainAfterHeader(key: RunnerKey): LogChain {
  return { mode: 'keyed', key, prev: key.id };
}

/** The chain at a known position (from a checkpoint the runner signed). */
export function chainAt(keyId: string, prev: string): LogChain {
  const key = loadRunnerKey(keyId);
  return key ? { mode: 'keyed', key, prev } : { mode: 'keyless', key: null, prev, expect: keyId };
}

/** A chain at the start of a log; `expect` when a trusted checkpoint says it is keyed. */
export function chainAtStart(expect?: string): LogChain {
  return { mode: 'legacy', key: null, prev: '', expect };
}

/** The line for `event` (with newline), its digest chained onto `chain` (which moves on). */
export function sealEvent(chain: LogChain, event: RunEvent): string {
  const json = JSON.stringify(event);
  if (chain.mode !== 'keyed' || !chain.key) return `${json}\n`;
  const mac = chainDigest(chain.key, chain.prev, json);
  chain.prev = mac;
  return `${json.slice(0, -1)},"mac":"${mac}"}\n`;
}

/**
 * The lines of an events.jsonl buffer from byte `start`, each judged against
 * `chain` (which moves on past every accepted line). Offsets are bytes, never
 * characters (UTF-8). Stops at a line without its newline (being written, or
 * torn by a crash); skips blank lines. A line that does not chain is
 * `foreign`: whatever it says, it did not come from the runner.
 */
export function* readLog(buf: Buffer, start: number, chain: LogChain): Generator<LogItem> {
  let pos = start;
  for (;;) {
    const nl = buf.indexOf(10, pos);
    if (nl < 0) return;
    const lineStart = pos;
    const line = buf.toString('utf8', pos, nl);
    pos = nl + 1;
    if (!line.trim()) continue;
    const item = judgeLine(line, chain);
    if (item === null) continue;
    if (item === 'header') yield { kind: 'header', start: lineStart, end: pos };
    else if (typeof item === 'string')
      yield { kind: 'foreign', start: lineStart, end: pos, why: item };
    else yield { kind: 'event', event: item, start: lineStart, end: pos };
  }
}

/**
 * One line: the event it holds, 'header', why it is foreign, or null for a
 * line a legacy (unkeyed) log may hold after a crash (skipped, as always).
 */
function judgeLine(line: string, chain: LogChain): RunEvent | 'header' | string | null {
  if (line.startsWith('{"sprint-log"')) {
    const id = headerKeyId(line);
    if (!id || chain.mode !== 'legacy') return 'a second log header';
    if (chain.expect && chain.expect !== id) return 'a log header with another key';
    const key = loadRunnerKey(id);
    if (key) Object.assign(chain, chainAfterHeader(key));
    else Object.assign(chain, { mode: 'keyless', key: null, prev: id, expect: id });
    return 'header';
  }
  let body = line;
  if (chain.mode === 'keyless') return 'the log key is not on this machine';
  if (chain.mode === 'keyed') {
    if (line.length <= MAC_SUFFIX || line.slice(-MAC_SUFFIX, -MAC_SUFFIX + 8) !== ',"mac":"')
      return 'a line without the runner digest';
    const mac = line.slice(-MAC_SUFFIX + 8, -2);
    body = `${line.slice(0, -MAC_SUFFIX)}}`;
    if (chainDigest(chain.key!, chain.prev, body) !== mac)
      return 'a line whose digest does not chain';
    chain.prev = mac;
  } else if (chain.expect) {
    return 'an unkeyed line in a keyed log';
  }
  let event: RunEvent;
  try {
    event = JSON.parse(body) as RunEvent;
  } catch {
    return chain.mode === 'legacy' ? null : 'not JSON';
  }
  if (typeof event !== 'object' || event === null || typeof event.seq !== 'number')
    return chain.mode === 'legacy' ? null : 'not an event';
  return event;
}
