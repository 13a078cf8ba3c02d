/**
 * The public surface is deliberate: what each built entry point exports at run
 * time is what its committed API report (api/*.api.md, checked by `npm test`
 * through scripts/api.mjs) declares, and no internal helper is exported by any
 * entry — neither as a value nor in a report.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const root = join(__dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; exports: Record<string, unknown> };

/** The entry points of package.json "exports" with declarations, and their report files (as scripts/api.mjs names them). */
const entries = Object.entries(pkg.exports)
  .filter(([, target]) => typeof target === 'object' && target !== null && 'types' in target)
  .map(([subpath]) => ({
    specifier: subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`,
    report: `${subpath === '.' ? pkg.name : subpath.slice(2).replace(/\//g, '-')}.api.md`,
  }));

/** Exported declarations of an API report, by kind. */
function reportDeclarations(file: string): Map<string, string> {
  const text = readFileSync(join(root, 'api', file), 'utf8');
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^export (?:declare )?(?:abstract )?(class|function|const|let|enum|interface|type|namespace) (\w+)/gm)) out.set(m[2]!, m[1]!);
  for (const m of text.matchAll(/^export \{ (\w+) as (\w+) \}/gm)) out.set(m[2]!, 'alias');
  return out;
}

// Exported for their types only, never as values: bases whose public members
// users call, and the declared-only key of MessageTableSpec's phantom payload type.
const TYPE_ONLY = new Set(['SubscriberCore', 'TypedEmitter', 'payloadType']);

// Internal helpers, by the module (under src/) that defines them: they exist
// there (so this list cannot go stale silently) and no entry exports them.
const INTERNALS: Record<string, readonly string[]> = {
  'core/decode': ['splitRow', 'decodeValue', 'decodeRow', 'parseDateTime'],
  'core/options': ['checkOptionNames', 'renamedOptionHint', 'resolveTableOptions', 'msToCommentSeconds', 'buildTableComment', 'buildStreamedColumns', 'TABLE_OPTION_NAMES', 'RENAMED_OPTIONS', 'DEFAULT_TABLE_OPTIONS'],
  'core/identifiers': ['checkIdentifier', 'checkKeyspace', 'quoteIdentifier', 'quoteTable'],
  'core/ids': ['randomId', 'normalizeId', 'MAX_KEY_BYTES'],
  'core/time': ['toMs', 'msToNs', 'nowNs', 'NEVER_NS'],
  'core/spec': ['BOOKKEEPING', 'POLLER_INDEX', 'UNSTREAMED_BOOKKEEPING'],
  'core/define': ['BOOKKEEPING_COLUMNS', 'LEGACY_BOOKKEEPING_NAMES', 'finishSpec'],
  'core/sql': ['buildEnqueue', 'buildAck', 'buildNack', 'buildFail', 'buildRetry', 'buildExtend', 'buildListFailed', 'buildGetMessages', 'buildCounts', 'buildPurgeFailed', 'buildGet', 'buildShowShards', 'buildUseShard', 'DEFAULT_VALUE', 'DB_NOW_NS'],
  'core/operations': ['normalizeRefs', 'classifyError', 'callSite', 'int64Text'],
  'migration/ddl': ['buildColumnDefinition', 'buildIndexDefinition', 'allColumns', 'buildCreateTable', 'buildDropTable', 'buildAlterComment', 'buildVindexDdl', 'buildAddColumn', 'buildDropColumn', 'buildModifyColumn', 'buildAddIndex', 'buildDropIndex'],
  'migration/upgrade': ['missingBookkeeping', 'BOOKKEEPING_NAMES'],
  'subscriber/grpc/stream-error': ['toStreamError'],
  'subscriber/mysql/mysql-stream-error': ['mysqlToStreamError'],
  'subscriber/grpc/vtgate-grpc-transport': ['vtgateChannelOptions', 'transportBufferBound', 'MIN_KEEPALIVE_MS', 'VTGATE_GRPC_OPTION_NAMES'],
  'subscriber/mysql/vtgate-mysql-transport': ['toStreamField', 'toWireRow'],
  'subscriber/hydrator': ['plainHydrator'],
  'subscriber/backoff': ['backoffDelayMs', 'DEFAULT_RETRY_BACKOFF', 'DEFAULT_RECONNECT_BACKOFF'],
  'subscriber/options': ['resolveSubscriberOptions', 'SUBSCRIBER_OPTION_NAMES'],
  'queue-handle': ['checkExecutor', 'checkSubscribeOptions', 'definedOnly'],
  'typeorm/hydrate': ['entityHydrator'],
  'typeorm/registry': ['messageTableClasses', 'registerMessageTable'],
  'core/vschema-retry': ['retryStaleVschema'],
  'prisma/schema-parser': ['parsePrismaSchema', 'parseArguments'],
  'prisma/message-models': ['delegateName', 'MESSAGE_MARKER'],
  'prisma/render': ['renderSpecModule', 'renderMigrationSql', 'tableFingerprint'],
  'prisma/apply': ['applyMessageTables'],
};
// Internal types (no run-time value to look for): they stay out of every report.
const INTERNAL_TYPES = ['Statement', 'EnqueueRow', 'TargetBatch', 'DecodeOptions', 'ResolvedSubscriberOptions', 'Delivery', 'SubscriberCounters'];

test('public-api: every entry point of package.json has a committed report', () => {
  assert.ok(entries.length >= 4, 'the main, typeorm, mysql2 and prisma entries at least');
  for (const e of entries) assert.ok(reportDeclarations(e.report).size > 0, `api/${e.report} declares exports`);
});

for (const entry of entries) {
  test(`public-api: ${entry.specifier} exports at run time exactly the values its report declares`, () => {
    const runtime = Object.keys(require(entry.specifier) as object).filter((k) => k !== '__esModule' && k !== 'default').sort();
    const declared = reportDeclarations(entry.report);
    for (const name of runtime) {
      assert.ok(['function', 'const', 'let', 'class', 'enum', 'alias'].includes(declared.get(name) ?? ''), `${name} is exported but not a value in api/${entry.report}: run npm run api`);
    }
    const values = [...declared].filter(([name, kind]) => ['function', 'const', 'let', 'class'].includes(kind) && !TYPE_ONLY.has(name));
    for (const [name, kind] of values) assert.ok(runtime.includes(name), `api/${entry.report} declares ${kind} ${name}, which ${entry.specifier} does not export at run time`);
  });
}

test('public-api: no internal helper is exported by any entry point, as a value or in a report', () => {
  const all = Object.values(INTERNALS).flat();
  for (const [mod, names] of Object.entries(INTERNALS)) {
    const exports = require(join(__dirname, '..', '..', 'src', mod)) as Record<string, unknown>;
    for (const name of names) assert.ok(name in exports, `src/${mod} still defines ${name} (else update this list)`);
  }
  for (const entry of entries) {
    const runtime = require(entry.specifier) as Record<string, unknown>;
    const declared = reportDeclarations(entry.report);
    assert.deepEqual(all.filter((n) => n in runtime), [], `${entry.specifier} exports internals`);
    assert.deepEqual([...all, ...INTERNAL_TYPES].filter((n) => declared.has(n)), [], `api/${entry.report} declares internals`);
  }
});

test('public-api: the report parser sees what an entry exports (a check that can fail)', () => {
  const main = reportDeclarations(`${pkg.name}.api.md`);
  assert.equal(main.get('messageQueue'), 'function');
  assert.equal(main.get('VitessMessagesError'), 'class');
  assert.equal(main.get('SubscriberOptions'), 'interface');
  assert.equal(main.get('splitRow'), undefined);
});
