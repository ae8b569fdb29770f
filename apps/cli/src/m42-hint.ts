import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';

/** Reads the start of a file, or nothing. The files are small; only an error path calls this. */
function head(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(0, 64 * 1024);
  } catch {
    return '';
  }
}

/** The workflow named by an m42 workflow-format sprint in `dir`, or undefined when it is not one. */
function m42Workflow(dir: string): string | undefined {
  const sprint = head(join(dir, 'SPRINT.yaml'));
  const workflow = sprint.match(/^workflow:\s*["']?([\w./-]+)/m)?.[1];
  if (workflow) return workflow;
  const progress = head(join(dir, 'PROGRESS.yaml'));
  if (/^phases:/m.test(progress) && !/^queue:/m.test(progress)) return 'compiled phases';
  return undefined;
}

/** The directories an error is about: the files its issues name, the sprint it could not open. */
function directoriesOf(error: unknown, cwd: string): string[] {
  const dirs = new Set<string>();
  const issues = (error as { issues?: { file?: unknown }[] }).issues;
  for (const issue of Array.isArray(issues) ? issues : []) {
    if (typeof issue.file === 'string') dirs.add(dirname(resolve(cwd, issue.file)));
  }
  const id = (error as { sprintId?: unknown }).sprintId;
  if (typeof id === 'string' && (isAbsolute(id) || id.includes('/'))) dirs.add(resolve(cwd, id));
  return [...dirs].slice(0, 4);
}

/** A sprint directory in m42's workflow format, as a command line names it. */
export interface M42Sprint {
  /** What SPRINT.yaml names as its workflow, or `compiled phases` for a PROGRESS.yaml alone. */
  workflow: string;
  /** The directory, relative to the working directory when below it, quoted for a shell. */
  arg: string;
}

/** The m42 sprint in `dir`, or undefined when it is not one. */
export function m42SprintAt(dir: string, cwd: string): M42Sprint | undefined {
  const workflow = m42Workflow(dir);
  if (!workflow) return undefined;
  const rel = relative(cwd, dir);
  const path = rel && !rel.startsWith('..') ? rel : dir;
  const arg = /^[\w./@:+-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
  return { workflow, arg };
}

/**
 * When an invalid or unopenable sprint is one in m42's newer workflow format,
 * that sprint; otherwise undefined. Its own problems (m42's keys, no queue) are
 * then beside the point: it is to be imported, not fixed.
 */
export function m42SprintOf(error: unknown, cwd: string): M42Sprint | undefined {
  // A usage error about a sprint that is not where it was said carries core's error as its cause.
  const subject = [error, (error as { cause?: unknown } | undefined)?.cause].find((e) => {
    const code = (e as { code?: unknown } | undefined)?.code;
    return code === 'INVALID_SPRINT' || code === 'SPRINT_NOT_FOUND';
  });
  if (subject === undefined) return undefined;
  for (const dir of directoriesOf(subject, cwd)) {
    const found = m42SprintAt(dir, cwd);
    if (found) return found;
  }
  return undefined;
}

/** What to say about an m42 sprint: what it is, and the command that converts it. */
export function m42Message(sprint: M42Sprint): { message: string; fix: string } {
  return {
    message: `This is a sprint in m42's workflow format (workflow: ${sprint.workflow}), which sprint does not run as it is`,
    fix: `convert it into a new sprint (the original stays unchanged): sprint import --from-m42 ${sprint.arg} [--workflows DIR]`,
  };
}
