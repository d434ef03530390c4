/**
 * BinaryMap (formats.md §5.3): `[int32 keyArrayBytes][key BinaryArray][value BinaryArray]`.
 */
import type { DataType } from "../metadata/data-types.js";
import type { ByteWriter } from "../util/bytes.js";
import { compileArrayReader, compileArrayWriter } from "./binary-array.js";
import { type NestedRowFormat, mapEntries } from "./codec-util.js";

/** Writes a BinaryMap of a `Map` (or plain object) value at `w.pos`. */
export type MapWriter = (w: ByteWriter, value: unknown) => void;
/** Decodes a BinaryMap into a `Map`. */
export type MapReader = (bytes: Uint8Array, offset: number, length: number) => Map<unknown, unknown>;

/** Compiles a BinaryMap writer. Map keys must not be null. */
export function compileMapWriter(keyType: DataType, valueType: DataType, format: NestedRowFormat): MapWriter {
  // Keys are NOT NULL whatever the declared type says.
  const writeKeys = compileArrayWriter({ ...keyType, nullable: false } as DataType, format);
  const writeValues = compileArrayWriter(valueType, format);
  return (w, value) => {
    const [keys, values] = mapEntries(value);
    const base = w.pos;
    w.i32(0);
    writeKeys(w, keys);
    w.view.setInt32(base, w.pos - base - 4, true);
    writeValues(w, values);
  };
}

/** Compiles a BinaryMap reader. */
export function compileMapReader(keyType: DataType, valueType: DataType, format: NestedRowFormat): MapReader {
  const readKeys = compileArrayReader(keyType, format);
  const readValues = compileArrayReader(valueType, format);
  return (bytes, offset, length) => {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const keyBytes = view.getInt32(offset, true);
    if (keyBytes < 0 || 4 + keyBytes > length) throw new RangeError(`corrupt BinaryMap: key array of ${keyBytes} bytes`);
    const keys = readKeys(bytes, offset + 4, keyBytes);
    const values = readValues(bytes, offset + 4 + keyBytes, length - 4 - keyBytes);
    if (keys.length !== values.length) {
      throw new RangeError(`corrupt BinaryMap: ${keys.length} keys but ${values.length} values`);
    }
    const m = new Map<unknown, unknown>();
    for (let i = 0; i < keys.length; i++) m.set(keys[i], values[i]);
    return m;
  };
}
