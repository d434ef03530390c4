/**
 * The shell shared by the IndexedRow and CompactedRow codecs: each format compiles a
 * writer and a reader for a list of field types once; these classes and the nested-row
 * format wrap the compiled functions.
 */
import type { DataType, RowType } from "../metadata/data-types.js";
import { ByteWriter } from "../util/bytes.js";
import { type NestedRowFormat, nestedRowValues, rowObject } from "./codec-util.js";

/** Writes one row (canonical values in field order) at `w.pos`. */
export type RowWriterFn = (w: ByteWriter, values: readonly unknown[]) => void;
/** Reads one row of `length` bytes at `offset` into canonical values in field order. */
export type RowReaderFn = (bytes: Uint8Array, offset: number, length: number) => unknown[];

/** How a row format compiles its codecs. */
export interface RowCodecCompiler {
  readonly name: string;
  compileWriter(types: readonly DataType[]): RowWriterFn;
  compileReader(types: readonly DataType[]): RowReaderFn;
}

/** Nested ROWs (inside arrays and maps) use the enclosing row's format. */
export function nestedRowFormat(c: RowCodecCompiler): NestedRowFormat {
  return {
    name: c.name,
    rowWriter(type: RowType) {
      const write = c.compileWriter(type.fields.map((f) => f.type));
      return (w, v) => write(w, nestedRowValues(type, v));
    },
    rowReader(type: RowType) {
      const read = c.compileReader(type.fields.map((f) => f.type));
      const names = type.fields.map((f) => f.name);
      return (bytes, offset, length) => rowObject(names, read(bytes, offset, length));
    },
  };
}

/** Encodes rows of one schema; the per-type work is compiled once in the constructor. */
export abstract class RowEncoder {
  private readonly write: RowWriterFn;
  private readonly scratch = new ByteWriter(256);

  protected constructor(
    readonly types: readonly DataType[],
    compiler: RowCodecCompiler,
  ) {
    this.write = compiler.compileWriter(types);
  }

  /** Encodes one row into fresh bytes. */
  encode(values: readonly unknown[]): Uint8Array {
    this.scratch.reset();
    this.write(this.scratch, values);
    return this.scratch.toBytes();
  }

  /** Appends one row at `writer.pos`; returns the number of bytes written. */
  encodeInto(writer: ByteWriter, values: readonly unknown[]): number {
    const start = writer.pos;
    try {
      this.write(writer, values);
    } catch (e) {
      writer.pos = start; // drop the partial row
      throw e;
    }
    return writer.pos - start;
  }
}

/** Decodes rows of one schema into canonical values in field order. */
export abstract class RowDecoder {
  private readonly read: RowReaderFn;

  protected constructor(
    readonly types: readonly DataType[],
    compiler: RowCodecCompiler,
  ) {
    this.read = compiler.compileReader(types);
  }

  decode(bytes: Uint8Array, offset = 0, length = bytes.length - offset): unknown[] {
    return this.read(bytes, offset, length);
  }
}
