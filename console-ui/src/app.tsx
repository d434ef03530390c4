// The console's shell: the cluster's databases and tables on the left, the chosen table
// on the right. The route lives in the URL hash (#/DB/TABLE/TAB) so views can be linked.
import { useEffect, useState } from "preact/hooks";
import { api, type ClusterView } from "./api";
import { type Tab, TableView } from "./table-view";

interface Route {
  db?: string;
  table?: string;
  tab: Tab;
}

function readRoute(): Route {
  const [db, table, tab] = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  return { ...(db ? { db } : {}), ...(table ? { table } : {}), tab: (tab as Tab | undefined) ?? "overview" };
}

function href(db: string, table: string, tab: Tab = "overview"): string {
  return `#/${encodeURIComponent(db)}/${encodeURIComponent(table)}/${tab}`;
}

function Servers({ cluster }: { cluster: ClusterView }) {
  // a single-process cluster answers as coordinator and tablet server on one address
  const addresses = [...new Set(cluster.servers.map((s) => s.address))];
  const tablets = cluster.servers.filter((s) => s.type === "TABLET_SERVER").length;
  return (
    <p class="servers" title={cluster.servers.map((s) => `${s.type} ${s.id} ${s.address}`).join("\n")}>
      {addresses[0]} · {tablets} tablet server{tablets === 1 ? "" : "s"}
    </p>
  );
}

export function App() {
  const [route, setRoute] = useState<Route>(readRoute);
  const [cluster, setCluster] = useState<ClusterView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [filter, setFilter] = useState("");
  const load = () => {
    api.cluster().then(
      (c) => {
        setCluster(c);
        setError(null);
      },
      (e: Error) => setError(e.message),
    );
  };
  useEffect(() => {
    const onHash = () => setRoute(readRoute());
    window.addEventListener("hashchange", onHash);
    load();
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  const f = filter.trim().toLowerCase();
  return (
    <div class="layout">
      <nav class="sidebar" aria-label="Databases and tables">
        <header>
          <h1>Fluss console</h1>
          {cluster && <Servers cluster={cluster} />}
        </header>
        <input
          type="search"
          placeholder="Filter tables"
          aria-label="Filter tables"
          value={filter}
          onInput={(e) => setFilter(e.currentTarget.value)}
        />
        <button type="button" class="small" onClick={load}>
          Refresh
        </button>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        {cluster?.databases.map((d) => {
          const tables = d.tables.filter((t) => f === "" || `${d.name}.${t}`.toLowerCase().includes(f));
          if (f !== "" && tables.length === 0) return null;
          return (
            <section key={d.name} class="db">
              <h2>{d.name}</h2>
              {tables.length === 0 ? (
                <p class="muted">no tables</p>
              ) : (
                <ul>
                  {tables.map((t) => (
                    <li key={t}>
                      <a href={href(d.name, t)} aria-current={route.db === d.name && route.table === t ? "page" : undefined}>
                        {t}
                      </a>
                    </li>
                  ))}
                </ul>
              )}
            </section>
          );
        })}
      </nav>
      <main>
        {route.db && route.table ? (
          <TableView db={route.db} name={route.table} tab={route.tab} go={(tab) => (location.hash = href(route.db ?? "", route.table ?? "", tab))} />
        ) : (
          <div class="panel">
            <h2>Choose a table</h2>
            <p>Pick a table on the left to see its schema and offsets, tail it live, look keys up or write a row.</p>
          </div>
        )}
      </main>
    </div>
  );
}
