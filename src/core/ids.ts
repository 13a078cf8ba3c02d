import { createHash, randomFillSync } from 'node:crypto';
import { InvalidOptionError } from './errors';

/** A message id: a positive 64-bit integer, as bigint or decimal string; never a JS number. */
export type MessageId = bigint | string;

const MAX_ID = 9_223_372_036_854_775_807n;

/**
 * Random bytes for ids, drawn from the CSPRNG 256 ids at a time: one
 * `randomBytes(8)` per id was a native call (and a Buffer) on every enqueue,
 * the costliest step of building the INSERT. Node caches entropy the same way
 * for `randomUUID`. Ids are not secrets; they only must not collide.
 */
const ENTROPY = Buffer.alloc(8 * 256);
let entropyAt = ENTROPY.length;

/** A random id in [1, 2^63 - 1], like the Go client's. */
export function randomId(): bigint {
  for (;;) {
    if (entropyAt === ENTROPY.length) {
      randomFillSync(ENTROPY);
      entropyAt = 0;
    }
    const id = ENTROPY.readBigUInt64BE(entropyAt) & MAX_ID;
    entropyAt += 8;
    if (id !== 0n) return id;
  }
}

/** An id as a canonical decimal string; throws on anything that is not a positive int64. */
export function normalizeId(id: MessageId, subject = 'vitess-messages'): string {
  let n: bigint | undefined;
  if (typeof id === 'bigint') n = id;
  else if (typeof id === 'string' && /^[0-9]{1,19}$/.test(id)) n = BigInt(id);
  if (n === undefined || n <= 0n || n > MAX_ID) {
    throw new InvalidOptionError(subject, 'id', 'must be a positive 64-bit integer as a bigint or a decimal string (never a JS number, which loses precision above 2^53)', id);
  }
  return n.toString();
}

/** Longest dedupe key, in UTF-8 bytes: a key names a piece of work, not a payload. */
export const MAX_KEY_BYTES = 1024;

/**
 * The message id of a dedupe key (`enqueue(payload, { key })`), stable across
 * processes, versions and languages: the first 8 bytes of
 * SHA-256(`"vitess-messages:key:" + key` as UTF-8), read as an unsigned
 * big-endian integer, modulo 2^63 − 1, plus 1 — so in [1, 2^63 − 1], like a
 * random id. Any other client computes the same id from the same key. Two
 * different keys share an id with odds of about n²/2^64 among n messages held
 * by a table at once (acked ones are purged): ≈ 5·10^-8 for a million, ≈ 5 %
 * for a billion; a key whose id another message holds is taken for a repeat
 * of it (on a table sharded by a business column, with another vindex value
 * on the same shard it is a DuplicateIdError).
 *
 * @throws InvalidOptionError for a key that is not a non-empty string of well-formed
 *   Unicode of at most 1,024 UTF-8 bytes ({@link MAX_KEY_BYTES}).
 */
export function idFromKey(key: string, subject = 'vitess-messages'): string {
  if (typeof key !== 'string' || key.length === 0 || /\p{Cs}/u.test(key) || Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw new InvalidOptionError(subject, 'key', `must be a non-empty string of well-formed Unicode, at most ${MAX_KEY_BYTES} UTF-8 bytes`, key);
  }
  const digest = createHash('sha256').update('vitess-messages:key:', 'utf8').update(key, 'utf8').digest();
  return ((digest.readBigUInt64BE(0) % MAX_ID) + 1n).toString();
}
