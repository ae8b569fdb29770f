import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { closeSync, constants, existsSync, fstatSync, lstatSync, openSync } from 'node:fs';
import { copyFile, lstat, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { SprintError, SprintNotFoundError } from '../model/errors.js';
import { countTasks, initialState, initialTaskState } from '../model/fold.js';
import type { SprintDefinition, Task } from '../model/sprint.js';
import type { SprintState, TaskState } from '../model/state.js';
import { sprintFolderName } from '../model/task-info.js';
import { validateTasks } from '../model/validate.js';
import { type SprintOverview, sprintOverview } from '../workspace/describe-sprint.js';
import { atomicWriteFile } from './atomic-file.js';
import type { ParsedSprintDirectory, SprintDirectoryInput } from './directory/sprint-files.js';
import { EVENT_LOG } from './event-log.js';
import {
  JournaledStore,
  quarantineName,
  type SprintBase,
  type SprintLocation,
  type TamperFinding,
} from './journaled-store.js';
import { assertSafeId, resolveProjectDir } from './locations.js';
import { holdsLockFile, LOCK_FILE } from './lock-file.js';
import { checkLogRecord, forgetLogRecord } from './log-record.js';
import { readRange } from './log-replay.js';
import { overviewCacheKey, readCachedOverview, writeCachedOverview } from './overview-cache.js';
import { readOverviewLine } from './overview-line.js';
import type { RunnerKey } from './runner-secret.js';
import {
  decodeUtf8,
  hashFileNoFollow,
  linkRefused,
  notAFile,
  readFileNoFollow,
  readTextNoFollow,
  readUtf8HashedNoFollow,
  refuseLink,
  textHash,
} from './safe-fs.js';
import { logKeyId, openSignedJson, signJsonParts } from './signed-json.js';
import type { CreateSprintInput, SprintSummary } from './sprint-store.js';

export const SPRINT_FILE = 'SPRINT.yaml';
export const PROGRESS_FILE = 'PROGRESS.yaml';

interface DirectoryMeta {
  sprintId: string;
  logSeq: number;
  logOffset: number;
  logKey?: string;
  logMac?: string;
  /**
   * The digest of the SPRINT.yaml bytes the definition was read from (never stored):
   * a checkpoint describes that file, not one a person saved over it during the run
   * (its name, goals and config are read at the next load).
   */
  sprintHash?: string;
}

/** The runner's JSON copy of the last checkpoint, so reading a sprint need not parse YAML. */
const SNAPSHOT_FILE = 'state.json';

/**
 * The first line of state.json: what the file was made from, and the sprint's
 * overview, so that `sprint status` reads a few hundred bytes of JSON rather
 * than every task.
 */
interface SnapshotHead {
  /**
   * 5: the head (with `overview`) on the first line, the definition and state
   * after it; the whole is one JSON document. 4: no overview; read in full only.
   * In both, task fields equal to their `fields` entry are stored once, and
   * tasks not yet started have no state entry. Versions 2 and 3 are not
   * believed: a new sprint's snapshot then lacked SPRINT.yaml's config
   * defaults (max-tasks, time-box), so a run of a sprint never edited did not
   * enforce them.
   */
  version: 4 | 5;
  /** Content hashes of SPRINT.yaml and PROGRESS.yaml (new, and previous while replacing). */
  sprint: string;
  progress: string[];
  meta: DirectoryMeta;
  overview?: SprintOverview;
}

interface Snapshot extends SnapshotHead {
  definition: SprintDefinition;
  state: SprintState;
}

/** Task keys whose value usually repeats the task's `fields` entry of the same name. */
const FIELD_COPIES = ['title', 'description', 'verify', 'command'] as const;

/** A task as state.json holds it: the keys in `fromFields` are read from `fields`. */
type StoredTask = Task & { fromFields?: (typeof FIELD_COPIES)[number][] };

/** The task without the values its `fields` already hold (a long description is stored once). */
function storedTask(task: Task): StoredTask {
  const same = FIELD_COPIES.filter((k) => task[k] !== undefined && task[k] === task.fields[k]);
  if (!same.length) return task;
  const out: StoredTask = { ...task, fromFields: same };
  for (const k of same) delete out[k];
  return out;
}

function restoredTask(stored: StoredTask): Task {
  const { fromFields, ...task } = stored;
  for (const k of fromFields ?? []) task[k] = task.fields[k] as string;
  return task;
}

/** Whether a task's state is the one it starts with (state.json leaves it out). */
function isInitial(t: TaskState): boolean {
  return (
    t.status === 'pending' &&
    t.attempts.length === 0 &&
    t.costUsd === 0 &&
    t.durationMs === 0 &&
    !t.tokens.input &&
    !t.tokens.output &&
    !t.tokens.cacheRead &&
    !t.tokens.cacheCreation &&
    Object.keys(t).length === 5
  );
}

/** The state without the entries of tasks not yet started: a large sprint's snapshot stays small. */
function storedState(state: SprintState): SprintState {
  const tasks: Record<string, TaskState> = {};
  for (const [id, t] of Object.entries(state.tasks)) if (!isInitial(t)) tasks[id] = t;
  return { ...state, tasks };
}

/** The state with an entry for every task, in the definition's order. */
function restoredState(stored: SprintState, definition: SprintDefinition): SprintState {
  const tasks: Record<string, TaskState> = {};
  for (const t of definition.tasks) tasks[t.id] = stored.tasks[t.id] ?? initialTaskState();
  for (const [id, t] of Object.entries(stored.tasks)) tasks[id] ??= t;
  return { ...stored, tasks };
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
  /**
   * PROGRESS.yaml as this store last read or wrote it: mtime, size and inode, to notice
   * outside edits, and the digest of its text.
   */
  readonly #written = new Map<string, { stamp: string; hash: string }>();

  constructor(options: { root: string }) {
    super();
    this.root = resolve(options.root);
  }

  protected async locate(sprintId: string): Promise<SprintLocation> {
    assertSafeId(sprintId, this.root);
    const dir = join(this.root, sprintId);
    const st = await lstat(dir).catch(() => undefined);
    if (st?.isSymbolicLink()) {
      // A link could lead anywhere (outside the root): refused like a path that leaves it.
      throw new SprintNotFoundError(
        sprintId,
        this.root,
        `${dir} is a symbolic link; sprint only opens real sprint directories (use the path it points to)`,
      );
    }
    if (!st?.isDirectory()) {
      throw new SprintNotFoundError(sprintId, this.root, `Sprint directory not found: ${dir}`);
    }
    for (const file of [SPRINT_FILE, PROGRESS_FILE]) {
      const f = await lstat(join(dir, file)).catch(() => undefined);
      // The plugin's sprints may hold PROGRESS.yaml alone: SPRINT.yaml is then read as empty (defaults).
      if (!f && file === SPRINT_FILE) continue;
      if (!f) {
        throw new SprintNotFoundError(
          sprintId,
          this.root,
          `${dir} has no ${file}: a sprint directory holds PROGRESS.yaml (and SPRINT.yaml for its name and config)`,
        );
      }
      if (f.isSymbolicLink()) throw linkRefused(join(dir, file));
      if (!f.isFile()) throw notAFile(join(dir, file));
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
    log: { key: string | null; lost: boolean },
  ): Promise<SprintBase & { extra: unknown }> {
    const [sprintYamlPath, progressYamlPath] = location.files as [string, string];
    const [sprintStat, progressStat] = await Promise.all([
      refuseLink(sprintYamlPath),
      refuseLink(progressYamlPath),
    ]);
    for (const [path, st] of [
      [sprintYamlPath, sprintStat],
      [progressYamlPath, progressStat],
    ] as const) {
      if (!st && path === sprintYamlPath) continue; // PROGRESS.yaml alone: SPRINT.yaml reads as empty
      if (!st) throw new SprintNotFoundError(sprintId, this.root, `${path} is gone`);
      if (!st.isFile()) throw notAFile(path);
    }
    const stamp = stampOf(progressStat!);
    const findings: TamperFinding[] = [];
    const expect = log.key;
    const snap = await this.#readSnapshot(location, expect);
    if (snap?.kind === 'forged') {
      findings.push({
        file: SNAPSHOT_FILE,
        detail: `state.json ${snap.why}; it is not believed`,
        keep: join(location.runtimeDir, SNAPSHOT_FILE),
      });
    }
    const head = snap?.kind === 'ok' ? snap.head : undefined;
    let sprintYaml: string | undefined;
    let progressYaml: string | undefined;
    // The definition and state are parsed only once the files are known to be the snapshot's.
    const trusted = head && snap?.kind === 'ok' ? () => snap.full() : undefined;
    if (head && trusted) {
      // The same files as the snapshot's, by content: a copy or a clone keeps the fast path.
      // Digested in chunks, not read whole: a large description is then held once, in the snapshot.
      const [sprintHash, progressHash] = await Promise.all([
        hashFileNoFollow(sprintYamlPath),
        hashFileNoFollow(progressYamlPath),
      ]);
      if (progressHash === null) throw new SprintNotFoundError(sprintId, this.root);
      this.#written.set(progressYamlPath, { stamp, hash: progressHash });
      const sprintSame = head.sprint === (sprintHash ?? textHash(''));
      const progressSame = head.progress.includes(progressHash);
      const full = sprintSame && progressSame ? trusted() : undefined;
      if (full) {
        this.#applyProjectDir(location, full.definition);
        return {
          ...fromSnapshot(full, findings),
          extra: { ...full.meta, sprintHash: head.sprint },
        };
      }
      // A task running as of the snapshot: its overview says so without parsing every task.
      const runningThen = () =>
        head.overview
          ? head.overview.counts.running > 0
          : Object.values(trusted()?.state.tasks ?? {}).some((t) => t.status === 'running');
      const stale =
        !progressSame &&
        (log.lost || this.#runWasActive(location, runningThen, head.meta.logOffset))
          ? trusted()
          : undefined;
      if (stale) {
        // Changed while a run was under way (a task may have written it), or the log that
        // would say what happened since is lost. Task fields a person fixed are taken; what
        // happened (statuses) is the runner's alone.
        let sprintHash: string;
        [sprintYaml, progressYaml, , sprintHash] = await this.#readYaml(location);
        const parsed = await parseSprintFiles({
          dirName: sprintId,
          sprintYaml,
          sprintYamlPath,
          progressYaml,
          progressYamlPath,
        });
        const definition = parsed.definition;
        const ids = new Set(definition.tasks.map((t) => t.id));
        for (const t of stale.definition.tasks) if (!ids.has(t.id)) definition.tasks.push(t);
        const state = stale.state;
        for (const t of definition.tasks) state.tasks[t.id] ??= initialTaskState();
        if (claimsOf(parsed.state) !== claimsOf(stale.state)) {
          findings.push({
            file: PROGRESS_FILE,
            detail: log.lost
              ? "PROGRESS.yaml was rewritten, and the runner's log that would say what happened is lost; the runner kept its own state"
              : 'PROGRESS.yaml was rewritten while a task was running; the runner kept its own state',
            keep: progressYamlPath,
          });
        }
        this.#applyProjectDir(location, definition);
        return {
          ...fromSnapshot(stale, findings),
          definition,
          state,
          extra: { ...stale.meta, sprintHash },
        };
      }
    }
    let progressYamlHash: string | undefined;
    let sprintHash: string | undefined;
    if (sprintYaml === undefined || progressYaml === undefined)
      [sprintYaml, progressYaml, progressYamlHash, sprintHash] = await this.#readYaml(location);
    this.#written.set(progressYamlPath, {
      stamp,
      hash: progressYamlHash ?? textHash(progressYaml),
    });
    const parsed = await parseSprintFiles({
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
      // A keyed log stays keyed: the YAML cannot say where its chain stands, so replay checks it all.
      logKey: head?.meta.logKey ?? expect ?? undefined,
      extra: { ...parsed.meta, sprintHash: sprintHash ?? textHash(sprintYaml) },
      findings,
    };
  }

  /**
   * The overview state.json keeps beside the checkpoint, when it is the
   * runner's and current: the YAML files are the ones it was made from (by
   * content) and the log holds nothing past it. Otherwise undefined, and
   * `load` says what is true (or what is wrong).
   */
  async loadOverview(sprintId: string): Promise<SprintOverview | undefined> {
    try {
      const location = await this.locate(sprintId);
      // A log the runner's record does not know: `load` says what is wrong.
      const { record, lost } = checkLogRecord(location.runtimeDir);
      if (lost) return undefined;
      const snap = await this.#readSnapshot(location, record?.key ?? logKeyId(location.runtimeDir));
      // No runner file at all (a clone: they are gitignored): the YAML alone says it.
      if (snap === undefined && !record) return await this.#overviewFromYaml(sprintId, location);
      if (snap?.kind !== 'ok') return undefined;
      const head = snap.head;
      const overview = head.overview;
      if (!overview) return undefined;
      const [sprintYamlPath, progressYamlPath] = location.files as [string, string];
      const [sprintHash, progressHash] = await Promise.all([
        hashFileNoFollow(sprintYamlPath),
        hashFileNoFollow(progressYamlPath),
      ]);
      if (progressHash === null || !head.progress.includes(progressHash)) return undefined;
      if (head.sprint !== (sprintHash ?? textHash(''))) return undefined;
      if (!logEndsAt(join(location.runtimeDir, EVENT_LOG), head.meta)) return undefined;
      // A copy (`cp -a`) is a sprint of its own: its id is its folder's name, as `load` says.
      return { ...overview, id: sprintId };
    } catch {
      return undefined;
    }
  }

  /**
   * The overview of a sprint with no runner files, as `load` would compute it
   * from the YAML: from PROGRESS.yaml's last line when it describes these very
   * bytes (the runner wrote them, and nobody changed them since), else from the
   * overview cache when these bytes were read on this machine before, else by
   * parsing them, which fills the cache. Undefined when the sprint is not that
   * simple (a runner file appeared, a file does not parse): `load` then says
   * what is true.
   */
  async #overviewFromYaml(
    sprintId: string,
    location: SprintLocation,
  ): Promise<SprintOverview | undefined> {
    // Whatever lies beside the YAML (even a torn or foreign file) makes `load` more than a parse.
    for (const name of [SNAPSHOT_FILE, EVENT_LOG]) {
      if (lstatSync(join(location.runtimeDir, name), { throwIfNoEntry: false })) return undefined;
    }
    // Read once: the line is checked, the entry looked up, and on a miss kept, against the
    // digests of the very bytes a miss parses.
    const [sprintBytes, progressBytes] = await this.#readYamlBytes(location);
    const sprintHash = textHash(sprintBytes ?? '');
    const line = readOverviewLine(progressBytes, sprintHash);
    if (line) return { ...line, id: sprintId };
    const [sprintPath, progressPath] = location.files as [string, string];
    const progressYaml = decodeUtf8(progressBytes, progressPath);
    const sprintYaml = sprintBytes ? decodeUtf8(sprintBytes, sprintPath) : '';
    const key = overviewCacheKey(sprintId, sprintHash, textHash(progressBytes));
    const hit = readCachedOverview(key);
    if (hit) return { ...hit, id: sprintId };
    return keepYamlOverview(
      {
        dirName: sprintId,
        sprintYaml,
        sprintYamlPath: sprintPath,
        progressYaml,
        progressYamlPath: progressPath,
      },
      key,
    );
  }

  /** SPRINT.yaml's bytes (null when absent: a plugin sprint with PROGRESS.yaml alone) and PROGRESS.yaml's. */
  async #readYamlBytes(location: SprintLocation): Promise<[Buffer | null, Buffer]> {
    const [sprintPath, progressPath] = location.files as [string, string];
    const [a, b] = await Promise.all([
      readFileNoFollow(sprintPath),
      readFileNoFollow(progressPath),
    ]);
    if (b === null) throw new SprintNotFoundError(basename(location.sprintDir), this.root);
    return [a, b];
  }

  /** SPRINT.yaml's and PROGRESS.yaml's text, and the digests of PROGRESS.yaml's and SPRINT.yaml's bytes. */
  async #readYaml(location: SprintLocation): Promise<[string, string, string, string]> {
    const [sprintPath, progressPath] = location.files as [string, string];
    const [a, b] = await Promise.all([
      readUtf8HashedNoFollow(sprintPath),
      readUtf8HashedNoFollow(progressPath),
    ]);
    if (b == null) throw new SprintNotFoundError(basename(location.sprintDir), this.root);
    // No SPRINT.yaml (a plugin sprint with PROGRESS.yaml alone): a sprint with defaults.
    return [a?.text ?? '', b.text, b.hash, a?.hash ?? textHash('')];
  }

  /**
   * Whether a run was under way: a task running as of the snapshot, a task
   * started in the log after it (the run died before its next checkpoint,
   * and its lock, taken over by whoever repairs the sprint, no longer says
   * so), or another process's lock.
   */
  #runWasActive(location: SprintLocation, runningThen: () => boolean, logOffset: number): boolean {
    if (runningThen()) return true;
    if (startedSince(join(location.runtimeDir, EVENT_LOG), logOffset)) return true;
    const lock = join(location.runtimeDir, LOCK_FILE);
    return existsSync(lock) && !holdsLockFile(lock);
  }

  #applyProjectDir(location: SprintLocation, definition: SprintDefinition): void {
    if (definition.config.projectDir) {
      location.projectDir = resolveProjectDir(location.sprintDir, definition.config.projectDir);
    }
  }

  /**
   * The sprint as of the last checkpoint, from `state.json`, when it is the
   * runner's (signed with the key the log names, or unsigned for a log not
   * yet keyed); `forged` when someone else wrote it. The head is parsed at
   * once; the definition and state (`full`, undefined when they do not parse)
   * only when asked for, so a stale snapshot of a large sprint is not parsed.
   */
  async #readSnapshot(
    location: SprintLocation,
    expect: string | null,
  ): Promise<
    | { kind: 'ok'; head: SnapshotHead; full: () => Snapshot | undefined }
    | { kind: 'forged'; why: string }
    | undefined
  > {
    let text: string | null;
    try {
      text = await readTextNoFollow(join(location.runtimeDir, SNAPSHOT_FILE));
    } catch {
      return undefined;
    }
    if (text === null) return undefined;
    const read = openSignedJson(text, expect);
    if (read.kind === 'forged') return read;
    const body = read.body;
    const restore = (snap: Snapshot) => {
      // A copy under another name (`cp -a`) is that sprint: its id is its folder's.
      snap.definition.id = basename(location.sprintDir);
      snap.definition.tasks = snap.definition.tasks.map(restoredTask);
      snap.state = restoredState(snap.state, snap.definition);
      return snap;
    };
    try {
      // Version 5: JSON.stringify writes no line breaks, so the first one ends the head.
      const nl = body.indexOf('\n');
      if (nl >= 0) {
        const head = JSON.parse(`${body.slice(0, nl)}}`) as SnapshotHead;
        if (head.version !== 5 || !Array.isArray(head.progress)) return undefined;
        const full = () => {
          try {
            return restore(JSON.parse(body) as Snapshot);
          } catch {
            return undefined;
          }
        };
        return { kind: 'ok', head, full };
      }
      const snap = JSON.parse(body) as Snapshot;
      if (snap.version !== 4 || !Array.isArray(snap.progress)) return undefined;
      const restored = restore(snap);
      return { kind: 'ok', head: restored, full: () => restored };
    } catch {
      return expect ? { kind: 'forged', why: 'is not JSON' } : undefined;
    }
  }

  protected async writeCheckpoint(
    _sprintId: string,
    location: SprintLocation,
    definition: SprintDefinition,
    state: SprintState,
    log: { seq: number; offset: number; key?: RunnerKey; mac?: string },
    extra: unknown,
  ): Promise<void> {
    const meta = extra as DirectoryMeta;
    const { forgetYamlSource, renderProgressYaml } = await import('./directory/index.js');
    const path = join(location.sprintDir, PROGRESS_FILE);
    forgetYamlSource(path);
    // The SPRINT.yaml the definition came from (one saved over it since is read at the next load).
    const sprintHash =
      meta.sprintHash ??
      (await hashFileNoFollow(join(location.sprintDir, SPRINT_FILE))) ??
      textHash('');
    // Once, for state.json and for PROGRESS.yaml's last line (a clone's status reads that).
    const overview = sprintOverview({ definition, state });
    // Encoded once, then hashed and written: a large description is not converted twice.
    const text = Buffer.from(
      renderProgressYaml(definition, state, {
        sprintId: meta.sprintId,
        logSeq: log.seq,
        logOffset: log.offset,
        overview: { sprintYamlHash: sprintHash, value: overview },
      }),
    );
    const hash = textHash(text);
    const known = this.#written.get(path);
    const now = await refuseLink(path);
    // state.json first: a crash between the two leaves a snapshot that knows both forms.
    await writeSnapshot(
      location.sprintDir,
      {
        sprintId: meta.sprintId,
        logSeq: log.seq,
        logOffset: log.offset,
        logKey: log.key?.id,
        logMac: log.mac,
      },
      definition,
      state,
      overview,
      {
        sprint: sprintHash,
        progress: hash,
        previous: now ? (known?.hash ?? null) : null,
      },
      log.key,
    );
    // The stamp of what was written, not a stat after the rename: a write landing in
    // between would otherwise be taken for the runner's own and never found.
    this.#written.set(path, { stamp: stampOf(await atomicWriteFile(path, text)), hash });
  }

  protected override async foreignCheckpointWrites(
    location: SprintLocation,
  ): Promise<TamperFinding[]> {
    // The runner owns PROGRESS.yaml while it runs: a change it did not make is kept aside
    // (for a person to look at) before the checkpoint overwrites it with the runner's state.
    const path = join(location.sprintDir, PROGRESS_FILE);
    const known = this.#written.get(path);
    const now = await refuseLink(path);
    if (!known || !now || stampOf(now) === known.stamp) return [];
    const name = quarantineName(PROGRESS_FILE);
    await copyFile(path, join(location.runtimeDir, name));
    // Found once: the runner records it now, and the checkpoint then overwrites it.
    this.#written.set(path, { ...known, stamp: stampOf(now) });
    return [
      {
        file: PROGRESS_FILE,
        detail: 'PROGRESS.yaml was changed by someone else during the run; the runner rewrote it',
        quarantined: name,
      },
    ];
  }

  protected checkAddTasks(): void {}

  protected runtimeIgnores(): string {
    return RUNTIME_GITIGNORE;
  }

  async list(): Promise<SprintSummary[]> {
    const entries = await readdir(this.root, { withFileTypes: true }).catch(() => []);
    const out: SprintSummary[] = [];
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const dir = join(this.root, e.name);
      if (!existsSync(join(dir, SPRINT_FILE)) && !existsSync(join(dir, PROGRESS_FILE))) continue;
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
      } catch (error) {
        // Listed, with the reason, so that a broken sprint is not silently missing.
        out.push({
          id: e.name,
          name: e.name,
          status: 'not-started',
          counts: countTasks(initialState({ tasks: [] })),
          location: join(this.root, e.name),
          format: 'directory',
          invalid: (error as Error).message,
        });
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
    // A new sprint where one was removed: what the runner recorded of the old one's log is
    // not this sprint's (forgotten first, so that a state home it cannot write changes nothing).
    forgetLogRecord(dir);
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
      const sprintText = renderSprintYaml({
        sprintId: id,
        name: input.name,
        created: now.toISOString(),
        owner: input.owner,
        goals: input.goals ?? [],
        notes: input.notes,
        config: input.config,
      });
      await writeFile(join(tmp, SPRINT_FILE), sprintText);
      const state = initialState(definition);
      // Its last line answers a clone's status (the runner's files are gitignored).
      const progressText = renderProgressYaml(
        definition,
        state,
        {
          sprintId: id,
          logSeq: 0,
          logOffset: 0,
          overview: {
            sprintYamlHash: textHash(sprintText),
            value: sprintOverview({ definition, state }),
          },
        },
        now,
      );
      await writeFile(join(tmp, PROGRESS_FILE), progressText);
      await writeFile(join(tmp, '.gitignore'), RUNTIME_GITIGNORE);
      // The snapshot holds what a load parses from these files (SPRINT.yaml's
      // defaults included, such as max-tasks): it stands in for them until they change.
      const parsed = await parseSprintFiles({
        dirName: id,
        sprintYaml: sprintText,
        sprintYamlPath: join(dir, SPRINT_FILE),
        progressYaml: progressText,
        progressYamlPath: join(dir, PROGRESS_FILE),
      });
      await writeSnapshot(
        tmp,
        parsed.meta,
        parsed.definition,
        parsed.state,
        sprintOverview(parsed),
        { sprint: textHash(sprintText), progress: textHash(progressText) },
        undefined,
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
 * Writes `state.json`: the checkpoint as JSON with the content hashes of the
 * YAML files it was made from (SPRINT.yaml's text; the hashes of PROGRESS.yaml's
 * new text and, while it is being replaced, of its previous one), signed with
 * the sprint's key when there is one.
 */
async function writeSnapshot(
  dir: string,
  meta: DirectoryMeta,
  definition: SprintDefinition,
  state: SprintState,
  overview: SprintOverview,
  hashes: { sprint: string; progress: string; previous?: string | null },
  key: RunnerKey | undefined,
): Promise<void> {
  const head: SnapshotHead = {
    version: 5,
    sprint: hashes.sprint,
    progress: [hashes.progress],
    meta,
    overview,
  };
  if (hashes.previous) head.progress.push(hashes.previous);
  const rest = JSON.stringify({
    definition: { ...definition, tasks: definition.tasks.map(storedTask) },
    state: storedState(state),
  });
  // One JSON document whose first line is the head: `loadOverview` parses that line alone.
  // Signed and written in pieces: the definition's text (a long description) is not copied again.
  const body = [`${JSON.stringify(head).slice(0, -1)}\n,`, rest.slice(1)];
  await atomicWriteFile(join(dir, SNAPSHOT_FILE), signJsonParts(body, key));
}

/**
 * Whether the event log ends where the checkpoint does, so replaying it would
 * change nothing: a keyed log exactly `logOffset` bytes long, or no log at all
 * for a sprint that never ran. Anything else (an unkeyed log, which replays
 * from its start) is left to a full load.
 */
function logEndsAt(logPath: string, meta: DirectoryMeta): boolean {
  const st = lstatSync(logPath, { throwIfNoEntry: false });
  if (!st) return !(meta.logKey && meta.logOffset > 0);
  if (!st.isFile()) return false;
  if (!(meta.logKey && meta.logMac !== undefined)) return st.size === 0;
  return st.size === meta.logOffset;
}

/**
 * SPRINT.yaml and PROGRESS.yaml read into the model. Parsing is the slow part of
 * reading a sprint, so it is loaded only when the snapshot does not answer, and
 * in steps: files as `sprint` wrote them are read without a YAML parser or zod
 * (loading them costs more than reading 1,000 tasks); a file edited by hand
 * (SPRINT.yaml often is) with `yaml` but still without zod; files with anything
 * to report through both, which say what.
 */
async function parseSprintFiles(input: SprintDirectoryInput): Promise<ParsedSprintDirectory> {
  const { readSprintDirectoryQuickly } = await import('./directory/sprint-files.js');
  let quick = readSprintDirectoryQuickly(input);
  if (quick === 'unread') {
    const { readYamlSource } = await import('./directory/yaml-source.js');
    quick = readSprintDirectoryQuickly(input, readYamlSource);
  }
  if (typeof quick === 'object') return quick;
  const { parseSprintDirectory } = await import('./directory/index.js');
  return parseSprintDirectory(input);
}

/**
 * The overview `load` computes from these files when nothing else lies beside
 * them, kept in the overview cache under `key` (see `overviewCacheKey`: the
 * digests of the bytes `input` was decoded from). Undefined, and nothing kept, when `load` would do more
 * than parse them: a checkpoint whose state is past its log point is repaired.
 * Throws what parsing throws.
 */
async function keepYamlOverview(
  input: SprintDirectoryInput,
  key: string,
  parsed?: ParsedSprintDirectory,
): Promise<SprintOverview | undefined> {
  const read = parsed ?? (await parseSprintFiles(input));
  if (read.meta.logSeq !== read.state.lastSeq) return undefined;
  const overview = sprintOverview(read);
  writeCachedOverview(key, overview);
  return overview;
}

/** What `readBase` answers from a snapshot the files agree with. */
function fromSnapshot(snap: Snapshot, findings: TamperFinding[]) {
  return {
    definition: snap.definition,
    state: snap.state,
    logSeq: snap.meta.logSeq,
    logOffset: snap.meta.logOffset,
    logKey: snap.meta.logKey,
    logMac: snap.meta.logMac,
    extra: snap.meta,
    findings,
  };
}

/** What a state says happened: the sprint's status and each finished task's. */
function claimsOf(state: SprintState): string {
  const finished = Object.entries(state.tasks)
    .filter(
      ([, t]) =>
        t.status === 'done' ||
        t.status === 'blocked' ||
        t.status === 'skipped' ||
        t.status === 'cancelled',
    )
    .map(([id, t]) => `${id}=${t.status}`)
    .sort();
  return `${state.status}|${finished.join(',')}`;
}

/**
 * Whether the log holds a `task-started` line past `offset`. Any such line,
 * chained or not: erring towards "a task ran" only keeps the runner's
 * statuses, it never believes a forgery.
 */
function startedSince(logPath: string, offset: number): boolean {
  let fd: number;
  try {
    fd = openSync(logPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return false;
  }
  try {
    const tail = readRange(fd, offset, Math.max(0, fstatSync(fd).size - offset));
    return tail.includes('"type":"task-started"');
  } finally {
    closeSync(fd);
  }
}

function stampOf(st: Stats): string {
  return `${st.mtimeMs}:${st.size}:${st.ino}`;
}

/** Keeps the runner's own files out of the project's commits. */
const RUNTIME_GITIGNORE = [
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
  '*.foreign-*',
  'tamper-notified/',
  '',
].join('\n');
