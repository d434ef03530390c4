/**
 * CompactedKeyEncoder (formats.md §5.2): the default encoding of primary keys, lookup keys
 * and bucket keys. Key fields are concatenated in the compacted-row encoding with no null
 * bitmap; a null key field is an error.
 */
import type { DataType, RowType } from "../metadata/data-types.js";
import { FlussError } from "../rpc/errors.js";
import { ByteReader, ByteWriter } from "../util/bytes.js";
import type { ValueWriter } from "./codec-util.js";
import { type CompactedFieldReader, compileCompactedFieldReader, compileCompactedFieldWriter } from "./compacted-row.js";

/** Encodes key values (canonical, in key order) to key bytes. */
export class CompactedKeyEncoder {
  private readonly writers: ValueWriter[];
  private readonly scratch = new ByteWriter(64);

  /**
   * @param types key field types, in key order
   * @param names key field names, used in error messages
   */
  constructor(
    readonly types: readonly DataType[],
    readonly names?: readonly string[],
  ) {
    this.writers = types.map(compileCompactedFieldWriter);
  }

  /** Encoder for the key columns `keyNames` of rows of `rowType`. */
  static forKeys(rowType: RowType, keyNames: readonly string[]): CompactedKeyEncoder {
    const types = keyNames.map((name) => {
      const f = rowType.fields.find((x) => x.name === name);
      if (!f) throw FlussError.client(`key column "${name}" does not exist in the row type`);
      return f.type;
    });
    return new CompactedKeyEncoder(types, keyNames);
  }

  /** Encodes one key into fresh bytes. */
  encode(values: readonly unknown[]): Uint8Array {
    const w = this.scratch;
    w.reset();
    this.encodeInto(w, values);
    return w.toBytes();
  }

  /** Appends one key at `writer.pos`; returns the number of bytes written. */
  encodeInto(w: ByteWriter, values: readonly unknown[]): number {
    const n = this.writers.length;
    if (values.length !== n) {
      throw FlussError.client(`key has ${values.length} values but ${n} key fields`);
    }
    return this.encodeRowInto(w, values, undefined);
  }

  /**
   * Appends the key taken from a full row at `indexes` (undefined: the row is the key);
   * returns the number of bytes written.
   */
  encodeRowInto(w: ByteWriter, row: readonly unknown[], indexes: readonly number[] | undefined): number {
    const n = this.writers.length;
    const start = w.pos;
    for (let i = 0; i < n; i++) {
      const v = row[indexes === undefined ? i : indexes[i]!];
      if (v === null || v === undefined) {
        w.pos = start;
        throw FlussError.client(`key field "${this.names?.[i] ?? i}" must not be null`);
      }
      this.writers[i]!(w, v);
    }
    return w.pos - start;
  }
}

/** Decodes compacted key bytes back into canonical values (Java `CompactedKeyDecoder`). */
export class CompactedKeyDecoder {
  private readonly readers: CompactedFieldReader[];

  constructor(readonly types: readonly DataType[]) {
    this.readers = types.map(compileCompactedFieldReader);
  }

  decode(bytes: Uint8Array, offset = 0, length = bytes.length - offset): unknown[] {
    const r = new ByteReader(bytes, offset, offset + length);
    return this.readers.map((read) => read(r));
  }
}
