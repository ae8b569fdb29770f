import { existsSync } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { SprintError, SprintNotFoundError } from '../model/errors.js';
import { countTasks, initialState, initialTaskState } from '../model/fold.js';
import type { SprintDefinition } from '../model/sprint.js';
import type { SprintState } from '../model/state.js';
import { atomicWriteFile } from './atomic-file.js';

// The Markdown and YAML readers load only when a document is read or written.
type DocumentFormat = typeof import('./document/index.js');
const documentFormat = (): Promise<DocumentFormat> => import('./document/index.js');

import {
  JournaledStore,
  type SprintBase,
  type SprintLocation,
  type TamperFinding,
} from './journaled-store.js';
import { assertSafeId, resolveProjectDir } from './locations.js';
import type { RunnerKey } from './runner-secret.js';
import { readTextNoFollow, readUtf8NoFollow } from './safe-fs.js';
import { openSignedJson, signJson } from './signed-json.js';
import type { CreateSprintInput, SprintSummary } from './sprint-store.js';

/** The sidecar file with the runner's full state for a document. */
const DOCUMENT_STATE_FILE = 'state.json';

/**
 * Sprints as Markdown documents (YAML front matter, `### Phase N:` checkbox
 * steps) under `root`: `root/<id>.md` or `root/<id>/<id>.md`. Completed steps
 * get their box ticked; front matter `status`, `started`, `completed` and
 * `hours` are kept current; deferred items are appended to the Deferred
 * Items section; every other byte of the file is left as it was. The
 * runner's own files live in a hidden sidecar folder `.<id>.sprint/` beside
 * the document.
 */
export class SprintDocumentStore extends JournaledStore {
  readonly format = 'document' as const;
  readonly root: string;

  constructor(options: { root: string }) {
    super();
    this.root = resolve(options.root);
  }

  /** The document's path for an id, or undefined when there is none. */
  documentPath(sprintId: string): string | undefined {
    for (const candidate of [
      join(this.root, `${sprintId}.md`),
      join(this.root, sprintId, `${sprintId}.md`),
    ]) {
      if (existsSync(candidate)) return candidate;
    }
    return undefined;
  }

  protected async locate(sprintId: string): Promise<SprintLocation> {
    assertSafeId(sprintId, this.root);
    const file = this.documentPath(sprintId);
    if (!file) {
      throw new SprintNotFoundError(
        sprintId,
        this.root,
        `Sprint document not found: ${join(this.root, `${sprintId}.md`)}`,
      );
    }
    const folder = dirname(file);
    // Links could lead outside the root, or point the runner's writes at another file.
    for (const path of [file, folder === this.root ? undefined : folder]) {
      if (path && (await lstat(path)).isSymbolicLink()) {
        throw new SprintNotFoundError(
          sprintId,
          this.root,
          `${path} is a symbolic link; sprint only opens real sprint documents (use the path it points to)`,
        );
      }
    }
    return {
      runtimeDir: join(folder, `.${sprintId}.sprint`),
      sprintDir: folder,
      projectDir: resolveProjectDir(folder),
      files: [file],
    };
  }

  protected async readBase(
    sprintId: string,
    location: SprintLocation,
    log: { key: string | null; lost: boolean },
  ): Promise<SprintBase & { extra: unknown }> {
    const file = location.files[0]!;
    const format = await documentFormat();
    const doc = format.parseSprintDocument((await readUtf8NoFollow(file)) ?? '', file);
    const tasks = format.documentTasks(doc);
    const fm = doc.frontMatter;
    const definition: SprintDefinition = {
      id: sprintId,
      name: doc.title,
      goals: doc.goal ? [doc.goal] : [],
      created:
        typeof fm.created === 'string'
          ? fm.created
          : fm.created instanceof Date
            ? fm.created.toISOString()
            : undefined,
      config: { autoCommit: true, agents: {} },
      tasks,
    };
    let saved:
      | { state: SprintState; logSeq: number; logOffset: number; logKey?: string; logMac?: string }
      | undefined;
    const findings: TamperFinding[] = [];
    const expect = log.key;
    const sidecar = join(location.runtimeDir, DOCUMENT_STATE_FILE);
    const text = await readTextNoFollow(sidecar).catch(() => null);
    if (text !== null) {
      const read = openSignedJson(text.trim(), expect);
      if (read.kind === 'forged') {
        findings.push({
          file: DOCUMENT_STATE_FILE,
          detail: `state.json ${read.why}; it is not believed`,
          keep: sidecar,
        });
      } else {
        try {
          const raw = JSON.parse(read.body);
          const { SprintStateSchema } = await import('../model/state.js');
          const state = SprintStateSchema.safeParse(raw.state);
          if (state.success)
            saved = {
              state: state.data,
              logSeq: raw.logSeq ?? 0,
              logOffset: raw.logOffset ?? 0,
              logKey: raw.logKey,
              logMac: raw.logMac,
            };
        } catch {
          // Not JSON: the document alone says where the sprint is.
        }
      }
    }
    const state = saved?.state ?? initialState(definition);
    if (!saved) {
      const docStatus = typeof fm.status === 'string' ? fm.status : 'todo';
      state.status = format.sprintStatusFromDocument(docStatus);
    }
    // The document decides which steps exist: follow edits made between runs.
    const known = new Set(tasks.map((t) => t.id));
    for (const id of Object.keys(state.tasks)) if (!known.has(id)) delete state.tasks[id];
    for (const step of doc.steps) {
      const ts = state.tasks[step.id];
      if (!ts) state.tasks[step.id] = initialTaskState(step.checked ? 'done' : 'pending');
      // A box ticked since the runner's checkpoint is taken, unless the log that would say
      // whether the runner ticked it is lost (then the box may be anyone's).
      else if (step.checked && ts.status !== 'done' && !(log.lost && saved))
        state.tasks[step.id] = { ...ts, status: 'done' };
    }
    return {
      definition,
      state,
      logSeq: saved?.logSeq ?? 0,
      logOffset: saved?.logOffset ?? 0,
      logKey: saved?.logKey ?? expect ?? undefined,
      logMac: saved?.logMac,
      extra: undefined,
      findings,
    };
  }

