/**
 * Running generated migration files in tests: transpile the TypeScript the
 * generator wrote, load the class, run `up`/`down` on a TypeORM QueryRunner.
 */
import { writeFileSync } from 'node:fs';
import ts from 'typescript';
import type { MigrationInterface } from 'typeorm';

/** The migration class in a generated `.ts` file (transpiled next to it as `.js`). */
export function loadMigration(file: string, text: string): new () => MigrationInterface {
  const js = ts.transpileModule(text, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const out = file.replace(/\.ts$/, '.js');
  writeFileSync(out, js);
  const mod = require(out) as Record<string, unknown>;
  const cls = Object.values(mod).find((v) => typeof v === 'function');
  if (!cls) throw new Error(`${file} exports no class`);
  return cls as new () => MigrationInterface;
}
