/**
 * Changes of `admin.alterTable` (Java `org.apache.fluss.metadata.TableChange`): plain,
 * immutable objects tagged with `kind`, made with the {@link TableChange} factories.
 *
 * What a Fluss cluster of this version accepts: {@link TableChange.addColumn} (nullable, at
 * the end), {@link TableChange.set} and {@link TableChange.reset} of the alterable `table.*`
 * options and of custom properties. Drop, rename and modify are part of the protocol and are
 * sent, but the cluster refuses them (Java `SchemaUpdate`); so does a mix of option and
 * column changes in one call.
 */
import type { AggFunction } from "./agg-function.js";
import type { DataType } from "./data-types.js";

/** Where an added or modified column goes (Java `TableChange.ColumnPosition`). */
export type ColumnPosition =
  | {
      /** After the last column. */
      readonly kind: "LAST";
    }
  | {
      /** Before the first column. */
      readonly kind: "FIRST";
    }
  | {
      /** After the column named by `column`. */
      readonly kind: "AFTER";
      /** The column it follows. */
      readonly column: string;
    };

/** Factories of {@link ColumnPosition}s. Fluss only supports `last()` today. */
export const ColumnPosition = {
  /** After the last column (the default). */
  last: (): ColumnPosition => LAST,
  /** Before the first column (refused by the client: Fluss has no wire code for it yet). */
  first: (): ColumnPosition => FIRST,
  /** After the named column (refused by the client, as Java's). */
  after: (column: string): ColumnPosition => Object.freeze({ kind: "AFTER", column }),
} as const;

const LAST: ColumnPosition = Object.freeze({ kind: "LAST" });
const FIRST: ColumnPosition = Object.freeze({ kind: "FIRST" });

/** Adds a column (Java `TableChange.AddColumn`). */
export interface AddColumn {
  /** The change's tag. */
  readonly kind: "addColumn";
  /** The new column's name. */
  readonly name: string;
  /** Its type; must be nullable. */
  readonly dataType: DataType;
  /** Free-form comment. */
  readonly comment?: string;
  /** Where it goes (default {@link ColumnPosition.last}). */
  readonly position: ColumnPosition;
  /** Its aggregation function (`aggregation` merge engine tables only). */
  readonly aggFunction?: AggFunction;
}

/** Drops a column (Java `TableChange.DropColumn`; refused by Fluss at this version). */
export interface DropColumn {
  /** The change's tag. */
  readonly kind: "dropColumn";
  /** The column to drop. */
  readonly name: string;
}

/** Renames a column (Java `TableChange.RenameColumn`; refused by Fluss at this version). */
export interface RenameColumn {
  /** The change's tag. */
  readonly kind: "renameColumn";
  /** The column's current name. */
  readonly oldName: string;
  /** Its new name. */
  readonly newName: string;
}

/** Changes a column's type, comment or position (Java `TableChange.ModifyColumn`; refused by Fluss at this version). */
export interface ModifyColumn {
  /** The change's tag. */
  readonly kind: "modifyColumn";
  /** The column to change. */
  readonly name: string;
  /** Its new type. */
  readonly dataType: DataType;
  /** Its new comment. */
  readonly comment?: string;
  /** Where it moves to. */
  readonly position?: ColumnPosition;
}

/** Sets a table option (`table.*`) or a custom property (any other key) (Java `TableChange.SetOption`). */
export interface SetOption {
  /** The change's tag. */
  readonly kind: "setOption";
  /** The option's key, e.g. `table.log.ttl`. */
  readonly key: string;
  /** Its new value, as text (e.g. `3 d`). */
  readonly value: string;
}

/** Removes a table option or custom property (Java `TableChange.ResetOption`). */
export interface ResetOption {
  /** The change's tag. */
  readonly kind: "resetOption";
  /** The option's key. */
  readonly key: string;
}

/** One change of `admin.alterTable`. */
export type TableChange = AddColumn | DropColumn | RenameColumn | ModifyColumn | SetOption | ResetOption;

/** Options of {@link TableChange.addColumn}. */
export interface AddColumnOptions {
  /** Free-form column comment. */
  readonly comment?: string;
  /** Where the column goes; Fluss supports only {@link ColumnPosition.last} (the default). */
  readonly position?: ColumnPosition;
  /** The column's aggregation function (`aggregation` merge engine tables only). */
  readonly aggFunction?: AggFunction;
}

/**
 * Factories of table changes, named as Java's `TableChange` statics:
 *
 * ```ts
 * await admin.alterTable("fluss.orders", [
 *   TableChange.addColumn("discount", DataTypes.DOUBLE(), { comment: "applied discount" }),
 * ]);
 * await admin.alterTable("fluss.orders", [TableChange.set("table.log.ttl", "3 d")]);
 * ```
 */
export const TableChange = {
  /** Adds a nullable column at the end (`options.comment`, `options.aggFunction`). */
  addColumn(name: string, dataType: DataType, options: string | AddColumnOptions = {}): AddColumn {
    const o: AddColumnOptions = typeof options === "string" ? { comment: options } : options;
    return Object.freeze({
      kind: "addColumn",
      name,
      dataType,
      ...(o.comment !== undefined ? { comment: o.comment } : {}),
      position: o.position ?? LAST,
      ...(o.aggFunction !== undefined ? { aggFunction: o.aggFunction } : {}),
    });
  },
  /** Drops a column (the cluster answers "Not support drop column now."). */
  dropColumn(name: string): DropColumn {
    return Object.freeze({ kind: "dropColumn", name });
  },
  /** Renames a column (the cluster answers "Not support rename column now."). */
  renameColumn(oldName: string, newName: string): RenameColumn {
    return Object.freeze({ kind: "renameColumn", oldName, newName });
  },
  /** Modifies a column (the cluster answers "Not support modify column now."). */
  modifyColumn(name: string, dataType: DataType, options: { comment?: string; position?: ColumnPosition } = {}): ModifyColumn {
    return Object.freeze({
      kind: "modifyColumn",
      name,
      dataType,
      ...(options.comment !== undefined ? { comment: options.comment } : {}),
      ...(options.position !== undefined ? { position: options.position } : {}),
    });
  },
  /** Sets an option: a `table.*` key must be one Fluss allows to alter; other keys are custom properties. */
  set(key: string, value: string): SetOption {
    return Object.freeze({ kind: "setOption", key, value });
  },
  /** Resets an option to its default (removes it). */
  reset(key: string): ResetOption {
    return Object.freeze({ kind: "resetOption", key });
  },
} as const;

/** `table.*` options a table's owner may change after creation (Java `FlussConfigUtils.ALTERABLE_TABLE_OPTIONS`). */
export const ALTERABLE_TABLE_OPTIONS: readonly string[] = [
  "table.datalake.enabled",
  "table.datalake.historical-partition.enabled",
  "table.datalake.freshness",
  "table.datalake.auto-compaction",
  "table.log.ttl",
  "table.log.tiered.local-segments",
  "table.log.local-ttl",
  "table.auto-partition.enabled",
  "table.auto-partition.num-retention",
  "table.auto-partition.num-precreate",
  "table.statistics.columns",
  "table.kv.standby-replica.enabled",
];
