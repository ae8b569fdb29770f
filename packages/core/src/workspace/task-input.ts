import { parse } from 'yaml';
import { InvalidSprintError, type Issue } from '../model/errors.js';
import { COMMON_TASK_FIELDS, TASK_TYPE_FIELDS, type Task } from '../model/sprint.js';
import { validateTasks } from '../model/validate.js';
import { didYouMean } from '../stores/directory/field-cursor.js';
import { taskFromYaml } from '../stores/directory/index.js';
import {
  type LineLocator,
  readYamlSource,
  type YamlPath,
} from '../stores/directory/yaml-source.js';

/** A task's own agent and model, over the sprint's choice for its type. */
const AGENT_FIELDS = ['agent', 'model'] as const;

/**
 * A task from a type and its fields as written on a command line or in a
 * request (`{ 'issue-number': 42 }`), with each original type's required
 * fields checked and the id made by the type's convention when not given.
 */
export function taskFromFields(
  type: string,
  fields: Record<string, unknown>,
  source = 'the command line',
): Task {
  const spec = TASK_TYPE_FIELDS[type];
  if (spec) {
    // The original types take the common fields, their own, and the task's own agent and
    // model: anything else is a slip (`priorty`), never a silently stored field. Your own
    // types take any field.
    const known = [...COMMON_TASK_FIELDS, ...spec.required, ...spec.optional, ...AGENT_FIELDS];
    const unknown = Object.keys(fields).filter((f) => !(known as readonly string[]).includes(f));
    if (unknown.length) {
      throw new InvalidSprintError(
        unknown.map((f) => {
          const guess = didYouMean(f, known);
          return {
            file: source,
            field: f,
            message: `unknown field "${f}" for a ${type} task${guess ? ` (did you mean "${guess}"?)` : ''}`,
            suggestion: guess,
            fix: `${type} takes ${[...spec.required, ...spec.optional.map((o) => `[${o}]`)].join(', ')}, and every type takes ${[...COMMON_TASK_FIELDS.filter((c) => c !== 'type'), ...AGENT_FIELDS].join(', ')}`,
          };
        }),
      );
    }
  }
  const task = taskFromYaml({ ...fields, type }, { file: source, field: 'task' });
  if (spec) {
    const issues: Issue[] = spec.required
      .filter(
        (f) => task.fields[f] === undefined || task.fields[f] === null || task.fields[f] === '',
      )
      .map((f) => ({
        file: source,
        field: f,
        message: `a ${type} task needs "${f}"`,
        fix: `give --${f} <value> (required for ${type}: ${spec.required.join(', ')})`,
      }));
    if (issues.length) throw new InvalidSprintError(issues);
  }
  return task;
}

/**
 * Tasks from a YAML file: a list of tasks, or a map with `tasks:` (or `queue:`).
 * `agents`: the agent names a task's own `agent:` may give; another one is refused
 * with its line here, as `sprint add --agent` refuses it, rather than stored to fail the run.
 */
