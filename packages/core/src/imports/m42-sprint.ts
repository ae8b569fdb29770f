import { InvalidSprintError, type Issue } from '../model/errors.js';
import type { Task } from '../model/sprint.js';

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
  /** In execution order; each depends on the one before it. */
  tasks: M42Task[];
  /** Whether the phases came from the compiled PROGRESS.yaml (otherwise: one task per collection item). */
  fromProgress: boolean;
}

type Doc = Record<string, unknown>;
const isDoc = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v : undefined);

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
 * Converts an m42 workflow-format sprint to `sprint` tasks (pure). With a
 * compiled PROGRESS.yaml, every leaf phase becomes a task in order: top-level
 * phases as they are, a for-each phase's steps with each step's own phases
 * flattened (`<step>-<phase>`, or `<step>` when the step has one phase).
 * Without one, each collection item becomes a task. Each task depends on the
 * one before it, keeps its `model`, and takes a gate's script as `verify`;
 * `completed` and `skipped` phases are finished.
 */
export function convertM42Sprint(
  sprint: unknown,
  progress: unknown,
  options: { dirName: string; sprintFile: string; progressFile: string },
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
  const workflow = str(sprint.workflow);
  if (!workflow) {
    issues.push({
      file: options.sprintFile,
      field: 'workflow',
      message: 'has no workflow: this is not an m42 workflow-format sprint',
      fix: 'a sprint in the original plugin format (queue in PROGRESS.yaml) runs as it is: sprint run DIR',
    });
  }
  const sprintModel = str(sprint.model);
  const collections = isDoc(sprint.collections) ? sprint.collections : {};
  /** Each collection item's model by id, to keep a step's `model` where the compiled phase has none. */
  const itemModel = new Map<string, string>();
  for (const items of Object.values(collections)) {
    if (!Array.isArray(items)) continue;
    for (const item of items) {
      if (isDoc(item) && str(item.id) && str(item.model))
        itemModel.set(String(item.id), String(item.model));
    }
  }

  const taken = new Set<string>();
  const tasks: M42Task[] = [];
  const add = (
    rawId: string,
    title: string,
    prompt: string | undefined,
    status: unknown,
    model: string | undefined,
    gate: unknown,
    completedAt: unknown,
    where: string,
    file: string,
  ) => {
    if (!prompt) {
      issues.push({
        file,
        field: where,
        message: `"${rawId}" has no prompt`,
        fix: 'give it a prompt, or remove it',
      });
      return;
    }
    const id = taskId(rawId, taken);
    const script = isDoc(gate) ? str(gate.script) : undefined;
    const previous = tasks.at(-1)?.task.id;
    tasks.push({
      task: {
        id,
        type: 'custom',
        title,
        description: prompt,
        priority: 'medium',
        dependsOn: previous ? [previous] : [],
        ...(script ? { verify: script } : {}),
        fields: {
          'done-when': script
            ? `the prompt's work is done and \`${script.split('\n')[0]}\` passes`
            : "the prompt's work is done",
          ...(model ? { model } : {}),
          'm42-id': rawId,
        },
      },
      done: typeof status === 'string' && DONE.has(status),
      ...(typeof completedAt === 'string' ? { completedAt } : {}),
    });
  };

  const phases = isDoc(progress) && Array.isArray(progress.phases) ? progress.phases : undefined;
  if (phases) {
    phases.forEach((phase, i) => {
      const where = `phases[${i}]`;
      if (!isDoc(phase)) {
        issues.push({ file: options.progressFile, field: where, message: 'is not a map' });
        return;
      }
      const phaseId = str(phase.id) ?? `phase-${i + 1}`;
      if (Array.isArray(phase.steps)) {
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
              options.progressFile,
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
              options.progressFile,
            );
          });
        });
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
        options.progressFile,
      );
    });
  } else {
    for (const [name, items] of Object.entries(collections)) {
      if (!Array.isArray(items)) continue;
      items.forEach((item, i) => {
        if (!isDoc(item)) return;
        const id = str(item.id) ?? `${name}-${i + 1}`;
        add(
          id,
          id,
          str(item.prompt),
          item.status,
          str(item.model) ?? sprintModel,
          item.gate,
          undefined,
          `collections.${name}[${i}]`,
          options.sprintFile,
        );
      });
    }
  }
  if (issues.length === 0 && tasks.length === 0) {
    issues.push({
      file: phases ? options.progressFile : options.sprintFile,
      field: phases ? 'phases' : 'collections',
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
    workflow: workflow!,
    config,
    tasks,
    fromProgress: phases !== undefined,
  };
}
