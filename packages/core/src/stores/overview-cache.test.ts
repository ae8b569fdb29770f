import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentRegistry } from '../agents/agent-registry.js';
import { initialState } from '../model/state.js';
import { SprintRunner } from '../runner/sprint-runner.js';
import { ScriptedAgent } from '../testing/scripted-agent.js';
import { generate } from './directory/generated-sprint.test-support.js';
import { renderProgressYaml } from './directory/progress-yaml.js';
import { renderSprintYaml } from './directory/render-sprint-yaml.js';
import { overviewFolders } from './overview.test-support.js';
import { overviewCacheKey, readCachedOverview } from './overview-cache.js';
import { textHash } from './safe-fs.js';
import { SprintDirectoryStore } from './sprint-directory-store.js';
import { ownStateHome } from './state-home.test-support.js';

const stateHome = ownStateHome();
/** PROGRESS.yaml's text without its last line, the overview (see overview-line.ts). */
const withoutOverviewLine = (text: string) => text.replace(/# overview [^\n]*\n$/, '');
let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sprint-overview-'));
  // Every test starts from an empty cache (and a new signing secret).
  rmSync(join(stateHome(), 'overviews'), { recursive: true, force: true });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const ID = '2026-03-01_clone';
const EMPTY = { id: ID, name: 'n', goals: [], config: { autoCommit: true, agents: {} } };
const SPRINT_YAML = renderSprintYaml({
  sprintId: ID,
  name: 'Clone',
  created: '2026-03-01T08:00:00.000Z',
  goals: ['Read fast'],
});

const { writeSprint, fullOverview, overview } = overviewFolders(ID, SPRINT_YAML);

/**
 * A new sprint `clone` as `create` makes it; without its state.json unless asked to keep it,
 * and without PROGRESS.yaml's overview line (as a tool that rewrites the YAML leaves it), so
 * that status reads the cache or parses.
 */
async function createSprint(
  taskIds: string[],
  options: { keepSnapshot?: boolean } = {},
): Promise<SprintDirectoryStore> {
  const store = new SprintDirectoryStore({ root });
  const tasks = taskIds.map((id) => ({
    id,
    type: 'chore',
    priority: 'medium' as const,
    dependsOn: [],
    fields: {},
  }));
  await store.create({ name: 'clone', tasks, now: new Date('2026-03-01T10:00:00Z') });
  if (!options.keepSnapshot) rmSync(join(root, ID, 'state.json'));
  const progress = join(root, ID, 'PROGRESS.yaml');
  writeFileSync(progress, withoutOverviewLine(readFileSync(progress, 'utf8')));
  return store;
}

const entries = () =>
  readdirSync(join(stateHome(), 'overviews')).filter((n) => n.endsWith('.json'));

describe('the overview cache', () => {
  it('answers as the full reader does for the same bytes, for varied sprints, first parsed, then cached', async () => {
    await fc.assert(
      fc.asyncProperty(fc.gen(), async (g) => {
        const { definition, state } = generate(g);
        // A checkpoint's own log point: what the runner writes (else `load` repairs it).
        const text = renderProgressYaml(definition, state, {
          sprintId: ID,
          logSeq: state.lastSeq,
          logOffset: state.lastSeq * 100,
        });
        const at = await mkdtemp(join(root, 'p-'));
        writeSprint(at, text);
        const full = await fullOverview(at);
        const key = overviewCacheKey(ID, textHash(SPRINT_YAML), textHash(text));
        expect(await overview(at)).toEqual(full);
        // Kept under the digests of these bytes; the second answer comes from the entry.
        expect(JSON.parse(JSON.stringify(readCachedOverview(key)))).toEqual(full);
        expect(await overview(at)).toEqual(full);
      }),
      { numRuns: 60 },
    );
  });

  it('misses when a byte changed, and answers for the new bytes', async () => {
    await createSprint(['a', 'b']);
    // Filled by create, for the bytes it wrote.
    const before = await overview(root);
    expect(before).toMatchObject({ counts: { total: 2, pending: 2 } });
    const path = join(root, ID, 'PROGRESS.yaml');
    const text = readFileSync(path, 'utf8');
    const edited = text.replace(/^status: not-started$/m, 'status: paused');
    expect(edited).not.toBe(text);
    writeFileSync(path, edited);
    const after = await overview(root);
    expect(after).toEqual(await fullOverview(root));
    expect(after).toMatchObject({ status: 'paused', counts: { total: 2, pending: 2 } });
  });

  it('believes no entry it did not sign: forged, unsigned, or signed with a secret others could write', async () => {
    await createSprint(['a', 'b']);
    const full = await fullOverview(root);
    expect(await overview(root)).toEqual(full);
    const [name] = entries();
    const file = join(stateHome(), 'overviews', name!);
    const [mac, body] = readFileSync(file, 'utf8').split('\n') as [string, string];
    const forged = JSON.stringify({ ...JSON.parse(body), name: 'forged', iterations: 12345 });
    for (const entry of [`${mac}\n${forged}`, forged, `${'0'.repeat(64)}\n${forged}`]) {
      writeFileSync(file, entry);
      const found = await overview(root);
      expect(found).toEqual(full);
      expect(found).not.toMatchObject({ name: 'forged' });
    }
    // The miss above wrote the right entry again; a secret others can write signs nothing.
    writeFileSync(file, `${mac}\n${forged}`);
    chmodSync(join(stateHome(), 'overviews', 'key'), 0o644);
    expect(await overview(root)).toEqual(full);
  });

  it('leaves a broken file to the full reader, which says what is wrong, and keeps nothing', async () => {
    writeSprint(root, 'status: bogus\ntasks: 3\n');
    expect(await overview(root)).toBeUndefined();
    await expect(new SprintDirectoryStore({ root }).load(ID)).rejects.toThrow(/PROGRESS.yaml/);
    expect(readdirSync(stateHome())).not.toContain('overviews');
  });

  it('is not used beside a runner file: a log or a state.json, even a broken one', async () => {
    await createSprint(['a']);
    writeFileSync(join(root, ID, 'events.jsonl'), 'not the runner\n');
    const found = await overview(root);
    // The log is replayed (and its foreign line reported) by `load`, not by the cache.
    expect(found).toBeUndefined();
  });

  it("is not needed for a run's PROGRESS.yaml: a clone's first status reads its last line, and keeps nothing", async () => {
    const store = await createSprint(['a', 'b', 'c'], { keepSnapshot: true });
    const agents = new AgentRegistry({ default: new ScriptedAgent('s') });
    await new SprintRunner({ store, agents }).run(ID, { maxTasks: 2 });
    // The clone: the YAML files only, in another folder of the same name.
    const clone = join(root, 'clone');
    const progress = readFileSync(join(root, ID, 'PROGRESS.yaml'), 'utf8');
    writeSprint(clone, progress, readFileSync(join(root, ID, 'SPRINT.yaml'), 'utf8'));
    const full = await fullOverview(clone);
    expect(full).toMatchObject({ status: 'paused', counts: { done: 2, pending: 1 } });
    expect(await overview(clone)).toEqual(full);
    // Read from the line: nothing was parsed, so nothing was kept.
    expect(existsSync(join(stateHome(), 'overviews'))).toBe(false);
    // Without the line, the same answer, parsed once and then kept.
    writeSprint(
      clone,
      withoutOverviewLine(progress),
      readFileSync(join(root, ID, 'SPRINT.yaml'), 'utf8'),
    );
    expect(await overview(clone)).toEqual(full);
    expect(entries()).toHaveLength(1);
  });

  it('keeps a few dozen entries, the newest', async () => {
    for (let i = 0; i < 60; i++) {
      const definition = { ...EMPTY, tasks: [] };
      const state = { ...initialState(definition), iterations: i };
      writeSprint(
        root,
        renderProgressYaml(definition, state, { sprintId: ID, logSeq: 0, logOffset: 0 }),
      );
      await overview(root);
    }
    expect(entries().length).toBeLessThanOrEqual(48);
    expect(entries().length).toBeGreaterThan(24);
    // The newest is among them.
    expect(await overview(root)).toMatchObject({ iterations: 59 });
  });
});
