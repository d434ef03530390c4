/**
 * Change types of log records (Java `org.apache.fluss.record.ChangeType`): one byte per
 * record in INDEXED/COMPACTED records and in the change-type vector of Arrow batches.
 */
import { FlussError, ErrorCode } from "../rpc/errors.js";

/** Byte values of the change types. */
export const ChangeByte = {
  /** `+A`: a record of an append-only (log) table. */
  APPEND_ONLY: 0,
  /** `+I`: a new primary key. */
  INSERT: 1,
  /** `-U`: the old image of an updated row. */
  UPDATE_BEFORE: 2,
  /** `+U`: the new image of an updated row. */
  UPDATE_AFTER: 3,
  /** `-D`: a deleted row. */
  DELETE: 4,
} as const;

/** A change type byte value (0..4). */
export type ChangeByte = (typeof ChangeByte)[keyof typeof ChangeByte];

/** The Java enum names of the change types. */
export type ChangeByteName = keyof typeof ChangeByte;

const SHORT_STRINGS = ["+A", "+I", "-U", "+U", "-D"] as const;
const NAMES: readonly ChangeByteName[] = ["APPEND_ONLY", "INSERT", "UPDATE_BEFORE", "UPDATE_AFTER", "DELETE"];

/** Validates a change type byte; throws a CORRUPT_RECORD_EXCEPTION error for unknown values. */
export function changeTypeFromByte(value: number): ChangeByte {
  if (value >= 0 && value <= 4 && Number.isInteger(value)) return value as ChangeByte;
  throw new FlussError(ErrorCode.CORRUPT_RECORD_EXCEPTION, `Unsupported byte value '${value}' for change type`);
}

/** The short form used in logs and by Java's `shortString()`: `+A`, `+I`, `-U`, `+U`, `-D`. */
export function changeTypeShortString(type: ChangeByte): string {
  const s = SHORT_STRINGS[type];
  if (s === undefined) changeTypeFromByte(type);
  return s!;
}

/** The Java enum name, e.g. `UPDATE_AFTER`. */
export function changeTypeName(type: ChangeByte): ChangeByteName {
  const s = NAMES[type];
  if (s === undefined) changeTypeFromByte(type);
  return s!;
}

/** Parses a short string (`+A`...) or an enum name (`APPEND_ONLY`...). */
export function parseChangeType(text: string): ChangeByte {
  const i = SHORT_STRINGS.indexOf(text as (typeof SHORT_STRINGS)[number]);
  if (i >= 0) return i as ChangeByte;
  const j = NAMES.indexOf(text as ChangeByteName);
  if (j >= 0) return j as ChangeByte;
  throw FlussError.client(`unknown change type "${text}"`);
}
