import { createHmac, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The per-sprint secrets that let the runner tell its own bytes from anyone
 * else's. Each sprint's event log names a key id in its first line; the key
 * itself lives outside the project, in `$SPRINT_STATE_HOME` (else
 * `$XDG_STATE_HOME/sprint`, else `~/.local/state/sprint`), under `keys/`, in a
 * file only its owner can read (0600). An agent that writes into the sprint's
 * folder without reading that file cannot produce a line the runner accepts.
 *
 * The limit, said plainly: an agent runs as the same user, so one that goes
 * looking for this file can read it. The keys defeat writes into the runner's
 * files (by accident or on purpose, from a prompt injection or a confused
 * tool call), not a user-level adversary.
 */
export interface RunnerKey {
  id: string;
  secret: Buffer;
}

const cache = new Map<string, RunnerKey | null>();

/**
 * The runner's own folder outside every project: `$SPRINT_STATE_HOME`, else
 * `$XDG_STATE_HOME/sprint`, else `~/.local/state/sprint`. Keys (`keys/`) and
 * what the runner verified of each sprint's log (`logs/`) live here.
 */
export function sprintStateHome(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.SPRINT_STATE_HOME ??
    (env.XDG_STATE_HOME ? join(env.XDG_STATE_HOME, 'sprint') : undefined) ??
    join(homedir(), '.local', 'state', 'sprint')
  );
}

/** Where keys live: outside every project. */
function runnerKeyDir(): string {
  return join(sprintStateHome(), 'keys');
}

/** A new key, written 0600 (never through a symlink) before it is used. */
export function createRunnerKey(): RunnerKey {
  const dir = runnerKeyDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const key: RunnerKey = { id: randomBytes(12).toString('hex'), secret: randomBytes(32) };
  const fd = openSync(
    join(dir, key.id),
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    writeSync(fd, key.secret.toString('hex'));
  } finally {
    closeSync(fd);
  }
  cache.set(key.id, key);
  return key;
}

/** The key with this id, or null when this machine does not have it. */
export function loadRunnerKey(id: string): RunnerKey | null {
  if (!/^[0-9a-f]{24}$/.test(id)) return null;
  const hit = cache.get(id);
  if (hit !== undefined) return hit;
  let key: RunnerKey | null = null;
  try {
    const fd = openSync(join(runnerKeyDir(), id), constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      // A key others could have written is no key: it must be a private regular file.
      const st = fstatSync(fd);
      if (st.isFile() && (st.mode & 0o077) === 0 && st.size === 64) {
        const buf = Buffer.alloc(64);
        readSync(fd, buf, 0, 64, 0);
        const secret = Buffer.from(buf.toString('utf8'), 'hex');
        if (secret.length === 32) key = { id, secret };
      }
    } finally {
      closeSync(fd);
    }
  } catch {
    key = null;
  }
  cache.set(id, key);
  return key;
}

/**
 * Each key as a KeyObject, made once: given a Buffer, createHmac prepares a
 * key object on every call, which cost 30 us of the 35 us of a digest here,
 * several times per task.
 */
const hmacKeys = new WeakMap<RunnerKey, KeyObject>();

function hmacKey(key: RunnerKey): KeyObject {
  let made = hmacKeys.get(key);
  if (!made) {
    made = createSecretKey(key.secret);
    hmacKeys.set(key, made);
  }
  return made;
}

/** The keyed digest of `text` chained after `prev` (hex, 128 bits). */
export function chainDigest(key: RunnerKey, prev: string, text: string | string[]): string {
  const hmac = createHmac('sha256', hmacKey(key)).update(prev).update('\n');
  for (const part of typeof text === 'string' ? [text] : text) hmac.update(part);
  return hmac.digest('hex').slice(0, 32);
}
