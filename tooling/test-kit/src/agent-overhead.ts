import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Agent } from '@sprint/core';
import { buildTaskPrompt, type ResultReporting } from '@sprint/core/agent-kit';
import { agentContext } from './agent-context.js';
import { MIN_PAIRS, median, type OverheadVerdict, overheadVerdict } from './overhead-verdict.js';

/** What {@link benchAgentOverhead} runs, made once the bench has a fresh `HOME` for it. */
export interface AgentOverheadSetup {
  /** The wrapper, pointed at the fake. */
  agent: Agent;
  /** The CLI and its arguments exactly as the wrapper starts it. */
  argv: readonly string[];
  /** The environment the wrapper gives the CLI (the agent runs with `inheritEnv: false`). */
  env: Record<string, string>;
}

/** One agent wrapper's overhead bench: the same CLI through the wrapper and from a shell. */
export interface AgentOverheadBench {
  /** First line's subject, e.g. `gemini CLI`. */
  cli: string;
  /** The fake provider, e.g. `fake Gemini API`. */
  api: string;
  /** The wrapper's name, e.g. `GeminiAgent`. */
  wrapper: string;
  /** The fake provider the bench started, answering at once; closed when the bench ends. */
  fake: { close(): Promise<void> };
  /** Makes the agent and the direct run's command; `home` is a fresh directory for `HOME`. */
  setup(home: string): AgentOverheadSetup | Promise<AgentOverheadSetup>;
  /** How the wrapper's prompt asks for the result (see `buildTaskPrompt`). */
  reporting?: ResultReporting;
  /** A string the CLI's stdout holds when the run produced its result. */
  resultMarker: string;
  /** What else the wrapper does that the shell run does not, printed under the figures. */
  note?: string;
  /** The most pairs of runs; `BENCH_RUNS` wins. Default 20. */
  runs?: number;
  /** Time after which no new pair starts, in ms; `BENCH_BUDGET_MS` wins. Default 150 s. */
  budgetMs?: number;
  /** Allowed overhead as a fraction (default 0.05). */
  target?: number;
}

/** An interval this narrow (2 % either side) settles the median even when it straddles the target. */
const NARROW = 0.04;

const quote = (a: string) => `'${a.replaceAll("'", "'\\''")}'`;

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] as number;
}

const load = () => loadavg()[0]?.toFixed(2) ?? '?';

function cliVersion(argv: readonly string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(argv[0] as string, ['--version'], {
      env,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('error', () => resolve('?'));
    child.on('close', () => resolve(out.trim().split('\n')[0] || '?'));
  });
}

/**
 * How much time an agent wrapper adds to a run of its CLI. Both sides run the
 * real CLI against a fake provider that answers at once: (a) through
 * `agent.run()`, from the call to the result; (b) the same binary with the
 * same arguments, environment, working directory and prompt, spawned from a
 * shell, from the spawn to the end of its output. The prompt goes to stdin
 * through a pipe, as every wrapper sends it: with stdin redirected from a file
 * instead, a run of opencode took 48 % longer (18.7 s against 12.6 s, load 12),
 * which measured the stdin mode, not the wrapper. Recorded with a logging
 * shim in front of opencode, both sides exec the same argv, cwd and
 * environment but for the run marker, and the CLI used the same CPU time
 * (about 5 s) on both; the wrapper's own work was 5 to 10 ms per run, so a
 * gap in the medians or minimums of a few runs is the load, not the wrapper.
 *
 * After one warm-up of each, runs go in pairs, the order alternating, so a
 * load change between pairs cancels out of the pair's ratio. It judges the median
 * of the per-pair ratios by its 95 % bootstrap interval (`overheadVerdict`):
 * `met` only when the upper end is within the target, `NOT met` when the lower
 * end is above it, else `inconclusive (noisy: load X)`. Pairs go on (at least
 * 6) until the verdict is decided or the interval is 4 points wide, at most
 * `runs` pairs (20) and no new pair after `budgetMs` (150 s). It prints medians,
 * p90, minimums, the load average before and after, and this process's CPU time
 * per run: what the wrapper itself costs without the noise of the load. Cleans
 * up the fake and its temporary directories.
 */
