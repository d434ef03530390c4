/** A table schema with its id (Java `org.apache.fluss.metadata.SchemaInfo`). */
import type { Schema } from "./schema.js";

/** One schema version of a table: what `admin.getTableSchema` returns. Immutable. */
export class SchemaInfo {
  /** A schema and its id (as `admin.getTableSchema` returns them). */
  constructor(
    /** The schema. */
    readonly schema: Schema,
    /** Its id: 1 at creation, one more with each schema change. */
    readonly schemaId: number,
  ) {}

  /** `SchemaInfo{schemaId=N, schema=Schema{...}}`. */
  toString(): string {
    return `SchemaInfo{schemaId=${this.schemaId}, schema=${this.schema.toString()}}`;
  }
}
