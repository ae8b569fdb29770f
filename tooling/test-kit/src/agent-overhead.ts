import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';

/** One agent wrapper's overhead bench: the same CLI through the wrapper and from a shell. */
export interface AgentOverheadBench {
  /** First line's subject, e.g. `gemini CLI`. */
  cli: string;
  /** The fake provider, e.g. `fake Gemini API`. */
  api: string;
  /** The wrapper's name, e.g. `GeminiAgent`. */
  wrapper: string;
  /** The CLI and its arguments exactly as the wrapper starts it. */
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /**
   * The prompt the wrapper would send, written to a file. The shell run gets it on stdin
   * through a pipe, as every wrapper sends it: with stdin redirected from the file instead,
   * a run of opencode took 48 % longer (18.7 s against 12.6 s, load 12, one interleaved run), which
   * measured the stdin mode, not the wrapper.
   */
  promptFile: string;
  /** A string the CLI's stdout holds when the run produced its result. */
  resultMarker: string;
  /** One run through the wrapper; throws when it did not succeed. */
  runAgent: () => Promise<void>;
  runs?: number;
  /** Allowed overhead as a fraction (default 0.05). */
  target?: number;
}

const quote = (a: string) => `'${a.replaceAll("'", "'\\''")}'`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/**
 * Runs the CLI directly from a shell and through the wrapper, interleaved (after one warm-up
 * of each), and prints the medians, the ratio and whether the target is met.
 */
export async function benchAgentOverhead(b: AgentOverheadBench): Promise<{ ratio: number }> {
  const runs = b.runs ?? 5;
  const target = b.target ?? 0.05;
  const command = `exec ${b.argv.map(quote).join(' ')}`;
  const prompt = await readFile(b.promptFile);
  const direct = () =>
    new Promise<number>((resolve, reject) => {
      const started = performance.now();
      const child = spawn('sh', ['-c', command], {
        cwd: b.cwd,
        env: b.env,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      child.stdin.on('error', () => {});
      child.stdin.end(prompt);
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      child.on('error', reject);
      child.on('close', (code) => {
        const ms = performance.now() - started;
        if (!out.includes(b.resultMarker))
          reject(new Error(`direct run without a result (exit ${code})`));
        else resolve(ms);
      });
    });
  const throughAgent = async () => {
    const started = performance.now();
    await b.runAgent();
    return performance.now() - started;
  };
  await direct();
  await throughAgent();
  const viaAgent: number[] = [];
  const viaShell: number[] = [];
  for (let i = 0; i < runs; i++) {
    if (i % 2) {
      viaAgent.push(await throughAgent());
      viaShell.push(await direct());
    } else {
      viaShell.push(await direct());
      viaAgent.push(await throughAgent());
    }
  }
  const a = median(viaAgent);
  const d = median(viaShell);
  const ratio = a / d;
  const f = (ms: number) => `${ms.toFixed(1)} ms`;
  console.log(
    `${b.cli}, ${runs} runs each, ${b.api} answering at once (load ${loadavg()[0]?.toFixed(2)})`,
  );
  console.log(`  through ${b.wrapper.padEnd(16)} median ${f(a)}  min ${f(Math.min(...viaAgent))}`);
  console.log(`  CLI spawned from a shell median ${f(d)}  min ${f(Math.min(...viaShell))}`);
  console.log(
    `  ratio ${ratio.toFixed(3)} (overhead ${f(a - d)}, ${((ratio - 1) * 100).toFixed(1)} %): ` +
      `target within ${target * 100} % ${ratio <= 1 + target ? 'met' : 'NOT met'}`,
  );
  return { ratio };
}
