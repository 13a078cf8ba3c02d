/**
 * `npm run faults`: runs the fault scenarios (test/faults/scenarios.ts) against
 * the local Vitess the environment names, one after another, and prints the
 * table of the README's delivery contract. They kill and restart vtcombo and
 * mysqld: run it on a Vitess of your own (see the README's "Fault suite").
 *
 *   npm run faults                      every scenario, 2,000 messages each
 *   npm run faults -- --messages 10000  more messages each
 *   npm run faults -- --only b,d        some scenarios
 *   npm run faults -- --soak            the soak (g): 1,000,000 messages, consumers restarted every few seconds
 */
import { closePool } from '../helpers/vitess';
import { formatTable, scenarios, soak, type FaultResult } from './scenarios';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const value = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const messages = Number(value('--messages') ?? (args.includes('--soak') ? 1_000_000 : 2_000));
  const only = value('--only')?.split(',');
  const log = (line: string) => console.log(`  ${line}`);
  const chosen = args.includes('--soak') ? [soak] : scenarios.filter((s) => !only || only.includes(s.key));
  const results: FaultResult[] = [];
  for (const s of chosen) {
    console.log(`▶ (${s.key}) ${s.title}: ${messages.toLocaleString('en-US')} messages`);
    const started = Date.now();
    results.push(await s.run({ messages, log }));
    console.log(`  done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  await closePool();
  console.log(`\n${formatTable(results)}`);
  const broken = results.filter((r) => r.lost > 0 || r.duplicates > r.duplicateBound || r.problems.length > 0);
  if (broken.length > 0) {
    console.log(`\n✖ broken: ${broken.map((r) => r.scenario).join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
