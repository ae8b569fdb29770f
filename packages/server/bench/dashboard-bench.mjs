// The dashboard in headless Chromium (Debian's, or CHROME_PATH); prints figures, asserts nothing.
//  1. Time to first render of the sprints page and of a 1,000-task sprint's
//     page: from navigation to the table drawn (the sprint page draws its
//     first 200 rows, then all 1,000 on "Show all", timed too); median of 10
//     fresh pages. Also the API's answer time and the JS+CSS size gzipped.
//  2. 200 events per second into an open sprint page for BENCH_EVENT_SECONDS
//     (5): how many events the page is behind, sampled every 250 ms, early
//     vs late (no growing lag), and the time to catch up after the last.
// Everything runs on 127.0.0.1; the server runs in this process.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentResultSchema } from '@sprint/core';
import { chromium } from 'playwright-core';
import { startServer } from '../dist/index.js';

const RUNS = 10;
const RATE = 200;
const EVENT_SECONDS = Number(process.env.BENCH_EVENT_SECONDS ?? 5);
const TOKEN = 'bench-token-0123456789abcdef';
const chromePath = [process.env.CHROME_PATH, '/usr/bin/chromium'].find((p) => p && existsSync(p));
if (!chromePath) {
  console.error('dashboard bench: no Chromium (apt-get install chromium, or set CHROME_PATH)');
  process.exit(1);
}

const dir = await mkdtemp(join(tmpdir(), 'sprint-web-bench-'));
const root = join(dir, '.claude', 'sprints');
await mkdir(root, { recursive: true });
let emitted = 0;
let releaseStream;
const streamDone = new Promise((ok) => {
  releaseStream = ok;
});
// An agent that emits RATE activity events per second for EVENT_SECONDS.
const streamer = () => ({
  name: 'streamer',
  async run(ctx) {
    const start = Date.now();
    const total = RATE * EVENT_SECONDS;
    while (emitted < total && !ctx.signal.aborted) {
      const due = Math.min(total, Math.floor(((Date.now() - start) / 1000) * RATE));
      while (emitted < due) {
        emitted++;
        ctx.emit({ kind: 'log', stream: 'stdout', line: `line ${emitted}` });
      }
      await new Promise((ok) => setTimeout(ok, 5));
    }
    releaseStream(Date.now());
    return AgentResultSchema.parse({ success: true, summary: 'streamed' });
  },
});
const server = await startServer({
  port: 0,
  host: '127.0.0.1',
  root,
  token: TOKEN,
  env: {},
  handleSignals: false,
  agents: { enabled: ['noop', 'streamer'], factories: { streamer } },
});
const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const create = async (name, tasks) => {
  const res = await fetch(`${server.url}/sprints`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ name, config: { autoCommit: false, maxTasks: tasks.length }, tasks }),
  });
  if (res.status !== 201) throw new Error(`create ${name}: ${res.status} ${await res.text()}`);
  return (await res.json()).sprint.id;
};
const task = (id, extra = {}) => ({
  id,
  type: 'custom',
  title: `Task ${id}`,
  fields: { description: `do ${id}`, 'done-when': `${id} is done` },
  ...extra,
});
for (let i = 0; i < 5; i++)
  await create(`small-${i}`, [task('a'), task('b', { dependsOn: ['a'] })]);
const big = await create(
  'big',
  Array.from({ length: 1000 }, (_, i) => task(`t${i}`, i ? { dependsOn: [`t${i - 1}`] } : {})),
);
const live = await create('live', [task('stream')]);

