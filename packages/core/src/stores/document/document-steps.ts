import type { Issue } from '../../model/errors.js';
import { slugify, TASK_ID_PATTERN } from '../../model/sprint.js';
import { type BodyLine, bodyLines, findSections, type SourceLine } from './markdown-lines.js';

/** One checkbox under a `### Phase N: <Name>` heading of the `## Tasks` section. */
export interface DocumentStep {
  /** Explicit `id:` metadata, else `p<phase>-<slug of the text>` (`-2`, `-3` for repeats). */
  id: string;
  phase: number;
  phaseName: string;
  /** Explicit `type:` metadata, else from the phase name (see `phaseType`). */
  type: string;
  /** The checkbox's text without the metadata comment. */
  text: string;
  /** `- [x]`: the step is already done. */
  checked: boolean;
  /** 1-based line number in the file. */
  line: number;
  verify?: string;
  dependsOn?: string[];
  /** Metadata keys other than type, id, verify and depends-on, as written. */
  metadata?: Record<string, string>;
}

/** A step as found, with the offset of the character between its brackets. */
interface LocatedStep extends DocumentStep {
  boxOffset: number;
}

const PHASE_TYPES: Readonly<Record<string, string>> = {
  planning: 'planning',
  plan: 'planning',
  implementation: 'implement',
  implement: 'implement',
  validation: 'validate',
  validate: 'validate',
  testing: 'test',
  test: 'test',
  tests: 'test',
  review: 'review',
};

/**
 * The step type a phase implies: Planning -> `planning`, Implementation ->
 * `implement`, Validation -> `validate`, Testing/Test -> `test`, Review ->
 * `review`, any other name slugified (`Data Migration` -> `data-migration`).
 */
export function phaseType(phaseName: string): string {
  return PHASE_TYPES[phaseName.trim().toLowerCase()] ?? slugify(phaseName);
}

