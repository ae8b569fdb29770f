import { plural } from '@sprint/core';
import cliTruncate from 'cli-truncate';
import { createLogUpdate } from 'log-update';
import stringWidth from 'string-width';
import type { OutStream } from '../io.js';

/**
 * A block of lines at the bottom of a terminal, redrawn in place, with
 * ordinary lines printed above it. Loaded only on a terminal: it brings
 * log-update, string-width and cli-truncate, which plain output never needs.
 */
export interface LiveRegion {
  /** Redraws the region: each line cut to the terminal's width in cells, the block to its height. */
  render(lines: string[]): void;
  /** Prints a line above the region; it stays when the region is redrawn. */
  persist(line: string): void;
  /** Removes the region from the screen. */
  clear(): void;
  /** The terminal's width in cells, less one so that no line touches the last column. */
  readonly width: number;
  /** How many lines the region may use. */
  readonly height: number;
}

/** The terminal's size when the stream does not know it (a pseudo-terminal of size 0, a pipe pretending). */
export interface SizeFallback {
  columns?: number;
  rows?: number;
}

/** The width of `text` on a terminal, in cells: a CJK character or an emoji takes two. */
export function cellWidth(text: string): number {
  return stringWidth(text);
}

/** Cuts one line to `width` cells, keeping its colours, marking the cut with `…`. */
export function cutToCells(line: string, width: number): string {
  if (width < 1) return '';
  if (stringWidth(line) <= width) return line;
  return cliTruncate(line, width, { position: 'end' });
}

/**
 * Keeps the last line (the summary) and as many lines before it as fit in
 * `height`, saying how many were left out.
 */
export function clipToHeight(lines: string[], height: number): string[] {
  if (lines.length <= height) return lines;
  if (height <= 1) return lines.slice(-1);
  const kept = lines.slice(0, height - 2);
  const hidden = lines.length - 1 - kept.length;
  return [...kept, `… ${plural(hidden, 'more line')}`, lines.at(-1)!];
}

/** A live region on `out`, which must be a terminal. */
export function createLiveRegion(
  out: OutStream & { rows?: number },
  fallback: SizeFallback = {},
): LiveRegion {
  const size = {
    get columns() {
      return Math.max(20, out.columns || fallback.columns || 80);
    },
    get rows() {
      return Math.max(2, out.rows || fallback.rows || 24);
    },
  };
  // log-update asks the stream for its size; give it the one we draw for.
  const target = {
    write: (chunk: string) => out.write(chunk),
    isTTY: true,
    get columns() {
      return size.columns;
    },
    get rows() {
      return size.rows;
    },
  };
  // showCursor: hiding it would need a signal-exit hook to restore it, beside our own signal handling.
  const update = createLogUpdate(target as unknown as NodeJS.WriteStream, { showCursor: true });
  let last: string[] = [];
  const region: LiveRegion = {
    get width() {
      return size.columns - 1;
    },
    get height() {
      // One row stays free for the cursor below the region.
      return size.rows - 1;
    },
    render(lines) {
      last = lines;
      const w = region.width;
      update(
        clipToHeight(lines, region.height)
          .map((l) => cutToCells(l, w))
          .join('\n'),
      );
    },
    persist(line) {
      update.persist(line);
      if (last.length) region.render(last);
    },
    clear() {
      update.clear();
      update.done();
      last = [];
    },
  };
  return region;
}
