import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claudeTestEnv, findClaudeBin } from './claude-env.js';

describe('claudeTestEnv', () => {
  it('gives a closed environment pointing at the fake', () => {
    const env = claudeTestEnv({ baseUrl: 'http://127.0.0.1:1', home: '/tmp/h' });
    expect(env).toMatchObject({
      HOME: '/tmp/h',
      ANTHROPIC_API_KEY: 'sk-test',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:1',
      DISABLE_TELEMETRY: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_AUTOUPDATER: '1',
    });
    expect(env.PATH).toBeTruthy();
    expect(Object.keys(env).some((k) => k.startsWith('CLAUDE_CODE_OAUTH'))).toBe(false);
  });
});

describe('findClaudeBin', () => {
  it('finds node_modules/.bin/claude in a parent directory', async () => {
    const root = await mkdtemp(join(tmpdir(), 'find-claude-'));
    await mkdir(join(root, 'node_modules/.bin'), { recursive: true });
    await mkdir(join(root, 'a/b'), { recursive: true });
    await writeFile(join(root, 'node_modules/.bin/claude'), '#!/bin/sh\n');
    await chmod(join(root, 'node_modules/.bin/claude'), 0o755);
    expect(findClaudeBin(join(root, 'a/b'))).toBe(join(root, 'node_modules/.bin/claude'));
  });

  it('says how to install the CLI when there is none', async () => {
    const root = await mkdtemp(join(tmpdir(), 'find-claude-'));
    expect(() => findClaudeBin(root)).toThrow(/pnpm add -D @anthropic-ai\/claude-code/);
  });
});
