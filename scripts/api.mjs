#!/usr/bin/env node
// The public API check: one API Extractor run per entry point of package.json
// "exports" (api-extractor.json is the template), each against its committed
// report api/<name>.api.md. A new entry needs only its line in "exports".
//
//   node scripts/api.mjs            check (what `npm test` runs, after it built dist/)
//   node scripts/api.mjs --local    regenerate api/*.api.md (`npm run api` builds first)
//   --build                         run `tsc -p tsconfig.build.json` first
//
// Fails on a changed surface, an undocumented export or member (ae-undocumented),
// bad TSDoc, and a public type naming one its entry does not export
// (ae-forgotten-export) — except a type another entry exports (a subpath
// entry's users import shared types from there), a type alias no module exports
// (a type-level helper such as InferPayload's RequiredKeys), and what only an
// @internal member names (the subscriber's protected hooks). Reading those tags
// needs the declaration maps of tsconfig.build.json (messages point into src/).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const local = args.includes('--local');
const unknown = args.filter((a) => a !== '--local' && a !== '--build');
if (unknown.length > 0) {
  console.error(`api: unknown argument(s) ${unknown.join(' ')} (use --local, --build)`);
  process.exit(2);
}

if (args.includes('--build')) {
  const res = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) process.exit(1);
}

const require = createRequire(import.meta.url);
const { Extractor, ExtractorConfig, CompilerState } = require('@microsoft/api-extractor');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** The report name of an export subpath: the package name for ".", else the subpath (`./typeorm` → `typeorm`). */
function reportName(subpath, packageName) {
  return subpath === '.' ? packageName.replace(/^@[^/]+\//, '') : subpath.replace(/^\.\//, '').replace(/\//g, '-');
}

const entries = Object.entries(pkg.exports)
  .filter(([, target]) => typeof target === 'object' && target !== null && typeof target.types === 'string')
  .map(([subpath, target]) => ({ subpath, types: join(root, target.types), name: reportName(subpath, pkg.name) }));

const missing = entries.filter((e) => !existsSync(e.types));
if (missing.length > 0) {
  console.error(`✖ no declarations for ${missing.map((e) => relative(root, e.types)).join(', ')}: build dist/ first (tsc -p tsconfig.build.json, or --build)`);
  process.exit(1);
}

const configPath = join(root, 'api-extractor.json');
const template = ExtractorConfig.loadFile(configPath);
const configFor = (entry) => ExtractorConfig.prepare({
  configObject: {
    ...template,
    mainEntryPointFilePath: entry.types,
    apiReport: { ...template.apiReport, reportFileName: entry.name },
  },
  configObjectFullPath: configPath,
  packageJsonFullPath: join(root, 'package.json'),
});

// One TypeScript program for every entry: the second and later entries cost little.
const configs = entries.map((e) => ({ entry: e, config: configFor(e) }));
const compilerState = CompilerState.create(configs[0].config, { additionalEntryPoints: entries.map((e) => e.types) });

// What each entry exports: a subpath entry's declarations may name a type another
// entry exports (users import shared types from the main entry, the NestJS entry's
// handle types from `./typeorm`).
const exportsOf = new Map();
{
  const checker = compilerState.program.getTypeChecker();
  for (const e of entries) {
    const file = compilerState.program.getSourceFile(e.types);
    exportsOf.set(e, new Set(checker.getExportsOfModule(checker.getSymbolAtLocation(file)).map((s) => s.name)));
  }
}
// API Extractor renames a clashing name `X_2`; the exported one is `X`.
const exportedElsewhere = (entry, name) => entries.some((e) => e !== entry && exportsOf.get(e).has(name.replace(/_\d+$/, '')));

// Type aliases no module exports: type-level helpers of a public type (InferPayload's
// RequiredKeys, …), which users never name; an entry may leave them unexported.
const helperTypes = new Set();
{
  const ts = require(require.resolve('typescript', { paths: [require.resolve('@microsoft/api-extractor')] }));
  for (const sf of compilerState.program.getSourceFiles()) {
    if (!sf.fileName.startsWith(join(root, 'dist'))) continue;
    for (const st of sf.statements) {
      const exported = st.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
      if (ts.isTypeAliasDeclaration(st) && !exported) helperTypes.add(st.name.text);
    }
  }
}

/** Whether the declaration at `file:line` carries `@internal` in its doc comment (protected members, not for subclassing). */
function isInternal(file, line) {
  if (!file || !line || !existsSync(file)) return false;
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = line - 2; i >= 0; i--) {
    const text = lines[i].trim();
    if (!(text.startsWith('*') || text.startsWith('/**'))) return false;
    if (text.includes('@internal')) return true;
    if (text.startsWith('/**')) return false;
  }
  return false;
}

