import { join } from 'node:path';
import type { RunEvent } from '../model/events.js';
import { chainAtStart, EVENT_LOG, type LogChain, readLog } from './event-log.js';
import type { SprintLocation } from './log-replay.js';
import { readFileNoFollow } from './safe-fs.js';
import { EventHub } from './store-kit.js';

interface Watcher {
  timer: NodeJS.Timeout;
  offset: number;
  seq: number;
  chain: LogChain;
}

/**
 * Reading a sprint's event log from outside the lock: history from a seq on
 * (with a cursor per log, so paging forward does not re-read from the start),
 * and live events for subscribers, whether this process writes the log or
 * another one does (then the log is polled).
 */
export class LogTail {
  readonly #hub = new EventHub();
  readonly #cursors = new Map<string, { offset: number; seq: number; chain: LogChain }>();
  readonly #watchers = new Map<string, Watcher>();

  readonly #locate: (sprintId: string) => Promise<SprintLocation>;
  readonly #writing: (sprintId: string) => boolean;

  /** `writing` says whether this process holds the sprint's log (it then announces its own events). */
  constructor(
    locate: (sprintId: string) => Promise<SprintLocation>,
    writing: (sprintId: string) => boolean,
  ) {
    this.#locate = locate;
    this.#writing = writing;
  }

  async readEvents(
    sprintId: string,
    options: { afterSeq?: number; limit?: number } = {},
  ): Promise<RunEvent[]> {
    const location = await this.#locate(sprintId);
    const logPath = join(location.runtimeDir, EVENT_LOG);
    const after = options.afterSeq ?? 0;
    const cursor = this.#cursors.get(logPath);
    let buf: Buffer;
    try {
      buf = (await readFileNoFollow(logPath)) ?? Buffer.alloc(0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const usable = cursor && cursor.seq <= after && cursor.offset <= buf.length;
    const chain: LogChain = usable ? { ...cursor.chain } : chainAtStart();
    const out: RunEvent[] = [];
    for (const item of readLog(buf, usable ? cursor.offset : 0, chain)) {
      if (item.kind !== 'event') continue;
      const event = item.event;
      delete (event as { mac?: string }).mac;
      if (event.seq <= after) {
        this.#cursors.set(logPath, { offset: item.end, seq: event.seq, chain: { ...chain } });
        continue;
      }
      out.push(event);
      if (options.limit && out.length >= options.limit) break;
    }
    return out;
  }

  subscribe(sprintId: string, listener: (event: RunEvent) => void): () => void {
    const unsubscribe = this.#hub.subscribe(sprintId, listener);
    if (!this.#watchers.has(sprintId)) this.#watch(sprintId);
    return () => {
      unsubscribe();
      if (this.#hub.count(sprintId) === 0) {
        const w = this.#watchers.get(sprintId);
        if (w) clearInterval(w.timer);
        this.#watchers.delete(sprintId);
      }
    };
  }

  /** Events this process just appended at `offset` (the log's end), where the chain is `chain`. */
  appended(sprintId: string, events: readonly RunEvent[], offset: number, chain: LogChain): void {
    this.#hub.emit(sprintId, events);
    const w = this.#watchers.get(sprintId);
    if (w) {
      w.seq = events.at(-1)!.seq;
      w.offset = offset;
      w.chain = { ...chain };
    }
  }

  /** Follows a log written by another process, for subscribers in this one. */
  #watch(sprintId: string): void {
    const w: Watcher = {
      timer: undefined as unknown as NodeJS.Timeout,
      offset: -1,
      seq: 0,
      chain: chainAtStart(),
    };
    let busy = false;
    const tick = async () => {
      if (busy || this.#writing(sprintId)) return;
      busy = true;
      try {
        const location = await this.#locate(sprintId);
        const logPath = join(location.runtimeDir, EVENT_LOG);
        const buf = (await readFileNoFollow(logPath)) ?? Buffer.alloc(0);
        if (w.offset < 0 || buf.length < w.offset) {
          // Start at the end: subscribers read history with readEvents.
          w.chain = chainAtStart();
          w.offset = 0;
          for (const item of readLog(buf, 0, w.chain)) {
            w.offset = item.end;
            if (item.kind === 'event') w.seq = Math.max(w.seq, item.event.seq);
          }
          return;
        }
        if (buf.length <= w.offset) return;
        const events: RunEvent[] = [];
        for (const item of readLog(buf, w.offset, w.chain)) {
          w.offset = item.end;
          if (item.kind !== 'event') continue;
          delete (item.event as { mac?: string }).mac;
          if (item.event.seq > w.seq) events.push(item.event);
        }
        if (events.length) {
          w.seq = events.at(-1)!.seq;
          this.#hub.emit(sprintId, events);
        }
      } catch {
        // The sprint may be gone or being created; try again on the next tick.
      } finally {
        busy = false;
      }
    };
    w.timer = setInterval(() => void tick(), 200);
    w.timer.unref?.();
    this.#watchers.set(sprintId, w);
    void tick();
  }
}
