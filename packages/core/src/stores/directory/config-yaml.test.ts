import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { InvalidSprintError } from '../../model/errors.js';
import { parseConfig } from './config-yaml.js';
import { renderSprintYaml } from './render-sprint-yaml.js';
import { parseSprintDirectory } from './sprint-directory.js';

const where = { file: 'SPRINT.yaml', field: 'config', line: 5 };

function issuesOf(raw: unknown) {
  try {
    parseConfig(raw, where);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidSprintError);
    return (error as InvalidSprintError).issues;
  }
  throw new Error('expected the config to be rejected');
}

describe('parseConfig', () => {
  it('maps every key from kebab-case to the model', () => {
    expect(
      parseConfig(
        {
          'max-tasks': 10,
          'time-box': '4h',
          'auto-commit': false,
          'context-cache': true,
          parallel: false,
          'max-iterations': 30,
          'max-cost-usd': 2.5,
          'task-timeout': '30m',
          concurrency: 2,
          retry: { 'max-attempts': 4, delay: '10s', backoff: 3 },
          agent: 'claude',
          agents: { shell: 'shell', 'implement-issue': 'claude' },
          claude: { model: 'sonnet', 'allowed-tools': ['Read'] },
          'project-dir': '../..',
        },
        where,
      ),
    ).toEqual({
      maxTasks: 10,
      timeBox: '4h',
      autoCommit: false,
      contextCache: true,
      parallel: false,
      maxIterations: 30,
      maxCostUsd: 2.5,
      taskTimeoutMs: 1_800_000,
      concurrency: 2,
      retry: { maxAttempts: 4, delayMs: 10_000, backoff: 3 },
      agent: 'claude',
      agents: { shell: 'shell', 'implement-issue': 'claude' },
      claude: { model: 'sonnet', 'allowed-tools': ['Read'] },
      projectDir: '../..',
      where: expect.any(Object),
    });
  });

  it('takes a task timeout in seconds and defaults an empty config', () => {
    expect(parseConfig({ 'task-timeout': 90 }, where).taskTimeoutMs).toBe(90_000);
    expect(parseConfig(null, where)).toEqual({ autoCommit: true, agents: {} });
  });

  it('rejects unknown keys with a did-you-mean, and wrong values with a fix', () => {
    const issues = issuesOf({
      'auto-comit': true,
      colour: 'blue',
      'time-box': 'all day',
      'max-cost-usd': 0,
      retry: { attempts: 2, delay: -1 },
      claude: 'sonnet',
    });
    expect(issues.map((i) => [i.field, i.message, i.fix])).toEqual([
      [
        'config.auto-comit',
        'unknown config key "auto-comit"',
        'did you mean "auto-commit"? rename it to auto-commit',
      ],
      [
        'config.colour',
        'unknown config key "colour"',
        expect.stringMatching(/^remove it; known keys: max-tasks/),
      ],
      ['config.time-box', 'expected a duration such as 4h, found "all day"', expect.any(String)],
      [
        'config.max-cost-usd',
        'expected a number greater than 0, found 0',
        'write a number greater than 0, for example max-cost-usd: 5',
      ],
      [
        'config.retry.attempts',
        'unknown retry key "attempts"',
        'did you mean "max-attempts"? rename it to max-attempts',
      ],
      ['config.retry.delay', 'expected a duration, found -1', expect.any(String)],
      ['config.claude', 'expected a map of keys, found "sonnet"', expect.any(String)],
    ]);
    for (const issue of issues) expect(issue).toMatchObject({ file: 'SPRINT.yaml', line: 5 });
  });
});

describe('renderSprintYaml', () => {
  const input = {
    sprintId: '2026-01-15_auth',
    name: 'Auth',
    created: '2026-01-15T09:00:00.000Z',
    owner: 'alice',
    goals: ['Ship it'],
    notes: 'Line one\nLine two\n',
  };

  it('writes the original defaults and reads back', () => {
    const text = renderSprintYaml(input);
    expect(text).toBe(`sprint-id: 2026-01-15_auth
name: Auth
created: 2026-01-15T09:00:00.000Z
owner: alice
config:
  max-tasks: 10
  time-box: 4h
  auto-commit: true
  context-cache: true
  parallel: false
goals:
  - Ship it
notes: |
  Line one
  Line two
`);
    const { definition } = parseSprintDirectory({
      dirName: '2026-01-15_auth',
      sprintYaml: text,
      sprintYamlPath: 'SPRINT.yaml',
      progressYaml: 'status: not-started\nqueue: []\n',
      progressYamlPath: 'PROGRESS.yaml',
    });
    expect(definition).toMatchObject({
      name: 'Auth',
      owner: 'alice',
      goals: ['Ship it'],
      notes: input.notes,
    });
  });

  it('lays a config in either spelling over the defaults', () => {
    const text = renderSprintYaml({
      ...input,
      config: {
        maxTasks: 3,
        taskTimeoutMs: 1_800_000,
        retry: { maxAttempts: 2, delayMs: 1500 },
        'project-dir': '..',
        agent: undefined,
      },
    });
    expect(parse(text).config).toEqual({
      'max-tasks': 3,
      'time-box': '4h',
      'auto-commit': true,
      'context-cache': true,
      parallel: false,
      'task-timeout': '30m',
      retry: { 'max-attempts': 2, delay: 1.5 },
      'project-dir': '..',
    });
    expect(parseConfig(parse(text).config, where)).toMatchObject({
      taskTimeoutMs: 1_800_000,
      retry: { delayMs: 1500 },
    });
  });

  it('refuses a config it could not read back', () => {
    expect(() => renderSprintYaml({ ...input, config: { maxTask: 3 } })).toThrow(
      /did you mean "max-tasks"/,
    );
  });
});
