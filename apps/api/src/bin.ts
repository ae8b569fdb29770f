#!/usr/bin/env node
import { parseArgs } from 'node:util';
import {
  DEFAULT_HOST,
  DEFAULT_PORT,
  DEFAULT_ROOT,
  splitAllowlist,
  startServer,
} from '@sprint/server';

const USAGE = `Usage: sprint-api [--port N] [--host ADDR] [--root DIR] [--agents claude,noop] [--allow-task-commands] [--allow-notify-urls PREFIXES]

Serves the sprints under DIR (default ${DEFAULT_ROOT}) over HTTP on ADDR:N
(default ${DEFAULT_HOST}:${DEFAULT_PORT}). Every route but /health needs
"Authorization: Bearer <token>": set SPRINT_API_TOKEN, or use the token printed
at start. A non-loopback --host needs SPRINT_API_TOKEN. Webhook and Slack URLs in
requests are refused unless --allow-notify-urls (or SPRINT_ALLOW_NOTIFY_URLS)
lists their prefixes (comma-separated, or * for any). SIGTERM stops the runs
(every sprint stays resumable) and exits.`;

async function main(): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        root: { type: 'string' },
        agents: { type: 'string' },
        'allow-task-commands': { type: 'boolean' },
        'allow-notify-urls': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65_535)) {
    process.stderr.write(`--port must be a port number (0-65535), got ${values.port}\n`);
    return 2;
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  try {
    const server = await startServer({
      port,
      host: values.host as string | undefined,
      root: values.root as string | undefined,
      agents:
        typeof values.agents === 'string'
          ? {
              enabled: values.agents
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean),
            }
          : undefined,
      allowTaskCommands: values['allow-task-commands'] === true,
      allowNotifyUrls:
        typeof values['allow-notify-urls'] === 'string'
          ? splitAllowlist(values['allow-notify-urls'])
          : undefined,
      log,
    });
    if (server.tokenGenerated) {
      // Printed once, to the terminal only; set SPRINT_API_TOKEN to choose it.
      process.stdout.write(`API token (shown once): ${server.token}\n`);
    }
    await server.closed;
    return 0;
  } catch (error) {
    const code = (error as { code?: string }).code;
    process.stderr.write(
      `sprint-api: ${code === 'EADDRINUSE' ? `port ${port ?? DEFAULT_PORT} is in use; pick another with --port` : (error as Error).message}\n`,
    );
    return 1;
  }
}

process.exitCode = await main();
