import { closeSync, constants, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_LOG, headerKeyId } from './event-log.js';
import { chainDigest, loadRunnerKey, type RunnerKey } from './runner-secret.js';

/**
 * JSON files of the runner (state.json, result.json, control.json) signed
 * with the sprint's key, so a reader can tell the runner's bytes from a
 * foreign write: `{"signed":1,"key":"<id>","mac":"<digest>","body":<json>}`,
 * the digest over the body's exact text.
 */

const PREFIX = '{"signed":1,"key":"';

/** The signed text for `body` (already JSON), or the body itself without a key. */
export function signJson(body: string, key: RunnerKey | null | undefined): string {
  if (!key) return body;
  return `${PREFIX}${key.id}","mac":"${chainDigest(key, 'signed-json', body)}","body":${body}}`;
}

/**
 * `signJson` for a body given in pieces (their concatenation), as pieces: a
 * large body is neither joined nor flattened to be signed and written.
 */
export function signJsonParts(parts: string[], key: RunnerKey | null | undefined): string[] {
  if (!key) return parts;
  return [
    `${PREFIX}${key.id}","mac":"${chainDigest(key, 'signed-json', parts)}","body":`,
    ...parts,
    '}',
  ];
}

/** What a JSON file of the runner holds, judged against the key the sprint's log names. */
export type SignedRead =
  | { kind: 'signed'; body: string; keyId: string }
  | { kind: 'unsigned'; body: string }
  | { kind: 'forged'; why: string };

/**
 * Reads `text` as written by `signJson`. With `expectKey` (the sprint's log is
 * keyed), only a body signed with that key counts; without it an unsigned body
 * is taken as it is (a sprint from before keys, or not yet run).
 */
export function openSignedJson(text: string, expectKey: string | null): SignedRead {
  if (!text.startsWith(PREFIX)) {
    return expectKey
      ? { kind: 'forged', why: 'not signed by the runner' }
      : { kind: 'unsigned', body: text };
  }
  const keyId = text.slice(PREFIX.length, PREFIX.length + 24);
  const macAt = PREFIX.length + 24 + '","mac":"'.length;
  const mac = text.slice(macAt, macAt + 32);
  const bodyAt = macAt + 32 + '","body":'.length;
  const body = text.slice(bodyAt, text.trimEnd().length - 1);
  if (expectKey && keyId !== expectKey) return { kind: 'forged', why: 'signed with another key' };
  const key = loadRunnerKey(keyId);
  if (!key) return { kind: 'forged', why: 'signed with a key this machine does not have' };
  if (chainDigest(key, 'signed-json', body) !== mac)
    return { kind: 'forged', why: 'its signature does not match its content' };
  return { kind: 'signed', body, keyId };
}

/** The key id the sprint's log names in its first line, or null (no log, or not keyed). */
export function logKeyId(runtimeDir: string): string | null {
  let fd: number;
  try {
    fd = openSync(join(runtimeDir, EVENT_LOG), constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return null;
  }
  try {
    const buf = Buffer.alloc(64);
    const n = readSync(fd, buf, 0, 64, 0);
    const text = buf.toString('utf8', 0, n);
    const nl = text.indexOf('\n');
    return nl < 0 ? null : headerKeyId(text.slice(0, nl));
  } finally {
    closeSync(fd);
  }
}

/** The sprint's key (from its log), or null. */
export function sprintKey(runtimeDir: string): RunnerKey | null {
  const id = logKeyId(runtimeDir);
  return id ? loadRunnerKey(id) : null;
}
