/**
 * Generated cases stored on the real Vitess (fast-check, fixed seed): a table
 * made by our DDL (2 shards, hostile text in a column default), payloads that
 * do not fit and hostile strings enqueued through mysql2. Each is a typed error
 * (before SQL, or PayloadTooLongError from MySQL) or is read back exactly, by
 * SELECT and from the message stream. Hostile fail reasons come back exactly
 * from listFailed (a lone surrogate as U+FFFD, as fail() stores it).
 *
 * Exactly means: strings, bytes and 64-bit integers as given; JSON as
 * JSON.parse(JSON.stringify(value)) (key order aside); numbers equal by `===`
 * (MySQL keeps no negative zero: -0 comes back as 0). A duplicate id keeps the
 * first message.
 *
 * What reaches the table must also be decodable by the tablet, which reads every
 * message table's binlog: a value its decoder trips on takes the whole tablet
 * down (seen here with `{"": null}` in the JSON column: vtcombo exited). Such
 * values are refused before SQL; another seed (VM_FC_SEED) against a shared
 * Vitess can find the next one the hard way.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { fromMysql2 } from '../../src/adapters/mysql2';
import { InvalidOptionError, PayloadTooLongError, PayloadValidationError } from '../../src/core/errors';
import { enqueue, fail, listFailed } from '../../src/core/operations';
import type { MessageTableSpec } from '../../src/core/spec';
import { buildDropSchemaSql, buildSchemaSql } from '../../src/migration/ddl';
import { CaseCounts, FC_SEED, fcParams, hasLoneSurrogate, hostileString, oddJson } from '../helpers/generators';
import { decimalText, describe, generatedPayloadSpec, jsonRepresentable, normalDecimal, payloadCase, REQ_DEFAULT } from '../helpers/payload-contract';
import { TableStream } from '../helpers/stream-table';
import { closePool, uniqueName, vitess, vtgatePool, runSchemaSql } from '../helpers/vitess';

const table = uniqueName('gen_rt');
let spec: MessageTableSpec;
let stream: TableStream | undefined;
/** What each stored id must read back as: the first payload enqueued with it, and its priority. */
const stored = new Map<string, { payload: Record<string, unknown>; priority: number }>();
const db = () => fromMysql2(vtgatePool());

before(async () => {
  spec = generatedPayloadSpec(table, vitess.sharded);
  await runSchemaSql((sql) => vtgatePool().query(sql), buildSchemaSql(spec));
  stream = await TableStream.open(vitess.sharded, table);
});

after(async () => {
  await stream?.close();
  for (const sql of buildDropSchemaSql(spec)) await vtgatePool().query(sql).catch(() => undefined);
  await closePool();
});

const LIMITS: Record<string, (v: unknown) => boolean> = {
  s: (v) => typeof v === 'string' && [...v].length > 32,
  req: (v) => typeof v === 'string' && [...v].length > 64,
  t: (v) => typeof v === 'string' && Buffer.byteLength(v) > 65_535,
  b: (v) => v instanceof Uint8Array && v.byteLength > 65_535,
};

/** Enqueues one generated case; records what must be read back, or checks the typed error. */
async function enqueueCase(counts: CaseCounts, payload: unknown, options: Record<string, unknown>): Promise<void> {
  let id: string;
  try {
    id = await enqueue(db(), spec, payload as object, options);
  } catch (err) {
    if (err instanceof PayloadTooLongError) {
      const over = Object.entries(payload as Record<string, unknown>).filter(([k, v]) => LIMITS[k]?.(v));
      assert.ok(over.length > 0, `MySQL found a value too long, and so does the contract: ${err.message}`);
    } else {
      assert.ok(err instanceof PayloadValidationError || err instanceof InvalidOptionError, `a typed error, got ${String((err as Error)?.stack ?? err)}`);
    }
    counts.add((err as Error).name);
    return;
  }
  if (!stored.has(id)) stored.set(id, { payload: { ...(payload as Record<string, unknown>) }, priority: (options.priority as number | undefined) ?? 50 });
  counts.add('stored');
}

/** The value a column must give back for a stored payload value (before driver typing). */
function expected(property: string, value: unknown): unknown {
  if (value === undefined) return property === 'req' ? REQ_DEFAULT : null;
  if (value === null) return null;
  switch (property) {
    case 'j':
      return JSON.parse(JSON.stringify(value));
    case 'n':
    case 'u':
    case 'i':
      return BigInt(value as string).toString();
    case 'b':
      return Buffer.from(value as Uint8Array);
    case 'f':
      return Number(value);
    case 'm':
      return normalDecimal(decimalText(value)!);
    default:
      return value;
  }
}

