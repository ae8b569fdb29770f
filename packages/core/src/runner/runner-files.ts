import { join } from 'node:path';

/** The files a runner keeps in a sprint's runtime directory (file stores). */
const RUNTIME_FILES = [
  'events.jsonl',
  'runner.lock',
  'control.json',
  'result.json',
  'run.log',
  'state.json',
  '.gitignore',
] as const;

/** Every file the runner owns for a sprint: its state files and its runtime files. */
export function runnerFiles(
  stateFiles: readonly string[],
  runtimeDir: string | undefined,
): string[] {
  return [...stateFiles, ...(runtimeDir ? RUNTIME_FILES.map((n) => join(runtimeDir, n)) : [])];
}
