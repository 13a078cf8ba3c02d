/**
 * The dashboard in a real headless Chromium (Debian's `chromium`, installed by
 * scripts/chromium.sh when missing) on the real Vitess: the page loads behind
 * basic auth, shows the numbers the CLI's `stats --json` prints (and
 * `counts()` reads) per table and per shard, lists the failed messages with their
 * reasons as text, explains one, and a click on Retry revives a failed
 * message on Vitess. A screenshot goes to build/dashboard.png for review.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { counts, get, type CountsResult, type QueueCounts } from '../../src/core/queue-admin';
import { serveDashboard } from '../../src/dashboard/server';
import { FAILED_REASONS, openShardConnection, statefulTable } from '../helpers/dashboard-fixture';
import { closePool, vitess } from '../helpers/vitess';

const root = join(__dirname, '..', '..', '..');
export const SCREENSHOT = join(root, 'build', 'dashboard.png');
/** Chromium on two busy cores starts and renders slowly: wait for the DOM, generously. */
const DOM_WAIT_MS = 60_000;

test.after(() => closePool());

/** The page's `document`, as the functions run in the browser see it (this project compiles without the DOM library). */
declare const document: {
  querySelector(selector: string): { textContent: string | null } | null;
  querySelectorAll(selector: string): { length: number };
};

function chromium(): string {
  return execFileSync('bash', [join(root, 'scripts', 'chromium.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 900_000 }).trim();
}

const STATES = ['due', 'scheduled', 'inFlight', 'failed', 'acked'] as const;
type Shown = Record<(typeof STATES)[number], number>;

/** The counts a row of the page shows, read from its text (as a person reads it). */
async function shownCounts(page: Page, rowSelector: string): Promise<Shown> {
  return page.$eval(rowSelector, (row, states) => {
    const out: Record<string, number> = {};
    for (const s of states) out[s] = Number((row.querySelector(`[data-count="${s}"]`)?.textContent ?? 'NaN').replace(/,/g, ''));
    return out;
  }, [...STATES]) as Promise<Shown>;
}

function pick(c: QueueCounts): Shown {
  return { due: c.due, scheduled: c.scheduled, inFlight: c.inFlight, failed: c.failed, acked: c.acked };
}

test('the dashboard in Chromium: the numbers stats --json prints, failed messages with reasons, retry revives one on Vitess', async (t) => {
  const executablePath = chromium();
  const s = await statefulTable('dash_browser');
  t.after(() => s.tt.drop());
  const auth = { username: 'ops', password: 'browser-test' };
  const dashboard = await serveDashboard({ connection: vitess.mysqlUrl, tables: [s.tt.spec], port: 0, pollInterval: '1s', basicAuth: auth });
  t.after(() => dashboard.close());

  const browser: Browser = await puppeteer.launch({ executablePath, headless: true, args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-dev-shm-usage'], protocolTimeout: 120_000 });
  t.after(() => browser.close());
  const page = await browser.newPage();
  page.setDefaultTimeout(DOM_WAIT_MS);
  await page.setViewport({ width: 1280, height: 900 });
  const problems: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${String(e)}`));
  await page.authenticate(auth);

  const response = await page.goto(dashboard.url, { waitUntil: 'domcontentloaded', timeout: DOM_WAIT_MS });
  assert.equal(response?.status(), 200);
  const row = `tr.table-row[data-table="${s.key}"]`;
  await page.waitForSelector(`${row} [data-count="due"]`);

  // The same numbers as `vitess-messages stats --json` (the built bin), table and shards, and as counts().
  const { VTGATE_MYSQL_URL: _u, ...env } = process.env;
  const stats = execFileSync(process.execPath, [join(root, 'build/src/migration/cli.js'), 'stats', s.key, '--url', vitess.mysqlUrl, '--json'], { encoding: 'utf8', env });
  const expected = JSON.parse(stats) as CountsResult;
  assert.deepEqual(pick(expected), { due: 4, scheduled: 2, inFlight: 1, failed: 3, acked: 2 });
  assert.deepEqual(pick(await counts(s.x, s.tt.spec, { openConnection: openShardConnection })), pick(expected));
  assert.deepEqual(await shownCounts(page, row), pick(expected));
  for (const [shard, c] of Object.entries(expected.shards!)) {
    assert.deepEqual(await shownCounts(page, `tr.shard-row[data-table="${s.key}"][data-shard="${shard}"]`), pick(c), `shard ${shard}`);
  }
  // One message has been due for over a minute: "1m 05s" and the like.
  const age = await page.$eval(`${row} [data-count="oldestDueAge"]`, (td) => ({ text: td.textContent, ms: Number(td.getAttribute('data-value')) }));
  assert.ok(age.ms >= 59_000, `oldest due age ${age.ms} ms`);
  assert.match(age.text ?? '', /^\d+m \d\ds$/);
  // The sparkline draws once two polls have been made.
  await page.waitForSelector(`${row} svg.spark polyline`);

  // The failed messages, with reasons as text (markup in a reason stays text).
  await page.click(`${row} button.show-failed`);
  await page.waitForFunction((n) => document.querySelectorAll('#failed-list tr.failed-row').length === n, {}, s.failed.length);
  const listed = await page.$$eval('#failed-list tr.failed-row', (rows) => rows.map((r) => ({ id: r.getAttribute('data-id'), reason: r.querySelector('.reason')?.textContent, bold: r.querySelector('.reason b') !== null })));
  assert.deepEqual(listed.map((m) => m.id).sort(), [...s.failed].sort());
  for (const m of listed) {
    assert.equal(m.reason, FAILED_REASONS[s.failed.indexOf(m.id!)]);
    assert.equal(m.bold, false, 'a reason is never rendered as HTML');
  }
  const [target, ...others] = s.failed as [string, ...string[]];
  await page.click(`#failed-list tr.failed-row[data-id="${target}"] button.explain`);
  await page.waitForSelector(`#explain[data-id="${target}"][data-state="failed"]:not([hidden])`);
  const explained = await page.$eval('#explain', (pre) => pre.textContent ?? '');
  assert.ok(explained.includes(target) && explained.includes(FAILED_REASONS[s.failed.indexOf(target)]!), explained);

  mkdirSync(join(root, 'build'), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });

  // Retry from the page: the row leaves the list, the failed count drops, and on Vitess the message is due again.
  await page.click(`#failed-list tr.failed-row[data-id="${target}"] button.retry`);
  await page.waitForFunction((id) => document.querySelector(`#failed-list tr.failed-row[data-id="${id}"]`) === null, {}, target);
  await page.waitForFunction((sel) => document.querySelector(`${sel} [data-count="failed"]`)?.textContent === '2', {}, row);
  const revived = await get(s.x, s.tt.spec, target);
  assert.equal(revived?.state, 'due');
  assert.equal(revived?.epoch, 0);
  assert.equal(revived?.reason, null);
  for (const id of others) assert.equal((await get(s.x, s.tt.spec, id))?.state, 'failed', `${id} untouched`);
  assert.deepEqual(pick(await counts(s.x, s.tt.spec)), { due: 5, scheduled: 2, inFlight: 1, failed: 2, acked: 2 });
  assert.deepEqual(await shownCounts(page, row), { due: 5, scheduled: 2, inFlight: 1, failed: 2, acked: 2 });
  assert.deepEqual(problems, [], 'no script errors or CSP violations');
});
