import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Agent,
  type AgentContext,
  type AgentFactory,
  type AgentResult,
  AgentResultSchema,
  failedResult,
  SprintRootStore,
  type SprintStore,
} from '@sprint/core';
import { type Api, createApi } from '../app.js';
import type { GithubSource } from '../routes/import-github.js';
import { type RunningServer, type StartServerOptions, startServer } from '../server.js';
import { defaultDescribe, serverAgents } from '../wiring.js';

export const TOKEN = 'test-token-0123456789abcdef';

/**
 * A real listening server on a fresh sprints root (no environment, no read
 * cache), and the cleanup that closes it and removes the root.
 */
export async function listeningServer(
  options: Partial<StartServerOptions> = {},
): Promise<{ server: RunningServer; root: string; close(): Promise<void> }> {
  const { root, cleanup } = await tempRoot();
  const server = await startServer({
    port: 0,
    root,
    token: TOKEN,
    handleSignals: false,
    env: {},
    readCacheMs: 0,
    ...options,
  }).catch(async (error: unknown) => {
    await cleanup();
    throw error;
  });
  return {
    server,
    root,
    close: async () => {
      await server.close();
      await cleanup();
    },
  };
}

/** A temp project with `.claude/sprints` inside, removed by `cleanup`. */
export async function tempRoot(): Promise<{ dir: string; root: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'sprint-server-'));
  const root = join(dir, '.claude', 'sprints');
  await mkdir(root, { recursive: true });
  return { dir, root, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * An agent that works until it is released or its signal is aborted: for
 * "run while running", pause, stop and shutdown.
 */
export function gateAgent(): { factory: AgentFactory; release(): void; started: Promise<void> } {
  let release!: () => void;
  let markStarted!: () => void;
  const released = new Promise<void>((ok) => {
    release = ok;
  });
  const started = new Promise<void>((ok) => {
    markStarted = ok;
  });
  const agent: Agent = {
    name: 'gate',
    async run(ctx: AgentContext): Promise<AgentResult> {
      markStarted();
      const aborted = new Promise<'aborted'>((ok) => {
        if (ctx.signal.aborted) ok('aborted');
        ctx.signal.addEventListener('abort', () => ok('aborted'), { once: true });
      });
      const how = await Promise.race([released.then(() => 'released' as const), aborted]);
      if (how === 'aborted') return failedResult('cancelled', 'gate: interrupted');
      return AgentResultSchema.parse({ success: true, summary: `gate: ${ctx.task.id} released` });
    },
  };
  return { factory: () => agent, release, started };
}

/** An agent that reports a tool call and a log line (with whatever `line` says) before succeeding. */
export function chattyAgent(line = 'working'): AgentFactory {
  return () => ({
    name: 'chatty',
    async run(ctx: AgentContext): Promise<AgentResult> {
      ctx.emit({ kind: 'tool-use', tool: 'Bash', input: JSON.stringify({ command: 'ls' }) });
      ctx.emit({ kind: 'tool-result', tool: 'Bash', isError: false, output: 'README.md' });
      ctx.emit({ kind: 'log', stream: 'stdout', line });
      return AgentResultSchema.parse({ success: true, summary: `chatty: ${ctx.task.id}` });
    },
  });
}

export interface TestApi {
  api: Api;
  /** The store the API serves, to check what it wrote. */
  store: SprintStore;
  root: string;
  dir: string;
  /** A request through `app.request()` with the token (unless `headers.authorization` is given). */
  req(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Response>;
  cleanup(): Promise<void>;
}

/** `createApi` over a real `SprintRootStore` in a temp directory, with the test agents configured. */
export async function testApi(
  options: {
    factories?: Record<string, AgentFactory>;
    enabled?: string[];
    maxBodyBytes?: number;
    allowTaskCommands?: boolean;
    secrets?: string[];
    /** Changes the store before the API gets it (to make it fail, say). */
    store?: (store: SprintRootStore) => SprintStore;
    /** Where `POST /sprints/{id}/import/github` reads issues (default: nowhere reachable). */
    github?: GithubSource;
    /** Default 0: every read goes to the store. */
    readCacheMs?: number;
    /** The agent for tasks the sprint places nowhere. Default `noop`; null: none. */
    defaultAgent?: string | null;
  } = {},
): Promise<TestApi> {
  const { dir, root, cleanup } = await tempRoot();
  const base = new SprintRootStore({ root });
  const store = options.store ? options.store(base) : base;
  const agents = serverAgents({
    enabled: options.enabled ?? ['noop', ...Object.keys(options.factories ?? {})],
    factories: options.factories,
    defaultAgent: options.defaultAgent === null ? undefined : (options.defaultAgent ?? 'noop'),
  });
  const api = createApi({
    store,
    root,
    token: TOKEN,
    agents: agents.setup,
    describe: defaultDescribe,
    maxBodyBytes: options.maxBodyBytes,
    allowTaskCommands: options.allowTaskCommands,
    secrets: options.secrets,
    readCacheMs: options.readCacheMs ?? 0,
    // Tests never reach beyond 127.0.0.1: without a fake GitHub, port 9 refuses at once.
    github: options.github ?? { apiUrl: 'http://127.0.0.1:9', token: async () => undefined },
  });
  return {
    api,
    store,
    root,
    dir,
    req(method, path, body, headers = {}) {
      const init: RequestInit = {
        method,
        headers: {
          authorization: `Bearer ${TOKEN}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
      };
      if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
      return Promise.resolve(api.app.request(path, init));
    },
    async cleanup() {
      await api.shutdown(2000);
      await cleanup();
    },
  };
}

/** A custom task as a request body. */
export function customTask(id: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    type: 'custom',
    title: `Task ${id}`,
    fields: { description: `do ${id}`, 'done-when': `${id} is done` },
    ...extra,
  };
}

/** Polls `check` until it returns a value (not undefined), or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 25));
  }
}

/** A request to a listening server with its token; the JSON body it answered (undefined when empty). */
export async function callServer(
  server: { url: string; token: string },
  method: string,
  path: string,
  body?: unknown,
  // biome-ignore lint/suspicious/noExplicitAny: a test reads whatever the server answered.
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${server.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
