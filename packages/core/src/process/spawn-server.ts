import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readlinkSync, writeFileSync } from 'node:fs';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { getPriority, hostname, setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';

/** What one command printed and how it ended. */
export interface ServedOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * An argument of a step that is the first line of an earlier step's output
 * (that step's index in the sequence), so a command can take what the one
 * before it printed (a tree `git write-tree` wrote) in the same round trip.
 */
export interface StepOutput {
  stdoutOf: number;
}

/** One command of a sequence run in one round trip (`SpawnServer.runSteps`). */
export interface ServedStep {
  file: string;
  args: readonly (string | StepOutput)[];
  /** Written to its stdin (otherwise /dev/null). */
  input?: string;
  /**
   * The sequence goes on after this step exits non-zero: after any exit code
   * (`true`) or after those listed; otherwise it stops there.
   */
  allowFail?: boolean | readonly number[];
}

export interface ServedCommand {
  cwd: string;
  /** The whole environment the command gets. */
  env: NodeJS.ProcessEnv;
  /** Written to its stdin (otherwise /dev/null). */
  input?: string;
  /** Aborting rejects at once and ends the command if it already started. */
  signal?: AbortSignal;
}

/**
 * The helper's loop: each line names a script written next to it, run in the
 * background, so commands overlap as they would as children of Node. The
 * helper ends when Node closes its stdin (also when Node dies), and removes
 * its folder after its last command. A Ctrl-C (SIGINT to the terminal's
 * process group) is Node's to handle: the helper stays, so the git commands
 * of a graceful stop still run.
 */
const LOOP = `trap '' INT
dir=$1
echo $$ > "$dir/helper.pid"
while IFS= read -r id; do . "$dir/$id.sh" & done
wait
rm -rf "$dir"`;

interface Pending {
  id: number;
  /** How many steps the command has. */
  steps: number;
  settle: (out: ServedOutput[] | Error) => void;
}

/** One helper process, its folder, and the commands it has not answered yet. */
interface Helper {
  child: ChildProcess;
  dir: string;
  env: NodeJS.ProcessEnv;
  pending: Map<number, Pending>;
  /** Commands whose answer line arrived and whose output is being read: a helper's end does not fail them. */
  answered: Set<number>;
  buffer: string;
}

/**
 * Runs short commands (git's) as children of one long-lived `/bin/sh`
 * instead of Node. libuv starts a child with fork(), whose cost grows with
 * the parent's memory: measured here, a git spawn from Node took 2.5 ms at
 * 45 MB of RSS, 10 ms at 220 MB and 27-100 ms at 500 MB, while the same git
 * command from this helper took 1.6-2.3 ms at any size. Output goes through
 * files in the helper's folder (no pipe buffers to size). Where `/bin/sh`
 * cannot be started, commands are spawned from Node as before.
 */
export class SpawnServer {
  #helper: Helper | undefined;
  #next = 0;
  #broken = false;
  readonly #niceness: number;

  /** `niceness`: added to the helper's (so to every command's) scheduling niceness, as `nice -n`. */
  constructor(options: { niceness?: number } = {}) {
    this.#niceness = options.niceness ?? 0;
  }

  async run(file: string, args: readonly string[], command: ServedCommand): Promise<ServedOutput> {
    const outputs = await this.runSteps([{ file, args, input: command.input }], command);
    return outputs[0]!;
  }

  /**
   * Runs commands one after another in one round trip to the helper (one
   * script, as `a && b` would): the sequence stops after the first step that
   * exits non-zero, unless that step allows failure. Resolves with the output
   * of each step that ran, in order. Aborting ends the step that is running,
   * and so the sequence.
   */
  runSteps(steps: readonly ServedStep[], command: ServedCommand): Promise<ServedOutput[]> {
    const { signal } = command;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    steps.forEach((step, i) => {
      for (const a of step.args) {
        if (isOutput(a) && !(a.stdoutOf >= 0 && a.stdoutOf < i))
          throw new RangeError(
            `step ${i} takes the output of step ${a.stdoutOf}, which does not run before it`,
          );
      }
    });
    const helper = this.#broken ? undefined : this.#start();
    if (!helper) return runDirectSteps(steps, command);
    const id = ++this.#next;
    const base = join(helper.dir, String(id));
    return new Promise<ServedOutput[]>((resolve, reject) => {
      let done = false;
      const onAbort = () => {
        finish(abortError(signal!));
        // The command may not have started yet (no pid): then it runs its few milliseconds to the end.
        void readFile(`${base}.pid`, 'utf8').then(
          (text) => {
            // A file still being written reads empty: never kill(0), which is our own group.
            const pid = Number.parseInt(text, 10);
            try {
              if (pid > 1) process.kill(pid, 'SIGTERM');
            } catch {
              // It ended meanwhile.
            }
          },
          () => undefined,
        );
      };
      const finish = (out: ServedOutput[] | Error) => {
        if (done) return;
        done = true;
        signal?.removeEventListener('abort', onAbort);
        if (out instanceof Error) reject(out);
        else resolve(out);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      helper.pending.set(id, { id, steps: steps.length, settle: finish });
      ref(helper, true);
      const script = commandScript(helper, id, steps, command);
      const written = steps.flatMap((step, i) =>
        step.input === undefined ? [] : [writeFile(`${base}.${i}.in`, step.input)],
      );
      Promise.all([...written, writeFile(`${base}.sh`, script)]).then(
        () => helper.child.stdin?.write(`${id}\n`),
        (error: Error) => settle(helper, id, error),
      );
    });
  }

  #start(): Helper | undefined {
    if (this.#helper) return this.#helper;
    try {
      const dir = mkdtempSync(join(tmpdir(), FOLDER_PREFIX));
      writeFileSync(join(dir, 'helper.owner'), owner());
      const env = { ...process.env };
      const child = spawn('/bin/sh', ['-c', LOOP, 'sprint-spawn-server', dir], {
        stdio: ['pipe', 'pipe', 'ignore'],
        env,
      });
      // Before any command is written to it, so each one it starts inherits the niceness.
      if (this.#niceness && child.pid) {
        try {
          setPriority(child.pid, Math.min(19, getPriority(process.pid) + this.#niceness));
        } catch {
          // Not allowed here (a limit on niceness): its commands run at ours.
        }
      }
      const helper: Helper = {
        child,
        dir,
        env,
        pending: new Map(),
        answered: new Set(),
        buffer: '',
      };
      child.stdout?.setEncoding('utf8');
      child.stdout?.on('data', (chunk: string) => onData(helper, chunk));
      child.stdin?.on('error', () => undefined);
      child.on('error', () => {
        this.#broken = true;
        this.#lost(helper);
      });
      // A helper that exited takes no new command (one written to it would never run), but
      // its commands still running may answer: they fail at 'close', once the pipe is read.
      child.on('exit', () => {
        if (this.#helper === helper) this.#helper = undefined;
      });
      child.on('close', () => this.#lost(helper));
      this.#helper = helper;
      ref(helper, false);
      void sweepDeadHelpers(dir);
      return helper;
    } catch {
      this.#broken = true;
      return undefined;
    }
  }

  /** The helper ended (or never started): its unanswered commands fail. */
  #lost(helper: Helper): void {
    if (this.#helper === helper) this.#helper = undefined;
    for (const p of [...helper.pending.values()]) {
      // Its answer came before the end (a command that outlived a killed helper): it is read.
      if (helper.answered.has(p.id)) continue;
      settle(helper, p.id, new Error('the helper that runs git commands ended'));
    }
    void rm(helper.dir, { recursive: true, force: true });
  }
}

const FOLDER_PREFIX = 'sprint-spawn-';

/**
 * Removes the folders of helpers that were killed outright (kill -9 of a whole
 * process group ends the helper before it can clean up): each names its
 * helper's pid in `helper.pid` and its machine and pid namespace in
 * `helper.owner`; a folder of ours whose helper is gone is removed. A folder
 * without those files (a helper starting, an older version's) is left alone.
 */
/** How long a dead helper's folder stays after its last command started there. */
const SWEEP_AFTER_MS = 60_000;

export async function sweepDeadHelpers(own?: string): Promise<void> {
  const root = tmpdir();
  const names = await readdir(root).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(FOLDER_PREFIX)) continue;
    const dir = join(root, name);
    if (dir === own) continue;
    // Only a helper of this machine and pid namespace can be checked for life here
    // (a temp folder may be shared with containers or other hosts).
    const by = await readFile(join(dir, 'helper.owner'), 'utf8').catch(() => '');
    if (by !== owner()) continue;
    const text = await readFile(join(dir, 'helper.pid'), 'utf8').catch(() => '');
    const pid = Number.parseInt(text, 10);
    if (!(pid > 1) || isAlive(pid)) continue;
    // A command its helper left running (the helper killed, the command not) may still be
    // writing there and be read by its Node process: a folder used lately stays a while.
    const used = await stat(dir).then(
      (st) => st.mtimeMs,
      () => 0,
    );
    if (Date.now() - used < SWEEP_AFTER_MS) continue;
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

let ownerText: string | undefined;
/** This machine and pid namespace, as a helper's folder records them. */
function owner(): string {
  if (ownerText === undefined) {
    let ns = '';
    try {
      ns = readlinkSync('/proc/self/ns/pid');
    } catch {
      // No /proc: the host name alone.
    }
    ownerText = `${hostname()}\n${ns}\n`;
  }
  return ownerText;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The script for one command (a sequence of steps): its folder, its
 * environment's differences, each step while the ones before it allow,
 * and a line with each step's exit code.
 */
function commandScript(
  helper: Helper,
  id: number,
  steps: readonly ServedStep[],
  command: ServedCommand,
): string {
  const base = join(helper.dir, String(id));
  const env: string[] = [];
  for (const [k, v] of Object.entries(command.env)) {
    if (v !== undefined && helper.env[k] !== v && SH_NAME.test(k))
      env.push(`export ${k}=${quote(v)}`);
  }
  for (const k of Object.keys(helper.env)) {
    if (command.env[k] === undefined && SH_NAME.test(k)) env.push(`unset ${k}`);
  }
  const used = new Set(
    steps.flatMap((s) => s.args.flatMap((a) => (isOutput(a) ? [a.stdoutOf] : []))),
  );
  const run = steps.flatMap((step, i) => {
    const stdin = step.input === undefined ? '/dev/null' : `${base}.${i}.in`;
    const words = [
      quote(step.file),
      ...step.args.map((a) => (isOutput(a) ? `"$o${a.stdoutOf}"` : quote(a))),
    ];
    const line = `${words.join(' ')} <${quote(stdin)} >${quote(`${base}.${i}.out`)} 2>${quote(`${base}.${i}.err`)} &`;
    return [
      'if [ $ok = 1 ]; then',
      line,
      // Where an abort finds the step that is running.
      `echo $! >${quote(`${base}.pid`)}`,
      'wait $!',
      'c=$?',
      'codes="$codes $c"',
      // A builtin read: the first line, for the steps after it that take it as an argument.
      ...(used.has(i) ? [`IFS= read -r o${i} <${quote(`${base}.${i}.out`)}`] : []),
      ...(step.allowFail === true
        ? []
        : [`case $c in ${[0, ...(step.allowFail || [])].join('|')}) ;; *) ok=0 ;; esac`]),
      'fi',
    ];
  });
  return [
    `if cd -- ${quote(command.cwd)} 2>/dev/null; then`,
    ...env,
    'ok=1',
    'codes=',
    ...run,
    `echo "${id}$codes"`,
    'else',
    `echo "${id} nocwd"`,
    'fi',
    '',
  ].join('\n');
}

function onData(helper: Helper, chunk: string): void {
  helper.buffer += chunk;
  let nl = helper.buffer.indexOf('\n');
  while (nl >= 0) {
    const [id, ...codes] = helper.buffer.slice(0, nl).split(' ');
    helper.buffer = helper.buffer.slice(nl + 1);
    helper.answered.add(Number(id));
    void collect(helper, Number(id), codes);
    nl = helper.buffer.indexOf('\n');
  }
}

async function collect(helper: Helper, id: number, codes: string[]): Promise<void> {
  const base = join(helper.dir, String(id));
  const steps = helper.pending.get(id)?.steps ?? codes.length;
  if (codes[0] === 'nocwd') {
    const error = Object.assign(new Error(`spawn: no such directory as the command's cwd`), {
      code: 'ENOENT',
    });
    settle(helper, id, error);
  } else {
    // Every step that ran wrote both files: one missing means the folder was swept (its helper
    // was killed and another helper took the folder for dead), and the output is unknown.
    const outputs = await Promise.all(
      codes.map(async (code, i) => {
        const [stdout, stderr] = await Promise.all([
          readFile(`${base}.${i}.out`, 'utf8'),
          readFile(`${base}.${i}.err`, 'utf8'),
        ]);
        return { code: Number(code), stdout, stderr };
      }),
    ).catch(() => new Error('the helper that runs git commands ended (its output is gone)'));
    settle(helper, id, outputs);
  }
  const files = [`${base}.sh`, `${base}.pid`];
  for (let i = 0; i < steps; i++)
    files.push(`${base}.${i}.in`, `${base}.${i}.out`, `${base}.${i}.err`);
  await Promise.all(files.map((f) => rm(f, { force: true })));
}

function settle(helper: Helper, id: number, out: ServedOutput[] | Error): void {
  helper.answered.delete(id);
  const p = helper.pending.get(id);
  if (!p) return;
  helper.pending.delete(id);
  if (helper.pending.size === 0) ref(helper, false);
  p.settle(out);
}

/** A helper keeps Node alive only while it runs a command for it. */
function ref(helper: Helper, busy: boolean): void {
  const { child } = helper;
  const handles = [child, child.stdout, child.stdin] as Array<{
    ref(): void;
    unref(): void;
  } | null>;
  for (const h of handles) {
    if (busy) h?.ref();
    else h?.unref();
  }
}

function isOutput(arg: string | StepOutput): arg is StepOutput {
  return typeof arg !== 'string';
}

const SH_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted', { cause: signal.reason }), {
    name: 'AbortError',
    code: 'ABORT_ERR',
  });
}

/** The steps as children of Node, one after another: where the helper cannot run. */
async function runDirectSteps(
  steps: readonly ServedStep[],
  command: ServedCommand,
): Promise<ServedOutput[]> {
  const outputs: ServedOutput[] = [];
  for (const step of steps) {
    const args = step.args.map((a) =>
      isOutput(a) ? (outputs[a.stdoutOf]?.stdout.split('\n')[0] ?? '') : a,
    );
    const out = await runDirect(step.file, args, { ...command, input: step.input });
    outputs.push(out);
    const goOn = step.allowFail === true || [0, ...(step.allowFail || [])].includes(out.code);
    if (!goOn) break;
  }
  return outputs;
}

/** The command as a child of Node: where the helper cannot run. */
function runDirect(
  file: string,
  args: readonly string[],
  command: ServedCommand,
): Promise<ServedOutput> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { cwd: command.cwd, signal: command.signal, env: command.env, maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = (error as { code?: unknown } | null)?.code;
        if (error && typeof code !== 'number') reject(error);
        else resolve({ code: typeof code === 'number' ? code : 0, stdout, stderr });
      },
    );
    child.stdin?.end(command.input ?? '');
  });
}
