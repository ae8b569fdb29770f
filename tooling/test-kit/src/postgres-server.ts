import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A private PostgreSQL server started from the machine's binaries, for one test. */
export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust auth). */
  readonly url: string;
  readonly port: number;
  /** The data directory (its `server.log` holds the server's log). */
  readonly dir: string;
  /** Stops the server (`pg_ctl stop -m fast`: connections are ended, as in a real restart). */
  stop(): Promise<void>;
  /** Starts it again after `stop`, on the same port and data. */
  start(): Promise<void>;
  /** `pg_ctl restart -m fast`. */
  restart(): Promise<void>;
  /** Stops the server and removes its data. */
  close(): Promise<void>;
}

export interface PostgresServerOptions {
  /** Where initdb, pg_ctl and postgres are (default: `SPRINT_PG_BIN`, else the newest /usr/lib/postgresql/N/bin). */
  binDir?: string;
}

/** The directory of the machine's PostgreSQL binaries, or undefined when there is none. */
export function findPostgresBin(): string | undefined {
  if (process.env.SPRINT_PG_BIN) return process.env.SPRINT_PG_BIN;
  for (let v = 20; v >= 12; v--) {
    const dir = `/usr/lib/postgresql/${v}/bin`;
    if (existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Starts a private PostgreSQL server on a free port of 127.0.0.1, its data
 * in a new temp directory, trust auth, no Unix socket. PostgreSQL refuses to
 * run as root: as root it runs as the `postgres` user (through `runuser`),
 * which owns the data directory.
 *
 * @example
 * const pg = await startPostgresServer();
 * try { await pg.restart(); } finally { await pg.close(); }
 */
export async function startPostgresServer(
  options: PostgresServerOptions = {},
): Promise<PostgresServer> {
  const bin = options.binDir ?? findPostgresBin();
  if (!bin) throw new Error('no PostgreSQL binaries found (set SPRINT_PG_BIN to their directory)');
  const root = mkdtempSync(join(tmpdir(), 'sprint-pg-'));
  const dir = join(root, 'data');
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(root, Number(stdout.trim()), Number(gid.trim()));
  }
  const as = (cmd: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args])
      : run(join(bin, cmd), args);
  await as('initdb', ['-D', dir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  const log = join(dir, 'server.log');
  const serverOptions = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off -c max_connections=200`;
  const ctl = async (args: string[]) => {
    try {
      await as('pg_ctl', args);
    } catch (error) {
      const tail = existsSync(log) ? readFileSync(log, 'utf8').slice(-2_000) : '';
      throw new Error(`pg_ctl ${args[0]} failed: ${(error as Error).message}\n${tail}`);
    }
  };
  const start = () => ctl(['start', '-w', '-t', '120', '-D', dir, '-l', log, '-o', serverOptions]);
  await start();
  let closed = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    stop: () => ctl(['stop', '-w', '-t', '120', '-m', 'fast', '-D', dir]),
    start,
    restart: () =>
      ctl(['restart', '-w', '-t', '120', '-m', 'fast', '-D', dir, '-l', log, '-o', serverOptions]),
    async close() {
      if (closed) return;
      closed = true;
      await as('pg_ctl', ['stop', '-w', '-m', 'immediate', '-D', dir]).catch(() => undefined);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
