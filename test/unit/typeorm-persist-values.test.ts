/**
 * Entity payloads → column values as `manager.save` converts them (pure: a
 * DataSource with built metadata, no connection), and embedded columns in
 * `@MessageTable` entities: their spec, names and table comment.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Column, DataSource } from 'typeorm';
import { PayloadValidationError } from '../../src/core/errors';
import { payloadParams } from '../../src/core/payload';
import { buildTableComment } from '../../src/core/options';
import { getMessageTableSpec, MessageTable, VitessMessage } from '../../src/typeorm';
import { persistValues } from '../../src/typeorm/persist-values';

async function built(...entities: Function[]): Promise<DataSource> {
  const ds = new DataSource({ type: 'mysql', entities });
  await (ds as unknown as { buildMetadatas(): Promise<void> }).buildMetadatas();
  return ds;
}

class Geo {
  @Column({ type: 'double' }) lat!: number;
}

class Place {
  @Column({ type: 'varchar', length: 40 }) city!: string;
  @Column({ name: 'postcode', type: 'varchar', length: 10, nullable: true }) zip!: string | null;
  @Column(() => Geo) geo!: Geo;
}

let toCalls = 0;

@MessageTable({ name: 'pv_embedded', keyspace: 'commerce', streamedColumns: ['from.city', 'note'] })
class EmbeddedJob extends VitessMessage {
  @Column({ type: 'varchar', length: 20, nullable: true, transformer: { to: (v: unknown) => (toCalls++, typeof v === 'string' ? `<${v}>` : v), from: (v: unknown) => v } })
  note!: string | null;
  @Column(() => Place) from!: Place;
  @Column(() => Place, { prefix: false }) to!: Place;
  @Column(() => Place, { prefix: 'dst' }) via!: Place;
}

@MessageTable({ name: 'pv_kinds', keyspace: 'commerce' })
class KindsJob extends VitessMessage {
  @Column({ type: 'boolean' }) flag!: boolean;
  @Column() plain!: boolean;
  @Column({ type: 'json', nullable: true, transformer: { to: (v: unknown) => (v === undefined ? v : { v }), from: (o: { v: unknown }) => o?.v } }) doc!: unknown;
  @Column({ type: 'simple-json', nullable: true }) sj!: unknown;
  @Column({ type: 'set', enum: ['a', 'b', 'c'], nullable: true }) perms!: string[] | null;
  @Column({ type: 'int', nullable: true }) n!: number | null;
}

test('embedded columns are payload columns of a @MessageTable entity, named as TypeORM names them, streamed by property path', async () => {
  const ds = await built(EmbeddedJob);
  const spec = getMessageTableSpec(EmbeddedJob, ds);
  assert.deepEqual(spec.payload.map((c) => [c.property, c.name]), [
    ['note', 'note'],
    ['from.city', 'fromCity'], ['from.zip', 'fromPostcode'], ['from.geo.lat', 'fromGeoLat'],
    ['to.city', 'city'], ['to.zip', 'postcode'], ['to.geo.lat', 'geoLat'],
    ['via.city', 'dstCity'], ['via.zip', 'dstPostcode'], ['via.geo.lat', 'dstGeoLat'],
  ]);
  assert.deepEqual(spec.streamed, ['id', 'epoch', 'fromCity', 'note']);
  assert.equal(ds.getMetadata(EmbeddedJob).comment, buildTableComment(spec), 'the comment written at definition names the columns TypeORM builds');
  // Without a DataSource (the CLI's path) the same spec.
  assert.deepEqual(getMessageTableSpec(EmbeddedJob).payload.map((c) => c.name), spec.payload.map((c) => c.name));
});

test('persistValues: a nested payload becomes values keyed by property path, transformers applied once, absent stays absent', async () => {
  const ds = await built(EmbeddedJob);
  const persist = persistValues(EmbeddedJob, ds);
  toCalls = 0;
  const out = persist({ note: 'hi', from: { city: 'Oslo', zip: null, geo: { lat: 59.9 } }, to: { city: 'Rome', geo: { lat: 41.9 } } }, 't');
  assert.deepEqual(out, { note: '<hi>', 'from.city': 'Oslo', 'from.zip': null, 'from.geo.lat': 59.9, 'to.city': 'Rome', 'to.geo.lat': 41.9 });
  assert.equal(toCalls, 1, 'the transformer ran once');
  const spec = getMessageTableSpec(EmbeddedJob, ds);
  // Core then checks the converted record: `via` was left out and its NOT NULL city has no default.
  assert.throws(() => payloadParams(spec, out), (e: unknown) => e instanceof PayloadValidationError && e.problems.map((p) => p.property).join() === 'via.city,via.geo.lat');
});

test('persistValues: unknown keys (nested too), functions and non-booleans are refused with their paths', async () => {
  const ds = await built(EmbeddedJob, KindsJob);
  const persist = persistValues(EmbeddedJob, ds);
  assert.throws(
    () => persist({ from: { city: 'x', street: 'y', geo: { lat: 1, lon: 2 } }, to: 'nope', id: '1', extra: 1, ignored: undefined }, 't', 3),
    (e: unknown) => e instanceof PayloadValidationError && e.index === 3
      && JSON.stringify(e.problems.map((p) => p.property)) === JSON.stringify(['from.street', 'from.geo.lon', 'to', 'id', 'extra']),
  );
  assert.throws(() => persist(null, 't'), PayloadValidationError);
  assert.throws(() => persist([], 't'), PayloadValidationError);
  const kinds = persistValues(KindsJob, ds);
  assert.throws(() => kinds({ flag: 'true', plain: () => 'now()' }, 't'), (e: unknown) => e instanceof PayloadValidationError
    && e.problems[0]!.property === 'flag' && /must be a boolean/.test(e.problems[0]!.constraints[0]!)
    && e.problems[1]!.property === 'plain' && /not a function/.test(e.problems[1]!.constraints[0]!));
});

test('persistValues: each kind as the MySQL driver prepares it (booleans 1/0, json left to core, simple-json and set as text)', async () => {
  const ds = await built(KindsJob);
  const persist = persistValues(KindsJob, ds);
  assert.deepEqual(persist({ flag: true, plain: false, doc: { a: 1 }, sj: { b: [1] }, perms: ['a', 'c'], n: null }, 't'), {
    flag: 1, plain: 0, doc: { v: { a: 1 } }, sj: '{"b":[1]}', perms: 'a,c', n: null,
  });
  // 0 / 1 are taken for booleans, as booleans (the driver alone would turn a 1 into 0 for a Boolean-typed column).
  assert.deepEqual(persist({ flag: 0, plain: 1 }, 't'), { flag: 0, plain: 1 });
  const params = payloadParams(getMessageTableSpec(KindsJob, ds), persist({ flag: true, plain: true, doc: 'text' }, 't'));
  assert.deepEqual(params.slice(0, 3), [1, 1, '{"v":"text"}'], 'a json column is serialized once, by core');
});