/** Compares one read-back row (from SELECT or the stream) with what was stored. */
function assertRow(row: Record<string, unknown>, id: string, via: string): void {
  const want = stored.get(id)!;
  assert.equal(String(row.id), id, via);
  for (const c of spec.payload) {
    const got = row[c.name];
    const exp = expected(c.property, want.payload[c.property]);
    const what = `${via}: id ${id} column ${c.name}: stored ${describe(want.payload[c.property])}, read ${describe(got)}`;
    if (exp === null) assert.equal(got, null, what);
    else if (Buffer.isBuffer(exp)) assert.ok(Buffer.isBuffer(got) && got.equals(exp), what);
    else if (['n', 'u', 'i', 'f'].includes(c.property)) assert.equal(String(got), String(exp), what);
    else if (c.property === 'd') assert.ok(got === exp, what); // -0 reads back as 0
    else if (c.property === 'm') assert.equal(normalDecimal(String(got)), exp, what); // MySQL pads to the scale
    else if (c.property === 'j') assert.deepEqual(got, exp, what);
    else assert.equal(got, exp, what); // strings, byte for byte
  }
}

test('generated payloads that do not fit, stored on Vitess: a typed error, or read back exactly by SELECT', async () => {
  const counts = new CaseCounts('payloads that do not fit, stored on Vitess');
  await fc.assert(
    fc.asyncProperty(payloadCase, async ({ payload, id, priority }) => {
      const options: Record<string, unknown> = {};
      if (id !== undefined) options.id = id;
      if (priority !== undefined) options.priority = priority;
      await enqueueCase(counts, payload, options);
    }),
    fcParams(300, { shrink: false }),
  );
  counts.print();
  assert.ok(counts.get('stored') >= 50 && counts.get('PayloadTooLongError') >= 1, 'stored cases and too-long ones among them');
});

const hostileCase = fc.record({
  s: hostileString(5),
  t: hostileString(40),
  j: fc.oneof(oddJson, fc.dictionary(hostileString(4), hostileString(6), { maxKeys: 3 })),
  req: hostileString(8),
  b: fc.string({ unit: 'binary', maxLength: 12 }).map((x) => Buffer.from(x, 'utf8')),
});

test('generated hostile strings (quotes, backticks, comments, NUL, RTL marks, emoji, lone surrogates), stored on Vitess', async () => {
  const counts = new CaseCounts('hostile strings, stored on Vitess');
  await fc.assert(
    fc.asyncProperty(hostileCase, fc.subarray(['s', 't', 'j', 'req', 'b'], { minLength: 1 }), async (all, keys) => {
      const payload = Object.fromEntries(keys.map((k) => [k, all[k as keyof typeof all]]));
      const before = counts.get('PayloadValidationError');
      await enqueueCase(counts, payload, {});
      // What these columns refuse: a lone surrogate (utf8mb4 cannot store it), and JSON that would not come back (NaN, ±Infinity).
      const unfit = Object.entries(payload).some(([k, v]) => (typeof v === 'string' && hasLoneSurrogate(v)) || (k === 'j' && !jsonRepresentable(v)));
      assert.equal(counts.get('PayloadValidationError') > before, unfit, `refused exactly when unfit: ${describe(payload)}`);
    }),
    fcParams(250, { shrink: false }),
  );
  counts.print();
  assert.ok(counts.get('stored') >= 100);
});

test('every stored case reads back exactly: SELECT, then the message stream', async () => {
  assert.ok(stored.size >= 150, `${stored.size} stored cases`);
  const ids = [...stored.keys()];
  const [rows] = await vtgatePool().query({ sql: `select * from \`${vitess.sharded}\`.\`${table}\``, supportBigNumbers: true, bigNumberStrings: true });
  const byId = new Map((rows as Array<Record<string, unknown>>).map((r) => [String(r.id), r]));
  assert.equal(byId.size, stored.size, 'one row per stored id, no row for a refused case');
  for (const id of ids) {
    const row = byId.get(id)!;
    assert.ok(row, `row ${id}`);
    assert.equal(Number(row.priority), stored.get(id)!.priority);
    assertRow(row, id, 'select');
  }
  await stream!.waitFor((s) => ids.every((id) => s.counts().has(id)), 60_000, `the stream to deliver ${ids.length} messages`);
  for (const d of stream!.deliveries) assertRow(d.row, String(d.row.id), 'stream');
  console.log(`generated round trip: ${stored.size} stored cases read back by SELECT and from the stream (seed ${FC_SEED})`);
});

test('generated hostile fail reasons come back exactly from listFailed (lone surrogates as U+FFFD)', async () => {
  const counts = new CaseCounts('hostile fail reasons, stored on Vitess');
  const ids = [...stored.keys()].slice(0, 60);
  const reasons = fc.sample(hostileString(20), { seed: FC_SEED, numRuns: ids.length });
  const want = new Map<string, string>();
  for (let k = 0; k < ids.length; k++) {
    assert.equal(await fail(db(), spec, ids[k]!, { reason: reasons[k]! }), 1);
    want.set(ids[k]!, reasons[k]!.replace(/\p{Cs}/gu, '\uFFFD')); // a lone surrogate is stored as U+FFFD (core/reason.ts)
    counts.add('failed with a hostile reason');
  }
  const got = new Map<string, string | null>();
  let after: string | undefined;
  for (;;) {
    const page = await listFailed(db(), spec, { limit: 25, ...(after ? { after } : {}) });
    for (const m of page.messages) got.set(m.id, m.reason);
    if (!page.next) break;
    after = page.next;
  }
  assert.deepEqual(got, want);
  counts.print();
});
