/**
 * Generated payloads and options (fast-check, fixed seed) through `enqueue` on a
 * recording Executor: each call is a typed error before any statement, or
 * exactly one `insert … on duplicate key update` whose every value travels as a
 * parameter, without loss. Plus hostile identifiers and strings through
 * enqueue, ack and fail.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { InvalidOptionError, PayloadValidationError, VitessMessagesError } from '../../src/core/errors';
import type { ExecResult, Executor, SqlParam } from '../../src/core/executor';
import { ack, enqueue, enqueueMany, fail } from '../../src/core/operations';
import type { MessageTableSpec } from '../../src/core/spec';
import { DB_NOW_NS } from '../../src/core/sql/db-now';
import { assertSafeSql, CaseCounts, fcParams, hasLoneSurrogate, hostileString, identifierText, plainIdentifier } from '../helpers/generators';
import { assertLossless, describe, generatedPayloadSpec, mustRefuse, payloadCase } from '../helpers/payload-contract';

interface Call {
  readonly sql: string;
  readonly params: readonly SqlParam[];
}

/** Records statements; the unit tests' stand-in for a database (the stored cases run on the real one). */
function recorder(): Executor & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    async query(sql: string, params: readonly SqlParam[]): Promise<ExecResult> {
      calls.push({ sql, params });
      return { rows: [], affectedRows: 1 };
    },
  };
}

const spec = generatedPayloadSpec('gen_payload');
const properties: string[] = spec.payload.map((c) => c.property);

/** Every parameter is a driver value; the text has only names, keywords and one `?` per parameter. */
function assertStatementCarriesParams(call: Call): void {
  assertSafeSql(call.sql);
  assert.equal(call.sql.split('?').length - 1, call.params.length, `one ? per parameter: ${call.sql}`);
  for (const p of call.params) {
    assert.ok(p === null || ['string', 'number', 'boolean'].includes(typeof p) || Buffer.isBuffer(p) || p instanceof Date, `a driver value: ${describe(p)}`);
    if (typeof p === 'number') assert.ok(Number.isFinite(p), `a finite number: ${p}`);
  }
}

/** A cell of an INSERT: a parameter, the column default, or the database's clock (`enqueued_at`), never a value. */
const CELL = `(?:\\?|default|${DB_NOW_NS.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})`;
const TUPLE = `\\(${CELL}(?:, ${CELL})*\\)`;
/** The duplicate-key update: the repeat mark on `enqueued_at` (buildEnqueue), nothing else. */
const REPEAT_MARK = `\`enqueued_at\` = coalesce\\(\`enqueued_at\` \\^ 1, ${DB_NOW_NS.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`;
const ENQUEUE_SHAPE = new RegExp(`^insert into \`[^\`]+\`\\.\`[^\`]+\` \\((\`[a-z_]+\`, )*\`[a-z_]+\`\\) values ${TUPLE}(?:, ${TUPLE})* on duplicate key update ${REPEAT_MARK}$`);

