import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentRegistry } from '../agents/agent-registry.js';
import { SprintRunner } from '../runner/sprint-runner.js';
import { ScriptedAgent } from '../testing/scripted-agent.js';
import { type SprintOverview, sprintOverview } from '../workspace/describe-sprint.js';
import { generate } from './directory/generated-sprint.test-support.js';
import { renderProgressYaml } from './directory/progress-yaml.js';
import { renderSprintYaml } from './directory/render-sprint-yaml.js';
import { overviewFolders } from './overview.test-support.js';
import { OVERVIEW_LINE_FORMAT, overviewLine, readOverviewLine } from './overview-line.js';
import { textHash } from './safe-fs.js';
import { SprintDirectoryStore } from './sprint-directory-store.js';
import { ownStateHome } from './state-home.test-support.js';

const stateHome = ownStateHome();
let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sprint-overview-line-'));
  rmSync(join(stateHome(), 'overviews'), { recursive: true, force: true });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const ID = '2026-03-01_line';
const SPRINT_YAML = renderSprintYaml({
  sprintId: ID,
  name: 'Line',
  created: '2026-03-01T08:00:00.000Z',
  goals: ['Read fast'],
});

const { writeSprint, fullOverview, overview } = overviewFolders(ID, SPRINT_YAML);
const json = (v: unknown) => JSON.parse(JSON.stringify(v));
/** Sprint ID with tasks a, b and c, as `create` makes it in `root`. */
async function createSprint(): Promise<SprintDirectoryStore> {
  const store = new SprintDirectoryStore({ root });
  const tasks = ['a', 'b', 'c'].map((id) => ({
    id,
    type: 'chore',
    priority: 'medium' as const,
    dependsOn: [],
    fields: {},
  }));
  await store.create({ name: 'line', tasks, now: new Date('2026-03-01T10:00:00Z') });
  return store;
}
/** Whether the last status parsed the files: a parse keeps its answer in the cache; the line does not. */
const parsed = () => existsSync(join(stateHome(), 'overviews'));

/** A generated sprint, named as SPRINT_YAML names it (the runner's definition comes from that file). */
function sprintOf(g: fc.GeneratorValue, options?: { runnerOnly?: boolean }) {
  const sprint = generate(g, options);
  Object.assign(sprint.definition, { id: ID, name: 'Line', goals: ['Read fast'] });
  return sprint;
}
const sampled = (seed: number) =>
  fc.sample(
    fc.gen().map((g) => sprintOf(g)),
    { numRuns: 1, seed },
  )[0]!;

/** PROGRESS.yaml as the runner writes it for this state: its last line is the overview. */
function written(
  { definition, state }: ReturnType<typeof generate>,
  sprintYaml = SPRINT_YAML,
): string {
  return renderProgressYaml(definition, state, {
    sprintId: ID,
    logSeq: state.lastSeq,
    logOffset: state.lastSeq * 100,
    overview: {
      sprintYamlHash: textHash(sprintYaml),
      value: sprintOverview({ definition, state }),
    },
  });
}

/** Replaces the line's JSON (keeping a right digest, as a forger who can hash would). */
function relined(progress: string, overview: unknown): string {
  const body = progress.slice(0, progress.lastIndexOf('# overview '));
  return body + overviewLine(body, textHash(SPRINT_YAML), overview as SprintOverview);
}

