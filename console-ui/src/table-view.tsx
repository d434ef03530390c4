// One table: its description, and tabs for the tail, lookups, writing and current rows.
import { useEffect, useState } from "preact/hooks";
import { api, type JsonRow, show, type TableView as Table } from "./api";
import { LookupForm, ProduceForm } from "./forms";
import { TailView } from "./tail-view";

export type Tab = "overview" | "tail" | "lookup" | "produce" | "rows";

function Overview({ table, reload }: { table: Table; reload: () => void }) {
  const props = Object.entries(table.properties);
  return (
    <div class="overview">
      <dl class="facts">
        <dt>Kind</dt>
        <dd>{table.primaryKeys.length > 0 ? "primary-key table" : "log table"}</dd>
        <dt>Primary key</dt>
        <dd>{table.primaryKeys.join(", ") || "—"}</dd>
        <dt>Partitioned by</dt>
        <dd>{table.partitionKeys.join(", ") || "—"}</dd>
        <dt>Buckets</dt>
        <dd>
          {table.numBuckets}
          {table.bucketKeys.length > 0 ? ` by ${table.bucketKeys.join(", ")}` : ""}
        </dd>
        <dt>Formats</dt>
        <dd>
          log {table.logFormat}
          {table.kvFormat ? `, kv ${table.kvFormat}` : ""}
        </dd>
        <dt>Ids</dt>
        <dd>
          table {table.tableId}, schema {table.schemaId}
        </dd>
        {table.comment && (
          <>
            <dt>Comment</dt>
            <dd>{table.comment}</dd>
          </>
        )}
      </dl>
      <h3>Schema</h3>
      <table class="grid" aria-label="Schema">
        <thead>
          <tr>
            <th scope="col">Column</th>
            <th scope="col">Type</th>
            <th scope="col">Comment</th>
          </tr>
        </thead>
        <tbody>
          {table.columns.map((c) => (
            <tr key={c.name}>
              <td>
                {c.name}
                {table.primaryKeys.includes(c.name) && <span class="badge">PK</span>}
              </td>
              <td class="mono">{c.type}</td>
              <td>{c.comment ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {table.partitions.length > 0 && (
        <>
          <h3>Partitions</h3>
          <p>{table.partitions.map((p) => p.name).join(", ")}</p>
        </>
      )}
      <h3>
        Offsets{" "}
        <button type="button" class="small" onClick={reload}>
          Refresh
        </button>
      </h3>
      <table class="grid" aria-label="Offsets per bucket">
        <thead>
          <tr>
            {table.partitionKeys.length > 0 && <th scope="col">Partition</th>}
            <th scope="col">Bucket</th>
            <th scope="col">Earliest</th>
            <th scope="col">Latest</th>
            <th scope="col">Records</th>
          </tr>
        </thead>
        <tbody>
          {table.offsets.map((o) => (
            <tr key={`${o.partition}:${o.bucket}`}>
              {table.partitionKeys.length > 0 && <td>{o.partition}</td>}
              <td>{o.bucket}</td>
              <td class="num">{o.earliest ?? "?"}</td>
              <td class="num">{o.latest ?? "?"}</td>
              <td class="num">{o.latest !== null && o.earliest !== null ? o.latest - o.earliest : "?"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {props.length > 0 && (
        <>
          <h3>Properties</h3>
          <table class="grid" aria-label="Properties">
            <tbody>
              {props.map(([k, v]) => (
                <tr key={k}>
                  <th scope="row" class="mono">
                    {k}
                  </th>
                  <td class="mono">{v}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}

function CurrentRows({ table }: { table: Table }) {
  const [data, setData] = useState<{ columns: string[]; rows: JsonRow[]; limited: boolean } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () => {
    setError(null);
    api.rows(table.database, table.table, 200).then(setData, (e: Error) => setError(e.message));
  };
  useEffect(load, [table.database, table.table]);
  return (
    <div>
      <div class="toolbar">
        <button type="button" onClick={load}>
          Refresh
        </button>
        {data && (
          <span class="counter">
            {data.rows.length} row{data.rows.length === 1 ? "" : "s"}
            {data.limited ? " (first 200)" : ""}
          </span>
        )}
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {data && (
        <div class="scroll">
          <table class="grid" aria-label="Current rows">
            <thead>
              <tr>
                {data.columns.map((c) => (
                  <th scope="col" key={c}>
                    {c}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {data.rows.map((r, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: rows have no other identity here
                <tr key={i}>
                  {data.columns.map((c) => (
                    <td key={c}>{show(r[c])}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

export function TableView({ db, name, tab, go }: { db: string; name: string; tab: Tab; go: (tab: Tab) => void }) {
  const [table, setTable] = useState<Table | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () => {
    setError(null);
    api.table(db, name).then(setTable, (e: Error) => setError(e.message));
  };
  useEffect(() => {
    setTable(null);
    load();
  }, [db, name]);
  if (error) {
    return (
      <div class="panel">
        <h2>
          {db}.{name}
        </h2>
        <p class="error" role="alert">
          {error}
        </p>
        <button type="button" onClick={load}>
          Try again
        </button>
      </div>
    );
  }
  if (!table) return <div class="panel">Loading {db}.{name}…</div>;
  const isPk = table.primaryKeys.length > 0;
  const tabs: [Tab, string][] = [
    ["overview", "Overview"],
    ["tail", "Live tail"],
    ...(isPk ? ([["lookup", "Lookup"]] as [Tab, string][]) : []),
    ["produce", "Write a row"],
    ...(isPk ? ([["rows", "Current rows"]] as [Tab, string][]) : []),
  ];
  const shown = tabs.some(([t]) => t === tab) ? tab : "overview";
  const onKey = (e: KeyboardEvent) => {
    const i = tabs.findIndex(([t]) => t === shown);
    const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
    if (step === 0) return;
    e.preventDefault();
    const nextTab = tabs[(i + step + tabs.length) % tabs.length]![0];
    go(nextTab);
    requestAnimationFrame(() => document.getElementById(`tab-${nextTab}`)?.focus());
  };
  return (
    <div class="panel">
      <h2>
        {db}.{name}
      </h2>
      <div role="tablist" aria-label="Table views" class="tabs" onKeyDown={onKey}>
        {tabs.map(([t, label]) => (
          <button
            type="button"
            role="tab"
            id={`tab-${t}`}
            key={t}
            aria-selected={t === shown}
            tabIndex={t === shown ? 0 : -1}
            onClick={() => go(t)}
          >
            {label}
          </button>
        ))}
      </div>
      <div role="tabpanel" aria-labelledby={`tab-${shown}`} class="tabpanel">
        {shown === "overview" && <Overview table={table} reload={load} />}
        {shown === "tail" && <TailView table={table} />}
        {shown === "lookup" && <LookupForm table={table} />}
        {shown === "produce" && <ProduceForm table={table} />}
        {shown === "rows" && <CurrentRows table={table} />}
      </div>
    </div>
  );
}
