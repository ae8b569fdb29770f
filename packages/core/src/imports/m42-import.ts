import { randomBytes } from 'node:crypto';
import { cp, lstat, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { stringify } from 'yaml';
import { InvalidSprintError, SprintError, SprintNotFoundError } from '../model/errors.js';
import { readYamlSource, type YamlSource } from '../stores/directory/yaml-source.js';
import { forgetLogRecord } from '../stores/log-record.js';
import { M42WorkflowNotFoundError } from './import-error.js';
import { convertM42Sprint, type M42Task } from './m42-sprint.js';
import { sprintWorkflowRefs, workflowRefs } from './m42-workflow.js';
import { isDoc, type M42Workflow } from './m42-workflow-issues.js';

/** What `importM42Sprint` wrote. */
export interface M42ImportResult {
  /** The new sprint's directory. */
  path: string;
  sprintId: string;
  name: string;
  workflow: string;
  tasks: number;
  done: number;
  /** Whether the tasks came from the compiled PROGRESS.yaml's phases (else: compiled from the workflows). */
  fromProgress: boolean;
  /** The `.claude/workflows/` folder the phases were compiled from, when there was no PROGRESS.yaml. */
  workflowsDir?: string;
  /** Tasks of m42 `parallel:` phases: nothing after them waits for them until a `wait-for-parallel:` phase. */
  parallel: string[];
  /** Tasks after which the run pauses for review (`pause-after`, from m42 `break:` phases). */
  breaks: string[];
}

export interface M42ImportOptions {
  /**
   * The folder of the m42 workflow files (`<name>.yaml`) to compile the sprint with when it
   * has no compiled PROGRESS.yaml; default the nearest `.claude/workflows/` at or above it.
   */
  workflowsDir?: string;
}

/** A YAML file with its lines; undefined when it is optional and not there. */
async function readSource(file: string, required: boolean): Promise<YamlSource | undefined> {
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
  const source = readYamlSource(text, file);
  if (source.issues.length) throw new InvalidSprintError(source.issues);
  return source;
}

/** The nearest `.claude/workflows/` folder at or above `dir`, as m42 keeps it in the project root. */
async function findWorkflowsDir(dir: string): Promise<string | undefined> {
  for (let at = resolve(dir); ; at = dirname(at)) {
    const candidate = join(at, '.claude', 'workflows');
    if ((await stat(candidate).catch(() => undefined))?.isDirectory()) return candidate;
    if (dirname(at) === at) return undefined;
  }
}

/** A workflows folder the caller named: it must be one, whether or not the sprint needs it. */
async function givenWorkflowsDir(dir: string): Promise<string> {
  const at = resolve(dir);
  const found = await stat(at).catch(() => undefined);
  if (!found?.isDirectory()) {
    throw new M42WorkflowNotFoundError([
      {
        file: at,
        message: found ? 'is not a folder' : 'does not exist',
        fix: "name the folder holding the m42 workflow files (<name>.yaml), usually the m42 project's .claude/workflows",
      },
    ]);
  }
  return at;
}

/** The file m42 reads for a workflow name (`<name>.yaml`, `<name>.yml`, `<name>`), inside `dir` only. */
async function workflowFile(dir: string, name: string): Promise<string | undefined> {
  for (const file of [`${name}.yaml`, `${name}.yml`, name].map((f) => resolve(dir, f))) {
    if (relative(dir, file).startsWith(`..${sep}`) || file === dir) continue;
    if ((await stat(file).catch(() => undefined))?.isFile()) return file;
  }
  return undefined;
}

/** Every workflow SPRINT.yaml reaches (its own, its items', and those their phases name), by name. */
async function readWorkflows(dir: string, sprint: unknown): Promise<Map<string, M42Workflow>> {
  const workflows = new Map<string, M42Workflow>();
  const queue = sprintWorkflowRefs(sprint).map((ref) => ref.name);
  const seen = new Set<string>();
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    if (seen.has(name)) continue;
    seen.add(name);
    // A missing one is left out: the conversion says where it is named.
    const file = await workflowFile(dir, name);
    if (!file) continue;
    const source = (await readSource(file, true))!;
    workflows.set(name, { file, doc: source.value, locate: source.locate });
    queue.push(...workflowRefs(source.value).map((ref) => ref.name));
  }
  return workflows;
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
 * `workflow` + `collections`, and the compiled PROGRESS.yaml when present;
 * without one, the workflows in `options.workflowsDir`, else in the nearest
 * `.claude/workflows/` at or above `sourceDir`) into a new sprint directory
 * `targetDir` in the original plugin's format:
 * SPRINT.yaml, PROGRESS.yaml, a copy of `context/` and an empty
 * `artifacts/`. Nothing in `sourceDir` is changed; the new directory appears
 * whole or not at all.
 */
export async function importM42Sprint(
  sourceDir: string,
  targetDir: string,
  options: M42ImportOptions = {},
): Promise<M42ImportResult> {
  const given =
    options.workflowsDir === undefined ? undefined : await givenWorkflowsDir(options.workflowsDir);
  const sprintFile = join(sourceDir, 'SPRINT.yaml');
  const progressFile = join(sourceDir, 'PROGRESS.yaml');
  const sprint = (await readSource(sprintFile, true))!;
  const progressSource = await readSource(progressFile, false);
  const progress = progressSource?.value;
  // Without m42's compiled phases they are compiled here, from the workflows.
  const compile = !(isDoc(progress) && Array.isArray(progress.phases));
  const workflowsDir = compile ? (given ?? (await findWorkflowsDir(sourceDir))) : undefined;
  const converted = convertM42Sprint(sprint.value, progress, {
    dirName: basename(sourceDir),
    sprintFile,
    progressFile,
    locateSprint: sprint.locate,
    ...(progressSource ? { locateProgress: progressSource.locate } : {}),
    ...(compile
      ? {
          workflows: workflowsDir ? await readWorkflows(workflowsDir, sprint.value) : new Map(),
          workflowsDir,
        }
      : {}),
  });
  if (await lstat(targetDir).catch(() => undefined)) {
    throw new SprintError(
      'SPRINT_EXISTS',
      `${targetDir} already exists: import into another directory, or remove it.`,
    );
  }
  // A new sprint where a removed one was: the runner's record of the old log is not its.
  forgetLogRecord(targetDir);
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
    ...(!converted.fromProgress && workflowsDir ? { workflowsDir } : {}),
    parallel: converted.parallel,
    breaks: converted.breaks,
  };
}
