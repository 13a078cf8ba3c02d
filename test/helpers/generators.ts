/**
 * Generated bad input for the property-based tests (fast-check): hostile
 * strings and identifiers, payload values that do not fit, ids, and a check
 * that a statement of ours carries values only as parameters. One fixed seed
 * (VM_FC_SEED to override), printed by every test, so a failure replays.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';

/** The seed of every generated test; a failing run prints it (and fast-check its path). */
export const FC_SEED = Number(process.env.VM_FC_SEED ?? 20261201);

/**
 * fast-check parameters: the fixed seed and `numRuns` cases. A failure reports
 * the seed and path (replay with VM_FC_SEED); `shrink: false` reports the first
 * failing case as it is (for cases that write to the database).
 */
export function fcParams(numRuns: number, { shrink = true }: { shrink?: boolean } = {}): fc.Parameters<unknown> {
  return { seed: FC_SEED, numRuns, endOnFailure: !shrink };
}

/** Counts per outcome of one category, printed at the end of a test. */
export class CaseCounts {
  readonly #counts = new Map<string, number>();
  constructor(readonly category: string) {}
  add(outcome: string): void {
    this.#counts.set(outcome, (this.#counts.get(outcome) ?? 0) + 1);
  }
  get total(): number {
    return [...this.#counts.values()].reduce((a, b) => a + b, 0);
  }
  get(outcome: string): number {
    return this.#counts.get(outcome) ?? 0;
  }
  /** `category: N cases (seed S): outcome n, …` on stdout, so it shows in the run. */
  print(): void {
    const parts = [...this.#counts.entries()].sort().map(([k, v]) => `${k} ${v}`);
    console.log(`generated ${this.category}: ${this.total} cases (seed ${FC_SEED}): ${parts.join(', ')}`);
  }
}

/** Pieces that break naive SQL, logs or encodings. */
export const HOSTILE_PIECES: readonly string[] = [
  "'", "''", '"', '`', '``', '\\', '\\\'', ';', '--', '-- ', '#', '/*', '*/', '/*!50000', '?', '%', '_', '$',
  '\0', '\n', '\r', '\t', '\x1a', '\b',
  '\u200F', '\u202E', '\u202B', '\u2066', '\u200B', '\uFEFF', '\u2028',
  '😀', '👩‍👩‍👧', 'é', 'e\u0301', 'ß', 'İ', '中', '\u{10FFFF}',
  '\uD800', '\uDBFF', '\uDC00', '\uDFFF', // lone surrogates (unless two happen to pair)
  ' or 1=1', 'drop table x', 'null', 'NULL', 'default', '0x41', "'); --", '`; drop table `t`; --',
];

/** Strings built from hostile pieces and arbitrary (well-formed) characters. */
export const hostileString = (maxLength = 12): fc.Arbitrary<string> =>
  fc.array(fc.oneof(fc.constantFrom(...HOSTILE_PIECES), fc.string({ unit: 'binary', maxLength: 3 }), fc.string({ maxLength: 4 })), { maxLength })
    .map((parts) => parts.join(''));

/** A string with a lone surrogate somewhere (MySQL's utf8mb4 cannot store it). */
export const loneSurrogateString: fc.Arbitrary<string> = fc
  .tuple(fc.string({ maxLength: 4 }), fc.integer({ min: 0xd800, max: 0xdfff }), fc.string({ maxLength: 4 }))
  .map(([a, unit, b]) => a + String.fromCharCode(unit) + b)
  .filter(hasLoneSurrogate);

/** True when `s` is not well-formed UTF-16 (a surrogate without its pair). */
export function hasLoneSurrogate(s: string): boolean {
  return /\p{Cs}/u.test(s);
}

/** Valid MySQL identifiers of ours: /^[A-Za-z_][A-Za-z0-9_$]{0,63}$/. */
export const plainIdentifier: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_'), fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789_$'), maxLength: 12 }))
  .map(([a, b]) => a + b);

/** Identifier strings a user might write, or an attacker: plain ones, hostile ones, too long ones. */
export const identifierText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: plainIdentifier },
  { weight: 4, arbitrary: hostileString(6) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'a'.repeat(65), 'a'.repeat(64), '1abc', 'a-b', 'a b', 'a.b', 'é', 'id', 'epoch', 'time_next', 'PRIMARY', 'poller_idx') },
);

