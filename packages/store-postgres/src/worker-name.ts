import { hostname } from 'node:os';
import { isProcessAlive } from '@sprint/core';
import type { PostgresStore } from './postgres-store.js';

/** A worker whose heartbeat is older than this is gone, whatever process now has its pid. */
const LIVE_HEARTBEAT_SECONDS = 60;

/**
 * Claims the default name of a worker on this machine: its host name, or
 * `<host>-2`, `<host>-3`, ... while a live worker on this machine holds the
 * name before. A worker that died (kill -9, a reboot) leaves its name free,
 * so the worker started after it on the machine is recognized as the same
 * one and ends the agents it left running. The claim is atomic: two workers
 * starting at once on one machine get two names.
 */
export async function claimWorkerName(store: PostgresStore, host = hostname()): Promise<string> {
  const table = store.table('workers');
  return store.db.transaction(async (tx) => {
    // One claim at a time per host, so two workers starting together never take the same name.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${table}:${host}`]);
    const rows = await tx.query<{ name: string; host: string; pid: number; live: boolean }>(
      `SELECT name, host, pid,
         stopped_at IS NULL AND heartbeat_at > now() - make_interval(secs => $3) AS live
       FROM ${table} WHERE name = $1 OR name LIKE $2`,
      [host, `${host.replaceAll(/[\\%_]/g, '\\$&')}-%`, LIVE_HEARTBEAT_SECONDS],
    );
    const held = new Set(
      rows.filter((r) => r.host !== host || (r.live && isProcessAlive(r.pid))).map((r) => r.name),
    );
    let name = host;
    for (let n = 2; held.has(name); n++) name = `${host}-${n}`;
    // Held from now on (its markers stay: the orphans of its previous life are still to be ended).
    await tx.query(
      `INSERT INTO ${table} (name, host, pid, started_at, heartbeat_at, stopped_at)
       VALUES ($1, $2, $3, now(), now(), NULL)
       ON CONFLICT (name) DO UPDATE SET host = $2, pid = $3, heartbeat_at = now(), stopped_at = NULL`,
      [name, host, process.pid],
    );
    return name;
  });
}
