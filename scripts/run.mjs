#!/usr/bin/env node
// Compiles, brings up the local Vitess (or uses VTGATE_*), then runs one compiled
// script with node: the README's main command (`npm run example`) and the
// benchmarks (`npm run bench:drain`, …) go through here.
//   node scripts/run.mjs [node flags…] build/<script>.js [args…]
import { spawnSync } from 'node:child_process';
import { compile, root, vitessUp } from './lib.mjs';

const args = process.argv.slice(2);
const script = args.find((a) => a.endsWith('.js'));
if (!script) {
  console.error('usage: node scripts/run.mjs [node flags] build/<script>.js [args]');
  process.exit(2);
}
compile();
vitessUp();
console.log(`\n▶ ${script}`);
const res = spawnSync(process.execPath, ['--enable-source-maps', ...args], { cwd: root, stdio: 'inherit', env: process.env });
process.exit(res.status ?? 1);
