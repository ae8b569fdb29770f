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

/** Token counts the fake reports in `usageMetadata`. */
export interface GeminiUsage {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  cachedContentTokenCount?: number;
}

/**
 * One scripted answer of the fake to one `:streamGenerateContent` request.
 *
 * - `text`: a model text part, `finishReason: STOP`.
 * - `shell`: a `functionCall` of the CLI's `run_shell_command` tool.
 * - `tool-call`: a `functionCall` of any tool.
 * - `error`: an HTTP error with a Google API error body (`{"error":{code,message,status}}`).
 * - `hang`: never answer.
 */
export type GeminiReply =
  | { type: 'text'; text: string; usage?: GeminiUsage; delayMs?: number }
  | { type: 'shell'; command: string; usage?: GeminiUsage; delayMs?: number }
  | {
      type: 'tool-call';
      name: string;
      args: Record<string, unknown>;
      usage?: GeminiUsage;
      delayMs?: number;
    }
  | { type: 'error'; status: number; message?: string; statusText?: string; details?: unknown[] }
  | { type: 'hang' };

export type GeminiScript =
  | readonly GeminiReply[]
  | ((request: FakeHttpRequest, index: number) => GeminiReply | Promise<GeminiReply>);

/** A running fake; see {@link startFakeGemini}. */
export interface FakeGemini extends FakeHttpServer {
  /** The `:streamGenerateContent` requests only (the turns of the agent). */
  streamRequests(): FakeHttpRequest[];
}

const STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

/**
 * A scripted fake of the Gemini API (`/v1beta/models/<model>:streamGenerateContent`
 * as Server-Sent Events, `:generateContent` and `:countTokens`) on 127.0.0.1,
 * for running the real `gemini` CLI with `GOOGLE_GEMINI_BASE_URL`.
 * Non-streaming `:generateContent` calls (the CLI's own side questions, such
 * as who speaks next) get a neutral JSON answer and do not use the script.
 */
export async function startFakeGemini(script: GeminiScript): Promise<FakeGemini> {
  const next = scriptedReplies(script, 'startFakeGemini');
  const isStream = (r: FakeHttpRequest) =>
    r.method === 'POST' && r.path.includes(':streamGenerateContent');
  const server = await startFakeHttp(async (request, res) => {
    const path = request.path.split('?')[0] ?? '';
    if (request.method === 'POST' && path.endsWith(':countTokens')) {
      sendJson(res, 200, { totalTokens: 10 });
      return;
    }
    if (request.method === 'POST' && path.endsWith(':generateContent')) {
      sendJson(res, 200, {
        candidates: [
          {
            content: {
              role: 'model',
              parts: [
                {
                  text: '{"reasoning":"fake","next_speaker":"user","model_choice":"flash","complexity_reasoning":"fake","complexity_score":10}',
                },
              ],
            },
            finishReason: 'STOP',
            index: 0,
          },
        ],
        usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 1, totalTokenCount: 2 },
      });
      return;
    }
    if (!isStream(request)) {
      sendJson(res, 404, {
        error: { code: 404, message: `Not found: ${request.path}`, status: 'NOT_FOUND' },
      });
      return;
    }
    const reply = await next(request);
    if (reply.type === 'hang') return;
    if (reply.type === 'error') {
      sendJson(res, reply.status, {
        error: {
          code: reply.status,
          message: reply.message ?? `Error ${reply.status} (fake)`,
          status: reply.statusText ?? STATUS[reply.status] ?? 'UNKNOWN',
          ...(reply.details ? { details: reply.details } : {}),
        },
      });
      return;
    }
    await delay(reply.delayMs);
    streamReply(res, reply);
  });
  return { ...server, streamRequests: () => server.requests.filter(isStream) };
}

function streamReply(
  res: ServerResponse,
  reply: Extract<GeminiReply, { type: 'text' | 'shell' | 'tool-call' }>,
): void {
  const part =
    reply.type === 'text'
      ? { text: reply.text }
      : reply.type === 'shell'
        ? { functionCall: { name: 'run_shell_command', args: { command: reply.command } } }
        : { functionCall: { name: reply.name, args: reply.args } };
  const prompt = reply.usage?.promptTokenCount ?? 100;
  const output = reply.usage?.candidatesTokenCount ?? 20;
  const send = sse(res);
  send(undefined, {
    candidates: [{ content: { role: 'model', parts: [part] }, finishReason: 'STOP', index: 0 }],
    usageMetadata: {
      promptTokenCount: prompt,
      candidatesTokenCount: output,
      totalTokenCount: prompt + output,
      cachedContentTokenCount: reply.usage?.cachedContentTokenCount ?? 0,
    },
    modelVersion: 'gemini-fake',
  });
  res.end();
}
