#!/usr/bin/env node
// The test command (`npm test`): compile with tsc (real decorator metadata), make
// sure a vtgate is there (the local Vitess, started if needed, or the one named by
// VTGATE_MYSQL_URL + VTGATE_GRPC_ADDR), check committed migrations against the
// entities, run unit and integration tests with node's test runner, and fail on
// any failed, skipped or todo test. Extra arguments filter test files by substring.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { compile, root, step, vitessUp } from './lib.mjs';

process.chdir(root);
const filters = process.argv.slice(2);
const started = Date.now();
process.on('exit', (code) => {
  if (code !== 0 && !reported) console.log('0 passed, 1 failed');
});
let reported = false;

// The Prisma tests' client is generated, never committed. `prisma generate` runs
// offline: it needs no schema engine, so any existing file stands in for one.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;
step('prisma generate (test client)', process.execPath, ['node_modules/prisma/build/index.js', 'generate', '--schema', 'prisma/schema.prisma']);
compile();
// The public surface against the committed api/*.api.md (seconds; before Vitess).
step('public API matches api/*.api.md (npm run api regenerates)', process.execPath, ['scripts/api.mjs'], { tolerate: process.env.VM_ALLOW_TYPE_ERRORS === '1' && process.env.CI !== 'true' });
// CI catches drift: the example entities must match what the committed migrations produce.
// Those were generated for the default keyspace (`commerce`); the entities follow
// VITESS_SHARDED_KEYSPACE, so the check looks at them with the default.
const { VITESS_SHARDED_KEYSPACE: _ks, ...committedEnv } = process.env;
step('migrations match the entities (vitess-messages generate --check)', process.execPath, ['build/src/migration/cli.js', 'generate', '--check', '-d', 'build/ormconfig.js', '--dir', 'migrations'], { env: committedEnv });
vitessUp();

const files = (dir) => {
  let out = [];
  try {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) out = out.concat(files(p));
      else if (e.name.endsWith('.test.js')) out.push(p);
    }
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  return out.filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort();
};

// Parallel phase: every test owns its tables. Serial phase: tests that restart
// or kill parts of Vitess, and tests that need a quiet tablet (concurrent DDL
// delays the message manager), so they never disturb or get disturbed.
const phases = [
  { name: 'unit + integration', files: [...files('build/test/unit'), ...files('build/test/integration')], concurrency: 3 },
  { name: 'serial', files: files('build/test/serial'), concurrency: 1 },
];
// These kill and restart the local vtcombo/mysqld; an external vtgate is not
// ours to restart, so there they are left out, and the run says so. The other
// serial tests run against it.
const restartsVitess = ['vitess-recovery.test.js', 'vtcombo-kill-ledger.test.js', 'faults.test.js', 'faults-tls.test.js'];
const external = Boolean(process.env.VTGATE_MYSQL_URL && process.env.VTGATE_GRPC_ADDR);
if (external) {
  const left = phases[1].files.filter((f) => restartsVitess.some((n) => f.endsWith(`/${n}`)));
  if (left.length > 0) console.log(`\n⚠ external vtgate: not run (they restart Vitess): ${left.map((f) => relative(root, f)).join(', ')}`);
  phases[1].files = phases[1].files.filter((f) => !left.includes(f));
}

// The dashboard's browser test drives Debian's chromium: installed here, before
// the clock of any test runs (an apt-get install is minutes on a slow mirror).
if (phases.some((p) => p.files.some((f) => f.endsWith('dashboard-browser.test.js')))) {
  step('chromium for the dashboard browser test (scripts/chromium.sh)', 'bash', ['scripts/chromium.sh'], { capture: true });
}

mkdirSync('build', { recursive: true });
const totals = { tests: 0, pass: 0, fail: 0, skipped: 0, todo: 0, cancelled: 0 };
for (const phase of phases) {
  if (phase.files.length === 0) continue;
  const tap = `build/test-results-${phase.name.replace(/\W+/g, '-')}.tap`;
  console.log(`\n▶ tests: ${phase.name} (${phase.files.length} files)`);
  const res = spawnSync(process.execPath, [
    '--enable-source-maps', '--test', `--test-concurrency=${phase.concurrency}`, '--test-timeout=300000',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tap}`,
    ...phase.files.map((f) => relative(root, f)),
  ], { stdio: 'inherit', env: process.env });
  const text = readFileSync(tap, 'utf8');
  for (const key of Object.keys(totals)) {
    // The run's summary lines are the last ones of the TAP output.
    const all = [...text.matchAll(new RegExp(`^# ${key} (\\d+)$`, 'gm'))];
    totals[key] += all.length ? Number(all[all.length - 1][1]) : 0;
  }
  if (res.status !== 0 && totals.fail === 0) totals.fail += 1; // the runner itself failed
}

reported = true;
const seconds = ((Date.now() - started) / 1000).toFixed(0);
console.log(`\n${totals.tests} tests in ${seconds} s: ${totals.pass} passed, ${totals.fail} failed, ${totals.skipped} skipped, ${totals.todo} todo, ${totals.cancelled} cancelled`);
const bad = totals.fail + totals.skipped + totals.todo + totals.cancelled;
if (totals.skipped + totals.todo > 0) console.log('skipped or todo tests fail the run: a skipped test proves nothing');
if (totals.tests === 0) console.log('no tests ran');
console.log(`${totals.pass} passed, ${bad > 0 || totals.tests === 0 ? Math.max(bad, 1) : 0} failed`);
process.exit(bad > 0 || totals.tests === 0 ? 1 : 0);
