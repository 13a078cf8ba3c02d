#!/usr/bin/env node
// The README's main command: bring up the local Vitess (or use VTGATE_*), then run
// the example end to end: entity, generated migration, enqueue in a transaction,
// subscribe (examples/email-worker.ts).
import { spawnSync } from 'node:child_process';
import { compile, root, vitessUp } from './lib.mjs';

compile();
vitessUp();
console.log('\n▶ examples/email-worker');
const res = spawnSync(process.execPath, ['--enable-source-maps', 'build/examples/email-worker.js'], { cwd: root, stdio: 'inherit', env: process.env });
process.exit(res.status ?? 1);
