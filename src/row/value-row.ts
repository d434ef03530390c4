/**
 * Stored / looked-up KV values: `int16 LE schemaId ‖ row bytes` (Java `ValueEncoder`).
 */
import { FlussError } from "../rpc/errors.js";

/** Prefixes `rowBytes` with the schema id as int16 little-endian. */
export function encodeValueWithSchemaId(schemaId: number, rowBytes: Uint8Array): Uint8Array {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 32767) {
    throw FlussError.client(`schema id must be in 0..32767, got ${schemaId}`);
  }
  const out = new Uint8Array(2 + rowBytes.length);
  out[0] = schemaId & 0xff;
  out[1] = (schemaId >> 8) & 0xff;
  out.set(rowBytes, 2);
  return out;
}

/** Splits a stored value into its schema id and a view (no copy) of the row bytes. */
export function decodeValueWithSchemaId(value: Uint8Array): { schemaId: number; row: Uint8Array } {
  if (value.length < 2) throw FlussError.client(`KV value too short: ${value.length} bytes`);
  const schemaId = ((value[0]! | (value[1]! << 8)) << 16) >> 16;
  return { schemaId, row: value.subarray(2) };
}
