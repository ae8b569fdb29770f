import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import {
  delay,
  type FakeHttpRequest,
  scriptedReplies,
  sendJson,
  sse,
  startFakeHttp,
} from './fake-http.js';

/** Token counts the fake reports for one reply (`message_start` and `message_delta`). */
export interface FakeUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

/**
 * One scripted answer of the fake to one `POST /v1/messages` request.
 *
 * - `text`: an assistant text block, `stop_reason: "end_turn"`.
 * - `tool-use`: a `tool_use` block (optionally after a text block), `stop_reason: "tool_use"`.
 *   The CLI runs the tool and sends its `tool_result` in the next request.
 * - `structured-output`: a call of the `StructuredOutput` tool the CLI adds when it
 *   gets `--json-schema`; the CLI puts `input` in the result line's `structured_output`.
 * - `error`: an HTTP error with an Anthropic error body (`{"type":"error","error":{...}}`).
 * - `hang`: never answer; the connection stays open until the client or `close()` ends it.
 */
export type FakeReply =
  | { type: 'text'; text: string; usage?: FakeUsage; delayMs?: number }
  | {
      type: 'tool-use';
      name: string;
      input: Record<string, unknown>;
      /** Text the model "says" before calling the tool. */
      text?: string;
      usage?: FakeUsage;
      delayMs?: number;
    }
  | {
      type: 'structured-output';
      output: Record<string, unknown>;
      usage?: FakeUsage;
      delayMs?: number;
    }
  | {
      type: 'error';
      status: number;
      /** Defaults by status: 400 invalid_request_error, 401 authentication_error, 429 rate_limit_error, 529 overloaded_error. */
      errorType?: string;
      message?: string;
      headers?: Record<string, string>;
    }
  | { type: 'hang' };

/** A request the fake received, in arrival order (every path, not only `/v1/messages`). */
export type FakeRequest = FakeHttpRequest;

/**
 * What the fake answers. A list answers the n-th `POST /v1/messages` with its n-th
 * entry and repeats its last entry once it runs out (so `[{ type: 'error', status: 529 }]`
 * is "always overloaded"). A function gets each such request and its 0-based index.
 */
export type FakeScript =
  | readonly FakeReply[]
  | ((request: FakeRequest, index: number) => FakeReply | Promise<FakeReply>);

