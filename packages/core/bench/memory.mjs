// Memory against data size: a 3-task sprint in a sprint directory whose first
// task has a 10 MB description, run to the end with the `noop` agent in a
// child process. Prints the child's peak RSS, the same process's RSS with no
// big description, and the extra RSS as a multiple of the data. Asserts
// nothing (machines are noisy). Target: the extra stays a small multiple of
// the data (it was about 115x: 1.2 GB for 10 MB).
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const DATA = 10 * 1024 * 1024;

if (process.argv[2] === 'child') {
  const { AgentRegistry, NoopAgent, SprintDirectoryStore, SprintRunner } = await import(
    '../dist/index.js'
  );
  const [root, id] = process.argv.slice(3);
  const store = new SprintDirectoryStore({ root });
  const runner = new SprintRunner({
    store,
    agents: new AgentRegistry({ default: new NoopAgent() }),
  });
  const result = await runner.run(id);
  if (result.status !== 'completed') throw new Error(`run ended ${result.status}`);
  process.stdout.write(String(process.resourceUsage().maxRSS * 1024));
} else {
  const peak = async (size) => {
    const root = await mkdtemp(join(tmpdir(), 'sprint-bench-mem-'));
    try {
      const { SprintDirectoryStore } = await import('../dist/index.js');
      const store = new SprintDirectoryStore({ root });
      const line = 'word '.repeat(15).trim();
      const big = Array.from({ length: Math.ceil(size / (line.length + 1)) }, () => line)
        .join('\n')
        .slice(0, size);
      const task = (id, description) => ({
        id,
        type: 'custom',
        priority: 'medium',
        dependsOn: [],
        fields: { description, 'done-when': 'x' },
        description,
      });
      const id = await store.create({
        name: 'mem',
        tasks: [task('t1', big || 'small'), task('t2', 'small'), task('t3', 'small')],
      });
      // Write the big description the way a person would: double-quoted on one line.
      const file = join(root, id, 'PROGRESS.yaml');
      const text = await readFile(file, 'utf8');
      const quoted = `description: "${big.replaceAll('\n', ' ')}"\n`;
      if (size) await writeFile(file, text.replace(/description: \|-?\n(?: {6}.*\n)+/, quoted));
      return Number(
        execFileSync(process.execPath, [import.meta.filename, 'child', root, id], {
          encoding: 'utf8',
        }),
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  };
  const base = await peak(0);
  const withData = await peak(DATA);
  const mb = (b) => `${(b / 1024 / 1024).toFixed(0)} MB`;
  console.log(
    `memory: peak RSS ${mb(withData)} with a 10 MB description, ${mb(base)} without: extra ${((withData - base) / DATA).toFixed(1)}x the data (load ${loadavg()[0].toFixed(1)})`,
  );
}
