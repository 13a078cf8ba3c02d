// Shared steps of `npm test` and `npm run example`: compile, bring up (or find)
// Vitess, wait until vtgate serves.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs a step; on failure prints one line (and the closing count line for CI) and exits. */
export function step(title, cmd, args, { capture = false, tolerate = false, env = process.env } = {}) {
  console.log(`\n▶ ${title}`);
  const res = spawnSync(cmd, args, { cwd: root, stdio: capture ? ['ignore', 'pipe', 'inherit'] : 'inherit', encoding: 'utf8', env });
  if (res.status !== 0 && tolerate) {
    console.error(`⚠ ${title} failed (exit ${res.status ?? res.signal}); going on (VM_ALLOW_TYPE_ERRORS=1)`);
  } else if (res.status !== 0) {
    console.error(`✖ ${title} failed (exit ${res.status ?? res.signal})`);
    process.exit(1);
  }
  return res.stdout ?? '';
}

/**
 * Compiles everything into build/ and the package into dist/ (with its ESM entry
 * points). VM_ALLOW_TYPE_ERRORS=1 keeps going past type errors (tsc still emits):
 * for a local loop while other work in the tree is half done; never in CI.
 */
export function compile() {
  const tolerate = process.env.VM_ALLOW_TYPE_ERRORS === '1' && process.env.CI !== 'true';
  // A clean build/, so no compiled copy of a deleted test or migration lingers
  // (kept in the tolerant loop, where others may be running tests from it).
  if (!tolerate) rmSync(`${root}/build`, { recursive: true, force: true });
  step('compile (tsc)', process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { tolerate });
  step('build the package (dist/)', process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { tolerate });
  step('ESM entry points', process.execPath, ['scripts/build-esm.mjs']);
}

/** `scripts/vitess.sh up` (starts nothing when VTGATE_* name an external vtgate), then waits until it serves. */
export function vitessUp() {
  const out = step('vitess up', 'bash', ['scripts/vitess.sh', 'up'], { capture: true });
  // For the local Vitess only VTCOMBO_HTTP is passed on: VTGATE_MYSQL_URL +
  // VTGATE_GRPC_ADDR in the environment mean "an external vtgate, start nothing",
  // which would stop tests that restart the local one from doing so.
  for (const line of out.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m && (m[1] === 'VTCOMBO_HTTP' || process.env.VTGATE_MYSQL_URL)) process.env[m[1]] = m[2];
  }
  step('vtgate reachable and serving', process.execPath, ['scripts/wait-vtgate.mjs']);
}
