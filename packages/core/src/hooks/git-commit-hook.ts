import { execFile } from 'node:child_process';
import { isAbsolute, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { taskLabel } from '../model/sprint.js';
import type { SprintHook } from './hook.js';

const exec = promisify(execFile);

const RUNTIME_FILES = [
  'events.jsonl',
  'runner.lock',
  'control.json',
  'result.json',
  'run.log',
  'state.json',
  '.gitignore',
];

async function git(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await exec('git', args, { cwd, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/**
 * Commits the work of each completed task, with a message naming the sprint
 * and the task, when the project is a git repository and the sprint's
 * `auto-commit` is on. The sprint's own files and the runner's files are left
 * out of the commit. A commit that fails is reported but does not fail the task.
 */
export function gitCommitHook(options: { enabled?: boolean } = {}): SprintHook {
  return {
    name: 'git-commit',
    async afterStep({ task, result, sprint, projectDir, runtimeDir, stateFiles }) {
      if (!result.success) return undefined;
      if (options.enabled === false || sprint.config.autoCommit === false) return undefined;
      let top: string;
      try {
        top = (await git(projectDir, ['rev-parse', '--show-toplevel'])).trim();
      } catch {
        return undefined;
      }
      // The sprint's own files and the runner's files stay out of the task's commit.
      const keepOut = [...stateFiles];
      if (runtimeDir) {
        for (const name of RUNTIME_FILES) keepOut.push(join(runtimeDir, name));
      }
      const rel = keepOut
        .map((f) => relative(top, f))
        .filter((f) => f && !f.startsWith('..') && !isAbsolute(f));
      try {
        await git(top, ['add', '-A']);
        if (rel.length) {
          const hasHead = await git(top, ['rev-parse', '--verify', '-q', 'HEAD']).then(
            () => true,
            () => false,
          );
          await git(
            top,
            hasHead
              ? ['reset', '-q', '--', ...rel]
              : ['rm', '--cached', '-q', '--ignore-unmatch', '--', ...rel],
          );
        }
        const staged = await git(top, ['diff', '--cached', '--name-only']);
        if (!staged.trim()) return { passed: true, message: 'nothing to commit' };
        const subject = `sprint(${sprint.id}): ${task.id}: ${taskLabel(task)}`.slice(0, 100);
        const body = [
          result.summary.trim(),
          '',
          `Sprint: ${sprint.name} (${sprint.id})`,
          `Task: ${task.id} (${task.type})`,
        ]
          .join('\n')
          .trim();
        // The user's own identity when git has one; a recognisable fallback otherwise.
        const identity = (await git(top, ['config', 'user.email']).catch(() => '')).trim()
          ? []
          : ['-c', 'user.name=sprint', '-c', 'user.email=sprint@localhost'];
        await git(top, [...identity, 'commit', '--no-verify', '-q', '-m', subject, '-m', body]);
        const sha = (await git(top, ['rev-parse', '--short', 'HEAD'])).trim();
        return {
          passed: true,
          message: `committed ${sha}: ${staged.trim().split('\n').length} file(s)`,
        };
      } catch (error) {
        return {
          passed: false,
          blocking: false,
          message: `git commit failed: ${(error as Error).message.split('\n')[0]}`,
        };
      }
    },
  };
}
