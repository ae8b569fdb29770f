import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type LockHolder, SprintNotFoundError } from '../model/errors.js';
import type { NewRunEvent, RunEvent } from '../model/events.js';
import type { Task } from '../model/sprint.js';
import type { RunResult } from '../runner/run-result.js';
import { assertSafeId } from '../stores/locations.js';
import { SprintDirectoryStore } from '../stores/sprint-directory-store.js';
import { SprintDocumentStore } from '../stores/sprint-document-store.js';
import type {
  AddTasksResult,
  ControlRequest,
  CreateSprintInput,
  LockInfo,
  SprintLock,
  SprintSnapshot,
  SprintStore,
  SprintSummary,
} from '../stores/sprint-store.js';

/**
 * Every sprint under one root folder, in both formats: sprint directories
 * (`root/<id>/SPRINT.yaml`) and Markdown documents (`root/<id>.md` or
 * `root/<id>/<id>.md`). New sprints are created as directories. An id is
 * always one path segment inside the root.
 */
export class SprintRootStore implements SprintStore {
  readonly format = 'directory' as const;
  readonly root: string;
  readonly directories: SprintDirectoryStore;
  readonly documents: SprintDocumentStore;

  constructor(options: { root: string }) {
    this.root = resolve(options.root);
    this.directories = new SprintDirectoryStore({ root: this.root });
    this.documents = new SprintDocumentStore({ root: this.root });
  }

  /** The store that holds `sprintId` (directories win when both could). */
  storeFor(sprintId: string): SprintDirectoryStore | SprintDocumentStore {
    assertSafeId(sprintId, this.root);
    const dir = join(this.root, sprintId);
    if (existsSync(join(dir, 'SPRINT.yaml')) || existsSync(join(dir, 'PROGRESS.yaml')))
      return this.directories;
    if (this.documents.documentPath(sprintId)) return this.documents;
    return this.directories;
  }

  async list(): Promise<SprintSummary[]> {
    const [dirs, docs] = await Promise.all([this.directories.list(), this.documents.list()]);
    const seen = new Set(dirs.map((d) => d.id));
    return [...dirs, ...docs.filter((d) => !seen.has(d.id))].sort((a, b) =>
      a.id.localeCompare(b.id),
    );
  }
  load(id: string): Promise<SprintSnapshot> {
    return this.storeFor(id).load(id);
  }
  /**
   * The directory store's version when it holds the sprint (it remembers where, so this
   * costs no lookup of the format per call), else the document store's.
   */
  async version(id: string): Promise<string> {
    try {
      return await this.directories.version(id);
    } catch (error) {
      if (!(error instanceof SprintNotFoundError)) throw error;
      return this.documents.version(id);
    }
  }
  create(input: CreateSprintInput): Promise<string> {
    return this.directories.create(input);
  }
  addTasks(id: string, tasks: Task[]): Promise<AddTasksResult> {
    return this.storeFor(id).addTasks(id, tasks);
  }
  append(id: string, events: NewRunEvent[]): Promise<RunEvent[]> {
    return this.storeFor(id).append(id, events);
  }
  claimTask(
    id: string,
    claim: { taskId: string; agent: string; runId: string; host: string },
  ): Promise<RunEvent | null> {
    return this.storeFor(id).claimTask(id, claim);
  }
  readEvents(id: string, options?: { afterSeq?: number; limit?: number }): Promise<RunEvent[]> {
    return this.storeFor(id).readEvents(id, options);
  }
  subscribe(id: string, listener: (event: RunEvent) => void): () => void {
    return this.storeFor(id).subscribe(id, listener);
  }
  acquireLock(id: string, holder: LockHolder): Promise<SprintLock> {
    return this.storeFor(id).acquireLock(id, holder);
  }
  inspectLock(id: string): Promise<LockInfo | null> {
    return this.storeFor(id).inspectLock(id);
  }
  requestControl(id: string, request: ControlRequest): Promise<void> {
    return this.storeFor(id).requestControl(id, request);
  }
  takeControl(id: string): Promise<ControlRequest | null> {
    return this.storeFor(id).takeControl(id);
  }
  readContext(id: string, taskId: string): Promise<{ shared?: string; task?: string }> {
    return this.storeFor(id).readContext(id, taskId);
  }
  saveResult(id: string, result: RunResult): Promise<void> {
    return this.storeFor(id).saveResult(id, result);
  }
  loadResult(id: string): Promise<RunResult | null> {
    return this.storeFor(id).loadResult(id);
  }
  flush(id: string): Promise<void> {
    return this.storeFor(id).flush(id);
  }
  trustFiles(id: string): Promise<boolean> {
    return this.storeFor(id).trustFiles(id);
  }
}
