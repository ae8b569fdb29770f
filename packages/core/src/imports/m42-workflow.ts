import type { Issue } from '../model/errors.js';
import type { LineLocator, YamlPath } from '../stores/directory/yaml-source.js';
import {
  type Doc,
  fieldOf,
  isDoc,
  type M42Workflow,
  sprintItemIssues,
  str,
  workflowIssues,
} from './m42-workflow-issues.js';

/** A workflow name written in a file: what the loader reads, and where a missing one is reported. */
export interface M42WorkflowRef {
  name: string;
  path: YamlPath;
}

/** What `compileM42Phases` needs: the SPRINT.yaml and the workflows it reaches. */
export interface M42CompileInput {
  sprint: Doc;
  sprintFile: string;
  locateSprint: LineLocator;
  /** `{{sprint.id}}`: the sprint-id, else (as m42 does) the folder name with a date in front. */
  sprintId: string;
  /** By the name SPRINT.yaml and the workflow files use for them. */
  workflows: ReadonlyMap<string, M42Workflow>;
  /** The `.claude/workflows/` folder they came from; undefined when none was found. */
  workflowsDir: string | undefined;
}

/** The phases as m42's compiler writes them into PROGRESS.yaml, or why they could not be made. */
export interface M42Compiled {
  phases: Doc[];
  /** Workflows named but not found. */
  missing: Issue[];
  /** Everything else that keeps m42 from compiling the sprint. */
  issues: Issue[];
}

/** m42's limit on workflows referring to workflows. */
const MAX_DEPTH = 5;
/** What m42 runs per item when neither the item nor its phase names a workflow. */
const MINIMAL: Doc = { phases: [{ id: 'execute', prompt: '{{item.prompt}}' }] };

/** The workflows a SPRINT.yaml names: its `workflow` and each collection item's. */
export function sprintWorkflowRefs(sprint: unknown): M42WorkflowRef[] {
  if (!isDoc(sprint)) return [];
  const refs: M42WorkflowRef[] = [];
  if (str(sprint.workflow)) refs.push({ name: String(sprint.workflow), path: ['workflow'] });
  for (const [name, items] of Object.entries(isDoc(sprint.collections) ? sprint.collections : {})) {
    if (!Array.isArray(items)) continue;
    items.forEach((item, i) => {
      if (isDoc(item) && str(item.workflow))
        refs.push({ name: String(item.workflow), path: ['collections', name, i, 'workflow'] });
    });
  }
  return refs;
}

/** The workflows a workflow's phases name. */
export function workflowRefs(workflow: unknown): M42WorkflowRef[] {
  const phases = isDoc(workflow) && Array.isArray(workflow.phases) ? workflow.phases : [];
  return phases.flatMap((phase, i) =>
    isDoc(phase) && str(phase.workflow)
      ? [{ name: String(phase.workflow), path: ['phases', i, 'workflow'] }]
      : [],
  );
}

interface TemplateContext {
  sprint: { id: string; name?: string };
  item?: Doc & { type: string };
  phase?: { id: string; index: number };
}

/**
 * m42's placeholders: `{{item.<prop>}}` and `{{<type>.<prop>}}` (the for-each
 * type, e.g. `{{step.prompt}}`) from the item, `{{phase.id}}`,
 * `{{phase.index}}`, `{{sprint.id}}`, `{{sprint.name}}`; an item property
 * that is not there becomes empty, any other placeholder stays as written.
 */
function substitute(template: string, ctx: TemplateContext): string {
  let text = template;
  const { item, phase, sprint } = ctx;
  if (item) {
    const value = (_: string, prop: string) => (item[prop] === undefined ? '' : String(item[prop]));
    text = text.replace(/\{\{item\.(\w+)\}\}/g, value);
    const type = item.type.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    text = text.replace(new RegExp(`\\{\\{${type}\\.(\\w+)\\}\\}`, 'g'), value);
  }
  if (phase) {
    text = text.replace(/\{\{phase\.id\}\}/g, () => phase.id);
    text = text.replace(/\{\{phase\.index\}\}/g, () => String(phase.index));
  }
  text = text.replace(/\{\{sprint\.id\}\}/g, () => sprint.id);
  if (sprint.name) text = text.replace(/\{\{sprint\.name\}\}/g, () => sprint.name!);
  return text;
}

