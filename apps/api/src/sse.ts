import type { EventFrame, FrameSink } from './event-hub.js';

const encoder = new TextEncoder();

export interface SseStreamOptions {
  /** Registers the sink and returns the unsubscribe function. */
  attach(sink: FrameSink): Promise<() => void>;
  /** A comment line sent this often so proxies keep the connection (ms). */
  heartbeatMs?: number;
  /** Frames queued for one slow client before it is dropped (it can reconnect and replay). */
  maxQueuedFrames?: number;
  /** What the client should wait before reconnecting (ms), sent as `retry:`. */
  retryMs?: number;
  /** Called once when the stream ends, whoever ended it. */
  onClose?: () => void;
}

/** The headers of an event stream. */
export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
} as const;

/**
 * A `text/event-stream` body fed by a `FrameSink`. The first bytes are a
 * `retry:` line and a `: connected` comment, sent once the subscription is in
 * place (and replay has been queued), so a client knows it will miss nothing
 * from then on.
 */
export async function openSseStream(
  options: SseStreamOptions,
): Promise<ReadableStream<Uint8Array>> {
  const maxQueued = options.maxQueuedFrames ?? 10_000;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let closed = false;
  let heartbeat: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;
  const finish = () => {
    if (closed) return false;
    closed = true;
    clearInterval(heartbeat);
    unsubscribe?.();
    options.onClose?.();
    return true;
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      cancel() {
        finish();
      },
    },
    { highWaterMark: maxQueued },
  );
  const sink: FrameSink = {
    send(frame: EventFrame) {
      if (closed) return false;
      if ((controller.desiredSize ?? 0) <= 0) return false;
      controller.enqueue(frame.bytes);
      return true;
    },
    close() {
      if (finish()) controller.close();
    },
  };
  controller.enqueue(encoder.encode(`retry: ${options.retryMs ?? 2000}\n\n`));
  try {
    unsubscribe = await options.attach(sink);
  } catch (error) {
    finish();
    throw error;
  }
  if (closed) unsubscribe();
  else controller.enqueue(encoder.encode(': connected\n\n'));
  heartbeat = setInterval(() => {
    if (!closed && (controller.desiredSize ?? 0) > 0)
      controller.enqueue(encoder.encode(': keep-alive\n\n'));
  }, options.heartbeatMs ?? 15_000);
  heartbeat.unref();
  if (closed) clearInterval(heartbeat);
  return stream;
}
