// CPU time per party for the benches, which stays meaningful on a loaded
// machine where wall times do not: a process's own (process.cpuUsage), the
// PostgreSQL backends serving one application_name (/proc/<pid>/stat of the
// pids pg_stat_activity lists), the whole machine's busy share (/proc/stat),
// and the SQL statements a process sends (each one round trip), by kind.
import { readFileSync } from 'node:fs';
import pg from 'pg';

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** A process's user+system CPU (ms) from /proc, or undefined once it is gone. */
function procCpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command: state is field 3, utime 14, stime 15 (1-based over the whole line).
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}

/** The machine's busy and total CPU time since boot (all cores, ms). */
export function machineTimes() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: busy * TICK_MS, total: (busy + idle + iowait) * TICK_MS };
}

/** The share of all cores that was busy between two `machineTimes()`. */
export function busyShare(from, to) {
  return (to.busy - from.busy) / (to.total - from.total);
}

/** This process's CPU (ms) since `from` (a `process.cpuUsage()`), or in total. */
export function ownCpuMs(from) {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1000;
}

/**
 * Samples the CPU of the PostgreSQL backends whose application_name starts
 * with `prefix` (the server must be on this machine) every `everyMs` until
 * `stop()`, which resolves to their CPU (ms) over the interval by
 * application_name, and that of the server's own processes (autovacuum,
 * WAL writer, checkpointer: the whole server's, whoever caused it) under
 * 'server:<backend_type>'. A backend that exits between samples loses its last
 * interval, so the figures are lower bounds.
 */
export async function backendCpu(url, prefix, everyMs = 250) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const seen = new Map(); // pid -> { app, first, last }
  let started = false;
  const sample = async () => {
    const { rows } = await client.query(
      // The server's own processes too (autovacuum, WAL writer, checkpointer), under their backend_type.
      `/* bench */ SELECT pid, CASE WHEN starts_with(application_name, $1) THEN application_name ELSE 'server:' || backend_type END AS app
         FROM pg_stat_activity WHERE starts_with(application_name, $1) OR backend_type <> 'client backend'`,
      [prefix],
    );
    for (const { pid, app } of rows) {
      const ms = procCpuMs(pid);
      if (ms === undefined) continue;
      // A backend first seen after the start began during the interval: all of its CPU counts.
      const b = seen.get(pid) ?? { app, first: started ? 0 : ms };
      b.last = ms;
      seen.set(pid, b);
    }
  };
  await sample();
  started = true;
  const timer = setInterval(() => void sample().catch(() => undefined), everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await sample();
      await client.end();
      const out = {};
      for (const { app, first, last } of seen.values()) out[app] = (out[app] ?? 0) + last - first;
      return out;
    },
  };
}

/**
 * Counts the statements this process sends through `pg` (pg-boss's and the
 * store's), by their first words with schema names left out. Returns a
 * function giving the counts since it was installed and zeroing them.
 */
export function countStatements() {
  let counts = new Map();
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (config, ...rest) {
    const text = typeof config === 'string' ? config : config?.text;
    if (typeof text === 'string' && !text.startsWith('/* bench */')) {
      const key = statementKind(text);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return query.call(this, config, ...rest);
  };
  return () => {
    const out = counts;
    counts = new Map();
    return Object.fromEntries(out);
  };
}

/** A statement's kind: its first words, whitespace and schema names squeezed out. */
function statementKind(text) {
  return text
    .replace(/\s+/g, ' ')
    .replace(/"?[a-z]+_[0-9a-f]{8}(_boss)?"?\./g, '')
    .trim()
    .slice(0, 60);
}

/** Adds statement counts (objects of kind -> count) into `into`. */
export function addCounts(into, counts) {
  for (const [k, v] of Object.entries(counts)) into[k] = (into[k] ?? 0) + v;
  return into;
}
