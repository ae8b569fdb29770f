import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LockHolder } from '../model/errors.js';
import {
  heartbeatLock,
  holdLockFile,
  judgeLock,
  LOCK_STALE_MS,
  readLockFile,
  releaseLockFile,
  TORN_LOCK_MS,
  takeLockFile,
} from './lock-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sprint-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const holder = (over: Partial<LockHolder> = {}): LockHolder => ({
  pid: process.pid,
  host: hostname(),
  runId: 'run-1',
  startedAt: new Date().toISOString(),
  ...over,
});

describe('judgeLock', () => {
  const now = 1_000_000;
  const here = { host: 'h', pid: 10, now, heldRunIds: ['mine'] };
  const alive = (pid: number) => pid === 20;
  it.each([
    ['a torn lock, fresh', null, { mtimeMs: now - 1 }, true],
    ['a torn lock, old', null, { mtimeMs: now - TORN_LOCK_MS - 1 }, false],
    ['this process, a lock it holds', { pid: 10, runId: 'mine' }, {}, true],
    ['this process, a leftover it does not hold', { pid: 10, runId: 'old' }, {}, false],
    ['another live process on this host', { pid: 20, runId: 'x' }, {}, true],
    ['a dead process on this host', { pid: 30, runId: 'x' }, {}, false],
    ['another host, recent heartbeat', { host: 'far', pid: 30 }, { mtimeMs: now - 1000 }, true],
    [
      'another host, no heartbeat',
      { host: 'far', pid: 30 },
      { mtimeMs: now - LOCK_STALE_MS - 1 },
      false,
    ],
  ] as const)('%s', (_name, h, seen, expected) => {
    const lock = h ? { host: 'h', startedAt: '', runId: 'r', ...h } : null;
    expect(judgeLock(lock as LockHolder | null, { ...here, mtimeMs: now, ...seen }, alive)).toBe(
      expected,
    );
  });
});

