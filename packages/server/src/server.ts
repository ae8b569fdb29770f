import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import {
  DEFAULT_SPRINTS_DIR,
  type NotifyOptions,
  type NotifyTarget,
  type SprintStore,
} from '@sprint/core';
import { type Api, type ApiDeps, createApi } from './app.js';
import { generateToken, isLoopback } from './auth.js';
import { notifyUrlAllowlist, splitAllowlist } from './notify-allow.js';
import { secretsOf } from './redact.js';
import { githubSourceFromEnv } from './routes/import-github.js';
import {
  type AgentsConfig,
  defaultDescribe,
  defaultHooksFor,
  defaultStore,
  serverAgents,
} from './wiring.js';

/** Where `sprint serve` and `sprint-api` listen unless told otherwise. */
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 4317;
/** Where the server looks for sprints: the same default as the CLI's (core's). */
export const DEFAULT_ROOT = DEFAULT_SPRINTS_DIR;

/** The server refused its configuration (for example a public address without a token). */
export class ServerConfigError extends Error {
  readonly code = 'SERVER_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'ServerConfigError';
  }
}

export interface StartServerOptions
  extends Partial<
    Pick<
      ApiDeps,
      | 'allowTaskCommands'
      | 'allowNotifyUrls'
      | 'maxBodyBytes'
      | 'readCacheMs'
      | 'maxSubscribers'
      | 'eventPollMs'
      | 'heartbeatMs'
      | 'hooks'
      | 'describe'
      | 'notify'
      | 'workers'
    >
  > {
  /** Default 4317; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. Any other than a loopback address needs a token set explicitly. */
  host?: string;
  /** The sprints' root directory (both formats). Default `.claude/sprints` in the working directory. */
  root?: string;
  /** The bearer token. Default: `SPRINT_API_TOKEN`, else one generated now (`tokenGenerated`). */
  token?: string;
  /** The agents requests may pick, and their programs and environment (server configuration only). */
  agents?: AgentsConfig;
  /** Default: a `SprintRootStore` over `root`. */
  store?: SprintStore;
  /** Where to read `SPRINT_API_TOKEN` and the secrets to keep out of responses. Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Log lines (redacted). Default: nowhere; the bins print them to stderr. */
  log?: (line: string) => void;
  /** Log the "listening on" line (default true; `sprint serve` prints its own). */
  announce?: boolean;
  /** Stop gracefully on SIGTERM and SIGINT (default true). */
  handleSignals?: boolean;
  /** How long runs get to stop at shutdown before their signal is aborted (ms, default 15,000). */
  shutdownGraceMs?: number;
}

export interface RunningServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  host: string;
  port: number;
  root: string;
  token: string;
  /** The token was generated at start: show it to the user once. */
  tokenGenerated: boolean;
  api: Api;
  server: Server;
  /** Stops accepting, stops every run (sprints stay resumable), ends every stream, closes. */
  close(): Promise<void>;
  /** Resolves once the server has closed, whoever closed it. */
  closed: Promise<void>;
}

