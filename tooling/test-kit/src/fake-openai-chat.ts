import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import {
  delay,
  type FakeHttpRequest,
  type FakeHttpServer,
  scriptedReplies,
  sendJson,
  sse,
  startFakeHttp,
} from './fake-http.js';

export interface ChatUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  cached_tokens?: number;
}

/**
 * One scripted answer of the fake to one `POST .../chat/completions` request.
 *
 * - `text`: assistant content, `finish_reason: stop`.
 * - `shell`: a call of the client's shell tool (`bash` with `command`, as
 *   opencode offers it), `finish_reason: tool_calls`.
 * - `tool-call`: a call of any tool.
 * - `error`: an HTTP error with an OpenAI error body.
 * - `hang`: never answer.
 */
export type ChatReply =
  | { type: 'text'; text: string; usage?: ChatUsage; delayMs?: number }
  | { type: 'shell'; command: string; usage?: ChatUsage; delayMs?: number }
  | {
      type: 'tool-call';
      name: string;
      arguments: Record<string, unknown>;
      usage?: ChatUsage;
      delayMs?: number;
    }
  | {
      type: 'error';
      status: number;
      code?: string;
      message?: string;
      headers?: Record<string, string>;
    }
  | { type: 'hang' };

export type ChatScript =
  | readonly ChatReply[]
  | ((request: FakeHttpRequest, index: number) => ChatReply | Promise<ChatReply>);

export interface FakeOpenAIChat extends FakeHttpServer {
  /** The base URL with `/v1`, for an OpenAI-compatible provider's `baseURL`. */
  baseUrl: string;
  /** The `POST .../chat/completions` requests that used the script. */
  chatRequests(): FakeHttpRequest[];
}

/**
 * A scripted fake of an OpenAI-compatible chat completions endpoint
 * (`POST /v1/chat/completions`, streamed) on 127.0.0.1, for running the real
 * `opencode` CLI. Requests without tools (the CLI's own title and summary
 * requests) get a short title and do not use the script. `GET /v1/models`
 * lists one model.
 */
export async function startFakeOpenAIChat(script: ChatScript): Promise<FakeOpenAIChat> {
  const next = scriptedReplies(script, 'startFakeOpenAIChat');
  const scripted: FakeHttpRequest[] = [];
  const server = await startFakeHttp(async (request, res) => {
    const path = request.path.split('?')[0] ?? '';
    if (request.method === 'GET' && path.endsWith('/models')) {
      sendJson(res, 200, {
        object: 'list',
        data: [{ id: 'fake-model', object: 'model', owned_by: 'fake' }],
      });
      return;
    }
    if (request.method !== 'POST' || !path.endsWith('/chat/completions')) {
      sendJson(res, 404, { error: { message: `Not found: ${request.path}`, code: 'not_found' } });
      return;
    }
    const body = request.body as { tools?: unknown[]; stream?: boolean } | undefined;
    const usesScript = Boolean(body?.tools && body.tools.length > 0);
    if (usesScript) scripted.push(request);
    const reply: ChatReply = usesScript
      ? await next(request)
      : { type: 'text', text: 'Sprint task' };
    if (reply.type === 'hang') return;
    if (reply.type === 'error') {
      sendJson(
        res,
        reply.status,
        {
          error: {
            message: reply.message ?? `Error ${reply.status} (fake)`,
            type: reply.code ?? 'api_error',
            code: reply.code ?? null,
          },
        },
        reply.headers,
      );
      return;
    }
    await delay(reply.delayMs);
    if (body?.stream === false) {
      sendJson(res, 200, completion(reply, request.body));
      return;
    }
    streamCompletion(res, reply, request.body);
  });
  return {
    ...server,
    baseUrl: `${server.url}/v1`,
    chatRequests: () => scripted,
  };
}

type Content = Extract<ChatReply, { type: 'text' | 'shell' | 'tool-call' }>;

function toolCall(reply: Content) {
  if (reply.type === 'text') return undefined;
  const name = reply.type === 'shell' ? 'bash' : reply.name;
  const args =
    reply.type === 'shell'
      ? { command: reply.command, description: 'Run a command' }
      : reply.arguments;
  return {
    id: `call_fake_${randomUUID().replaceAll('-', '').slice(0, 20)}`,
    type: 'function',
    function: { name, arguments: JSON.stringify(args) },
  };
}

function usageOf(reply: Content) {
  const prompt = reply.usage?.prompt_tokens ?? 100;
  const completion = reply.usage?.completion_tokens ?? 20;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: reply.usage?.cached_tokens ?? 0 },
  };
}

function completion(reply: Content, body: unknown) {
  const call = toolCall(reply);
  return {
    id: `chatcmpl-fake-${randomUUID()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: (body as { model?: string } | undefined)?.model ?? 'fake-model',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: reply.type === 'text' ? reply.text : null,
          ...(call ? { tool_calls: [call] } : {}),
        },
        finish_reason: call ? 'tool_calls' : 'stop',
      },
    ],
    usage: usageOf(reply),
  };
}

function streamCompletion(res: ServerResponse, reply: Content, body: unknown): void {
  const id = `chatcmpl-fake-${randomUUID()}`;
  const model = (body as { model?: string } | undefined)?.model ?? 'fake-model';
  const created = Math.floor(Date.now() / 1000);
  const send = sse(res);
  const chunk = (delta: unknown, finish: string | null, extra: Record<string, unknown> = {}) =>
    send(undefined, {
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, finish_reason: finish }],
      ...extra,
    });
  chunk({ role: 'assistant', content: '' }, null);
  const call = toolCall(reply);
  if (reply.type === 'text') chunk({ content: reply.text }, null);
  if (call) chunk({ tool_calls: [{ index: 0, ...call }] }, null);
  chunk({}, call ? 'tool_calls' : 'stop');
  send(undefined, {
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [],
    usage: usageOf(reply),
  });
  res.write('data: [DONE]\n\n');
  res.end();
}
