import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openDatabase } from './connect.js';
import { PostgresStore } from './postgres-store.js';
import { PreparingClient } from './prepared-client.js';
import { startTaskQueue } from './task-queue.js';
import { uniqueSchema } from './test-database.js';

const server = process.env.SPRINT_TEST_DATABASE_URL;

/** One connection's prepared statements, as the server lists them. */
async function prepared(client: PreparingClient): Promise<string[]> {
  const { rows } = await client.query(
    `SELECT statement FROM pg_prepared_statements WHERE name LIKE 'sprint\\_%' ORDER BY statement`,
  );
  return rows.map((r: { statement: string }) => r.statement);
}

describe.runIf(server)('PreparingClient', () => {
  it('prepares a statement at its second use, once per connection, and never a one-off text', async () => {
    const client = new PreparingClient({ connectionString: server });
    await client.connect();
    try {
      // Unique texts, so no other test's use of them counts.
      const tag = randomBytes(4).toString('hex');
      const repeated = `SELECT $1::int + 1 AS n /* ${tag} */`;
      for (let i = 0; i < 3; i++) {
        expect((await client.query(repeated, [i])).rows).toEqual([{ n: i + 1 }]);
      }
      await client.query(`SELECT 'once ${tag}' AS x`);
      await client.query(`BEGIN; SELECT 1 /* ${tag} */; COMMIT`);
      expect((await prepared(client)).filter((s) => s.includes(tag))).toEqual([repeated]);
    } finally {
      await client.end();
    }
  });

  it('runs a statement again after a schema change alters its result, unprepared', async () => {
    const client = new PreparingClient({ connectionString: server });
    await client.connect();
    const table = `prep_${randomBytes(4).toString('hex')}`;
    try {
      await client.query(`CREATE TABLE ${table} (a int)`);
      await client.query(`INSERT INTO ${table} VALUES (1)`);
      const select = `SELECT * FROM ${table} WHERE a = $1`;
      await client.query(select, [1]);
      await client.query(select, [1]); // prepared now
      await client.query(`ALTER TABLE ${table} ADD COLUMN b int`);
      // The server refuses the plan prepared for the old columns once ...
      await expect(client.query(select, [1])).rejects.toMatchObject({ code: '0A000' });
      // ... and the text runs unprepared from then on.
      expect((await client.query(select, [1])).rows).toEqual([{ a: 1, b: null }]);
    } finally {
      await client.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
      await client.end();
    }
  });

  it("is the client of pg-boss's pool: its statements are prepared too", async () => {
    const schema = uniqueSchema('prep');
    const db = await openDatabase(server as string);
    const store = await PostgresStore.open({ db, schema });
    const boss = await startTaskQueue(store, { connectionString: server });
    try {
      await boss.createQueue('prep');
      for (let i = 0; i < 3; i++) await boss.send('prep', { i });
      // One at a time, the pool hands out the connection used last: the sends' one.
      const { rows } = await boss
        .getDb()
        .executeSql(
          `SELECT statement FROM pg_prepared_statements WHERE name LIKE 'sprint\\_%' AND statement LIKE '%job_common%'`,
        );
      expect(rows.length).toBeGreaterThan(0);
    } finally {
      await boss.stop({ graceful: false, close: true }).catch(() => undefined);
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.query(`DROP SCHEMA IF EXISTS "${schema}_boss" CASCADE`);
      await db.close();
    }
  });
});
