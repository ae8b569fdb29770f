import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { InvalidSprintError, type Issue } from '../../model/errors.js';
import { renderProgressYaml } from './progress-yaml.js';
import { parseSprintDirectory } from './sprint-directory.js';

const DIR = '.claude/sprints/2026-01-15_auth-hardening';
const SPRINT_PATH = `${DIR}/SPRINT.yaml`;
const PROGRESS_PATH = `${DIR}/PROGRESS.yaml`;

/** SPRINT.yaml as the original plugin's /start-sprint wrote it. */
const ORIGINAL_SPRINT = `sprint-id: 2026-01-15_auth-hardening
name: Auth hardening
created: 2026-01-15T09:00:00Z
owner: alice
config:
  max-tasks: 10
  time-box: 4h
  auto-commit: true
  context-cache: true
  parallel: false
github:
  repo: acme/webapp
  milestone: v2.3
  labels: [security, sprint]
goals:
  - Close the login timeout bugs
  - Document session settings
notes: |
  Keep the public session API stable.
  Ask before touching the cookie format.
`;

/** PROGRESS.yaml mid-sprint, as the original plugin's templates and agents wrote it. */
const ORIGINAL_PROGRESS = `sprint-id: 2026-01-15_auth-hardening
status: in-progress
current-task: implement-issue-142
queue:
  - id: implement-issue-142
    type: implement-issue
    priority: high
    issue-number: 142
    repo: acme/webapp
    branch: fix/142-login-timeout
  - id: refactor-session-store
    type: refactor
    priority: medium
    target-path: src/auth/session.ts
    goal: Split the session store from the cookie parser
    constraints:
      - Keep the public API
    test-command: npm test -- auth
    depends-on: implement-issue-142
  - id: update-docs-auth
    type: update-docs
    priority: low
    doc-path: docs/auth.md
    changes: Describe the new session lifetime settings
    source-files:
      - src/auth/session.ts
    depends-on:
      - refactor-session-store
  - id: custom-audit-log
    type: custom
    priority: medium
    description: Add an audit log entry for every failed login
    done-when: A failed login writes one line to audit.log
    context-files:
      - src/auth/login.ts
    estimate: 2h
    labels: [security]
    command: npm run audit
completed:
  - id: implement-issue-140
    type: implement-issue
    priority: critical
    issue-number: 140
    completed-at: 2026-01-15T10:42:00Z
    duration: 25m
    output: Fixed the CSRF token check; added 3 tests
  - id: custom-rotate-keys
    type: custom
    description: Rotate the signing keys
    done-when: Old keys are rejected
    completed-at: 2026-01-15T11:30:00Z
    elapsed: 15m
    summary: Rotated keys; old ones now fail verification
blocked:
  - id: implement-issue-141
    blocked-at: 2026-01-15T11:05:00Z
    reason: Needs a decision on the token format
stats:
  started-at: 2026-01-15T10:15:00Z
  completed-at: null
  tasks-total: 7
  tasks-completed: 2
  tasks-blocked: 1
  elapsed: 1h 20m
  avg-task-time: 20m
`;

function parse(progressYaml: string, sprintYaml = ORIGINAL_SPRINT) {
  return parseSprintDirectory({
    dirName: '2026-01-15_auth-hardening',
    sprintYaml,
    sprintYamlPath: SPRINT_PATH,
    progressYaml,
    progressYamlPath: PROGRESS_PATH,
  });
}

/** The error a bad directory gives, with its issues. */
function failure(
  progressYaml: string,
  sprintYaml = ORIGINAL_SPRINT,
): { message: string; issues: Issue[] } {
  try {
    parse(progressYaml, sprintYaml);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidSprintError);
    const e = error as InvalidSprintError;
    expect(e.code).toBe('INVALID_SPRINT');
    return { message: e.message, issues: e.issues };
  }
  throw new Error('expected the directory to be rejected');
}

