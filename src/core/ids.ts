import { randomBytes } from 'node:crypto';
import { InvalidOptionError } from './errors';

/** A message id: a positive 64-bit integer, as bigint or decimal string; never a JS number. */
export type MessageId = bigint | string;

const MAX_ID = 9_223_372_036_854_775_807n;

/** A random id in [1, 2^63 - 1], like the Go client's. */
export function randomId(): bigint {
  let id = 0n;
  while (id === 0n) id = randomBytes(8).readBigUInt64BE() & MAX_ID;
  return id;
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