test('generated payloads: a typed error before any SQL, or one INSERT … ON DUPLICATE KEY UPDATE carrying every value as a lossless parameter', async () => {
  const counts = new CaseCounts('payloads that do not fit (enqueue, recording executor)');
  await fc.assert(
    fc.asyncProperty(payloadCase, async ({ payload, id, priority }) => {
      const ex = recorder();
      const options: Record<string, unknown> = {};
      if (id !== undefined) options.id = id;
      if (priority !== undefined) options.priority = priority;
      const record = payload !== null && typeof payload === 'object' && !Array.isArray(payload) && !(payload instanceof Map) ? (payload as Record<string, unknown>) : undefined;
      // What the contract says must be refused.
      const owed: string[] = [];
      if (!record) owed.push('not a plain object');
      for (const [k, v] of Object.entries(record ?? {})) if (!properties.includes(k) && v !== undefined) owed.push(`unknown key ${k}`);
      for (const c of spec.payload) {
        const why = record && mustRefuse(c, record[c.property]);
        if (why) owed.push(`${c.property}: ${why}`);
      }
      if (id !== undefined && !((typeof id === 'bigint' || (typeof id === 'string' && /^[0-9]+$/.test(id))) && BigInt(id) >= 1n && BigInt(id) < 2n ** 63n)) owed.push('bad id');
      if (priority !== undefined && !(typeof priority === 'number' && Number.isInteger(priority) && priority >= 0 && priority <= 127)) owed.push('bad priority');

      let returned: string;
      try {
        returned = await enqueue(ex, spec, payload as object, options);
      } catch (err) {
        assert.ok(err instanceof PayloadValidationError || err instanceof InvalidOptionError, `typed error, got ${String((err as Error)?.stack ?? err)}`);
        assert.deepEqual(ex.calls, [], 'nothing reaches the executor');
        counts.add(err instanceof PayloadValidationError ? 'PayloadValidationError' : 'InvalidOptionError');
        return;
      }
      assert.deepEqual(owed, [], `accepted although ${owed.join('; ')}`);
      assert.equal(ex.calls.length, 1, 'one statement');
      const call = ex.calls[0]!;
      assert.match(call.sql, ENQUEUE_SHAPE);
      assertStatementCarriesParams(call);
      const [pid, ppriority, pdue, ...cells] = call.params;
      assert.equal(pid, returned);
      assert.match(String(pid), /^[1-9][0-9]{0,18}$/);
      assert.ok(BigInt(pid as string) < 2n ** 63n);
      if (id !== undefined) assert.equal(pid, BigInt(id as string).toString());
      assert.equal(ppriority, priority ?? 50);
      assert.equal(pdue, '0');
      // Each column given is one parameter, in table order; a left-out one is `default`.
      const given = spec.payload.filter((c) => record![c.property] !== undefined);
      assert.equal(cells.length, given.length);
      given.forEach((c, k) => assertLossless(c, record![c.property], cells[k]));
      assert.equal((call.sql.match(/\bdefault\b/gi) ?? []).length, spec.payload.length - given.length);
      counts.add('one INSERT');
    }),
    fcParams(600),
  );
  counts.print();
  assert.ok(counts.get('one INSERT') >= 100, 'enough accepted payloads');
  assert.ok(counts.get('PayloadValidationError') >= 100, 'enough refused payloads');
});

const mostlyPlain = fc.oneof({ weight: 3, arbitrary: plainIdentifier }, identifierText);

