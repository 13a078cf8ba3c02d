/**
 * Generated table definitions (fast-check): option values, column types and
 * defaults, good and bad, and the invariants every accepted spec must keep.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildTableComment } from '../../src/core/options';
import type { MessageTableSpec } from '../../src/core/spec';
import { hostileString, oddNumber } from './generators';

/** Durations: good ones, and NaN, negatives, fractions, malformed strings, wrong types. */
export const durationInput: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<unknown>('30s', '1m', '500ms', '1.5s', '1d', '2h', 1000, 250, 86_400_000) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 1_000_000_000 }) },
  fc.constantFrom<unknown>(0, -1, NaN, Infinity, -Infinity, 1.5, 0.0001, '30 seconds', '', '1e3s', ' 1s', '-1s', '1.5ms', 'NaNs', null, {}, [], true, 2 ** 60, 1e300, '99999999999999999999d'),
  oddNumber,
  hostileString(4),
);

/** Durations that are valid table options. */
export const goodDuration: fc.Arbitrary<unknown> = fc.oneof(fc.constantFrom<unknown>('30s', '1m', '500ms', '1.5s', '1d', '2h', 1000, 250), fc.integer({ min: 1_000, max: 10_000_000 }));

/** Options that are all valid (batchSize ≤ cacheSize, minBackoff ≤ maxBackoff). */
export const goodTableOptions: fc.Arbitrary<Record<string, unknown>> = fc
  .record(
    { ackWait: goodDuration, purgeAfter: goodDuration, pollerInterval: goodDuration, batchSize: fc.integer({ min: 1, max: 1000 }), cacheSize: fc.integer({ min: 1000, max: 20_000 }), minBackoff: fc.integer({ min: 1, max: 1000 }), maxBackoff: fc.integer({ min: 1000, max: 3_600_000 }), maxAttempts: fc.integer({ min: 0, max: 100 }) },
    { requiredKeys: [] },
  );

/** Counts (batchSize, cacheSize, maxAttempts): good ones and every kind of bad one. */
export const countInput: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 20_000 }) },
  fc.integer({ min: -5, max: 200_000 }),
  oddNumber,
  fc.constantFrom<unknown>('5', null, true, 2n, {}),
);

/** Valid options but one, which is any duration or count, good or bad: the outcome is that option's. */
export const oneOddOption: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    goodTableOptions,
    fc.oneof(
      fc.tuple(fc.constantFrom('ackWait', 'purgeAfter', 'pollerInterval', 'minBackoff', 'maxBackoff'), fc.oneof(durationInput, fc.constantFrom<unknown>(1e300, 2 ** 60, '36500d', '36501d', '99999999999999999999d'))),
      fc.tuple(fc.constantFrom('batchSize', 'cacheSize', 'maxAttempts'), fc.oneof(countInput, fc.constantFrom<unknown>(1e300, 2 ** 60))),
    ),
  )
  .map(([options, [key, value]]) => {
    const out: Record<string, unknown> = { ...options, [key]: value };
    // Keep the cross-option rules out of the way: the odd value alone decides.
    if (key === 'cacheSize') delete out.batchSize;
    if (key === 'batchSize') delete out.cacheSize;
    if (key === 'minBackoff' || key === 'maxBackoff') delete out[key === 'minBackoff' ? 'maxBackoff' : 'minBackoff'];
    return out;
  });

/** `'text'` as a SQL string literal (quotes doubled). */
export const sqlLiteral = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** Column types: real ones, enums of hostile values, and injection attempts. */
export const sqlType: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('varchar(32)', 'json', 'bigint', 'int', 'text', 'double', 'blob', 'decimal(30,10)', "enum('a','b')", 'datetime(6)', 'bigint unsigned', 'tinyint(1)', 'varbinary(16)') },
  { weight: 2, arbitrary: fc.array(hostileString(4), { minLength: 1, maxLength: 3 }).map((vs) => `enum(${vs.map(sqlLiteral).join(',')})`) },
  fc.constantFrom('int; drop table x', 'int -- x', 'int /* c */', 'int, drop column x', 'varchar(10)) engine=x', "enum('a\\'', 'b')", 'int`', "enum('it''s')", '', ' ', 'int #', "enum('a'", 'int)', '(int', "enum('\u202E', '`')"),
  hostileString(6),
);

/** Column defaults: literals (hostile text quoted right), numbers, and injection attempts. */
export const sqlDefault: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: hostileString(6).map(sqlLiteral) },
  fc.constantFrom<unknown>("'x'", '0', '-1', '1.5', 'null', "'it''s'", 'now()', '(1)', "'a' -- c", "'\\'", "'a'; drop table x", "'a',b int", '', 5, null),
  hostileString(6),
);

/** What every accepted spec keeps: frozen, names plain, `id` then `epoch` streamed, a comment vttablet can read. */
export function specInvariants(spec: MessageTableSpec): void {
  assert.ok(Object.isFrozen(spec) && Object.isFrozen(spec.payload) && Object.isFrozen(spec.options));
  for (const c of spec.payload) assert.match(c.name, /^[A-Za-z_][A-Za-z0-9_$]{0,63}$/);
  assert.deepEqual(spec.streamed.slice(0, 2), ['id', 'epoch']);
  assert.ok(!spec.streamed.includes('failure_reason'));
  const o = spec.options;
  assert.ok(Number.isInteger(o.batchSize) && Number.isInteger(o.cacheSize) && o.batchSize >= 1 && o.cacheSize >= o.batchSize);
  const comment = buildTableComment(spec);
  const [head, ...parts] = comment.split(',');
  assert.equal(head, 'vitess_message');
  for (const part of parts) {
    const [key, value, extra] = part.split('=');
    assert.equal(extra, undefined, `one '=' in ${part}`);
    if (key === 'vt_message_cols') assert.match(value!, /^id\|epoch(\|[A-Za-z_][A-Za-z0-9_$]*)*$/);
    else assert.match(value!, /^[0-9]+(\.[0-9]+)?$/, `${key} is a plain decimal vttablet can parse, in ${comment}`);
  }
}
