/**
 * A live tail of a table as server-sent events. Memory per open tail is bounded: the
 * next poll waits until the socket has taken the previous rows (write backpressure), so
 * a slow browser slows the scan rather than filling this process.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { FlussAdmin } from "../client/admin.js";
import { EARLIEST_OFFSET, LATEST_OFFSET } from "../client/offsets.js";
import type { LogScanner } from "../client/scan/log-scanner.js";
import type { ScanRecords } from "../client/scan/scan-records.js";
import type { FlussTable } from "../client/table.js";
import { type JsonValue, toJsonRow } from "./json-values.js";

/** Rows per event: small enough to render in one frame, large enough to keep up at 10k rows/s. */
const ROWS_PER_EVENT = 500;
/** How long one poll waits for rows. */
const POLL_MS = 250;
/** How often new partitions are looked for. */
const PARTITION_REFRESH_MS = 3000;

/** Where a tail starts: at the earliest or latest offsets, or where a paused tail stopped. */
export interface TailStart {
  readonly from: "earliest" | "latest";
  /** `"partitionId:bucket"` (partition `-` when not partitioned) → next offset to read. */
  readonly resume?: Readonly<Record<string, number>>;
}

/** One record as the page receives it. */
interface TailRow {
  /** `"partitionId:bucket"`, as in {@link TailStart.resume}. */
  readonly b: string;
  readonly o: number;
  readonly t: number;
  readonly c: string;
  readonly r: { [key: string]: JsonValue };
}

function send(res: ServerResponse, event: string, data: unknown): boolean {
  return res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** Streams `table` to `res` until the browser goes away or the scan fails. */
export async function streamTail(
  req: IncomingMessage,
  res: ServerResponse,
  admin: FlussAdmin,
  table: FlussTable,
  start: TailStart,
): Promise<void> {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    connection: "keep-alive",
  });
  let open = true;
  let wake: (() => void) | undefined;
  const stop = (): void => {
    open = false;
    wake?.();
  };
  req.on("close", stop);
  res.on("close", stop);
  res.on("drain", () => wake?.());

  const info = table.info;
  const offset = (key: string): number => start.resume?.[key] ?? (start.from === "earliest" ? EARLIEST_OFFSET : LATEST_OFFSET);
  let scanner: LogScanner | undefined;
  try {
    scanner = await table.newScan().createLogScanner();
    const subscribed = new Set<number>();
    const subscribeNewPartitions = async (s: LogScanner): Promise<void> => {
      const parts = await admin.listPartitionInfos(info.tablePath);
      for (const p of parts) {
        if (subscribed.has(p.partitionId)) continue;
        subscribed.add(p.partitionId);
        // a partition created after the tail started is read from its beginning
        const startOf = (b: number): number =>
          start.resume?.[`${p.partitionId}:${b}`] ?? (lastRefresh === 0 ? offset(`${p.partitionId}:${b}`) : EARLIEST_OFFSET);
        const offsets = Array.from({ length: info.numBuckets }, (_, b) => ({
          partitionId: p.partitionId,
          bucketId: b,
          offset: startOf(b),
        }));
        await s.subscribePartitionBuckets(offsets);
      }
    };
    let lastRefresh = 0;
    if (info.isPartitioned) {
      await subscribeNewPartitions(scanner);
      lastRefresh = Date.now();
    } else {
      const offsets: Record<number, number> = {};
      for (let b = 0; b < info.numBuckets; b++) offsets[b] = offset(`-:${b}`);
      await scanner.subscribeBuckets(offsets);
    }
    send(res, "ready", { columns: scanner.columnNames, primaryKeys: info.primaryKeys });
    while (open) {
      if (info.isPartitioned && Date.now() - lastRefresh > PARTITION_REFRESH_MS) {
        await subscribeNewPartitions(scanner);
        lastRefresh = Date.now();
      }
      const records: ScanRecords = await scanner.poll(POLL_MS);
      if (!open) break;
      let batch: TailRow[] = [];
      let flowing = true;
      for (const g of records.groups()) {
        const key = `${g.bucket.partitionId ?? "-"}:${g.bucket.bucket}`;
        for (const r of g.records) {
          batch.push({ b: key, o: r.offset, t: r.timestamp, c: r.changeType.shortString(), r: toJsonRow(r.row) });
          if (batch.length === ROWS_PER_EVENT) {
            flowing = send(res, "rows", batch) && flowing;
            batch = [];
          }
        }
      }
      if (batch.length > 0) flowing = send(res, "rows", batch) && flowing;
      if (records.isEmpty()) flowing = send(res, "heartbeat", Date.now()) && flowing;
      if (!flowing && open) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } catch (e) {
    if (open) send(res, "failure", { error: e instanceof Error ? e.message : String(e) });
  } finally {
    await scanner?.close().catch(() => undefined);
    res.end();
  }
}
