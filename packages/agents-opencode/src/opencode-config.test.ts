import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { opencodeConfiguredModel } from './opencode-config.js';

let root: string;
let home: string;
let project: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'opencode-config-'));
  home = join(root, 'home');
  project = join(root, 'repo', 'packages', 'app');
  await mkdir(join(home, '.config', 'opencode'), { recursive: true });
  await mkdir(join(root, 'repo', '.git'), { recursive: true });
  await mkdir(project, { recursive: true });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const write = (file: string, config: unknown) =>
  writeFile(file, typeof config === 'string' ? config : JSON.stringify(config));

/** The model alone: where it was read is tested on its own below. */
const modelOf = (...args: Parameters<typeof opencodeConfiguredModel>) =>
  opencodeConfiguredModel(...args)?.model;

describe("the model opencode's configuration names", () => {
  it('is none without a configuration', () => {
    expect(modelOf({ HOME: home }, project, undefined)).toBeUndefined();
  });

  it('layers global, OPENCODE_CONFIG, project files (nearest last) and OPENCODE_CONFIG_CONTENT', async () => {
    const env: Record<string, string> = { HOME: home };
    await write(join(home, '.config', 'opencode', 'opencode.json'), { model: 'a/global' });
    expect(modelOf(env, project, undefined)).toBe('a/global');

    await write(join(root, 'custom.json'), { model: 'a/custom' });
    env.OPENCODE_CONFIG = join(root, 'custom.json');
    expect(modelOf(env, project, undefined)).toBe('a/custom');

    // Above the git root: not read, as opencode stops at the worktree.
    await write(join(root, 'opencode.json'), { model: 'a/outside' });
    await write(join(root, 'repo', 'opencode.json'), { model: 'a/root' });
    expect(modelOf(env, project, undefined)).toBe('a/root');
    await write(join(root, 'repo', 'packages', 'opencode.json'), { model: 'a/nearer' });
    expect(modelOf(env, project, undefined)).toBe('a/nearer');

    expect(modelOf({ ...env, OPENCODE_DISABLE_PROJECT_CONFIG: '1' }, project, undefined)).toBe(
      'a/custom',
    );
    env.OPENCODE_CONFIG_CONTENT = JSON.stringify({ model: 'a/inline' });
    expect(modelOf(env, project, undefined)).toBe('a/inline');
  });

  it("takes the agent's own model over the top-level one: build, default_agent, or the agent asked for", async () => {
    await write(join(home, '.config', 'opencode', 'opencode.json'), {
      model: 'a/top',
      agent: { build: { model: 'a/build' }, review: { model: 'a/review' } },
    });
    expect(modelOf({ HOME: home }, project, undefined)).toBe('a/build');
    expect(modelOf({ HOME: home }, project, 'review')).toBe('a/review');
    expect(modelOf({ HOME: home }, project, 'plan')).toBe('a/top');
    // A later file's top-level model does not undo an earlier agent's own.
    await write(join(project, 'opencode.json'), { default_agent: 'review', model: 'a/project' });
    expect(modelOf({ HOME: home }, project, undefined)).toBe('a/review');
  });

  it('reads JSONC, fills {env:NAME} and skips a file that is not valid JSON', async () => {
    await write(join(home, '.config', 'opencode', 'opencode.json'), { model: 'a/json' });
    // opencode.jsonc is read after opencode.json in the same folder.
    await write(
      join(home, '.config', 'opencode', 'opencode.jsonc'),
      '{\n  // the team default\n  /* a URL in a string is not a comment: */ "x": "http://a,}",\n  "model": "{env:TEAM_MODEL}", // set by CI\n}\n',
    );
    await write(join(project, 'opencode.json'), '{ "model": ');
    expect(modelOf({ HOME: home, TEAM_MODEL: 'a/from-env' }, project, undefined)).toBe(
      'a/from-env',
    );
  });

  it('says which file, or OPENCODE_CONFIG_CONTENT, set the model it names', async () => {
    const global = join(home, '.config', 'opencode', 'opencode.json');
    await write(global, { model: 'a/global', agent: { review: { model: 'a/review' } } });
    const project_ = join(project, 'opencode.json');
    await write(project_, { model: 'a/project' });
    expect(opencodeConfiguredModel({ HOME: home }, project, undefined)).toEqual({
      model: 'a/project',
      source: { kind: 'file', file: project_ },
    });
    // The agent's own model, from the earlier file, wins over the later top-level one.
    expect(opencodeConfiguredModel({ HOME: home }, project, 'review')).toEqual({
      model: 'a/review',
      source: { kind: 'file', file: global },
    });
    expect(
      opencodeConfiguredModel(
        { HOME: home, OPENCODE_CONFIG_CONTENT: '{"model":"a/inline"}' },
        project,
        undefined,
      ),
    ).toEqual({ model: 'a/inline', source: { kind: 'env', name: 'OPENCODE_CONFIG_CONTENT' } });
  });
});
