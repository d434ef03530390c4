/**
 * DATE, TIME and TIMESTAMP written from `Date`s under several process time zones (this file
 * runs in its own process and sets `process.env.TZ`, which Node applies at once).
 *
 * The rules (coerce.ts): a `Date` for DATE is its UTC day when at UTC midnight, its local day
 * when at local midnight, else refused; TIME refuses `Date`s; TIMESTAMP stores the UTC
 * wall-clock time of a `Date`, so reading gives back the same instant.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  DataTypes,
  EARLIEST_OFFSET,
  FlussError,
  Schema,
  TableDescriptor,
  TablePath,
  notNull,
  type FlussConnection,
} from "../../src/index.js";
import { startTestCluster, uniqueName, type TestCluster } from "../helpers/cluster.js";

/** Zone and its UTC offset in minutes on 2024-02-29 (as getTimezoneOffset reports: UTC - local). */
const ZONES: [string, number][] = [
  ["UTC", 0],
  ["Europe/Berlin", -60],
  ["Asia/Tokyo", -540],
  ["Pacific/Kiritimati", -840],
  ["America/New_York", 300],
  ["Pacific/Pago_Pago", 660],
];

const schema = Schema.fromColumns([
  { name: "zone", type: notNull(DataTypes.STRING()) },
  { name: "local_day", type: DataTypes.DATE() },
  { name: "utc_day", type: DataTypes.DATE() },
  { name: "t", type: DataTypes.TIME(3) },
  { name: "ts", type: DataTypes.TIMESTAMP(3) },
  { name: "ltz", type: DataTypes.TIMESTAMP_LTZ(3) },
]);

describe("temporal values under several time zones", () => {
  let cluster: TestCluster;
  let conn: FlussConnection;
  const db = uniqueName("tz_db");
  const savedTz = process.env.TZ;

  before(async () => {
    cluster = await startTestCluster();
    conn = await cluster.connect();
    await conn.getAdmin().createDatabase(db);
  });
  after(async () => {
    if (savedTz === undefined) delete process.env.TZ;
    else process.env.TZ = savedTz;
    await conn
      .getAdmin()
      .dropDatabase(db, { ignoreIfNotExists: true, cascade: true })
      .catch(() => undefined);
    await conn.close();
    await cluster.close();
  });

  test("new Date(2024, 1, 29) is 2024-02-29 in every zone; TIMESTAMP keeps the instant; a time of day is refused", async () => {
    const tp = new TablePath(db, "temporal");
    await conn.getAdmin().createTable(tp, new TableDescriptor(schema, { bucketCount: 1 }));
    const table = await conn.getTable(tp);
    const writer = await table.newAppendWriter();
    const written = new Map<string, number>();
    for (const [zone, offset] of ZONES) {
      process.env.TZ = zone;
      // The zone really is in force (else this test would prove nothing).
      assert.equal(new Date(2024, 1, 29).getTimezoneOffset(), offset, `TZ=${zone}`);
      const noon = new Date(2024, 1, 29, 12, 30, 15, 250);
      written.set(zone, noon.getTime());
      writer.append({
        zone,
        local_day: new Date(2024, 1, 29),
        utc_day: new Date(Date.UTC(2024, 1, 29)),
        t: "12:30:15.250",
        ts: noon,
        ltz: noon,
      });
      // A Date with a time of day for DATE, and any Date for TIME: a FlussError naming the column.
      assert.throws(
        () => writer.append({ zone, local_day: noon }),
        (e: unknown) =>
          e instanceof FlussError && e.code === -2 && /"local_day"/.test(e.message) && /time of day/.test(e.message),
      );
      assert.throws(
        () => writer.append({ zone, t: noon }),
        (e: unknown) => e instanceof FlussError && /"t"/.test(e.message) && /time zone/.test(e.message),
      );
    }
    await writer.flush();

    const scanner = await table.newScan().createLogScanner();
    scanner.subscribe(0, EARLIEST_OFFSET);
    const rows: Record<string, unknown>[] = [];
    while (rows.length < ZONES.length) for (const r of await scanner.poll(5000)) rows.push(r.row);
    await scanner.close();
    const day = Date.UTC(2024, 1, 29);
    for (const row of rows) {
      const zone = row.zone as string;
      assert.equal((row.local_day as Date).getTime(), day, `${zone}: local_day is ${(row.local_day as Date).toISOString()}`);
      assert.equal((row.utc_day as Date).getTime(), day, `${zone}: utc_day`);
      assert.equal(row.t, ((12 * 60 + 30) * 60 + 15) * 1000 + 250, `${zone}: t`);
      assert.equal((row.ts as Date).getTime(), written.get(zone), `${zone}: ts`);
      assert.equal((row.ltz as Date).getTime(), written.get(zone), `${zone}: ltz`);
    }

    // What was read is written back unchanged in every zone (DATE values come back at UTC midnight).
    const again = await table.newAppendWriter();
    for (const [zone] of ZONES) {
      process.env.TZ = zone;
      for (const row of rows) again.append({ ...row, zone: `${zone}<-${String(row.zone)}` });
    }
    await again.flush();
    await again.close();
    const scanner2 = await table.newScan().createLogScanner();
    scanner2.subscribe(0, ZONES.length);
    const back: Record<string, unknown>[] = [];
    while (back.length < ZONES.length * ZONES.length) for (const r of await scanner2.poll(5000)) back.push(r.row);
    await scanner2.close();
    for (const row of back) {
      assert.equal((row.local_day as Date).getTime(), day, `${String(row.zone)}: local_day`);
      const source = String(row.zone).split("<-")[1]!;
      assert.equal((row.ts as Date).getTime(), written.get(source), `${String(row.zone)}: ts`);
    }
    await writer.close();
  });
});
