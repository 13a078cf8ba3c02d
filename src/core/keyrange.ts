/**
 * Which shard a row lives on, computed here for Vitess's `hash` vindex (the
 * default of our tables): its keyspace id is the 8-byte big-endian value
 * encrypted with 3DES under an all-zero key, and a shard named `-80` holds
 * keyspace ids from `00…` up to (not including) `80…`. The stall watchdog of
 * a one-shard subscriber uses it to look at its own shard's rows only (vtgate
 * refuses shard-targeted SELECTs, VT09017, and an Executor has no session of
 * its own to `USE ks:-80` in).
 */
import { createCipheriv } from 'node:crypto';

/** A shard's key range: `start` inclusive, `end` exclusive; an empty buffer is unbounded. */
export interface KeyRange {
  readonly start: Buffer;
  readonly end: Buffer;
}

/** The key range of a shard name (`-80`, `80-`, `40-80`; `0` or `-` = everything). */
export function shardKeyRange(shard: string): KeyRange {
  if (shard === '0' || shard === '-') return { start: Buffer.alloc(0), end: Buffer.alloc(0) };
  const m = /^([0-9a-fA-F]*)-([0-9a-fA-F]*)$/.exec(shard);
  if (!m || m[1]!.length % 2 !== 0 || m[2]!.length % 2 !== 0) throw new RangeError(`not a shard name: ${shard}`);
  return { start: Buffer.from(m[1]!, 'hex'), end: Buffer.from(m[2]!, 'hex') };
}

/** Whether the key range covers every keyspace id (an unsharded keyspace's `0`). */
export function isFullRange(range: KeyRange): boolean {
  return range.start.length === 0 && range.end.length === 0;
}

/** Whether `keyspaceId` falls in `range` (bytewise, as Vitess compares them). */
export function inKeyRange(keyspaceId: Buffer, range: KeyRange): boolean {
  if (range.start.length > 0 && Buffer.compare(keyspaceId, range.start) < 0) return false;
  return range.end.length === 0 || Buffer.compare(keyspaceId, range.end) < 0;
}

const UINT64 = 1n << 64n;

/**
 * The keyspace id Vitess's `hash` vindex gives an integer value (decimal
 * string, bigint or safe integer), or undefined when the value is not a 64-bit
 * integer (then the caller cannot tell the shard).
 */
export function hashKeyspaceId(value: unknown): Buffer | undefined {
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) n = BigInt(value);
  else if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
  else return undefined;
  if (n < 0n) n += UINT64; // an int64 is hashed by its bit pattern
  if (n < 0n || n >= UINT64) return undefined;
  const plain = Buffer.alloc(8);
  plain.writeBigUInt64BE(n);
  const cipher = createCipheriv('des-ede3', Buffer.alloc(24), null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(plain), cipher.final()]);
}
