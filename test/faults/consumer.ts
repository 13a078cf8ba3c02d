/**
 * A consumer in its own process, for the fault scenario "consumer SIGKILLed
 * mid-batch" (scenarios.ts). Its configuration comes as JSON in
 * FAULT_CONSUMER; it writes `<id>\n` to stdout with a synchronous write as
 * each handler starts, so a line is in the pipe before the message can be
 * acked, and survives the process's SIGKILL.
 */
import { writeSync } from 'node:fs';
import * as mysql from 'mysql2/promise';
import type { MessageTableSpec } from '../../src/core/spec';
import { subscribe } from '../../src/subscriber/subscriber';
import { poolExecutor } from '../helpers/subscriber-fixtures';

export interface ConsumerConfig {
  readonly spec: MessageTableSpec;
  readonly address: string;
  readonly mysqlUrl: string;
  readonly maxInFlight: number;
  readonly concurrency: number;
  /** How long each handler takes (ms): keeps handlers running when the kill comes. */
  readonly handlerMs: number;
}

const cfg = JSON.parse(process.env.FAULT_CONSUMER ?? '') as ConsumerConfig;
const pool = mysql.createPool({ uri: cfg.mysqlUrl, supportBigNumbers: true, bigNumberStrings: true, connectionLimit: 4 });
const sub = subscribe(cfg.spec, async (_m, ctx) => {
  writeSync(1, `${String(ctx.id)}\n`);
  await new Promise((r) => setTimeout(r, cfg.handlerMs));
}, { executor: poolExecutor(pool), address: cfg.address, maxInFlight: cfg.maxInFlight, concurrency: cfg.concurrency });
sub.on('error', (e) => writeSync(2, `consumer: ${(e as Error).message}\n`));
process.once('SIGTERM', () => {
  void sub.close({ timeout: 5_000 }).finally(() => pool.end().finally(() => process.exit(0)));
});
