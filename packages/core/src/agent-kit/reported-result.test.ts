import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { limitFailure, readTaskReport } from './reported-result.js';
import { withSprintOptions } from './sprint-overrides.js';

const ok = { status: 'completed', summary: 'done', deferred_items: [], files_changed: [] };

describe('readTaskReport', () => {
  it.each([
    ['the whole message', JSON.stringify(ok), 'completed'],
    ['after prose', `All set.\n\n${JSON.stringify(ok)}`, 'completed'],
    [
      'in a fence',
      `Here:\n\`\`\`json\n${JSON.stringify({ ...ok, status: 'failed' })}\n\`\`\``,
      'failed',
    ],
    [
      'the last of two objects',
      `${JSON.stringify({ ...ok, status: 'failed' })} then ${JSON.stringify(ok)}`,
      'completed',
    ],
    ['with null optional fields', JSON.stringify({ ...ok, human_needed: null }), 'completed'],
    ['with braces inside strings', JSON.stringify({ ...ok, summary: 'a } { b' }), 'completed'],
  ])('finds the report %s', (_, message, status) => {
    const read = readTaskReport(message);
    expect(read.ok && read.report.status).toBe(status);
  });

  it.each([
    ['no message', undefined],
    ['an empty message', '  '],
    ['prose only', 'I am done with the task.'],
    ['a wrong status', '{"status":"done","summary":"x"}'],
    ['no summary', '{"status":"completed"}'],
  ])('refuses %s', (_, message) => {
    expect(readTaskReport(message).ok).toBe(false);
  });
});

describe('limitFailure names the limit keys as a sprint file writes them', () => {
  const end = (endedBy: 'timeout' | 'idle') => ({
    endedBy,
    exitCode: null,
    signal: 'SIGTERM' as const,
    durationMs: 1000,
    stderrTail: '',
  });
  const ctx = {
    label: 'the codex CLI',
    agent: 'codex',
    binary: 'codex',
    installHint: '',
    limits: { timeoutMs: 90_000, idleTimeoutMs: 900_000 },
  };

  it.each([
    ['idle', 'printed nothing for 15 min (idle limit: idle-timeout-ms under config.codex)'],
    ['timeout', 'time limit of 90.0 s (time limit: timeout-ms under config.codex'],
  ] as const)('%s', (endedBy, phrase) => {
    const message = limitFailure(end(endedBy), ctx)?.message ?? '';
    expect(message).toContain(phrase);
    expect(message).not.toMatch(/timeoutMs|idleTimeoutMs/);
  });
});

describe('withSprintOptions names keys as a sprint file writes them', () => {
  const schema = z.object({ model: z.string().optional(), idleTimeoutMs: z.number().positive() });
  const where = { agent: 'gemini', allowed: ['model', 'idleTimeoutMs'] };

  it('in a refusal, and in the list of what may be set', () => {
    expect(() =>
      withSprintOptions(schema, { idleTimeoutMs: 1 }, { 'extra-args': ['-x'] }, where),
    ).toThrow('config.gemini cannot set extra-args: it may set model, idle-timeout-ms.');
  });

  it('in a bad value', () => {
    expect(() =>
      withSprintOptions(schema, { idleTimeoutMs: 1 }, { 'idle-timeout-ms': -5 }, where),
    ).toThrow(/Invalid sprint config\.gemini: idle-timeout-ms: /);
  });
});
