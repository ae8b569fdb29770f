import type { ProcessEnd } from '@sprint/core/agent-kit';
import { describe, expect, it } from 'vitest';
import { type GeminiState, INITIAL_GEMINI_STATE, readGeminiLine } from './gemini-events.js';
import { classifyGeminiError, geminiOutcome, INSTALL_HINT } from './gemini-outcome.js';

const NOW = new Date('2026-12-02T12:00:00Z');
const ctx = { binary: 'gemini', limits: { timeoutMs: 60_000, idleTimeoutMs: 30_000 } };
const cost = { costUsd: 0.002, estimated: true };
const REPORT = {
  status: 'completed',
  summary: 'wrote a.txt',
  deferred_items: [],
  files_changed: ['a.txt'],
};

/** The CLI's stream-json events, folded the way the agent folds them. */
function events(...lines: unknown[]): GeminiState {
  return lines.reduce<GeminiState>(
    (state, e) => readGeminiLine(state, JSON.stringify(e)).state,
    INITIAL_GEMINI_STATE,
  );
}
const init = { type: 'init', session_id: 's1', model: 'gemini-2.5-flash' };
const said = (text: string) => ({ type: 'message', role: 'assistant', content: text });
const success = {
  type: 'result',
  status: 'success',
  stats: { input_tokens: 10, output_tokens: 2 },
};
const errorResult = (message: string) => ({ type: 'result', status: 'error', error: { message } });
const exit = (exitCode: number | null, more: Partial<ProcessEnd> = {}): ProcessEnd => ({
  endedBy: 'exit',
  exitCode,
  signal: null,
  durationMs: 1200,
  stderrTail: '',
  ...more,
});

type Row = [
  name: string,
  state: GeminiState,
  end: ProcessEnd,
  kind: string,
  more?: Record<string, unknown>,
];

// Every kind the issue lists, as far as gemini 0.61 can report it. The CLI's
// own turn limit is exit 53; its auth failure exit 41; API errors arrive as
// `error` events or the result's error message.
const rows: Row[] = [
  ['a completed report', events(init, said(JSON.stringify(REPORT)), success), exit(0), 'ok'],
  [
    'a report fenced after prose',
    events(init, said(`Done.\n\`\`\`json\n${JSON.stringify(REPORT)}\n\`\`\``), success),
    exit(0),
    'ok',
  ],
  [
    'a failed report',
    events(init, said(JSON.stringify({ ...REPORT, status: 'failed' })), success),
    exit(0),
    'failed',
  ],
  ['success without a report', events(init, said('All done!'), success), exit(0), 'invalid-output'],
  [
    'a report missing its summary',
    events(init, said(JSON.stringify({ status: 'completed' })), success),
    exit(0),
    'invalid-output',
  ],
  ['auth: exit 41', events(init), exit(41, { stderrTail: 'Please set an Auth method' }), 'auth'],
  [
    'auth: the API refuses the key',
    events(init, errorResult('[API Error: 400 API key not valid. Please pass a valid API key.]')),
    exit(1),
    'auth',
  ],
  [
    'rate-limit with its wait',
    events(init, errorResult('[API Error: 429 RESOURCE_EXHAUSTED. Please retry in 2.5s.]')),
    exit(1),
    'rate-limit',
    { retryAfterMs: 2500 },
  ],
  [
    'overloaded',
    events(init, errorResult('[API Error: 503 UNAVAILABLE: The model is overloaded.]')),
    exit(1),
    'overloaded',
  ],
  [
    'usage limit with its reset time',
    events(
      init,
      errorResult('Quota exceeded for requests per day. Resets at 2026-12-03T00:00:00Z.'),
    ),
    exit(1),
    'usage-limit',
    { resetAt: '2026-12-03T00:00:00.000Z' },
  ],
  ['max-turns: exit 53', events(init, said('working')), exit(53), 'max-turns'],
  ['timeout', events(init), exit(null, { endedBy: 'timeout', signal: 'SIGTERM' }), 'timeout'],
  ['idle', events(init), exit(null, { endedBy: 'idle', signal: 'SIGTERM' }), 'idle'],
  [
    'idle while the API kept refusing: the cause is named',
    events(init, { type: 'error', message: '[API Error: 429 Too Many Requests]' }),
    exit(null, { endedBy: 'idle', signal: 'SIGTERM' }),
    'rate-limit',
  ],
  ['cancel', events(init), exit(null, { endedBy: 'cancel', signal: 'SIGTERM' }), 'cancelled'],
  ['crash: killed', events(init), exit(null, { endedBy: 'signal', signal: 'SIGKILL' }), 'crash'],
  ['crash: exit 1 without a word', events(init), exit(1), 'crash'],
  [
    'binary missing, with the install command',
    INITIAL_GEMINI_STATE,
    exit(null, {
      endedBy: 'spawn-error',
      spawnError: { code: 'ENOENT', message: 'spawn gemini ENOENT' },
    }),
    'binary-missing',
  ],
  ['config: exit 52', events(init), exit(52, { stderrTail: 'bad settings.json' }), 'config'],
];

describe('geminiOutcome: from the CLI final events and exit to the outcome', () => {
  it.each(rows)('%s', (_name, state, end, kind, more) => {
    const r = geminiOutcome({ state, end, cost, ctx, now: NOW });
    expect(r.success ? 'ok' : (r.error?.kind ?? 'failed')).toBe(kind);
    if (more) expect(r.error).toMatchObject(more);
    expect(r.costUsd).toBe(0.002);
    expect(r.costEstimated).toBe(true);
  });

  it('names the install command when the binary is missing', () => {
    const r = geminiOutcome({ state: INITIAL_GEMINI_STATE, end: rows[17]![2], cost, ctx });
    expect(r.error?.message).toContain(INSTALL_HINT);
    expect(INSTALL_HINT).toContain('npm i -g @google/gemini-cli');
  });

  it('counts the tokens of the result event', () => {
    const r = geminiOutcome({ state: rows[0]![1], end: exit(0), cost, ctx });
    expect(r.tokens.output).toBe(2);
    expect(r.sessionId).toBe('s1');
  });
});

describe('classifyGeminiError', () => {
  it.each([
    ['[API Error: 401 UNAUTHENTICATED]', 'auth'],
    ['[API Error: 403 PERMISSION_DENIED]', 'auth'],
    ['[API Error: 429 RESOURCE_EXHAUSTED]', 'rate-limit'],
    ['You have exhausted your daily quota. Your quota will reset after 5h.', 'usage-limit'],
    ['[API Error: 503 UNAVAILABLE]', 'overloaded'],
    ['[API Error: 500 INTERNAL]', 'api-error'],
    ['something odd', 'crash'],
  ] as const)('%s -> %s', (message, kind) => {
    expect(classifyGeminiError(message, NOW).kind).toBe(kind);
  });
});
