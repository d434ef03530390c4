/**
 * `admin.alterTable` changes → AlterTableRequest fields (Java
 * `ClientRpcMessageUtils.makeAlterTableRequest`): options go to `config_changes` (SET 0,
 * DELETE 1), columns to their own lists; a position other than LAST is refused here, as
 * Java's `ColumnPositionType.from` does on the client.
 */
import { FlussError } from "../rpc/errors.js";
import type { AlterTableRequest } from "../rpc/messages.js";
import { utf8Encode } from "../util/bytes.js";
import { dataTypeToJson } from "../metadata/json.js";
import type { DataType } from "../metadata/data-types.js";
import type { ColumnPosition, TableChange } from "../metadata/table-change.js";

type ChangeLists = Pick<AlterTableRequest, "configChanges" | "addColumns" | "dropColumns" | "renameColumns" | "modifyColumns">;

function positionType(p: ColumnPosition | undefined, what: string): number {
  const kind = (p as { kind?: unknown } | undefined)?.kind;
  if (kind === "LAST") return 0;
  const shown = kind === "AFTER" ? `AFTER(${String((p as { column?: unknown }).column)})` : String(kind);
  throw FlussError.client(`Unsupported ColumnPositionType: ${shown} (${what}); Fluss only adds columns at the end`);
}

function text(v: unknown, what: string): string {
  if (typeof v !== "string" || v.length === 0) throw FlussError.client(`${what} must be a non-empty string, got ${String(v)}`);
  return v;
}

function typeJson(t: DataType | undefined, what: string): Uint8Array {
  if (typeof t !== "object" || t === null || typeof (t as { root?: unknown }).root !== "string") {
    throw FlussError.client(`${what} needs a data type (e.g. DataTypes.STRING()), got ${String(t)}`);
  }
  return utf8Encode(dataTypeToJson(t));
}

/** The change lists of an AlterTableRequest; CLIENT_ERROR naming a malformed change. */
export function encodeTableChanges(changes: readonly TableChange[]): ChangeLists {
  if (!Array.isArray(changes))
    throw FlussError.client("alterTable takes a list of changes (TableChange.addColumn(...), TableChange.set(...), ...)");
  const out: ChangeLists = { configChanges: [], addColumns: [], dropColumns: [], renameColumns: [], modifyColumns: [] };
  changes.forEach((c: TableChange, i) => {
    const bad = (): FlussError =>
      FlussError.client(
        `change #${i} is not a table change (use TableChange.addColumn/set/reset/...), got ${JSON.stringify(c) ?? String(c)}`,
      );
    if (typeof c !== "object" || c === null) throw bad();
    switch (c.kind) {
      case "addColumn": {
        const what = `addColumn ${String(c.name)}`;
        out.addColumns.push({
          columnName: text(c.name, "the column name"),
          dataTypeJson: typeJson(c.dataType, what),
          ...(c.comment !== undefined ? { comment: c.comment } : {}),
          columnPositionType: positionType(c.position ?? { kind: "LAST" }, what),
          ...(c.aggFunction !== undefined ? { aggFunctionType: c.aggFunction.type } : {}),
          aggFunctionParams: Object.entries(c.aggFunction?.parameters ?? {}).map(([key, value]) => ({ key, value })),
        });
        return;
      }
      case "dropColumn":
        out.dropColumns.push({ columnName: text(c.name, "the column name") });
        return;
      case "renameColumn":
        out.renameColumns.push({
          oldColumnName: text(c.oldName, "the old column name"),
          newColumnName: text(c.newName, "the new column name"),
        });
        return;
      case "modifyColumn": {
        const what = `modifyColumn ${String(c.name)}`;
        out.modifyColumns.push({
          columnName: text(c.name, "the column name"),
          dataTypeJson: typeJson(c.dataType, what),
          ...(c.position !== undefined ? { columnPositionType: positionType(c.position, what) } : {}),
          ...(c.comment !== undefined ? { comment: c.comment } : {}),
        });
        return;
      }
      case "setOption":
        if (typeof c.value !== "string") throw FlussError.client(`the value of option ${String(c.key)} must be a string`);
        out.configChanges.push({ configKey: text(c.key, "the option key"), configValue: c.value, opType: 0 });
        return;
      case "resetOption":
        out.configChanges.push({ configKey: text(c.key, "the option key"), opType: 1 });
        return;
      default:
        throw bad();
    }
  });
  return out;
}
