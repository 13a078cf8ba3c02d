/**
 * Refusing misspelt option names: `subscribe(…, { maxInflight: 5 })` must not
 * silently leave `maxInFlight` at its default.
 */
import { InvalidOptionError } from '../core/errors';
import { checkOptionNames, renamedOptionHint, TABLE_OPTION_NAMES } from '../core/options';

/**
 * Throws {@link InvalidOptionError} on a key of `input` that is not in `known`,
 * naming the valid ones. `hints` explains names that are refused on purpose
 * (e.g. a handler-only option given to the iterator).
 */
export function checkNames(input: object | undefined, known: readonly string[], subject: string, hints: Readonly<Record<string, string>> = {}): void {
  if (input === undefined || input === null || typeof input !== 'object') return;
  for (const key of Object.keys(input)) {
    if (known.includes(key)) continue;
    const hint = hints[key] ?? renamedOptionHint(key, known) ?? (TABLE_OPTION_NAMES.includes(key) ? 'is a table option (set it on the message table)' : 'is not an option');
    throw new InvalidOptionError(subject, key, `${hint}; known: ${known.join(', ')}`);
  }
  // The shared check of core/options (it also lets table options through, refused above).
  checkOptionNames(input, known, subject);
}
