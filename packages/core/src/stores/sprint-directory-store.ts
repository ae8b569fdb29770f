import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SprintError, SprintNotFoundError } from '../model/errors.js';
import { countTasks, initialState } from '../model/fold.js';
import type { SprintDefinition, Task } from '../model/sprint.js';
import type { SprintState } from '../model/state.js';
import { sprintFolderName } from '../model/task-info.js';
import { validateTasks } from '../model/validate.js';
import { atomicWriteFile } from './atomic-file.js';
import { JournaledStore, type SprintBase, type SprintLocation } from './journaled-store.js';
import { assertSafeId, resolveProjectDir } from './locations.js';
import type { CreateSprintInput, SprintSummary } from './sprint-store.js';

export const SPRINT_FILE = 'SPRINT.yaml';
export const PROGRESS_FILE = 'PROGRESS.yaml';

interface DirectoryMeta {
  sprintId: string;
  logSeq: number;
  logOffset: number;
}

/** The runner's JSON copy of the last checkpoint, so reading a sprint need not parse YAML. */
export const SNAPSHOT_FILE = 'state.json';

interface Snapshot {
  version: 1;
  /** SPRINT.yaml and PROGRESS.yaml as they were when this was written. */
  sprint: string;
  progress: string;
  meta: DirectoryMeta;
  definition: SprintDefinition;
  state: SprintState;
}

/**
 * Sprints as SPRINT.yaml + PROGRESS.yaml directories under `root` (the
 * original Claude Code sprint plugin's format; id = directory name). Reads
 * what the plugin wrote; writes a PROGRESS.yaml its readers still understand,
 * with this project's fields alongside. Runner files (`events.jsonl`,
 * `runner.lock`, `control.json`, `result.json`, `run.log`) live in the
 * directory too.
 *
 * @example
 * const store = new SprintDirectoryStore({ root: '.claude/sprints' });
 * const id = await store.create({ name: 'auth-hardening', goals: ['Close the login issues'] });
 */
export class SprintDirectoryStore extends JournaledStore {
  readonly format = 'directory' as const;
  readonly root: string;
  /** PROGRESS.yaml as this store last read or wrote it (mtime and size), to notice outside edits. */
  readonly #written = new Map<string, string>();

  constructor(options: { root: string }) {
    super();
    this.root = resolve(options.root);
  }

  protected async locate(sprintId: string): Promise<SprintLocation> {
    assertSafeId(sprintId, this.root);
    const dir = join(this.root, sprintId);
    const st = await stat(dir).catch(() => undefined);
    if (!st?.isDirectory()) {
      throw new SprintNotFoundError(sprintId, this.root, `Sprint directory not found: ${dir}`);
    }
    for (const file of [SPRINT_FILE, PROGRESS_FILE]) {
      if (!existsSync(join(dir, file))) {
        throw new SprintNotFoundError(
          sprintId,
          this.root,
          `${dir} has no ${file}: a sprint directory holds SPRINT.yaml and PROGRESS.yaml (create one with \`sprint init <name>\`)`,
        );
      }
    }
    return {
      runtimeDir: dir,
      sprintDir: dir,
      projectDir: resolveProjectDir(dir),
      files: [join(dir, SPRINT_FILE), join(dir, PROGRESS_FILE)],
    };
  }

  protected async readBase(
    sprintId: string,
    location: SprintLocation,
  ): Promise<SprintBase & { extra: unknown }> {
    const [sprintYamlPath, progressYamlPath] = location.files as [string, string];
    const [sprintStat, progressStat] = await Promise.all([
      stat(sprintYamlPath),
      stat(progressYamlPath),
    ]);
    this.#written.set(progressYamlPath, stampOf(progressStat));
    const cached = await this.#readSnapshot(location, stampOf(sprintStat), stampOf(progressStat));
    if (cached) {
      this.#applyProjectDir(location, cached.definition);
      return cached;
    }
    // Parsing YAML is the slow part of reading a sprint: loaded only when the snapshot is stale.
    const { parseSprintDirectory } = await import('./directory/index.js');
    const [sprintYaml, progressYaml] = await Promise.all([
      readFile(sprintYamlPath, 'utf8'),
      readFile(progressYamlPath, 'utf8'),
    ]);
    const parsed = parseSprintDirectory({
      dirName: sprintId,
      sprintYaml,
      sprintYamlPath,
      progressYaml,
      progressYamlPath,
    });
    this.#applyProjectDir(location, parsed.definition);
    return {
      definition: parsed.definition,
      state: parsed.state,
      logSeq: parsed.meta.logSeq,
      logOffset: parsed.meta.logOffset,
      extra: parsed.meta,
    };
  }