export function parseTasksFile(
  text: string,
  file: string,
  options: { agents?: readonly string[] } = {},
): Task[] {
  let doc: unknown;
  try {
    doc = parse(text, { prettyErrors: true });
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
  const list = Array.isArray(doc)
    ? doc
    : doc && typeof doc === 'object'
      ? ((doc as Record<string, unknown>).tasks ?? (doc as Record<string, unknown>).queue)
      : undefined;
  if (!Array.isArray(list)) {
    throw new InvalidSprintError([
      {
        file,
        message: 'expected a list of tasks, or a map with a "tasks" list',
        fix: 'write "tasks:" followed by "- id: ..." entries',
      },
    ]);
  }
  const issues: Issue[] = [];
  const tasks: Task[] = [];
  const source = readYamlSource(text, file);
  /** Under `tasks:` (or `queue:`), or the bare list: messages say `tasks[i]` for each. */
  const listKey: YamlPath = Array.isArray(doc)
    ? []
    : (doc as Record<string, unknown>).tasks !== undefined
      ? ['tasks']
      : ['queue'];
  const locate: LineLocator = (path) => source.locate([...listKey, ...path.slice(1)]);
  /** The line of a task's field, else of the task. */
  const lineOf = (i: number, field?: string) =>
    (field ? locate(['tasks', i, field]) : undefined) ?? locate(['tasks', i]);
  /** Each read task's index in the file's list. */
  const indexOf: number[] = [];
  list.forEach((raw, i) => {
    try {
      const task = taskFromYaml(raw, { file, field: `tasks[${i}]`, path: ['tasks', i], locate });
      const spec = TASK_TYPE_FIELDS[task.type];
      for (const f of spec?.required ?? []) {
        const v = task.fields[f];
        if (v === undefined || v === null || v === '') {
          issues.push({
            file,
            line: lineOf(i),
            field: `tasks[${i}].${f}`,
            message: `task "${task.id}" of type ${task.type} has no "${f}"`,
            fix: `add "${f}" (required for ${task.type}: ${spec?.required.join(', ')})`,
          });
        }
      }
      const agent = task.fields.agent;
      if (options.agents && agent !== undefined && !options.agents.includes(String(agent))) {
        const guess = didYouMean(String(agent), options.agents);
        issues.push({
          file,
          line: lineOf(i, 'agent'),
          field: `tasks[${i}].agent`,
          message: `task "${task.id}" names unknown agent "${String(agent)}"${guess ? ` (did you mean "${guess}"?)` : ''}`,
          suggestion: guess,
          fix: `use one of: ${options.agents.join(', ')}`,
        });
      }
      tasks.push(task);
      indexOf.push(i);
    } catch (error) {
      if (error instanceof InvalidSprintError) issues.push(...error.issues);
      else throw error;
    }
  });
  // A type one letter off a built-in one, and a cycle among the file's own tasks, are slips
  // in this file: say so here, with the line (the store would name neither file nor line).
  // A dependency on a task the file lacks may be on one the sprint has: the store decides.
  for (const { index, taskId: _, ...problem } of validateTasks(tasks)) {
    const i = indexOf[index]!;
    if (problem.field === 'type') {
      issues.push({ ...problem, file, line: lineOf(i, 'type'), field: `tasks[${i}].type` });
    } else if (problem.field === 'depends-on' && !problem.message.includes('not a task of')) {
      issues.push({
        ...problem,
        file,
        line: lineOf(i, 'depends-on'),
        field: `tasks[${i}].depends-on`,
      });
    }
  }
  // The same id twice in one file is a slip: say where, rather than keep one silently.
  const firstAt = new Map<string, number>();
  tasks.forEach((t, n) => {
    const i = indexOf[n]!;
    const first = firstAt.get(t.id);
    if (first === undefined) firstAt.set(t.id, i);
    else
      issues.push({
        file,
        line: lineOf(i),
        field: `tasks[${i}].id`,
        message: `task id "${t.id}" appears twice in this file (entries ${first + 1} and ${i + 1})`,
        fix: 'give each task its own id, or remove one of the two',
      });
  });
  if (issues.length) throw new InvalidSprintError(issues);
  return tasks;
}

/**
 * The problem of a task whose own `agent:` names an agent nobody provides, located in the
 * sprint file that holds the task (`source`, PROGRESS.yaml as written) when it is given:
 * its line and path (`queue[0].agent`), a did-you-mean, and a fix that says which file.
 */
export function unknownTaskAgentIssue(
  taskId: string,
  agent: string,
  known: readonly string[],
  source?: { file: string; text: string },
): Issue {
  const guess = didYouMean(agent, known);
  const name = source?.file.split(/[\\/]/).pop();
  let line: number | undefined;
  let field = `task ${taskId} agent`;
  if (source) {
    const yaml = readYamlSource(source.text, source.file);
    // The task is in one of the file's lists (queue, completed, blocked...), by its id.
    const lists = yaml.value && typeof yaml.value === 'object' ? Object.entries(yaml.value) : [];
    for (const [key, list] of lists) {
      if (!Array.isArray(list)) continue;
      const i = list.findIndex(
        (t) => t && typeof t === 'object' && (t as { id?: unknown }).id === taskId,
      );
      if (i < 0) continue;
      line = yaml.locate([key, i, 'agent']);
      field = `${key}[${i}].agent`;
      break;
    }
  }
  return {
    file: source?.file,
    line,
    field,
    message: `task "${taskId}" names unknown agent "${agent}"${guess ? ` (did you mean "${guess}"?)` : ''}`,
    suggestion: guess,
    fix: `${name ? `in ${name}, set` : 'set'} the task's agent to one of ${known.join(', ')}, or remove it (the sprint's config.agent then decides); or pick one agent for a run with --agent NAME`,
  };
}