  protected async writeCheckpoint(
    _sprintId: string,
    location: SprintLocation,
    _definition: SprintDefinition,
    state: SprintState,
    log: { seq: number; offset: number; key?: RunnerKey; mac?: string },
  ): Promise<void> {
    const file = location.files[0]!;
    const format = await documentFormat();
    // The document first (the sidecar's log replay covers the state anyway), and re-read
    // right before replacing it, so a person's save that lands meanwhile is patched, not lost.
    for (let attempt = 0; ; attempt++) {
      const seen = await stat(file);
      const before = (await readTextNoFollow(file)) ?? '';
      const text = this.#patched(format, before, file, state);
      if (text === before) break;
      const again = await stat(file);
      if ((again.mtimeMs !== seen.mtimeMs || again.size !== seen.size) && attempt < 5) continue;
      await atomicWriteFile(file, text);
      break;
    }
    const body = JSON.stringify({
      logSeq: log.seq,
      logOffset: log.offset,
      logKey: log.key?.id,
      logMac: log.mac,
      state,
    });
    await atomicWriteFile(
      join(location.runtimeDir, DOCUMENT_STATE_FILE),
      `${signJson(body, log.key)}\n`,
    );
  }

  /** The document with done steps ticked, front matter current and new deferred items added. */
  #patched(format: DocumentFormat, before: string, file: string, state: SprintState): string {
    const { appendDeferredItems, documentStatus, parseSprintDocument, setFrontMatter, tickSteps } =
      format;
    const doc = parseSprintDocument(before, file);
    const toTick = doc.steps
      .filter((s) => !s.checked && state.tasks[s.id]?.status === 'done')
      .map((s) => s.id);
    let text = toTick.length ? tickSteps(before, toTick) : before;
    const current = typeof doc.frontMatter.status === 'string' ? doc.frontMatter.status : 'todo';
    const started = state.startedAt ?? null;
    const completed =
      state.status === 'completed' || state.status === 'cancelled'
        ? (state.completedAt ?? null)
        : null;
    const hours = state.startedAt
      ? Math.round(
          ((Date.parse(completed ?? state.updatedAt ?? state.startedAt) -
            Date.parse(state.startedAt)) /
            3_600_000) *
            100,
        ) / 100
      : null;
    text = setFrontMatter(text, {
      status: documentStatus(state.status, current),
      started,
      completed,
      hours,
    });
    const newItems = state.deferredItems.filter((i) => !doc.deferredItems.includes(i));
    if (newItems.length) text = appendDeferredItems(text, newItems);
    return text;
  }

  protected runtimeIgnores(): string {
    // The sidecar folder holds nothing but the runner's files.
    return '# written by the sprint runner\n*\n';
  }

  protected checkAddTasks(): void {
    throw new SprintError(
      'INVALID_OPTIONS',
      'A Markdown sprint document takes new steps by editing the document: add "- [ ] <step>" lines under a "### Phase N: <Name>" heading.',
    );
  }

  async list(): Promise<SprintSummary[]> {
    const entries = await readdir(this.root, { withFileTypes: true }).catch(() => []);
    const ids: string[] = [];
    for (const e of entries) {
      if (e.isFile() && e.name.endsWith('.md') && !e.name.startsWith('.'))
        ids.push(e.name.slice(0, -3));
      else if (e.isDirectory() && existsSync(join(this.root, e.name, `${e.name}.md`)))
        ids.push(e.name);
    }
    const out: SprintSummary[] = [];
    for (const id of ids) {
      try {
        const { definition, state } = await this.load(id);
        out.push({
          id,
          name: definition.name,
          status: state.status,
          counts: countTasks(state),
          created: definition.created,
          updatedAt: state.updatedAt,
          location: this.documentPath(id),
          format: 'document',
        });
      } catch {
        // Not a sprint document (a README, notes): not listed.
      }
    }
    return out;
  }

  async create(_input: CreateSprintInput): Promise<string> {
    throw new SprintError(
      'INVALID_OPTIONS',
      'Sprint documents are written by people, not created by a store; create a sprint directory instead.',
    );
  }
}
