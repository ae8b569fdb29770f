import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copy, runCli, snapshotFiles, tempDir } from './helpers.js';
import { runMain } from './in-process.js';

/** Real m42 sprints, from the public Mission42-ai/m42-claude-plugins repository (see its README). */
const M42 = resolve(import.meta.dirname, '../../../packages/core/src/imports/fixtures/m42');

/** An m42 project: the sprint under `.claude/sprints/`, the real workflows under `.claude/workflows/`. */
function m42Project(name: string) {
  const cwd = tempDir();
  const dir = copy(join(M42, name), join(cwd, '.claude/sprints', name));
  copy(join(M42, 'workflows'), join(cwd, '.claude/workflows'));
  return { cwd, dir };
}

describe('sprint import --from-m42', () => {
  it('turns a compiled m42 sprint into a runnable sprint: phases in order, finished ones completed, the original unchanged', async () => {
    const { cwd, dir } = m42Project('2026-02-05_claudemd-commands');
    const before = snapshotFiles(dir);
    const r = await runMain(['import', '--from-m42', dir, '--json'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({
      tasks: 10,
      done: 9,
      workflow: 'plugin-development',
      fromProgress: true,
    });
    expect(doc.path).toBe(`${dir}-imported`);
    expect(snapshotFiles(dir)).toEqual(before);
    const progress = readFileSync(join(doc.path, 'PROGRESS.yaml'), 'utf8');
    expect(progress).toMatch(/queue:\n {2}- id: pr-create/);
    expect(progress).toContain('depends-on:\n      - summary');
    expect(existsSync(join(doc.path, 'context/_shared-context.md'))).toBe(true);

    // It validates and runs like any sprint (noop agent): only the unfinished phase is left.
    expect((await runMain(['validate', doc.path], { cwd })).code).toBe(0);
    const preview = await runMain(['run', doc.path, '--dry-run', '--json'], { cwd });
    expect(JSON.parse(preview.stdout).tasks.map((t: { id: string }) => t.id)).toEqual([
      'pr-create',
    ]);
    const run = await runCli(['run', doc.path, '--agent', 'noop'], { cwd });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('10/10 tasks done');

    // Removed and imported again at the same path: a new sprint, not a tampered one.
    rmSync(doc.path, { recursive: true });
    expect((await runMain(['import', '--from-m42', dir], { cwd })).code).toBe(0);
    const again = await runCli(['status', doc.path, '--json'], { cwd });
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'in-progress' });
    expect(JSON.parse(again.stdout).tampering).toBeUndefined();
  });

  it('an m42 sprint without PROGRESS.yaml: its steps expanded through the workflow, run to the end; the default place is beside it', async () => {
    const name = '2026-02-01_sprint-creator-subagent';
    const { cwd, dir } = m42Project(name);
    const before = snapshotFiles(cwd);
    const r = await runMain(['import', '--from-m42', dir], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`as .claude/sprints/${name}-imported:`);
    expect(r.stdout).toContain(
      '9 tasks, 0 already done, each after the one before it (no compiled PROGRESS.yaml: phases compiled from .claude/workflows as m42 does)',
    );
    const target = `${dir}-imported`;
    // The original is as it was: nothing changed, nothing added beside it but the new sprint.
    const after = snapshotFiles(cwd);
    for (const [file, text] of before) expect(after.get(file)).toBe(text);
    expect(
      [...after.keys()].filter((f) => !before.has(f)).every((f) => f.includes('-imported/')),
    ).toBe(true);

    const preview = await runMain(['run', target, '--dry-run', '--json'], { cwd });
    expect(JSON.parse(preview.stdout).tasks.map((t: { id: string }) => t.id)).toEqual([
      'preflight',
      'creating-sprints-skill',
      'sprint-creator-subagent',
      'documentation',
      'tooling-update',
      'version-bump',
      'final-qa',
      'summary',
      'pr-create',
    ]);
    const run = await runCli(['run', target, '--agent', 'noop'], { cwd });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('9/9 tasks done');
  });

  it('a workflow that runs each step through phases gives one task per step and phase, with models and gates', async () => {
    const name = '2026-02-01_sprint-creator-subagent';
    const { cwd, dir } = m42Project(name);
    const sprintFile = join(dir, 'SPRINT.yaml');
    writeFileSync(
      sprintFile,
      readFileSync(sprintFile, 'utf8')
        .replace('workflow: plugin-development', 'workflow: sprint-default\nmodel: sonnet')
        .replace(
          '    - id: sprint-creator-subagent\n',
          '    - id: sprint-creator-subagent\n      model: opus\n',
        ),
    );
    const standard = join(cwd, '.claude/workflows/feature-standard.yaml');
    writeFileSync(
      standard,
      readFileSync(standard, 'utf8').replace(
        '  - id: test\n',
        '  - id: test\n    gate:\n      script: npm test\n      on-fail:\n        prompt: Fix the failing tests.\n',
      ),
    );
    const r = await runMain(['import', '--from-m42', dir, '--json'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ tasks: 11, done: 0, fromProgress: false });
    const progress = readFileSync(join(`${dir}-imported`, 'PROGRESS.yaml'), 'utf8');
    expect(progress).toMatch(
      /- id: creating-sprints-skill-test\n(.*\n)*? {4}verify: npm test\n(.*\n)*? {4}model: sonnet\n/,
    );
    expect(progress).toMatch(/- id: sprint-creator-subagent-planning\n(.*\n)*? {4}model: opus\n/);
    expect(progress).toContain('depends-on:\n      - creating-sprints-skill-document');
    expect(progress).not.toContain('{{');
  });

  it('a missing workflow (66) or a malformed one (65): file, line, field and fix, nothing written', async () => {
    const name = '2026-02-01_sprint-creator-subagent';
    const { cwd, dir } = m42Project(name);
    rmSync(join(cwd, '.claude/workflows/plugin-development.yaml'));
    let before = snapshotFiles(cwd);
    const missing = await runMain(['import', '--from-m42', dir], { cwd });
    expect(missing.code).toBe(66);
    expect(missing.stderr).toContain(
      `${join(dir, 'SPRINT.yaml')}:4 workflow: names the m42 workflow "plugin-development", but ${join(cwd, '.claude/workflows')} has no plugin-development.yaml (fix: copy plugin-development.yaml from the m42 project the sprint comes from into`,
    );
    expect(snapshotFiles(cwd)).toEqual(before);

    writeFileSync(
      join(cwd, '.claude/workflows/plugin-development.yaml'),
      'name: Broken\nphases:\n  - id: dev\n    for-each: step\n    gate:\n      on-fail:\n        prompt: fix\n',
    );
    before = snapshotFiles(cwd);
    const malformed = await runMain(['import', '--from-m42', dir, '--json'], { cwd });
    expect(malformed.code).toBe(65);
    expect(JSON.parse(malformed.stdout).error.issues).toEqual([
      {
        file: join(cwd, '.claude/workflows/plugin-development.yaml'),
        line: 5,
        field: 'phases[0].gate.script',
        message: 'has no script',
        fix: 'give the gate a script: <shell command>',
      },
    ]);
    expect(snapshotFiles(cwd)).toEqual(before);
  });

  it('--workflows DIR names the workflows of a sprint kept outside its m42 project (66 without, or with a folder that is not there)', async () => {
    const name = '2026-02-01_sprint-creator-subagent';
    const cwd = tempDir();
    const dir = copy(join(M42, name), join(cwd, 'elsewhere', name));
    const workflows = copy(join(M42, 'workflows'), join(cwd, 'm42-project/.claude/workflows'));
    const before = snapshotFiles(cwd);

    const lost = await runMain(['import', '--from-m42', dir], { cwd });
    expect(lost.code).toBe(66);
    expect(lost.stderr).toContain('there is no .claude/workflows/ folder');
    expect(lost.stderr).toContain('Fix: name the m42 project');
    expect(lost.stderr).toContain('--workflows DIR');
    const nowhere = await runMain(
      ['import', '--from-m42', dir, '--workflows', 'm42-project/workflows'],
      { cwd },
    );
    expect(nowhere.code).toBe(66);
    expect(nowhere.stderr).toContain(`${join(cwd, 'm42-project/workflows')}: does not exist`);
    const alone = await runMain(['import', 'tasks.yaml', '--workflows', workflows], { cwd });
    expect(alone.code).toBe(64);
    expect(alone.stderr).toContain('--workflows goes with --from-m42.');
    expect(snapshotFiles(cwd)).toEqual(before);

    const r = await runMain(
      ['import', '--from-m42', dir, '--workflows', 'm42-project/.claude/workflows', '--json'],
      { cwd },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      tasks: 9,
      fromProgress: false,
      workflowsDir: workflows,
      parallel: [],
      breaks: [],
    });
  });

  it("an m42 break: pauses the run after its phase for review, and resume goes on (m42's workflow template)", async () => {
    const name = '2026-02-01_sprint-creator-subagent';
    const { cwd, dir } = m42Project(name);
    const sprintFile = join(dir, 'SPRINT.yaml');
    writeFileSync(
      sprintFile,
      readFileSync(sprintFile, 'utf8').replace(
        'workflow: plugin-development',
        'workflow: workflow-template',
      ),
    );
    // The template's gate runs the project's npm scripts; this project has none.
    const template = join(cwd, '.claude/workflows/workflow-template.yaml');
    writeFileSync(
      template,
      readFileSync(template, 'utf8').replace(
        'script: "npm test && npm run lint"',
        'script: "true"',
      ),
    );
    const r = await runMain(['import', '--from-m42', dir], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      `The run pauses after review-checkpoint (m42 break:) for a review; sprint resume .claude/sprints/${name}-imported goes on.`,
    );
    const target = `${dir}-imported`;
    expect(readFileSync(join(target, 'PROGRESS.yaml'), 'utf8')).toMatch(
      /- id: review-checkpoint\n(.*\n)*? {4}pause-after: true\n/,
    );
    const first = await runCli(['run', target, '--agent', 'noop', '--json'], { cwd });
    expect(first.code, first.stderr).toBe(0);
    const paused = JSON.parse(first.stdout);
    expect(paused).toMatchObject({ status: 'paused', stopReason: { kind: 'paused' } });
    expect(paused.agentResults.at(-1).taskId).toBe('review-checkpoint');
    const events = readFileSync(join(target, 'events.jsonl'), 'utf8');
    expect(events).toContain('"requestedBy":"task review-checkpoint (pause-after)"');

    const resumed = await runCli(['resume', target, '--agent', 'noop', '--json'], { cwd });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ status: 'completed' });
    expect(
      JSON.parse(resumed.stdout).agentResults.map((a: { taskId: string }) => a.taskId),
    ).toEqual(['finalize']);
  });

  it("m42 parallel: phases become tasks nothing waits for until wait-for-parallel:, run beside the others (m42's test workflows)", async () => {
    const name = '2026-02-01_sprint-creator-subagent';
    const { cwd, dir } = m42Project(name);
    const sprintFile = join(dir, 'SPRINT.yaml');
    writeFileSync(
      sprintFile,
      readFileSync(sprintFile, 'utf8').replace(
        'workflow: plugin-development',
        'workflow: test-parallel-main',
      ),
    );
    const r = await runMain(['import', '--from-m42', dir], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      '5 tasks, 0 already done, each after the one before it, except that nothing waits for the parallel: 2 tasks creating-sprints-skill-parallel-task, sprint-creator-subagent-parallel-task until a wait-for-parallel: phase',
    );
    const target = `${dir}-imported`;
    const progress = readFileSync(join(target, 'PROGRESS.yaml'), 'utf8');
    expect(progress).toMatch(
      /- id: sprint-creator-subagent-execute\n(.*\n)*? {4}depends-on:\n {6}- creating-sprints-skill-execute\n/,
    );
    const run = await runCli(
      ['run', target, '--agent', 'noop', '--concurrency', '2', '--isolation', 'shared', '--json'],
      { cwd },
    );
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.status).toBe('completed');
    const order = result.agentResults.map((a: { taskId: string }) => a.taskId);
    expect(order.at(-1)).toBe('sync');
    expect(order).toHaveLength(5);
  });

  it('validate, run and status on an m42 sprint (with or without PROGRESS.yaml) say only that it is one to import: 65, nothing changed; list shows it in one short row', async () => {
    for (const name of ['2026-02-05_claudemd-commands', '2026-01-29_agent-monitor-panel']) {
      const { cwd, dir } = m42Project(name);
      const before = snapshotFiles(cwd);
      for (const command of ['validate', 'run', 'status']) {
        const r = await runMain([command, dir], { cwd });
        expect(r.code, `${command} ${name}`).toBe(65);
        expect(r.stderr).toBe(
          `Error: This is a sprint in m42's workflow format (workflow: plugin-development), which sprint does not run as it is.\nFix: convert it into a new sprint (the original stays unchanged): sprint import --from-m42 .claude/sprints/${name} [--workflows DIR].\n`,
        );
      }
      const list = await runMain(['list'], { cwd });
      expect(list.code).toBe(0);
      expect(list.stdout).toMatch(
        new RegExp(
          `${name} +invalid +0/0 +an m42 sprint, to import: sprint import --from-m42 .claude/sprints/${name}\n`,
        ),
      );
      expect(snapshotFiles(cwd)).toEqual(before);
    }
  });

  it('a misspelt m42 flag (wait-for-paralel:, brek:) fails the import with 65 at its line and the key m42 reads, writing nothing', async () => {
    const name = '2026-02-01_sprint-creator-subagent';
    const { cwd, dir } = m42Project(name);
    const flow = join(cwd, '.claude/workflows/test-parallel-main.yaml');
    writeFileSync(
      flow,
      readFileSync(flow, 'utf8').replace(/^(\s+)wait-for-parallel:/m, '$1wait-for-paralel:'),
    );
    writeFileSync(
      join(dir, 'SPRINT.yaml'),
      readFileSync(join(dir, 'SPRINT.yaml'), 'utf8').replace(
        /^workflow: .*$/m,
        'workflow: test-parallel-main',
      ),
    );
    const before = snapshotFiles(cwd);
    const r = await runMain(['import', '--from-m42', dir], { cwd });
    expect(r.code, r.stderr).toBe(65);
    expect(r.stderr).toMatch(
      /test-parallel-main\.yaml:\d+ phases\[\d\]\.wait-for-paralel: unknown key "wait-for-paralel" in an m42 workflow phase, which m42 would ignore \(fix: did you mean wait-for-parallel\? rename it to wait-for-parallel\)/,
    );
    expect(snapshotFiles(cwd)).toEqual(before);
  });

  it('refuses an existing target (64) and an empty step list (65 with file, field and fix), writing nothing', async () => {
    const { cwd, dir } = m42Project('2026-02-05_claudemd-commands');
    const taken = await runMain(['import', '--from-m42', dir, '--into', join(cwd, '.claude')], {
      cwd,
    });
    expect(taken.code).toBe(64);
    expect(taken.stderr).toContain('already exists');
    // Core says what is wrong; the CLI says it with its own flag.
    expect(taken.stderr).toContain('Fix: choose another place with --into DIR, or remove it.');

    const empty = m42Project('2026-02-02_step-learnings');
    const before = snapshotFiles(empty.cwd);
    const r = await runMain(['import', '--from-m42', empty.dir], { cwd: empty.cwd });
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/SPRINT\.yaml:6 collections: has no steps to convert \(fix: /);
    // The import itself failed: no pointer to the command that was just run.
    expect(r.stderr).not.toContain('sprint import --from-m42');
    expect(snapshotFiles(empty.cwd)).toEqual(before);
  });
});
