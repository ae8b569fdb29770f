import type { ProcessEnd } from '@sprint/core/agent-kit';
import { describe, expect, it } from 'vitest';
import { INITIAL_OPENCODE_STATE, type OpencodeState, readOpencodeLine } from './opencode-events.js';
import { classifyOpencodeError, INSTALL_HINT, opencodeOutcome } from './opencode-outcome.js';

const NOW = new Date('2026-12-02T12:00:00Z');
const ctx = { binary: 'opencode', limits: { timeoutMs: 60_000, idleTimeoutMs: 30_000 } };
const cost = { costUsd: 0.003, estimated: true };
const REPORT = {
  status: 'completed',
  summary: 'wrote a.txt',
  deferred_items: [],
  files_changed: ['a.txt'],
};

/** The CLI's `--format json` events, folded the way the agent folds them. */
function events(...lines: unknown[]): OpencodeState {
  return lines.reduce<OpencodeState>(
    (state, e) => readOpencodeLine(state, JSON.stringify(e)).state,
    INITIAL_OPENCODE_STATE,
  );
}
const start = { type: 'step_start', sessionID: 'ses_1', part: { type: 'step-start' } };
const said = (text: string) => ({ type: 'text', sessionID: 'ses_1', part: { type: 'text', text } });
const finish = (reason: string) => ({
  type: 'step_finish',
  sessionID: 'ses_1',
  part: { type: 'step-finish', reason, tokens: { input: 10, output: 2 }, cost: 0 },
});
const error = (name: string, message: string) => ({
  type: 'error',
  sessionID: 'ses_1',
  error: { name, data: { message } },
});
const exit = (exitCode: number | null, more: Partial<ProcessEnd> = {}): ProcessEnd => ({
  endedBy: 'exit',
  exitCode,
  signal: null,
  durationMs: 900,
  stderrTail: '',
  ...more,
});

type Row = [
  name: string,
  state: OpencodeState,
  end: ProcessEnd,
  kind: string,
  more?: Record<string, unknown>,
];

// Every kind the issue lists, as far as opencode 1.18 can report it. It has
// no turn limit of its own for `run`: a step cut off by the output-token limit
// (finish reason `length`) is the nearest and counts as max-turns. Provider
// errors arrive as one `error` event; the exit code carries nothing more.
const rows: Row[] = [
  [
    'a completed report',
    events(start, said(JSON.stringify(REPORT)), finish('stop')),
    exit(0),
    'ok',
  ],
  [
    'a report fenced after prose',
    events(start, said(`Done.\n\`\`\`json\n${JSON.stringify(REPORT)}\n\`\`\``), finish('stop')),
    exit(0),
    'ok',
  ],
  [
    'a failed report',
    events(start, said(JSON.stringify({ ...REPORT, status: 'failed' })), finish('stop')),
    exit(0),
    'failed',
  ],
  [
    'finished without a report',
    events(start, said('All done!'), finish('stop')),
    exit(0),
    'invalid-output',
  ],
  [
    'auth: the provider refuses the key',
    events(start, error('ProviderAuthError', 'Incorrect API key provided')),
    exit(1),
    'auth',
  ],
  [
    'auth: only stderr says so',
    events(start),
    exit(1, { stderrTail: 'Error: 401 Unauthorized' }),
    'auth',
  ],
  [
    'rate-limit with its wait',
    events(
      start,
      error('APIError', '429 Too Many Requests: rate limit reached, try again in 1.5s'),
    ),
    exit(1),
    'rate-limit',
    { retryAfterMs: 1500 },
  ],
  ['overloaded', events(start, error('APIError', '529 Overloaded')), exit(1), 'overloaded'],
  [
    'usage limit with its reset time',
    events(
      start,
      error('APIError', 'You exceeded your current quota; resets 2026-12-03T00:00:00Z'),
    ),
    exit(1),
    'usage-limit',
    { resetAt: '2026-12-03T00:00:00.000Z' },
  ],
  ['api-error', events(start, error('APIError', '400 Bad Request')), exit(1), 'api-error'],
  [
    'max-turns: cut off by length',
    events(start, said('{"sta'), finish('length')),
    exit(0),
    'max-turns',
  ],
  ['timeout', events(start), exit(null, { endedBy: 'timeout', signal: 'SIGTERM' }), 'timeout'],
  ['idle', events(start), exit(null, { endedBy: 'idle', signal: 'SIGTERM' }), 'idle'],
  ['cancel', events(start), exit(null, { endedBy: 'cancel', signal: 'SIGTERM' }), 'cancelled'],
  ['crash: killed', events(start), exit(null, { endedBy: 'signal', signal: 'SIGKILL' }), 'crash'],
  ['crash: exit 1 without a word', events(start), exit(1), 'crash'],
  [
    'crash: exit 0 but no step finished',
    events(start, said(JSON.stringify(REPORT))),
    exit(0),
    'crash',
  ],
  [
    'binary missing, with the install command',
    INITIAL_OPENCODE_STATE,
    exit(null, {
      endedBy: 'spawn-error',
      spawnError: { code: 'ENOENT', message: 'spawn opencode ENOENT' },
    }),
    'binary-missing',
  ],
];

describe('opencodeOutcome: from the CLI final events and exit to the outcome', () => {
  it.each(rows)('%s', (_name, state, end, kind, more) => {
    const r = opencodeOutcome({ state, end, cost, ctx, now: NOW });
    expect(r.success ? 'ok' : (r.error?.kind ?? 'failed')).toBe(kind);
    if (more) expect(r.error).toMatchObject(more);
    expect(r.costEstimated).toBe(true);
  });

  it('names the install command when the binary is missing', () => {
    const r = opencodeOutcome({ state: INITIAL_OPENCODE_STATE, end: rows.at(-1)![2], cost, ctx });
    expect(r.error?.message).toContain(INSTALL_HINT);
    expect(INSTALL_HINT).toContain('npm i -g opencode-ai');
  });
});

describe('classifyOpencodeError', () => {
  it.each([
    ['ProviderAuthError: missing key', 'auth'],
    ['APIError: 403 Forbidden', 'auth'],
    ['APIError: 429 Too Many Requests', 'rate-limit'],
    ['APIError: insufficient_quota', 'usage-limit'],
    ['APIError: 503 Service Unavailable', 'overloaded'],
    ['APIError: 500 Internal Server Error', 'api-error'],
    ['something odd', 'crash'],
  ] as const)('%s -> %s', (message, kind) => {
    expect(classifyOpencodeError(message, NOW).kind).toBe(kind);
  });
});
