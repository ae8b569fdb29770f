// `pnpm demo`: copies examples/demo-sprint into a temp dir and runs it end to end
// with the noop agent (no AI is called), then prints the final status.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'apps/cli/dist/bin.js');
if (!existsSync(cli)) {
  console.error('The CLI is not built: run "pnpm demo" (it builds first) or "pnpm build".');
  process.exit(1);
}

const work = mkdtempSync(join(tmpdir(), 'sprint-demo-'));
const sprintsDir = join(work, '.claude/sprints');
const sprint = join(sprintsDir, '2026-01-15_demo-sprint');
cpSync(join(root, 'examples/demo-sprint'), sprint, { recursive: true });
// Relative to the demo's working directory, as a user would type it.
const shown = '.claude/sprints/2026-01-15_demo-sprint';

const sprintCmd = (...args) => {
  console.log(`\n$ sprint ${args.join(' ')}`);
  // Inherit the terminal: on a TTY the run shows its live view.
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: work, stdio: 'inherit' });
  return r.status ?? 1;
};

let code = 0;
try {
  console.log(`Demo sprint copied to ${sprint}`);
  sprintCmd('validate', shown);
  sprintCmd('run', shown, '--dry-run');
  code = sprintCmd('run', shown, '--agent', 'noop');
  sprintCmd('status', shown);
  console.log(`\nThe sprint ran ${code === 0 ? 'to completion' : `and exited ${code}`}.`);
} finally {
  if (process.env.SPRINT_DEMO_KEEP) console.log(`Kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
process.exit(code);
