/**
 * Generated `@MessageTable` classes (fast-check, fixed seed), decorated at run
 * time: `MessageTable(options)(class … {})` with generated class names, options
 * and `@Column`s either throws InvalidOptionError when the class is defined, or
 * registers a table whose spec resolves and whose DDL quotes every identifier.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Column, type ColumnOptions } from 'typeorm';
import { InvalidOptionError } from '../../src/core/errors';
import { buildCreateTable, buildSchemaSql } from '../../src/migration/ddl';
import { getMessageTableSpec, isMessageTable, MessageTable, VitessMessage } from '../../src/typeorm';
import { anyIdentifier, assertSafeSql, CaseCounts, fcParams, hostileString, plainIdentifier } from '../helpers/generators';
import { countInput, durationInput, goodTableOptions, oneOddOption, specInvariants } from '../helpers/generated-options';

interface ColumnCase {
  readonly property: string;
  readonly options: ColumnOptions;
}

const columnType = fc.constantFrom('varchar', 'int', 'bigint', 'json', 'text', 'double', 'blob', 'boolean', 'datetime', 'enum', 'decimal');

const columnCase: fc.Arbitrary<ColumnCase> = fc.record({
  property: fc.oneof({ weight: 5, arbitrary: plainIdentifier }, hostileString(4), fc.constantFrom('id', 'epoch', 'timeNext', 'time_next', 'failureReason', 'priority')),
  type: columnType,
  name: fc.option(fc.oneof({ weight: 3, arbitrary: plainIdentifier }, anyIdentifier, fc.constantFrom('id', 'epoch', 'time_acked')), { nil: undefined }),
  nullable: fc.option(fc.boolean(), { nil: undefined }),
  length: fc.option(fc.integer({ min: 1, max: 300 }), { nil: undefined }),
  enumValues: fc.array(hostileString(4), { minLength: 1, maxLength: 3 }),
  default: fc.option(fc.oneof(hostileString(6), fc.integer()), { nil: undefined }),
}).map(({ property, type, name, nullable, length, enumValues, default: def }) => {
  const options: Record<string, unknown> = { type };
  if (name !== undefined) options.name = name;
  if (nullable !== undefined) options.nullable = nullable;
  if (type === 'varchar' && length !== undefined) options.length = length;
  if (type === 'enum') options.enum = enumValues;
  if (def !== undefined && type !== 'json' && type !== 'text' && type !== 'blob') options.default = def;
  return { property, options: options as ColumnOptions };
});

let serial = 0;
/** Options valid but for what is generated hostile elsewhere (class name, columns). */
const fairOptions: fc.Arbitrary<unknown> = fc
  .tuple(fc.oneof(goodTableOptions, oneOddOption), fc.constantFrom('commerce', 'meta', undefined), fc.boolean(), fc.constantFrom<unknown>(undefined, false, { column: 'id' }, { type: 'xxhash' }))
  .map(([options, keyspace, named, vindex]) => ({
    ...options,
    ...(named ? { name: `gen_dec_${++serial}` } : {}),
    ...(keyspace ? { keyspace } : {}),
    ...(vindex !== undefined ? { vindex } : {}),
  }));

const decoratorOptions: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 24, arbitrary: fairOptions },
  {
    weight: 12,
    arbitrary: fc.record(
      {
        name: fc.oneof({ weight: 4, arbitrary: fc.constant(null).map(() => `gen_dec_${++serial}`) }, anyIdentifier),
        keyspace: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('commerce', 'meta') }, anyIdentifier),
        ackWait: durationInput,
        purgeAfter: durationInput,
        pollerInterval: durationInput,
        minBackoff: durationInput,
        maxBackoff: durationInput,
        batchSize: countInput,
        cacheSize: countInput,
        maxAttempts: countInput,
        streamedColumns: fc.oneof(fc.array(fc.oneof(plainIdentifier, anyIdentifier), { maxLength: 3 }), fc.constantFrom<unknown>(null, 'x', 5, {})),
        vindex: fc.oneof(
          fc.constant(false),
          fc.record({ column: fc.oneof(fc.constant('id'), plainIdentifier, anyIdentifier), type: fc.oneof(fc.constantFrom('hash', 'xxhash'), anyIdentifier) }, { requiredKeys: [] }),
          fc.constantFrom<unknown>(null, true, 'id', 5, []),
        ),
        ackwait: durationInput, // misspelt
        table: plainIdentifier, // defineMessageTable's name for it, not the decorator's
      },
      { requiredKeys: [] },
    ),
  },
  fc.constantFrom<unknown>(null, 5, 'x', [], () => 1),
);

