import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AmbiguousCommitError, PgDatabase, quoteIdent } from './pg-database.js';
import { PostgresStore } from './postgres-store.js';
import { uniqueSchema } from './test-database.js';

const server = process.env.SPRINT_TEST_DATABASE_URL;

/**
 * A TCP proxy on 127.0.0.1 in front of the real server that can lose one
 * COMMIT (or the first message carrying `text`, a statement sent with its
 * text): either before it reaches the server (the transaction never
 * commits) or after the server answered it (it committed, but the client
 * never hears so). Either way the client sees its connection drop mid-COMMIT.
 */
async function commitLosingProxy(target: URL): Promise<{
  url: string;
  lose: (when: 'before' | 'after', text?: string) => void;
  lost: () => number;
  close: () => Promise<void>;
}> {
  let armed: 'before' | 'after' | undefined;
  let armedText = 'COMMIT';
  let lostCount = 0;
  const sockets = new Set<Socket>();
  const proxy: Server = createServer((client) => {
    const upstream = createConnection(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    let commitSent = false;
    const cut = () => {
      lostCount += 1;
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      // A simple-protocol Query message: 'Q', length, the SQL, NUL.
      const isCommit =
        armedText === 'COMMIT'
          ? chunk[0] === 0x51 && chunk.subarray(5).toString('utf8').startsWith('COMMIT')
          : chunk.includes(armedText);
      if (isCommit && armed === 'before') {
        armed = undefined;
        cut();
        return;
      }
      if (isCommit && armed === 'after') {
        armed = undefined;
        commitSent = true;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      // The server answered the COMMIT (it is durable by now): the answer never arrives.
      if (commitSent) cut();
      else client.write(chunk);
    });
    for (const s of [client, upstream]) {
      s.on('error', () => undefined);
      s.on('close', () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(s);
      });
    }
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const address = proxy.address();
  const url = new URL(target.toString());
  url.hostname = '127.0.0.1';
  url.port = String(typeof address === 'object' && address ? address.port : 0);
  return {
    url: url.toString(),
    lose: (when, text = 'COMMIT') => {
      armed = when;
      armedText = text;
    },
    lost: () => lostCount,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => proxy.close(() => r()));
    },
  };
}

describe.runIf(server)('PgDatabase: a connection lost during COMMIT', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });

  async function setup() {
    const proxy = await commitLosingProxy(new URL(server ?? ''));
    const db = new PgDatabase(proxy.url, { reconnectMs: 30_000 });
    const admin = new PgDatabase(server ?? '');
    const schema = uniqueSchema('commit');
    cleanups.push(async () => {
      await admin.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
      await admin.close();
      await db.close();
      await proxy.close();
    });
    const table = `${quoteIdent(schema)}.rows`;
    await admin.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
    await admin.query(`CREATE TABLE ${table} (n int)`);
    return { proxy, db, admin, table };
  }

  /** One insert in a transaction whose COMMIT the proxy loses `when`: how often it ran, and what landed. */
  async function insertLosingCommit(when: 'before' | 'after') {
    const { proxy, db, admin, table } = await setup();
    let runs = 0;
    proxy.lose(when);
    const out = await db.transaction(async (tx) => {
      runs += 1;
      await tx.query(`INSERT INTO ${table} VALUES (1)`);
      return 'ok';
    });
    expect(out).toBe('ok');
    expect(proxy.lost()).toBe(1);
    expect(await admin.query(`SELECT n FROM ${table}`)).toEqual([{ n: 1 }]);
    return runs;
  }

  it('that never reached the server: the transaction runs again and lands once', async () => {
    expect(await insertLosingCommit('before')).toBe(2);
  });

  it('whose answer was lost after the server committed: it is not run again, and resolves', async () => {
    expect(await insertLosingCommit('after')).toBe(1);
  });

  it.each([
    ['never reached the server', 'before', []],
    ['was lost after the server committed it', 'after', [{ n: 1 }]],
  ] as const)(
    'a single statement that %s is not run again; once its backend is gone the outcome is settled',
    async (_, when, landed) => {
      const { proxy, db, admin, table } = await setup();
      proxy.lose(when, 'lost-statement');
      const error = await db
        .queryOnce(`INSERT INTO ${table} VALUES ($1) /* lost-statement */`, [1])
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AmbiguousCommitError);
      expect((error as AmbiguousCommitError).settled).toBe(true);
      expect(proxy.lost()).toBe(1);
      expect(await admin.query(`SELECT n FROM ${table}`)).toEqual(landed);
    },
  );

  it.each(['before', 'after'] as const)(
    'a store write whose compare-and-set is lost %s the server lands once',
    async (when) => {
      const { proxy, db } = await setup();
      const schema = uniqueSchema('cas');
      const store = await PostgresStore.open({ db, schema });
      cleanups.push(async () => {
        await db.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
      });
      const id = await store.create({ name: 'Lost write' });
      await store.load(id); // this process's copy: the next write is a compare-and-set
      proxy.lose(when, 'moved AS (');
      const stored = await store.append(id, [
        { type: 'sprint-status', from: 'not-started', to: 'in-progress' },
      ]);
      expect(proxy.lost()).toBe(1);
      expect(stored.map((e) => e.seq)).toEqual([1]);
      const log = await store.readEvents(id);
      expect(log.map((e) => [e.seq, e.type])).toEqual([[1, 'sprint-status']]);
      expect((await store.load(id)).state.status).toBe('in-progress');
    },
  );
});

