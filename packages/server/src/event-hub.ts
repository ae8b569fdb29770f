import type { RunEvent, SprintStore } from '@sprint/core';
import { ApiError } from './problem.js';
import type { Redactor } from './redact.js';

/** One event as sent on the wire: its sequence number and its encoded SSE frame. */
export interface EventFrame {
  readonly seq: number;
  readonly bytes: Uint8Array;
}

/** Where a channel delivers frames: one SSE connection. */
export interface FrameSink {
  /** Queues a frame; returns false when the client is too far behind (it is then dropped). */
  send(frame: EventFrame): boolean;
  /** Ends the connection (the client may reconnect with `Last-Event-ID`). */
  close(): void;
}

export interface EventHubOptions {
  store: SprintStore;
  redactor: Redactor;
  /** How often a sprint with subscribers is read for events other processes appended (ms). */
  pollIntervalMs?: number;
  /** Recent events kept per sprint, so reconnects replay from memory (default 2,000). */
  bufferSize?: number;
  /** How long a sprint's channel lives on after its last subscriber left (ms). */
  lingerMs?: number;
}

const encoder = new TextEncoder();

/** Encodes one run event as an SSE frame: `id: <seq>` and one `data:` line of JSON. */
function encodeEventFrame(event: RunEvent, redactor: Redactor): EventFrame {
  return {
    seq: event.seq,
    bytes: encoder.encode(`id: ${event.seq}\ndata: ${redactor.json(event)}\n\n`),
  };
}

/**
 * Fans the events of each sprint out to every SSE subscriber of it.
 *
 * One channel per sprint, whatever the number of subscribers: it listens to
 * the store (events this process appends arrive at once) and, while anyone
 * listens, reads the sprint's event log every `pollIntervalMs` for events
 * another process (the CLI) appended. Each event is encoded once and the same
 * bytes go to every subscriber. Events go out strictly in `seq` order: a gap
 * is filled from the log before anything after it is sent.
 */
export class EventHub {
  readonly #options: Required<EventHubOptions>;
  readonly #channels = new Map<string, Channel>();
  #closed = false;

