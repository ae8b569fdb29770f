import { spawnSync } from 'node:child_process';
import { existsSync, readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers.js';
import { SpawnServer, sweepDeadHelpers } from './spawn-server.js';

const sh = (server: SpawnServer, script: string, options: { env?: NodeJS.ProcessEnv } = {}) =>
  server.run('/bin/sh', ['-c', script], {
    cwd: tmpdir(),
    env: { ...process.env, ...options.env },
  });

/** The helper's own pid: the parent of the subshell that starts each command. */
async function helperPid(server: SpawnServer): Promise<number> {
  const out = await sh(server, 'ps -o ppid= -p $PPID');
  return Number(out.stdout.trim());
}

describe('SpawnServer', { timeout: 60_000 }, () => {
  it("removes the folders of helpers killed outright, and leaves live helpers' folders", async () => {
    const tag = `${process.pid}-${Date.now()}`;
    const folder = (name: string) => join(tmpdir(), `sprint-spawn-test-${name}-${tag}`);
    // A pid that was just used and is gone (spawnSync reaps its child).
    const deadPid = spawnSync('/bin/sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim();
    const dead = folder('dead');
    const alive = folder('alive');
    const starting = folder('starting');
    const elsewhere = folder('elsewhere');
    // Dead too, but used a moment ago: a command its killed helper left may still write there.
    const recent = folder('recent');
    for (const dir of [dead, alive, starting, elsewhere, recent]) await mkdir(dir);
    const owner = `${hostname()}\n${readlinkSync('/proc/self/ns/pid')}\n`;
    await writeFile(join(dead, 'helper.pid'), `${deadPid}\n`);
    await writeFile(join(dead, 'helper.owner'), owner);
    // The same dead pid, but a helper of another machine (a temp folder shared with it).
    await writeFile(join(elsewhere, 'helper.pid'), `${deadPid}\n`);
    await writeFile(
      join(elsewhere, 'helper.owner'),
      `another-host\n${readlinkSync('/proc/self/ns/pid')}\n`,
    );
    await writeFile(join(dead, '1.out'), 'left by a helper killed with -9');
    await writeFile(join(alive, 'helper.pid'), `${process.pid}\n`);
    await writeFile(join(alive, 'helper.owner'), owner);
    await writeFile(join(recent, 'helper.pid'), `${deadPid}\n`);
    await writeFile(join(recent, 'helper.owner'), owner);
    // The dead helper's last command started two minutes ago.
    const before = new Date(Date.now() - 120_000);
    await utimes(dead, before, before);
    try {
      // Each new helper sweeps in the background; the sweep itself, awaited:
      await sweepDeadHelpers();
      expect(existsSync(dead)).toBe(false);
      expect(existsSync(recent)).toBe(true);
      const server = new SpawnServer();
      await sh(server, 'true');
      expect(existsSync(alive)).toBe(true);
      expect(existsSync(starting)).toBe(true);
      expect(existsSync(elsewhere)).toBe(true);
      // Its own folder names its live helper, so a later sweep leaves it.
      const pid = String(await helperPid(server));
      const named = await Promise.all(
        (await readdir(tmpdir()))
          .filter((name) => name.startsWith('sprint-spawn-'))
          .map((name) => readFile(join(tmpdir(), name, 'helper.pid'), 'utf8').catch(() => '')),
      );
      expect(named.map((text) => text.trim())).toContain(pid);
    } finally {
      for (const dir of [dead, alive, starting, elsewhere, recent])
        await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs commands from one long-lived helper, with their arguments, output, exit code and folder', async () => {
    const server = new SpawnServer();
    const quoted = `it's "quoted" $HOME \`x\` \\ and\nmultiline`;
    const out = await server.run(
      '/bin/sh',
      ['-c', 'printf "%s|" "$1" "$(pwd)"; echo oops >&2; exit 3', 'sh', quoted],
      { cwd: '/', env: process.env },
    );
    expect(out).toEqual({ code: 3, stdout: `${quoted}|/|`, stderr: 'oops\n' });
    const first = await helperPid(server);
    expect(first).not.toBe(process.pid);
    expect(await helperPid(server)).toBe(first);
  });

  it('gives each command its own environment and stdin', async () => {
    const server = new SpawnServer();
    process.env.SPRINT_SPAWN_TEST_GONE = 'present at the start';
    try {
      await sh(server, 'true'); // the helper starts with that variable
      const { SPRINT_SPAWN_TEST_GONE: _gone, ...env } = process.env;
      const out = await server.run(
        '/bin/sh',
        ['-c', 'printf "%s/" "$EXTRA"; printenv SPRINT_SPAWN_TEST_GONE || printf unset/; cat'],
        { cwd: tmpdir(), env: { ...env, EXTRA: "a 'b'" }, input: 'from stdin' },
      );
      expect(out.stdout).toBe("a 'b'/unset/from stdin");
      // Without input, stdin is empty (a command reading it does not wait).
      expect((await sh(server, 'cat; echo end')).stdout).toBe('end\n');
    } finally {
      delete process.env.SPRINT_SPAWN_TEST_GONE;
    }
  });

  it('runs commands side by side, each answered with its own output', async () => {
    const server = new SpawnServer();
    const marker = `${tmpdir()}/sprint-spawn-test-${process.pid}-${Date.now()}`;
    // The first waits until the second has run: only overlapping commands finish.
    const waiting = sh(
      server,
      `i=0; until [ -e ${marker} ]; do i=$((i+1)); [ $i -gt 2000 ] && exit 9; sleep 0.01; done; rm ${marker}; echo first`,
    );
    const second = await sh(server, `touch ${marker}; echo second`);
    expect(second.stdout).toBe('second\n');
    expect(await waiting).toMatchObject({ code: 0, stdout: 'first\n' });
    const many = await Promise.all(Array.from({ length: 20 }, (_, i) => sh(server, `echo ${i}`)));
    expect(many.map((o) => o.stdout)).toEqual(Array.from({ length: 20 }, (_, i) => `${i}\n`));
  });

  it('runs a sequence of steps in one round trip, stopping at the first that fails unless it may', async () => {
    const server = new SpawnServer();
    const dir = await mkdtemp(join(tmpdir(), 'sprint-spawn-steps-'));
    try {
      const step = (script: string, extra: { input?: string; allowFail?: boolean } = {}) => ({
        file: '/bin/sh',
        args: ['-c', script],
        ...extra,
      });
      const all = await server.runSteps(
        [
          step('cat; echo " one"; echo err1 >&2', { input: 'in' }),
          step('echo two > two.txt; exit 4', { allowFail: true }),
          step('cat two.txt; cat'),
        ],
        { cwd: dir, env: process.env },
      );
      expect(all).toEqual([
        { code: 0, stdout: 'in one\n', stderr: 'err1\n' },
        { code: 4, stdout: '', stderr: '' },
        { code: 0, stdout: 'two\n', stderr: '' },
      ]);
      const stopped = await server.runSteps([step('echo a; exit 2'), step('echo ran > ran.txt')], {
        cwd: dir,
        env: process.env,
      });
      expect(stopped).toEqual([{ code: 2, stdout: 'a\n', stderr: '' }]);
      expect(existsSync(join(dir, 'ran.txt'))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('gives a step the first line an earlier step printed as an argument, in the same round trip', async () => {
    const server = new SpawnServer();
    const printf = (...args: (string | { stdoutOf: number })[]) => ({
      file: 'printf',
      args: ['%s|', ...args],
    });
    const odd = `it's "odd" $HOME \`x\` * \\`;
    const out = await server.runSteps(
      [
        { file: 'printf', args: ['%s\\n%s\\n', odd, 'second line'] },
        printf({ stdoutOf: 0 }, 'own'),
        printf({ stdoutOf: 1 }, { stdoutOf: 0 }),
      ],
      { cwd: tmpdir(), env: process.env },
    );
    expect(out.map((o) => o.stdout)).toEqual([
      `${odd}\nsecond line\n`,
      `${odd}|own|`,
      `${odd}|own||${odd}|`,
    ]);
    expect(() =>
      server.runSteps([printf({ stdoutOf: 0 })], { cwd: tmpdir(), env: process.env }),
    ).toThrow(/step 0 takes the output of step 0/);
  });

  it('rejects a missing folder like a spawn does, and an aborted command at once, ending it', async () => {
    const server = new SpawnServer();
    await expect(
      server.run('/bin/sh', ['-c', 'true'], { cwd: '/no/such/folder', env: process.env }),
    ).rejects.toMatchObject({ code: 'ENOENT' });
    const controller = new AbortController();
    const pidFile = `${tmpdir()}/sprint-spawn-abort-${process.pid}-${Date.now()}`;
    const slow = server.run('/bin/sh', ['-c', `echo $$ > ${pidFile}; exec sleep 30`], {
      cwd: tmpdir(),
      env: process.env,
      signal: controller.signal,
    });
    const pid = await waitFor(async () => Number(await readFile(pidFile, 'utf8').catch(() => '0')));
    controller.abort();
    await expect(slow).rejects.toMatchObject({ name: 'AbortError' });
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await waitFor(() => !alive());
    await rm(pidFile, { force: true });
    await expect(
      server.run('/bin/sh', ['-c', 'true'], {
        cwd: tmpdir(),
        env: process.env,
        signal: AbortSignal.abort(),
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('keeps its helper through a Ctrl-C (SIGINT), which is Node’s to handle', async () => {
    const server = new SpawnServer();
    const first = await helperPid(server);
    process.kill(first, 'SIGINT');
    expect((await sh(server, 'echo after')).stdout).toBe('after\n');
    expect(await helperPid(server)).toBe(first);
  });

  it('fails the commands of a helper that died, and starts a new helper for the next one', async () => {
    const server = new SpawnServer();
    const first = await helperPid(server);
    const started = join(tmpdir(), `sprint-spawn-dies-${process.pid}-${Date.now()}`);
    // $PPID: the helper's subshell that will write the answer; $$: the command itself.
    const pending = sh(server, `echo $PPID $$ > ${started}; exec tail -f /dev/null`);
    const [job, command] = (
      await waitFor(async () => (await readFile(started, 'utf8').catch(() => '')).trim())
    )
      .split(' ')
      .map(Number);
    // The subshell and the helper die, so no answer can come; then the command itself goes.
    process.kill(job!, 'SIGKILL');
    process.kill(first, 'SIGKILL');
    process.kill(command!, 'SIGKILL');
    await expect(pending).rejects.toThrow(/helper that runs git commands ended/);
    await rm(started, { force: true });
    const second = await helperPid(server);
    expect(second).not.toBe(first);
    expect((await sh(server, 'echo again')).stdout).toBe('again\n');
  });

  it('fails a command whose output files are gone (its folder swept), never answers it with empty output', async () => {
    const server = new SpawnServer();
    // The command removes the file its stdout goes to, as a sweep of its folder would.
    await expect(sh(server, 'echo lost; rm "$(readlink /proc/$$/fd/1)"')).rejects.toThrow(
      /its output is gone/,
    );
    expect((await sh(server, 'echo kept')).stdout).toBe('kept\n');
  });

  it('answers a command that finished after its helper was killed: the answer in the pipe is read, not failed', async () => {
    const server = new SpawnServer();
    const first = await helperPid(server);
    for (let i = 0; i < 3; i++) {
      const helper = await helperPid(server);
      // The answer comes once the killed helper is reaped, so the test does not depend on
      // when Node hears of the exit (what happens to a command sent in between is not
      // tested here: no holder of the helper's socket can be left to delay its close).
      const out = await sh(
        server,
        `kill -9 ${helper}; timeout 60 tail --pid=${helper} -f /dev/null || exit 9; echo done ${i}`,
      );
      expect(out).toMatchObject({ code: 0, stdout: `done ${i}\n` });
    }
    expect(await helperPid(server)).not.toBe(first);
  });
});
