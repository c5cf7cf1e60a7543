import * as protobuf from 'protobufjs';
import { writeVarint } from './wire';

// The byte writer the plain-object encoder (encoder.ts) writes with: varints,
// 64-bit values as fromObject converts them, and length-prefixed strings.

const Long = protobuf.util.Long as unknown as {
  fromValue(v: unknown, unsigned?: boolean): { low: number; high: number };
};

const TWO_32 = 4294967296;

// Encoded strings by value, length prefix included: the same bytes for the
// same string whoever writes it, so sharing them keeps encoding pure.
const STRING_CACHE = new Map<string, Buffer>();
const STRING_CACHE_MAX = 4096;

/** The value of a string of 1 to 15 decimal digits (always exact), else undefined. */
function smallDecimal(s: string): number | undefined {
  const n = s.length;
  if (n === 0 || n > 15) return undefined;
  let x = 0;
  for (let i = 0; i < n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    x = x * 10 + d;
  }
  return x;
}

/** The growing scratch buffer every top-level encode writes into, then copies out of. */
export class Writer {
  buf: Buffer;
  pos = 0;

  constructor(size = 64 * 1024) {
    this.buf = Buffer.allocUnsafeSlow(size);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafeSlow(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** An unsigned 32-bit varint (tags, lengths, uint32). */
  u32(v: number): void {
    this.ensure(5);
    this.pos = writeVarint(this.buf, this.pos, v);
  }

  /** A 64-bit varint from its two unsigned 32-bit halves. */
  u64(lo: number, hi: number): void {
    this.ensure(10);
    const buf = this.buf;
    let p = this.pos;
    while (hi !== 0) {
      buf[p++] = (lo & 127) | 128;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    while (lo > 127) {
      buf[p++] = (lo & 127) | 128;
      lo >>>= 7;
    }
    buf[p++] = lo;
    this.pos = p;
  }

  /** int32 as protobufjs writes it: negative values take ten bytes. */
  i32(v: number): void {
    if (v < 0) {
      const bits = protobuf.util.LongBits.fromNumber(v);
      this.u64(bits.lo >>> 0, bits.hi >>> 0);
    } else this.u32(v >>> 0);
  }

  s32(v: number): void {
    this.u32(((v << 1) ^ (v >> 31)) >>> 0);
  }

  fixed32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
  }

  f32(v: number): void {
    this.ensure(4);
    this.buf.writeFloatLE(v, this.pos);
    this.pos += 4;
  }

  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  /** A 64-bit field value after fromObject's conversion (Long.fromValue), in `kind` encoding. */
  i64(v: unknown, unsigned: boolean, kind: 'varint' | 'zigzag' | 'fixed'): void {
    let lo: number;
    let hi: number;
    // Decoded messages carry 64-bit values as decimal strings ("0" for
    // every Duration's seconds): short unsigned ones are read here rather
    // than through Long.fromString, which gives the same value far slower.
    if (typeof v === 'string') v = smallDecimal(v) ?? v;
    if (typeof v === 'number' && v >= 0 && v <= Number.MAX_SAFE_INTEGER && Number.isInteger(v)) {
      lo = (v % TWO_32) >>> 0;
      hi = Math.floor(v / TWO_32) >>> 0;
    } else {
      const l = Long.fromValue(v, unsigned);
      lo = l.low >>> 0;
      hi = l.high >>> 0;
    }
    if (kind === 'zigzag') {
      const mask = hi >> 31;
      hi = (((hi << 1) | (lo >>> 31)) ^ mask) >>> 0;
      lo = ((lo << 1) ^ mask) >>> 0;
    }
    if (kind === 'fixed') {
      this.fixed32(lo);
      this.fixed32(hi);
    } else this.u64(lo, hi);
  }

  bool(v: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
  }

  /** A length-prefixed UTF-8 string. */
  str(s: string): void {
    const n = s.length;
    if (n > 512) {
      const len = Buffer.byteLength(s, 'utf8');
      this.u32(len);
      this.ensure(len);
      this.pos += this.buf.write(s, this.pos, len, 'utf8');
      return;
    }
    this.ensure(n * 3 + 5);
    const buf = this.buf;
    const start = this.pos;
    // Assume ASCII (byte length = n) and fall back at the first other character.
    let p = start + (n < 128 ? 1 : 2);
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 128) {
        // protobufjs sizes strings with Buffer.byteLength and writes the
        // short ones (under 40) with its own UTF-8 writer, which passes lone
        // surrogates through where Buffer writes U+FFFD: both kept here.
        const len = Buffer.byteLength(s, 'utf8');
        this.u32(len);
        if (n < 40) protobuf.util.utf8.write(s, this.buf, this.pos);
        else this.buf.write(s, this.pos, len, 'utf8');
        this.pos += len;
        return;
      }
      buf[p++] = c;
    }
    if (n < 128) buf[start] = n;
    else {
      buf[start] = (n & 127) | 128;
      buf[start + 1] = n >>> 7;
    }
    this.pos = p;
  }

  /**
   * A length-prefixed string from a set of few distinct values (type URLs),
   * copied from its encoding the first time. Past the cap, strings are
   * written as str() writes them.
   */
  strCached(s: string): void {
    let bytes = STRING_CACHE.get(s);
    if (!bytes) {
      if (STRING_CACHE.size >= STRING_CACHE_MAX) return this.str(s);
      const start = this.pos;
      this.str(s);
      bytes = Buffer.from(this.buf.subarray(start, this.pos));
      STRING_CACHE.set(s, bytes);
      return;
    }
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Length-prefixed bytes (already converted from base64 when given as a string). */
  bytes(b: ArrayLike<number>): void {
    const len = b.length >>> 0;
    this.u32(len);
    if (len === 0) return;
    this.ensure(len);
    this.buf.set(b, this.pos);
    this.pos += len;
  }

  /** Bytes already encoded, written as they are. */
  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Starts a length-delimited body; returns where its length goes. */
  begin(): number {
    this.ensure(1);
    return this.pos++;
  }

  /** Ends the body begun at `at`, writing its length there. */
  end(at: number): void {
    const len = this.pos - at - 1;
    if (len < 128) {
      this.buf[at] = len;
      return;
    }
    let extra = 0;
    for (let x = len >>> 7; x > 127; x >>>= 7) extra++;
    extra++;
    this.ensure(extra);
    const buf = this.buf;
    buf.copyWithin(at + 1 + extra, at + 1, this.pos);
    this.pos += extra;
    let v = len;
    let p = at;
    while (v > 127) {
      buf[p++] = (v & 127) | 128;
      v >>>= 7;
    }
    buf[p] = v;
  }
}
