import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type FakeGithub, type FakeGithubOptions, startFakeGithub } from '@sprint/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, snapshotFiles, tempDir } from './helpers.js';
import { runMain } from './in-process.js';

const fakes: FakeGithub[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function fakeGithub(options: FakeGithubOptions): Promise<FakeGithub> {
  const fake = await startFakeGithub(options);
  fakes.push(fake);
  return fake;
}

/** A project with a fresh sprint, and a PATH on which `gh` is absent (or the given fake). */
async function project(gh?: string) {
  const cwd = tempDir();
  const bin = join(cwd, 'bin');
  mkdirSync(bin);
  if (gh !== undefined) {
    writeFileSync(join(bin, 'gh'), `#!/bin/sh\n${gh}\n`);
    chmodSync(join(bin, 'gh'), 0o755);
  }
  const env = { PATH: `${bin}:/usr/bin:/bin` };
  const init = await runMain(['init', 'issues'], { cwd, env });
  expect(init.code, init.stderr).toBe(0);
  const progress = () =>
    readFileSync(
      join(
        cwd,
        '.claude/sprints',
        `${new Date().toISOString().slice(0, 10)}_issues`,
        'PROGRESS.yaml',
      ),
      'utf8',
    );
  return { cwd, env, progress };
}

/** The one sprint `project()` made. */
const sprintDir = (cwd: string) => {
  const root = join(cwd, '.claude/sprints');
  return join(root, readdirSync(root)[0]!);
};

const many = (n: number, labels: string[] = ['sprint']) =>
  Array.from({ length: n }, (_, i) => ({
    number: i + 1,
    title: `Issue ${i + 1}`,
    body: `Body of ${i + 1}`,
    labels,
  }));

describe('sprint import --github', () => {
  it('makes implement-issue tasks from every page of labelled open issues, pull requests left out', async () => {
    const gh = await fakeGithub({
      token: 't0ken',
      repos: {
        'acme/web': {
          issues: [
            ...many(130),
            { number: 500, title: 'Not labelled', labels: ['other'] },
            { number: 501, title: 'Closed', labels: ['sprint'], state: 'closed' },
            { number: 502, title: 'A pull request', labels: ['sprint'], pullRequest: true },
          ],
        },
      },
    });
    const { cwd, env, progress } = await project();
    // A sprint named after a repeatable --label is the sprint, not one more label.
    const args = ['--github', 'acme/web', '--label', 'sprint', '--label', 'sprint'];
    const r = await runMain(['import', ...args, sprintDir(cwd), '--json'], {
      cwd,
      env: { ...env, GITHUB_TOKEN: 't0ken', GITHUB_API_URL: gh.url },
    });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({
      repo: 'acme/web',
      listed: 130,
      skipped: [],
      tokenFrom: 'GITHUB_TOKEN',
    });
    expect(doc.added).toHaveLength(130);
    expect(doc.added[0]).toBe('implement-issue-1');
    // Two pages, followed through the Link header, with the token and GitHub's headers.
    const listed = gh.requests.filter((q) => q.path.includes('/issues'));
    expect(listed).toHaveLength(2);
    expect(listed[1]!.path).toContain('page=2');
    expect(new URL(listed[0]!.path, gh.url).searchParams.get('labels')).toBe('sprint,sprint');
    expect(listed[0]!.headers.authorization).toBe('Bearer t0ken');
    expect(listed[0]!.headers.accept).toBe('application/vnd.github+json');
    const yaml = progress();
    expect(yaml).toMatch(/id: implement-issue-7\n\s+type: implement-issue/);
    expect(yaml).toContain('issue-number: 7');
    expect(yaml).toContain('repo: acme/web');
    expect(yaml).toContain('Body of 7');
    expect(yaml).not.toContain('implement-issue-502');
    expect(yaml).not.toContain('implement-issue-500');
  });

  it('skips issues already in the sprint, under any id, and says which', async () => {
    const gh = await fakeGithub({ repos: { 'acme/web': { issues: many(3) } } });
    const { cwd, env } = await project();
    const api = { ...env, GITHUB_API_URL: gh.url };
    const added = await runMain(
      ['add', 'implement-issue', '--issue-number', '2', '--repo', 'acme/web', '--id', 'fix-two'],
      { cwd, env: api },
    );
    expect(added.code, added.stderr).toBe(0);
    const first = await runMain(['import', '--github', 'acme/web'], { cwd, env: api });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('Imported 2 issues from acme/web');
    expect(first.stdout).toContain('Skipped 1 already in the sprint: #2 (fix-two)');
    expect(first.stderr).toContain('No GitHub token');

    const before = snapshotFiles(cwd);
    const again = await runMain(['import', '--github', 'acme/web'], { cwd, env: api });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Imported 0 issues');
    expect(again.stdout).toContain('Skipped 3 already in the sprint: #1, #2 (fix-two), #3');
    expect(snapshotFiles(cwd)).toEqual(before);
  });

  it('finds a milestone by title and filters by state', async () => {
    const gh = await fakeGithub({
      repos: {
        'acme/web': {
          milestones: [
            { number: 1, title: 'v1' },
            { number: 2, title: 'v2' },
          ],
          issues: [
            { number: 1, title: 'in v1', milestone: 1 },
            { number: 2, title: 'in v2', milestone: 2 },
            { number: 3, title: 'in v2, closed', milestone: 2, state: 'closed' },
          ],
        },
      },
    });
    const { cwd, env } = await project();
    const r = await runMain(
      ['import', '--github', 'acme/web', '--milestone', 'v2', '--state', 'all', '--json'],
      {
        cwd,
        env: { ...env, GITHUB_API_URL: gh.url },
      },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).added).toEqual(['implement-issue-2', 'implement-issue-3']);

    const before = snapshotFiles(cwd);
    const missing = await runMain(['import', '--github', 'acme/web', '--milestone', 'v9'], {
      cwd,
      env: { ...env, GITHUB_API_URL: gh.url },
    });
    expect(missing.code).toBe(66);
    expect(missing.stderr).toContain('acme/web has no milestone "v9" (it has: "v1", "v2")');
    expect(snapshotFiles(cwd)).toEqual(before);
  });

  it.each([
    [
      'a refused token',
      { token: 'right' },
      'acme/web',
      { GITHUB_TOKEN: 'wrong' },
      77,
      /401 Bad credentials[\s\S]*Fix: set GITHUB_TOKEN/,
    ],
    [
      'an unknown repository',
      {},
      'acme/nope',
      {},
      66,
      /no repository acme\/nope[\s\S]*Fix: check OWNER\/REPO/,
    ],
    ['a malformed repository', {}, 'just-a-name', {}, 64, /write it as OWNER\/REPO/],
  ])(
    '%s: its exit code, a clear message, nothing changed',
    async (_name, fakeOptions, repo, extraEnv, code, message) => {
      const gh = await fakeGithub({ ...fakeOptions, repos: { 'acme/web': { issues: many(2) } } });
      const { cwd, env } = await project();
      const before = snapshotFiles(cwd);
      const r = await runMain(['import', '--github', repo], {
        cwd,
        env: { ...env, ...extraEnv, GITHUB_API_URL: gh.url },
      });
      expect(r.code, r.stderr).toBe(code);
      expect(r.stderr).toMatch(message);
      expect(snapshotFiles(cwd)).toEqual(before);
    },
  );

  it('an unreachable API: exit 69, naming the URL', async () => {
    const gh = await fakeGithub({ repos: {} });
    const url = gh.url;
    await gh.close();
    const { cwd, env } = await project();
    const r = await runMain(['import', '--github', 'acme/web'], {
      cwd,
      env: { ...env, GITHUB_API_URL: url },
    });
    expect(r.code).toBe(69);
    expect(r.stderr).toContain(`Cannot reach the GitHub API at ${url}`);
  });

  it('sits out a short rate limit, saying so; a long one exits 75 with the reset time and changes nothing', async () => {
    const gh = await fakeGithub({ repos: { 'acme/web': { issues: many(2) } } });
    const { cwd, env } = await project();
    const api = { ...env, GITHUB_API_URL: gh.url };
    gh.rateLimit({ kind: 'secondary', requests: 1, retryAfterSeconds: 1 });
    const waited = await runMain(['import', '--github', 'acme/web'], { cwd, env: api });
    expect(waited.code, waited.stderr).toBe(0);
    expect(waited.stderr).toMatch(/rate limit is used up: waiting 1s/);
    expect(waited.stdout).toContain('Imported 2 issues');

    gh.rateLimit({ kind: 'primary', requests: 5, resetInSeconds: 3600 });
    const before = snapshotFiles(cwd);
    const refused = await runMain(['import', '--github', 'acme/other'], { cwd, env: api });
    expect(refused.code).toBe(75);
    expect(refused.stderr).toMatch(/rate limit is used up .* resets at \d{4}-\d\d-\d\dT/);
    expect(refused.stderr).toContain('Fix: try again after the reset time');
    expect(snapshotFiles(cwd)).toEqual(before);
  });

  it('end to end: GitHub Enterprise under /api/v3, the token from `gh auth token`', async () => {
    const gh = await fakeGithub({
      token: 'from-gh',
      pathPrefix: '/api/v3',
      repos: { 'team/app': { issues: many(2, []) } },
    });
    const { cwd, env } = await project('[ "$1 $2" = "auth token" ] && echo from-gh');
    const r = await runCli(['import', '--github', 'team/app'], {
      cwd,
      cleanEnv: true,
      env: { ...env, GITHUB_API_URL: gh.url },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Imported 2 issues from team/app');
    expect(gh.requests[0]!.path).toMatch(/^\/api\/v3\/repos\/team\/app\/issues\?/);
    expect(gh.requests[0]!.headers.authorization).toBe('Bearer from-gh');
  });
});
