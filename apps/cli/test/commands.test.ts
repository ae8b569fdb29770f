import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copy, EXAMPLES, snapshotFiles, runCli as spawnCli, tempDir } from './helpers.js';
// Parsing, messages, exit codes and --json documents: through main(argv, io) in
// this process. What needs a process of its own is spawned (see run, control, tty).
import { runMain as runCli } from './in-process.js';

const COMMANDS = [
  'run',
  'resume',
  'status',
  'logs',
  'pause',
  'stop',
  'cancel',
  'skip',
  'retry',
  'init',
  'add',
  'import',
  'validate',
  'list',
  'serve',
];

function demo(cwd: string): string {
  return copy(join(EXAMPLES, 'demo-sprint'), join(cwd, '.claude/sprints/2026-01-15_demo-sprint'));
}

describe('help and version', () => {
  it('prints the version and exits 0 (the fast path of the binary)', async () => {
    const cwd = tempDir();
    const r = await spawnCli(['--version'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('shows examples and exit codes in the main help', async () => {
    const cwd = tempDir();
    const r = await runCli(['--help'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('$ sprint run --dry-run');
    expect(r.stdout).toContain('64 usage error');
    expect(r.stdout).toContain('75 another run holds\nthe sprint (try again when it ends)');
    for (const name of COMMANDS) expect(r.stdout).toContain(name);
  });

  it.each(COMMANDS)('shows examples in the help of %s', async (name) => {
    const cwd = tempDir();
    const r = await runCli([name, '--help'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain(`$ sprint ${name}`);
  });

  it('exits 64 with usage for no arguments and for an unknown command', async () => {
    const cwd = tempDir();
    const none = await runCli([], { cwd });
    expect(none.code).toBe(64);
    expect(none.stderr).toContain('Usage: sprint');
    const unknown = await runCli(['rnu'], { cwd });
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain("unknown command 'rnu'");
    expect(unknown.stderr).toContain('(Did you mean run?)');
  });
});

describe('run preflight', () => {
  it('exits 64 with the usage when the sprint directory does not exist', async () => {
    const cwd = tempDir();
    const r = await runCli(['run', 'nowhere'], { cwd });
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('Error: No sprint at');
    expect(r.stderr).toContain('nowhere: the path does not exist');
    expect(r.stderr).toContain('Usage: sprint run <sprint> [--max-iterations N] [--dry-run]');
    expect(r.stderr).toContain(
      'Example: sprint run .claude/sprints/2026-01-15_my-sprint --dry-run',
    );
  });

  it('exits 64 naming a missing PROGRESS.yaml (SPRINT.yaml alone is not a sprint; PROGRESS.yaml alone is)', async () => {
    const cwd = tempDir();
    const dir = demo(cwd);
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, 'PROGRESS.yaml'));
    let r = await runCli(['run', dir], { cwd });
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('has no PROGRESS.yaml');
    expect(r.stderr).toContain('Usage: sprint run');
    rmSync(join(dir, 'SPRINT.yaml'));
    r = await runCli(['run', dir], { cwd });
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('has no PROGRESS.yaml');
  });

  it('exits 64 when no sprint is given and none exists', async () => {
    const cwd = tempDir();
    const r = await runCli(['run'], { cwd });
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('Sprint directory path is required');
    expect(r.stderr).toContain('Usage: sprint run');
  });

  it.each([
    ['0', 'positive integer'],
    ['-3', 'positive integer'],
    ['2.5', 'positive integer'],
    ['many', 'positive integer'],
  ])('exits 64 for --max-iterations %s', async (value, message) => {
    const cwd = tempDir();
    const dir = demo(cwd);
    const r = await runCli(['run', dir, '--max-iterations', value], { cwd });
    expect(r.code).toBe(64);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain('Usage: sprint run');
  });

  it('exits 64 for an unknown agent, a bad duration or a bad cost', async () => {
    const cwd = tempDir();
    const dir = demo(cwd);
    const agent = await runCli(['run', dir, '--agent', 'gpt'], { cwd });
    expect(agent.code).toBe(64);
    expect(agent.stderr).toMatch(/Allowed choices are .*claude.*noop.*shell/);
    const timeout = await runCli(['run', dir, '--task-timeout', 'soon'], { cwd });
    expect(timeout.code).toBe(64);
    expect(timeout.stderr).toContain('--task-timeout must be a duration');
    const cost = await runCli(['run', dir, '--max-cost-usd', '-1'], { cwd });
    expect(cost.code).toBe(64);
  });

  it('exits 64 when the queue is empty', async () => {
    const cwd = tempDir();
    const init = await runCli(['init', 'empty'], { cwd });
    expect(init.code).toBe(0);
    const r = await runCli(['run'], { cwd });
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('is empty');
    expect(r.stderr).toContain('Usage: sprint run');
  });

  it('exits 64 when the sprint is already completed', async () => {
    const cwd = tempDir();
    const dir = demo(cwd);
    const first = await runCli(['run', dir, '--agent', 'noop'], { cwd });
    expect(first.code).toBe(0);
    const again = await runCli(['run', dir, '--agent', 'noop'], { cwd });
    expect(again.code).toBe(64);
    expect(again.stderr).toContain('already completed');
    expect(again.stderr).toContain('Usage: sprint run');
    // It points to what works: not `sprint add` on this sprint, which refuses below.
    expect(again.stderr).toContain('Start a new sprint for the next tasks (sprint init)');
    expect(again.stderr).not.toContain('Add tasks (sprint add)');
    // Core's message speaks of the sprint; the CLI adds its command.
    const add = await runCli(['add', dir, 'implement-issue', '--issue-number', '7'], { cwd });
    expect(add.code).toBe(64);
    expect(add.stderr).toContain('already completed; it takes no more work');
    expect(add.stderr).toContain('Fix: start a new sprint for the next tasks: sprint init <name>.');
  });
});

describe('run --dry-run', () => {
  it('prints the original preview in execution order and changes nothing', async () => {
    const cwd = tempDir();
    const dir = demo(cwd);
    const before = snapshotFiles(cwd);
    const r = await runCli(['run', dir, '--dry-run'], { cwd });
    expect(r.code).toBe(0);
    expect(snapshotFiles(cwd)).toEqual(before);
    const out = r.stdout;
    expect(out).toContain('Dry Run: Sprint Preview\n========================');
    expect(out).toContain('Sprint: demo-sprint');
    expect(out).toContain('Directory: .claude/sprints/2026-01-15_demo-sprint');
    expect(out).toContain('Status: not-started');
    expect(out).toContain('Tasks to Execute (in order):');
    // The queue as written, dependencies permitting: priority does not reorder it.
    const order = [...out.matchAll(/^\d+\. \[([\w-]+)\] ([\w.-]+)$/gm)].map((m) => m[2]);
    expect(order).toEqual([
      'implement-issue-12',
      'refactor-session-store',
      'update-docs-readme',
      'custom-changelog',
    ]);
    expect(out).toContain(
      '4. [custom] custom-changelog\n   Write the changelog entry for v0.1\n   Priority: critical\n   Agent: noop',
    );
    expect(out).toContain('- Total tasks: 4');
    expect(out).toContain('- Estimated iterations: 4 (1 per task)');
    expect(out).toContain(
      'To start execution, run without --dry-run:\n  sprint run .claude/sprints/2026-01-15_demo-sprint --max-iterations',
    );
  });

  it('shows the agent and model each task would use, text and --json, by the rule a run uses', async () => {
    const cwd = tempDir();
    await runCli(['init', 'mixed'], { cwd });
    const [id] = readdirSync(join(cwd, '.claude/sprints'));
    const sprintFile = join(cwd, '.claude/sprints', id!, 'SPRINT.yaml');
    writeFileSync(
      sprintFile,
      readFileSync(sprintFile, 'utf8').replace(
        'config:\n',
        'config:\n  agents: { refactor: codex }\n  codex: { model: gpt-5-mini }\n',
      ),
    );
    const add = (...args: string[]) => runCli(['add', ...args], { cwd });
    expect((await add('custom', '--id', 'c1', '--description', 'd', '--done-when', 'w')).code).toBe(
      0,
    );
    expect((await add('refactor', '--target-path', 'src', '--goal', 'g')).code).toBe(0);
    expect(
      (await add('lint', '--command', 'true', '--agent', 'gemini', '--model', 'gemini-2.5-pro'))
        .code,
    ).toBe(0);
    const text = await runCli(['run', '--dry-run'], { cwd });
    expect(text.code, text.stderr).toBe(0);
    const agents = [...text.stdout.matchAll(/^ {3}Agent: (.*)$/gm)].map((m) => m[1]);
    expect(agents).toEqual([
      'claude (its default model)',
      "codex (model gpt-5-mini, from the sprint's config.codex)",
      "gemini (model gemini-2.5-pro, from the task's model field)",
    ]);
    const json = JSON.parse((await runCli(['run', '--dry-run', '--json'], { cwd })).stdout);
    expect(
      json.tasks.map((t: { agent: string; model: string | null }) => [t.agent, t.model]),
    ).toEqual([
      ['claude', null],
      ['codex', 'gpt-5-mini'],
      ['gemini', 'gemini-2.5-pro'],
    ]);
    expect(json.tasks.map((t: { modelSource: unknown }) => t.modelSource)).toEqual([
      null,
      { kind: 'sprint' },
      { kind: 'task' },
    ]);
    // --agent runs every task with one agent; a task's own model still holds.
    const forced = JSON.parse(
      (await runCli(['run', '--dry-run', '--json', '--agent', 'noop'], { cwd })).stdout,
    );
    expect(forced.tasks.map((t: { agent: string }) => t.agent)).toEqual(['noop', 'noop', 'noop']);
    expect(forced.command).toMatch(/--agent noop$/);
  });

  it('names the model codex and opencode take from their own configuration files, and where (the binary, a temporary HOME)', async () => {
    const cwd = tempDir();
    const home = tempDir();
    await runCli(['init', 'configured'], { cwd });
    const add = (...args: string[]) => runCli(['add', 'custom', ...args], { cwd });
    for (const agent of ['codex', 'opencode', 'claude', 'gemini']) {
      const r = await add(
        '--id',
        agent,
        '--description',
        'd',
        '--done-when',
        'w',
        '--agent',
        agent,
      );
      expect(r.code, r.stderr).toBe(0);
    }
    mkdirSync(join(home, '.codex'));
    writeFileSync(join(home, '.codex', 'config.toml'), 'model = "gpt-5"\n');
    mkdirSync(join(home, '.config', 'opencode'), { recursive: true });
    writeFileSync(
      join(home, '.config', 'opencode', 'opencode.jsonc'),
      '{\n  // the team default\n  "model": "anthropic/claude-sonnet-4-5",\n}\n',
    );
    // Only what is given here: no CODEX_HOME, XDG_CONFIG_HOME or OPENCODE_* of the machine's.
    const env = { PATH: process.env.PATH, HOME: home };
    const agentLines = (stdout: string) =>
      [...stdout.matchAll(/^ {3}Agent: (.*)$/gm)].map((m) => m[1]);
    const text = await spawnCli(['run', '--dry-run'], { cwd, env, cleanEnv: true });
    expect(text.code, text.stderr).toBe(0);
    expect(agentLines(text.stdout)).toEqual([
      'codex (model gpt-5, from ~/.codex/config.toml)',
      'opencode (model anthropic/claude-sonnet-4-5, from ~/.config/opencode/opencode.jsonc)',
      'claude (its default model)',
      'gemini (its default model)',
    ]);
    // CODEX_HOME moves codex's file, as it does for codex itself; --json names the file in full.
    const codexHome = tempDir();
    writeFileSync(join(codexHome, 'config.toml'), 'model = "o4-mini"\n');
    const json = await spawnCli(['run', '--dry-run', '--json'], {
      cwd,
      env: { ...env, CODEX_HOME: codexHome },
      cleanEnv: true,
    });
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).tasks[0]).toMatchObject({
      agent: 'codex',
      model: 'o4-mini',
      modelSource: { kind: 'file', file: join(codexHome, 'config.toml') },
    });
    // No configuration at all: the CLIs' own defaults.
    const bare = await spawnCli(['run', '--dry-run'], {
      cwd,
      env: { PATH: process.env.PATH, HOME: tempDir() },
      cleanEnv: true,
    });
    expect(agentLines(bare.stdout)).toEqual([
      'codex (its default model)',
      'opencode (its default model)',
      'claude (its default model)',
      'gemini (its default model)',
    ]);
  });

  it('names the sprint it picked on stderr when none is given', async () => {
    const cwd = tempDir();
    demo(cwd);
    mkdirSync(join(cwd, '.claude/sprints/older'), { recursive: true });
    const r = await runCli(['run', '--dry-run'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'Using sprint .claude/sprints/2026-01-15_demo-sprint (the most recently created under .claude/sprints/)',
    );
    expect(r.stdout).not.toContain('Using sprint');
  });
});

describe('init, add, import, validate, list', () => {
  it('creates a sprint directory in the original layout', async () => {
    const cwd = tempDir();
    const r = await runCli(['init', 'auth-rework', '--goal', 'Ship OAuth'], { cwd });
    expect(r.code).toBe(0);
    const [id] = readdirSync(join(cwd, '.claude/sprints'));
    expect(id).toMatch(/^\d{4}-\d{2}-\d{2}_auth-rework$/);
    const dir = join(cwd, '.claude/sprints', id!);
    for (const f of ['SPRINT.yaml', 'PROGRESS.yaml', 'context', 'artifacts']) {
      expect(existsSync(join(dir, f))).toBe(true);
    }
    expect(readFileSync(join(dir, 'SPRINT.yaml'), 'utf8')).toContain('Ship OAuth');
    expect(r.stdout).toContain(`Created sprint .claude/sprints/${id}`);
  });

  it('honours --dir', async () => {
    const cwd = tempDir();
    const r = await runCli(['init', 'x', '--dir', 'sprints'], { cwd });
    expect(r.code).toBe(0);
    expect(readdirSync(join(cwd, 'sprints'))).toHaveLength(1);
  });

  it('adds each original type with its id convention, and custom types', async () => {
    const cwd = tempDir();
    await runCli(['init', 'tasks'], { cwd });
    const add = (...args: string[]) => runCli(['add', ...args], { cwd });
    let r = await add('implement-issue', '--issue-number', '42', '--priority', 'high');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Added implement-issue-42');
    r = await add('refactor', '--target-path', 'src/auth', '--goal', 'Split the session module');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Added refactor-[\w-]+/);
    r = await add('update-docs', '--doc-path', 'README.md', '--changes', 'Document add');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Added update-docs-[\w-]+/);
    r = await add(
      'custom',
      '--description',
      'Write a changelog',
      '--done-when',
      'CHANGELOG.md exists',
      '--depends-on',
      'implement-issue-42',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Added custom-[\w-]+/);
    r = await add('lint', '--id', 'lint-all', '--command', 'true');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Added lint-all');

    const [id] = readdirSync(join(cwd, '.claude/sprints'));
    const progress = readFileSync(join(cwd, '.claude/sprints', id!, 'PROGRESS.yaml'), 'utf8');
    expect(progress).toContain('issue-number: 42');
    expect(progress).toContain('lint-all');
    const dry = await runCli(['run', '--dry-run'], { cwd });
    expect(dry.stdout).toContain('- Total tasks: 5');
  });

  it('rejects a task missing its required fields with exit 65 and changes nothing', async () => {
    const cwd = tempDir();
    await runCli(['init', 'tasks'], { cwd });
    const before = snapshotFiles(cwd);
    const r = await runCli(['add', 'refactor', '--target-path', 'src'], { cwd });
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('goal');
    expect(snapshotFiles(cwd)).toEqual(before);
    const issue = await runCli(['add', 'implement-issue'], { cwd });
    expect(issue.code).toBe(65);
    expect(issue.stderr).toContain('issue-number');
    expect(snapshotFiles(cwd)).toEqual(before);
  });

  it('refuses a duplicate id with exit 65', async () => {
    const cwd = tempDir();
    await runCli(['init', 'tasks'], { cwd });
    expect((await runCli(['add', 'implement-issue', '--issue-number', '7'], { cwd })).code).toBe(0);
    const before = snapshotFiles(cwd);
    const again = await runCli(['add', 'implement-issue', '--issue-number', '7'], { cwd });
    expect(again.code).toBe(65);
    expect(again.stderr).toContain('implement-issue-7 is already in');
    expect(snapshotFiles(cwd)).toEqual(before);
  });

  it('imports tasks and says which ids it skipped', async () => {
    const cwd = tempDir();
    const dir = demo(cwd);
    writeFileSync(
      join(cwd, 'tasks.yaml'),
      [
        '- id: implement-issue-12',
        '  type: implement-issue',
        '  issue-number: 12',
        '- id: custom-new',
        '  type: custom',
        '  description: Something new',
        '  done-when: It exists',
        '',
      ].join('\n'),
    );
    const r = await runCli(['import', dir, 'tasks.yaml'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Imported 1 task');
    expect(r.stdout).toContain('custom-new');
    expect(r.stdout).toContain('Skipped 1 already present: implement-issue-12');
    expect(readFileSync(join(dir, 'PROGRESS.yaml'), 'utf8')).toContain('custom-new');
  });

  it('import, add and validate name a slip of a task field or type at its file and line, exit 65, nothing changed', async () => {
    const cwd = tempDir();
    const dir = demo(cwd);
    writeFileSync(
      join(cwd, 'slips.yaml'),
      [
        'tasks:',
        '  - id: e1',
        '    description: d',
        '    done-when: w',
        '    pause_after: true',
        '  - id: e2',
        '    type: custm',
        '    description: d',
        '',
      ].join('\n'),
    );
    const before = snapshotFiles(cwd);
    const r = await runCli(['import', 'slips.yaml'], { cwd });
    expect(r.code).toBe(65);
    expect(r.stderr).toContain(
      'slips.yaml:5 tasks[0].pause_after: "pause_after" is not a task field, so it would be ignored (fix: did you mean pause-after? rename it to pause-after)',
    );
    expect(r.stderr).toMatch(/slips\.yaml:7 tasks\[1\]\.type: task "e2" has type "custm"/);
    const add = await runCli(['add', 'review', '--description', 'd', '--pause-afer', 'true'], {
      cwd,
    });
    expect(add.code).toBe(65);
    expect(add.stderr).toContain('did you mean pause-after?');
    const progress = join(dir, 'PROGRESS.yaml');
    const text = readFileSync(progress, 'utf8');
    writeFileSync(
      progress,
      text.replace(/^queue:\n/m, 'queue:\n  - id: slip\n    type: review\n    pause-afer: true\n'),
    );
    const validate = await runCli(['validate', dir], { cwd });
    expect(validate.code).toBe(65);
    expect(validate.stderr).toMatch(
      /PROGRESS\.yaml:\d+ queue\[0\]\.pause-afer: .*did you mean pause-after\?/,
    );
    writeFileSync(progress, text);
    const after = snapshotFiles(cwd);
    after.delete('.claude/sprints/2026-01-15_demo-sprint/events.jsonl');
    before.delete('.claude/sprints/2026-01-15_demo-sprint/events.jsonl');
    expect(after).toEqual(before);
  });

  it('import refuses a task naming an unknown agent as add --agent does: exit 65, file, line, field, the known agents, nothing changed', async () => {
    const cwd = tempDir();
    demo(cwd);
    writeFileSync(
      join(cwd, 'agents.yaml'),
      [
        'tasks:',
        '  - id: fine',
        '    type: custom',
        '    description: d',
        '    done-when: w',
        '    agent: codex',
        '  - id: slip',
        '    type: custom',
        '    description: d',
        '    done-when: w',
        '    agent: codx',
        '',
      ].join('\n'),
    );
    const before = snapshotFiles(cwd);
    const r = await runCli(['import', 'agents.yaml'], { cwd });
    expect(r.code).toBe(65);
    expect(r.stderr).toContain(
      'agents.yaml:11 tasks[1].agent: task "slip" names unknown agent "codx" (did you mean "codex"?) (fix: use one of: claude, codex, gemini, opencode, noop, shell)',
    );
    expect(snapshotFiles(cwd)).toEqual(before);
  });

  it('import of 2,000 tasks lists the first ids and how many more on a short line, all of them written', async () => {
    const cwd = tempDir();
    const dir = demo(cwd);
    const ids = Array.from({ length: 2000 }, (_, i) => `bulk-${i + 1}`);
    writeFileSync(
      join(cwd, 'many.yaml'),
      ids.map((id) => `- id: ${id}\n  type: custom\n  description: d\n  done-when: w\n`).join(''),
    );
    const r = await runCli(['import', dir, 'many.yaml'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const [line, ...rest] = r.stdout.trimEnd().split('\n');
    expect(rest).toEqual([]);
    expect(line).toMatch(
      /^Imported 2000 tasks into .*: bulk-1, bulk-2, .*, bulk-20 and 1,980 more$/,
    );
    expect(line!.length).toBeLessThan(400);
    const progress = readFileSync(join(dir, 'PROGRESS.yaml'), 'utf8');
    for (const id of ['bulk-1', 'bulk-1000', 'bulk-2000'])
      expect(progress).toContain(`id: ${id}\n`);
  });

  it("validate and run name a task's unknown agent in PROGRESS.yaml with its line and field, and the fix there (not SPRINT.yaml), exit 65", async () => {
    const cwd = tempDir();
    const dir = demo(cwd);
    const progress = join(dir, 'PROGRESS.yaml');
    const text = readFileSync(progress, 'utf8');
    const edited = text.replace(
      /^queue:\n/m,
      'queue:\n  - id: slip\n    type: custom\n    description: d\n    done-when: w\n    agent: codx\n',
    );
    writeFileSync(progress, edited);
    const line = edited.split('\n').indexOf('    agent: codx') + 1;
    const before = snapshotFiles(cwd);
    const validate = await runCli(['validate', dir], { cwd });
    expect(validate.code).toBe(65);
    expect(validate.stderr).toContain(
      `PROGRESS.yaml:${line} queue[0].agent: task "slip" names unknown agent "codx" (did you mean "codex"?) (fix: in PROGRESS.yaml, set the task's agent to one of claude, codex, gemini, opencode, noop, shell, or remove it`,
    );
    expect(validate.stderr).not.toContain('SPRINT.yaml');
    const json = await runCli(['validate', dir, '--json'], { cwd });
    expect(json.code).toBe(65);
    expect(JSON.parse(json.stdout).issues).toEqual([
      expect.objectContaining({
        file: progress,
        line,
        field: 'queue[0].agent',
        suggestion: 'codex',
      }),
    ]);
    const run = await runCli(['run', dir], { cwd });
    expect(run.code).toBe(65);
    expect(run.stderr).toContain(`PROGRESS.yaml:${line} queue[0].agent`);
    expect(snapshotFiles(cwd)).toEqual(before);
  });

  it('import names a dependency cycle among its tasks at the file and line of the first task on it, with the field and the fix', async () => {
    const cwd = tempDir();
    demo(cwd);
    writeFileSync(
      join(cwd, 'cycle.yaml'),
      [
        'tasks:',
        '  - id: a',
        '    type: custom',
        '    description: d',
        '    done-when: w',
        '    depends-on: [b]',
        '  - id: b',
        '    type: custom',
        '    description: d',
        '    done-when: w',
        '    depends-on: [a]',
        '',
      ].join('\n'),
    );
    const before = snapshotFiles(cwd);
    const r = await runCli(['import', 'cycle.yaml'], { cwd });
    expect(r.code).toBe(65);
    expect(r.stderr).toContain(
      'cycle.yaml:6 tasks[0].depends-on: dependency cycle: a -> b -> a (fix: remove one of these depends-on entries)',
    );
    expect(snapshotFiles(cwd)).toEqual(before);
  });

  it('refuses a bad tasks file with exit 65 and changes nothing; a missing one is a usage error', async () => {
    const cwd = tempDir();
    demo(cwd);
    writeFileSync(
      join(cwd, 'bad.yaml'),
      '- id: a\n  type: custom\n  description: d\n- id: b\n  type: refactor\n',
    );
    writeFileSync(join(cwd, 'broken.yaml'), 'tasks: [unclosed\n');
    const before = snapshotFiles(cwd);
    const bad = await runCli(['import', 'bad.yaml'], { cwd });
    expect(bad.code).toBe(65);
    expect(bad.stderr).toContain('done-when');
    expect(bad.stderr).toContain('target-path');
    const broken = await runCli(['import', 'broken.yaml'], { cwd });
    expect(broken.code).toBe(65);
    expect(broken.stderr).toMatch(/broken\.yaml:\d+/);
    const dangling = await runCli(
      ['add', 'custom', '--description', 'd', '--done-when', 'w', '--depends-on', 'nope'],
      { cwd },
    );
    expect(dangling.code).toBe(65);
    expect(dangling.stderr).toContain('"nope"');
    // Core takes the sprint's lock before it validates added tasks, which leaves an
    // empty events.jsonl behind; every file that was there is byte for byte the same.
    const after = snapshotFiles(cwd);
    const log = '.claude/sprints/2026-01-15_demo-sprint/events.jsonl';
    expect(after.get(log) ?? '').toBe('');
    after.delete(log);
    expect(after).toEqual(before);
    const missing = await runCli(['import', 'nofile.yaml'], { cwd });
    expect(missing.code).toBe(64);
    expect(missing.stderr).toContain('Usage: sprint import');
  });

  it('validates a good sprint (exit 0) and reports every problem of a bad one (exit 65) without changing it', async () => {
    const cwd = tempDir();
    const dir = demo(cwd);
    const ok = await runCli(['validate', dir], { cwd });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('is valid');

    const progress = join(dir, 'PROGRESS.yaml');
    writeFileSync(
      progress,
      readFileSync(progress, 'utf8')
        .replace('priority: low', 'priority: urgent')
        .replace('depends-on: [implement-issue-12]', 'depends-on: [no-such-task]'),
    );
    const before = snapshotFiles(cwd);
    const bad = await runCli(['validate', dir], { cwd });
    expect(bad.code).toBe(65);
    expect(bad.stderr).toContain('PROGRESS.yaml');
    expect(bad.stderr).toContain('urgent');
    expect(bad.stderr).toContain('no-such-task');
    expect(snapshotFiles(cwd)).toEqual(before);

    for (const cmd of [
      ['run', dir],
      ['run', dir, '--dry-run'],
      ['status', dir],
      ['add', dir, 'custom', '--description', 'd', '--done-when', 'w'],
    ]) {
      const r = await runCli(cmd, { cwd });
      expect(r.code, `${cmd.join(' ')}: ${r.stderr}`).toBe(65);
      expect(snapshotFiles(cwd)).toEqual(before);
    }
  });

  it('status of a sprint with only its YAML (a clone) keeps its answer in the state home, and a changed byte gets the full reader again, errors and exit code included', async () => {
    const cwd = tempDir();
    const dir = demo(cwd);
    const env = { SPRINT_STATE_HOME: join(tempDir(), 'home') };
    const first = await spawnCli(['status', dir], { cwd, env });
    expect(first.code, first.stderr).toBe(0);
    const kept = readdirSync(join(env.SPRINT_STATE_HOME, 'overviews'));
    expect(kept.filter((n) => n.endsWith('.json'))).toHaveLength(1);
    const again = await spawnCli(['status', dir], { cwd, env });
    expect(again).toEqual(first);

    const progress = join(dir, 'PROGRESS.yaml');
    writeFileSync(
      progress,
      readFileSync(progress, 'utf8').replace('priority: low', 'priority: urgent'),
    );
    const before = snapshotFiles(cwd);
    const bad = await spawnCli(['status', dir], { cwd, env });
    expect(bad.code).toBe(65);
    expect(bad.stderr).toContain('PROGRESS.yaml');
    expect(bad.stderr).toContain('urgent');
    expect(snapshotFiles(cwd)).toEqual(before);
    expect(readdirSync(join(env.SPRINT_STATE_HOME, 'overviews'))).toEqual(kept);
  });

  it('exits 65 for YAML that does not parse, naming the file and line', async () => {
    const cwd = tempDir();
    const dir = demo(cwd);
    writeFileSync(join(dir, 'SPRINT.yaml'), 'name: [unclosed\nconfig: {\n');
    const before = snapshotFiles(cwd);
    const r = await runCli(['run', dir], { cwd });
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/SPRINT\.yaml:\d+/);
    expect(snapshotFiles(cwd)).toEqual(before);
  });

  it('lists sprints', async () => {
    const cwd = tempDir();
    demo(cwd);
    const r = await runCli(['list'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/SPRINT\s+STATUS\s+DONE/);
    expect(r.stdout).toContain('2026-01-15_demo-sprint');
    expect(r.stdout).toContain('0/4');
    const json = await runCli(['list', '--json'], { cwd });
    expect(JSON.parse(json.stdout)).toHaveLength(1);
    const empty = await runCli(['list', '--dir', 'none'], { cwd });
    expect(empty.code).toBe(0);
    expect(empty.stdout).toContain('No sprints');
  });
});

describe('--json on failure', () => {
  it('still prints one JSON document on stdout, with the code and the issues', async () => {
    const cwd = tempDir();
    const missing = await runCli(['run', 'nowhere', '--json'], { cwd });
    expect(missing.code).toBe(64);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: { code: 'USAGE', exitCode: 64 } });

    const badOption = await runCli(['status', '--json', '--bogus'], { cwd });
    expect(badOption.code).toBe(64);
    expect(JSON.parse(badOption.stdout).error.code).toBe('USAGE');

    const dir = demo(cwd);
    const progress = join(dir, 'PROGRESS.yaml');
    writeFileSync(
      progress,
      readFileSync(progress, 'utf8').replace('priority: low', 'priority: soon'),
    );
    const invalid = await runCli(['run', dir, '--json'], { cwd });
    expect(invalid.code).toBe(65);
    const doc = JSON.parse(invalid.stdout);
    expect(doc.error.code).toBe('INVALID_SPRINT');
    expect(doc.error.issues[0]).toMatchObject({ file: expect.stringContaining('PROGRESS.yaml') });

    const validate = await runCli(['validate', dir, '--json'], { cwd });
    expect(validate.code).toBe(65);
    expect(JSON.parse(validate.stdout)).toMatchObject({ valid: false });
  });
});

describe('run --dry-run --json', () => {
  it('prints the plan as exactly one JSON document and exits 0', async () => {
    const cwd = tempDir();
    const dir = demo(cwd);
    const before = snapshotFiles(cwd);
    const r = await runCli(['run', dir, '--dry-run', '--json'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(snapshotFiles(cwd)).toEqual(before);
    const plan = JSON.parse(r.stdout);
    expect(plan).toMatchObject({
      dryRun: true,
      sprintId: '2026-01-15_demo-sprint',
      name: 'demo-sprint',
      directory: dir,
      status: 'not-started',
      totals: { tasks: 4, estimatedIterations: 4 },
      command: 'sprint run .claude/sprints/2026-01-15_demo-sprint --max-iterations 30',
    });
    // The queue as written, dependencies permitting (as the text preview).
    expect(plan.tasks.map((t: { id: string }) => t.id)).toEqual([
      'implement-issue-12',
      'refactor-session-store',
      'update-docs-readme',
      'custom-changelog',
    ]);
    expect(plan.tasks[1]).toMatchObject({
      type: 'refactor',
      id: 'refactor-session-store',
      label: 'Split the session store into reader and writer',
      priority: 'medium',
      dependsOn: ['implement-issue-12'],
    });
  });
});

describe('add checks its fields', () => {
  it('refuses an unknown field of an original type with exit 64 and a did-you-mean', async () => {
    const cwd = tempDir();
    await runCli(['init', 'tasks'], { cwd });
    const before = snapshotFiles(cwd);
    const r = await runCli(
      ['add', 'implement-issue', '--issue-number', '42', '--priorty', 'high'],
      { cwd },
    );
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('--priorty (did you mean --priority?)');
    expect(r.stderr).toContain('Usage: sprint add');
    const custom = await runCli(
      ['add', 'custom', '--description', 'd', '--done-when', 'w', '--context-file', 'a.md'],
      { cwd },
    );
    expect(custom.code).toBe(64);
    expect(custom.stderr).toContain('did you mean --context-files?');
    expect(snapshotFiles(cwd)).toEqual(before);
  });

  it("takes a task's own --agent and --model for every type; an unknown agent exits 65 naming the known ones", async () => {
    const cwd = tempDir();
    await runCli(['init', 'tasks'], { cwd });
    for (const args of [
      ['custom', '--description', 'd', '--done-when', 'w'],
      ['refactor', '--target-path', 'src', '--goal', 'g'],
      ['lint', '--command', 'true'],
    ]) {
      const r = await runCli(
        ['add', ...args, '--agent', 'codex', '--model', 'gpt-5-mini', '--json'],
        {
          cwd,
        },
      );
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).task.fields).toMatchObject({
        agent: 'codex',
        model: 'gpt-5-mini',
      });
    }
    const before = snapshotFiles(cwd);
    const bad = await runCli(
      ['add', 'custom', '--description', 'd', '--done-when', 'w', '--agent', 'codx'],
      { cwd },
    );
    expect(bad.code).toBe(65);
    expect(bad.stderr).toContain('unknown agent "codx"');
    expect(bad.stderr).toContain('claude, codex, gemini, opencode, noop, shell');
    const bare = await runCli(
      ['add', 'custom', '--description', 'd', '--done-when', 'w', '--model'],
      {
        cwd,
      },
    );
    expect(bare.code).toBe(64);
    expect(bare.stderr).toContain('--model takes one value');
    expect(snapshotFiles(cwd)).toEqual(before);
  });

  it('lets your own types take any field', async () => {
    const cwd = tempDir();
    await runCli(['init', 'tasks'], { cwd });
    const r = await runCli(['add', 'lint', '--id', 'lint-all', '--command', 'true', '--fix'], {
      cwd,
    });
    expect(r.code, r.stderr).toBe(0);
    const [id] = readdirSync(join(cwd, '.claude/sprints'));
    expect(readFileSync(join(cwd, '.claude/sprints', id!, 'PROGRESS.yaml'), 'utf8')).toContain(
      'fix: true',
    );
  });

  it('takes --json as the output flag: one JSON document, never a field', async () => {
    const cwd = tempDir();
    await runCli(['init', 'tasks'], { cwd });
    for (const args of [
      ['add', 'implement-issue', '--issue-number', '42', '--json'],
      ['add', 'lint', '--json', '--id', 'lint-all', '--command', 'true'],
    ]) {
      const r = await runCli(args, { cwd });
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(doc.added).toHaveLength(1);
      expect(doc.skipped).toEqual([]);
      expect(doc.task.fields).not.toHaveProperty('json');
    }
    const [id] = readdirSync(join(cwd, '.claude/sprints'));
    const progress = readFileSync(join(cwd, '.claude/sprints', id!, 'PROGRESS.yaml'), 'utf8');
    expect(progress).toContain('implement-issue-42');
    expect(progress).toContain('lint-all');
    expect(progress).not.toMatch(/json:/);
  });

  it('exits 64 for a priority that is not critical, high, medium or low', async () => {
    const cwd = tempDir();
    await runCli(['init', 'tasks'], { cwd });
    const before = snapshotFiles(cwd);
    for (const args of [
      ['add', 'implement-issue', '--issue-number', '1', '--priority', 'urgent'],
      ['add', 'lint', '--command', 'true', '--priority', 'urgent'],
    ]) {
      const r = await runCli(args, { cwd });
      expect(r.code).toBe(64);
      expect(r.stderr).toContain('--priority must be one of critical, high, medium, low');
    }
    expect(snapshotFiles(cwd)).toEqual(before);
  });

  it.each([
    ['abc', 'must be a positive integer'],
    ['0', 'must be a positive integer'],
    ['-4', 'must be a positive integer'],
    ['1.5', 'must be a positive integer'],
  ])('exits 64 for --issue-number %s', async (value, message) => {
    const cwd = tempDir();
    await runCli(['init', 'tasks'], { cwd });
    const before = snapshotFiles(cwd);
    const r = await runCli(['add', 'implement-issue', '--issue-number', value], { cwd });
    expect(r.code).toBe(64);
    expect(r.stderr).toContain(`--issue-number ${message}`);
    expect(snapshotFiles(cwd)).toEqual(before);
  });
});

describe('validate checks the agents as a run does', () => {
  it('fails an unknown config.agent with the same exit code as run (65), naming the fix', async () => {
    const cwd = tempDir();
    const dir = demo(cwd);
    const sprintYaml = join(dir, 'SPRINT.yaml');
    writeFileSync(
      sprintYaml,
      readFileSync(sprintYaml, 'utf8').replace('agent: noop', 'agent: bogus'),
    );
    const before = snapshotFiles(cwd);
    const validate = await runCli(['validate', dir], { cwd });
    expect(validate.code).toBe(65);
    // Core's wording may change; the message names the agent, the field and the file with its line.
    expect(validate.stderr).toMatch(/unknown agent "bogus"/i);
    expect(validate.stderr).toContain('config.agent');
    expect(validate.stderr).toMatch(/SPRINT\.yaml:\d+/);
    expect(validate.stderr).toContain('Fix: in SPRINT.yaml, set config.agent');
    const json = await runCli(['validate', dir, '--json'], { cwd });
    expect(json.code).toBe(65);
    expect(JSON.parse(json.stdout)).toMatchObject({
      valid: false,
      issues: [{ field: 'config.agent', message: expect.stringContaining('bogus') }],
    });
    const run = await runCli(['run', dir], { cwd });
    expect(run.code).toBe(validate.code);
    expect(run.stderr).toContain('Fix: in SPRINT.yaml, set config.agent');
    expect(snapshotFiles(cwd)).toEqual(before);
  });
});

describe('validate and run share the agent checks (issue 8 item 11)', () => {
  it('refuses unknown and operator-only keys under config.claude and config.codex with file, line, field and a did-you-mean (65), as run does', async () => {
    const cwd = tempDir();
    const dir = demo(cwd);
    const sprintYaml = join(dir, 'SPRINT.yaml');
    writeFileSync(
      sprintYaml,
      readFileSync(sprintYaml, 'utf8').replace(
        '  agent: noop\n',
        '  agent: noop\n  claude:\n    max-turn: 5\n    binary: /bin/sh\n  codex: { modle: gpt-5-codex }\n',
      ),
    );
    const before = snapshotFiles(cwd);
    const validate = await runCli(['validate', dir], { cwd });
    expect(validate.code, validate.stderr).toBe(65);
    expect(validate.stderr).toMatch(/SPRINT\.yaml:16/);
    expect(validate.stderr).toContain('config.claude.max-turn');
    expect(validate.stderr).toContain('did you mean "max-turns"');
    expect(validate.stderr).toMatch(/SPRINT\.yaml:17/);
    expect(validate.stderr).toContain('config.claude cannot set "binary"');
    expect(validate.stderr).toContain('config.codex.modle');
    expect(validate.stderr).toContain('did you mean "model"');
    const json = await runCli(['validate', dir, '--json'], { cwd });
    expect(json.code).toBe(65);
    expect(JSON.parse(json.stdout).issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'config.claude.max-turn', line: 16 }),
        expect.objectContaining({ field: 'config.claude.binary', line: 17 }),
      ]),
    );
    const run = await runCli(['run', dir], { cwd });
    expect(run.code).toBe(65);
    expect(run.stderr).toContain('did you mean "max-turns"');
    expect(snapshotFiles(cwd)).toEqual(before);
  });

  it('names the install command when an agent CLI the sprint would use is missing (69), for config.agent and a task agent field; --agent decides for run', async () => {
    const cwd = tempDir();
    const dir = demo(cwd);
    const sprintYaml = join(dir, 'SPRINT.yaml');
    writeFileSync(
      sprintYaml,
      readFileSync(sprintYaml, 'utf8').replace('agent: noop', 'agent: claude'),
    );
    const env = { PATH: dirname(process.execPath), SPRINT_CLAUDE_BIN: join(cwd, 'no-claude') };
    const before = snapshotFiles(cwd);
    const validate = await runCli(['validate', dir], { cwd, env });
    expect(validate.code, validate.stderr).toBe(69);
    expect(validate.stderr).toContain('npm i -g @anthropic-ai/claude-code');
    expect(validate.stderr).toContain('SPRINT_CLAUDE_BIN');
    const json = await runCli(['validate', dir, '--json'], { cwd, env });
    expect(json.code).toBe(69);
    expect(JSON.parse(json.stdout)).toMatchObject({
      valid: false,
      issues: [{ field: 'agent claude', fix: expect.stringContaining('npm i -g') }],
    });
    const run = await runCli(['run', dir], { cwd, env });
    expect(run.code).toBe(69);
    expect(run.stderr).toContain('npm i -g @anthropic-ai/claude-code');
    expect(snapshotFiles(cwd)).toEqual(before);

    // An executable there: the check passes (nothing is started by validate).
    const fake = join(cwd, 'fake-claude');
    writeFileSync(fake, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const found = await runCli(['validate', dir], {
      cwd,
      env: { ...env, SPRINT_CLAUDE_BIN: fake },
    });
    expect(found.code, found.stderr).toBe(0);

    // Back to noop, but one task names codex, which is not installed.
    writeFileSync(
      sprintYaml,
      readFileSync(sprintYaml, 'utf8').replace('agent: claude', 'agent: noop'),
    );
    const progress = join(dir, 'PROGRESS.yaml');
    writeFileSync(
      progress,
      readFileSync(progress, 'utf8').replace(
        '    estimate: 30m\n',
        '    estimate: 30m\n    agent: codex\n',
      ),
    );
    const codexEnv = { PATH: dirname(process.execPath) };
    const byTask = await runCli(['validate', dir], { cwd, env: codexEnv });
    expect(byTask.code, byTask.stderr).toBe(69);
    expect(byTask.stderr).toContain('npm i -g @openai/codex');
    // --agent runs every task with noop: nothing is missing.
    const overridden = await runCli(['run', dir, '--agent', 'noop'], { cwd, env: codexEnv });
    expect(overridden.code, overridden.stderr).toBe(0);
  });

  it('validate --agent checks what run --agent would run: the same agent for every task, the same choices', async () => {
    const cwd = tempDir();
    const dir = demo(cwd);
    const sprintYaml = join(dir, 'SPRINT.yaml');
    writeFileSync(
      sprintYaml,
      readFileSync(sprintYaml, 'utf8').replace('agent: noop', 'agent: claude'),
    );
    const env = { PATH: dirname(process.execPath), SPRINT_CLAUDE_BIN: join(cwd, 'no-claude') };
    const before = snapshotFiles(cwd);
    // Without claude, the sprint still checks out for a run with another agent.
    const other = await runCli(['validate', dir, '--agent', 'noop'], { cwd, env });
    expect(other.code, other.stderr).toBe(0);
    expect(other.stdout).toContain('is valid');
    // And --agent names an agent that must be installed, as for run.
    const missing = await runCli(['validate', dir, '--agent', 'codex'], { cwd, env });
    expect(missing.code).toBe(69);
    expect(missing.stderr).toContain('npm i -g @openai/codex');
    const unknown = await runCli(['validate', dir, '--agent', 'nope'], { cwd, env });
    const unknownRun = await runCli(['run', dir, '--agent', 'nope'], { cwd, env });
    expect(unknown.code).toBe(64);
    expect(unknownRun.code).toBe(64);
    expect(unknown.stderr).toContain("argument 'nope' is invalid");
    expect(snapshotFiles(cwd)).toEqual(before);
  });
});

describe('resume --answer', () => {
  it('exits 64 when the sprint is not waiting for a human', async () => {
    const cwd = tempDir();
    const dir = demo(cwd);
    const before = snapshotFiles(cwd);
    const r = await runCli(['resume', dir, '--answer', 'Use the v2 API'], { cwd });
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('not waiting for a human: there is no question to answer');
    expect(r.stderr).toContain('sprint status .claude/sprints/2026-01-15_demo-sprint');
    expect(snapshotFiles(cwd)).toEqual(before);
  });
});

describe('finding the sprint when none is named', () => {
  it('looks in parent directories for .claude/sprints and says which sprint it picked', async () => {
    const cwd = tempDir();
    const dir = demo(cwd);
    const deep = join(cwd, 'src', 'deep');
    mkdirSync(deep, { recursive: true });
    const r = await runCli(['status', '--json'], { cwd: deep });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).id).toBe('2026-01-15_demo-sprint');
    expect(r.stderr).toContain(
      `Using sprint ${dir} (the most recently created under ${join(cwd, '.claude/sprints')}/)`,
    );
  });

  it('stops at the nearest .claude/sprints, even when it holds no sprint', async () => {
    const cwd = tempDir();
    demo(cwd);
    const inner = join(cwd, 'pkg');
    mkdirSync(join(inner, '.claude/sprints'), { recursive: true });
    const r = await runCli(['status'], { cwd: join(inner) });
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('there is no sprint under .claude/sprints/');
  });
});
