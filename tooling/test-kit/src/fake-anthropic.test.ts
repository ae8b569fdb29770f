import { afterEach, describe, expect, it } from 'vitest';
import { type FakeAnthropic, startFakeAnthropic } from './fake-anthropic.js';

let fake: FakeAnthropic | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const post = (url: string, body: unknown = { model: 'm', stream: true, messages: [] }) =>
  fetch(`${url}/v1/messages?beta=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

/** Splits an SSE body into its events' data objects. */
function events(text: string): Array<{ event: string; data: Record<string, unknown> }> {
  return text
    .split('\n\n')
    .filter((chunk) => chunk.trim())
    .map((chunk) => {
      const [eventLine, dataLine] = chunk.split('\n');
      return {
        event: eventLine!.replace('event: ', ''),
        data: JSON.parse(dataLine!.replace('data: ', '')),
      };
    });
}

describe('startFakeAnthropic', () => {
  it('listens on 127.0.0.1, answers HEAD / with 200 and unknown paths with 404', async () => {
    fake = await startFakeAnthropic([{ type: 'text', text: 'hi' }]);
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(fake.url, { method: 'HEAD' })).status).toBe(200);
    const missing = await fetch(`${fake.url}/v1/other`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({
      type: 'error',
      error: { type: 'not_found_error' },
    });
  });

  it('streams a text reply as Messages SSE events and records the request', async () => {
    fake = await startFakeAnthropic([{ type: 'text', text: 'hello', usage: { output_tokens: 7 } }]);
    const res = await post(fake.url, { model: 'claude-x', stream: true, messages: [] });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const evs = events(await res.text());
    expect(evs.map((e) => e.event)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(evs[0]!.data).toMatchObject({ message: { model: 'claude-x', role: 'assistant' } });
    expect(evs[2]!.data).toMatchObject({ delta: { type: 'text_delta', text: 'hello' } });
    expect(evs[4]!.data).toMatchObject({
      delta: { stop_reason: 'end_turn' },
      usage: { output_tokens: 7 },
    });
    expect(fake.messageRequests()).toHaveLength(1);
    expect(fake.requests[0]!.body).toMatchObject({ model: 'claude-x' });
  });

  it('streams tool calls as input_json_delta pieces that join to the input', async () => {
    fake = await startFakeAnthropic([
      { type: 'tool-use', name: 'Bash', input: { command: 'echo hi > out.txt' }, text: 'ok' },
      { type: 'structured-output', output: { status: 'completed' } },
    ]);
    for (const [name, input] of [
      ['Bash', { command: 'echo hi > out.txt' }],
      ['StructuredOutput', { status: 'completed' }],
    ] as const) {
      const evs = events(await (await post(fake.url)).text());
      const start = evs.find(
        (e) =>
          e.event === 'content_block_start' &&
          (e.data.content_block as { type: string }).type === 'tool_use',
      );
      expect(start?.data.content_block).toMatchObject({ name });
      const json = evs
        .filter((e) => (e.data.delta as { type?: string } | undefined)?.type === 'input_json_delta')
        .map((e) => (e.data.delta as { partial_json: string }).partial_json)
        .join('');
      expect(JSON.parse(json)).toEqual(input);
      expect(evs.find((e) => e.event === 'message_delta')?.data).toMatchObject({
        delta: { stop_reason: 'tool_use' },
      });
    }
  });

  it('answers errors with Anthropic error bodies and repeats the last entry of a list', async () => {
    fake = await startFakeAnthropic([
      { type: 'error', status: 529 },
      { type: 'error', status: 429, headers: { 'retry-after': '7' } },
    ]);
    const first = await post(fake.url);
    expect(first.status).toBe(529);
    expect(await first.json()).toMatchObject({ error: { type: 'overloaded_error' } });
    for (let i = 0; i < 2; i++) {
      const res = await post(fake.url);
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('7');
      expect(await res.json()).toMatchObject({ error: { type: 'rate_limit_error' } });
    }
  });

  it('holds a connection for a hang reply until close() ends it', async () => {
    fake = await startFakeAnthropic((_req, index) =>
      index === 0 ? { type: 'hang' } : { type: 'text', text: 'late' },
    );
    const pending = post(fake.url).then(
      () => 'answered',
      () => 'ended',
    );
    const early = await Promise.race([
      pending,
      new Promise((r) => setTimeout(() => r('still waiting'), 300)),
    ]);
    expect(early).toBe('still waiting');
    await fake.close();
    expect(await pending).toBe('ended');
    fake = undefined;
  });
});
