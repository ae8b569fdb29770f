import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  claudeTestEnv,
  type FakeAnthropic,
  findClaudeBin,
  startFakeAnthropic,
} from '@sprint/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { type CliResult, runCli, runInTerminal, shellSprint, tempDir } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * What a terminal acts on rather than shows: C0 controls but tab and LF (CR among them), DEL,
 * C1 controls, bidi controls. None may reach a pipe, whoever wrote the text.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

/**
 * A name as a hostile SPRINT.yaml spells it (YAML double quotes: `\e` is ESC): clear screen, an
 * OSC 8 link, a right-to-left override, a C1 CSI, a bare CR, an OSC 52 clipboard write.
 */
const HOSTILE_YAML = String.raw`"A\e[2JB\e]8;;https://evil.example\e\\C\u202ED\x9bE\rF\e]52;c;aGk=\aG"`;
/** The same text as the CLI must show it. */
const HOSTILE_SHOWN = String.raw`A\e[2JB\e]8;;https://evil.example\e\C\u202ED\u009BE\rF\e]52;c;aGk=\x07G`;

/** A shell command whose output (the task's summary, its log lines) is as hostile. */
const HOSTILE_COMMAND = String.raw`printf 'out \033[2J \033]52;c;aGk=\007 \302\233 \342\200\256 \r end\n'`;
const HOSTILE_OUTPUT_SHOWN = String.raw`out \e[2J \e]52;c;aGk=\x07 \u009B \u202E \r end`;

/** Gives the sprint at `dir` the hostile name, and its task `id` the hostile title. */
function makeHostile(dir: string, id: string): void {
  const sprint = join(dir, 'SPRINT.yaml');
  writeFileSync(
    sprint,
    readFileSync(sprint, 'utf8').replace(/^name: .*$/m, `name: ${HOSTILE_YAML}`),
  );
  const progress = join(dir, 'PROGRESS.yaml');
  writeFileSync(
    progress,
    readFileSync(progress, 'utf8').replace(
      `  - id: ${id}\n`,
      `  - id: ${id}\n    title: ${HOSTILE_YAML}\n`,
    ),
  );
}

/** Neither stream of the command carries a control character: each shows as text. */
function expectNoControls(what: string, result: CliResult): void {
  expect(
    RAW_CONTROL.exec(result.stdout),
    `${what} stdout: ${JSON.stringify(result.stdout)}`,
  ).toBeNull();
  expect(
    RAW_CONTROL.exec(result.stderr),
    `${what} stderr: ${JSON.stringify(result.stderr)}`,
  ).toBeNull();
}

