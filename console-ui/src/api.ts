// The console's HTTP/JSON API as the page calls it (src/console/api.ts on the server).

/** A JSON value as the server sends it (bigints, decimals, bytes and dates as text). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonRow = { [column: string]: Json };

export interface ClusterView {
  servers: { id: number; type: string; address: string }[];
  databases: { name: string; tables: string[] }[];
}

export interface ColumnView {
  name: string;
  type: string;
  comment: string | null;
}

export interface TableView {
  database: string;
  table: string;
  tableId: number;
  schemaId: number;
  columns: ColumnView[];
  primaryKeys: string[];
  partitionKeys: string[];
  bucketKeys: string[];
  numBuckets: number;
  logFormat: string;
  kvFormat: string | null;
  comment: string | null;
  properties: Record<string, string>;
  customProperties: Record<string, string>;
  partitions: { id: number; name: string; spec: Record<string, string> }[];
  offsets: { partition: string | null; bucket: number; earliest: number | null; latest: number | null }[];
}

/** An error from the server, in plain words. */
class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError("The console itself cannot be reached: is `flussjs local --ui` (or `flussjs ui`) still running?", 0);
  }
  const body = (await res.json().catch(() => ({ error: `${res.status} ${res.statusText}` }))) as { error?: string };
  if (!res.ok) throw new ApiError(body.error ?? `${res.status} ${res.statusText}`, res.status);
  return body as T;
}

export function tablePath(db: string, table: string): string {
  return `/api/tables/${encodeURIComponent(db)}/${encodeURIComponent(table)}`;
}

export const api = {
  cluster: () => call<ClusterView>("/api/cluster"),
  table: (db: string, table: string) => call<TableView>(tablePath(db, table)),
  rows: (db: string, table: string, limit: number) =>
    call<{ columns: string[]; rows: JsonRow[]; limited: boolean }>(`${tablePath(db, table)}/rows?limit=${limit}`),
  lookup: (db: string, table: string, key: JsonRow) =>
    call<{ row: JsonRow | null }>(`${tablePath(db, table)}/lookup`, post({ key })),
  produce: (db: string, table: string, row: JsonRow, del: boolean) =>
    call<{ ok: boolean; op: string }>(`${tablePath(db, table)}/produce`, post({ row, delete: del })),
};

function post(body: unknown): RequestInit {
  return { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

/** A value as one line of text. */
export function show(v: Json | undefined): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "string") return v;
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}
