/**
 * Failure reasons cut to fit `failure_reason`: a TEXT column holds 65,535
 * bytes, and in MySQL's strict mode a longer value makes the whole UPDATE fail
 * (the message would then come back and fail again, forever). Every fail path
 * (the library's `fail()`, the subscriber's attempt limit, `UnrecoverableError`,
 * `ctx.fail`) goes through {@link clipReason}.
 */

/** The size of `failure_reason` (TEXT), in utf8mb4 bytes. */
export const MAX_REASON_BYTES = 65_535;

const ELLIPSIS = '…'; // 3 bytes in UTF-8

/**
 * `text` as it can be stored: lone surrogates (which utf8mb4 cannot hold)
 * become U+FFFD, and a text over {@link MAX_REASON_BYTES} UTF-8 bytes is cut at
 * a character boundary (never inside a surrogate pair or a UTF-8 sequence) and
 * ends with `…`, the whole at most `maxBytes`.
 */
export function clipReason(text: string, maxBytes: number = MAX_REASON_BYTES): string {
  const wellFormed = toWellFormed(text);
  // A UTF-16 unit takes at most 3 bytes: short texts need no encoding.
  if (wellFormed.length * 3 <= maxBytes) return wellFormed;
  const bytes = Buffer.from(wellFormed, 'utf8');
  if (bytes.length <= maxBytes) return wellFormed;
  let cut = maxBytes - Buffer.byteLength(ELLIPSIS);
  while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut--; // back to the first byte of a character
  return bytes.subarray(0, cut).toString('utf8') + ELLIPSIS;
}

/** String.prototype.toWellFormed (ES2024), written out for the ES2023 lib. */
function toWellFormed(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}
