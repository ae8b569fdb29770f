import { describe, expect, it } from 'vitest';
import { UnknownAgentError } from '../model/errors.js';
import { parseSprintDirectory } from '../stores/directory/index.js';
import { buildAgentRegistry, builtinAgentFactories } from './agent-setup.js';

function configOf(configYaml: string) {
  return parseSprintDirectory({
    dirName: 's',
    sprintYaml: `name: s\nconfig:\n${configYaml}`,
    sprintYamlPath: '/p/SPRINT.yaml',
    progressYaml: 'status: not-started\nqueue: []\n',
    progressYamlPath: '/p/PROGRESS.yaml',
  }).definition.config;
}

describe('agent names from the sprint configuration', () => {
  it.each([
    ['  agent: constructor', 'config.agent', 3],
    ['  agent: __proto__', 'config.agent', 3],
    ['  agent: toString', 'config.agent', 3],
    ['  agent: hasOwnProperty', 'config.agent', 3],
    ['  agent: noop\n  agents:\n    chore: constructor', 'config.agents.chore', 5],
    ['  agent: noop\n  agents:\n    chore: __proto__', 'config.agents.chore', 5],
    ['  agent: noop\n  agents:\n    __proto__: valueOf', 'config.agents.__proto__', 5],
  ])('%j is an unknown agent, reported with file, line and the known ones', (yaml, field, line) => {
    const config = configOf(yaml);
    let error: unknown;
    try {
      buildAgentRegistry({ config, factories: builtinAgentFactories });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnknownAgentError);
    const e = error as UnknownAgentError;
    expect(e.issues[0]).toMatchObject({ file: '/p/SPRINT.yaml', line, field });
    expect(e.message).toContain(`/p/SPRINT.yaml:${line}`);
    expect(e.message).toContain('noop, shell');
  });

  it('takes a task type named __proto__ as a type like any other', () => {
    const config = configOf('  agent: noop\n  agents:\n    __proto__: shell');
    expect(Object.keys(config.agents)).toEqual(['__proto__']);
    const registry = buildAgentRegistry({ config, factories: builtinAgentFactories });
    expect(registry.find('__proto__')?.name).toBe('shell');
    expect(registry.find('chore')?.name).toBe('noop');
  });
});