export async function benchAgentOverhead(
  b: AgentOverheadBench,
): Promise<{ ratio: number; low: number; high: number; verdict: OverheadVerdict['verdict'] }> {
  const maxPairs = Math.max(MIN_PAIRS, Number(process.env.BENCH_RUNS ?? b.runs ?? 20));
  const budgetMs = Number(process.env.BENCH_BUDGET_MS ?? b.budgetMs ?? 150_000);
  const target = b.target ?? 0.05;
  const slug = b.cli.split(' ')[0];
  const home = await mkdtemp(join(tmpdir(), `bench-${slug}-home-`));
  const project = await mkdtemp(join(tmpdir(), `bench-${slug}-project-`));
  try {
    const { agent, argv, env } = await b.setup(home);
    const ctx = agentContext(project, { id: 'bench', description: 'Answer at once.' });
    const prompt = buildTaskPrompt(ctx, b.reporting);
    const command = `exec ${argv.map(quote).join(' ')}`;
    // Timed to the CLI's own exit, as the wrapper's run ends when the CLI exits: a child it
    // leaves behind may hold the pipes open for seconds, which is not the CLI's run. Its
    // process group is then killed, as the wrapper ends what the CLI left.
    const direct = () =>
      new Promise<number>((resolve, reject) => {
        const started = performance.now();
        const child = spawn('sh', ['-c', command], {
          cwd: project,
          env,
          stdio: ['pipe', 'pipe', 'pipe'],
          detached: true,
        });
        child.stdin.on('error', () => {});
        child.stdin.end(prompt);
        let out = '';
        let ms = 0;
        child.stdout.on('data', (d) => {
          out += d;
        });
        child.stderr.resume();
        child.on('error', reject);
        child.on('exit', () => {
          ms = performance.now() - started;
          try {
            if (child.pid) process.kill(-child.pid, 'SIGKILL');
          } catch {
            // the group is gone already
          }
        });
        child.on('close', (code) => {
          if (!out.includes(b.resultMarker))
            reject(new Error(`direct run without a result (exit ${code})`));
          else resolve(ms);
        });
      });
    const throughAgent = async () => {
      const started = performance.now();
      const result = await agent.run(ctx);
      const ms = performance.now() - started;
      if (!result.success) throw new Error(`agent run failed: ${result.error?.message}`);
      return ms;
    };
    // This process's CPU time in a run: the wrapper's own work, which the load barely changes.
    const cpu = { agent: [] as number[], shell: [] as number[] };
    const timed = async (into: number[], run: () => Promise<number>) => {
      const before = process.cpuUsage();
      const ms = await run();
      const used = process.cpuUsage(before);
      into.push((used.user + used.system) / 1000);
      return ms;
    };

    const version = await cliVersion(argv, env);
    const loadBefore = load();
    await direct();
    await throughAgent();
    const viaAgent: number[] = [];
    const viaShell: number[] = [];
    const ratios: number[] = [];
    const started = performance.now();
    let verdict = overheadVerdict([1], target);
    // Pairs until the median's interval is narrow or decides, or the cap or the time budget.
    for (let i = 0; i < maxPairs; i++) {
      let agentMs: number;
      let shellMs: number;
      if (i % 2) {
        agentMs = await timed(cpu.agent, throughAgent);
        shellMs = await timed(cpu.shell, direct);
      } else {
        shellMs = await timed(cpu.shell, direct);
        agentMs = await timed(cpu.agent, throughAgent);
      }
      viaAgent.push(agentMs);
      viaShell.push(shellMs);
      ratios.push(agentMs / shellMs);
      verdict = overheadVerdict(ratios, target);
      if (ratios.length < MIN_PAIRS) continue;
      if (verdict.verdict !== 'inconclusive' || verdict.high - verdict.low <= NARROW) break;
      if (performance.now() - started > budgetMs) break;
    }
    const f = (ms: number) => `${ms.toFixed(1)} ms`;
    const row = (label: string, xs: number[]) =>
      `  ${label.padEnd(25)} median ${f(median(xs))}  p90 ${f(percentile(xs, 0.9))}  min ${f(Math.min(...xs))}`;
    const loadAfter = load();
    console.log(
      `${b.cli} ${version}, ${ratios.length} pairs of runs, ${b.api} answering at once ` +
        `(load ${loadBefore} before, ${loadAfter} after)`,
    );
    console.log(row(`through ${b.wrapper}`, viaAgent));
    console.log(row('CLI spawned from a shell', viaShell));
    const said =
      verdict.verdict === 'inconclusive'
        ? `inconclusive (noisy: load ${loadAfter}${ratios.length < MIN_PAIRS ? `, ${ratios.length} pairs` : ''})`
        : verdict.verdict === 'implausible'
          ? `inconclusive (the wrapper ran faster than the CLI alone: the two sides differ; load ${loadAfter})`
          : verdict.verdict;
    console.log(
      `  per-pair ratio median ${verdict.median.toFixed(3)} (95 % interval ` +
        `${verdict.low.toFixed(3)}-${verdict.high.toFixed(3)}, overhead ${f(median(viaAgent) - median(viaShell))}): ` +
        `target within ${target * 100} % ${said}`,
    );
    console.log(
      `  CPU time of this process per run, median: ${f(median(cpu.agent))} through ` +
        `${b.wrapper}, ${f(median(cpu.shell))} for the shell run`,
    );
    console.log(
      '  The two sides differ only in what the wrapper must do: its own process group, ' +
        'the run marker in the environment, reading the events, ending what the CLI left.',
    );
    if (b.note) console.log(`  ${b.note}`);
    return {
      ratio: verdict.median,
      low: verdict.low,
      high: verdict.high,
      verdict: verdict.verdict,
    };
  } finally {
    await b.fake.close();
    await rm(home, { recursive: true, force: true });
    await rm(project, { recursive: true, force: true });
  }
}