const problems = [];
const changed = [];
for (const { entry, config } of configs) {
  const result = Extractor.invoke(config, {
    localBuild: local,
    compilerState,
    messageCallback(message) {
      message.handled = true;
      if (message.messageId.startsWith('console-')) return; // progress notes, not findings
      if (message.messageId === 'ae-forgotten-export') {
        const name = /The symbol "([^"]+)"/.exec(message.text)?.[1];
        if (name !== undefined && (helperTypes.has(name) || exportedElsewhere(entry, name))) return;
        if (isInternal(message.sourceFilePath, message.sourceFileLine)) return;
      }
      // Members marked @internal (protected hooks) are not for users: no TSDoc needed.
      if (message.messageId === 'ae-undocumented' && isInternal(message.sourceFilePath, message.sourceFileLine)) return;
      if (message.logLevel === 'error' || message.logLevel === 'warning') {
        const where = message.sourceFilePath ? `${relative(root, message.sourceFilePath)}:${message.sourceFileLine}: ` : '';
        problems.push(`${entry.name}: ${where}(${message.messageId}) ${message.text}`);
      }
    },
  });
  const [{ fileName }] = config.reportConfigs;
  entry.fileName = fileName;
  if (result.apiReportChanged) changed.push({ entry, report: join(config.reportFolder, fileName), temp: join(config.reportTempFolder, fileName) });
}

// A report no entry produces any more (an entry was removed or renamed).
const expected = new Set(entries.map((e) => e.fileName));
const stale = existsSync(join(root, 'api')) ? readdirSync(join(root, 'api')).filter((f) => f.endsWith('.api.md') && !expected.has(f)) : [];
if (local) for (const f of stale) rmSync(join(root, 'api', f));

for (const p of problems) console.error(`✖ ${p}`);
if (problems.length > 0) {
  console.error(`✖ ${problems.length} API problem(s): every export needs TSDoc (what, default, why), and every type a public one names must be exported by the same entry`);
}
if (local) {
  for (const c of changed) console.log(`api: updated ${relative(root, c.report)}`);
  for (const f of stale) console.log(`api: removed api/${f} (no such entry point)`);
  if (changed.length === 0 && stale.length === 0) console.log(`api: ${entries.length} reports unchanged`);
  process.exit(problems.length > 0 ? 1 : 0);
}

for (const c of changed) {
  if (existsSync(c.report)) {
    const diff = spawnSync('diff', ['-u', relative(root, c.report), relative(root, c.temp)], { cwd: root, encoding: 'utf8' });
    process.stderr.write(diff.stdout || `${relative(root, c.report)} and ${relative(root, c.temp)} differ\n`);
  } else {
    console.error(`✖ ${relative(root, c.report)} is missing (new entry point '${c.entry.subpath}')`);
  }
}
for (const f of stale) console.error(`✖ api/${f}: no entry point of package.json "exports" produces it`);
if (changed.length > 0 || stale.length > 0) {
  console.error('✖ the public API changed: run npm run api and commit api/*.api.md');
}
if (problems.length > 0 || changed.length > 0 || stale.length > 0) process.exit(1);
console.log(`api: ${entries.length} entry points match api/*.api.md`);