/** The line number (1-based) of the first line of `text` containing `needle`. */
function lineOf(text: string, needle: string, from = 0): number {
  const lines = text.split('\n');
  for (let i = from; i < lines.length; i++) if (lines[i]!.includes(needle)) return i + 1;
  throw new Error(`no line with ${needle}`);
}

describe('parseSprintDirectory: the original plugin format', () => {
  it('reads SPRINT.yaml into the definition', () => {
    const { definition } = parse(ORIGINAL_PROGRESS);
    expect(definition.id).toBe('2026-01-15_auth-hardening');
    expect(definition.name).toBe('Auth hardening');
    expect(definition.created).toBe('2026-01-15T09:00:00Z');
    expect(definition.owner).toBe('alice');
    expect(definition.goals).toEqual(['Close the login timeout bugs', 'Document session settings']);
    expect(definition.notes).toContain('Ask before touching the cookie format.');
    expect(definition.config).toEqual({
      maxTasks: 10,
      timeBox: '4h',
      autoCommit: true,
      contextCache: true,
      parallel: false,
      agents: {},
    });
  });

  it('reads the four task types of the queue with their own fields kept as written', () => {
    const { definition, state } = parse(ORIGINAL_PROGRESS);
    const byId = new Map(definition.tasks.map((t) => [t.id, t]));
    const issue = byId.get('implement-issue-142')!;
    expect(issue).toMatchObject({ type: 'implement-issue', priority: 'high', dependsOn: [] });
    expect(issue.fields).toMatchObject({
      'issue-number': 142,
      repo: 'acme/webapp',
      branch: 'fix/142-login-timeout',
    });
    const refactor = byId.get('refactor-session-store')!;
    expect(refactor.dependsOn).toEqual(['implement-issue-142']);
    expect(refactor.fields['depends-on']).toBe('implement-issue-142');
    expect(refactor.fields.constraints).toEqual(['Keep the public API']);
    expect(byId.get('update-docs-auth')!.dependsOn).toEqual(['refactor-session-store']);
    const custom = byId.get('custom-audit-log')!;
    expect(custom).toMatchObject({
      description: 'Add an audit log entry for every failed login',
      command: 'npm run audit',
      priority: 'medium',
    });
    expect(custom.fields).toMatchObject({
      estimate: '2h',
      labels: ['security'],
      'done-when': expect.any(String),
    });
    for (const id of [
      'implement-issue-142',
      'refactor-session-store',
      'update-docs-auth',
      'custom-audit-log',
    ]) {
      expect(state.tasks[id]?.status).toBe('pending');
    }
  });

  it('reads completed tasks with the template duration/output and with elapsed/summary', () => {
    const { definition, state } = parse(ORIGINAL_PROGRESS);
    expect(state.tasks['implement-issue-140']).toMatchObject({
      status: 'done',
      completedAt: '2026-01-15T10:42:00Z',
      durationMs: 25 * 60_000,
      summary: 'Fixed the CSRF token check; added 3 tests',
    });
    expect(state.tasks['custom-rotate-keys']).toMatchObject({
      status: 'done',
      durationMs: 15 * 60_000,
      summary: 'Rotated keys; old ones now fail verification',
    });
    // State keys are not task fields.
    const done = definition.tasks.find((t) => t.id === 'implement-issue-140')!;
    expect(Object.keys(done.fields)).toEqual(['id', 'type', 'priority', 'issue-number']);
  });

  it('makes a blocked task from a bare blocked entry, typed by its id', () => {
    const { definition, state } = parse(ORIGINAL_PROGRESS);
    const blocked = definition.tasks.find((t) => t.id === 'implement-issue-141')!;
    expect(blocked.type).toBe('implement-issue');
    expect(state.tasks['implement-issue-141']).toMatchObject({
      status: 'blocked',
      blockedAt: '2026-01-15T11:05:00Z',
      reason: 'Needs a decision on the token format',
    });
  });

  it('orders the definition: completed by time, then the queue, then bare blocked entries', () => {
    const { definition } = parse(ORIGINAL_PROGRESS);
    expect(definition.tasks.map((t) => t.id)).toEqual([
      'implement-issue-140',
      'custom-rotate-keys',
      'implement-issue-142',
      'refactor-session-store',
      'update-docs-auth',
      'custom-audit-log',
      'implement-issue-141',
    ]);
  });

  it('reads the sprint status, stats and ids', () => {
    const { state, meta } = parse(ORIGINAL_PROGRESS);
    expect(state.status).toBe('in-progress');
    expect(state.startedAt).toBe('2026-01-15T10:15:00Z');
    expect(state.completedAt).toBeUndefined();
    expect(state.iterations).toBe(0);
    expect(state.lastSeq).toBe(0);
    expect(meta).toEqual({ sprintId: '2026-01-15_auth-hardening', logSeq: 0, logOffset: 0 });
  });

  it('does not start the current-task: a task runs only when its status says so', () => {
    const { state } = parse(ORIGINAL_PROGRESS);
    expect(state.tasks['implement-issue-142']?.status).toBe('pending');
  });

  it('marks a queued task blocked when the blocked list names it', () => {
    const text = ORIGINAL_PROGRESS.replace(
      '  - id: implement-issue-141\n',
      '  - id: custom-audit-log\n',
    );
    const { state, definition } = parse(text);
    expect(state.tasks['custom-audit-log']).toMatchObject({
      status: 'blocked',
      reason: 'Needs a decision on the token format',
    });
    expect(definition.tasks).toHaveLength(6);
  });

  it('reads needs-human with human-needed, the legacy pause-requested flag, and aborted', () => {
    const text = `sprint-id: s1
status: needs-human
pause-requested: true
current-task: custom-pick-db
queue:
  - id: custom-pick-db
    type: custom
    description: Pick a database
    done-when: ADR written
completed: []
blocked: []
human-needed:
  reason: Which database should we use?
  details: Postgres is heavier; SQLite needs no server.
  options:
    - Postgres
    - SQLite
`;
    const { state } = parse(text);
    expect(state.status).toBe('needs-human');
    expect(state.humanNeeded).toEqual({
      reason: 'Which database should we use?',
      details: 'Postgres is heavier; SQLite needs no server.',
      options: ['Postgres', 'SQLite'],
      taskId: 'custom-pick-db',
    });
    expect(parse(text.replace('status: needs-human', 'status: aborted')).state.status).toBe(
      'cancelled',
    );
  });

  it('reads the fresh template of /start-sprint and an empty SPRINT.yaml', () => {
    const fresh = `sprint-id: 2026-01-15_auth-hardening
status: not-started
current-task: null
queue: []
completed: []
blocked: []
stats:
  started-at: null
  completed-at: null
  tasks-total: 0
  tasks-completed: 0
  tasks-blocked: 0
  elapsed: null
  avg-task-time: null
`;
    const { definition, state } = parse(fresh, '');
    expect(definition.tasks).toEqual([]);
    expect(definition.name).toBe('2026-01-15_auth-hardening');
    expect(definition.config).toEqual({ autoCommit: true, agents: {} });
    expect(state.status).toBe('not-started');
  });

  it('takes the sprint id from PROGRESS.yaml, else SPRINT.yaml, else the directory', () => {
    const noId = ORIGINAL_PROGRESS.replace('sprint-id: 2026-01-15_auth-hardening\n', '');
    expect(parse(noId).meta.sprintId).toBe('2026-01-15_auth-hardening');
    expect(
      parse(
        noId,
        ORIGINAL_SPRINT.replace('sprint-id: 2026-01-15_auth-hardening', 'sprint-id: other'),
      ).meta.sprintId,
    ).toBe('other');
    expect(parse(noId, 'name: x\n').meta.sprintId).toBe('2026-01-15_auth-hardening');
    expect(
      parse(
        ORIGINAL_PROGRESS.replace('sprint-id: 2026-01-15_auth-hardening', 'sprint-id: as-written'),
      ).meta.sprintId,
    ).toBe('as-written');
  });

  it('fills in a missing id or type by the original conventions', () => {
    const text = `status: not-started
queue:
  - type: implement-issue
    issue-number: 7
  - id: refactor-db
    target-path: src/db
    goal: Pool connections
  - type: custom
    description: Write the changelog
    done-when: CHANGELOG.md has the release
`;
    const { definition } = parse(text);
    expect(definition.tasks.map((t) => [t.id, t.type])).toEqual([
      ['implement-issue-7', 'implement-issue'],
      ['refactor-db', 'refactor'],
      ['custom-write-the-changelog', 'custom'],
    ]);
    expect(definition.tasks[0]!.fields).toMatchObject({
      id: 'implement-issue-7',
      type: 'implement-issue',
    });
  });
});

