/**
 * The fault suite: each scenario enqueues numbered messages, injects one fault
 * while they are consumed, and accounts for every message (a per-id ledger of
 * handler starts, and the table's own state at the end). Used by the serial
 * test (short mode, asserting the bounds) and by `npm run faults` (the table).
 *
 * They kill and restart vtcombo and mysqld of the local Vitess the environment
 * names (scripts/vitess.sh), so they run alone: never against a Vitess others use.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as mysql from 'mysql2/promise';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fromMysql2 } from '../../src/adapters/mysql2';
import { enqueue } from '../../src/core/operations';
import type { MessageTableSpec } from '../../src/core/spec';
import { transportBufferBound } from '../../src/subscriber/grpc/vtgate-grpc-transport';
import type { MessageContext } from '../../src/subscriber/message';
import type { SubscriberOptions } from '../../src/subscriber/options';
import { subscribe, type Subscriber } from '../../src/subscriber/subscriber';
import { countAcked, createSpecTable, insertMessages, poolExecutor } from '../helpers/subscriber-fixtures';
import { TcpProxy } from '../helpers/tcp-proxy';
import { dropTable, vitess, vtgatePool, waitUntil } from '../helpers/vitess';
import type { ConsumerConfig } from './consumer';

/** One row of the suite's table. */
export interface FaultResult {
  /** Letter and title, e.g. `(b) vtcombo SIGKILLed + restarted`. */
  readonly scenario: string;
  readonly messages: number;
  /** Messages no handler ever started, or not acked/failed at the end: must be 0. */
  readonly lost: number;
  /** Handler starts beyond the one each message needs (at-least-once repeats). */
  readonly duplicates: number;
  /** The most duplicates the scenario's contract allows. */
  readonly duplicateBound: number;
  /** From the fault to the first message received once it was over (ms); undefined if none was needed. */
  readonly resumeMs: number | undefined;
  /** What else the scenario measured. */
  readonly detail: string;
  /** Broken promises of the scenario beyond lost/duplicates (empty when it held). */
  readonly problems: readonly string[];
}

export interface FaultOptions {
  /** Messages per scenario. */
  readonly messages: number;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

export interface Scenario {
  readonly key: string;
  readonly title: string;
  run(options: FaultOptions): Promise<FaultResult>;
}

const root = join(__dirname, '..', '..', '..');
const vitessSh = join(root, 'scripts', 'vitess.sh');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** Bytes of one streamed row of these tables (id, epoch, `{"i":n}`), for transportBufferBound. */
const ROW_BYTES = 40;
/** vt_batch_size of the tables made by createSpecTable. */
const BATCH_SIZE = 100;

/** Runs `scripts/vitess.sh …args` on the instance the environment names; rejects unless it exits 0. */
function vitessCommand(...args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('bash', [vitessSh, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: process.env });
    let err = '';
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`vitess.sh ${args.join(' ')} exited ${code}: ${err.trim()}`))));
  });
}

/** Rows acked or failed (dead letter). */
async function countSettled(qualified: string): Promise<number> {
  const [rows] = await vtgatePool().query(`select count(*) as n from ${qualified} where time_acked is not null or failed_at is not null`);
  return Number((rows as Array<{ n: string | number }>)[0]!.n);
}

/** Ids of the table neither acked nor failed. */
async function unsettledIds(qualified: string): Promise<Set<string>> {
  const [rows] = await vtgatePool().query(`select id from ${qualified} where time_acked is null and failed_at is null`);
  return new Set((rows as Array<{ id: string }>).map((r) => String(r.id)));
}

/** Waits for `check`, retrying through errors (the database may be down a moment longer); false on timeout. */
async function settle(check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  try {
    await waitUntil(async () => {
      try {
        return await check();
      } catch {
        return false;
      }
    }, timeoutMs, 'the scenario to settle');
    return true;
  } catch {
    return false;
  }
}

/** The accounting of one run: a ledger of handler starts per id. */
class Ledger {
  readonly starts = new Map<string, number>();
  constructor(readonly ids: readonly string[]) {}
  note(id: string): void {
    this.starts.set(id, (this.starts.get(id) ?? 0) + 1);
  }
  get handled(): number {
    return this.starts.size;
  }
  duplicates(expected: (id: string) => number = () => 1): number {
    let n = 0;
    for (const [id, c] of this.starts) n += Math.max(0, c - expected(id));
    return n;
  }
  /** Never started, or left unsettled in the table. */
  async lost(qualified: string): Promise<number> {
    const open = await unsettledIds(qualified);
    return this.ids.filter((id) => !this.starts.has(id) || open.has(id)).length;
  }
}

