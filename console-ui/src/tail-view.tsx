// A live tail of a table: the changelog (with change types for primary-key tables) from
// the earliest or latest offsets, paused and resumed without losing a record.
import { useEffect, useRef, useState } from "preact/hooks";
import { type JsonRow, show, type TableView, tablePath } from "./api";
import { VirtualList } from "./virtual-list";

/** Rows kept in the page; older ones scroll away (the server keeps them all). */
const MAX_ROWS = 20_000;
const ROW_HEIGHT = 26;
const CHANGE_CLASS: Record<string, string> = { "+I": "insert", "-U": "before", "+U": "after", "-D": "delete", "+A": "append" };

interface TailRow {
  b: string;
  o: number;
  t: number;
  c: string;
  r: JsonRow;
}

type Status = { kind: "connecting" } | { kind: "live" } | { kind: "paused" } | { kind: "failed"; error: string };

export function TailView({ table }: { table: TableView }) {
  const [from, setFrom] = useState<"earliest" | "latest">("latest");
  const [paused, setPaused] = useState(false);
  const [rows, setRows] = useState<TailRow[]>([]);
  const [status, setStatus] = useState<Status>({ kind: "connecting" });
  const [total, setTotal] = useState(0);
  const [rate, setRate] = useState(0);
  // next offset per bucket: where a resumed tail continues
  const next = useRef<Record<string, number>>({});
  const pending = useRef<TailRow[]>([]);
  const isPk = table.primaryKeys.length > 0;
  const columns = table.columns.map((c) => c.name);
  const key = `${table.database}.${table.table}`;

  // a new table or start point begins afresh
  useEffect(() => {
    next.current = {};
    pending.current = [];
    setRows([]);
    setTotal(0);
    setPaused(false);
  }, [key, from]);

  useEffect(() => {
    if (paused) {
      setStatus({ kind: "paused" });
      return;
    }
    setStatus({ kind: "connecting" });
    const resume = Object.keys(next.current).length > 0 ? `&resume=${encodeURIComponent(JSON.stringify(next.current))}` : "";
    const es = new EventSource(`${tablePath(table.database, table.table)}/tail?from=${from}${resume}`);
    let frame = 0;
    let counted = 0;
    const flush = () => {
      frame = 0;
      const add = pending.current;
      pending.current = [];
      if (add.length === 0) return;
      setRows((old) => {
        const merged = old.length + add.length > MAX_ROWS ? old.concat(add).slice(-MAX_ROWS) : old.concat(add);
        return merged;
      });
      setTotal((n) => n + add.length);
    };
    es.addEventListener("ready", () => setStatus({ kind: "live" }));
    es.addEventListener("rows", (e) => {
      const batch = JSON.parse((e as MessageEvent<string>).data) as TailRow[];
      for (const r of batch) next.current[r.b] = r.o + 1;
      pending.current.push(...batch);
      counted += batch.length;
      if (frame === 0) frame = requestAnimationFrame(flush);
    });
    es.addEventListener("failure", (e) => {
      setStatus({ kind: "failed", error: (JSON.parse((e as MessageEvent<string>).data) as { error: string }).error });
      es.close();
    });
    es.onerror = () => {
      if (es.readyState === EventSource.CLOSED) {
        setStatus((s) => (s.kind === "failed" ? s : { kind: "failed", error: "The tail was cut off: the console or the cluster is unreachable." }));
      } else {
        setStatus({ kind: "connecting" });
      }
    };
    const timer = setInterval(() => {
      setRate(counted);
      counted = 0;
    }, 1000);
    return () => {
      es.close();
      clearInterval(timer);
      if (frame !== 0) cancelAnimationFrame(frame);
      flush();
    };
  }, [key, from, paused, table.database, table.table]);

  const grid = `60px 70px 90px ${columns.map(() => "minmax(120px, 1fr)").join(" ")}`;
  return (
    <section class="tail" aria-label="Live tail">
      <div class="toolbar">
        <label>
          From{" "}
          <select value={from} onChange={(e) => setFrom(e.currentTarget.value as "earliest" | "latest")}>
            <option value="latest">latest</option>
            <option value="earliest">earliest</option>
          </select>
        </label>
        <button type="button" onClick={() => setPaused((p) => !p)} aria-pressed={paused}>
          {paused ? "Resume" : "Pause"}
        </button>
        <button type="button" onClick={() => setRows([])}>
          Clear
        </button>
        <span class={`status status-${status.kind}`} role="status">
          {status.kind === "live" ? "● live" : status.kind === "paused" ? "❚❚ paused" : status.kind === "connecting" ? "… connecting" : "✕ stopped"}
        </span>
        <span class="counter" data-testid="tail-count">
          {total.toLocaleString("en")} rows
        </span>
        <span class="counter">{rate.toLocaleString("en")} rows/s</span>
      </div>
      {status.kind === "failed" && (
        <p class="error" role="alert">
          {status.error}
        </p>
      )}
      <div class="tail-table" style={{ "--grid": grid }}>
        <div class="vrow head" role="row">
          <span>{isPk ? "change" : "type"}</span>
          <span>bucket</span>
          <span>offset</span>
          {columns.map((c) => (
            <span key={c}>{c}</span>
          ))}
        </div>
        <VirtualList
          items={rows}
          rowHeight={ROW_HEIGHT}
          follow={!paused}
          label={`Records of ${key}`}
          render={(r) => (
            <>
              <span class={`change ${CHANGE_CLASS[r.c] ?? ""}`}>{r.c}</span>
              <span>{r.b.replace(/^-:/, "")}</span>
              <span>{r.o}</span>
              {columns.map((c) => (
                <span key={c} title={show(r.r[c])}>
                  {show(r.r[c])}
                </span>
              ))}
            </>
          )}
        />
      </div>
    </section>
  );
}