describe('parseSprintDirectory: the original format, written back', () => {
  it('reads back the same sprint after writing an original PROGRESS.yaml in this format', () => {
    const first = parse(ORIGINAL_PROGRESS);
    const written = renderProgressYaml(first.definition, first.state, first.meta);
    const again = parse(written);
    expect(again).toEqual(first);
    expect(parse(renderProgressYaml(again.definition, again.state, again.meta))).toEqual(first);
  });

  it("keeps the original readers' fields: queue, completed with elapsed and summary, blocked, stats", () => {
    const first = parse(ORIGINAL_PROGRESS);
    const doc = parseDocument(
      renderProgressYaml(
        first.definition,
        first.state,
        first.meta,
        new Date('2026-01-15T11:45:00Z'),
      ),
    ).toJS();
    expect(doc.queue.map((t: { id: string }) => t.id)).toEqual([
      'implement-issue-142',
      'refactor-session-store',
      'update-docs-auth',
      'custom-audit-log',
      'implement-issue-141',
    ]);
    expect(doc.completed[0]).toEqual({
      id: 'implement-issue-140',
      type: 'implement-issue',
      priority: 'critical',
      'issue-number': 140,
      'completed-at': '2026-01-15T10:42:00Z',
      elapsed: '25m',
      summary: 'Fixed the CSRF token check; added 3 tests',
    });
    expect(doc.blocked).toEqual([
      {
        id: 'implement-issue-141',
        'blocked-at': '2026-01-15T11:05:00Z',
        reason: 'Needs a decision on the token format',
      },
    ]);
    expect(doc.stats).toEqual({
      'started-at': '2026-01-15T10:15:00Z',
      'completed-at': null,
      'tasks-total': 7,
      'tasks-completed': 2,
      'tasks-blocked': 1,
      elapsed: '1h 30m',
      'avg-task-time': '20m',
    });
  });

  it('reads back a needs-human sprint written from the original format', () => {
    const text = `sprint-id: s1
status: needs-human
current-task: custom-pick-db
queue:
  - id: custom-pick-db
    type: custom
    description: Pick a database
    done-when: ADR written
completed: []
blocked:
  - id: custom-legacy
    blocked-at: 2026-01-15T11:05:00Z
    reason: no access
human-needed:
  reason: Which database should we use?
  options: [Postgres, SQLite]
`;
    const first = parse(text);
    expect(parse(renderProgressYaml(first.definition, first.state, first.meta))).toEqual(first);
  });
});