let fake: FakeAnthropic | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('text the CLI did not write reaches the terminal shown, never acted on', () => {
  it('a hostile sprint name, task title and agent output: run, dry run, status, status --watch, logs, list', async () => {
    const cwd = tempDir();
    const dir = shellSprint(cwd, 'hostile', [{ id: 'talker', command: HOSTILE_COMMAND }]);
    makeHostile(dir, 'talker');

    const dry = await runCli(['run', dir, '--dry-run'], { cwd });
    expect(dry.code, dry.stderr).toBe(0);
    expectNoControls('run --dry-run', dry);
    expect(dry.stdout).toContain(`Sprint: ${HOSTILE_SHOWN}`);

    const run = await runCli(['run', dir], { cwd });
    expect(run.code, run.stderr).toBe(0);
    expectNoControls('run', run);
    expect(run.stdout).toContain(`stdout: ${HOSTILE_OUTPUT_SHOWN}`); // the agent's output line
    // The agent's summary, on the task's line.
    expect(run.stdout).toMatch(/talker done \(success, [^)]*\): out \\e\[2J \\e\]52;c;aGk=\\x07/);

    for (const args of [
      ['status', dir],
      ['status', dir, '--watch'],
      ['list', '--dir', cwd],
    ]) {
      const shown = await runCli(args, { cwd });
      expect(shown.code, shown.stderr).toBe(0);
      expectNoControls(args.join(' '), shown);
      expect(shown.stdout).toContain(HOSTILE_SHOWN);
    }
    const logs = await runCli(['logs', dir], { cwd });
    expectNoControls('logs', logs);
    expect(logs.stdout).toContain(`stdout: ${HOSTILE_OUTPUT_SHOWN}`);
    // --json is JSON: the same text, escaped as JSON escapes it, and nothing else.
    const json = await runCli(['status', dir, '--json'], { cwd });
    expect(JSON.parse(json.stdout).name).toBe(
      'A\x1b[2JB\x1b]8;;https://evil.example\x1b\\C\u202eD\x9bE\rF\x1b]52;c;aGk=\x07G',
    );
  });

  it("on a terminal: the live view and status show the hostile text and keep the CLI's own colours", async () => {
    const cwd = tempDir();
    const dir = shellSprint(cwd, 'hostile-tty', [{ id: 'talker', command: HOSTILE_COMMAND }]);
    makeHostile(dir, 'talker');
    const env = { ...process.env };
    delete env.NO_COLOR;
    for (const args of [
      ['run', dir],
      ['status', dir],
    ]) {
      // A pseudo-terminal turns each LF into CRLF, so the CR is looked for as the hostile text has it.
      const { code, output } = await runInTerminal(args, cwd, env, 200);
      expect(code, output).toBe(0);
      for (const raw of ['\x1b[2J', '\x1b]', '\x07', '\x9b', '\u202e', ' \r end', 'E\rF']) {
        expect(
          output.includes(raw),
          `${args[0]}: ${JSON.stringify(raw)} in ${JSON.stringify(output)}`,
        ).toBe(false);
      }
      expect(output).toContain(HOSTILE_SHOWN);
      expect(output).toContain('\x1b[1m'); // the CLI's own styling still reaches the terminal
    }
  });

  it('an error that quotes a hostile name', async () => {
    const cwd = tempDir();
    const dir = shellSprint(cwd, 'empty', []);
    makeHostile(dir, 'none');
    const run = await runCli(['run', dir], { cwd });
    expect(run.code).toBe(64);
    expectNoControls('run of an empty queue', run);
    expect(run.stderr).toContain(`The queue of sprint ${HOSTILE_SHOWN} is empty`);
  });

  it("an agent's hostile summary, deferred items and needs-human question: run and status", async () => {
    const cwd = tempDir();
    const dir = join(cwd, '.claude/sprints/2026-01-15_asks');
    shellSprint(join(cwd, '.claude/sprints'), 'asks', [{ id: 'asker', command: 'true' }], {
      agent: 'claude',
    });
    const usage = { input_tokens: 100, output_tokens: 20 };
    fake = await startFakeAnthropic(() => ({
      type: 'structured-output',
      output: {
        status: 'needs-human',
        summary: 'Summary \x1b[2J\x1b]8;;https://evil.example\x1b\\here',
        deferred_items: ['Deferred \u202eevil'],
        files_changed: [],
        human_needed: {
          reason: 'Reason \x1b]52;c;aGk=\x07 \x9b31m',
          details: 'Line one \x1b[1A\x1b[2K\nLine two\r spoofed',
          options: ['yes\x1b[8m', 'no\u2066'],
        },
      },
      usage,
    }));
    const home = mkdtempSync(join(tmpdir(), 'sprint-cli-home-'));
    const env = {
      ...claudeTestEnv({ baseUrl: fake.url, home }),
      SPRINT_CLAUDE_BIN: findClaudeBin(here),
    };

    const run = await runCli(['run', dir], { cwd, env, cleanEnv: true, timeoutMs: 90_000 });
    expect(run.code, run.stdout + run.stderr).toBe(2);
    expectNoControls('run', run);
    const status = await runCli(['status', dir], { cwd, env, cleanEnv: true });
    expectNoControls('status', status);
    for (const out of [run.stdout, status.stdout]) {
      expect(out).toContain(String.raw`Reason \e]52;c;aGk=\x07 \u009B31m`);
      expect(out).toContain(String.raw`Line one \e[1A\e[2K`);
      expect(out).toMatch(/\n {4,}Line two\\r spoofed\n/); // details keep their lines, indented
      expect(out).toContain(String.raw`1. yes\e[8m`);
      expect(out).toContain(String.raw`2. no\u2066`);
      expect(out).toContain(String.raw`Deferred \u202Eevil`);
    }
    const logs = await runCli(['logs', dir], { cwd, env, cleanEnv: true });
    expectNoControls('logs', logs);
    expect(logs.stdout).toContain(String.raw`(asks: Reason \e]52;c;aGk=\x07 \u009B31m)`);
  });
});
