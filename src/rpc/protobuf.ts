/**
 * Hand-written runtime for the generated protobuf codecs in `messages.ts`.
 *
 * Encoding is two-pass: a size pass walks the message once, validates it and records the
 * length of every nested message and packed field (pre-order) in `sizes`; the write pass
 * then fills one exact-size buffer, reading those lengths back in the same order. This
 * reproduces Java protogen's bytes (see protocol.md §0).
 */

import { ErrorCode, FlussError } from "./errors.js";
import { utf8Length } from "../util/bytes.js";

/** A malformed protobuf body, a missing required field, or a value that cannot be encoded. */
export class ProtocolError extends FlussError {
  constructor(message: string, options?: { cause?: unknown }) {
    // Not retriable: resending the same bytes gives the same failure.
    super(ErrorCode.CORRUPT_MESSAGE, message, { retriable: false, ...options });
  }
}

/** Encoder/decoder of one protobuf message type. */
export interface MessageCodec<T> {
  /** The proto message name, e.g. `CreateTableRequest`. */
  readonly name: string;
  /** Serializes `msg` (Java protogen byte layout). Throws {@link ProtocolError} on invalid input. */
  encode(msg: T): Uint8Array;
  /**
   * Serializes `msg` into a new array after `headerBytes` zero bytes the caller fills in
   * (used to build frames without copying the body).
   */
  encodeWithHeader(msg: T, headerBytes: number): Uint8Array;
  /** Parses a message; `bytes` fields are views into `buf`. Throws {@link ProtocolError}. */
  decode(buf: Uint8Array): T;
  /** Size in bytes of `encode(msg)`. */
  encodedSize(msg: T): number;
  /**
   * Serializes `msg` as chunks without copying its large `bytes` values: every `bytes`
   * value of at least `minPart` bytes becomes a chunk of its own (the value itself), the
   * rest is encoded into one buffer the other chunks are views of. `partBytes` must be the
   * total length of those large values (the caller knows where they are). The chunks,
   * written in order, are exactly `encode(msg)`.
   */
  encodeParts(msg: T, minPart: number, partBytes: number): Uint8Array[];
}

/** Size pass of one message type: pushes its own slot into `sizes`, returns its byte size. */
export type SizeFn<T> = (msg: T, sizes: number[]) => number;
/** Write pass of one message type (the caller has written tag and length). */
export type WriteFn<T> = (msg: T, w: ProtoWriter) => void;
/** Parses one message type from `r.pos` up to `end`. */
export type ReadFn<T> = (r: ProtoReader, end: number) => T;

/** Builds the public codec object of a message type from its generated passes. */
export function makeCodec<T>(name: string, size: SizeFn<T>, write: WriteFn<T>, read: ReadFn<T>): MessageCodec<T> {
  const encodeWithHeader = (msg: T, headerBytes: number): Uint8Array => {
    const sizes: number[] = [];
    const n = size(msg, sizes);
    const w = new ProtoWriter(new Uint8Array(headerBytes + n), headerBytes, sizes);
    w.si = 1; // slot 0 is the root message's own size
    write(msg, w);
    if (w.pos !== w.buf.length) throw new ProtocolError(`${name}: size pass and write pass disagree`);
    return w.buf;
  };
  return {
    name,
    encode: (msg) => encodeWithHeader(msg, 0),
    encodeWithHeader,
    decode: (buf) => {
      const r = new ProtoReader(buf);
      try {
        return read(r, buf.length);
      } catch (e) {
        if (e instanceof ProtocolError) throw e;
        throw new ProtocolError(`cannot decode ${name}: ${(e as Error).message}`, { cause: e });
      }
    },
    encodedSize: (msg) => size(msg, []),
    encodeParts: (msg, minPart, partBytes) => {
      const sizes: number[] = [];
      const n = size(msg, sizes);
      const w = new ProtoWriter(new Uint8Array(n - partBytes), 0, sizes);
      w.si = 1;
      const parts = { minPart, chunks: [] as Uint8Array[], from: 0 };
      w.parts = parts;
      write(msg, w);
      if (w.pos !== w.buf.length) throw new ProtocolError(`${name}: size pass and write pass disagree (parts)`);
      if (parts.from < w.pos) parts.chunks.push(w.buf.subarray(parts.from, w.pos));
      return parts.chunks;
    },
  };
}

// ------------------------------------------------------------------------------------------
// Errors raised by generated code
// ------------------------------------------------------------------------------------------

/** A required field is missing (encode or decode). */
export function missingField(message: string, field: string): ProtocolError {
  return new ProtocolError(`${message}: required field '${field}' is missing`);
}

/** A field holds a value its proto type cannot carry. */
export function badValue(message: string, field: string, type: string, value: unknown): ProtocolError {
  let shown: string;
  try {
    shown = typeof value === "string" ? JSON.stringify(value) : String(value);
  } catch {
    shown = typeof value;
  }
  return new ProtocolError(`${message}: field '${field}' must be ${type}, got ${shown}`);
}

// ------------------------------------------------------------------------------------------
// Sizes
// ------------------------------------------------------------------------------------------

