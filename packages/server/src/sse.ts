import type { ServerResponse } from 'node:http';
import type { EventFrame, FrameSink } from './event-hub.js';

const encoder = new TextEncoder();

export interface SseStreamOptions {
  /** Registers the sink and returns the unsubscribe function. */
  attach(sink: FrameSink): Promise<() => void>;
  /** A comment line sent this often so proxies keep the connection (ms). */
  heartbeatMs?: number;
  /** Bytes queued for one slow client before it is dropped (it can reconnect and replay). */
  maxQueuedBytes?: number;
  /** What the client should wait before reconnecting (ms), sent as `retry:`. */
  retryMs?: number;
}

/** The headers of an event stream. */
export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
} as const;

/** Where an event stream's bytes go. */
interface SseTarget {
  /** Queued bytes not yet sent. */
  backlog(): number;
  write(bytes: Uint8Array): void;
  end(): void;
}

/**
 * Runs one event stream over a target: the replay the subscription queues,
 * then a `retry:` line and a `: connected` comment (from then on the client
 * misses nothing), then live events. Returns the function to call when the
 * client goes away.
 */
async function runStream(
  target: SseTarget,
  options: SseStreamOptions,
): Promise<{ closed: () => void }> {
  const maxQueued = options.maxQueuedBytes ?? 8 * 1024 * 1024;
  let closed = false;
  let heartbeat: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;
  const finish = () => {
    if (closed) return false;
    closed = true;
    clearInterval(heartbeat);
    unsubscribe?.();
    return true;
  };
  const sink: FrameSink = {
    send(frame: EventFrame) {
      if (closed || target.backlog() > maxQueued) return false;
      target.write(frame.bytes);
      return true;
    },
    close() {
      if (finish()) target.end();
    },
  };
  // Nothing is written before the subscription holds, so a failure can still be answered as an error.
  try {
    unsubscribe = await options.attach(sink);
  } catch (error) {
    finish();
    throw error;
  }
  if (closed) {
    unsubscribe();
    return { closed: finish };
  }
  target.write(encoder.encode(`retry: ${options.retryMs ?? 2000}\n: connected\n\n`));
  heartbeat = setInterval(() => {
    if (!closed && target.backlog() <= maxQueued) target.write(encoder.encode(': keep-alive\n\n'));
  }, options.heartbeatMs ?? 15_000);
  heartbeat.unref();
  return { closed: finish };
}

/**
 * An event stream as a web `ReadableStream` body: works wherever Hono runs
 * (and under `app.request()`).
 */
export async function openSseStream(
  options: SseStreamOptions,
): Promise<ReadableStream<Uint8Array>> {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let queued = 0;
  let stop: (() => void) | undefined;
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      pull() {
        queued = 0;
      },
      cancel() {
        cancelled = true;
        stop?.();
      },
    },
    { highWaterMark: 0 },
  );
  const target: SseTarget = {
    backlog: () => (cancelled ? Number.POSITIVE_INFINITY : queued),
    write(bytes) {
      queued += bytes.byteLength;
      controller.enqueue(bytes);
    },
    end() {
      if (!cancelled) controller.close();
    },
  };
  const { closed } = await runStream(target, options);
  stop = closed;
  if (cancelled) closed();
  return stream;
}

/**
 * An event stream written straight to Node's response, without a web stream
 * in between: one `write` per event and subscriber, which is what lets one
 * process feed thousands of subscribers.
 */
export async function writeSseToNode(
  outgoing: ServerResponse,
  options: SseStreamOptions,
): Promise<void> {
  const target: SseTarget = {
    backlog: () => (outgoing.destroyed ? Number.POSITIVE_INFINITY : outgoing.writableLength),
    write(bytes) {
      if (outgoing.destroyed) return;
      if (!outgoing.headersSent) {
        outgoing.writeHead(200, SSE_HEADERS);
        outgoing.socket?.setNoDelay(true);
      }
      outgoing.write(bytes);
    },
    end() {
      outgoing.end();
    },
  };
  let gone = false;
  let closed: (() => void) | undefined;
  outgoing.once('close', () => {
    gone = true;
    closed?.();
  });
  ({ closed } = await runStream(target, options));
  if (gone) closed();
}
