import type { Issue } from '../model/errors.js';
import { didYouMean } from '../stores/directory/field-cursor.js';
import type { LineLocator, YamlPath } from '../stores/directory/yaml-source.js';

export type Doc = Record<string, unknown>;
export const isDoc = (v: unknown): v is Doc =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
export const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() ? v : undefined;

/** An m42 workflow file (`.claude/workflows/<name>.yaml`), read. */
export interface M42Workflow {
  file: string;
  doc: unknown;
  locate: LineLocator;
}

/**
 * The keys of a workflow's phase that m42 reads (its compiler's `WorkflowPhase`,
 * and the workflows in its repository): anything else is ignored by m42 too,
 * so a slip (`brek: true`) would silently change what runs.
 */
const PHASE_KEYS = [
  'id',
  'prompt',
  'description',
  'for-each',
  'collection',
  'workflow',
  'model',
  'parallel',
  'wait-for-parallel',
  'break',
  'gate',
] as const;

/** `phases[2].gate.script` from `['phases', 2, 'gate', 'script']`. */
export function fieldOf(path: YamlPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** What keeps m42 from using SPRINT.yaml's collections: each must be a list of items with a prompt. */
export function sprintItemIssues(sprint: Doc, file: string, locate: LineLocator): Issue[] {
  const issues: Issue[] = [];
  const sprintIssue = (path: YamlPath, message: string, fix: string) =>
    issues.push({ file, line: locate(path), field: fieldOf(path), message, fix });
  const collections = isDoc(sprint.collections) ? sprint.collections : undefined;
  if (!collections) {
    sprintIssue(
      ['collections'],
      'has no collections',
      'add collections: with step: and a list of items with a prompt',
    );
  }
  for (const [name, items] of Object.entries(collections ?? {})) {
    if (items === null || items === undefined) continue;
    if (!Array.isArray(items)) {
      sprintIssue(
        ['collections', name],
        'is not a list',
        `write ${name}: as a list of - prompt: <text>`,
      );
      continue;
    }
    items.forEach((item, i) => {
      if (!isDoc(item)) {
        sprintIssue(['collections', name, i], 'is not a map', 'write the item as - prompt: <text>');
      } else if (!str(item.prompt)) {
        sprintIssue(
          ['collections', name, i, 'prompt'],
          `${str(item.id) ? `"${item.id}" ` : ''}has no prompt`,
          'give it a prompt, or remove it',
        );
      }
    });
  }
  return issues;
}

/**
 * What keeps m42 from using a workflow file. `strict` for the sprint's
 * workflow and those its phases name (m42 validates those); an item's own
 * workflow only has to be phases with ids.
 */
export function workflowIssues(wf: M42Workflow, strict: boolean): Issue[] {
  const issues: Issue[] = [];
  const at = (path: YamlPath, message: string, fix: string) =>
    issues.push({ file: wf.file, line: wf.locate(path), field: fieldOf(path), message, fix });
  const doc = wf.doc;
  if (!isDoc(doc)) {
    issues.push({
      file: wf.file,
      line: 1,
      message: 'is not a YAML map',
      fix: 'an m42 workflow holds name: and phases: (a list of - id: ... prompt: ...)',
    });
    return issues;
  }
  if (strict && !str(doc.name)) at(['name'], 'has no name', 'add name: <a title> (m42 needs one)');
  if (!Array.isArray(doc.phases) || doc.phases.length === 0) {
    at(['phases'], 'has no phases', 'add phases: with at least one - id: <id> and prompt: <text>');
    return issues;
  }
  const ids = new Set<string>();
  doc.phases.forEach((phase, i) => {
    const p = (...rest: YamlPath) => ['phases', i, ...rest];
    if (!isDoc(phase)) {
      at(p(), 'is not a map', 'write the phase as - id: <id> with prompt: <text>');
      return;
    }
    for (const key of Object.keys(phase)) {
      if ((PHASE_KEYS as readonly string[]).includes(key)) continue;
      const guess = didYouMean(key, PHASE_KEYS);
      at(
        p(key),
        `unknown key "${key}" in an m42 workflow phase, which m42 would ignore`,
        guess
          ? `did you mean ${guess}? rename it to ${guess}`
          : `remove it; a phase takes ${PHASE_KEYS.join(', ')}`,
      );
    }
    const id = str(phase.id);
    if (!id) at(p('id'), 'has no id', 'give the phase an id: <name>');
    else if (ids.has(id))
      at(p('id'), `repeats the phase id "${id}"`, 'give each phase of a workflow its own id');
    else ids.add(id);
    if (strict && !str(phase.prompt) && !str(phase['for-each']) && !str(phase.workflow)) {
      at(p(), 'has no prompt, for-each or workflow', 'give the phase a prompt: <text>');
    }
    if (strict && str(phase.prompt) && str(phase.workflow)) {
      at(p('workflow'), 'has both prompt and workflow', 'keep one of the two');
    }
    for (const key of ['for-each', 'collection', 'workflow', 'model'] as const) {
      if (phase[key] !== undefined && !str(phase[key]))
        at(p(key), `must be a non-empty string`, `write ${key}: <name>, or remove it`);
    }
    for (const key of ['parallel', 'wait-for-parallel', 'break'] as const) {
      if (phase[key] !== undefined && typeof phase[key] !== 'boolean')
        at(p(key), 'must be true or false', `write ${key}: true, or remove it`);
    }
    if (phase.gate !== undefined) {
      const gate = phase.gate;
      if (!isDoc(gate) || !str(gate.script)) {
        at(p('gate', 'script'), 'has no script', 'give the gate a script: <shell command>');
      } else if (!isDoc(gate['on-fail']) || !str(gate['on-fail'].prompt)) {
        at(
          p('gate', 'on-fail'),
          'has no on-fail prompt',
          'add on-fail: with prompt: <what to do when the script fails>',
        );
      }
    }
  });
  return issues;
}
