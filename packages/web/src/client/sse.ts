/** One event of a server-sent event stream: its id and its data. */
export interface SseMessage {
  id?: string;
  data: string;
}

/**
 * Splits a stream's text into complete messages, per the SSE format: fields
 * `id:` and `data:` up to a blank line; comments (`:`) and `retry:` are read
 * past. Returns the messages and the unfinished tail to prepend to the next
 * chunk. Pure, so the framing is tested by table.
 */
export function parseSse(buffer: string): { messages: SseMessage[]; rest: string } {
  const messages: SseMessage[] = [];
  const text = buffer.replace(/\r\n?/g, '\n');
  let start = 0;
  for (;;) {
    const end = text.indexOf('\n\n', start);
    if (end < 0) break;
    const block = text.slice(start, end);
    start = end + 2;
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'id') id = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length) messages.push({ ...(id === undefined ? {} : { id }), data: data.join('\n') });
  }
  return { messages, rest: text.slice(start) };
}

/** The state of a live connection, as the header shows it. */
export type LiveState = 'connecting' | 'connected' | 'reconnecting' | 'signed-out';

export interface FollowOptions {
  token: string;
  /** Called for each event, in order, never twice for the same id. */
  onEvent(event: { seq: number } & Record<string, unknown>): void;
  onState(state: LiveState): void;
  signal: AbortSignal;
  /** Start with live events only (`?after=now`) instead of replaying the log. */
  liveOnly?: boolean;
}

/**
 * Follows a sprint's event stream with `fetch` (EventSource cannot send the
 * Authorization header), from the first event; after a drop it reconnects
 * with `Last-Event-ID` set to the last event seen, so nothing is missed or
 * repeated. Backs off up to 5 s between attempts; stops on abort or a 401.
 */
export async function followEvents(path: string, options: FollowOptions): Promise<void> {
  let last = 0;
  let delay = 250;
  const { signal } = options;
  while (!signal.aborted) {
    try {
      const url = last === 0 && options.liveOnly ? `${path}?after=now` : path;
      const res = await fetch(url, {
        headers: {
          authorization: `Bearer ${options.token}`,
          accept: 'text/event-stream',
          ...(last > 0 ? { 'last-event-id': String(last) } : {}),
        },
        signal,
        cache: 'no-store',
      });
      if (res.status === 401) {
        options.onState('signed-out');
        return;
      }
      if (!res.ok || !res.body) throw new Error(`event stream: HTTP ${res.status}`);
      options.onState('connected');
      delay = 250;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let rest = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const parsed = parseSse(rest + value);
        rest = parsed.rest;
        for (const message of parsed.messages) {
          const event = JSON.parse(message.data) as { seq: number };
          if (typeof event.seq !== 'number' || event.seq <= last) continue;
          last = event.seq;
          options.onEvent(event);
        }
      }
    } catch {
      if (signal.aborted) return;
    }
    if (signal.aborted) return;
    options.onState('reconnecting');
    await new Promise<void>((ok) => {
      const timer = setTimeout(ok, delay);
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          ok();
        },
        { once: true },
      );
    });
    delay = Math.min(delay * 2, 5000);
  }
}
