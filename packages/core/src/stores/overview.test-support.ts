import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sprintOverview } from '../workspace/describe-sprint.js';
import { SprintDirectoryStore } from './sprint-directory-store.js';

/**
 * For tests of how `sprint status` reads a sprint folder (the overview line, the cache):
 * the folder of sprint `id` as a `git clone` has it, and its overview read both ways, as JSON
 * carries it. (Tests only; not built.)
 */
export function overviewFolders(id: string, sprintYaml: string) {
  const json = (v: unknown) => JSON.parse(JSON.stringify(v));
  return {
    /** A sprint folder under `at` holding only its YAML files. */
    writeSprint(at: string, progressYaml: string, sprint = sprintYaml): string {
      const dir = join(at, id);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'SPRINT.yaml'), sprint);
      writeFileSync(join(dir, 'PROGRESS.yaml'), progressYaml);
      return dir;
    },
    /** What the full reader gives (a load, which reads neither the line nor the cache). */
    async fullOverview(at: string): Promise<unknown> {
      return json(sprintOverview(await new SprintDirectoryStore({ root: at }).load(id)));
    },
    /** What `sprint status` reads. */
    async overview(at: string): Promise<unknown> {
      const found = await new SprintDirectoryStore({ root: at }).loadOverview(id);
      return found && json(found);
    },
  };
}
