import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describePlannedModel } from './planned-model.js';

describe('describePlannedModel', () => {
  it('says the model and what chose it, a file under home shortened to ~', () => {
    const home = join('/', 'home', 'ada');
    const say = (source: Parameters<typeof describePlannedModel>[1]['source']) =>
      describePlannedModel('codex', { model: 'gpt-5', source }, home);
    expect(say({ kind: 'file', file: join(home, '.codex', 'config.toml') })).toBe(
      'model gpt-5, from ~/.codex/config.toml',
    );
    // Only a whole folder name counts as under home.
    expect(say({ kind: 'file', file: join('/', 'home', 'adam', 'config.toml') })).toBe(
      'model gpt-5, from /home/adam/config.toml',
    );
    expect(say({ kind: 'env', name: 'OPENCODE_CONFIG_CONTENT' })).toBe(
      'model gpt-5, from $OPENCODE_CONFIG_CONTENT',
    );
    expect(say({ kind: 'task' })).toBe("model gpt-5, from the task's model field");
    expect(say({ kind: 'sprint' })).toBe("model gpt-5, from the sprint's config.codex");
    expect(say({ kind: 'options' })).toBe("model gpt-5, from the codex agent's options");
  });
});
