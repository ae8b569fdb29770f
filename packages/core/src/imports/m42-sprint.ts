import { InvalidSprintError, type Issue } from '../model/errors.js';
import type { Task } from '../model/sprint.js';
import { nearMiss } from '../stores/directory/field-cursor.js';
import type { LineLocator, YamlPath } from '../stores/directory/yaml-source.js';
import { M42WorkflowNotFoundError } from './import-error.js';
import { compileM42Phases } from './m42-workflow.js';
import { type Doc, fieldOf, isDoc, type M42Workflow, str } from './m42-workflow-issues.js';

/** One task of a converted m42 sprint, and whether m42 had finished it. */
export interface M42Task {
  task: Task;
  done: boolean;
  completedAt?: string;
}

/** An m42 workflow-format sprint, converted. */
export interface M42Conversion {
  sprintId: string;
  name: string;
  created?: string;
  workflow: string;
  /** Copied from the m42 SPRINT.yaml's `config` (max-tasks, time-box, auto-commit). */
  config: Record<string, unknown>;
  /**
   * In execution order; each depends on the one before it, but a `parallel:` phase, which
   * nothing after it waits for until a `wait-for-parallel:` phase.
   */
  tasks: M42Task[];
  /** Ids of the tasks of `parallel:` phases (they may run beside the tasks after them). */
  parallel: string[];
  /** Ids of the tasks after which the run pauses (`pause-after`), one per `break:` phase. */
  breaks: string[];
  /** Whether the phases came from m42's compiled PROGRESS.yaml (otherwise: compiled here from the workflows). */
  fromProgress: boolean;
}

/** Whether a parsed SPRINT.yaml (or PROGRESS.yaml) is in m42's workflow format. */
export function isM42WorkflowSprint(sprint: unknown, progress?: unknown): boolean {
  if (isDoc(sprint) && (typeof sprint.workflow === 'string' || isDoc(sprint.collections)))
    return true;
  return isDoc(progress) && Array.isArray(progress.phases) && !Array.isArray(progress.queue);
}

/** m42 ids may hold characters a task id cannot: keep letters, digits, ".", "_" and "-". */
function taskId(raw: string, taken: Set<string>): string {
  const base = raw.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'step';
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
  taken.add(id);
  return id;
}

const DONE = new Set(['completed', 'skipped']);

/**
 * The keys of a compiled phase, step or sub-phase that change what the import
 * makes. m42 writes many more (times, summaries, counters), so only a key one
 * letter or a separator off one of these is reported (`brek: true`).
 */
const PROGRESS_PHASE_FLAGS = [
  'id',
  'status',
  'prompt',
  'model',
  'steps',
  'phases',
  'parallel',
  'wait-for-parallel',
  'break',
  'gate',
  'completed-at',
];

/** Where the m42 sprint's files are, and the workflows read for it. */
export interface M42ConvertOptions {
  dirName: string;
  sprintFile: string;
  progressFile: string;
  /** Lines of SPRINT.yaml's fields, for errors. */
  locateSprint?: LineLocator;
  /** Lines of PROGRESS.yaml's fields, for errors. */
  locateProgress?: LineLocator;
  /** The workflows SPRINT.yaml reaches, by name; needed when there is no compiled PROGRESS.yaml. */
  workflows?: ReadonlyMap<string, M42Workflow>;
  /** The `.claude/workflows/` folder they came from; undefined when none was found. */
  workflowsDir?: string;
}

/** m42's sprint id when SPRINT.yaml has none: the folder's name, with today's date in front unless it has one. */
function defaultSprintId(dirName: string): string {
  return /^\d{4}-\d{2}-\d{2}_/.test(dirName)
    ? dirName
    : `${new Date().toISOString().slice(0, 10)}_${dirName}`;
}

/** A script for `verify` that passes when both pass. */
const both = (a: string, b: string) => `(\n${a}\n) && (\n${b}\n)`;

/**
 * Converts an m42 workflow-format sprint to `sprint` tasks (pure). The
 * phases come from the compiled PROGRESS.yaml, or without one are compiled
 * here from SPRINT.yaml and its workflows as m42 compiles them
 * (`compileM42Phases`). Every leaf phase becomes a task in order: top-level
 * phases as they are, a for-each phase's steps with each step's own phases
 * flattened (`<step>-<phase>`, or `<step>` when the step has one phase). Each
 * task depends on the one before it, keeps its `model`, and takes a gate's
 * script as `verify` (a for-each phase's gate, which m42 runs after all its
 * steps, goes to its last task); `completed` and `skipped` phases are finished.
 * As m42 runs them: a `parallel: true` phase of a step depends on the task
 * before it, but nothing after it waits for it (m42 runs it in the background)
 * until a `wait-for-parallel: true` phase, whose first task depends on every
 * such task not yet waited for; a `break: true` phase's last task gets
 * `pause-after: true`, so the run pauses there for review (m42's
 * paused-at-breakpoint) until `sprint resume`.
 *
 * @throws M42WorkflowNotFoundError when a workflow it needs is not there.
 * @throws InvalidSprintError when the files cannot be used as written.
 */
