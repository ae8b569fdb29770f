import type { Database } from './db.js';
import { quoteIdent } from './pg-database.js';

/**
 * The schema, one version per entry, never edited once released: a change is
 * a new entry. `{s}` is the quoted schema name.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE {s}.sprints (
    id text PRIMARY KEY,
    name text NOT NULL,
    definition jsonb NOT NULL,
    def_version integer NOT NULL DEFAULT 1,
    project_dir text NOT NULL,
    context jsonb NOT NULL DEFAULT '{}',
    state jsonb NOT NULL,
    state_seq bigint NOT NULL DEFAULT 0,
    last_seq bigint NOT NULL DEFAULT 0,
    status text NOT NULL,
    counts jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    result jsonb
  );
  CREATE INDEX sprints_status ON {s}.sprints (status);
  CREATE TABLE {s}.events (
    sprint_id text NOT NULL REFERENCES {s}.sprints (id) ON DELETE CASCADE,
    seq bigint NOT NULL,
    type text NOT NULL,
    at timestamptz NOT NULL,
    body jsonb NOT NULL,
    PRIMARY KEY (sprint_id, seq)
  );
  CREATE TABLE {s}.locks (
    sprint_id text PRIMARY KEY REFERENCES {s}.sprints (id) ON DELETE CASCADE,
    run_id text NOT NULL,
    holder jsonb NOT NULL,
    expires_at timestamptz NOT NULL
  );
  CREATE TABLE {s}.controls (
    sprint_id text PRIMARY KEY REFERENCES {s}.sprints (id) ON DELETE CASCADE,
    request jsonb NOT NULL
  );
  CREATE TABLE {s}.workers (
    name text PRIMARY KEY,
    host text NOT NULL,
    pid integer NOT NULL,
    agents jsonb NOT NULL DEFAULT '[]',
    tasks jsonb NOT NULL DEFAULT '[]',
    started_at timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    stopped_at timestamptz
  );
  `,
  `
  CREATE TABLE {s}.integrations (
    sprint_id text NOT NULL REFERENCES {s}.sprints (id) ON DELETE CASCADE,
    task_id text NOT NULL,
    seq bigserial NOT NULL,
    branch text NOT NULL,
    commit text NOT NULL,
    worker text NOT NULL,
    state text NOT NULL DEFAULT 'pending',
    integrated_commit text,
    detail text,
    PRIMARY KEY (sprint_id, task_id)
  );
  CREATE TABLE {s}.leases (
    name text PRIMARY KEY,
    holder text NOT NULL,
    expires_at timestamptz NOT NULL
  );
  ALTER TABLE {s}.workers ADD COLUMN markers jsonb NOT NULL DEFAULT '[]';
  CREATE TABLE {s}.job_results (
    job_id text PRIMARY KEY,
    output jsonb NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
  )
  `,
  `
  CREATE INDEX job_results_at ON {s}.job_results (at)
  `,
  `
  ALTER TABLE {s}.integrations ADD COLUMN marker text;
  ALTER TABLE {s}.leases ADD COLUMN marker text
  `,
];

/** The PostgreSQL schema name a store uses unless told otherwise. */
export const DEFAULT_SCHEMA = 'sprint';

/**
 * Brings `schema` to the newest version. Safe from many processes at once:
 * the whole migration runs in one transaction under an advisory lock keyed
 * by the schema name, so the second process waits, then finds nothing to do.
 */
export async function migrate(db: Database, schema: string = DEFAULT_SCHEMA): Promise<number> {
  const s = quoteIdent(schema);
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sprint-migrate:${schema}`]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${s}.migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const [row] = await tx.query<{ v: number | null }>(
      `SELECT max(version)::int AS v FROM ${s}.migrations`,
    );
    const current = row?.v ?? 0;
    for (let v = current + 1; v <= MIGRATIONS.length; v++) {
      for (const statement of splitStatements(MIGRATIONS[v - 1] ?? '')) {
        await tx.query(statement.replaceAll('{s}', s));
      }
      await tx.query(`INSERT INTO ${s}.migrations (version) VALUES ($1)`, [v]);
    }
    return MIGRATIONS.length;
  });
}

/** Our migrations hold no semicolons inside literals, so `;` ends a statement. */
function splitStatements(sql: string): string[] {
  return sql
    .split(';')
    .map((x) => x.trim())
    .filter(Boolean);
}
