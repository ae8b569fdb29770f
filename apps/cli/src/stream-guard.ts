import type { OutStream } from './io.js';

/**
 * Error codes that mean nobody reads the stream any more: the pipe's reader
 * left (`sprint logs | head -1`), the terminal was closed (EIO), or the
 * stream was already torn down by one of those.
 */
const READER_GONE = new Set(['EPIPE', 'EIO', 'ECONNRESET', 'ERR_STREAM_DESTROYED']);

/** Whether a write error says the reader went away (as opposed to a real fault). */
export function isReaderGone(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && READER_GONE.has(code);
}

/** The part of a Node write stream the guard needs. */
export interface GuardableStream {
  write(chunk: string): boolean;
  on(event: 'error', listener: (error: Error) => void): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
  readonly rows?: number;
}

/** An output stream that goes quiet once its reader is gone. */
export interface GuardedStream extends OutStream {
  /** True once a write failed because nobody reads any more. */
  readonly gone: boolean;
  readonly rows?: number;
}

/**
 * Wraps a stream so that a reader going away ends in `onGone` (called once)
 * instead of an uncaught EPIPE with a stack trace, and every later write is
 * dropped. Errors that are not about the reader are rethrown as before.
 */
export function guardStream(stream: GuardableStream, onGone: () => void): GuardedStream {
  let gone = false;
  stream.on('error', (error) => {
    if (!isReaderGone(error)) throw error;
    if (gone) return;
    gone = true;
    onGone();
  });
  return {
    write(chunk: string) {
      if (gone) return false;
      return stream.write(chunk);
    },
    get gone() {
      return gone;
    },
    get isTTY() {
      return stream.isTTY;
    },
    get columns() {
      return stream.columns;
    },
    get rows() {
      return stream.rows;
    },
  };
}