  #applyProjectDir(location: SprintLocation, definition: SprintDefinition): void {
    if (definition.config.projectDir) {
      location.projectDir = resolveProjectDir(location.sprintDir, definition.config.projectDir);
    }
  }

  /**
   * The sprint as of the last checkpoint, from `state.json`, when both YAML
   * files are still exactly the ones it was made from (same mtime, size and
   * inode); otherwise undefined and the YAML is read.
   */
  async #readSnapshot(
    location: SprintLocation,
    sprintStamp: string,
    progressStamp: string,
  ): Promise<(SprintBase & { extra: unknown }) | undefined> {
    try {
      const snap = JSON.parse(
        await readFile(join(location.runtimeDir, SNAPSHOT_FILE), 'utf8'),
      ) as Snapshot;
      if (snap.version !== 1 || snap.sprint !== sprintStamp || snap.progress !== progressStamp)
        return undefined;
      return {
        definition: snap.definition,
        state: snap.state,
        logSeq: snap.meta.logSeq,
        logOffset: snap.meta.logOffset,
        extra: snap.meta,
      };
    } catch {
      return undefined;
    }
  }

  protected async writeCheckpoint(
    _sprintId: string,
    location: SprintLocation,
    definition: SprintDefinition,
    state: SprintState,
    log: { seq: number; offset: number },
    extra: unknown,
  ): Promise<void> {
    const meta = extra as DirectoryMeta;
    const { renderProgressYaml } = await import('./directory/index.js');
    const text = renderProgressYaml(definition, state, {
      sprintId: meta.sprintId,
      logSeq: log.seq,
      logOffset: log.offset,
    });
    const path = join(location.sprintDir, PROGRESS_FILE);
    // The runner owns PROGRESS.yaml, but a person may still edit it during a run:
    // keep their version beside it rather than overwrite it unseen.
    const known = this.#written.get(path);
    const now = await stat(path).catch(() => undefined);
    if (known && now && stampOf(now) !== known) {
      await copyFile(path, `${path}.edited-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    }
    await atomicWriteFile(path, text);
    const stamp = await writeSnapshot(
      location.sprintDir,
      { sprintId: meta.sprintId, logSeq: log.seq, logOffset: log.offset },
      definition,
      state,
    );
    if (stamp) this.#written.set(path, stamp);
  }

  protected checkAddTasks(): void {}

  async list(): Promise<SprintSummary[]> {
    const entries = await readdir(this.root, { withFileTypes: true }).catch(() => []);
    const out: SprintSummary[] = [];
    for (const e of entries) {
      if (!e.isDirectory() || !existsSync(join(this.root, e.name, SPRINT_FILE))) continue;
      try {
        const { definition, state } = await this.load(e.name);
        out.push({
          id: e.name,
          name: definition.name,
          status: state.status,
          counts: countTasks(state),
          created: definition.created,
          updatedAt: state.updatedAt,
          location: join(this.root, e.name),
          format: 'directory',
        });
      } catch {
        // An invalid sprint is listed by `sprint validate`, not here.
      }
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Creates `root/YYYY-MM-DD_<name>/` with SPRINT.yaml, PROGRESS.yaml, context/ and artifacts/, all at once. */
  async create(input: CreateSprintInput): Promise<string> {
    const now = input.now ?? new Date();
    const id = sprintFolderName(input.name, now);
    const dir = join(this.root, id);
    if (existsSync(dir)) {
      throw new SprintError(
        'SPRINT_EXISTS',
        `Sprint ${id} already exists at ${dir}; pick another name.`,
      );
    }
    const tasks: Task[] = input.tasks ?? [];
    const issues = validateTasks(tasks);
    if (issues.length) {
      const { InvalidSprintError } = await import('../model/errors.js');
      throw new InvalidSprintError(issues);
    }
    const definition: SprintDefinition = {
      id,
      name: input.name,
      goals: input.goals ?? [],
      notes: input.notes,
      owner: input.owner,
      created: now.toISOString(),
      config: { autoCommit: true, agents: {} },
      tasks,
    };
    await mkdir(this.root, { recursive: true });
    const { parseConfig, renderProgressYaml, renderSprintYaml } = await import(
      './directory/index.js'
    );
    if (input.config) {
      definition.config = parseConfig(input.config, { file: SPRINT_FILE, field: 'config' });
    }
    // Build it beside the target and rename it into place: a crash leaves no half sprint.
    const tmp = join(this.root, `.${id}.tmp-${randomBytes(4).toString('hex')}`);
    try {
      await mkdir(join(tmp, 'context'), { recursive: true });
      await mkdir(join(tmp, 'artifacts'));
      await writeFile(
        join(tmp, SPRINT_FILE),
        renderSprintYaml({
          sprintId: id,
          name: input.name,
          created: now.toISOString(),
          owner: input.owner,
          goals: input.goals ?? [],
          notes: input.notes,
          config: input.config,
        }),
      );
      await writeFile(
        join(tmp, PROGRESS_FILE),
        renderProgressYaml(
          definition,
          initialState(definition),
          { sprintId: id, logSeq: 0, logOffset: 0 },
          now,
        ),
      );
      await writeFile(join(tmp, '.gitignore'), RUNTIME_GITIGNORE);
      // A rename keeps mtime, size and inode, so the snapshot stays valid in place.
      await writeSnapshot(
        tmp,
        { sprintId: id, logSeq: 0, logOffset: 0 },
        definition,
        initialState(definition),
      );
      await rename(tmp, dir);
    } catch (error) {
      await rm(tmp, { recursive: true, force: true });
      if (
        (error as NodeJS.ErrnoException).code === 'ENOTEMPTY' ||
        (error as NodeJS.ErrnoException).code === 'EEXIST'
      ) {
        throw new SprintError(
          'SPRINT_EXISTS',
          `Sprint ${id} already exists at ${dir}; pick another name.`,
        );
      }
      throw error;
    }
    return id;
  }
}

/**
 * Writes `state.json` for the YAML files now in `dir`; returns PROGRESS.yaml's
 * stamp, or undefined when a file is missing.
 */
async function writeSnapshot(
  dir: string,
  meta: DirectoryMeta,
  definition: SprintDefinition,
  state: SprintState,
): Promise<string | undefined> {
  const [progress, sprint] = await Promise.all([
    stat(join(dir, PROGRESS_FILE)).catch(() => undefined),
    stat(join(dir, SPRINT_FILE)).catch(() => undefined),
  ]);
  if (!progress || !sprint) return undefined;
  const snapshot: Snapshot = {
    version: 1,
    sprint: stampOf(sprint),
    progress: stampOf(progress),
    meta,
    definition,
    state,
  };
  await atomicWriteFile(join(dir, SNAPSHOT_FILE), JSON.stringify(snapshot));
  return snapshot.progress;
}

function stampOf(st: Stats): string {
  return `${st.mtimeMs}:${st.size}:${st.ino}`;
}

/** Keeps the runner's own files out of the project's commits. */
export const RUNTIME_GITIGNORE = [
  '# written by the sprint runner',
  'events.jsonl',
  'runner.lock',
  'runner.lock.*',
  'control.json',
  'control.json.*',
  'result.json',
  'state.json',
  'run.log',
  '*.tmp-*',
  '',
].join('\n');
