import { describe, expect, it } from 'vitest';
import { parseFieldArgs } from './add.js';

describe('parseFieldArgs', () => {
  it('splits the sprint and type from --name value fields', () => {
    expect(
      parseFieldArgs(['my-sprint', 'refactor', '--target-path', 'src', '--goal', 'Split it']),
    ).toEqual({
      positionals: ['my-sprint', 'refactor'],
      fields: { 'target-path': 'src', goal: 'Split it' },
      json: false,
    });
  });

  it('reads --name=value, flags without a value, and numbers for issue-number', () => {
    expect(parseFieldArgs(['implement-issue', '--issue-number=42', '--draft'])).toEqual({
      positionals: ['implement-issue'],
      fields: { 'issue-number': 42, draft: true },
      json: false,
    });
  });

  it('collects lists from commas and from repeated flags', () => {
    expect(
      parseFieldArgs(['custom', '--depends-on', 'a, b', '--depends-on', 'c', '--labels', 'x'])
        .fields,
    ).toEqual({ 'depends-on': ['a', 'b', 'c'], labels: ['x'] });
    expect(parseFieldArgs(['custom', '--note', 'one', '--note', 'two']).fields).toEqual({
      note: ['one', 'two'],
    });
  });

  it('keeps a value that merely looks like a number as text outside issue-number', () => {
    expect(parseFieldArgs(['custom', '--description', '42']).fields).toEqual({ description: '42' });
  });

  it('takes --json as the output flag, never as a field, and never with a value', () => {
    expect(parseFieldArgs(['--json', 'custom', '--description', 'd'])).toEqual({
      positionals: ['custom'],
      fields: { description: 'd' },
      json: true,
    });
    expect(() => parseFieldArgs(['custom', '--json=yes'])).toThrow('--json takes no value');
  });

  it('wants a positive integer for --issue-number', () => {
    for (const bad of ['0', 'abc', '4.2', '-3']) {
      expect(() => parseFieldArgs(['implement-issue', '--issue-number', bad])).toThrow(
        'must be a positive integer',
      );
    }
    expect(() => parseFieldArgs(['implement-issue', '--issue-number'])).toThrow('needs a value');
  });

  it('refuses a bare "--=" field name', () => {
    expect(() => parseFieldArgs(['custom', '--=x'])).toThrow('is not a field name');
  });
});
