import { describe, expect, it } from 'vitest';
import { toBlockYaml } from './block-yaml.js';
import { readYamlSource } from './yaml-source.js';

describe('readYamlSource', () => {
  it('parses a text read again unchanged only once, handing out values the caller may change', () => {
    // A comment below the header: not as `sprint` writes it, so `yaml` parses it.
    const text = 'queue:\n  # by hand\n  - id: a\n    description: long text\n';
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

  it('reads the files sprint writes with its own reader: a value per read, the lines yaml gives', () => {
    const text = toBlockYaml(
      { queue: [{ id: 'a', description: 'long\ntext\n' }, { id: 'b' }] },
      'header',
    );
    const first = readYamlSource(text, '/s/PROGRESS.yaml');
    (first.value as { queue: { id: string }[] }).queue[0]!.id = 'changed by a caller';
    const again = readYamlSource(text, '/s/PROGRESS.yaml');
    expect(again.value).toEqual({ queue: [{ id: 'a', description: 'long\ntext\n' }, { id: 'b' }] });
    expect(again.issues).toEqual([]);
    expect(again.empty).toBe(false);
    expect(
      [[], ['queue'], ['queue', 1], ['queue', 1, 'id'], ['queue', 0, 'missing']].map(again.locate),
    ).toEqual([3, 3, 8, 8, 4]);
  });
});