/** {@link identifierText}, or not a string at all (what plain JavaScript callers can pass). */
export const anyIdentifier: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 9, arbitrary: identifierText },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, 5, true, {}, [], Symbol.for('x')) },
);

const TWO_63 = 2n ** 63n;
/** Message ids: valid ones, 0, negatives, 2^63 and beyond, JS numbers, malformed strings. */
export const anyId: fc.Arbitrary<unknown> = fc.oneof(
  fc.bigInt({ min: -(2n ** 65n), max: 2n ** 65n }),
  fc.bigInt({ min: 1n, max: TWO_63 - 1n }).map((n) => n.toString()),
  fc.constantFrom<unknown>(0n, -1n, TWO_63 - 1n, TWO_63, TWO_63 + 1n, 2n ** 64n, '0', '-1', '9223372036854775807', '9223372036854775808', '18446744073709551616', '00000000000000000001', ' 1', '1 ', '1e3', '0x10', '１', '1.0', '', 2 ** 53, 1, -1, NaN, Infinity, 1.5, null, {}, []),
  hostileString(4),
  fc.double(),
);

/** A number that does not fit somewhere: NaN, ±Infinity, -0, beyond 2^53, tiny, huge. */
export const oddNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 2 ** 63, 2 ** 64, 1e21, 1e308, -1e308, Number.MAX_VALUE, Number.MIN_VALUE, Number.EPSILON, 0.1 + 0.2, 2147483647, 2147483648, -2147483649),
  fc.double(),
  fc.integer(),
);

/** A bigint that does not fit somewhere: around ±2^31, ±2^63 and 2^64. */
export const oddBigInt: fc.Arbitrary<bigint> = fc.oneof(
  fc.constantFrom(2n ** 31n - 1n, 2n ** 31n, -(2n ** 31n) - 1n, TWO_63 - 1n, TWO_63, -TWO_63, -TWO_63 - 1n, 2n ** 64n - 1n, 2n ** 64n, 10n ** 30n),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
);

/** Text that is not JSON (or is JSON of another shape): stored in a JSON column, it must stay a JSON string. */
export const notJsonText: fc.Arbitrary<string> = fc.constantFrom('{', '{"a":', "{'a':1}", '[1,]', 'undefined', 'NaN', '{"a":1}', '"x"', 'true', '01', '\u0000', '{"\uD800":1}');

/** JSON values with the odd numbers and hostile strings inside (NaN and lone surrogates included). */
export const oddJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(null, true, false),
    oddNumber,
    hostileString(6),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(hostileString(3), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** Values of every JS type, for "wrong type". */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true, withSparseArray: true }),
  oddNumber,
  oddBigInt,
  hostileString(),
  notJsonText,
  fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a)),
  fc.constantFrom<unknown>(new Date(NaN), new Date(0), new Date(8.64e15), () => 1, Symbol('s'), undefined, Object.create(null)),
);

/**
 * Asserts that a statement of ours is safe: backquoted names are plain
 * identifiers, single-quoted strings are closed, and what is left is keywords,
 * numbers, punctuation and `?` placeholders — no comment, no statement separator,
 * no control character. `identifiers` must all appear backquoted.
 */
export function assertSafeSql(sql: string, identifiers: readonly string[] = []): void {
  // One left-to-right pass: a backquote inside a string literal is text, a quote inside a name would be refused.
  const rest = sql.replace(/`([^`]*)`|'(?:[^'\\]|''|\\.)*'/g, (token: string, name: string | undefined) => {
    if (name === undefined) return ' STR ';
    assert.match(name, /^[A-Za-z_][A-Za-z0-9_$-]{0,63}$/, `backquoted name ${JSON.stringify(name)} in ${sql}`);
    return ' NAME ';
  });
  assert.match(rest, /^[A-Za-z0-9_ (),.=+\-?<>*^\n]*$/, `unquoted text of ${JSON.stringify(sql)} is ${JSON.stringify(rest)}`);
  assert.doesNotMatch(rest, /--|#|\/\*|;/, `no comment or separator outside quotes in ${sql}`);
  for (const id of identifiers) assert.ok(sql.includes('`' + id + '`'), `${id} is backquoted in ${sql}`);
}
