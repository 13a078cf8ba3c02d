/**
 * Generated `defineMessageTable` inputs (fast-check, fixed seed): each one is an
 * InvalidOptionError or a spec whose DDL quotes every identifier and carries
 * nothing but keywords, quoted names and closed string literals.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { defineMessageTable } from '../../src/core/define';
import { InvalidOptionError } from '../../src/core/errors';
import { buildTableComment } from '../../src/core/options';
import type { MessageTableSpec } from '../../src/core/spec';
import { buildAlterComment, buildCreateTable, buildDropSchemaSql, buildSchemaSql } from '../../src/migration/ddl';
import { anyIdentifier, assertSafeSql, CaseCounts, fcParams, hostileString, plainIdentifier } from '../helpers/generators';
import { countInput, durationInput, goodTableOptions, oneOddOption, specInvariants, sqlDefault, sqlType } from '../helpers/generated-options';

const columnInput: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: sqlType },
  {
    weight: 3,
    arbitrary: fc.record(
      { type: fc.oneof(sqlType, fc.constantFrom<unknown>(null, 5, {})), nullable: fc.oneof(fc.boolean(), fc.constantFrom<unknown>(null, 'yes')), default: sqlDefault, name: fc.oneof({ weight: 3, arbitrary: plainIdentifier }, anyIdentifier) },
      { requiredKeys: ['type'] },
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, 5, {}, [], true, undefined) },
);

const columnKey = fc.oneof({ weight: 5, arbitrary: plainIdentifier }, hostileString(4), fc.constantFrom('id', 'epoch', 'timeNext', 'time_acked', 'failure_reason', 'FAILURE_REASON', 'priority'));

let serial = 0;
const tableName = fc.oneof({ weight: 4, arbitrary: fc.constant(null).map(() => `gen_def_${++serial}`) }, anyIdentifier);

const wildFields: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    table: tableName,
    keyspace: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('commerce', 'meta', 'my-keyspace') }, anyIdentifier),
    columns: fc.oneof({ weight: 8, arbitrary: fc.dictionary(columnKey, columnInput, { maxKeys: 4 }) }, fc.constantFrom<unknown>(null, 5, 'x', [])),
    indexes: fc.oneof(
      fc.array(fc.record({ name: anyIdentifier, columns: fc.oneof(fc.array(fc.oneof(plainIdentifier, fc.constantFrom('id', 'epoch')), { maxLength: 3 }), fc.constantFrom<unknown>(null, 'x', [5])), unique: fc.oneof(fc.boolean(), fc.constantFrom<unknown>(null, 'yes')) }, { requiredKeys: ['columns'] }), { maxLength: 2 }),
      fc.constantFrom<unknown>(null, 'x', {}, 5),
    ),
    streamedColumns: fc.oneof(fc.array(fc.oneof(plainIdentifier, anyIdentifier), { maxLength: 3 }), fc.constantFrom<unknown>(null, 'x', 5, {})),
    vindex: fc.oneof(
      fc.constant(false),
      fc.record({ column: fc.oneof(fc.constant('id'), plainIdentifier, anyIdentifier), type: fc.oneof(fc.constantFrom('hash', 'unicode_loose_md5', 'xxhash'), anyIdentifier) }, { requiredKeys: [] }),
      fc.constantFrom<unknown>(null, true, 'id', 5, []),
    ),
    ackWait: durationInput,
    purgeAfter: durationInput,
    pollerInterval: durationInput,
    minBackoff: durationInput,
    maxBackoff: durationInput,
    batchSize: countInput,
    cacheSize: countInput,
    maxAttempts: countInput,
  },
  { requiredKeys: ['table', 'columns'] },
);

/** Inputs valid but for what is generated hostile: enum values, defaults, column names. */
const fairFields: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.uniqueArray(fc.tuple(plainIdentifier, fc.oneof(sqlType, fc.record({ type: sqlType, nullable: fc.boolean(), default: sqlDefault }, { requiredKeys: ['type'] }))), { maxLength: 4, selector: ([k]) => k.toLowerCase() }),
    fc.constantFrom('commerce', 'meta', 'my-keyspace', undefined),
    fc.oneof(goodTableOptions, oneOddOption),
    fc.integer({ min: 0, max: 3 }),
  )
  .map(([cols, keyspace, options, pick]) => {
    const columns = Object.fromEntries(cols);
    const names = Object.keys(columns);
    return {
      table: `gen_def_${++serial}`,
      ...(keyspace ? { keyspace } : {}),
      columns,
      ...(pick === 1 && names.length > 0 ? { indexes: [{ columns: names.slice(0, 2) }] } : {}),
      ...(pick === 2 ? { streamedColumns: names.slice(1), vindex: names.length > 0 ? { column: names[0] } : false } : {}),
      ...options,
    };
  });

