import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** Flags for a quiet, offline, sandbox-free headless Chromium (tests run as root on CI). */
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * The Chromium to drive: `CHROME_PATH`, else Debian's `chromium`. Throws a
 * clear error when neither exists: browser tests fail, never skip.
 * (`./dev test` installs Debian's chromium when it is missing.)
 */
function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [env.CHROME_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  const found = candidates.find((p): p is string => Boolean(p) && existsSync(p!));
  if (!found) {
    throw new Error(
      'No Chromium for the dashboard tests: run `apt-get install -y chromium` (Debian; `./dev test` does this as root) or set CHROME_PATH to a Chrome/Chromium binary.',
    );
  }
  return found;
}

/** A fresh headless Chromium with its own user-data-dir; `close` removes both. */
export async function launchChromium(): Promise<{
  context: BrowserContext;
  close(): Promise<void>;
}> {
  const profile = await mkdtemp(join(tmpdir(), 'sprint-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    args: CHROMIUM_FLAGS,
    headless: true,
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * What a page fails of the phone and accessibility checks: axe's serious and
 * critical violations (`id help`), and how many pixels it is wider than the viewport.
 */
export async function auditPage(p: Page): Promise<{ serious: string[]; overflow: number }> {
  const axeSource = (createRequire(import.meta.url)('axe-core') as { source: string }).source;
  await p.evaluate(axeSource);
  const result = (await p.evaluate(`axe.run(document, { resultTypes: ['violations'] })`)) as {
    violations: { id: string; impact: string; help: string }[];
  };
  const serious = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} ${v.help}`);
  const overflow = (await p.evaluate(
    'document.documentElement.scrollWidth - window.innerWidth',
  )) as number;
  return { serious, overflow };
}
