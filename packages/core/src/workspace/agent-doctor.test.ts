import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGENT_REQUIREMENTS, diagnoseAgent, diagnoseAgents } from './agent-doctor.js';

const codex = AGENT_REQUIREMENTS.find((a) => a.name === 'codex')!;

describe('diagnoseAgent', () => {
  it.each([
    [{ version: '1.0' }, ['CODEX_API_KEY'], 'ready'],
    [{ version: '1.0' }, [], 'no-credentials'],
    [{ error: 'not found' }, ['CODEX_API_KEY'], 'missing'],
    [{ error: 'not found' }, [], 'missing'],
  ] as const)('%o with credentials %o is %s', (run, credentials, status) => {
    const d = diagnoseAgent(
      codex,
      { name: 'codex', binary: 'codex', ...run, credentials: [...credentials] },
      false,
    );
    expect(d.status).toBe(status);
    if (status === 'missing') expect(d.advice.join(' ')).toContain('npm i -g @openai/codex');
    if (!credentials.length) expect(d.advice.join(' ')).toContain('codex login');
  });
});

describe('diagnoseAgents', () => {
  it('runs each binary for its version, finds credentials by name, and never shows a secret', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'doctor-'));
    try {
      const fake = join(dir, 'fake-codex');
      await writeFile(fake, '#!/bin/sh\necho "codex-cli 9.9.9"\n');
      await chmod(fake, 0o755);
      await mkdir(join(dir, '.gemini'));
      await writeFile(join(dir, '.gemini', 'oauth_creds.json'), '{}');
      const report = await diagnoseAgents({
        env: {
          PATH: '/usr/bin:/bin',
          SPRINT_CODEX_BIN: fake,
          CODEX_API_KEY: 'sk-secret-value',
          SPRINT_GEMINI_BIN: join(dir, 'none'),
        },
        home: dir,
        isRoot: false,
        timeoutMs: 20_000,
      });
      const byName = Object.fromEntries(report.map((r) => [r.name, r]));
      expect(byName.codex?.status).toBe('ready');
      expect(byName.codex?.version).toBe('codex-cli 9.9.9');
      expect(byName.gemini?.status).toBe('missing');
      expect(byName.gemini?.credentials).toBe(true);
      expect(JSON.stringify(report)).not.toContain('sk-secret-value');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('does not count OPENAI_API_KEY as a codex credential (codex exec does not send it), and says how to hand it over', async () => {
    const home = await mkdtemp(join(tmpdir(), 'doctor-'));
    try {
      const fake = join(home, 'fake-codex');
      await writeFile(fake, '#!/bin/sh\necho "codex-cli 9.9.9"\n');
      await chmod(fake, 0o755);
      const [d] = await diagnoseAgents({
        env: { PATH: '/usr/bin:/bin', SPRINT_CODEX_BIN: fake, OPENAI_API_KEY: 'sk-openai-secret' },
        home,
        isRoot: false,
        timeoutMs: 20_000,
        agents: [codex],
      });
      expect(d?.status).toBe('no-credentials');
      expect(d?.advice.join(' ')).toContain(
        'OPENAI_API_KEY is set, but codex does not read it: set CODEX_API_KEY to the same key, or run `printenv OPENAI_API_KEY | codex login --with-api-key`',
      );
      expect(JSON.stringify(d)).not.toContain('sk-openai-secret');
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it("finds codex's key in the env_key of the provider its config.toml selects", async () => {
    const home = await mkdtemp(join(tmpdir(), 'doctor-'));
    try {
      const fake = join(home, 'fake-codex');
      await writeFile(fake, '#!/bin/sh\necho "codex-cli 9.9.9"\n');
      await chmod(fake, 0o755);
      const codexHome = join(home, 'codex-home');
      await mkdir(codexHome);
      await writeFile(
        join(codexHome, 'config.toml'),
        'model = "gpt-5-mini"\nmodel_provider = "corp"\n\n[model_providers.corp]\nname = "Corp"\nbase_url = "https://llm.example/v1"\nenv_key = "CORP_LLM_KEY"\n',
      );
      const diagnose = async (extra: Record<string, string>) =>
        (
          await diagnoseAgents({
            env: { PATH: '/usr/bin:/bin', SPRINT_CODEX_BIN: fake, CODEX_HOME: codexHome, ...extra },
            home,
            isRoot: false,
            timeoutMs: 20_000,
            agents: [codex],
          })
        )[0]!;
      const withKey = await diagnose({ CORP_LLM_KEY: 'sk-corp-secret' });
      expect(withKey.status).toBe('ready');
      expect(withKey.notes.join(' ')).toContain('CORP_LLM_KEY (env_key of model provider "corp"');
      expect(JSON.stringify(withKey)).not.toContain('sk-corp-secret');
      const without = await diagnose({});
      expect(without.status).toBe('no-credentials');
      expect(without.advice.join(' ')).toContain('set CORP_LLM_KEY');
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