interface InProcess {
  spec: MessageTableSpec;
  qualified: string;
  sub: Subscriber<Record<string, unknown>>;
  ledger: Ledger;
  /** Times (ms) at which messages were received, newest last. */
  received: number[];
  errors: unknown[];
}

/**
 * The shape of the in-process scenarios: a table, `messages` enqueued, a
 * subscriber with a ledger; once `faultAfter` were handled, `fault` runs (it
 * returns when the fault is over); then everything must end acked.
 */
async function inProcess(o: {
  scenario: string;
  options: FaultOptions;
  ackWaitS: number;
  faultAfter?: number;
  sub?: Partial<SubscriberOptions<Record<string, unknown>>>;
  handler?: (ctx: MessageContext, ledger: Ledger) => Promise<void>;
  fault: (run: InProcess) => Promise<void>;
  /** The most duplicates allowed (a function: known once the run ended). */
  bound: number | ((run: InProcess) => number);
  detail?: (run: InProcess) => string;
  check?: (run: InProcess) => Promise<string[]>;
  /** Called with the subscriber before it receives anything (to listen to its events). */
  onStart?: (sub: Subscriber<Record<string, unknown>>) => void;
  /** Handler starts each message needs (default 1). */
  expected?: (id: string) => number;
}): Promise<FaultResult> {
  const log = o.options.log ?? (() => undefined);
  const { spec, qualified, keyspace, table } = await createSpecTable('fault', { ackWaitS: o.ackWaitS });
  // A pool of its own, through the library's mysql2 adapter: after (c)'s mysqld restart
  // vtgate leaves pooled sessions latched in a failed transaction (VT09032 until a
  // ROLLBACK), which the adapter must clear — no earlier scenario's pool hides it.
  const pool = mysql.createPool({ uri: vitess.mysqlUrl, supportBigNumbers: true, bigNumberStrings: true, connectionLimit: 8 });
  try {
    const ids = await insertMessages(qualified, o.options.messages, 500);
    const ledger = new Ledger(ids);
    const received: number[] = [];
    const errors: unknown[] = [];
    const sub = subscribe(spec, async (_m, ctx) => {
      ledger.note(String(ctx.id));
      if (o.handler) await o.handler(ctx, ledger);
      else await sleep(1);
    }, { executor: fromMysql2(pool), address: vitess.grpcAddr, maxInFlight: 200, concurrency: 10, ...o.sub });
    o.onStart?.(sub);
    sub.on('message', () => received.push(Date.now()));
    sub.on('error', (e) => errors.push(e));
    const run: InProcess = { spec, qualified, sub, ledger, received, errors };
    let resumeMs: number | undefined;
    try {
      await waitUntil(() => ledger.handled >= (o.faultAfter ?? Math.floor(o.options.messages / 4)), 120_000, 'the first messages handled');
      const faultAt = Date.now();
      log(`${o.scenario}: fault at ${ledger.handled} handled`);
      await o.fault(run);
      const over = Date.now();
      log(`${o.scenario}: fault over after ${over - faultAt} ms; ${ledger.handled} handled, ${received.length} received`);
      // One more message enqueued now, so there is something to resume on even
      // when the transport had buffered all the rest before the fault.
      await settle(async () => {
        ids.push(...(await insertMessages(qualified, 1, 1)));
        return true;
      }, 60_000);
      if (await settle(() => received.some((t) => t >= over), 60_000)) resumeMs = received.find((t) => t >= over)! - faultAt;
      await settle(async () => ledger.handled === ids.length && (await countSettled(qualified)) === ids.length, 180_000);
    } finally {
      await sub.close({ timeout: 5_000 });
    }
    const problems = o.check ? await o.check(run) : [];
    const s = sub.stats();
    return {
      scenario: o.scenario,
      messages: ids.length,
      lost: await ledger.lost(qualified),
      duplicates: ledger.duplicates(o.expected),
      duplicateBound: typeof o.bound === 'function' ? o.bound(run) : o.bound,
      resumeMs,
      detail: o.detail?.(run) ?? `reconnects ${s.reconnects}, failed ack batches ${errors.length}, acks dropped ${s.settleErrors}`,
      problems,
    };
  } finally {
    await pool.end().catch(() => undefined);
    await dropTable(keyspace, table).catch(() => undefined);
  }
}

/** Handlers running at the cut + what the transport may hold: the outage contract of failed acks retried. */
const outageBound = (concurrency: number) => concurrency + transportBufferBound(BATCH_SIZE, ROW_BYTES);

