import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { SprintNotFoundError } from '../model/errors.js';
import { SprintDirectoryStore } from '../stores/sprint-directory-store.js';
import { SprintDocumentStore } from '../stores/sprint-document-store.js';
import type { SprintStore } from '../stores/sprint-store.js';

export const DEFAULT_SPRINTS_DIR = '.claude/sprints';

export interface OpenedSprint {
  store: SprintStore;
  sprintId: string;
  format: 'directory' | 'document' | 'database';
  /** The absolute path that was opened. */
  path: string;
}

/**
 * Opens the sprint at `path`: a sprint directory (SPRINT.yaml + PROGRESS.yaml)
 * or a Markdown sprint document (a `.md` file, or a folder `x/` holding `x.md`).
 * Throws `SprintNotFoundError` with a message that says what is missing.
 */
export async function openSprint(path: string): Promise<OpenedSprint> {
  const abs = resolve(path);
  const st = await stat(abs).catch(() => undefined);
  if (!st) {
    throw new SprintNotFoundError(path, undefined, `No sprint at ${path}: the path does not exist`);
  }
  if (st.isFile()) {
    if (!abs.endsWith('.md')) {
      throw new SprintNotFoundError(
        path,
        undefined,
        `${path} is a file but not a Markdown sprint document (.md); a sprint is a directory with SPRINT.yaml and PROGRESS.yaml, or a .md document`,
      );
    }
    return {
      store: new SprintDocumentStore({ root: dirname(abs) }),
      sprintId: basename(abs, '.md'),
      format: 'document',
      path: abs,
    };
  }
  const id = basename(abs);
  const hasSprint = existsSync(join(abs, 'SPRINT.yaml'));
  const hasProgress = existsSync(join(abs, 'PROGRESS.yaml'));
  if (!hasSprint && !hasProgress && existsSync(join(abs, `${id}.md`))) {
    return {
      store: new SprintDocumentStore({ root: dirname(abs) }),
      sprintId: id,
      format: 'document',
      path: join(abs, `${id}.md`),
    };
  }
  // PROGRESS.yaml alone is a sprint too (the original plugin's): SPRINT.yaml then reads as defaults.
  if (!hasProgress) {
    throw new SprintNotFoundError(
      path,
      undefined,
      `${path} has no PROGRESS.yaml: a sprint directory holds PROGRESS.yaml and, for its name and config, SPRINT.yaml`,
    );
  }
  return {
    store: new SprintDirectoryStore({ root: dirname(abs) }),
    sprintId: id,
    format: 'directory',
    path: abs,
  };
}

/**
 * The most recently created sprint directory under `dir` (by SPRINT.yaml's
 * `created`, else the folder's date prefix, else its birth time), or null.
 */
export async function findLatestSprint(dir: string = DEFAULT_SPRINTS_DIR): Promise<string | null> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  let best: { path: string; key: string } | undefined;
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const path = join(dir, e.name);
    const sprintYaml = join(path, 'SPRINT.yaml');
    if (!existsSync(sprintYaml) && !existsSync(join(path, 'PROGRESS.yaml'))) continue;
    const text = await readFile(sprintYaml, 'utf8').catch(() => '');
    const created = /^created:\s*["']?([^"'\n#]+)/m.exec(text)?.[1]?.trim();
    let key = created && !Number.isNaN(Date.parse(created)) ? new Date(created).toISOString() : '';
    if (!key) {
      const prefix = /^(\d{4}-\d{2}-\d{2})/.exec(e.name)?.[1];
      key = prefix
        ? `${prefix}T00:00:00.000Z`
        : new Date((await stat(path)).birthtimeMs).toISOString();
    }
    key += `|${e.name}`;
    if (!best || key > best.key) best = { path, key };
  }
  return best?.path ?? null;
}
