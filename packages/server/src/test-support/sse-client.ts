import { type ClientRequest, request } from 'node:http';

export interface SseMessage {
  id: string | undefined;
  data: string;
}

export interface SseConnection {
  status: Promise<number>;
  /** Resolves at the server's `: connected` comment (replay queued, live from then on). */
  connected: Promise<void>;
  messages: SseMessage[];
  /** The parsed `data` of each message. */
  events(): { seq: number; type: string; [key: string]: unknown }[];
  /** Resolves when a message satisfies `match` (checked on every message, past ones included). */
  until(match: (m: SseMessage) => boolean, timeoutMs?: number): Promise<SseMessage>;
  close(): void;
  ended: Promise<void>;
}

/** A minimal EventSource over node:http, for tests and the benchmark. */
export function openSse(
  url: string,
  options: { token: string; lastEventId?: string; agent?: import('node:http').Agent },
): SseConnection {
  const messages: SseMessage[] = [];
  const waiters = new Set<{
    match: (m: SseMessage) => boolean;
    resolve: (m: SseMessage) => void;
  }>();
  let resolveStatus!: (s: number) => void;
  let resolveConnected!: () => void;
  let rejectConnected!: (e: unknown) => void;
  let resolveEnded!: () => void;
  const status = new Promise<number>((ok) => {
    resolveStatus = ok;
  });
  const connected = new Promise<void>((ok, fail) => {
    resolveConnected = ok;
    rejectConnected = fail;
  });
  const ended = new Promise<void>((ok) => {
    resolveEnded = ok;
  });
  connected.catch(() => {});
  const headers: Record<string, string> = {
    authorization: `Bearer ${options.token}`,
    accept: 'text/event-stream',
  };
  if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
  const req: ClientRequest = request(url, { headers, agent: options.agent ?? false }, (res) => {
    resolveStatus(res.statusCode ?? 0);
    if (res.statusCode !== 200) rejectConnected(new Error(`status ${res.statusCode}`));
    res.setEncoding('utf8');
    let buffer = '';
    res.on('data', (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let id: string | undefined;
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line === ': connected') resolveConnected();
          else if (line.startsWith('id: ')) id = line.slice(4);
          else if (line.startsWith('data: ')) data.push(line.slice(6));
        }
        if (!data.length) continue;
        const message = { id, data: data.join('\n') };
        messages.push(message);
        for (const w of waiters) {
          if (w.match(message)) {
            waiters.delete(w);
            w.resolve(message);
          }
        }
      }
    });
    res.on('close', () => resolveEnded());
  });
  req.on('error', (error) => {
    rejectConnected(error);
    resolveStatus(0);
    resolveEnded();
  });
  req.end();
  return {
    status,
    connected,
    messages,
    events: () => messages.map((m) => JSON.parse(m.data)),
    until(match, timeoutMs = 15_000) {
      const found = messages.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const w = { match, resolve };
        waiters.add(w);
        setTimeout(() => {
          if (waiters.delete(w)) reject(new Error('timed out waiting for an SSE message'));
        }, timeoutMs).unref();
      });
    },
    close() {
      req.destroy();
    },
    ended,
  };
}

/** Whether an SSE message is a run event of `type`. */
export const ofType = (type: string) => (m: SseMessage) =>
  (JSON.parse(m.data) as { type: string }).type === type;