test('generated enqueueMany batches: a typed error before any SQL, or one INSERT per chunk with every row as parameters', async () => {
  const counts = new CaseCounts('payload batches (enqueueMany, recording executor)');
  // Mostly items that fit, so that whole batches get written too.
  const fitCase = fc.record({
    payload: fc.record({ s: hostileString(3).filter((x) => !hasLoneSurrogate(x)), j: fc.jsonValue(), n: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }) }, { requiredKeys: [] }) as fc.Arbitrary<unknown>,
    id: fc.option(fc.bigInt({ min: 1n, max: 2n ** 63n - 1n }), { nil: undefined }) as fc.Arbitrary<unknown>,
    priority: fc.option(fc.integer({ min: 0, max: 127 }), { nil: undefined }) as fc.Arbitrary<unknown>,
  });
  const chunkSize = fc.option(fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constantFrom<unknown>(0, -1, 1.5, NaN, 5001, '2')), { nil: undefined, freq: 3 });
  await fc.assert(
    fc.asyncProperty(fc.array(fc.oneof({ weight: 6, arbitrary: fitCase }, { weight: 1, arbitrary: payloadCase }), { maxLength: 6 }), chunkSize, async (cases, size) => {
      const ex = recorder();
      const items = cases.map(({ payload, id, priority }) => ({ payload, ...(id !== undefined ? { id } : {}), ...(priority !== undefined ? { priority } : {}) }));
      let ids: string[];
      try {
        ids = await enqueueMany(ex, spec, items as never, size === undefined ? {} : { chunkSize: size as number });
      } catch (err) {
        assert.ok(err instanceof PayloadValidationError || err instanceof InvalidOptionError, `typed error, got ${String((err as Error)?.stack ?? err)}`);
        assert.equal(ex.calls.length, 0, 'nothing reaches the executor');
        if (err instanceof PayloadValidationError) assert.ok(err.index !== undefined && err.index < items.length, 'names the item');
        counts.add(err.name);
        return;
      }
      const chunk = (size as number | undefined) ?? 500;
      assert.equal(ex.calls.length, Math.ceil(items.length / chunk), 'one statement per chunk');
      const rowIds: unknown[] = [];
      for (const call of ex.calls) {
        assertStatementCarriesParams(call);
        assert.match(call.sql, ENQUEUE_SHAPE);
        // Each row's first cell is its id: find them by walking the tuples.
        let k = 0;
        for (const tuple of call.sql.slice(call.sql.indexOf(' values ')).split(/\), \(/)) {
          rowIds.push(call.params[k]);
          k += (tuple.match(/\?/g) ?? []).length;
        }
      }
      assert.deepEqual(rowIds, ids, 'the ids returned are the rows written, in order');
      counts.add(items.length === 0 ? 'empty batch, no statement' : 'INSERT per chunk');
    }),
    fcParams(200),
  );
  counts.print();
  assert.ok(counts.get('INSERT per chunk') >= 20);
});

/** A spec by hand (as a careless caller could build one) with generated names. */
const hostileSpec: fc.Arbitrary<MessageTableSpec> = fc
  .record({ table: mostlyPlain, keyspace: fc.option(mostlyPlain, { nil: undefined }), column: mostlyPlain, vindex: fc.oneof(fc.constant('id'), mostlyPlain) })
  .map(({ table, keyspace, column, vindex }) => ({
    table,
    ...(keyspace !== undefined ? { keyspace } : {}),
    payload: [{ name: column, property: 'v', sqlType: 'varchar(255)', nullable: true }],
    streamed: ['id', 'epoch'],
    vindex: { column: vindex, type: 'hash' },
    options: { ackWaitMs: 1000, purgeAfterMs: 1000, pollerIntervalMs: 1000, batchSize: 1, cacheSize: 1 },
  }));

test('generated hostile identifiers and strings: refused as InvalidOptionError, or quoted names and values as parameters', async () => {
  const counts = new CaseCounts('hostile identifiers and strings (enqueue/ack/fail, recording executor)');
  await fc.assert(
    fc.asyncProperty(hostileSpec, hostileString(16), hostileString(16), fc.constantFrom('enqueue', 'ack', 'fail'), async (s, value, reason, operation) => {
      const ex = recorder();
      try {
        if (operation === 'enqueue') await enqueue(ex, s, { v: value }, { id: '7' });
        else if (operation === 'ack') await ack(ex, s, [{ id: '7', vindexValue: value }]);
        else await fail(ex, s, { id: '7', vindexValue: value }, { reason, raceWait: 0 });
      } catch (err) {
        assert.ok(err instanceof VitessMessagesError, `typed error, got ${String((err as Error)?.stack ?? err)}`);
        assert.deepEqual(ex.calls, [], 'nothing reaches the executor');
        if (err instanceof PayloadValidationError) assert.ok(hasLoneSurrogate(value), `only a lone surrogate makes this value unfit: ${err.message}`);
        counts.add(`${operation}: ${err.name}`);
        return;
      }
      assert.ok(ex.calls.length >= 1);
      for (const call of ex.calls) {
        assertStatementCarriesParams(call);
        assert.ok(call.sql.includes(s.keyspace ? `\`${s.keyspace}\`.\`${s.table}\`` : `\`${s.table}\``), `the table, backquoted: ${call.sql}`);
      }
      const params = ex.calls.flatMap((c) => c.params);
      if (operation === 'enqueue') {
        assert.ok(!hasLoneSurrogate(value), 'a lone surrogate is refused before SQL (the driver would send U+FFFD instead)');
        assert.ok(params.includes(value), 'the value is a parameter, as given');
      }
      // A reason is stored as text can be: lone surrogates as U+FFFD (core/reason.ts), never in the SQL text.
      if (operation === 'fail') assert.ok(params.includes(reason.replace(/\p{Cs}/gu, '\uFFFD')), 'the reason is a parameter, made well-formed');
      counts.add(`${operation}: statements`);
    }),
    fcParams(400),
  );
  counts.print();
  assert.ok(counts.total >= 200);
});

