import type { Progress, RunEvent } from '@sprint/core';
import type { OutStream } from '../io.js';
import { eventLine } from './event-line.js';
import type { Style } from './style.js';

/** Shows a run as it happens. */
export interface RunReporter {
  onEvent(event: RunEvent): void;
  onProgress(progress: Progress): void;
  /** Removes any live region; the reporter prints nothing afterwards. */
  close(): void;
  /** Prints a notice that must stay on screen (a live region draws it above itself). */
  notice?(line: string): void;
}

/** Not a terminal: one timestamped line per event, nothing redrawn. */
export function plainReporter(out: OutStream, style: Style): RunReporter {
  let closed = false;
  return {
    onEvent(event) {
      if (!closed) out.write(`${eventLine(event, style)}\n`);
    },
    onProgress() {},
    close() {
      closed = true;
    },
  };
}
