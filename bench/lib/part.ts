/**
 * The command-line shell every bench part shares: run it when the file is the
 * entry point, write its results to `--json FILE` for the suite, close the
 * shared pool, and exit 1 on an error.
 */
import { writeFileSync } from 'node:fs';
import { closePool } from '../../test/helpers/vitess';
import { benchFlags, type BenchFlags } from './stats';

export function runPart(mod: NodeModule, part: (flags: BenchFlags) => Promise<unknown>): void {
  if (require.main !== mod) return;
  const flags = benchFlags();
  part(flags)
    .then(async (results) => {
      if (flags.json) writeFileSync(flags.json, JSON.stringify(results));
      await closePool();
    })
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
