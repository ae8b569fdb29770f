import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SprintError, SprintNotFoundError } from '../model/errors.js';
import { type SprintDefinition, slugify, type Task } from '../model/sprint.js';
import { countTasks, initialState, type SprintState } from '../model/state.js';
import { validateTasks } from '../model/validate.js';
import { atomicWriteFile } from './atomic-file.js';
import { parseSprintDirectory, renderProgressYaml, renderSprintYaml } from './directory/index.js';
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
    const [sprintYaml, progressYaml, progressStat] = await Promise.all([
      readFile(sprintYamlPath, 'utf8'),
      readFile(progressYamlPath, 'utf8'),
      stat(progressYamlPath),
    ]);
    this.#written.set(progressYamlPath, stampOf(progressStat));
    const parsed = parseSprintDirectory({
      dirName: sprintId,
      sprintYaml,
      sprintYamlPath,
      progressYaml,
      progressYamlPath,
    });
    if (parsed.definition.config.projectDir) {
      location.projectDir = resolveProjectDir(
        location.sprintDir,
        parsed.definition.config.projectDir,
      );
    }
    return {
      definition: parsed.definition,
      state: parsed.state,
      logSeq: parsed.meta.logSeq,
      logOffset: parsed.meta.logOffset,
      extra: parsed.meta,
    };
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
    const after = await stat(path).catch(() => undefined);
    if (after) this.#written.set(path, stampOf(after));
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
    const id = `${now.toISOString().slice(0, 10)}_${slugify(input.name)}`;
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
  'run.log',
  '*.tmp-*',
  '',
].join('\n');
