import { resolve } from 'node:path';
import { escapeControls } from '@sprint/core';
import type { CommandContext } from '../cli.js';
import { databaseUrlOf, openDatabaseStore } from '../database.js';
import { EXIT } from '../exit-codes.js';
import { UsageError } from '../usage-error.js';

/** The URL with any password replaced (the driver package loads only with a database). */
function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}

/**
 * `sprint serve`: the HTTP API of @sprint/server over the sprints under a
 * directory. Loaded only here, so no other command pays for the server.
 */
export async function serveCommand(
  ctx: CommandContext,
  options: {
    port?: number;
    host?: string;
    root?: string;
    agents?: string;
    allowTaskCommands?: boolean;
    allowNotifyUrls?: string;
  },
): Promise<number> {
  const { io } = ctx;
  const { startServer, ServerConfigError, splitAllowlist } = await import('@sprint/server');
  const url = databaseUrlOf(ctx);
  const database = url ? await openDatabaseStore(ctx, url) : undefined;
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({
      port: options.port,
      host: options.host,
      root: options.root === undefined ? undefined : resolve(io.cwd, options.root),
      // With --database-url the sprints are the database's, and its workers are listed.
      store: database,
      workers: database ? () => database.listWorkers() : undefined,
      agents:
        options.agents === undefined
          ? undefined
          : {
              enabled: options.agents
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean),
            },
      allowTaskCommands: options.allowTaskCommands === true,
      // Else SPRINT_ALLOW_NOTIFY_URLS of io.env.
      allowNotifyUrls:
        options.allowNotifyUrls === undefined ? undefined : splitAllowlist(options.allowNotifyUrls),
      env: io.env,
      // The line below says where it listens: the server's own line would repeat it.
      announce: false,
      // A line may quote a run's error (an agent's words): its control characters are shown.
      log: (line) => io.stderr.write(`${escapeControls(line)}\n`),
      // The entry file owns the signals: the first Ctrl-C aborts io.signal.
      handleSignals: false,
    });
  } catch (error) {
    // A bad flag: --agents naming an agent nobody provides is a usage error like the others.
    if (error instanceof ServerConfigError || (error as { code?: string }).code === 'UNKNOWN_AGENT')
      throw new UsageError((error as Error).message, 'serve');
    if ((error as { code?: string }).code === 'EADDRINUSE') {
      throw new UsageError(
        `Port ${options.port ?? 'the default port'} is in use: pick another with --port.`,
        'serve',
      );
    }
    throw error;
  }
  io.stdout.write(
    `Serving ${database && url ? `the sprints in the database ${redactUrl(url)}` : server.root} on ${server.url}\n`,
  );
  io.stdout.write(`Dashboard: ${server.url}/ (sign in with the API token)\n`);
  if (server.tokenGenerated) {
    io.stdout.write(`API token (shown once; set SPRINT_API_TOKEN to choose it): ${server.token}\n`);
  }
  io.stdout.write('Press Ctrl-C to stop (running sprints stay resumable).\n');
  const onAbort = () => void server.close();
  io.signal.addEventListener('abort', onAbort, { once: true });
  if (io.signal.aborted) onAbort();
  await server.closed;
  io.signal.removeEventListener('abort', onAbort);
  return io.signal.aborted ? EXIT.interrupted : EXIT.ok;
}
