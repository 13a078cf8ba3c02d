/**
 * Driver errors are classified by their MySQL error number, read where each
 * client keeps it (mysql2/TypeORM `errno`, Prisma's driver-adapter code) or in
 * vtgate's anchored `(errno N) (sqlstate S)` form — never by a number anywhere
 * in the text, where the statement's values travel too. Error shapes below are
 * the ones seen through vtgate v0.24.4 (see the integration tests for the real ones).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { driverErrorCode } from '../../src/core/driver-error-code';
import { PayloadTooLongError, QueryError } from '../../src/core/errors';
import type { Executor } from '../../src/core/executor';
import { enqueue } from '../../src/core/operations';
import type { MessageTableSpec } from '../../src/core/spec';

const spec: MessageTableSpec = {
  table: 't',
  keyspace: 'ks',
  payload: [{ name: 'note', property: 'note', sqlType: 'varchar(8)', nullable: true }],
  streamed: ['id', 'epoch', 'note'],
  options: { ackWaitMs: 1000, purgeAfterMs: 1000, pollerIntervalMs: 1000, batchSize: 1, cacheSize: 1 },
};

const vtgateText = (desc: string, errno: number, state: string, value: string): string =>
  `target: ks.-80.primary: vttablet: rpc error: code = InvalidArgument desc = ${desc} (errno ${errno}) (sqlstate ${state}) (CallerID: userData1): ` +
  `Sql: "insert into t(id, note) values (:vtg1 /* VARCHAR */, :vtg2 /* VARCHAR */)", BindVars: {vtg1: "type:VARCHAR value:\\"1\\""vtg2: "type:VARCHAR value:\\"${value}\\""}`;

function mysql2Error(message: string, errno: number | undefined, code?: string): Error {
  return Object.assign(new Error(message), errno === undefined ? {} : { errno, code, sqlState: 'HY000' });
}

/** What enqueue throws when the executor fails with `cause`. */
async function thrownFor(cause: unknown): Promise<unknown> {
  const ex: Executor = { query: async () => Promise.reject(cause) };
  try {
    await enqueue(ex, spec, { note: 'x' });
  } catch (err) {
    return err;
  }
  assert.fail('enqueue should have thrown');
}

test('error-classification: a value holding 1406 does not make another error a PayloadTooLongError', async () => {
  const unknownColumn = mysql2Error(vtgateText("Unknown column 'nosuch' in 'field list'", 1054, '42S22', '(errno 1406) (sqlstate 22001) 1406 ER_DATA_TOO_LONG'), 1054, 'ER_BAD_FIELD_ERROR');
  const err = await thrownFor(unknownColumn);
  assert.ok(err instanceof QueryError && !(err instanceof PayloadTooLongError), `got ${String(err)}`);
  // No code anywhere but a bare number in the text: not classified either.
  const bare = await thrownFor(new Error("Incorrect string value: '1406' for column 'note'"));
  assert.ok(bare instanceof QueryError && !(bare instanceof PayloadTooLongError), `got ${String(bare)}`);
});

test('error-classification: errno 1406 from mysql2 (and TypeORM, which keeps it) is a PayloadTooLongError naming the column', async () => {
  const e = mysql2Error(vtgateText("Data too long for column 'note' at row 1", 1406, '22001', 'much too long'), 1406, 'ER_DATA_TOO_LONG');
  const err = await thrownFor(e);
  assert.ok(err instanceof PayloadTooLongError, `got ${String(err)}`);
  assert.equal(err.column, 'note');
  assert.equal(err.cause, e);
  const typeorm = Object.assign(new Error(e.message), { name: 'QueryFailedError', errno: 1406, driverError: e });
  assert.ok((await thrownFor(typeorm)) instanceof PayloadTooLongError);
});

test('error-classification: vtgate\'s text form is read when the driver gives no code, or only 1105', async () => {
  const text = vtgateText("Data too long for column 'note' at row 1", 1406, '22001', 'x');
  const noCode = await thrownFor(new Error(text));
  assert.ok(noCode instanceof PayloadTooLongError, `got ${String(noCode)}`);
  assert.equal(noCode.column, 'note');
  assert.ok((await thrownFor(mysql2Error(`transaction rolled back to reverse changes of partial DML execution: ${text}`, 1105, 'ER_UNKNOWN_ERROR'))) instanceof PayloadTooLongError);
  // Only the anchored form counts: the same words inside a value do not.
  assert.equal(driverErrorCode(new Error(vtgateText("Unknown column 'x'", 1054, '42S22', '(errno 1406) (sqlstate 22001) (CallerID: '))), 1054);
});

test('error-classification: Prisma\'s driver-adapter error carries the code as originalCode', async () => {
  const message = vtgateText("Data too long for column 'note' at row 1", 1406, '22001', 'x');
  const prisma = Object.assign(new Error(`Invalid \`prisma.$executeRawUnsafe()\` invocation:\n\nRaw query failed. Code: \`1406\`. Message: \`${message}\``), {
    name: 'PrismaClientKnownRequestError',
    code: 'P2010',
    meta: { driverAdapterError: { name: 'DriverAdapterError', cause: { originalCode: '1406', originalMessage: message, kind: 'LengthMismatch' } } },
  });
  const err = await thrownFor(prisma);
  assert.ok(err instanceof PayloadTooLongError, `got ${String(err)}`);
  assert.equal(err.column, 'note');
  const other = Object.assign(new Error('Raw query failed. Code: `1054`. value 1406'), { code: 'P2010', meta: { driverAdapterError: { cause: { originalCode: '1054' } } } });
  assert.equal(driverErrorCode(other), 1054);
  assert.ok(!((await thrownFor(other)) instanceof PayloadTooLongError));
});