const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
  executablePath: chromePath,
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
await context.addInitScript((token) => sessionStorage.setItem('sprint.token', token), TOKEN);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function firstRender(hash, selector, count, dataPath, showAll) {
  const times = [];
  const arrivals = [];
  const allTimes = [];
  for (let i = 0; i < RUNS; i++) {
    const page = await context.newPage();
    if (process.env.BENCH_DEBUG) {
      page.on('console', (m) => console.error(m.text()));
      page.on('pageerror', (e) => console.error(e));
    }
    const start = performance.now();
    await page.goto(`${server.url}/${hash}`);
    await page.waitForFunction(
      ([sel, n]) => document.querySelectorAll(sel).length >= n,
      [selector, count],
      { timeout: 60_000, polling: 100 },
    );
    times.push(performance.now() - start);
    if (dataPath) {
      // When the sprint's JSON had arrived, in the page's clock (from navigation start).
      const [arrived, drawn] = await page.evaluate((path) => {
        const entry = performance
          .getEntriesByType('resource')
          .find((e) => new URL(e.name).pathname === path);
        return [entry?.responseEnd ?? Number.NaN, performance.now()];
      }, dataPath);
      arrivals.push(drawn - arrived);
    }
    if (showAll) {
      // Every row: after "Show all N tasks".
      const t = performance.now();
      await page.getByRole('button', { name: /^Show all/ }).click();
      await page.waitForFunction(
        (n) => document.querySelectorAll('tbody tr').length >= n,
        showAll,
        {
          timeout: 60_000,
          polling: 100,
        },
      );
      allTimes.push(performance.now() - t);
    }
    await page.close();
  }
  if (showAll) {
    console.log(
      `dashboard: "Show all" to all ${showAll} rows drawn: ${median(allTimes).toFixed(0)} ms (median of ${RUNS})`,
    );
  }
  if (dataPath) {
    console.log(
      `dashboard: of which drawing after the sprint's JSON arrived: ${median(arrivals).toFixed(0)} ms (median of ${RUNS})`,
    );
  }
  return median(times);
}

// What the page waits for from the server: the 1,000-task sprint's JSON.
const apiTimes = [];
for (let i = 0; i < RUNS; i++) {
  const start = performance.now();
  const res = await fetch(`${server.url}/sprints/${big}`, { headers });
  await res.arrayBuffer();
  apiTimes.push(performance.now() - start);
  await new Promise((ok) => setTimeout(ok, 250)); // past the read cache
}
console.log(
  `dashboard: GET /sprints/{id} of the 1,000-task sprint: ${median(apiTimes).toFixed(0)} ms (median of ${RUNS})`,
);

const list = process.env.BENCH_DEBUG ? 0 : await firstRender('', 'tbody tr', 6);
const bigPage = await firstRender(`#/sprints/${big}`, 'tbody tr', 200, `/sprints/${big}`, 1000);
console.log(
  `dashboard: first render, sprints page (6 sprints): ${list.toFixed(0)} ms (median of ${RUNS})`,
);
console.log(
  `dashboard: first render, 1,000-task sprint page (its first 200 rows): ${bigPage.toFixed(0)} ms (median of ${RUNS})`,
);

const page = await context.newPage();
await page.goto(`${server.url}/#/sprints/${live}`);
await page.getByRole('button', { name: 'Run' }).waitFor();
// The event log's "N events": every event the page has taken in.
const received = async () =>
  Number((await page.locator('span.muted', { hasText: / events$/ }).textContent()).split(' ')[0]);
const before = await received();
let ended;
void streamDone.then((t) => {
  ended = t;
});
await page.getByLabel('Agent').fill('streamer');
await page.getByRole('button', { name: 'Run' }).click();
const samples = [];
while (!ended) {
  await new Promise((ok) => setTimeout(ok, 250));
  // Lag in events: what the agent emitted minus what the page shows (a few run events besides).
  samples.push(emitted - ((await received()) - before));
}
await page.locator('h1 .badge', { hasText: 'completed' }).waitFor({ timeout: 120_000 });
const caughtUp = Date.now() - ended;
const total = (await received()) - before;
const half = Math.floor(samples.length / 2);
const early = Math.max(0, ...samples.slice(0, half));
const late = Math.max(0, ...samples.slice(half));
console.log(
  `dashboard: ${RATE} events/s for ${EVENT_SECONDS}s (${emitted} activity events): page took in ${total} events; ` +
    `lag early max ${early}, late max ${late} events (growing: ${late > 2 * early + RATE / 2 ? 'YES' : 'no'}); ` +
    `completed on the page ${caughtUp} ms after the last event`,
);
await context.close();
await server.close();
await rm(dir, { recursive: true, force: true });