/** Bytes of an unsigned 32-bit varint (lengths, tags, non-negative int32). */
export function sizeVarint32(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  return 5;
}

/** Bytes of an int32 field value (negatives are sign-extended to 10 bytes). */
export function sizeInt32(v: number): number {
  return v < 0 ? 10 : sizeVarint32(v);
}

/** Bytes of an int64 field value given as a safe integer. */
export function sizeInt64(v: number): number {
  if (v < 0) return 10;
  if (v < 0x10000000) return sizeVarint32(v);
  if (v < 0x800000000) return 5; // 2^35
  if (v < 0x40000000000) return 6; // 2^42
  if (v < 0x2000000000000) return 7; // 2^49
  return 8; // up to 2^53 < 2^56
}

/** Bytes of a length-delimited string (length prefix + UTF-8). */
export function sizeString(s: string): number {
  const n = utf8Length(s);
  return sizeVarint32(n) + n;
}

/** Bytes of a length-delimited bytes value. */
export function sizeBytes(b: Uint8Array): number {
  return sizeVarint32(b.length) + b.length;
}

// ------------------------------------------------------------------------------------------
// Writer
// ------------------------------------------------------------------------------------------

const textEncoder = new TextEncoder();
const TWO_32 = 4294967296;

/** Writes protobuf wire data into a pre-sized buffer. */
export class ProtoWriter {
  /** Cursor into `sizes` (nested message and packed field lengths, pre-order). */
  si = 0;
  private view: DataView | undefined;
  /** Set by `encodeParts`: large `bytes` values become chunks of their own, uncopied. */
  parts: { readonly minPart: number; readonly chunks: Uint8Array[]; from: number } | undefined;

  constructor(
    readonly buf: Uint8Array,
    public pos: number,
    readonly sizes: readonly number[],
  ) {}

  /** The next recorded length (of a nested message or packed field). */
  nextSize(): number {
    return this.sizes[this.si++]!;
  }

  /** Unsigned varint of a value in 0..2^32-1 (tags and lengths). */
  u32(v: number): void {
    const buf = this.buf;
    let x = v >>> 0;
    while (x > 0x7f) {
      buf[this.pos++] = (x & 0x7f) | 0x80;
      x >>>= 7;
    }
    buf[this.pos++] = x;
  }

  /** Varint of the 64-bit two's complement value `hi:lo` (both unsigned 32-bit). */
  private varint64(lo: number, hi: number): void {
    const buf = this.buf;
    while (hi !== 0 || lo > 0x7f) {
      buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    buf[this.pos++] = lo;
  }

  int32(v: number): void {
    if (v >= 0) this.u32(v);
    else this.varint64(v >>> 0, 0xffffffff);
  }

  /** int64 given as a safe integer; never truncates to 32 bits. */
  int64(v: number): void {
    if (v >= 0 && v <= 0xffffffff) this.u32(v);
    else this.varint64(v >>> 0, Math.floor(v / TWO_32) >>> 0);
  }

  bool(v: boolean): void {
    this.buf[this.pos++] = v ? 1 : 0;
  }

  float(v: number): void {
    (this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength)).setFloat32(this.pos, v, true);
    this.pos += 4;
  }

  double(v: number): void {
    (this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength)).setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  bytes(b: Uint8Array): void {
    this.u32(b.length);
    const parts = this.parts;
    if (parts !== undefined && b.length >= parts.minPart) {
      if (this.pos > parts.from) parts.chunks.push(this.buf.subarray(parts.from, this.pos));
      if (b.length > 0) parts.chunks.push(b);
      parts.from = this.pos;
      return;
    }
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  string(s: string): void {
    const n = s.length;
    // Short ASCII strings (names, paths) are the common case; skip TextEncoder for them.
    if (n < 128) {
      let ascii = true;
      for (let i = 0; i < n; i++) {
        if (s.charCodeAt(i) > 0x7f) {
          ascii = false;
          break;
        }
      }
      if (ascii) {
        const buf = this.buf;
        buf[this.pos++] = n;
        for (let i = 0; i < n; i++) buf[this.pos++] = s.charCodeAt(i);
        return;
      }
    }
    const len = utf8Length(s);
    this.u32(len);
    const { written } = textEncoder.encodeInto(s, this.buf.subarray(this.pos, this.pos + len));
    this.pos += written;
  }
}

// ------------------------------------------------------------------------------------------
// Reader
// ------------------------------------------------------------------------------------------

const textDecoder = new TextDecoder("utf-8");

/** Reads protobuf wire data with bounds checks; every failure is a {@link ProtocolError}. */
export class ProtoReader {
  pos = 0;
  readonly end: number;
  private view: DataView | undefined;

  constructor(readonly buf: Uint8Array) {
    this.end = buf.length;
  }

  private truncated(): ProtocolError {
    return new ProtocolError(`truncated protobuf data at offset ${this.pos}`);
  }