/**
 * Starts the API on `host:port` with `@hono/node-server`: what `sprint serve`
 * and the `sprint-api` bin run.
 *
 * @example
 * const server = await startServer({ port: 0, root: '.claude/sprints' });
 * if (server.tokenGenerated) console.log(`token: ${server.token}`);
 * // ... later
 * await server.close();
 */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const env = options.env ?? process.env;
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port ?? DEFAULT_PORT;
  const root = resolve(options.root ?? DEFAULT_ROOT);
  const given = options.token ?? env.SPRINT_API_TOKEN;
  if (given !== undefined && !/^[\x21-\x7e]{16,}$/.test(given)) {
    throw new ServerConfigError(
      'The API token must be at least 16 printable characters without spaces (SPRINT_API_TOKEN).',
    );
  }
  if (!isLoopback(host) && !given) {
    throw new ServerConfigError(
      `Refusing to listen on ${host}, which is not a loopback address, without a token: set SPRINT_API_TOKEN (openssl rand -base64 32), or listen on 127.0.0.1.`,
    );
  }
  const token = given ?? generateToken();
  await mkdir(root, { recursive: true });
  // Checked before anything is written: a bad entry is the operator's to fix.
  const allowNotifyUrls = options.allowNotifyUrls ?? splitAllowlist(env.SPRINT_ALLOW_NOTIFY_URLS);
  try {
    notifyUrlAllowlist(allowNotifyUrls);
  } catch (error) {
    throw new ServerConfigError(
      `${(error as Error).message} (--allow-notify-urls, SPRINT_ALLOW_NOTIFY_URLS)`,
    );
  }
  const store = options.store ?? defaultStore(root);
  const agents = serverAgents(options.agents ?? {}, env);
  const log = options.log ?? (() => {});
  const api = createApi({
    store,
    root,
    token,
    agents: agents.setup,
    describe: options.describe ?? defaultDescribe,
    hooks: options.hooks ?? defaultHooksFor,
    allowTaskCommands: options.allowTaskCommands,
    allowNotifyUrls,
    maxBodyBytes: options.maxBodyBytes,
    readCacheMs: options.readCacheMs,
    maxSubscribers: options.maxSubscribers,
    eventPollMs: options.eventPollMs,
    heartbeatMs: options.heartbeatMs,
    notify: serverNotify(options.notify, env),
    workers: options.workers,
    github: githubSourceFromEnv(env),
    secrets: [...secretsOf(env), ...agents.secrets],
    log,
  });

  const server = createAdaptorServer({ fetch: api.app.fetch, hostname: host }) as Server;
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      ok();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${urlHost}:${address.port}`;

  let resolveClosed!: () => void;
  const closed = new Promise<void>((ok) => {
    resolveClosed = ok;
  });
  let closing: Promise<void> | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping runs and shutting down (sprints stay resumable)`);
    void close();
  };
  const close = () => {
    closing ??= (async () => {
      // Stop accepting first; idle keep-alive connections go now, busy ones when they end.
      const serverClosed = new Promise<void>((ok) => server.close(() => ok()));
      server.closeIdleConnections();
      await api.shutdown(options.shutdownGraceMs ?? 15_000);
      // The event streams have ended with the runs' last events queued: let them drain
      // (a finished response leaves its connection idle) before cutting what is left.
      const idle = setInterval(() => server.closeIdleConnections(), 20);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([serverClosed, new Promise<void>((ok) => (timer = setTimeout(ok, 1000)))]);
      clearTimeout(timer);
      clearInterval(idle);
      server.closeAllConnections();
      await serverClosed;
      if (options.handleSignals !== false) {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
      log('stopped');
      resolveClosed();
    })();
    return closing;
  };
  if (options.handleSignals !== false) {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  if (options.announce !== false) log(`sprint API listening on ${url} (sprints in ${root})`);
  return {
    url,
    host: address.address,
    port: address.port,
    root,
    token,
    tokenGenerated: given === undefined,
    api,
    server,
    close,
    closed,
  };
}

/**
 * The server's notification settings: `options` as given, plus
 * `SPRINT_PUBLIC_URL` (links in payloads), `SPRINT_NOTIFY_WEBHOOK` (signed
 * with `SPRINT_NOTIFY_SECRET` when set) and `SPRINT_NOTIFY_SLACK` as targets
 * for every sprint's runs.
 */
export function serverNotify(
  options: NotifyOptions | undefined,
  env: Record<string, string | undefined>,
): NotifyOptions | undefined {
  const targets: NotifyTarget[] = [...(options?.targets ?? [])];
  for (const name of ['SPRINT_NOTIFY_WEBHOOK', 'SPRINT_NOTIFY_SLACK', 'SPRINT_PUBLIC_URL']) {
    const value = env[name];
    if (value && !/^https?:\/\/[^\s]+$/.test(value)) {
      throw new ServerConfigError(`${name} must be an http(s) URL, got ${JSON.stringify(value)}.`);
    }
  }
  if (env.SPRINT_NOTIFY_WEBHOOK) {
    targets.push({
      kind: 'webhook',
      url: env.SPRINT_NOTIFY_WEBHOOK,
      ...(env.SPRINT_NOTIFY_SECRET && { secretEnv: 'SPRINT_NOTIFY_SECRET' }),
    });
  }
  if (env.SPRINT_NOTIFY_SLACK) targets.push({ kind: 'slack', url: env.SPRINT_NOTIFY_SLACK });
  const publicUrl = options?.publicUrl ?? env.SPRINT_PUBLIC_URL;
  if (!targets.length && !publicUrl && !options) return undefined;
  return {
    // A server lives on: a run's end need not wait for its last notifications.
    finalWaitMs: 0,
    ...options,
    targets,
    ...(publicUrl && { publicUrl }),
    env: options?.env ?? env,
  };
}
