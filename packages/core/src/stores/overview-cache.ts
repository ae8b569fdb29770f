import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SprintOverview } from '../workspace/describe-sprint.js';
import { sprintStateHome } from './runner-secret.js';

/**
 * What `sprint status` computed from a sprint's YAML files, kept outside the
 * project (`<state home>/overviews/`) under the digest of the exact bytes it
 * was computed from: a sprint with no runner files (a `git clone`: they are
 * gitignored) is otherwise parsed whole on every status, 10,000 tasks at a time.
 *
 * An entry is looked up by content, never by path or inode: the folder's name
 * and the digests of SPRINT.yaml's and PROGRESS.yaml's bytes. A changed byte
 * is another key, so an entry is never stale; it holds exactly what the reader
 * computed from those bytes (it is written from that result, never from what a
 * runner holds in memory). Entries are signed with a key of this home, so a
 * file someone else put there is not believed; anything unreadable is a miss,
 * and a miss reads the files as before (with their errors, if any).
 */

/** The entry's layout: a new one is never confused with an old one. */
const FORMAT = 1;
/** Entries kept: the sprints a person looks at on this machine, a few dozen at most. */
const MAX_ENTRIES = 48;
/** An overview is small whatever the sprint's size; a larger one (long reasons, many blocked tasks) is not kept. */
const MAX_ENTRY_BYTES = 64 * 1024;
const KEY_FILE = 'key';

function cacheDir(): string {
  return join(sprintStateHome(), 'overviews');
}

let build: string | undefined;

/**
 * This build of the code: what the reader makes of the same bytes may change
 * with it (a new field in the overview, a value read differently), so another
 * build (an upgrade, a rebuild in a checkout) never reads this one's entries.
 * One stat of this module's own file, which every build writes anew.
 */
function buildStamp(): string {
  if (build === undefined) {
    try {
      const st = statSync(fileURLToPath(import.meta.url));
      build = `${st.size}:${st.mtimeMs}:${st.ino}`;
    } catch {
      build = 'unknown';
    }
  }
  return build;
}

/** The entry's name for a sprint folder named `dirName` whose files have these digests. */
export function overviewCacheKey(
  dirName: string,
  sprintYamlHash: string,
  progressYamlHash: string,
): string {
  return createHash('sha256')
    .update(`${FORMAT}\0${buildStamp()}\0${dirName}\0${sprintYamlHash}\0${progressYamlHash}`)
    .digest('hex')
    .slice(0, 40);
}

/** This home's signing secret; created when `create` and there is none. Undefined when unusable. */
function cacheSecret(create: boolean): Buffer | undefined {
  const path = join(cacheDir(), KEY_FILE);
  try {
    const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      // A secret others could have written is none: it must be a private regular file.
      const st = fstatSync(fd);
      if (!st.isFile() || (st.mode & 0o077) !== 0 || st.size !== 64) return undefined;
      const buf = Buffer.alloc(64);
      if (readSync(fd, buf, 0, 64, 0) !== 64) return undefined;
      const secret = Buffer.from(buf.toString('latin1'), 'hex');
      return secret.length === 32 ? secret : undefined;
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if (!create || (error as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
  }
  const secret = randomBytes(32);
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    mkdirSync(cacheDir(), { recursive: true, mode: 0o700 });
    writeFileSync(tmp, secret.toString('hex'), { flag: 'wx', mode: 0o600 });
    // A link appears whole or not at all, and never replaces one: of two processes creating
    // it, one wins; the other keeps nothing this time.
    linkSync(tmp, path);
    return secret;
  } catch {
    return undefined;
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // never written
    }
  }
}

function mac(secret: Buffer, key: string, body: string): string {
  return createHmac('sha256', secret).update(`${key}\n`).update(body).digest('hex');
}

/** The overview kept under `key`, or undefined: none, unsigned, forged, torn or unreadable. */
export function readCachedOverview(key: string): SprintOverview | undefined {
  let text: string;
  try {
    const fd = openSync(join(cacheDir(), `${key}.json`), constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const st = fstatSync(fd);
      if (!st.isFile() || st.size > MAX_ENTRY_BYTES + 65) return undefined;
      const buf = Buffer.alloc(st.size);
      if (readSync(fd, buf, 0, st.size, 0) !== st.size) return undefined;
      text = buf.toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  const nl = text.indexOf('\n');
  if (nl !== 64) return undefined;
  const secret = cacheSecret(false);
  if (!secret) return undefined;
  const body = text.slice(nl + 1);
  const expected = Buffer.from(mac(secret, key, body), 'latin1');
  const found = Buffer.from(text.slice(0, nl), 'latin1');
  if (!timingSafeEqual(expected, found)) return undefined;
  try {
    return JSON.parse(body) as SprintOverview;
  } catch {
    return undefined;
  }
}

/**
 * Keeps `overview` under `key`: signed, written to a new file renamed into
 * place (a reader sees a whole entry or none), the oldest entries beyond
 * `MAX_ENTRIES` removed. Best effort: a home it cannot write only means no cache.
 */
export function writeCachedOverview(key: string, overview: SprintOverview): void {
  const body = JSON.stringify(overview);
  if (Buffer.byteLength(body) > MAX_ENTRY_BYTES) return;
  const secret = cacheSecret(true);
  if (!secret) return;
  const dir = cacheDir();
  const file = join(dir, `${key}.json`);
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    writeFileSync(tmp, `${mac(secret, key, body)}\n${body}`, { flag: 'wx', mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // never written
    }
    return;
  }
  prune(dir);
}

/** Removes the oldest entries (and leftover temp files) beyond `MAX_ENTRIES`. */
function prune(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => !n.startsWith(KEY_FILE));
  } catch {
    return;
  }
  if (names.length <= MAX_ENTRIES) return;
  const dated = names.map((name) => {
    try {
      return { name, at: statSync(join(dir, name)).mtimeMs };
    } catch {
      return { name, at: 0 };
    }
  });
  dated.sort((a, b) => b.at - a.at);
  for (const { name } of dated.slice(MAX_ENTRIES)) {
    try {
      unlinkSync(join(dir, name));
    } catch {
      // gone already (another process pruned it)
    }
  }
}
