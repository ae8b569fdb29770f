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

/**
 * When an invalid or unopenable sprint is one in m42's newer workflow format,
 * the line that says so and how to convert it; otherwise undefined.
 */
export function m42Hint(error: unknown, cwd: string): string | undefined {
  // A usage error about a sprint that is not where it was said carries core's error as its cause.
  const subject = [error, (error as { cause?: unknown } | undefined)?.cause].find((e) => {
    const code = (e as { code?: unknown } | undefined)?.code;
    return code === 'INVALID_SPRINT' || code === 'SPRINT_NOT_FOUND';
  });
  if (subject === undefined) return undefined;
  for (const dir of directoriesOf(subject, cwd)) {
    const workflow = m42Workflow(dir);
    if (workflow) {
      const rel = relative(cwd, dir);
      const path = rel && !rel.startsWith('..') ? rel : dir;
      const arg = /^[\w./@:+-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
      return `This is a sprint in m42's workflow format (workflow: ${workflow}), which sprint does not run as it is. Convert it into a new sprint (the original stays unchanged): sprint import --from-m42 ${arg}`;
    }
  }
  return undefined;
}
