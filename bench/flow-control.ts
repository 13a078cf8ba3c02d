/**
 * Flow-control bound: how many messages the tablet sends to a gRPC subscriber
 * that stops reading after its first packet (they sit in transport buffers,
 * already sent, their ack wait running). 10,000 rows of ~1 KB, vt_batch_size
 * 100; prints `Messages.<table>.Sent` 1.5 s after the pause for each window.
 *
 *   npm run bench:flow-control
 */
import { VtgateGrpcTransport } from '../src/subscriber/grpc/vtgate-grpc-transport';
import { dropTable, debugVars, vitess, closePool, waitUntil } from '../test/helpers/vitess';
import { createSpecTable, insertMessages, sentOf } from '../test/helpers/subscriber-fixtures';

async function measure(windowBytes: number | undefined, rowBytes: number): Promise<void> {
  const { spec, qualified, table, keyspace } = await createSpecTable('bench_flow', { ackWaitS: 60, batchSize: 100 });
  try {
    const filler = 'x'.repeat(rowBytes);
    await insertMessages(qualified, 10_000, 500, (i) => ({ i, filler }));
    const transport = new VtgateGrpcTransport({ address: vitess.grpcAddr, flowControlWindowBytes: windowBytes });
    const call = transport.stream({ sql: `stream * from ${qualified}`, target: `${keyspace}@primary`, table });
    const it = call[Symbol.asyncIterator]();
    let rows = 0;
    while (rows === 0) {
      const next = await it.next();
      rows += next.value?.rows?.length ?? 0;
    }
    // Paused: nothing pulls. Wait until Sent stops growing.
    let last = -1;
    await waitUntil(async () => {
      const now = sentOf(await debugVars(), spec.table);
      const stable = now === last;
      last = now;
      if (!stable) await new Promise((r) => setTimeout(r, 500));
      return stable;
    }, 20_000, 'Sent to settle');
    console.log(`window ${windowBytes ?? 'default'} B, ~${rowBytes} B rows: read ${rows}, tablet sent ${last} (≈ ${Math.round((last - rows) * rowBytes / 1024)} KB buffered beyond the reader)`);
    call.cancel();
    transport.close();
  } finally {
    await dropTable(keyspace, table);
  }
}

async function main(): Promise<void> {
  await measure(undefined, 1000);
  await measure(1 << 20, 1000);
  await measure(undefined, 100);
  await measure(undefined, 10);
  await closePool();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
