/**
 * A fast path for the packets that carry the rows of `StreamExecute`: every
 * packet after the first holds only `result.rows` (and maybe a session), and
 * decoding it with the generic protobuf code turned every length of every
 * cell into a Long and then a decimal string, and copied every row's bytes.
 * Here the lengths are read as numbers and a row's bytes stay a view of the
 * packet. Anything else — the fields packet, a form this reader does not
 * expect — is left to the generic decoder.
 */
import type { WireRow } from '../../core/decode';

/** Field numbers of vtgate.StreamExecuteResponse, query.QueryResult and query.Row (proto/). */
const RESPONSE_RESULT = 1;
const RESULT_FIELDS = 1;
const RESULT_ROWS = 4;
const ROW_LENGTHS = 1;
const ROW_VALUES = 2;

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

/** Thrown inside the reader for anything unexpected; the generic decoder then takes the packet. */
class Unexpected extends Error {}

class Cursor {
  pos: number;
  constructor(readonly buf: Buffer, start: number, readonly end: number) {
    this.pos = start;
  }

  /** An unsigned varint as a JS number (exact below 2^53: lengths and tags are far below). */
  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Unexpected('truncated varint');
      const b = this.buf[this.pos++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
    throw new Unexpected('varint too long');
  }

  /** A length-delimited field's bounds; the cursor moves past it. */
  span(): [number, number] {
    const length = this.varint();
    const start = this.pos;
    if (start + length > this.end) throw new Unexpected('truncated field');
    this.pos = start + length;
    return [start, this.pos];
  }

  skip(wireType: number): void {
    if (wireType === VARINT) this.varint();
    else if (wireType === LENGTH_DELIMITED) this.span();
    else if (wireType === FIXED64) this.pos += 8;
    else if (wireType === FIXED32) this.pos += 4;
    else throw new Unexpected(`wire type ${wireType}`); // groups: not in these messages
    if (this.pos > this.end) throw new Unexpected('truncated field');
  }
}

/** A zigzag-encoded sint64 (as a number; cell lengths and -1). */
function zigzag(n: number): number {
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}

/**
 * The rows of a serialized `StreamExecuteResponse` (none for a packet without
 * a result, such as the trailing session-only one), or `undefined` when the
 * packet carries fields or anything this reader does not handle: decode it
 * with the generic decoder then. Each row's `values` is a view of `packet`.
 */
export function readRowsPacket(packet: Buffer): WireRow[] | undefined {
  try {
    const top = new Cursor(packet, 0, packet.length);
    let result: [number, number] | undefined;
    while (top.pos < top.end) {
      const tag = top.varint();
      if (tag === ((RESPONSE_RESULT << 3) | LENGTH_DELIMITED)) {
        if (result) return undefined; // a split message (merged by protobuf): rare, leave it
        result = top.span();
      } else top.skip(tag & 7);
    }
    const rows: WireRow[] = [];
    if (!result) return rows;
    const r = new Cursor(packet, result[0], result[1]);
    while (r.pos < r.end) {
      const tag = r.varint();
      const field = Math.floor(tag / 8);
      if (field === RESULT_FIELDS) return undefined;
      if (field === RESULT_ROWS && (tag & 7) === LENGTH_DELIMITED) rows.push(readRow(packet, r.span()));
      else r.skip(tag & 7);
    }
    return rows;
  } catch (err) {
    if (err instanceof Unexpected) return undefined;
    throw err;
  }
}

function readRow(packet: Buffer, [start, end]: [number, number]): WireRow {
  const c = new Cursor(packet, start, end);
  const lengths: number[] = [];
  let values: Buffer | undefined;
  while (c.pos < c.end) {
    const tag = c.varint();
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (field === ROW_LENGTHS && wireType === LENGTH_DELIMITED) {
      // Packed (what proto3 writers send).
      const [s, e] = c.span();
      const packed = new Cursor(packet, s, e);
      while (packed.pos < packed.end) lengths.push(zigzag(packed.varint()));
    } else if (field === ROW_LENGTHS && wireType === VARINT) lengths.push(zigzag(c.varint()));
    else if (field === ROW_VALUES && wireType === LENGTH_DELIMITED) {
      const [s, e] = c.span();
      values = packet.subarray(s, e);
    } else c.skip(wireType);
  }
  return { lengths, values: values ?? Buffer.alloc(0) };
}