/** (a) The consumer process is SIGKILLed mid-batch; a new one takes over. */
const consumerKilled: Scenario = {
  key: 'a',
  title: 'consumer SIGKILLed mid-batch, a new one started',
  async run(options) {
    const scenario = `(a) ${this.title}`;
    const { spec, qualified, keyspace, table } = await createSpecTable('fault_a', { ackWaitS: 3 });
    const children: ChildProcess[] = [];
    try {
      const ids = await insertMessages(qualified, options.messages, 500);
      const ledger = new Ledger(ids);
      const config: ConsumerConfig = { spec, address: vitess.grpcAddr, mysqlUrl: vitess.mysqlUrl, maxInFlight: 200, concurrency: 10, handlerMs: 2 };
      const firstLine: number[] = [];
      const start = () => {
        const child = spawn(process.execPath, [join(__dirname, 'consumer.js')], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, FAULT_CONSUMER: JSON.stringify(config) } });
        const n = children.push(child) - 1;
        createInterface({ input: child.stdout! }).on('line', (id) => {
          firstLine[n] ??= Date.now();
          ledger.note(id);
        });
        return child;
      };
      const first = start();
      await waitUntil(() => ledger.handled >= options.messages / 3, 120_000, 'the first consumer handling');
      const killedAt = Date.now();
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      options.log?.(`${scenario}: killed at ${ledger.handled} handled`);
      start();
      await settle(async () => ledger.handled === ids.length && (await countAcked(qualified)) === ids.length, 180_000);
      const resumeMs = firstLine[1] !== undefined ? firstLine[1] - killedAt : undefined;
      return {
        scenario, messages: ids.length, lost: await ledger.lost(qualified), duplicates: ledger.duplicates(),
        // What the killed process held: handlers running, acks not yet written, all under maxInFlight.
        duplicateBound: config.maxInFlight, resumeMs, detail: 'resume includes starting the new process', problems: [],
      };
    } finally {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await dropTable(keyspace, table).catch(() => undefined);
    }
  },
};

/** (b) vtcombo SIGKILLed and started again mid-stream. */
const vtcomboKilled: Scenario = {
  key: 'b',
  title: 'vtcombo SIGKILLed and restarted mid-stream',
  run(options) {
    return inProcess({
      scenario: `(b) ${this.title}`, options, ackWaitS: 10, bound: outageBound(10),
      fault: () => vitessCommand('restart-vtcombo', '--kill'),
    });
  },
};

/** (c) mysqld SIGKILLed and started again (vtcombo recovers by itself). */
const mysqldKilled: Scenario = {
  key: 'c',
  title: 'mysqld SIGKILLed and restarted',
  run(options) {
    return inProcess({
      scenario: `(c) ${this.title}`, options, ackWaitS: 10, bound: outageBound(10),
      fault: async (run) => {
        await vitessCommand('restart-mysqld', '--kill');
        // vtcombo finds its mysqld again by itself (a few seconds): wait for vtgate to serve the table.
        await settle(async () => {
          await vtgatePool().query(`select id from ${run.qualified} limit 1`);
          return true;
        }, 60_000);
      },
    });
  },
};

/** keepalive of scenario (d): vtgate's enforcement minimum, and a short timeout. */
const KEEPALIVE = { keepalive: 10_000, keepaliveTimeout: 2_000 };

/** (d) The gRPC connection black-holed (half-open): found dead by keepalive. */
const blackHoled: Scenario = {
  key: 'd',
  title: 'gRPC connection black-holed (half-open)',
  async run(options) {
    const proxy = await TcpProxy.start(vitess.grpcAddr);
    let detectedMs: number | undefined;
    try {
      const result = await inProcess({
        scenario: `(d) ${this.title}`, options, ackWaitS: 3, bound: outageBound(10),
        // The watchdog off: this measures the transport's own detection.
        sub: { address: proxy.address, grpc: KEEPALIVE, stallTimeout: 0 },
        fault: async (run) => {
          const frozenAt = Date.now();
          const reconnecting = new Promise<void>((r) => run.sub.once('reconnecting', () => r()));
          proxy.freeze();
          await Promise.race([reconnecting, sleep(60_000)]);
          detectedMs = Date.now() - frozenAt;
        },
        detail: () => `detected after ${detectedMs} ms (limit ${KEEPALIVE.keepalive + KEEPALIVE.keepaliveTimeout + 1_000})`,
      });
      const limit = KEEPALIVE.keepalive + KEEPALIVE.keepaliveTimeout + 1_000;
      const problems = detectedMs !== undefined && detectedMs <= limit ? [] : [`half-open connection detected after ${detectedMs} ms, over keepalive + timeout + 1 s = ${limit} ms`];
      return { ...result, problems: [...result.problems, ...problems] };
    } finally {
      await proxy.close();
    }
  },
};

