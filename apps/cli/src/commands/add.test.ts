import { describe, expect, it } from 'vitest';
import { parseFieldArgs } from './add.js';

describe('parseFieldArgs', () => {
  it('splits the sprint and type from --name value fields', () => {
    expect(
      parseFieldArgs(['my-sprint', 'refactor', '--target-path', 'src', '--goal', 'Split it']),
    ).toEqual({
      positionals: ['my-sprint', 'refactor'],
      fields: { 'target-path': 'src', goal: 'Split it' },
    });
  });

  it('reads --name=value, flags without a value, and numbers for issue-number', () => {
    expect(parseFieldArgs(['implement-issue', '--issue-number=42', '--draft'])).toEqual({
      positionals: ['implement-issue'],
      fields: { 'issue-number': 42, draft: true },
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

  it('refuses a bare "--=" field name', () => {
    expect(() => parseFieldArgs(['custom', '--=x'])).toThrow('is not a field name');
  });
});
