import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import type { NewRunEvent, RunEvent } from '../../model/events.js';
import type { SprintDefinition, Task } from '../../model/sprint.js';
import {
  type Attempt,
  applyEvent,
  initialState,
  initialTaskState,
  type SprintState,
  type TaskState,
} from '../../model/state.js';
import { at, definitionOf, generate } from './generated-sprint.test-support.js';
import { renderProgressYaml } from './progress-yaml.js';
import { renderSprintYaml } from './render-sprint-yaml.js';
import { parseSprintDirectory } from './sprint-directory.js';
import {
  type ParsedSprintDirectory,
  readSprintDirectoryQuickly,
  type SprintDirectoryInput,
} from './sprint-files.js';
import { taskFromYaml } from './task-yaml.js';
import { readYamlSource } from './yaml-source.js';

const SPRINT_YAML = renderSprintYaml({
  sprintId: 'sprint-1',
  name: 'Round trip',
  created: '2026-03-01T08:00:00.000Z',
  goals: ['Keep every field'],
  config: { agents: { custom: 'claude' } },
});

function parseProgress(progressYaml: string): ParsedSprintDirectory {
  return parseSprintDirectory({
    dirName: 'sprint-1',
    sprintYaml: SPRINT_YAML,
    sprintYamlPath: 'SPRINT.yaml',
    progressYaml,
    progressYamlPath: 'PROGRESS.yaml',
  });
}

function meta(state: SprintState) {
  return { sprintId: 'sprint-1', logSeq: state.lastSeq, logOffset: state.lastSeq * 100 };
}

/** Writes, reads, and checks that writing and reading again changes nothing. */
function roundTrip(definition: SprintDefinition, state: SprintState): ParsedSprintDirectory {
  const first = parseProgress(renderProgressYaml(definition, state, meta(state)));
  const again = parseProgress(renderProgressYaml(first.definition, first.state, first.meta));
  expect(again).toEqual(first);
  return first;
}

const customTask = (id: string, extra: Record<string, unknown> = {}): Task =>
  taskFromYaml(
    { id, type: 'custom', description: `Do ${id}`, 'done-when': 'tests pass', ...extra },
    { file: 'tasks.yaml', field: id },
  );

function withTask(state: SprintState, id: string, patch: Partial<TaskState>): SprintState {
  return { ...state, tasks: { ...state.tasks, [id]: { ...initialTaskState(), ...patch } } };
}