/** (e) A few handlers hang past the ack wait: the tablet sends their message again. */
function hangingHandler(extend: boolean): Scenario {
  return {
    key: extend ? 'e+' : 'e',
    title: extend ? 'handler hanging past the ack wait, with ctx.extend' : 'handler hanging past the ack wait',
    run(options) {
      const hung = 3;
      const ackWaitMs = 2_000;
      const chosen = new Set<string>();
      return inProcess({
        scenario: `(${this.key}) ${this.title}`, options, ackWaitS: ackWaitMs / 1000, bound: extend ? 0 : Infinity,
        faultAfter: 1,
        // Leases are the subject here: none renewed behind the handler's back.
        sub: { autoExtend: false },
        handler: async (ctx, ledger) => {
          const id = String(ctx.id);
          // The first `hung` first deliveries after the start hang for 3 ack waits: longer than
          // the tablet's ack wait + backoff + a poller interval, so without a lease the copy surely comes.
          if (chosen.size < hung && ledger.starts.get(id) === 1 && ledger.handled > 10) chosen.add(id);
          else return;
          if (extend) {
            // Leases of two ack waits renewed every quarter of one: a renewal UPDATE held up
            // for over an ack wait on a loaded machine (one was, right after (c)'s mysqld
            // restart) still leaves the lease running; the hang outlasts any single lease.
            const lease = setInterval(() => void ctx.extend({ by: 2 * ackWaitMs }).catch(() => undefined), ackWaitMs / 4);
            await ctx.extend({ by: 2 * ackWaitMs });
            await sleep(ackWaitMs * 3).finally(() => clearInterval(lease));
          } else await sleep(ackWaitMs * 3);
        },
        fault: async () => void (await waitUntil(() => chosen.size === hung, 60_000, 'handlers hanging')),
        detail: (run) => `${hung} hung 3 ack waits; stats().duplicates ${run.sub.stats().duplicates}`,
        check: async (run) => {
          const dupOfHung = [...chosen].filter((id) => (run.ledger.starts.get(id) ?? 0) > 1).length;
          if (extend) return dupOfHung === 0 ? [] : [`${dupOfHung} extended messages were delivered again`];
          const problems: string[] = [];
          if (dupOfHung !== hung) problems.push(`${dupOfHung} of ${hung} hung messages came back (expected all)`);
          if (run.sub.stats().duplicates < dupOfHung) problems.push(`stats().duplicates ${run.sub.stats().duplicates} does not report them`);
          return problems;
        },
      });
    },
  };
}

/** (f) Nacks and fails written at once, racing the tablet's postpone. */
const nackFailRace: Scenario = {
  key: 'f',
  title: 'nack/fail racing the tablet\'s postpone',
  run(options) {
    // Ids whose fail landed (the subscriber's `failed` event, when), and failed ids
    // delivered again after that. (A copy sent before the fail landed, because the
    // tablet's postpone took longer than the ack wait, is an ordinary duplicate.)
    const failedAt = new Map<string, number>();
    const failedIds = { has: (id: string) => failedAt.has(id), get size() { return failedAt.size; } };
    const cameBack = new Set<string>();
    return inProcess({
      // Duplicates: only where a nack/fail changed no row (each a settle miss: the
      // tablet's postpone took longer than the ack wait), reported, not hidden.
      scenario: `(f) ${this.title}`, options, ackWaitS: 5, bound: (run) => run.sub.stats().settleMisses, faultAfter: 0,
      sub: { concurrency: 50, maxAttempts: 0 },
      // A failed message is handled once, a nacked one twice.
      expected: (id) => (failedIds.has(id) ? 1 : 2),
      handler: async (ctx, ledger) => {
        const id = String(ctx.id);
        if (ledger.starts.get(id)! > 1) {
          if (failedIds.has(id)) cameBack.add(id);
          return; // acked
        }
        // Half fail, half nack, at once on their first delivery: before the postpone lands.
        if (BigInt(id) % 2n === 0n) await ctx.fail('fault suite: failed on first delivery');
        else await ctx.nack();
      },
      onStart: (sub) => sub.on('failed', (id) => failedAt.set(id, Date.now())),
      fault: async () => undefined,
      detail: (run) => {
        const spread = new Map<string, number>();
        for (const [id, n] of run.ledger.starts) {
          const k = `${failedIds.has(id) ? 'failed' : 'nacked'}×${n}`;
          spread.set(k, (spread.get(k) ?? 0) + 1);
        }
        const st = run.sub.stats();
        return `${failedIds.size} failed and ${st.nacked} nacked on first delivery; settle misses ${st.settleMisses}; redelivered ${st.redelivered}; starts ${[...spread].map(([k, v]) => `${k}: ${v}`).join(', ')}`;
      },
      check: async (run) => {
        // A fail that did not land leaves its row due again after the ack wait. A
        // sentinel due an ack wait (+ 2 s) from now arrives only after that would have shown.
        const sentinel = await enqueue(poolExecutor(), run.spec, { payload: { sentinel: true } }, { delay: run.spec.options.ackWaitMs + 2_000 });
        let seen = false;
        const again = subscribe(run.spec, (_m, ctx) => {
          if (String(ctx.id) === sentinel) seen = true;
          else if (failedIds.has(String(ctx.id))) cameBack.add(String(ctx.id));
        }, { executor: poolExecutor(), address: vitess.grpcAddr });
        try {
          await settle(() => seen, 30_000);
        } finally {
          await again.close({ timeout: 5_000 });
        }
        const problems: string[] = [];
        if (!seen) problems.push('the sentinel never arrived');
        if (cameBack.size > 0) problems.push(`${cameBack.size} failed messages came back`);
        return problems;
      },
    });
  },
};