describe('parseSprintDirectory: bad input', () => {
  it('reports malformed YAML with the file and line', () => {
    const bad = 'status: in-progress\nqueue:\n  - id: a\n    type: [custom\n';
    const { issues, message } = failure(bad);
    expect(issues[0]).toMatchObject({ file: PROGRESS_PATH, line: expect.any(Number) });
    expect(issues[0]!.message).toMatch(/YAML syntax error/);
    expect(message).toContain(`${PROGRESS_PATH}:`);
    expect(issues[0]!.fix).toMatch(/correct the YAML/);
  });

  it('reports a duplicate key as a syntax error on its line', () => {
    const { issues } = failure('status: in-progress\nqueue: []\nstatus: paused\n');
    expect(issues).toEqual([expect.objectContaining({ file: PROGRESS_PATH, line: 3 })]);
    expect(issues[0]!.message).toMatch(/unique/);
  });

  it('reports problems in both files at once', () => {
    const { issues } = failure('status: [\n', 'name: x\nconfig: {max-task: 3}\n');
    expect(issues.map((i) => i.file).sort()).toEqual([PROGRESS_PATH, SPRINT_PATH]);
  });

  it('rejects an unknown config key with a did-you-mean', () => {
    const sprint = ORIGINAL_SPRINT.replace('  max-tasks: 10', '  max-taks: 10');
    const { issues, message } = failure(ORIGINAL_PROGRESS, sprint);
    expect(issues).toEqual([
      {
        file: SPRINT_PATH,
        line: lineOf(sprint, 'max-taks'),
        field: 'config.max-taks',
        message: 'unknown config key "max-taks"',
        fix: 'did you mean "max-tasks"? rename it to max-tasks',
      },
    ]);
    expect(message).toContain(`${SPRINT_PATH}:${lineOf(sprint, 'max-taks')} config.max-taks`);
  });

  it('suggests the kebab-case spelling of a camelCase config key', () => {
    const sprint = 'name: x\nconfig:\n  maxIterations: 5\n  retry:\n    maxAttempts: 2\n';
    const { issues } = failure(ORIGINAL_PROGRESS, sprint);
    expect(issues.map((i) => [i.field, i.fix])).toEqual([
      ['config.maxIterations', 'did you mean "max-iterations"? rename it to max-iterations'],
      ['config.retry.maxAttempts', 'did you mean "max-attempts"? rename it to max-attempts'],
    ]);
  });

  it('rejects config values of the wrong type, naming file, line, field and fix', () => {
    const sprint = `name: x
config:
  max-tasks: ten
  auto-commit: "yes"
  task-timeout: soon
  agents:
    refactor: 3
`;
    const { issues } = failure(ORIGINAL_PROGRESS, sprint);
    expect(issues).toEqual([
      expect.objectContaining({
        field: 'config.max-tasks',
        line: 3,
        fix: expect.stringContaining('max-tasks: 10'),
      }),
      expect.objectContaining({
        field: 'config.auto-commit',
        line: 4,
        fix: 'write auto-commit: true or false',
      }),
      expect.objectContaining({
        field: 'config.task-timeout',
        line: 5,
        fix: expect.stringContaining('30m'),
      }),
      expect.objectContaining({ field: 'config.agents.refactor', line: 7 }),
    ]);
    for (const issue of issues) expect(issue.file).toBe(SPRINT_PATH);
  });

  it('rejects an unknown sprint status', () => {
    const text = ORIGINAL_PROGRESS.replace('status: in-progress', 'status: in-progres');
    const { issues } = failure(text);
    expect(issues).toEqual([
      {
        file: PROGRESS_PATH,
        line: 2,
        field: 'status',
        message: 'unknown sprint status "in-progres"',
        fix: expect.stringMatching(
          /^use one of: not-started, in-progress, .* \(did you mean "in-progress"\?\)$/,
        ),
      },
    ]);
  });

  it('rejects an unknown task status and a missing sprint status', () => {
    const text = 'queue:\n  - id: a\n    type: shell\n    status: finished\n';
    const { issues } = failure(text);
    expect(issues.map((i) => [i.field, i.line])).toEqual([
      ['status', 1],
      ['queue[0].status', 4],
    ]);
    expect(issues[1]!.message).toBe('unknown task status "finished"');
    expect(issues[1]!.fix).toContain('pending, running, done');
  });

  it('rejects a bad priority with the allowed values', () => {
    const text = ORIGINAL_PROGRESS.replace('    priority: high\n', '    priority: urgent\n');
    const { issues } = failure(text);
    expect(issues).toEqual([
      {
        file: PROGRESS_PATH,
        line: lineOf(text, 'priority: urgent'),
        field: 'queue[0].priority',
        message: 'unknown priority "urgent"',
        fix: 'use one of: critical, high, medium, low',
      },
    ]);
  });

  it('rejects duplicate ids, even across queue and completed', () => {
    const text = ORIGINAL_PROGRESS.replace(
      '  - id: custom-audit-log',
      '  - id: implement-issue-140',
    );
    const { issues } = failure(text);
    expect(issues).toEqual([
      expect.objectContaining({
        file: PROGRESS_PATH,
        field: 'queue[3].id',
        line: lineOf(text, 'id: implement-issue-140'),
        message: expect.stringContaining('duplicate task id "implement-issue-140"'),
        fix: 'give each task its own id',
      }),
    ]);
  });

  it('rejects a dependency on a missing task', () => {
    const text = ORIGINAL_PROGRESS.replace(
      'depends-on: implement-issue-142',
      'depends-on: implement-issue-999',
    );
    const { issues } = failure(text);
    expect(issues).toEqual([
      {
        file: PROGRESS_PATH,
        field: 'queue[1].depends-on',
        line: lineOf(text, 'implement-issue-999'),
        message:
          'task "refactor-session-store" depends on "implement-issue-999", which is not a task of this sprint',
        fix: 'add a task "implement-issue-999" or remove it from depends-on',
      },
    ]);
  });

  it('rejects a dependency cycle', () => {
    const text = ORIGINAL_PROGRESS.replace(
      '    branch: fix/142-login-timeout\n',
      '    branch: fix/142-login-timeout\n    depends-on: [update-docs-auth]\n',
    );
    const { issues } = failure(text);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      file: PROGRESS_PATH,
      field: expect.stringMatching(/depends-on$/),
      line: expect.any(Number),
    });
    expect(issues[0]!.message).toMatch(/^dependency cycle: .* -> .* -> .* -> /);
    expect(issues[0]!.fix).toBe('remove one of these depends-on entries');
  });

  it('rejects a queued task without a field its type requires, at the task line', () => {
    const text = ORIGINAL_PROGRESS.replace(
      '    goal: Split the session store from the cookie parser\n',
      '',
    );
    const { issues } = failure(text);
    expect(issues).toEqual([
      {
        file: PROGRESS_PATH,
        field: 'queue[1].goal',
        line: lineOf(text, 'id: refactor-session-store'),
        message: 'task "refactor-session-store" of type refactor has no "goal"',
        fix: 'add "goal" (required for refactor: target-path, goal)',
      },
    ]);
  });

  it('does not ask done tasks or bare blocked entries for the fields of their type', () => {
    const text = ORIGINAL_PROGRESS.replace('    issue-number: 140\n', '');
    expect(() => parse(text)).not.toThrow();
  });

  it('says when a missing required field comes from an assumed type', () => {
    const { issues } = failure('status: not-started\nqueue:\n  - id: tidy-up\n');
    expect(issues.map((i) => i.field)).toEqual(['queue[0].description', 'queue[0].done-when']);
    expect(issues[0]!.message).toContain('no type was written, so custom was assumed');
    expect(issues[0]!.fix).toContain("or write the task's type");
  });

  it.each(['depends_on', 'dependsOn', 'dependencies'])(
    'rejects the misspelt dependency key %s',
    (key) => {
      const text = ORIGINAL_PROGRESS.replace(
        '    depends-on: implement-issue-142',
        `    ${key}: implement-issue-142`,
      );
      const { issues, message } = failure(text);
      expect(issues).toEqual([
        {
          file: PROGRESS_PATH,
          field: `queue[1].${key}`,
          line: lineOf(text, `${key}:`),
          message: `"${key}" is not a task field, so this dependency would be ignored`,
          fix: 'rename it to depends-on',
        },
      ]);
      expect(message).toContain('(fix: rename it to depends-on)');
    },
  );

  it('rejects a task with neither id nor type', () => {
    const text = 'status: not-started\nqueue:\n  - title: Something\n    priority: low\n';
    const { issues } = failure(text);
    expect(issues).toEqual([
      expect.objectContaining({
        field: 'queue[0]',
        line: 3,
        message: 'a task needs an id or a type; this one has neither',
      }),
    ]);
  });

  it('does not report dependants of a task it could not read', () => {
    const text =
      'status: not-started\nqueue:\n  - id: a\n    type: shell\n    priority: soon\n  - id: b\n    type: shell\n    depends-on: a\n';
    const { issues } = failure(text);
    expect(issues.map((i) => i.field)).toEqual(['queue[0].priority']);
  });

  it('rejects unknown PROGRESS.yaml keys, suggesting the close one', () => {
    const { issues } = failure(`${ORIGINAL_PROGRESS}complete: []\nextra: 1\n`);
    expect(issues.map((i) => [i.field, i.fix])).toEqual([
      ['complete', 'did you mean "completed"? rename it to completed'],
      ['extra', expect.stringMatching(/^remove it; known keys: sprint-id, status/)],
    ]);
  });

  it('rejects contradictions between a task status and its list', () => {
    const text = `status: in-progress
queue:
  - id: a
    type: shell
    status: done
completed:
  - id: b
    type: shell
    status: failed
  - id: c
    type: shell
blocked:
  - id: d
    reason: waiting
  - id: d
`;
    const { issues } = failure(text);
    expect(issues.map((i) => [i.field, i.line])).toEqual([
      ['queue[0].status', 5],
      ['completed[0].status', 9],
      ['blocked[1].id', 15],
    ]);
  });

  it('rejects wrong types in lists, stats and the run map', () => {
    const text = `status: in-progress
queue: {}
completed:
  - just text
stats:
  started-at: 5
run:
  iterations: -1
  tokens:
    inputs: 3
  stop-reason:
    kind: exploded
`;
    const { issues } = failure(text);
    expect(issues.map((i) => i.field)).toEqual([
      'queue',
      'completed[0]',
      'stats.started-at',
      'run.iterations',
      'run.tokens.inputs',
      'run.stop-reason.kind',
    ]);
    for (const issue of issues) {
      expect(issue.file).toBe(PROGRESS_PATH);
      expect(issue.line).toBeGreaterThan(0);
      expect(issue.fix).toBeTruthy();
    }
  });

  it('rejects a file that expands aliases without end', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      bomb.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    const { issues } = failure(`status: not-started\n${bomb.join('\n')}\n`);
    expect(issues[0]).toMatchObject({
      file: PROGRESS_PATH,
      message: expect.stringMatching(/could not be read/),
    });
  });

  it('rejects an empty PROGRESS.yaml and one that is not a map', () => {
    expect(failure('').issues[0]).toMatchObject({
      file: PROGRESS_PATH,
      message: 'PROGRESS.yaml is empty',
    });
    expect(failure('- a\n').issues[0]!.message).toMatch(/expected "key: value" lines/);
  });
  it('a task field one letter or a separator off a known one is a slip, at its line; own fields stay', () => {
    const { issues } = failure(
      'status: not-started\nqueue:\n  - id: a\n    description: x\n    done-when: y\n    pause-afer: true\n    reviewer: bob\n',
    );
    expect(issues).toEqual([
      expect.objectContaining({
        file: PROGRESS_PATH,
        line: 6,
        field: 'queue[0].pause-afer',
        fix: 'did you mean pause-after? rename it to pause-after',
      }),
    ]);
  });
});