describe.runIf(server)('PgDatabase: LISTEN', () => {
  it('listens after all when the first try could not connect', async () => {
    const target = new URL(server ?? '');
    // A port with nothing behind it yet.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const url = new URL(target.toString());
    url.hostname = '127.0.0.1';
    url.port = String(port);
    const db = new PgDatabase(url.toString());
    const admin = new PgDatabase(server ?? '');
    const channel = uniqueSchema('listen');
    const sockets = new Set<Socket>();
    const forward = createServer((client) => {
      const upstream = createConnection(Number(target.port || 5432), target.hostname);
      for (const [a, b] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        sockets.add(a);
        a.on('data', (chunk) => b.write(chunk));
        a.on('error', () => undefined);
        a.on('close', () => b.destroy());
      }
    });
    try {
      const heard: string[] = [];
      await expect(db.listen(channel, (p) => heard.push(p))).rejects.toThrow();
      await new Promise<void>((r) => forward.listen(port, '127.0.0.1', r));
      await db.listen(channel, (p) => heard.push(p));
      await admin.query('SELECT pg_notify($1, $2)', [channel, 'hello']);
      await expect.poll(() => heard, { timeout: 30_000 }).toEqual(['hello']);
    } finally {
      await db.close();
      await admin.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => forward.close(() => r()));
    }
  });
});

describe.runIf(server)('PgDatabase: a connection ended as it is handed out', () => {
  it('survives a "terminating connection" that arrives with the end of the handshake, and goes on', async () => {
    const target = new URL(server ?? '');
    // The first connection gets the server's FATAL 57P01 right after its first ReadyForQuery,
    // in the same read: the pool has handed the client out, and nothing listens on it yet.
    const fields = [
      'SFATAL',
      'VFATAL',
      'C57P01',
      'Mterminating connection due to administrator command',
    ];
    const body = Buffer.concat([...fields.map((f) => Buffer.from(`${f}\0`)), Buffer.from([0])]);
    const fatal = Buffer.concat([Buffer.from('E'), Buffer.alloc(4), body]);
    fatal.writeInt32BE(body.length + 4, 1);
    let poisoned = false;
    const sockets = new Set<Socket>();
    const proxy = createServer((client) => {
      const upstream = createConnection(Number(target.port || 5432), target.hostname);
      const poison = !poisoned;
      poisoned = true;
      sockets.add(client).add(upstream);
      client.on('data', (chunk) => upstream.write(chunk));
      upstream.on('data', (chunk: Buffer) => {
        // ReadyForQuery: 'Z', length 5, status.
        if (poison && chunk.includes(Buffer.from([0x5a, 0, 0, 0, 5]))) {
          client.write(Buffer.concat([chunk, fatal]));
          client.end();
          upstream.destroy();
        } else client.write(chunk);
      });
      for (const s of [client, upstream]) {
        s.on('error', () => undefined);
        s.on('close', () => {
          client.destroy();
          upstream.destroy();
        });
      }
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const url = new URL(target.toString());
    url.hostname = '127.0.0.1';
    url.port = String((proxy.address() as { port: number }).port);
    const db = new PgDatabase(url.toString());
    try {
      const out = await db.transaction(async (tx) => tx.query<{ n: number }>('SELECT 1 AS n'));
      expect(out).toEqual([{ n: 1 }]);
      expect(poisoned).toBe(true);
    } finally {
      await db.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  });
});