const fields = fc.oneof({ weight: 2, arbitrary: fairFields }, { weight: 1, arbitrary: wildFields });

/** One input in ten also carries a misspelt or unknown option. */
const input: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(fields, fc.integer({ min: 0, max: 9 }), fc.constantFrom('ackwait', 'ack_wait', 'name', 'batch_size', 'constructor', 'columns '), durationInput)
  .map(([r, n, key, value]) => (n === 0 ? { ...r, [key]: value } : r));

test('generated defineMessageTable inputs: InvalidOptionError or a spec with safe, quoted DDL', () => {
  const counts = new CaseCounts('defineMessageTable options');
  fc.assert(
    fc.property(input, (raw) => {
      let spec: MessageTableSpec;
      try {
        spec = defineMessageTable(raw as never);
      } catch (err) {
        assert.ok(err instanceof InvalidOptionError, `not an InvalidOptionError: ${String((err as Error)?.stack ?? err)}`);
        counts.add('InvalidOptionError');
        return;
      }
      specInvariants(spec);
      assert.equal(spec.table, raw.table);
      const names = [spec.table, ...(spec.keyspace ? [spec.keyspace] : []), ...spec.payload.map((c) => c.name)];
      for (const sql of [...buildSchemaSql(spec), ...buildDropSchemaSql(spec), buildAlterComment(spec)]) assertSafeSql(sql);
      assertSafeSql(buildCreateTable(spec), names);
      counts.add('valid spec');
    }),
    fcParams(400),
  );
  counts.print();
  assert.ok(counts.total >= 200);
  assert.ok(counts.get('valid spec') >= 40, 'enough valid specs to check their DDL');
  assert.ok(counts.get('InvalidOptionError') >= 40, 'enough bad inputs');
});

test('found by the generator, pinned: wrong shapes are InvalidOptionError, not a TypeError from inside', () => {
  const base = { table: 'shapes', columns: { a: 'int' } };
  const refused = (input: Record<string, unknown>, option: RegExp) =>
    assert.throws(() => defineMessageTable({ ...base, ...input } as never), (e: unknown) => e instanceof InvalidOptionError && option.test(e.option));
  refused({ streamedColumns: 'a' }, /^streamedColumns$/);
  refused({ streamedColumns: [5] }, /^streamedColumns$/);
  refused({ vindex: 'a' }, /^vindex$/);
  refused({ vindex: null }, /^vindex$/);
  refused({ indexes: {} }, /^indexes$/);
  refused({ indexes: [{ columns: 'a' }] }, /^indexes$/);
  refused({ columns: { a: null } }, /^column a$/);
  refused({ columns: { a: { type: 'int', nullable: 'yes' } } }, /^column a nullable$/);
  refused({ columns: [] }, /^columns$/);
  // A duration or cache size vttablet could not read back from the comment (`1e+297`, past its int64 ns clock).
  refused({ ackWait: 1e300 }, /^ackWait$/);
  refused({ purgeAfter: '36501d' }, /^purgeAfter$/);
  refused({ cacheSize: 1e300 }, /^cacheSize$/);
  assert.match(buildTableComment(defineMessageTable({ ...base, purgeAfter: '36500d' })), /vt_purge_after=3153600000,/);
  assert.deepEqual(defineMessageTable({ ...base, streamedColumns: [], vindex: false }).streamed, ['id', 'epoch']);
});