describe('renderProgressYaml then parseSprintDirectory', () => {
  const tasks = [
    customTask('a'),
    customTask('b', { priority: 'high', 'depends-on': 'a', labels: ['x'] }),
    customTask('c', { 'depends-on': ['a', 'b'] }),
  ];
  const definition = definitionOf(tasks);
  const base = initialState(definition);

  it('keeps a sprint that has not started', () => {
    const back = roundTrip(definition, base);
    expect(back.state).toEqual(base);
    expect(back.definition.tasks).toEqual(tasks);
  });

  it('keeps a running task with an open attempt', () => {
    let state: SprintState = {
      ...base,
      status: 'in-progress',
      startedAt: at(0),
      updatedAt: at(1),
      iterations: 1,
      lastSeq: 3,
    };
    state = withTask(state, 'a', {
      status: 'running',
      startedAt: at(0),
      attempts: [{ n: 1, agent: 'claude', startedAt: at(0), host: 'box', pid: 4242 }],
    });
    const back = roundTrip(definition, state);
    expect(back.state).toEqual(state);
    expect(back.meta).toEqual({ sprintId: 'sprint-1', logSeq: 3, logOffset: 300 });
  });

  it('keeps a failed task waiting for its retry time', () => {
    let state: SprintState = {
      ...base,
      status: 'in-progress',
      startedAt: at(0),
      iterations: 1,
      costUsd: 0.0123,
      lastSeq: 4,
    };
    const attempt: Attempt = {
      n: 1,
      agent: 'claude',
      startedAt: at(0),
      endedAt: at(2),
      outcome: 'failed',
      counted: true,
      error: { kind: 'crash', message: 'exit 1', exitCode: 1, signal: null },
      sessionId: 'sess-1',
      costUsd: 0.0123,
      durationMs: 120_345,
    };
    state = withTask(state, 'a', {
      status: 'failed',
      startedAt: at(0),
      attempts: [attempt],
      reason: 'exit 1',
      notBefore: at(3),
      costUsd: 0.0123,
      tokens: { input: 10, output: 20, cacheRead: 0, cacheCreation: 5 },
      durationMs: 120_345,
    });
    expect(roundTrip(definition, state).state).toEqual(state);
  });

  it('keeps a blocked task, in the queue and in blocked', () => {
    let state: SprintState = {
      ...base,
      status: 'blocked',
      startedAt: at(0),
      reason: 'auth failed',
      stopReason: { kind: 'blocked', taskId: 'a', reason: 'auth failed' },
    };
    state = withTask(state, 'a', { status: 'blocked', blockedAt: at(5), reason: 'auth failed' });
    const text = renderProgressYaml(definition, state, meta(state));
    const doc = parseDocument(text).toJS();
    expect(doc.blocked).toEqual([{ id: 'a', 'blocked-at': at(5), reason: 'auth failed' }]);
    expect(doc.queue.map((t: { id: string }) => t.id)).toEqual(['a', 'b', 'c']);
    expect(roundTrip(definition, state).state).toEqual(state);
  });

  it('keeps done tasks, their times and summaries', () => {
    let state: SprintState = {
      ...base,
      status: 'completed',
      startedAt: at(0),
      completedAt: at(40),
      stopReason: { kind: 'completed' },
    };
    state = withTask(state, 'a', {
      status: 'done',
      startedAt: at(0),
      completedAt: at(20),
      durationMs: 15 * 60_000,
      summary: 'did a',
      filesChanged: ['src/a.ts'],
    });
    state = withTask(state, 'b', {
      status: 'done',
      startedAt: at(20),
      completedAt: at(30),
      summary: 'multi\nline\n',
    });
    state = withTask(state, 'c', { status: 'done', completedAt: at(40), durationMs: 61_234 });
    const back = roundTrip(definition, state);
    expect(back.state).toEqual(state);
    expect(back.definition.tasks.map((t) => t.id)).toEqual(['a', 'b', 'c']);
  });

  it('keeps needs-human with its question and an answer', () => {
    let state: SprintState = {
      ...base,
      status: 'needs-human',
      startedAt: at(0),
      humanNeeded: {
        reason: 'Which DB?',
        details: 'pick one',
        options: ['pg', 'sqlite'],
        taskId: 'b',
      },
      humanAnswer: { taskId: 'b', answer: 'pg' },
      stopReason: { kind: 'needs-human', taskId: 'b' },
      deferredItems: ['write an ADR', 'true', '42'],
    };
    state = withTask(state, 'b', { status: 'pending', summary: 'asked' });
    const back = roundTrip(definition, state);
    expect(back.state).toEqual(state);
    expect(
      parseDocument(renderProgressYaml(definition, state, meta(state))).toJS()['human-needed'],
    ).toEqual({
      reason: 'Which DB?',
      details: 'pick one',
      options: ['pg', 'sqlite'],
      'task-id': 'b',
    });
  });

  it('keeps a cancelled sprint with skipped and cancelled tasks', () => {
    let state: SprintState = {
      ...base,
      status: 'cancelled',
      completedAt: at(9),
      reason: 'not needed',
      stopReason: { kind: 'cancelled', reason: 'not needed' },
    };
    state = withTask(state, 'a', { status: 'cancelled', reason: 'not needed' });
    state = withTask(state, 'b', { status: 'skipped' });
    expect(roundTrip(definition, state).state).toEqual(state);
  });

  it('keeps what a run of real events leaves behind', () => {
    const events: NewRunEvent[] = [
      { type: 'sprint-status', from: 'not-started', to: 'in-progress' },
      { type: 'task-started', taskId: 'a', attempt: 1, agent: 'claude', runId: 'r1', host: 'box' },
      { type: 'agent-pid', taskId: 'a', pid: 99 },
      {
        type: 'task-finished',
        taskId: 'a',
        attempt: 1,
        to: 'done',
        outcome: 'success',
        counted: true,
        result: {
          success: true,
          summary: 'done a',
          deferredItems: [],
          filesChanged: ['a.ts'],
          costUsd: 0.5,
          tokens: { input: 100, output: 50, cacheRead: 10, cacheCreation: 1 },
          durationMs: 61_000,
        },
      },
      { type: 'deferred-items', items: ['later'], source: 'a' },
      { type: 'task-started', taskId: 'b', attempt: 1, agent: 'claude', runId: 'r1', host: 'box' },
      {
        type: 'task-finished',
        taskId: 'b',
        attempt: 1,
        to: 'failed',
        outcome: 'rate-limited',
        counted: false,
        error: { kind: 'rate-limit', message: 'slow down', retryAfterMs: 30_000 },
        notBefore: at(30),
      },
      { type: 'sprint-status', from: 'in-progress', to: 'paused', stopReason: { kind: 'paused' } },
    ];
    let state = initialState(definition);
    events.forEach((e, i) => {
      state = applyEvent(state, { ...e, seq: i + 1, at: at(i), sprintId: 'sprint-1' } as RunEvent);
    });
    expect(roundTrip(definition, state).state).toEqual(state);
  });

  it('round-trips many generated states', () => {
    fc.assert(
      fc.property(fc.gen(), (g) => {
        const { definition: d, state } = generate(g);
        const back = roundTrip(d, state);
        expect(back.state).toEqual(state);
        expect(new Set(back.definition.tasks.map((t) => t.id))).toEqual(
          new Set(d.tasks.map((t) => t.id)),
        );
        const byId = new Map(back.definition.tasks.map((t) => [t.id, t]));
        for (const t of d.tasks) expect(byId.get(t.id)).toEqual(t);
      }),
      { numRuns: 100 },
    );
  });
});

