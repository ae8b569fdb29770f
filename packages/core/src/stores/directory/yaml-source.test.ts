import { describe, expect, it } from 'vitest';
import { readYamlSource } from './yaml-source.js';

describe('readYamlSource', () => {
  it('parses a text read again unchanged only once, handing out values the caller may change', () => {
    const text = 'queue:\n  - id: a\n    description: long text\n';
    const first = readYamlSource(text, '/s/PROGRESS.yaml');
    (first.value as { queue: { id: string }[] }).queue[0]!.id = 'changed by a caller';
    const again = readYamlSource(`${text}`, '/s/PROGRESS.yaml');
    // The same parsed document answers (its line locator), not a second parse.
    expect(again.locate).toBe(first.locate);
    expect(again.value).toEqual({ queue: [{ id: 'a', description: 'long text' }] });
    expect(again.value).not.toBe(first.value);
    const edited = readYamlSource(text.replace('long', 'short'), '/s/PROGRESS.yaml');
    expect(edited.locate).not.toBe(first.locate);
    expect(edited.value).toEqual({ queue: [{ id: 'a', description: 'short text' }] });
  });
});