  /** Unsigned varint that must fit 32 bits (tags, lengths). */
  u32(): number {
    const buf = this.buf;
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= this.end) throw this.truncated();
      const b = buf[this.pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) {
        if (result > 0xffffffff) throw new ProtocolError(`varint too large at offset ${this.pos}`);
        return result;
      }
    }
    throw new ProtocolError(`malformed varint at offset ${this.pos}`);
  }

  /** Reads a varint of up to 10 bytes into `lo`/`hi` (unsigned 32-bit halves). */
  private varint64(): void {
    const buf = this.buf;
    let lo = 0;
    let hi = 0;
    let i = 0;
    for (; i < 10; i++) {
      if (this.pos >= this.end) throw this.truncated();
      const b = buf[this.pos++]!;
      const bits = b & 0x7f;
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) {
        lo |= bits << 28; // low 4 bits; JS shifts drop the rest
        hi = bits >>> 4;
      } else hi |= bits << (7 * i - 32);
      if (b < 0x80) {
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return;
      }
    }
    throw new ProtocolError(`malformed varint at offset ${this.pos}`);
  }
  private lo = 0;
  private hi = 0;

  int32(): number {
    this.varint64();
    return this.lo | 0;
  }

  /** int64 as a number; values outside the safe integer range are rejected. */
  int64(): number {
    this.varint64();
    const hi = this.hi;
    const v = hi >= 0x80000000 ? (hi - TWO_32) * TWO_32 + this.lo : hi * TWO_32 + this.lo;
    if (!Number.isSafeInteger(v)) {
      throw new ProtocolError(`int64 value at offset ${this.pos} is outside the safe integer range`);
    }
    return v;
  }

  /** Java semantics: only the varint value 1 is true. */
  bool(): boolean {
    this.varint64();
    return this.lo === 1 && this.hi === 0;
  }

  float(): number {
    if (this.pos + 4 > this.end) throw this.truncated();
    const v = (this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength)).getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  double(): number {
    if (this.pos + 8 > this.end) throw this.truncated();
    const v = (this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength)).getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A length prefix; returns the end offset of the delimited region. */
  delimitedEnd(): number {
    const len = this.u32();
    const end = this.pos + len;
    if (end > this.end) throw this.truncated();
    return end;
  }

  /** A bytes field as a view into the input (no copy). */
  bytes(): Uint8Array {
    const end = this.delimitedEnd();
    const b = this.buf.subarray(this.pos, end);
    this.pos = end;
    return b;
  }

  string(): string {
    const end = this.delimitedEnd();
    const buf = this.buf;
    const start = this.pos;
    this.pos = end;
    if (end - start < 32) {
      let s = "";
      for (let i = start; i < end; i++) {
        const c = buf[i]!;
        if (c > 0x7f) return textDecoder.decode(buf.subarray(start, end));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return textDecoder.decode(buf.subarray(start, end));
  }

  /** Checks that a nested message ended exactly at its declared end. */
  expectEnd(end: number, message: string): void {
    if (this.pos !== end) throw new ProtocolError(`${message}: field overruns the message end at offset ${this.pos}`);
  }

  /** Reads the packed payload of a repeated int32 field into `out`. */
  packedInt32(out: number[]): void {
    const end = this.delimitedEnd();
    while (this.pos < end) out.push(this.int32());
    if (this.pos !== end) throw this.truncated();
  }

  /** Reads the packed payload of a repeated int64 field into `out`. */
  packedInt64(out: number[]): void {
    const end = this.delimitedEnd();
    while (this.pos < end) out.push(this.int64());
    if (this.pos !== end) throw this.truncated();
  }

  /** Reads the packed payload of a repeated bool field into `out`. */
  packedBool(out: boolean[]): void {
    const end = this.delimitedEnd();
    while (this.pos < end) out.push(this.bool());
    if (this.pos !== end) throw this.truncated();
  }

  /** Reads the packed payload of a repeated float field into `out`. */
  packedFloat(out: number[]): void {
    const end = this.delimitedEnd();
    while (this.pos < end) out.push(this.float());
    if (this.pos !== end) throw this.truncated();
  }

  /** Reads the packed payload of a repeated double field into `out`. */
  packedDouble(out: number[]): void {
    const end = this.delimitedEnd();
    while (this.pos < end) out.push(this.double());
    if (this.pos !== end) throw this.truncated();
  }

  /** Skips a field of any wire type whose tag has just been read. */
  skip(tag: number): void {
    switch (tag & 7) {
      case 0:
        this.varint64();
        return;
      case 1:
        if (this.pos + 8 > this.end) throw this.truncated();
        this.pos += 8;
        return;
      case 2:
        this.pos = this.delimitedEnd();
        return;
      case 3: {
        // Group: skip nested fields until the matching end-group tag.
        const field = tag >>> 3;
        for (;;) {
          const t = this.u32();
          if ((t & 7) === 4) {
            if (t >>> 3 !== field) throw new ProtocolError(`mismatched end-group tag at offset ${this.pos}`);
            return;
          }
          this.skip(t);
        }
      }
      case 5:
        if (this.pos + 4 > this.end) throw this.truncated();
        this.pos += 4;
        return;
      default:
        throw new ProtocolError(`invalid wire type ${tag & 7} at offset ${this.pos}`);
    }
  }
}
