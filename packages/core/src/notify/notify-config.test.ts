import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { InvalidSprintError } from '../model/errors.js';
import { renderSprintYaml } from '../stores/directory/render-sprint-yaml.js';
import { parseSprintDirectory } from '../stores/directory/sprint-directory.js';

function read(sprintYaml: string) {
  return parseSprintDirectory({
    dirName: '2026-01-15_n',
    sprintYaml,
    sprintYamlPath: 'SPRINT.yaml',
    progressYaml: 'status: not-started\nqueue: []\n',
    progressYamlPath: 'PROGRESS.yaml',
  }).definition;
}

function issuesOf(sprintYaml: string) {
  try {
    read(sprintYaml);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidSprintError);
    return (error as InvalidSprintError).issues;
  }
  throw new Error('expected SPRINT.yaml to be refused');
}

const header = 'sprint-id: 2026-01-15_n\nname: n\nconfig:\n  notify:\n';

describe('config.notify in SPRINT.yaml', () => {
  it('reads webhook, slack and command targets with their events, and writes them back', () => {
    const text = `${header}${[
      '    - webhook: https://example.com/hooks/sprint',
      '      secret-env: SPRINT_WEBHOOK_SECRET',
      '      events: [completed, needs-human]',
      '    - slack: https://hooks.slack.com/services/T/B/X',
      '    - command: ./notify.sh',
      '      events: tamper',
    ].join('\n')}\n`;
    const { config } = read(text);
    expect(config.notify).toEqual([
      {
        kind: 'webhook',
        url: 'https://example.com/hooks/sprint',
        secretEnv: 'SPRINT_WEBHOOK_SECRET',
        events: ['completed', 'needs-human'],
      },
      { kind: 'slack', url: 'https://hooks.slack.com/services/T/B/X' },
      { kind: 'command', command: './notify.sh', events: ['tamper'] },
    ]);
    const written = renderSprintYaml({
      sprintId: '2026-01-15_n',
      name: 'n',
      goals: [],
      created: '2026-01-15T00:00:00Z',
      config,
    });
    expect(parse(written).config.notify).toEqual([
      {
        webhook: 'https://example.com/hooks/sprint',
        'secret-env': 'SPRINT_WEBHOOK_SECRET',
        events: ['completed', 'needs-human'],
      },
      { slack: 'https://hooks.slack.com/services/T/B/X' },
      { command: './notify.sh', events: ['tamper'] },
    ]);
    expect(read(written).config.notify).toEqual(config.notify);
  });

  it.each([
    [
      'not a list',
      '    webhook: https://x.example\n',
      { field: 'config.notify', message: 'expected a list of targets, found a map' },
    ],
    [
      'no kind',
      '    - events: [completed]\n',
      { field: 'config.notify[0]', message: 'a notify target needs webhook, slack or command' },
    ],
    [
      'two kinds',
      '    - webhook: https://x.example\n      slack: https://y.example\n',
      {
        field: 'config.notify[0]',
        message: 'a notify target has one kind, found webhook and slack',
      },
    ],
    [
      'not a URL',
      '    - webhook: x.example/hook\n',
      {
        field: 'config.notify[0].webhook',
        message: 'expected an http(s) URL, found "x.example/hook"',
      },
    ],
    [
      'an unknown event, with a did-you-mean',
      '    - slack: https://x.example\n      events: [complete]\n',
      {
        field: 'config.notify[0].events[0]',
        message: 'unknown event "complete"',
        fix: expect.stringContaining('did you mean "completed"'),
      },
    ],
    [
      'an unknown key',
      '    - slack: https://x.example\n      secret: abc\n',
      { field: 'config.notify[0].secret' },
    ],
    [
      'both secrets',
      '    - webhook: https://x.example\n      secret: a\n      secret-env: B\n',
      { field: 'config.notify[0].secret', message: 'a webhook has secret or secret-env, not both' },
    ],
    [
      'a secret-env that is not a variable name',
      '    - webhook: https://x.example\n      secret-env: $SECRET\n',
      { field: 'config.notify[0].secret-env' },
    ],
  ])('refuses %s, naming the file, line and field', (_name, body, expected) => {
    const issues = issuesOf(`${header}${body}`);
    expect(issues[0]).toMatchObject({ file: 'SPRINT.yaml', ...expected });
    expect(issues[0]!.line).toBeGreaterThanOrEqual(4);
    expect(issues[0]!.fix).toBeTruthy();
  });
});
