import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LockHolder } from '../model/errors.js';
import {
  heartbeatLock,
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

  it('lets exactly one of many racing takers win a stale lock', async () => {
    const path = join(dir, 'runner.lock');
    const dead = spawn('true');
    await new Promise((r) => dead.on('close', r));
    await writeFile(path, JSON.stringify(holder({ pid: dead.pid!, runId: 'dead' })));
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        takeLockFile('s', path, holder({ runId: `t${i}` }), hostname()),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const winner = JSON.parse(await readFile(path, 'utf8')).runId;
    expect(winner).toMatch(/^t\d$/);
    expect((await readdir(dir)).filter((f) => f !== 'runner.lock')).toEqual([]);
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
});
