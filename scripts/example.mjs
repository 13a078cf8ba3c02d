#!/usr/bin/env node
// The README's main command: bring up the local Vitess (or use VTGATE_*), then run
// the quick-start example end to end.
import { spawnSync } from 'node:child_process';
import { compile, root, vitessUp } from './lib.mjs';

compile();
vitessUp();
console.log('\n▶ examples/quickstart');
const res = spawnSync(process.execPath, ['--enable-source-maps', 'build/examples/quickstart.js'], { cwd: root, stdio: 'inherit', env: process.env });
process.exit(res.status ?? 1);
