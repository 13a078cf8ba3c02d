/**
 * The fast reader of StreamExecute's row packets against the generic protobuf
 * decoder it stands in for: the same rows from the same bytes, and the
 * packets it leaves to that decoder.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type * as grpc from '@grpc/grpc-js';
import { readRowsPacket } from '../../src/subscriber/grpc/rows-packet';
import { vitessServiceClient } from '../../src/subscriber/grpc/proto';

const method = (vitessServiceClient().service as grpc.ServiceDefinition).StreamExecute!;
const encode = (response: unknown): Buffer => method.responseSerialize(response);
type GenericRow = { lengths: string[]; values: Buffer };
const generic = (packet: Buffer) => ((method.responseDeserialize(packet) as { result?: { rows?: GenericRow[] } }).result?.rows ?? []).map((r) => ({ lengths: r.lengths.map(Number), values: Buffer.from(r.values) }));
const fast = (packet: Buffer) => readRowsPacket(packet)?.map((r) => ({ lengths: r.lengths.map(Number), values: Buffer.from(r.values) }));

test('row packets: the same lengths (NULL, empty, multi-byte) and bytes as the generic decoder, other result fields skipped', () => {
  const long = 'x'.repeat(70_000);
  const packet = encode({
    result: {
      rowsAffected: '18446744073709551615',
      insertId: '7',
      info: 'skipped',
      rows: [
        { lengths: ['19', '1', '-1', '0'], values: Buffer.from('12345678901234567890') },
        { lengths: ['2', String(long.length)], values: Buffer.from(`42${long}`) },
        { lengths: [], values: Buffer.alloc(0) },
        { lengths: ['-1', '-1'] },
      ],
    },
    session: { inTransaction: false, autocommit: true, targetString: 'commerce@primary' },
  });
  const rows = fast(packet);
  assert.deepEqual(rows, generic(packet));
  assert.deepEqual(rows?.map((r) => r.lengths), [[19, 1, -1, 0], [2, 70_000], [], [-1, -1]]);
});

test('row packets: read at any offset of a larger buffer (a view, not the whole buffer)', () => {
  const packet = encode({ result: { rows: [{ lengths: ['3'], values: Buffer.from('abc') }] } });
  const inside = Buffer.concat([Buffer.from([0xff, 0xff, 0xff]), packet, Buffer.from([0x08])]).subarray(3, 3 + packet.length);
  assert.deepEqual(fast(inside), [{ lengths: [3], values: Buffer.from('abc') }]);
});

test('row packets: none for a packet without a result (the trailing session); undefined for the fields packet and for malformed bytes', () => {
  assert.deepEqual(readRowsPacket(encode({ session: { autocommit: true } })), []);
  assert.deepEqual(readRowsPacket(encode({ result: {} })), []);
  assert.equal(readRowsPacket(encode({ result: { fields: [{ name: 'id', type: 'INT64' }] } })), undefined);
  assert.equal(readRowsPacket(encode({ result: { fields: [{ name: 'id', type: 'INT64' }], rows: [{ lengths: ['1'], values: Buffer.from('1') }] } })), undefined);
  const ok = encode({ result: { rows: [{ lengths: ['3'], values: Buffer.from('abc') }] } });
  assert.equal(readRowsPacket(ok.subarray(0, ok.length - 2)), undefined, 'truncated: left to the generic decoder, which reports it');
});
