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

/** Token counts the fake reports in `response.completed`. */
export interface ResponsesUsage {
  input_tokens?: number;
  cached_input_tokens?: number;
  output_tokens?: number;
}

/**
 * One scripted answer of the fake to one `POST .../responses` request.
 *
 * - `message`: an assistant message. With `codex exec --output-schema` the final
 *   message is the structured result, so pass `JSON.stringify(result)` as `text`.
 * - `shell`: a call of the shell tool the client offered (`exec_command` with
 *   `cmd`, `shell_command` with `command`, or `shell` with an argv), so the CLI
 *   runs `command` and sends its output in the next request.
 * - `tool-call`: a call of any function tool with the given arguments.
 * - `error`: an HTTP error with an OpenAI error body (`{"error":{...}}`).
 * - `failed`: a 200 stream that ends in `response.failed` with `code`.
 * - `hang`: never answer.
 */
export type ResponsesReply =
  | { type: 'message'; text: string; usage?: ResponsesUsage; delayMs?: number }
  | { type: 'shell'; command: string; text?: string; usage?: ResponsesUsage; delayMs?: number }
  | {
      type: 'tool-call';
      name: string;
      arguments: Record<string, unknown>;
      usage?: ResponsesUsage;
      delayMs?: number;
    }
  | {
      type: 'error';
      status: number;
      code?: string;
      message?: string;
      headers?: Record<string, string>;
    }
  | { type: 'failed'; code: string; message?: string }
  | { type: 'hang' };

export type ResponsesScript =
  | readonly ResponsesReply[]
  | ((request: FakeHttpRequest, index: number) => ResponsesReply | Promise<ResponsesReply>);

/** A running fake; see {@link startFakeOpenAIResponses}. */
export interface FakeOpenAIResponses extends FakeHttpServer {
  /** The base URL with `/v1`, for a provider's `base_url`. */
  baseUrl: string;
  /** The `POST .../responses` requests only. */
  responseRequests(): FakeHttpRequest[];
}

const ERROR_CODES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_api_key',
  403: 'permission_denied',
  429: 'rate_limit_exceeded',
  500: 'server_error',
  503: 'server_is_overloaded',
};

/**
 * A scripted fake of the OpenAI Responses API (`POST /v1/responses`, streamed
 * as Server-Sent Events) on 127.0.0.1, for running the real `codex` CLI.
 * Every other path answers 404.
 *
 * @example
 * ```ts
 * const fake = await startFakeOpenAIResponses([
 *   { type: 'shell', command: 'echo hi > out.txt' },
 *   { type: 'message', text: JSON.stringify({ status: 'completed', summary: 'done' }) },
 * ]);
 * ```
 */
export async function startFakeOpenAIResponses(
  script: ResponsesScript,
): Promise<FakeOpenAIResponses> {
  const next = scriptedReplies(script, 'startFakeOpenAIResponses');
  const isResponses = (r: FakeHttpRequest) =>
    r.method === 'POST' && (r.path.split('?')[0] ?? '').endsWith('/responses');
  const server = await startFakeHttp(async (request, res) => {
    if (!isResponses(request)) {
      sendJson(res, 404, { error: { message: `Not found: ${request.path}`, code: 'not_found' } });
      return;
    }
    const reply = await next(request);
    if (reply.type === 'hang') return;
    if (reply.type === 'error') {
      sendJson(
        res,
        reply.status,
        {
          error: {
            message: reply.message ?? `Error ${reply.status} (fake)`,
            type: ERROR_CODES[reply.status] ?? 'api_error',
            code: reply.code ?? ERROR_CODES[reply.status] ?? null,
            param: null,
          },
        },
        reply.headers,
      );
      return;
    }
    if ('delayMs' in reply) await delay(reply.delayMs);
    streamResponse(res, reply, request.body);
  });
  return {
    ...server,
    baseUrl: `${server.url}/v1`,
    responseRequests: () => server.requests.filter(isResponses),
  };
}

function toolNames(body: unknown): string[] {
  const tools = (body as { tools?: { name?: string }[] } | undefined)?.tools ?? [];
  return tools.map((t) => t.name ?? '').filter(Boolean);
}

function shellCall(command: string, body: unknown): { name: string; args: unknown } {
  const offered = toolNames(body);
  if (offered.includes('exec_command')) return { name: 'exec_command', args: { cmd: command } };
  if (offered.includes('shell_command')) return { name: 'shell_command', args: { command } };
  return { name: 'shell', args: { command: ['bash', '-lc', command] } };
}

function streamResponse(
  res: ServerResponse,
  reply: Exclude<ResponsesReply, { type: 'hang' | 'error' }>,
  body: unknown,
): void {
  const id = `resp_fake_${randomUUID().replaceAll('-', '')}`;
  const model = (body as { model?: string } | undefined)?.model ?? 'gpt-fake';
  const send = sse(res, { 'x-request-id': `req_${randomUUID()}` });
  const response = { id, object: 'response', model, status: 'in_progress', output: [] };
  send('response.created', { type: 'response.created', response });
  if (reply.type === 'failed') {
    send('response.failed', {
      type: 'response.failed',
      response: {
        ...response,
        status: 'failed',
        error: { code: reply.code, message: reply.message ?? `${reply.code} (fake)` },
      },
    });
    res.end();
    return;
  }
  const items: unknown[] = [];
  const text =
    reply.type === 'message' ? reply.text : reply.type === 'shell' ? reply.text : undefined;
  if (text !== undefined) {
    const itemId = `msg_fake_${randomUUID().replaceAll('-', '')}`;
    const item = {
      type: 'message',
      id: itemId,
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text, annotations: [] }],
    };
    send('response.output_item.added', {
      type: 'response.output_item.added',
      output_index: items.length,
      item: { ...item, status: 'in_progress', content: [] },
    });
    send('response.output_text.delta', {
      type: 'response.output_text.delta',
      item_id: itemId,
      output_index: items.length,
      content_index: 0,
      delta: text,
    });
    send('response.output_item.done', {
      type: 'response.output_item.done',
      output_index: items.length,
      item,
    });
    items.push(item);
  }
  if (reply.type === 'shell' || reply.type === 'tool-call') {
    const call =
      reply.type === 'shell'
        ? shellCall(reply.command, body)
        : { name: reply.name, args: reply.arguments };
    const item = {
      type: 'function_call',
      id: `fc_fake_${randomUUID().replaceAll('-', '')}`,
      call_id: `call_fake_${randomUUID().replaceAll('-', '').slice(0, 24)}`,
      name: call.name,
      arguments: JSON.stringify(call.args),
      status: 'completed',
    };
    send('response.output_item.added', {
      type: 'response.output_item.added',
      output_index: items.length,
      item: { ...item, arguments: '', status: 'in_progress' },
    });
    send('response.output_item.done', {
      type: 'response.output_item.done',
      output_index: items.length,
      item,
    });
    items.push(item);
  }
  const input = reply.usage?.input_tokens ?? 100;
  const output = reply.usage?.output_tokens ?? 20;
  send('response.completed', {
    type: 'response.completed',
    response: {
      ...response,
      status: 'completed',
      output: items,
      usage: {
        input_tokens: input,
        input_tokens_details: { cached_tokens: reply.usage?.cached_input_tokens ?? 0 },
        output_tokens: output,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: input + output,
      },
    },
  });
  res.end();
}
