import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The packages a module loads, following its value imports (`import type` loads nothing). */
function packagesLoaded(
  file: string,
  seen = new Set<string>(),
  out = new Set<string>(),
): Set<string> {
  if (seen.has(file)) return out;
  seen.add(file);
  const source = readFileSync(file, 'utf8');
  for (const m of source.matchAll(/^(?:import|export)(?!\s+type\b)[^'";]*?from\s+'([^']+)'/gm)) {
    const spec = m[1]!;
    if (spec.startsWith('.'))
      packagesLoaded(resolve(dirname(file), spec.replace(/\.js$/, '.ts')), seen, out);
    else if (!spec.startsWith('node:')) out.add(spec);
  }
  return out;
}

describe('readSprintDirectoryQuickly', () => {
  it('loads neither a YAML parser nor zod: at start-up they cost more than reading 1,000 tasks', () => {
    const loaded = packagesLoaded(resolve(import.meta.dirname, 'sprint-files.ts'));
    expect([...loaded]).toEqual([]);
    // A file edited by hand is parsed by yaml, still without zod.
    expect([...packagesLoaded(resolve(import.meta.dirname, 'yaml-source.ts'))]).toEqual(['yaml']);
    // The check sees them where they are: the full reader loads both.
    expect([...packagesLoaded(resolve(import.meta.dirname, 'sprint-directory.ts'))].sort()).toEqual(
      ['yaml', 'zod'],
    );
  });
});
