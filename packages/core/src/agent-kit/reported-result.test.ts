import { describe, expect, it } from 'vitest';
import { readTaskReport } from './reported-result.js';

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