describe("PROGRESS.yaml's overview line", () => {
  it('answers as the full reader does for the same bytes, for varied sprints, without parsing them', async () => {
    await fc.assert(
      fc.asyncProperty(fc.gen(), async (g) => {
        rmSync(join(stateHome(), 'overviews'), { recursive: true, force: true });
        // The runner's state holds worktrees and tampering too, which PROGRESS.yaml does not carry.
        const sprint = sprintOf(g, { runnerOnly: true });
        const at = await mkdtemp(join(root, 'p-'));
        writeSprint(at, written(sprint));
        const full = await fullOverview(at);
        expect(await overview(at)).toEqual(full);
        expect(parsed()).toBe(false);
      }),
      { numRuns: 80 },
    );
  });

  it('is passed over once a byte of PROGRESS.yaml above it or of SPRINT.yaml changed: the new bytes are read', async () => {
    const sprint = sampled(7);
    const text = written(sprint);
    const lines = text.split('\n');
    const statusLine = lines.findIndex((l) => l.startsWith('status: '));
    const edits: [string, string][] = [
      // A hand edit of the status (the line's overview says the old one).
      [
        lines
          .map((l, i) =>
            i === statusLine ? (l === 'status: paused' ? 'status: blocked' : 'status: paused') : l,
          )
          .join('\n'),
        SPRINT_YAML,
      ],
      // One byte of a comment: not a value, still another file.
      [text.replace('# Sprint progress', '# sprint progress'), SPRINT_YAML],
      // SPRINT.yaml's name changed.
      [text, SPRINT_YAML.replace('name: Line', 'name: Renamed')],
    ];
    for (const [progress, sprintYaml] of edits) {
      rmSync(join(stateHome(), 'overviews'), { recursive: true, force: true });
      const at = await mkdtemp(join(root, 'e-'));
      writeSprint(at, progress, sprintYaml);
      const full = await fullOverview(at);
      expect(await overview(at)).toEqual(full);
      expect(parsed()).toBe(true);
    }
    const renamed = await mkdtemp(join(root, 'r-'));
    writeSprint(renamed, text, SPRINT_YAML.replace('name: Line', 'name: Renamed'));
    expect(await overview(renamed)).toMatchObject({ name: 'Renamed' });
  });

  it('is passed over when its digest, format or exact shape is not right, and the file is read', async () => {
    const sprint = sampled(11);
    const text = written(sprint);
    const good = readOverviewLine(Buffer.from(text), textHash(SPRINT_YAML));
    expect(good).toBeDefined();
    const line = text.slice(text.lastIndexOf('# overview '));
    const [, , digest] = line.split(' ');
    const json = line.slice(line.indexOf('{'));
    const c = good!.counts;
    const forged = [
      // Another digest.
      text.replace(digest!, 'A'.repeat(digest!.length)),
      // Another format.
      text.replace(
        `# overview ${OVERVIEW_LINE_FORMAT} `,
        `# overview ${OVERVIEW_LINE_FORMAT + 1} `,
      ),
      // The JSON edited, the digest left: it covers the JSON too.
      text.replace(
        json,
        json.replace(
          `"status":"${good!.status}"`,
          `"status":"${good!.status === 'cancelled' ? 'paused' : 'cancelled'}"`,
        ),
      ),
      // A CR at the end (the writer writes none).
      text.replace(/\n$/, '\r\n'),
      // A right digest over the bytes and the JSON, and no overview: a field the report
      // computes itself...
      relined(text, { ...good, running: true, runner: { pid: 4242, host: 'box', alive: true } }),
      // ...a count that is not a whole number, negative, huge, or that does not add up...
      relined(text, { ...good, counts: { ...c, done: 'many' } }),
      relined(text, { ...good, counts: { ...c, total: -1 } }),
      relined(text, {
        ...good,
        counts: { ...c, total: c.total + 1e300, pending: c.pending + 1e300 },
      }),
      relined(text, { ...good, counts: { ...c, total: c.total + 1 } }),
      // ...a time that is not one, a status no sprint has, a stop reason of no kind...
      relined(text, { ...good, startedAt: 'yesterday' }),
      relined(text, { ...good, status: 'finished' }),
      relined(text, { ...good, stopReason: { kind: 'exploded' } }),
      relined(text, { ...good, stopReason: { kind: 'completed', by: 'someone' } }),
      // ...a list that is not one, a cost below 0.
      relined(text, { ...good, blocked: 'none' }),
      relined(text, { ...good, costUsd: -5 }),
      `${text.slice(0, text.lastIndexOf('{'))}{not json\n`,
      // Not the last line: a line after it.
      `${text}# a person's note\n`,
    ];
    for (const progress of forged) {
      expect(readOverviewLine(Buffer.from(progress), textHash(SPRINT_YAML))).toBeUndefined();
      rmSync(join(stateHome(), 'overviews'), { recursive: true, force: true });
      const at = await mkdtemp(join(root, 'f-'));
      writeSprint(at, progress);
      // The file itself is still the sprint: the full reader's answer, read from it.
      expect(await overview(at)).toEqual(await fullOverview(at));
      expect(parsed()).toBe(true);
    }
  });

  it('is never read beside the runner files: they say what the runner recorded', async () => {
    const store = await createSprint();
    const agents = new AgentRegistry({ default: new ScriptedAgent('s') });
    await new SprintRunner({ store, agents }).run(ID, { maxTasks: 1 });
    const path = join(root, ID, 'PROGRESS.yaml');
    const text = readFileSync(path, 'utf8');
    const good = readOverviewLine(
      Buffer.from(text),
      textHash(readFileSync(join(root, ID, 'SPRINT.yaml'))),
    );
    expect(good).toMatchObject({ status: 'paused', counts: { done: 1, pending: 2 } });
    // A line that claims the sprint is done, with a right digest: written by someone who can hash.
    const at = text.lastIndexOf('# overview ');
    const body = text.slice(0, at);
    const sprintHash = textHash(readFileSync(join(root, ID, 'SPRINT.yaml')));
    const lie = {
      ...good!,
      status: 'completed' as const,
      counts: { ...good!.counts, done: 3, pending: 0 },
    };
    writeFileSync(path, body + overviewLine(body, sprintHash, lie));
    expect(readOverviewLine(readFileSync(path), sprintHash)).toMatchObject({ status: 'completed' });
    // Beside state.json and the log, the runner's record answers (and the foreign write is found).
    const found = await store.loadOverview(ID);
    expect(found?.status ?? (await store.load(ID)).state.status).toBe('paused');
    expect(sprintOverview(await store.load(ID))).toMatchObject({ counts: { done: 1, pending: 2 } });
  });

  it('is written at every checkpoint, a run that stops and one that is under way', async () => {
    const store = await createSprint();
    const sprintHash = () => textHash(readFileSync(join(root, ID, 'SPRINT.yaml')));
    const lineNow = () =>
      readOverviewLine(readFileSync(join(root, ID, 'PROGRESS.yaml')), sprintHash());
    expect(lineNow()).toMatchObject({ status: 'not-started', counts: { pending: 3 } });
    // While task b runs, the file of the last checkpoint (whichever it was) ends with its line.
    const clone = join(root, 'clone');
    const agents = new AgentRegistry({
      default: new ScriptedAgent('s', {
        b: () => {
          writeSprint(
            clone,
            readFileSync(join(root, ID, 'PROGRESS.yaml'), 'utf8'),
            readFileSync(join(root, ID, 'SPRINT.yaml'), 'utf8'),
          );
          return { success: true, summary: 'ok' };
        },
      }),
    });
    await new SprintRunner({ store, agents }).run(ID);
    expect(lineNow()).toMatchObject({ status: 'completed', counts: { done: 3 } });
    rmSync(join(stateHome(), 'overviews'), { recursive: true, force: true });
    const full = await fullOverview(clone);
    expect(full).toMatchObject({ status: 'in-progress' });
    expect(await overview(clone)).toEqual(full);
    expect(parsed()).toBe(false);
  });

  it('describes the SPRINT.yaml the run read: one saved over it during the run is read, here and in a clone', async () => {
    const store = await createSprint();
    const sprintPath = join(root, ID, 'SPRINT.yaml');
    const agents = new AgentRegistry({
      default: new ScriptedAgent('s', {
        b: () => {
          // A person renames the sprint while task b runs.
          const text = readFileSync(sprintPath, 'utf8');
          writeFileSync(sprintPath, text.replace(/^name: line$/m, 'name: renamed'));
          return { success: true, summary: 'ok' };
        },
      }),
    });
    await new SprintRunner({ store, agents }).run(ID);
    expect(readFileSync(sprintPath, 'utf8')).toMatch(/^name: renamed$/m);
    const full = json(sprintOverview(await store.load(ID)));
    expect(full).toMatchObject({ name: 'renamed', status: 'completed' });
    // Here: state.json's overview is not taken for the new SPRINT.yaml.
    const here = await store.loadOverview(ID);
    expect(here === undefined ? full : json(here)).toEqual(full);
    // In a clone: the line is passed over, and the files say the new name.
    const clone = join(root, 'clone');
    writeSprint(
      clone,
      readFileSync(join(root, ID, 'PROGRESS.yaml'), 'utf8'),
      readFileSync(sprintPath, 'utf8'),
    );
    expect(await overview(clone)).toEqual(await fullOverview(clone));
    expect(await overview(clone)).toMatchObject({ name: 'renamed' });
  });

  it('is not written for an overview too large to keep; status then parses, as for any file', async () => {
    const sprint = sampled(3);
    sprint.state.deferredItems = Array.from(
      { length: 2000 },
      (_, i) => `a deferred item, ${i}: ${'x'.repeat(40)}`,
    );
    const text = written(sprint);
    expect(text).not.toContain('\n# overview ');
    writeSprint(root, text);
    expect(await overview(root)).toEqual(await fullOverview(root));
  });

  it(`holds the overview's fields as of format ${OVERVIEW_LINE_FORMAT}: a new field means a new format`, () => {
    const { definition, state } = generate(fc.sample(fc.gen(), { numRuns: 1, seed: 5 })[0]!);
    const keys = Object.keys(sprintOverview({ definition, state }) as object).sort();
    // Changing what an overview holds changes what a line written by an older `sprint` lacks:
    // bump OVERVIEW_LINE_FORMAT (overview-line.ts) and this list together.
    expect(keys).toEqual(
      [
        'blocked',
        'costUsd',
        'counts',
        'current',
        'deferredItems',
        'estimatedCostUsd',
        'fallbackPricing',
        'goals',
        'humanNeeded',
        'id',
        'iterations',
        'name',
        'reason',
        'startedAt',
        'completedAt',
        'updatedAt',
        'status',
        'stopReason',
        'tampering',
        'tokens',
        'worktrees',
      ].sort(),
    );
  });
});
