// The lookup form (primary-key tables) and the form that writes one row.
import { useState } from "preact/hooks";
import { api, type ColumnView, type JsonRow, show, type TableView } from "./api";
import { parseValue } from "./values";

function Fields({ columns, values, set, prefix }: { columns: ColumnView[]; values: Record<string, string>; set: (c: string, v: string) => void; prefix: string }) {
  return (
    <div class="fields">
      {columns.map((c) => (
        <label key={c.name} for={`${prefix}-${c.name}`}>
          <span class="field-name">{c.name}</span>
          <span class="field-type">{c.type}</span>
          <input
            id={`${prefix}-${c.name}`}
            name={c.name}
            value={values[c.name] ?? ""}
            placeholder={c.type.endsWith("NOT NULL") ? "" : "null"}
            onInput={(e) => set(c.name, e.currentTarget.value)}
            autocomplete="off"
          />
        </label>
      ))}
    </div>
  );
}

function toRow(columns: ColumnView[], values: Record<string, string>): JsonRow {
  const row: JsonRow = {};
  for (const c of columns) row[c.name] = parseValue(c.name, c.type, values[c.name] ?? "");
  return row;
}

type Outcome = { kind: "none" } | { kind: "busy" } | { kind: "error"; text: string } | { kind: "ok"; text: string; row?: JsonRow | null };

function OutcomeView({ outcome, columns }: { outcome: Outcome; columns: string[] }) {
  if (outcome.kind === "error") return <p class="error" role="alert">{outcome.text}</p>;
  if (outcome.kind !== "ok") return null;
  return (
    <div role="status" class="outcome">
      <p class="ok">{outcome.text}</p>
      {outcome.row && (
        <table class="kv">
          <tbody>
            {columns.map((c) => (
              <tr key={c}>
                <th scope="row">{c}</th>
                <td>{show(outcome.row?.[c])}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export function LookupForm({ table }: { table: TableView }) {
  const keyColumns = table.columns.filter((c) => table.primaryKeys.includes(c.name));
  const [values, setValues] = useState<Record<string, string>>({});
  const [outcome, setOutcome] = useState<Outcome>({ kind: "none" });
  const submit = async (e: Event) => {
    e.preventDefault();
    setOutcome({ kind: "busy" });
    try {
      const { row } = await api.lookup(table.database, table.table, toRow(keyColumns, values));
      setOutcome(row === null ? { kind: "ok", text: "No row has this key.", row: null } : { kind: "ok", text: "Found:", row });
    } catch (err) {
      setOutcome({ kind: "error", text: (err as Error).message });
    }
  };
  return (
    <form onSubmit={submit} aria-label="Look a key up">
      <Fields columns={keyColumns} values={values} set={(c, v) => setValues({ ...values, [c]: v })} prefix="key" />
      <button type="submit" disabled={outcome.kind === "busy"}>
        Look up
      </button>
      <OutcomeView outcome={outcome} columns={table.columns.map((c) => c.name)} />
    </form>
  );
}

export function ProduceForm({ table }: { table: TableView }) {
  const isPk = table.primaryKeys.length > 0;
  const [values, setValues] = useState<Record<string, string>>({});
  const [outcome, setOutcome] = useState<Outcome>({ kind: "none" });
  const send = async (del: boolean) => {
    setOutcome({ kind: "busy" });
    try {
      const columns = del ? table.columns.filter((c) => table.primaryKeys.includes(c.name)) : table.columns;
      const res = await api.produce(table.database, table.table, toRow(columns, values), del);
      setOutcome({ kind: "ok", text: res.op === "delete" ? "Deleted (acknowledged)." : res.op === "upsert" ? "Upserted (acknowledged)." : "Appended (acknowledged)." });
    } catch (err) {
      setOutcome({ kind: "error", text: (err as Error).message });
    }
  };
  return (
    <form
      aria-label="Write a row"
      onSubmit={(e) => {
        e.preventDefault();
        void send(false);
      }}
    >
      <Fields columns={table.columns} values={values} set={(c, v) => setValues({ ...values, [c]: v })} prefix="row" />
      <div class="buttons">
        <button type="submit" disabled={outcome.kind === "busy"}>
          {isPk ? "Upsert" : "Append"}
        </button>
        {isPk && (
          <button type="button" disabled={outcome.kind === "busy"} onClick={() => void send(true)}>
            Delete key
          </button>
        )}
      </div>
      <OutcomeView outcome={outcome} columns={[]} />
    </form>
  );
}
