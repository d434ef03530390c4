/**
 * Stored primary-key values (`int16 schemaId ‖ row` in the table's kv format) as rows of a
 * reader's schema, whatever schema they were written with (Java `FixedSchemaDecoder` with
 * `SchemaUtil.getIndexMapping`): columns are matched by column id, columns added after the
 * value was written are null, columns the reader does not know are left out. Used by the
 * lookupers and the KV bucket scanner; the schemas of other ids must be loaded first
 * ({@link TableSchemas.load}).
 */
import type { TableInfo } from "../metadata/table-info.js";
import { ErrorCode, FlussError } from "../rpc/errors.js";
import { CompactedRowDecoder } from "../row/compacted-row.js";
import { IndexedRowDecoder } from "../row/indexed-row.js";
import type { RowDecoder } from "../row/row-codec.js";
import type { DataType } from "../metadata/data-types.js";
import type { TableSchemas } from "./table-schemas.js";

/** Decodes value rows of any schema id of one table into the reader's columns. */
export class KvValueDecoder {
  private readonly own: RowDecoder;
  private readonly others = new Map<number, (buf: Uint8Array, start: number, len: number) => unknown[]>();

  constructor(
    private readonly info: TableInfo,
    /** The table's schemas by id. */
    readonly schemas: TableSchemas,
  ) {
    this.own = decoderOf(
      info.kvFormat,
      info.rowType.fields.map((f) => f.type),
    );
  }

  /** Whether rows of `schemaId` can be decoded now (the reader's id, or a loaded schema). */
  knows(schemaId: number): boolean {
    return schemaId === this.info.schemaId || this.schemas.get(schemaId) !== undefined;
  }

  /** The row `buf[start, start + len)` written with `schemaId`, in the reader's column order. */
  decode(schemaId: number, buf: Uint8Array, start: number, len: number): unknown[] {
    if (schemaId === this.info.schemaId) return this.own.decode(buf, start, len);
    let d = this.others.get(schemaId);
    if (!d) {
      const schema = this.schemas.get(schemaId);
      if (!schema) {
        throw new FlussError(
          ErrorCode.SCHEMA_NOT_EXIST,
          `the schema with id ${schemaId} of table ${this.info.tablePath.toString()} is not known`,
        );
      }
      const decoder = decoderOf(
        this.info.kvFormat,
        schema.columns.map((c) => c.type),
      );
      const ids = schema.columns.map((c) => c.id);
      const sources = this.info.schema.columns.map((c) => ids.indexOf(c.id));
      d = (b, s, l) => {
        const r = decoder.decode(b, s, l);
        return sources.map((src) => (src < 0 ? null : r[src]));
      };
      this.others.set(schemaId, d);
    }
    return d(buf, start, len);
  }
}

function decoderOf(format: string, types: readonly DataType[]): RowDecoder {
  return format === "INDEXED" ? new IndexedRowDecoder(types) : new CompactedRowDecoder(types);
}