const TASKS_TITLE = /^tasks$/i;
const PHASE_HEADING = /^phase\s+(\d+)\b\s*(?:[:.\u2013\u2014-]\s*)?(.*)$/i;
const CHECKBOX = /^([ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+\[)([ xX])\][ \t]+(\S.*)$/;
const TRAILING_COMMENT = /[ \t]*<!--((?:(?!-->).)*)-->[ \t]*$/;
const META_KEY = /^[A-Za-z][\w-]*[ \t]*:(?:\s|$)/;
const META_SPLIT = /;\s*(?=[A-Za-z][\w-]*[ \t]*:(?:\s|$))/;

interface StepMeta {
  id?: string;
  type?: string;
  verify?: string;
  dependsOn?: string[];
  other: Record<string, string>;
}

/**
 * Reads the metadata comment of a step: `key: value` pairs separated by `;`.
 * A `;` splits only where the next `key:` begins, so `verify: a; b` keeps
 * its shell `;`. A comment that does not start with `key:` is a plain note.
 */
function parseMeta(comment: string): StepMeta {
  const meta: StepMeta = { other: {} };
  const body = comment.trim();
  if (!META_KEY.test(body)) return meta;
  for (const part of body.split(META_SPLIT)) {
    const match = /^([A-Za-z][\w-]*)[ \t]*:\s*([\s\S]*?)[\s;]*$/.exec(part.trim());
    if (!match) continue;
    const key = match[1]!;
    const value = match[2]!;
    switch (normalizeKey(key)) {
      case 'id':
        meta.id = value;
        break;
      case 'type':
        meta.type = value;
        break;
      case 'verify':
        meta.verify = value;
        break;
      case 'depends-on':
        meta.dependsOn = value.split(/[\s,]+/).filter((d) => d !== '');
        break;
      default:
        meta.other[key] = value;
    }
  }
  return meta;
}

function normalizeKey(key: string): string {
  return key
    .replace(/([a-z])([A-Z])/g, '$1-$2')
    .replace(/_/g, '-')
    .toLowerCase();
}

export interface StepScan {
  steps: LocatedStep[];
  issues: Issue[];
  /** Why there are no steps, when there are none. */
  empty?: Issue;
}

/**
 * Finds every step of the document and gives each its id. Problems with the
 * steps (duplicate or malformed ids, empty types, unknown dependencies) come
 * back as issues; nothing about the front matter is checked here.
 */
export function scanSteps(lines: SourceLine[], file?: string): StepScan {
  const body = bodyLines(lines);
  const issues: Issue[] = [];
  const where = (line: number): Pick<Issue, 'file' | 'line'> =>
    file === undefined ? { line } : { file, line };
  const tasks = findSections(body, 2, TASKS_TITLE);
  const found: Array<{ step: LocatedStep; explicitId?: string }> = [];
  let phaseHeadings = 0;

  for (const section of tasks) {
    let phase: { number: number; name: string } | undefined;
    for (let at = section.at + 1; at < section.end; at++) {
      const line: BodyLine = body[at]!;
      if (line.fenced) continue;
      if (line.heading) {
        const match = line.heading.level >= 3 ? PHASE_HEADING.exec(line.heading.title) : null;
        if (match) {
          phaseHeadings++;
          const number = Number(match[1]);
          phase = { number, name: match[2]!.trim() || `Phase ${number}` };
        } else if (line.heading.level <= 3) {
          phase = undefined;
        }
        continue;
      }
      if (!phase) continue;
      const box = CHECKBOX.exec(line.text);
      if (!box) continue;
      const lineNumber = line.index + 1;
      const raw = box[3]!;
      const comment = TRAILING_COMMENT.exec(raw);
      const text = (comment ? raw.slice(0, comment.index) : raw).trim();
      const meta = comment ? parseMeta(comment[1]!) : { other: {} };
      if (text === '') {
        issues.push({
          ...where(lineNumber),
          field: 'text',
          message: 'step has no text, only a comment',
          fix: 'write what the step does before the <!-- --> comment',
        });
      }
      if (meta.type !== undefined && meta.type === '') {
        issues.push({
          ...where(lineNumber),
          field: 'type',
          message: 'step metadata has an empty type',
          fix: `write a type such as "type: implement", or remove "type:" to use the phase's (${phaseType(phase.name)})`,
        });
      }
      if (meta.id !== undefined && !TASK_ID_PATTERN.test(meta.id)) {
        issues.push({
          ...where(lineNumber),
          field: 'id',
          message: `step id "${meta.id}" is not a valid id`,
          fix: 'use letters, digits, ".", "_" and "-", starting with a letter or digit',
        });
      }
      const step: LocatedStep = {
        id: '',
        phase: phase.number,
        phaseName: phase.name,
        type: meta.type || phaseType(phase.name),
        text,
        checked: box[2] !== ' ',
        line: lineNumber,
        boxOffset: line.start + box[1]!.length,
      };
      if (meta.verify !== undefined && meta.verify !== '') step.verify = meta.verify;
      if (meta.dependsOn !== undefined) step.dependsOn = meta.dependsOn;
      if (Object.keys(meta.other).length > 0) step.metadata = meta.other;
      found.push(meta.id ? { step, explicitId: meta.id } : { step });
    }
  }

  // Explicit ids first, so an automatic id never takes one a user chose.
  const firstLine = new Map<string, number>();
  for (const { step, explicitId } of found) {
    if (explicitId === undefined) continue;
    const seen = firstLine.get(explicitId);
    if (seen !== undefined) {
      issues.push({
        ...where(step.line),
        field: 'id',
        message: `duplicate step id "${explicitId}" (first used on line ${seen})`,
        fix: `give each step its own id, or remove "id: ${explicitId}" from one of them`,
      });
    } else firstLine.set(explicitId, step.line);
    step.id = explicitId;
  }
  const taken = new Set(firstLine.keys());
  for (const { step, explicitId } of found) {
    if (explicitId !== undefined) continue;
    const base = `p${step.phase}-${slugify(step.text, 40)}`;
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
    taken.add(id);
    step.id = id;
  }

  const steps = found.map((f) => f.step);
  for (const step of steps) {
    for (const dep of step.dependsOn ?? []) {
      if (dep === step.id) {
        issues.push({
          ...where(step.line),
          field: 'depends-on',
          message: `step "${step.id}" depends on itself`,
          fix: `remove "${dep}" from its depends-on`,
        });
      } else if (!taken.has(dep)) {
        issues.push({
          ...where(step.line),
          field: 'depends-on',
          message: `step "${step.id}" depends on "${dep}", which is not a step of this document`,
          fix: `use the id of a step (ids: ${[...taken].slice(0, 8).join(', ')}${taken.size > 8 ? ', ...' : ''})`,
        });
      }
    }
  }

  const result: StepScan = { steps, issues };
  if (steps.length === 0) result.empty = whyEmpty(body, tasks, phaseHeadings, where);
  return result;
}

function whyEmpty(
  body: BodyLine[],
  tasks: ReturnType<typeof findSections>,
  phaseHeadings: number,
  where: (line: number) => Pick<Issue, 'file' | 'line'>,
): Issue {
  const example = '"### Phase 1: Implementation" followed by "- [ ] <what to do>" lines';
  const first = tasks[0];
  if (!first) {
    const last = body[body.length - 1];
    return {
      ...where(last ? last.index + 1 : 1),
      field: 'Tasks',
      message: 'the document has no "## Tasks" section, so it has no steps',
      fix: `add a "## Tasks" section with ${example}`,
    };
  }
  const line = body[first.at]!.index + 1;
  if (phaseHeadings === 0) {
    return {
      ...where(line),
      field: 'Tasks',
      message: 'the "## Tasks" section has no "### Phase N: <Name>" headings, so it has no steps',
      fix: `group the checkboxes under headings such as ${example}`,
    };
  }
  return {
    ...where(line),
    field: 'Tasks',
    message: 'the phases of the "## Tasks" section have no checkboxes, so there is nothing to run',
    fix: 'add "- [ ] <what to do>" lines under a phase heading',
  };
}