/**
 * Compiles an m42 SPRINT.yaml with its workflows into the phases m42's own
 * compiler (`plugins/m42-sprint/compiler`) writes into PROGRESS.yaml, with
 * its semantics: a phase with `for-each: <type>` becomes one step per item
 * of the collection (`collection:`, else the type), each step the phases of
 * the item's `workflow`, else the phase's, else the first such workflow of
 * that collection, else one `execute` phase with the item's prompt; a step
 * is the item's `id`, else `<type>-<index>`. A phase with only `workflow:`
 * is replaced by that workflow's phases, ids prefixed `<phase>-`. Models:
 * item, then phase, then the sprint's, then the sprint workflow's. Gates are
 * kept on the phases m42 keeps them on (not on phases of a referenced
 * workflow).
 */
export function compileM42Phases(input: M42CompileInput): M42Compiled {
  const { sprint, workflows } = input;
  const missing: Issue[] = [];
  const issues: Issue[] = [];
  const reported = new Set<string>();
  const checked = new Set<string>();

  /** A workflow by name, checked once; undefined (and reported) when missing or invalid. */
  const workflow = (
    name: string,
    from: { file: string; locate: LineLocator; path: YamlPath },
    strict: boolean,
  ): Doc | undefined => {
    const wf = workflows.get(name);
    if (!wf) {
      const key = `${name}\0${from.file}\0${fieldOf(from.path)}`;
      if (!reported.has(key)) {
        reported.add(key);
        missing.push({
          file: from.file,
          line: from.locate(from.path),
          field: fieldOf(from.path),
          message: input.workflowsDir
            ? `names the m42 workflow "${name}", but ${input.workflowsDir} has no ${name}.yaml`
            : `names the m42 workflow "${name}", but there is no .claude/workflows/ folder in the sprint's folder or any folder above it`,
          fix: input.workflowsDir
            ? `copy ${name}.yaml from the m42 project the sprint comes from into ${input.workflowsDir}, or name a workflow that is there`
            : `import the sprint from inside its m42 project (the folder holding .claude/workflows/${name}.yaml)`,
        });
      }
      return undefined;
    }
    if (!checked.has(name)) {
      checked.add(name);
      const found = workflowIssues(wf, strict);
      issues.push(...found);
      if (found.length) return undefined;
    }
    return isDoc(wf.doc) && Array.isArray(wf.doc.phases) ? wf.doc : undefined;
  };
  const inSprint = (path: YamlPath) => ({
    file: input.sprintFile,
    locate: input.locateSprint,
    path,
  });
  const inWorkflow = (name: string, path: YamlPath) => {
    const wf = workflows.get(name)!;
    return { file: wf.file, locate: wf.locate, path };
  };
  const collections = isDoc(sprint.collections) ? sprint.collections : undefined;
  issues.push(...sprintItemIssues(sprint, input.sprintFile, input.locateSprint));

  const mainName = String(sprint.workflow);
  const main = workflow(mainName, inSprint(['workflow']), true);
  for (const ref of sprintWorkflowRefs(sprint)) {
    if (ref.path[0] === 'collections') workflow(ref.name, inSprint(ref.path), false);
  }
  if (!main || issues.length) return { phases: [], missing, issues };
  const mainPhases = (main.phases as unknown[]).filter(isDoc);
  const context: TemplateContext = {
    sprint: { id: input.sprintId, ...(str(sprint.name) ? { name: String(sprint.name) } : {}) },
  };
  const model = (...models: unknown[]) =>
    [...models, sprint.model, main.model].map(str).find((m) => m !== undefined);
  const gateOf = (phase: Doc) =>
    isDoc(phase.gate) && str(phase.gate.script) ? { gate: { script: phase.gate.script } } : {};
  /** The flags m42 carries into PROGRESS.yaml, each only where its compiler keeps it. */
  const flags = (phase: Doc, keys: readonly string[]) =>
    Object.fromEntries(keys.filter((k) => phase[k] !== undefined).map((k) => [k, phase[k]]));
  const TOP = ['wait-for-parallel', 'break'] as const;
  const collectionOf = (phase: Doc) => String(phase.collection ?? phase['for-each']);

  const workflowIssue = (name: string, path: YamlPath, message: string, fix: string) => {
    const wf = workflows.get(name)!;
    issues.push({ file: wf.file, line: wf.locate(path), field: fieldOf(path), message, fix });
  };
  // m42 checks every workflow a phase names, to any depth, before it expands any.
  const check = (name: string, trail: string[]) => {
    for (const ref of workflowRefs(workflows.get(name)!.doc)) {
      if (trail.includes(ref.name)) {
        workflowIssue(
          name,
          ref.path,
          `workflows refer to each other in a circle: ${[...trail, ref.name].join(' -> ')}`,
          'remove one of the references',
        );
      } else if (trail.length > MAX_DEPTH) {
        workflowIssue(
          name,
          ref.path,
          `workflows nest more than ${MAX_DEPTH} deep`,
          'inline one of them',
        );
      } else if (workflow(ref.name, inWorkflow(name, ref.path), true)) {
        check(ref.name, [...trail, ref.name]);
      }
    }
  };
  check(mainName, [mainName]);
  mainPhases.forEach((phase, i) => {
    const name = collectionOf(phase);
    if (str(phase['for-each']) && !(collections && name in collections)) {
      workflowIssue(
        mainName,
        ['phases', i, phase.collection === undefined ? 'for-each' : 'collection'],
        `iterates over the collection "${name}", which SPRINT.yaml does not have`,
        `add collections: ${name}: to SPRINT.yaml`,
      );
    }
  });
  if (missing.length || issues.length) return { phases: [], missing, issues };

  /** The workflow of each collection: the first for-each phase over it that names one. */
  const collectionWorkflow = new Map<string, string>();
  for (const phase of mainPhases) {
    if (
      str(phase['for-each']) &&
      str(phase.workflow) &&
      !collectionWorkflow.has(collectionOf(phase))
    )
      collectionWorkflow.set(collectionOf(phase), String(phase.workflow));
  }

  const expandReference = (name: string, prefix: string): Doc[] => {
    const out: Doc[] = [];
    for (const ref of (workflows.get(name)!.doc as Doc).phases as Doc[]) {
      const id = `${prefix}-${String(ref.id)}`;
      if (str(ref.workflow) && !str(ref['for-each'])) {
        out.push(...expandReference(String(ref.workflow), id));
      } else if (str(ref.prompt)) {
        const prompt = substitute(String(ref.prompt), {
          ...context,
          phase: { id, index: out.length },
        });
        out.push({
          id,
          status: 'pending',
          prompt,
          ...flags(ref, ['wait-for-parallel']),
          model: model(ref.model),
        });
      }
    }
    return out;
  };

  const phases: Doc[] = [];
  mainPhases.forEach((phase, i) => {
    const id = String(phase.id);
    if (str(phase['for-each'])) {
      const type = String(phase['for-each']);
      const name = collectionOf(phase);
      const items = (collections![name] ?? []) as Doc[];
      const steps = items.map((item, index) => {
        const stepId = str(item.id) ?? `${type}-${index}`;
        const own = str(item.workflow);
        const shared = str(phase.workflow) ?? collectionWorkflow.get(name);
        const flow = own
          ? workflow(own, inSprint(['collections', name, index, 'workflow']), false)
          : shared
            ? workflow(shared, inWorkflow(mainName, ['phases', i, 'workflow']), true)
            : MINIMAL;
        const itemContext = { ...item, id: stepId, index, type };
        return {
          id: stepId,
          prompt: item.prompt,
          status: 'pending',
          model: str(item.model),
          phases: ((flow?.phases ?? []) as Doc[]).map((sub, subIndex) => ({
            id: String(sub.id),
            status: 'pending',
            prompt: str(sub.prompt)
              ? substitute(String(sub.prompt), {
                  ...context,
                  item: itemContext,
                  phase: { id: String(sub.id), index: subIndex },
                })
              : `Execute phase: ${String(sub.id)}`,
            ...flags(sub, ['parallel']),
            model: model(item.model, sub.model),
            ...gateOf(sub),
          })),
        };
      });
      phases.push({ id, status: 'pending', steps, ...flags(phase, TOP), ...gateOf(phase) });
    } else if (str(phase.workflow)) {
      phases.push(...expandReference(String(phase.workflow), id));
    } else {
      const prompt = str(phase.prompt)
        ? substitute(String(phase.prompt), { ...context, phase: { id, index: 0 } })
        : `Execute phase: ${id}`;
      phases.push({
        id,
        status: 'pending',
        prompt,
        model: model(phase.model),
        ...flags(phase, TOP),
        ...gateOf(phase),
      });
    }
  });
  return { phases, missing, issues };
}