test('found by the generator, pinned: values that would not come back as given are refused before SQL', async () => {
  const ex = recorder();
  const refused = async (payload: object, property: string) =>
    assert.rejects(enqueue(ex, spec, payload), (e: unknown) => e instanceof PayloadValidationError && e.problems.some((p) => p.property === property));
  await refused({ s: 'a\uD800b' }, 's'); // mysql2 would send U+FFFD: stored, but not as given
  await refused({ t: '\uDFFF' }, 't');
  await refused({ j: { k: 'x\uDBFF' } }, 'j'); // MySQL refuses it only after the statement was sent
  await refused({ j: { ['\uD800']: 1 } }, 'j');
  await refused({ j: NaN }, 'j'); // JSON.stringify would store null
  await refused({ j: [1, -Infinity] }, 'j');
  await refused({ j: { m: new Map([['a', 1]]) } }, 'j'); // would store {}
  await refused({ j: { f: () => 1 } }, 'j'); // would be dropped
  await refused({ j: [undefined] }, 'j'); // would store [null]
  await refused({ j: new Date(NaN) }, 'j');
  await refused({ j: new Uint16Array([1]) }, 'j');
  await refused({ j: { '': null } }, 'j'); // Vitess v0.24 crashed decoding it from the binlog (vtcombo exited)
  await refused({ j: [1, { a: { '': 1 } }] }, 'j');
  await refused({ u: -1n }, 'u'); // MySQL refuses out-of-range integers only after the statement was sent
  await refused({ u: 2n ** 64n }, 'u');
  await refused({ n: '9223372036854775808' }, 'n');
  await refused({ i: 2 ** 31 }, 'i');
  await refused(new Map([['s', 'x']]), '(payload)'); // no own properties: a row of defaults would have been written
  await refused(new Set(['x']), '(payload)');
  await refused({ m: 0.1 + 0.2 }, 'm'); // MySQL would round it to 0.3000000000 without a word
  await refused({ m: '1.123456789012' }, 'm');
  await refused({ m: 10n ** 20n }, 'm'); // MySQL refuses it only after the statement was sent
  assert.equal(ex.calls.length, 0);
  await enqueue(ex, spec, { u: 2n ** 64n - 1n, n: '-9223372036854775808', i: -(2 ** 31), s: 'a\u{1F600}\0\u202E`\'', j: { d: new Date(0), b: Buffer.from('x'), u: undefined } });
  assert.deepEqual(ex.calls[0]!.params.slice(3), ['a\u{1F600}\0\u202E`\'', '{"d":"1970-01-01T00:00:00.000Z","b":{"type":"Buffer","data":[120]}}', '-9223372036854775808', -(2 ** 31), '18446744073709551615']);
});

test('found by the generator, pinned: a decimal travels as exact decimal text, never in exponent form', async () => {
  const ex = recorder();
  await enqueue(ex, spec, { m: 1e-7 });
  await enqueue(ex, spec, { m: '-00012.5000000000000' });
  await enqueue(ex, spec, { m: 1e19 });
  assert.deepEqual(ex.calls.map((c) => c.params[3]), ['0.0000001', '-00012.5000000000000', '10000000000000000000']);
});