  constructor(options: EventHubOptions) {
    this.#options = {
      pollIntervalMs: 500,
      bufferSize: 2000,
      lingerMs: 10_000,
      ...options,
    };
  }

  /** Subscribers across all sprints. */
  get subscriberCount(): number {
    let n = 0;
    for (const channel of this.#channels.values()) n += channel.size;
    return n;
  }

  /**
   * Subscribes a sink to a sprint's events after `afterSeq` (`'now'`: only
   * events from now on). What the sink missed is replayed first, from memory
   * when recent, else from the event log; then it gets live events.
   * Returns the unsubscribe function.
   */
  async subscribe(
    sprintId: string,
    afterSeq: number | 'now',
    sink: FrameSink,
  ): Promise<() => void> {
    if (this.#closed) throw new ApiError(503, 'SHUTTING_DOWN', 'The server is shutting down.');
    let channel = this.#channels.get(sprintId);
    if (!channel) {
      channel = new Channel(sprintId, this.#options, () => {
        if (this.#channels.get(sprintId) === channel) this.#channels.delete(sprintId);
      });
      this.#channels.set(sprintId, channel);
    }
    return channel.add(sink, afterSeq);
  }

  /**
   * Sends every subscriber what the event logs hold that it has not had yet
   * (the last events of runs that just ended), before a `close`.
   */
  async flush(): Promise<void> {
    await Promise.all([...this.#channels.values()].map((channel) => channel.flush()));
  }

  /** Ends every connection and stops every poll. */
  close(): void {
    this.#closed = true;
    for (const channel of this.#channels.values()) channel.dispose();
    this.#channels.clear();
  }
}

interface Member {
  sink: FrameSink;
  /** Frames that arrived while the member's replay was being read. */
  pending: EventFrame[] | undefined;
  sent: number;
}

class Channel {
  readonly #id: string;
  readonly #options: Required<EventHubOptions>;
  readonly #onEmpty: () => void;
  readonly #members = new Set<Member>();
  readonly #ring: EventFrame[] = [];
  #lastSeq = 0;
  #ready: Promise<void> | undefined;
  #unsubscribeStore: (() => void) | undefined;
  #poll: NodeJS.Timeout | undefined;
  #linger: NodeJS.Timeout | undefined;
  #catchingUp: Promise<void> | undefined;
  #again = false;
  #started = false;
  #missedDuringStart = false;
  #disposed = false;

  constructor(id: string, options: Required<EventHubOptions>, onEmpty: () => void) {
    this.#id = id;
    this.#options = options;
    this.#onEmpty = onEmpty;
  }

  get size(): number {
    return this.#members.size;
  }

  async add(sink: FrameSink, afterSeq: number | 'now'): Promise<() => void> {
    clearTimeout(this.#linger);
    this.#linger = undefined;
    const member: Member = { sink, pending: [], sent: 0 };
    this.#members.add(member);
    const remove = () => this.#remove(member);
    try {
      this.#ready ??= this.#start();
      await this.#ready;
      let after = afterSeq === 'now' ? this.#lastSeq : afterSeq;
      if (after > this.#lastSeq) {
        // An id past the end of the log (a sprint made anew under the same id, a client's
        // bad bookkeeping) would mute every event up to it: start after the log's last event.
        const { state } = await this.#options.store.load(this.#id);
        after = Math.min(after, Math.max(state.lastSeq, this.#lastSeq));
      }
      member.sent = after;
      const oldest = this.#ring[0]?.seq ?? this.#lastSeq + 1;
      if (after < oldest - 1) {
        // Older than the memory buffer: read what was missed from the log.
        const events = await this.#options.store.readEvents(this.#id, { afterSeq: after });
        for (const event of events) {
          if (!this.#members.has(member)) return remove;
          if (event.seq <= member.sent || event.seq > this.#lastSeq) continue;
          this.#deliver(member, encodeEventFrame(event, this.#options.redactor));
        }
      }
      for (const frame of this.#ring) {
        if (frame.seq > member.sent) this.#deliver(member, frame);
      }
      const pending = member.pending ?? [];
      member.pending = undefined;
      for (const frame of pending) if (frame.seq > member.sent) this.#deliver(member, frame);
    } catch (error) {
      remove();
      throw error;
    }
    return remove;
  }

  /** Reads the log once more and delivers what it holds past the last event sent. */
  async flush(): Promise<void> {
    try {
      await this.#ready;
    } catch {
      return;
    }
    if (this.#disposed) return;
    this.#catchUp();
    await this.#catchingUp;
  }

  dispose(): void {
    this.#disposed = true;
    clearInterval(this.#poll);
    clearTimeout(this.#linger);
    this.#unsubscribeStore?.();
    for (const member of this.#members) member.sink.close();
    this.#members.clear();
  }

  async #start(): Promise<void> {
    const { store, pollIntervalMs } = this.#options;
    // Listen first, so an event appended during the initial read is at least noticed.
    this.#unsubscribeStore = store.subscribe(this.#id, (event) => this.#onStoreEvent(event));
    try {
      const { state } = await store.load(this.#id);
      const from = Math.max(0, state.lastSeq - this.#options.bufferSize);
      this.#lastSeq = from;
      const events = await store.readEvents(this.#id, { afterSeq: from });
      for (const event of events) this.#push(event);
    } catch (error) {
      this.#unsubscribeStore();
      this.#unsubscribeStore = undefined;
      this.#ready = undefined;
      throw error;
    }
    this.#started = true;
    this.#poll = setInterval(() => this.#catchUp(), pollIntervalMs);
    this.#poll.unref();
    if (this.#missedDuringStart) this.#catchUp();
  }

  #onStoreEvent(event: RunEvent): void {
    if (this.#disposed) return;
    if (!this.#started) {
      this.#missedDuringStart = true;
      return;
    }
    if (event.seq === this.#lastSeq + 1 && !this.#catchingUp) this.#push(event);
    else if (event.seq > this.#lastSeq) this.#catchUp();
  }

  /** Reads the log after the last event sent; one read at a time, repeated if asked meanwhile. */
  #catchUp(): void {
    if (this.#disposed) return;
    if (this.#catchingUp) {
      this.#again = true;
      return;
    }
    this.#catchingUp = (async () => {
      do {
        this.#again = false;
        try {
          const events = await this.#options.store.readEvents(this.#id, {
            afterSeq: this.#lastSeq,
          });
          for (const event of events) if (!this.#disposed) this.#push(event);
        } catch {
          // The sprint may be gone or the log mid-write; the next poll tries again.
        }
      } while (this.#again && !this.#disposed);
    })().finally(() => {
      this.#catchingUp = undefined;
    });
  }

  #push(event: RunEvent): void {
    if (event.seq <= this.#lastSeq) return;
    this.#lastSeq = event.seq;
    const frame = encodeEventFrame(event, this.#options.redactor);
    this.#ring.push(frame);
    if (this.#ring.length > this.#options.bufferSize) {
      this.#ring.splice(0, this.#ring.length - this.#options.bufferSize);
    }
    for (const member of this.#members) {
      if (member.pending) member.pending.push(frame);
      else this.#deliver(member, frame);
    }
  }

  #deliver(member: Member, frame: EventFrame): void {
    if (frame.seq <= member.sent) return;
    member.sent = frame.seq;
    if (!member.sink.send(frame)) {
      this.#remove(member);
      member.sink.close();
    }
  }

  #remove(member: Member): void {
    if (!this.#members.delete(member) || this.#members.size > 0 || this.#disposed) return;
    if (!this.#started) {
      // Never started (the sprint does not exist): nothing worth keeping.
      this.dispose();
      this.#onEmpty();
      return;
    }
    this.#linger = setTimeout(() => {
      if (this.#members.size > 0) return;
      this.dispose();
      this.#onEmpty();
    }, this.#options.lingerMs);
    this.#linger.unref();
  }
}
