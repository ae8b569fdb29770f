import { describe, expect, it } from 'vitest';
import {
  describeRetry,
  INITIAL_STREAM_STATE,
  readStreamLine,
  type StreamState,
  shortInput,
} from './stream-json.js';

function readAll(lines: unknown[]): { state: StreamState; activities: unknown[] } {
  let state = INITIAL_STREAM_STATE;
  const activities: unknown[] = [];
  for (const line of lines) {
    const step = readStreamLine(state, typeof line === 'string' ? line : JSON.stringify(line));
    state = step.state;
    activities.push(...step.activities);
  }
  return { state, activities };
}

const usage = {
  input_tokens: 100,
  output_tokens: 5,
  cache_read_input_tokens: 7,
  cache_creation_input_tokens: 3,
};

describe('readStreamLine', () => {
  it('turns init, text, tool use, tool result and usage into activities', () => {
    const { state, activities } = readAll([
      {
        type: 'system',
        subtype: 'init',
        session_id: 's-1',
        model: 'claude-x',
        claude_code_version: '2.1.329',
        tools: [],
      },
      {
        type: 'assistant',
        session_id: 's-1',
        message: { id: 'm1', content: [{ type: 'text', text: 'Looking.' }], usage },
      },
      {
        type: 'assistant',
        session_id: 's-1',
        message: {
          id: 'm1',
          content: [
            {
              type: 'tool_use',
              id: 't1',
              name: 'Bash',
              input: { command: 'ls -la\nwc -l x', description: 'List' },
            },
          ],
          usage,
        },
      },
      {
        type: 'user',
        message: {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 't1', content: 'a\nb', is_error: false }],
        },
      },
    ]);
    expect(activities).toEqual([
      { kind: 'init', sessionId: 's-1', model: 'claude-x' },
      { kind: 'text', text: 'Looking.' },
      { kind: 'usage', tokens: { input: 100, output: 5, cacheRead: 7, cacheCreation: 3 } },
      { kind: 'tool-use', tool: 'Bash', input: 'ls -la wc -l x' },
      { kind: 'tool-result', tool: 'Bash', isError: false, output: 'a\nb' },
    ]);
    expect(state.sessionId).toBe('s-1');
    expect(state.cliVersion).toBe('2.1.329');
  });

  it('counts the usage of a message once, though the CLI repeats it per block', () => {
    const { state } = readAll([
      { type: 'assistant', message: { id: 'm1', content: [{ type: 'text', text: 'a' }], usage } },
      { type: 'assistant', message: { id: 'm1', content: [{ type: 'text', text: 'b' }], usage } },
      { type: 'assistant', message: { id: 'm2', content: [{ type: 'text', text: 'c' }], usage } },
    ]);
    expect(state.tokens).toEqual({ input: 200, output: 10, cacheRead: 14, cacheCreation: 6 });
  });

  it('keeps the result line and takes cost and totals from it', () => {
    const { state, activities } = readAll([
      {
        type: 'result',
        subtype: 'success',
        is_error: false,
        session_id: 's-2',
        total_cost_usd: 0.25,
        usage: {
          input_tokens: 1000,
          output_tokens: 50,
          cache_read_input_tokens: 0,
          cache_creation_input_tokens: 20,
        },
        structured_output: { status: 'completed' },
        a_field_from_a_newer_cli: true,
      },
    ]);
    expect(state.result?.structured_output).toEqual({ status: 'completed' });
    expect(state.result?.permission_denials).toEqual([]);
    expect(state.sessionId).toBe('s-2');
    expect(activities).toEqual([
      {
        kind: 'usage',
        tokens: { input: 1000, output: 50, cacheRead: 0, cacheCreation: 20 },
        costUsd: 0.25,
      },
    ]);
  });

  it('keeps non-JSON and malformed lines as log activities, never fatal', () => {
    const { state, activities } = readAll([
      'Warning: something odd',
      '{"type":"result","subtype":"success"}', // no is_error: not a valid result
      '',
    ]);
    expect(activities).toEqual([
      { kind: 'log', stream: 'stdout', line: 'Warning: something odd' },
      { kind: 'log', stream: 'stdout', line: '{"type":"result","subtype":"success"}' },
    ]);
    expect(state.junkLines).toBe(2);
    expect(state.result).toBeUndefined();
  });

  it('announces API retries and remembers the latest until the model answers', () => {
    const retry = {
      type: 'system',
      subtype: 'api_retry',
      attempt: 2,
      max_retries: 10,
      retry_delay_ms: 1200,
      error_status: 529,
      error: 'overloaded',
    };
    const after = readAll([retry]);
    expect(after.activities).toEqual([
      { kind: 'retry', message: 'API error 529 (overloaded), retry 2 of 10 in 1.2 s' },
    ]);
    expect(after.state.pendingRetry).toMatchObject({ status: 529, delayMs: 1200 });
    const answered = readStreamLine(
      after.state,
      JSON.stringify({ type: 'assistant', message: { content: [] } }),
    );
    expect(answered.state.pendingRetry).toBeUndefined();
  });

  it('records permission denials', () => {
    const { state, activities } = readAll([
      {
        type: 'system',
        subtype: 'permission_denied',
        tool_name: 'Bash',
        message: 'needs approval',
      },
    ]);
    expect(state.permissionDenials).toEqual([{ tool: 'Bash', message: 'needs approval' }]);
    expect(activities).toEqual([
      { kind: 'log', stream: 'stdout', line: 'permission denied: Bash: needs approval' },
    ]);
  });

  it('does not change the state it is given', () => {
    const before = JSON.stringify(INITIAL_STREAM_STATE);
    readStreamLine(
      INITIAL_STREAM_STATE,
      JSON.stringify({ type: 'assistant', message: { id: 'x', content: [], usage } }),
    );
    expect(JSON.stringify(INITIAL_STREAM_STATE)).toBe(before);
  });
});

describe('shortInput', () => {
  it('shows the command, path or pattern, on one line and short', () => {
    expect(shortInput('Edit', { file_path: 'src/a.ts', old_string: 'x' })).toBe('src/a.ts');
    expect(shortInput('Grep', { pattern: 'TODO' })).toBe('TODO');
    expect(shortInput('Other', { a: 1 })).toBe('{"a":1}');
    expect(shortInput('Bash', { command: 'x'.repeat(500) })).toHaveLength(200);
  });
});

describe('describeRetry', () => {
  it('says the API could not be reached when a retry has no HTTP status', () => {
    expect(describeRetry({ attempt: 1, maxRetries: 10, delayMs: 500, error: 'unknown' })).toBe(
      'could not reach the API, retry 1 of 10 in 0.5 s',
    );
    expect(describeRetry({ attempt: 2, maxRetries: 10, status: 529, error: 'overloaded' })).toBe(
      'API error 529 (overloaded), retry 2 of 10',
    );
  });
});