export function convertM42Sprint(
  sprint: unknown,
  progress: unknown,
  options: M42ConvertOptions,
): M42Conversion {
  const issues: Issue[] = [];
  if (!isDoc(sprint)) {
    throw new InvalidSprintError([
      {
        file: options.sprintFile,
        message: 'is not a YAML map',
        fix: 'point --from-m42 at an m42 sprint directory',
      },
    ]);
  }
  const locate = options.locateSprint ?? (() => undefined);
  const refuse = (field: string, message: string, fix: string) =>
    new InvalidSprintError([
      { file: options.sprintFile, line: locate([field]), field, message, fix },
    ]);
  const workflow = str(sprint.workflow);
  if (!workflow) {
    throw refuse(
      'workflow',
      'has no workflow: this is not an m42 workflow-format sprint',
      'a sprint in the original plugin format (queue in PROGRESS.yaml) runs as it is: sprint run DIR',
    );
  }
  const sprintModel = str(sprint.model);
  const collections = isDoc(sprint.collections) ? sprint.collections : {};
  /** Each collection item's model by id, to keep a step's `model` where the compiled phase has none. */
  const itemModel = new Map<string, string>();
  let items = 0;
  for (const list of Object.values(collections)) {
    if (!Array.isArray(list)) continue;
    items += list.length;
    for (const item of list) {
      if (isDoc(item) && str(item.id) && str(item.model))
        itemModel.set(String(item.id), String(item.model));
    }
  }

  let phases = isDoc(progress) && Array.isArray(progress.phases) ? progress.phases : undefined;
  const fromProgress = phases !== undefined;
  const phasesFile = fromProgress ? options.progressFile : options.sprintFile;
  if (!phases) {
    if (items === 0) {
      throw refuse(
        'collections',
        'has no steps to convert',
        'add items with a prompt under collections.step in SPRINT.yaml',
      );
    }
    const compiled = compileM42Phases({
      sprint,
      sprintFile: options.sprintFile,
      locateSprint: locate,
      sprintId: str(sprint['sprint-id']) ?? defaultSprintId(options.dirName),
      workflows: options.workflows ?? new Map(),
      workflowsDir: options.workflowsDir,
    });
    if (compiled.missing.length) throw new M42WorkflowNotFoundError(compiled.missing);
    if (compiled.issues.length) throw new InvalidSprintError(compiled.issues);
    phases = compiled.phases;
  }

  const taken = new Set<string>();
  const tasks: M42Task[] = [];
  /** The task the next one depends on: the last that is not a `parallel:` phase. */
  let head: M42Task | undefined;
  /** `parallel:` tasks nothing has waited for yet. */
  let background: string[] = [];
  /** A `wait-for-parallel:` phase: its first task also waits for the background. */
  let join = false;
  const parallel: string[] = [];
  const add = (
    rawId: string,
    title: string,
    prompt: string | undefined,
    status: unknown,
    model: string | undefined,
    gate: unknown,
    completedAt: unknown,
    where: string,
    inBackground = false,
  ) => {
    if (!prompt) {
      issues.push({
        file: phasesFile,
        field: where,
        message: `"${rawId}" has no prompt`,
        fix: 'give it a prompt, or remove it',
      });
      return;
    }
    const id = taskId(rawId, taken);
    const dependsOn = head ? [head.task.id] : [];
    if (join) {
      dependsOn.push(...background);
      background = [];
      join = false;
    }
    tasks.push({
      task: {
        id,
        type: 'custom',
        title,
        description: prompt,
        priority: 'medium',
        dependsOn,
        fields: {
          'done-when': "the prompt's work is done",
          ...(model ? { model } : {}),
          'm42-id': rawId,
        },
      },
      done: typeof status === 'string' && DONE.has(status),
      ...(typeof completedAt === 'string' ? { completedAt } : {}),
    });
    const added = tasks.at(-1)!;
    gateTo(added, gate);
    if (inBackground) {
      background.push(id);
      parallel.push(id);
    } else {
      head = added;
    }
  };
  const breaks: string[] = [];
  /** m42 pauses after a `break:` phase is done: the run pauses after its last task (`pause-after`). */
  const breakAfter = (task: M42Task | undefined) => {
    if (!task || task.task.fields['pause-after'] === true) return;
    task.task.fields['pause-after'] = true;
    breaks.push(task.task.id);
  };

  const locateProgress = options.locateProgress ?? (() => undefined);
  /** A key of a compiled phase that is a slip of one the import reads. */
  const checkFlags = (doc: Doc, path: YamlPath) => {
    if (!fromProgress) return;
    for (const key of Object.keys(doc)) {
      const near = nearMiss(key, PROGRESS_PHASE_FLAGS, 4);
      if (!near) continue;
      const at = [...path, key];
      issues.push({
        file: phasesFile,
        line: locateProgress(at),
        field: fieldOf(at),
        message: `unknown key "${key}", which m42 would ignore`,
        fix: `did you mean ${near}? rename it to ${near}`,
      });
    }
  };

  phases.forEach((phase, i) => {
    const where = `phases[${i}]`;
    if (isDoc(phase)) {
      checkFlags(phase, ['phases', i]);
      (Array.isArray(phase.steps) ? phase.steps : []).forEach((step, j) => {
        if (!isDoc(step)) return;
        checkFlags(step, ['phases', i, 'steps', j]);
        (Array.isArray(step.phases) ? step.phases : []).forEach((sp, k) => {
          if (isDoc(sp)) checkFlags(sp, ['phases', i, 'steps', j, 'phases', k]);
        });
      });
    }
    if (!isDoc(phase)) {
      issues.push({ file: phasesFile, field: where, message: 'is not a map' });
      return;
    }
    const phaseId = str(phase.id) ?? `phase-${i + 1}`;
    if (phase['wait-for-parallel'] === true && background.length) join = true;
    if (Array.isArray(phase.steps)) {
      const before = tasks.length;
      const headBefore = head;
      phase.steps.forEach((step, j) => {
        if (!isDoc(step)) return;
        const stepId = str(step.id) ?? `${phaseId}-${j + 1}`;
        const stepModel = str(step.model) ?? itemModel.get(stepId) ?? sprintModel;
        const sub = Array.isArray(step.phases) ? step.phases.filter(isDoc) : [];
        if (sub.length === 0) {
          add(
            stepId,
            stepId,
            str(step.prompt),
            step.status,
            stepModel,
            step.gate,
            step['completed-at'],
            `${where}.steps[${j}]`,
          );
          return;
        }
        sub.forEach((sp, k) => {
          const spId = str(sp.id) ?? `phase-${k + 1}`;
          add(
            sub.length === 1 ? stepId : `${stepId}-${spId}`,
            sub.length === 1 ? stepId : `${stepId}: ${spId}`,
            str(sp.prompt),
            sp.status,
            str(sp.model) ?? stepModel,
            sp.gate,
            sp['completed-at'],
            `${where}.steps[${j}].phases[${k}]`,
            sp.parallel === true,
          );
        });
      });
      // Its gate and break come after its steps: on the last task the ones after it wait for.
      const last = head !== headBefore ? head : tasks.length > before ? tasks.at(-1) : undefined;
      if (last) gateTo(last, phase.gate);
      if (phase.break === true) breakAfter(last);
      return;
    }
    add(
      phaseId,
      phaseId,
      str(phase.prompt),
      phase.status,
      str(phase.model) ?? sprintModel,
      phase.gate,
      phase['completed-at'],
      where,
    );
    if (phase.break === true && str(phase.prompt)) breakAfter(tasks.at(-1));
  });
  if (issues.length === 0 && tasks.length === 0) {
    issues.push({
      file: phasesFile,
      field: fromProgress ? 'phases' : 'collections',
      message: 'has no steps to convert',
      fix: 'add items with a prompt under collections.step in SPRINT.yaml',
    });
  }
  if (issues.length) throw new InvalidSprintError(issues);

  const config: Record<string, unknown> = {};
  if (isDoc(sprint.config)) {
    for (const key of ['max-tasks', 'time-box', 'auto-commit']) {
      if (sprint.config[key] !== undefined) config[key] = sprint.config[key];
    }
  }
  return {
    sprintId: str(sprint['sprint-id']) ?? options.dirName,
    name: str(sprint.name) ?? str(sprint['sprint-id']) ?? options.dirName,
    ...(str(sprint.created) ? { created: String(sprint.created) } : {}),
    workflow,
    config,
    tasks,
    parallel,
    breaks,
    fromProgress,
  };
}

/** Makes an m42 gate's script (a shell command) the task's `verify`, or part of it. */
function gateTo({ task }: M42Task, gate: unknown): void {
  const script = isDoc(gate) ? str(gate.script) : undefined;
  if (!script) return;
  task.fields['done-when'] = task.verify
    ? "the prompt's work is done and both gate scripts in verify pass"
    : `the prompt's work is done and \`${script.split('\n')[0]}\` passes`;
  task.verify = task.verify ? both(task.verify, script) : script;
}
