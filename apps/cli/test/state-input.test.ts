import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { copy, EXAMPLES, runCli, snapshotFiles, tempDir } from './helpers.js';

function demo(cwd: string): string {
  return copy(join(EXAMPLES, 'demo-sprint'), join(cwd, '.claude/sprints/2026-01-15_demo-sprint'));
}

const RC = 'alias ls="ls --color" # the user shell rc, not for sprint\n';
let outside: string;
afterEach(() => {
  if (outside) rmSync(outside, { recursive: true, force: true });
});

describe('a sprint that ships links to files outside it', () => {
  it('add, import and run --agent noop refuse an events.jsonl that is a link (65), and its target stays as it was', async () => {
    const cwd = tempDir();
    outside = mkdtempSync(join(tmpdir(), 'sprint-rc-'));
    const rc = join(outside, '.bashrc');
    writeFileSync(rc, RC);
    const dir = demo(cwd);
    symlinkSync(rc, join(dir, 'events.jsonl'));
    writeFileSync(
      join(cwd, 'tasks.yaml'),
      '- type: custom\n  description: $(touch pwned)\n  done-when: never\n',
    );
    for (const args of [
      ['add', dir, 'custom', '--description', '$(touch pwned)', '--done-when', 'x'],
      ['import', dir, 'tasks.yaml'],
      ['run', dir, '--agent', 'noop'],
    ]) {
      const r = await runCli(args, { cwd });
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(65);
      expect(r.stderr).toContain('events.jsonl is a symbolic link');
      expect(r.stderr).not.toContain('alias');
      expect(readFileSync(rc, 'utf8')).toBe(RC);
    }
  });
});

describe('agent names that are keys of every object', () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'config.agent: %s is an unknown agent: 65 with the file, the line and the known agents, nothing changed',
    async (name) => {
      const cwd = tempDir();
      const dir = demo(cwd);
      const sprintYaml = join(dir, 'SPRINT.yaml');
      const text = readFileSync(sprintYaml, 'utf8');
      writeFileSync(sprintYaml, text.replace('agent: noop', `agent: ${name}`));
      const line = text.split('\n').findIndex((l) => l.includes('agent: noop')) + 1;
      const before = snapshotFiles(cwd);
      for (const cmd of ['run', 'validate']) {
        const r = await runCli([cmd, dir], { cwd });
        expect(r.code, r.stderr).toBe(65);
        expect(r.stderr).toContain(`Unknown agent "${name}"`);
        expect(r.stderr).toContain(`SPRINT.yaml:${line}`);
        expect(r.stderr).toMatch(/known agents: .*noop/);
      }
      expect(snapshotFiles(cwd)).toEqual(before);
    },
  );
});

describe('sprint init in a subfolder', () => {
  it('uses the nearest .claude/sprints above, as every other command does', async () => {
    const cwd = tempDir();
    const { mkdirSync, readdirSync } = await import('node:fs');
    mkdirSync(join(cwd, '.claude/sprints'), { recursive: true });
    const sub = join(cwd, 'src', 'deep');
    mkdirSync(sub, { recursive: true });
    const r = await runCli(['init', 'nested'], { cwd: sub });
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(join(cwd, '.claude/sprints'))).toHaveLength(1);
    expect(readdirSync(sub)).toEqual([]);
  });
});