/**
 * (g) Soak: many messages through the 2-shard keyspace, two consumer processes
 * at a time, one of them SIGKILLed and replaced every few seconds. Duplicates
 * are bounded by what each killed process held (maxInFlight per kill).
 */
export const soak: Scenario = {
  key: 'g',
  title: 'soak: consumers SIGKILLed and replaced every 5 s',
  async run(options) {
    const scenario = `(g) ${this.title}`;
    const { spec, qualified, keyspace, table } = await createSpecTable('fault_g', { ackWaitS: 5 });
    const children = new Set<ChildProcess>();
    try {
      const ids = await insertMessages(qualified, options.messages, 1_000);
      const ledger = new Ledger(ids);
      const config: ConsumerConfig = { spec, address: vitess.grpcAddr, mysqlUrl: vitess.mysqlUrl, maxInFlight: 1_000, concurrency: 20, handlerMs: 0 };
      const start = () => {
        const child = spawn(process.execPath, [join(__dirname, 'consumer.js')], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, FAULT_CONSUMER: JSON.stringify(config) } });
        children.add(child);
        child.once('exit', () => children.delete(child));
        createInterface({ input: child.stdout! }).on('line', (id) => ledger.note(id));
        return child;
      };
      start();
      start();
      let kills = 0;
      const started = Date.now();
      while (!(ledger.handled === ids.length && (await countAcked(qualified).catch(() => 0)) === ids.length) && Date.now() - started < 3_600_000) {
        await sleep(5_000); // the restart cadence itself, not a wait for a result
        const victim = [...children][0];
        if (victim) {
          victim.kill('SIGKILL');
          kills++;
          await new Promise((r) => victim.once('exit', r));
        }
        start();
        options.log?.(`${scenario}: ${ledger.handled.toLocaleString('en-US')} handled, ${kills} kills`);
      }
      const seconds = (Date.now() - started) / 1000;
      return {
        scenario, messages: ids.length, lost: await ledger.lost(qualified), duplicates: ledger.duplicates(),
        duplicateBound: kills * config.maxInFlight, resumeMs: undefined,
        detail: `${kills} consumers killed; ${Math.round(ids.length / seconds).toLocaleString('en-US')} messages/s over ${seconds.toFixed(0)} s`, problems: [],
      };
    } finally {
      for (const c of children) c.kill('SIGKILL');
      await dropTable(keyspace, table).catch(() => undefined);
    }
  },
};

/** Every scenario of the short suite, in table order. */
export const scenarios: readonly Scenario[] = [consumerKilled, vtcomboKilled, mysqldKilled, blackHoled, hangingHandler(false), hangingHandler(true), nackFailRace];

/** The table `npm run faults` prints (markdown, as in the README). */
export function formatTable(results: readonly FaultResult[]): string {
  const rows = [
    '| scenario | messages | lost | duplicates (bound) | time to resume | notes |',
    '|---|---:|---:|---:|---:|---|',
    ...results.map((r) => `| ${r.scenario} | ${r.messages.toLocaleString('en-US')} | ${r.lost} | ${r.duplicates} (${Number.isFinite(r.duplicateBound) ? `≤ ${r.duplicateBound}` : 'reported'}) | ${r.resumeMs === undefined ? '–' : `${(r.resumeMs / 1000).toFixed(1)} s`} | ${[r.detail, ...r.problems.map((p) => `✖ ${p}`)].join('; ')} |`),
  ];
  return rows.join('\n');
}