describe('the lock file', () => {
  it('takes over a lock left by this pid that this process does not hold', async () => {
    const path = join(dir, 'runner.lock');
    await writeFile(path, JSON.stringify(holder({ runId: 'left-over' })));
    await takeLockFile('s', path, holder({ runId: 'fresh' }), hostname());
    expect(await readFile(path, 'utf8')).toContain('fresh');
    await releaseLockFile(path, holder({ runId: 'fresh' }));
  });

  it('takes over a torn (empty) lock once it is old, not while it is being written', async () => {
    const path = join(dir, 'runner.lock');
    await writeFile(path, '');
    await expect(takeLockFile('s', path, holder(), hostname())).rejects.toMatchObject({
      code: 'SPRINT_LOCKED',
    });
    const old = new Date(Date.now() - TORN_LOCK_MS - 1000);
    await utimes(path, old, old);
    await takeLockFile('s', path, holder(), hostname());
    expect(JSON.parse(await readFile(path, 'utf8')).runId).toBe('run-1');
  });

  it('lets exactly one of two racing takers win a stale lock', async () => {
    const path = join(dir, 'runner.lock');
    const dead = spawn('true');
    await new Promise((r) => dead.on('close', r));
    await writeFile(path, JSON.stringify(holder({ pid: dead.pid!, runId: 'dead' })));
    const results = await Promise.allSettled(
      Array.from({ length: 2 }, (_, i) =>
        takeLockFile('s', path, holder({ runId: `t${i}` }), hostname()),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const winner = JSON.parse(await readFile(path, 'utf8')).runId;
    expect(winner).toMatch(/^t\d$/);
    expect((await readdir(dir)).filter((f) => f !== 'runner.lock')).toEqual([]);
  });

  it('takes over a stale lock whose takeover claim was left by a taker that died', async () => {
    const path = join(dir, 'runner.lock');
    const dead = spawn('true');
    await new Promise((r) => dead.on('close', r));
    const stale = JSON.stringify(holder({ pid: dead.pid!, runId: 'dead' }));
    await writeFile(path, stale);
    const hash = createHash('sha256').update(stale).digest('hex').slice(0, 24);
    await writeFile(
      `${path}.claim-${hash}`,
      JSON.stringify(holder({ pid: dead.pid!, runId: 'x' })),
    );
    await takeLockFile('s', path, holder({ runId: 'fresh' }), hostname());
    expect(JSON.parse(await readFile(path, 'utf8')).runId).toBe('fresh');
    expect((await readdir(dir)).filter((f) => f !== 'runner.lock')).toEqual([]);
  });

  it('holdLockFile holds a lock until released: refused while held, a dead holder taken over', async () => {
    const path = join(dir, 'clone.lock');
    const dead = spawn('true');
    await new Promise((r) => dead.on('close', r));
    await writeFile(path, JSON.stringify(holder({ pid: dead.pid!, runId: 'killed' })));
    const held = await holdLockFile('clone c', path, () => undefined);
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({
      pid: process.pid,
      runId: held.holder.runId,
    });
    await expect(holdLockFile('clone c', path, () => undefined)).rejects.toMatchObject({
      code: 'SPRINT_LOCKED',
      holder: { pid: process.pid, runId: held.holder.runId },
    });
    await held.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses a lock that is a link or a folder as a lock, and moves it aside', async () => {
    const path = join(dir, 'runner.lock');
    await mkdir(path);
    await takeLockFile('s', path, holder(), hostname());
    expect((await readLockFile(path, hostname()))?.runId).toBe('run-1');
  });

  it('has the heartbeat notice a takeover', async () => {
    const path = join(dir, 'runner.lock');
    const mine = holder({ runId: 'mine' });
    await takeLockFile('s', path, mine, hostname());
    let lost = false;
    const stop = heartbeatLock(
      path,
      mine,
      () => {
        lost = true;
      },
      20,
    );
    try {
      await writeFile(path, JSON.stringify(holder({ runId: 'someone-else' })));
      const until = Date.now() + 20_000;
      while (!lost && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      expect(lost).toBe(true);
    } finally {
      stop();
    }
  });

  it('lets exactly one of five racing processes win a stale lock, round after round', async () => {
    // Real processes over the built module (the test script builds first), so the
    // race crosses the same boundaries as runners started from five terminals.
    const built = pathToFileURL(join(import.meta.dirname, '../../dist/stores/lock-file.js')).href;
    const script = join(dir, 'taker.mjs');
    await writeFile(
      script,
      `import { takeLockFile } from ${JSON.stringify(built)};
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
const [dir, id] = process.argv.slice(2);
process.stdout.write('ready\\n');
for await (const round of createInterface({ input: process.stdin })) {
  const holder = { pid: process.pid, host: hostname(), runId: id + '-' + round, startedAt: new Date().toISOString() };
  const result = await takeLockFile('s', join(dir, 'runner-' + round + '.lock'), holder, hostname()).then(
    () => 'won',
    (e) => (e.code === 'SPRINT_LOCKED' ? 'locked' : 'error ' + e.message),
  );
  process.stdout.write(round + ' ' + result + '\\n');
}
`,
    );
    const locks = join(dir, 'locks');
    await mkdir(locks);
    const takers = Array.from({ length: 5 }, (_, i) => {
      const child = spawn(process.execPath, [script, locks, `t${i}`], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      const lines: string[] = [];
      createInterface({ input: child.stdout }).on('line', (l) => lines.push(l));
      return { child, lines };
    });
    const waitFor = async (ok: () => boolean, what: string) => {
      const until = Date.now() + 60_000;
      while (!ok()) {
        if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    try {
      await waitFor(() => takers.every((t) => t.lines.includes('ready')), 'the takers to start');
      const dead = spawn('true');
      await new Promise((r) => dead.on('close', r));
      const rounds = 40;
      for (let round = 0; round < rounds; round++) {
        const stale = holder({ pid: dead.pid!, runId: `dead-${round}` });
        await writeFile(join(locks, `runner-${round}.lock`), JSON.stringify(stale));
        for (const t of takers) t.child.stdin.write(`${round}\n`);
        const said = () => takers.map((t) => t.lines.find((l) => l.startsWith(`${round} `)));
        await waitFor(() => said().every(Boolean), `round ${round}`);
        const results = said().map((l) => l!.slice(`${round} `.length));
        expect(results.filter((r) => r.startsWith('error'))).toEqual([]);
        expect(
          results.filter((r) => r === 'won'),
          `round ${round}: ${results}`,
        ).toHaveLength(1);
        const winner = takers.findIndex((t) => t.lines.includes(`${round} won`));
        const lock = JSON.parse(await readFile(join(locks, `runner-${round}.lock`), 'utf8'));
        expect(lock.runId).toBe(`t${winner}-${round}`);
      }
      // No claim, temp or moved-aside file is left behind.
      expect((await readdir(locks)).filter((f) => !/^runner-\d+\.lock$/.test(f))).toEqual([]);
    } finally {
      for (const t of takers) t.child.kill('SIGKILL');
    }
  });
});