const classCase = fc.record({
  className: fc.oneof({ weight: 3, arbitrary: plainIdentifier }, hostileString(4), fc.constant('')),
  columns: fc.uniqueArray(columnCase, { maxLength: 4, selector: (c) => c.property }),
  options: decoratorOptions,
});

/** A class named `name` (exactly, whatever the characters), extending VitessMessage, with the given columns. */
function defineClass(name: string, columns: readonly ColumnCase[]): Function {
  const cls = { [name]: class extends VitessMessage {} }[name]!;
  for (const c of columns) Column(c.options)(cls.prototype, c.property);
  return cls;
}

test('generated @MessageTable classes: InvalidOptionError when defined, or a registered table with safe DDL', () => {
  const counts = new CaseCounts('decorator options');
  fc.assert(
    fc.property(classCase, ({ className, columns, options }) => {
      // A numbered suffix keeps generated classes apart (same name = same entity redefined).
      const cls = defineClass(`${className}${++serial}`, columns.filter((c) => c.property !== '__proto__' && c.property !== 'constructor'));
      try {
        MessageTable(options as never)(cls);
      } catch (err) {
        assert.ok(err instanceof InvalidOptionError, `not an InvalidOptionError: ${String((err as Error)?.stack ?? err)}`);
        assert.equal(isMessageTable(cls), false, 'a refused class is not registered');
        counts.add('InvalidOptionError when defined');
        return;
      }
      assert.equal(isMessageTable(cls), true);
      let spec;
      try {
        spec = getMessageTableSpec(cls);
      } catch (err) {
        // Column types and defaults are rendered by TypeORM's driver when the spec is
        // resolved, and checked then; every name is checked when the class is defined.
        assert.ok(err instanceof InvalidOptionError, `not an InvalidOptionError: ${String((err as Error)?.stack ?? err)}`);
        assert.match(err.option, /^column .* (type|default)$/, `only a rendered type or default may fail after definition: ${err.message}`);
        counts.add('registered, InvalidOptionError on its rendered type or default');
        return;
      }
      specInvariants(spec);
      const names = [spec.table, ...(spec.keyspace ? [spec.keyspace] : []), ...spec.payload.map((c) => c.name)];
      for (const sql of buildSchemaSql(spec)) assertSafeSql(sql);
      assertSafeSql(buildCreateTable(spec), names);
      counts.add('registered');
    }),
    fcParams(400),
  );
  counts.print();
  assert.ok(counts.total >= 200);
  assert.ok(counts.get('registered') >= 40, 'enough registered classes to check their DDL');
  assert.ok(counts.get('InvalidOptionError when defined') >= 40, 'enough bad definitions');
});

test('found by the generator, pinned: bad options and column names fail when the class is defined', () => {
  const refused = (options: unknown, columns: ColumnCase[], option: RegExp) => {
    const cls = defineClass(`Pinned${++serial}`, columns);
    assert.throws(() => MessageTable(options as never)(cls), (e: unknown) => e instanceof InvalidOptionError && option.test(e.option));
    assert.equal(isMessageTable(cls), false);
  };
  refused(null, [], /^options$/);
  refused('x', [], /^options$/);
  refused({ name: `pinned_${serial}`, streamedColumns: 'a' }, [], /^streamedColumns$/);
  refused({ name: `pinned_${serial}`, vindex: 'id' }, [], /^vindex$/);
  refused({ name: `pinned_${serial}` }, [{ property: 'body', options: { type: 'text', name: 'bo`dy' } }], /^column body$/);
  refused({ name: `pinned_${serial}` }, [{ property: 'a b', options: { type: 'int' } }], /^column a b$/);
  refused({ name: `pinned_${serial}` }, [{ property: 'x', options: { type: 'int', name: {} as never } }], /^column x$/);
});
