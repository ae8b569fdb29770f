import { randomBytes } from 'node:crypto';
import { cp, lstat, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { InvalidSprintError, SprintError, SprintNotFoundError } from '../model/errors.js';
import { convertM42Sprint, type M42Task } from './m42-sprint.js';

/** What `importM42Sprint` wrote. */
export interface M42ImportResult {
  /** The new sprint's directory. */
  path: string;
  sprintId: string;
  name: string;
  workflow: string;
  tasks: number;
  done: number;
  /** Whether the tasks came from the compiled PROGRESS.yaml's phases (else: one per collection item). */
  fromProgress: boolean;
}

async function readYaml(file: string, required: boolean): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SprintNotFoundError(
      file,
      undefined,
      `Cannot read ${file}: ${(error as Error).message}`,
    );
  }
  try {
    return parse(text, { prettyErrors: true });
  } catch (error) {
    const line = (error as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    throw new InvalidSprintError([
      {
        file,
        line,
        message: `not valid YAML: ${(error as Error).message.split('\n')[0]}`,
        fix: 'fix the YAML syntax',
      },
    ]);
  }
}

/** A task as the original plugin's PROGRESS.yaml writes it (kebab-case, fields inline). */
function entry({ task, completedAt }: M42Task, done: boolean): Record<string, unknown> {
  return {
    id: task.id,
    type: task.type,
    title: task.title,
    description: task.description,
    priority: task.priority,
    ...(task.dependsOn.length ? { 'depends-on': task.dependsOn } : {}),
    ...(task.verify ? { verify: task.verify } : {}),
    ...task.fields,
    ...(done && completedAt ? { 'completed-at': completedAt } : {}),
  };
}

/**
 * Converts the m42 workflow-format sprint in `sourceDir` (SPRINT.yaml with
 * `workflow` + `collections`, and the compiled PROGRESS.yaml when present)
 * into a new sprint directory `targetDir` in the original plugin's format:
 * SPRINT.yaml, PROGRESS.yaml, a copy of `context/` and an empty
 * `artifacts/`. Nothing in `sourceDir` is changed; the new directory appears
 * whole or not at all.
 */
export async function importM42Sprint(
  sourceDir: string,
  targetDir: string,
): Promise<M42ImportResult> {
  const sprintFile = join(sourceDir, 'SPRINT.yaml');
  const progressFile = join(sourceDir, 'PROGRESS.yaml');
  const sprint = await readYaml(sprintFile, true);
  const progress = await readYaml(progressFile, false);
  const converted = convertM42Sprint(sprint, progress, {
    dirName: basename(sourceDir),
    sprintFile,
    progressFile,
  });
  if (await lstat(targetDir).catch(() => undefined)) {
    throw new SprintError(
      'SPRINT_EXISTS',
      `${targetDir} already exists: import into another directory, or remove it.`,
    );
  }
  const queue = converted.tasks.filter((t) => !t.done);
  const completed = converted.tasks.filter((t) => t.done);
  const sprintId = basename(targetDir);
  const sprintYaml = {
    'sprint-id': sprintId,
    name: converted.name,
    created: converted.created ?? new Date().toISOString(),
    ...(Object.keys(converted.config).length ? { config: converted.config } : {}),
    notes: `Imported from the m42 sprint ${converted.sprintId} (workflow ${converted.workflow}) by sprint import --from-m42.`,
  };
  const progressYaml = {
    'sprint-id': sprintId,
    status: queue.length === 0 ? 'completed' : completed.length ? 'in-progress' : 'not-started',
    'current-task': null,
    queue: queue.map((t) => entry(t, false)),
    completed: completed.map((t) => entry(t, true)),
    blocked: [],
  };
  const yamlOptions = { lineWidth: 0 } as const;
  // Built beside the target and renamed into place: a crash leaves no half sprint under its name.
  const temp = join(
    dirname(targetDir),
    `.${basename(targetDir)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  try {
    await mkdir(join(temp, 'artifacts'), { recursive: true });
    await mkdir(join(temp, 'context'), { recursive: true });
    await writeFile(join(temp, 'SPRINT.yaml'), stringify(sprintYaml, yamlOptions));
    await writeFile(join(temp, 'PROGRESS.yaml'), stringify(progressYaml, yamlOptions));
    const context = join(sourceDir, 'context');
    if ((await lstat(context).catch(() => undefined))?.isDirectory()) {
      // Links are left behind: they could point anywhere outside the sprint.
      await cp(context, join(temp, 'context'), {
        recursive: true,
        filter: async (src) => !(await lstat(src)).isSymbolicLink(),
      });
    }
    await rename(temp, targetDir);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
  return {
    path: targetDir,
    sprintId,
    name: converted.name,
    workflow: converted.workflow,
    tasks: converted.tasks.length,
    done: completed.length,
    fromProgress: converted.fromProgress,
  };
}