/** A running fake; see {@link startFakeAnthropic}. */
export interface FakeAnthropic {
  /** `http://127.0.0.1:<port>`, for `ANTHROPIC_BASE_URL`. */
  url: string;
  /** Every request received so far, in order. */
  requests: FakeRequest[];
  /** The `POST /v1/messages` requests only. */
  messageRequests(): FakeRequest[];
  /** Stops listening and ends every open connection, held ones included. */
  close(): Promise<void>;
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

const ERROR_MESSAGES: Record<number, string> = {
  400: 'Invalid request (fake)',
  401: 'invalid x-api-key',
  429: 'Number of request tokens has exceeded your per-minute rate limit (fake)',
  529: 'Overloaded',
};

/**
 * Starts a scripted fake of the Anthropic Messages API on 127.0.0.1 (random port).
 * It answers `HEAD /` with 200, `POST /v1/messages` from the script as a
 * Server-Sent Events stream, and everything else with 404.
 *
 * @example
 * ```ts
 * const fake = await startFakeAnthropic([
 *   { type: 'tool-use', name: 'Bash', input: { command: 'echo hi > out.txt' } },
 *   { type: 'structured-output', output: { status: 'completed', summary: 'wrote out.txt' } },
 * ]);
 * try {
 *   // run claude with claudeTestEnv({ baseUrl: fake.url, home })
 * } finally {
 *   await fake.close();
 * }
 * ```
 */
export async function startFakeAnthropic(script: FakeScript): Promise<FakeAnthropic> {
  const next = scriptedReplies(script, 'startFakeAnthropic');
  const server = await startFakeHttp(async (request, res) => {
    const pathname = request.path.split('?')[0];
    if (request.method === 'HEAD' && pathname === '/') {
      res.writeHead(200).end();
      return;
    }
    if (request.method !== 'POST' || pathname !== '/v1/messages') {
      sendError(res, { type: 'error', status: 404, message: `Not found: ${request.path}` });
      return;
    }
    const reply = await next(request);
    if (reply.type === 'hang') return; // hold the connection until someone ends it
    if (reply.type === 'error') {
      sendError(res, reply);
      return;
    }
    await delay(reply.delayMs);
    streamMessage(res, reply, modelOf(request.body));
  });
  return {
    ...server,
    messageRequests: () =>
      server.requests.filter((r) => r.method === 'POST' && r.path.split('?')[0] === '/v1/messages'),
  };
}

function modelOf(body: unknown): string {
  if (body && typeof body === 'object' && 'model' in body && typeof body.model === 'string') {
    return body.model;
  }
  return 'claude-fake';
}

const fakeId = (prefix: string) => `${prefix}_fake_${randomUUID().replaceAll('-', '')}`;

function sendError(res: ServerResponse, reply: Extract<FakeReply, { type: 'error' }>): void {
  const body = {
    type: 'error',
    error: {
      type: reply.errorType ?? ERROR_TYPES[reply.status] ?? 'api_error',
      message: reply.message ?? ERROR_MESSAGES[reply.status] ?? `Error ${reply.status} (fake)`,
    },
    request_id: fakeId('req'),
  };
  sendJson(res, reply.status, body, { 'request-id': fakeId('req'), ...reply.headers });
}

type ContentReply = Extract<FakeReply, { type: 'text' | 'tool-use' | 'structured-output' }>;

function streamMessage(res: ServerResponse, reply: ContentReply, model: string): void {
  const usage = {
    input_tokens: reply.usage?.input_tokens ?? 100,
    output_tokens: reply.usage?.output_tokens ?? 20,
    cache_read_input_tokens: reply.usage?.cache_read_input_tokens ?? 0,
    cache_creation_input_tokens: reply.usage?.cache_creation_input_tokens ?? 0,
  };
  const send = sse(res, { 'request-id': fakeId('req') });

  send('message_start', {
    type: 'message_start',
    message: {
      id: fakeId('msg'),
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...usage, output_tokens: 1 },
    },
  });

  let index = 0;
  const text =
    reply.type === 'text' ? reply.text : reply.type === 'tool-use' ? reply.text : undefined;
  if (text !== undefined) {
    send('content_block_start', {
      type: 'content_block_start',
      index,
      content_block: { type: 'text', text: '' },
    });
    send('content_block_delta', {
      type: 'content_block_delta',
      index,
      delta: { type: 'text_delta', text },
    });
    send('content_block_stop', { type: 'content_block_stop', index });
    index++;
  }
  if (reply.type !== 'text') {
    const name = reply.type === 'tool-use' ? reply.name : 'StructuredOutput';
    const input = reply.type === 'tool-use' ? reply.input : reply.output;
    const json = JSON.stringify(input);
    send('content_block_start', {
      type: 'content_block_start',
      index,
      content_block: {
        type: 'tool_use',
        id: `toolu_fake_${randomUUID().replaceAll('-', '').slice(0, 24)}`,
        name,
        input: {},
      },
    });
    // Split the JSON like the real API does, so clients must join the partial pieces.
    const half = Math.ceil(json.length / 2);
    for (const part of [json.slice(0, half), json.slice(half)]) {
      if (!part) continue;
      send('content_block_delta', {
        type: 'content_block_delta',
        index,
        delta: { type: 'input_json_delta', partial_json: part },
      });
    }
    send('content_block_stop', { type: 'content_block_stop', index });
  }
  send('message_delta', {
    type: 'message_delta',
    delta: { stop_reason: reply.type === 'text' ? 'end_turn' : 'tool_use', stop_sequence: null },
    usage: { output_tokens: usage.output_tokens },
  });
  send('message_stop', { type: 'message_stop' });
  res.end();
}
