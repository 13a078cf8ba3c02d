#!/usr/bin/env node
// Waits until vtgate answers on its MySQL port and every shard of the test
// keyspaces has a serving primary; exits non-zero with one clear line otherwise.
import mysql from 'mysql2/promise';

const url = process.env.VTGATE_MYSQL_URL ?? `mysql://root@127.0.0.1:${process.env.VTGATE_MYSQL_PORT ?? 27307}/`;
const keyspaces = [process.env.VITESS_SHARDED_KEYSPACE ?? 'commerce', process.env.VITESS_UNSHARDED_KEYSPACE ?? 'meta'];
const deadline = Date.now() + Number(process.env.VTGATE_WAIT_MS ?? 90_000);
let last = 'no answer';
while (Date.now() < deadline) {
  let conn;
  try {
    conn = await mysql.createConnection({ uri: url, connectTimeout: 3_000 });
    const [tablets] = await conn.query('show vitess_tablets');
    const primaries = tablets.filter((t) => t.TabletType === 'PRIMARY' && t.State === 'SERVING' && keyspaces.includes(t.Keyspace));
    const shards = new Set(primaries.map((t) => `${t.Keyspace}/${t.Shard}`));
    if (shards.size >= 3 || (process.env.VTGATE_MYSQL_URL && primaries.length > 0)) {
      for (const ks of keyspaces) await conn.query(`select 1 from dual`).then(() => conn.query(`use \`${ks}\``));
      console.log(`vtgate at ${url} is serving: ${[...shards].sort().join(', ')}`);
      await conn.end();
      process.exit(0);
    }
    last = `serving primaries: ${[...shards].join(', ') || 'none'}`;
  } catch (err) {
    last = err.message;
  } finally {
    await conn?.end().catch(() => {});
  }
  await new Promise((r) => setTimeout(r, 500));
}
console.error(`vtgate at ${url} is not reachable or not serving (${last}); start it with 'npm run vitess:up' or set VTGATE_MYSQL_URL and VTGATE_GRPC_ADDR`);
process.exit(1);