describe('readSprintDirectoryQuickly', () => {
  /**
   * The files as written, and with a comment at the end of their first entry's line (as a
   * person might write one; no line moves), which sends them through yaml.
   */
  function inputs(progressYaml: string): [SprintDirectoryInput, SprintDirectoryInput] {
    const input = {
      dirName: 'sprint-1',
      sprintYaml: SPRINT_YAML,
      sprintYamlPath: 'SPRINT.yaml',
      progressYaml,
      progressYamlPath: 'PROGRESS.yaml',
    };
    const byYaml = (text: string) => text.replace(/^([^#\n].*)$/m, '$1 # read by yaml');
    return [
      input,
      { ...input, sprintYaml: byYaml(SPRINT_YAML), progressYaml: byYaml(progressYaml) },
    ];
  }

  it('reads what sprint writes as yaml and zod do, without them', () => {
    fc.assert(
      fc.property(fc.gen(), (g) => {
        const { definition: d, state } = generate(g);
        const [written, byYaml] = inputs(renderProgressYaml(d, state, meta(state)));
        const full = parseSprintDirectory(byYaml);
        expect(readSprintDirectoryQuickly(written)).toStrictEqual(full);
        // Edited by hand: not read without yaml, read with it, still without zod.
        expect(readSprintDirectoryQuickly(byYaml)).toBe('unread');
        expect(readSprintDirectoryQuickly(byYaml, readYamlSource)).toStrictEqual(full);
      }),
      { numRuns: 300 },
    );
  });

  it('leaves a file with anything to report to the full reader, which says what', () => {
    const definition = definitionOf([customTask('a')]);
    const base = initialState(definition);
    const text = renderProgressYaml(definition, base, meta(base)).replace(
      'status: not-started',
      'status: bogus',
    );
    const [written, byYaml] = inputs(text);
    expect(readSprintDirectoryQuickly(written)).toBe('to-report');
    expect(readSprintDirectoryQuickly(byYaml, readYamlSource)).toBe('to-report');
    expect(() => parseSprintDirectory(written)).toThrow(
      /PROGRESS.yaml:\d+.*unknown sprint status "bogus"/s,
    );
  });

  it('answers as yaml and zod do, or not at all, when the file was edited by hand', () => {
    const edit = fc.record({
      line: fc.nat(),
      kind: fc.constantFrom('replace-value', 'delete', 'duplicate', 'indent'),
      value: fc.constantFrom(
        'done',
        'bogus',
        '-1',
        '1.5',
        'null',
        '[]',
        '{}',
        '"x"',
        'yes',
        't0',
        '',
      ),
    });
    fc.assert(
      fc.property(fc.gen(), fc.array(edit, { minLength: 1, maxLength: 3 }), (g, edits) => {
        const { definition: d, state } = generate(g);
        const lines = renderProgressYaml(d, state, meta(state)).split('\n');
        for (const { line, kind, value } of edits) {
          const i = line % (lines.length - 1);
          const text = lines[i]!;
          if (kind === 'replace-value') lines[i] = text.replace(/: .*$/, `: ${value}`);
          else if (kind === 'delete') lines.splice(i, 1);
          else if (kind === 'duplicate') lines.splice(i, 0, text);
          else lines[i] = `  ${text}`;
        }
        const [written, byYaml] = inputs(lines.join('\n'));
        for (const quick of [
          readSprintDirectoryQuickly(written),
          readSprintDirectoryQuickly(byYaml, readYamlSource),
        ]) {
          if (typeof quick === 'object') expect(quick).toStrictEqual(parseSprintDirectory(byYaml));
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('renderProgressYaml', () => {
  const definition = definitionOf([customTask('a'), customTask('b'), customTask('c')]);

  it('writes the original layout with the extras alongside', () => {
    let state: SprintState = {
      ...initialState(definition),
      status: 'in-progress',
      startedAt: at(0),
      updatedAt: at(30),
      iterations: 2,
      lastSeq: 7,
    };
    state = withTask(state, 'b', {
      status: 'done',
      startedAt: at(0),
      completedAt: at(15),
      durationMs: 15 * 60_000,
      summary: 'did b',
    });
    state = withTask(state, 'c', {
      status: 'running',
      startedAt: at(16),
      attempts: [{ n: 1, agent: 'claude', startedAt: at(16) }],
    });
    const text = renderProgressYaml(definition, state, {
      sprintId: 'sprint-1',
      logSeq: 7,
      logOffset: 812,
    });
    expect(text).toMatchInlineSnapshot(`
      "# Sprint progress, written by \`sprint\`. The original plugin's fields come first;
      # status, attempts, cost and the run: map are this tool's and are safe to leave alone.

      sprint-id: sprint-1
      status: in-progress
      current-task: c
      queue:
        - id: a
          type: custom
          description: Do a
          done-when: tests pass
        - id: c
          type: custom
          description: Do c
          done-when: tests pass
          status: running
          started-at: 2026-03-01T09:16:00.000Z
          attempts:
            - n: 1
              agent: claude
              started-at: 2026-03-01T09:16:00.000Z
      completed:
        - id: b
          type: custom
          description: Do b
          done-when: tests pass
          started-at: 2026-03-01T09:00:00.000Z
          completed-at: 2026-03-01T09:15:00.000Z
          elapsed: 15m
          summary: did b
      blocked: []
      stats:
        started-at: 2026-03-01T09:00:00.000Z
        completed-at: null
        tasks-total: 3
        tasks-completed: 1
        tasks-blocked: 0
        elapsed: 30m
        avg-task-time: 15m
      deferred-items: []
      run:
        iterations: 2
        cost-usd: 0
        tokens:
          input: 0
          output: 0
          cache-read: 0
          cache-creation: 0
        updated-at: 2026-03-01T09:30:00.000Z
        log-seq: 7
        log-offset: 812
      "
    `);
  });

  it('lists completed tasks by completion time and ends elapsed at now while unfinished', () => {
    let state: SprintState = {
      ...initialState(definition),
      status: 'in-progress',
      startedAt: at(0),
    };
    state = withTask(state, 'a', { status: 'done', completedAt: at(20) });
    state = withTask(state, 'c', { status: 'done', completedAt: at(10) });
    const doc = parseDocument(
      renderProgressYaml(definition, state, meta(state), new Date(at(90))),
    ).toJS();
    expect(doc.completed.map((t: { id: string }) => t.id)).toEqual(['c', 'a']);
    expect(doc.stats.elapsed).toBe('1h 30m');
    expect(doc.stats['avg-task-time']).toBeNull();
  });

  it('is deterministic and has no anchors even when objects are shared', () => {
    const shared = { input: 1, output: 2, cacheRead: 0, cacheCreation: 0 };
    let state: SprintState = { ...initialState(definition), tokens: shared };
    state = withTask(state, 'a', { tokens: shared, filesChanged: ['x'] });
    state = withTask(state, 'b', { tokens: shared });
    const one = renderProgressYaml(definition, state, meta(state));
    expect(renderProgressYaml(definition, state, meta(state))).toBe(one);
    expect(one).not.toMatch(/[&*]a\d/);
  });

  it('writes tricky text so that it reads back unchanged', () => {
    const texts = [
      'true',
      '42',
      'null',
      '- dash',
      'a: b',
      '#hash',
      " 'quoted' ",
      'é ✓ 日本',
      '',
      'line\n\n  indented\n',
      '{x}',
      '@at',
      '~',
    ];
    let state = initialState(definition);
    texts.forEach((text, i) => {
      state = { ...state, deferredItems: [...state.deferredItems, `${text}${i}`] };
    });
    state = withTask(state, 'a', {
      status: 'failed',
      reason: texts.join('|'),
      summary: 'line\n\n  indented\n',
    });
    expect(roundTrip(definition, state).state).toEqual(state);
  });

  it('renders 1,000 tasks quickly', () => {
    const many = Array.from({ length: 1000 }, (_, i) =>
      customTask(`t${i}`, i ? { 'depends-on': [`t${i - 1}`] } : {}),
    );
    const d = definitionOf(many);
    let state: SprintState = { ...initialState(d), status: 'in-progress', startedAt: at(0) };
    const tasksState = { ...state.tasks };
    for (let i = 0; i < 600; i++) {
      tasksState[`t${i}`] = {
        ...initialTaskState('done'),
        completedAt: at(i),
        durationMs: 60_000,
        summary: `done ${i}`,
        attempts: [
          {
            n: 1,
            agent: 'claude',
            startedAt: at(i),
            endedAt: at(i + 1),
            outcome: 'success',
            counted: true,
          },
        ],
      };
    }
    state = { ...state, tasks: tasksState };
    const started = performance.now();
    const text = renderProgressYaml(d, state, meta(state));
    const renderMs = performance.now() - started;
    const back = parseProgress(text);
    expect(back.definition.tasks).toHaveLength(1000);
    expect(renderMs).toBeLessThan(2000);
  });
});
