// Shared steps of `npm test` and `npm run example`: compile, bring up (or find)
// Vitess, wait until vtgate serves.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs a step; on failure prints one line (and the closing count line for CI) and exits. */
export function step(title, cmd, args, { capture = false } = {}) {
  console.log(`\n▶ ${title}`);
  const res = spawnSync(cmd, args, { cwd: root, stdio: capture ? ['ignore', 'pipe', 'inherit'] : 'inherit', encoding: 'utf8', env: process.env });
  if (res.status !== 0) {
    console.error(`✖ ${title} failed (exit ${res.status ?? res.signal})`);
    process.exit(1);
  }
  return res.stdout ?? '';
}

export function compile() {
  step('compile (tsc)', process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json']);
}

/** `scripts/vitess.sh up` (starts nothing when VTGATE_* name an external vtgate), then waits until it serves. */
export function vitessUp() {
  const out = step('vitess up', 'bash', ['scripts/vitess.sh', 'up'], { capture: true });
  for (const line of out.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) process.env[m[1]] = m[2];
  }
  step('vtgate reachable and serving', process.execPath, ['scripts/wait-vtgate.mjs']);
}
