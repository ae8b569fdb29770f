import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request a fake received, in arrival order (every path). */
export interface FakeHttpRequest {
  method: string;
  /** The path with its query, e.g. `/v1/responses?x=1`. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body, or `undefined` when there was none or it was not JSON. */
  body: unknown;
}

/** A listening fake: its URL, what it received, and how to stop it. */
export interface FakeHttpServer {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  requests: FakeHttpRequest[];
  /** Stops listening and ends every open connection, held ones included. */
  close(): Promise<void>;
}

/**
 * Shared plumbing of the provider fakes: a server on 127.0.0.1 (random port)
 * that records every request with its parsed JSON body and hands it to
 * `handle`. A handler that throws answers 500.
 */
export async function startFakeHttp(
  handle: (request: FakeHttpRequest, res: ServerResponse) => Promise<void> | void,
): Promise<FakeHttpServer> {
  const requests: FakeHttpRequest[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const request: FakeHttpRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: { ...req.headers },
        body: parseJson(raw),
      };
      requests.push(request);
      await handle(request, res);
    })().catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: String(error) } }));
      } else {
        res.destroy();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Picks the reply for the n-th call from a list (the last repeats) or a function. */
export function scriptedReplies<R, Q>(
  script: readonly R[] | ((request: Q, index: number) => R | Promise<R>),
  name: string,
): (request: Q) => Promise<R> {
  let index = 0;
  return async (request) => {
    const i = index++;
    if (typeof script === 'function') return script(request, i);
    if (script.length === 0) throw new Error(`${name}: the script is empty`);
    return script[Math.min(i, script.length - 1)] as R;
  };
}

/** Starts a Server-Sent Events answer; returns a writer of `event:`/`data:` pairs. */
export function sse(
  res: ServerResponse,
  headers: Record<string, string> = {},
): (event: string | undefined, data: unknown) => void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    ...headers,
  });
  return (event, data) =>
    res.write(`${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
}

/** Answers with a JSON body and a status. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Waits `ms` (for a scripted slow reply). */
export function delay(ms: number | undefined): Promise<void> {
  return ms ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
