/**
 * Bounded, seeded fuzzing of the embedded server over loopback: random bytes, bad framing,
 * random bodies for every api key, well-formed requests with hostile field values and
 * corrupted record batches. After each round the server must answer a fresh connection,
 * nothing may escape as an uncaught exception / unhandled rejection or an "unexpected
 * error" log line, and the log must read back exactly the acknowledged batches.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { API_MESSAGES, ApiKey, apiMessages, clientVersionRange } from "../../src/rpc/api-keys.js";
import { ErrorCode, FlussError } from "../../src/rpc/errors.js";
import { encodeRequestFrame, FrameDecoder, parseResponseFrame, ResponseType } from "../../src/rpc/frame.js";
import { ErrorResponse, type FetchLogRequest, type ListOffsetsRequest, type ProduceLogRequest } from "../../src/rpc/messages.js";
import type { ServerConnection } from "../../src/rpc/server-connection.js";
import { iterateBatches, updateLogBatchCrc } from "../../src/record/log-batch.js";
import { DataTypes } from "../../src/metadata/data-types.js";
import { Schema } from "../../src/metadata/schema.js";
import { LocalCluster } from "../../src/server/local-cluster.js";
import type { ClusterLogger } from "../../src/server/server-state.js";
import { LOG_SCHEMA, arrowBatch, connect, indexedBatch, tableJson } from "./server-test-util.js";
import { Fuzz, MessageGenerator, concat, mutate, type FieldHook } from "./helpers/fuzz.js";
import { createPkTable, kvBatch } from "./server-kv-helpers.js";

/** Failures that must never happen, collected from process hooks and the server's logger. */
const problems: string[] = [];
const onUncaught = (err: unknown): void => void problems.push(`uncaught: ${String((err as Error)?.stack ?? err)}`);
const onRejection = (err: unknown): void => void problems.push(`unhandled rejection: ${String((err as Error)?.stack ?? err)}`);
const logger: ClusterLogger = {
  info: () => {},
  warn: () => {},
  error: (m, e) => void problems.push(`server error log: ${m}: ${String((e as Error)?.stack ?? e)}`),
};

function assertNoProblems(where: string): void {
  assert.deepEqual(problems, [], `${where}: ${problems.join("\n")}`);
}

/**
 * Writes `bytes` on a fresh socket, then a sentinel ApiVersions request, and collects
 * response frames until the sentinel is answered, the server hangs up or 2 s pass.
 */
function rawRound(port: number, bytes: Uint8Array, sentinelId: number): Promise<{ frames: Uint8Array[]; sentinel: boolean }> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: "127.0.0.1", port });
    const dec = new FrameDecoder();
    const frames: Uint8Array[] = [];
    let sentinel = false;
    const done = (): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ frames, sentinel });
    };
    const timer = setTimeout(done, 2000);
    sock.on("error", () => done());
    sock.on("close", () => done());
    sock.on("data", (c: Buffer) => {
      let got: Uint8Array[];
      try {
        got = dec.push(c);
      } catch {
        return done();
      }
      for (const f of got) {
        frames.push(f);
        const p = parseResponseFrame(f);
        if (p.type !== ResponseType.SERVER_FAILURE && p.requestId === sentinelId) sentinel = true;
      }
      if (sentinel) done();
    });
    sock.on("connect", () => {
      sock.write(bytes);
      sock.write(
        encodeRequestFrame(
          ApiKey.API_VERSIONS,
          0,
          sentinelId,
          API_MESSAGES[ApiKey.API_VERSIONS].request.encode({ clientSoftwareName: "fuzz", clientSoftwareVersion: "1" }),
        ),
      );
    });
  });
}

/** What the log of one bucket must contain: batch bytes from the CRC on, by base offset. */
interface Expected {
  readonly batches: Map<number, { count: number; tail: Uint8Array }>;
  next: number;
}

const CRC_AT = 21; // V0: everything from the CRC on is what the client sent

async function readAll(
  conn: ServerConnection,
  tableId: number,
  bucketId: number,
): Promise<{ hw: number; lso: number; batches: Map<number, { count: number; tail: Uint8Array }> }> {
  const out = new Map<number, { count: number; tail: Uint8Array }>();
  let offset = 0;
  let hw = -1;
  let lso = -1;
  for (;;) {
    const r = await conn.request(ApiKey.FETCH_LOG, {
      followerServerId: -1,
      maxBytes: 1 << 20,
      tablesReq: [
        {
          tableId,
          projectionPushdownEnabled: false,
          projectedFields: [],
          bucketsReq: [{ bucketId, fetchOffset: offset, maxFetchBytes: 1 << 20 }],
        },
      ],
    });
    const b = r.tablesResp[0]!.bucketsResp[0]!;
    assert.equal(b.errorCode, undefined, b.errorMessage);
    assert.ok(b.highWatermark !== undefined && b.logStartOffset !== undefined, "fetch response carries hw and log start");
    hw = b.highWatermark;
    lso = b.logStartOffset;
    const recs = b.records ?? new Uint8Array(0);
    if (recs.length === 0) break;
    for (const v of iterateBatches(recs)) {
      assert.ok(v.isValid(), `stored batch at ${v.baseOffset} is valid`);
      out.set(v.baseOffset, { count: v.recordCount, tail: Uint8Array.from(v.bytes().subarray(CRC_AT)) });
      offset = v.nextOffset;
    }
  }
  return { hw, lso, batches: out };
}

async function checkLog(conn: ServerConnection, tableId: number, bucketId: number, exp: Expected, where: string): Promise<void> {
  const got = await readAll(conn, tableId, bucketId);
  assert.equal(got.hw, exp.next, `${where}: high watermark`);
  assert.equal(got.lso, 0, `${where}: log start offset`);
  assert.deepEqual([...got.batches.keys()], [...exp.batches.keys()], `${where}: batch offsets`);
  for (const [off, e] of exp.batches) {
    const g = got.batches.get(off)!;
    assert.equal(g.count, e.count, `${where}: record count at ${off}`);
    assert.deepEqual(g.tail, e.tail, `${where}: bytes of batch at ${off}`);
  }
}

/** Mutations of a valid batch that must all be refused (never stored). */
function corruptBatch(f: Fuzz, good: Uint8Array): Uint8Array {
  const b = good.slice();
  const dv = new DataView(b.buffer);
  const which = f.int(12);
  switch (which) {
    case 0: // flip a byte covered by the CRC
      b[CRC_AT + 4 + f.int(b.length - CRC_AT - 4)]! ^= 1 + f.int(255);
      return b;
    case 1: // wrong CRC
      dv.setUint32(CRC_AT, dv.getUint32(CRC_AT, true) ^ 0x5a5a, true);
      return b;
    case 2: // length field larger than the data
      dv.setInt32(8, b.length - 12 + 1 + f.int(100), true);
      return b;
    case 3: // length field smaller than the header
      dv.setInt32(8, f.pick([-12, -1, 0, 1, 20, 35]), true);
      return b;
    case 4: // truncated anywhere
      return b.subarray(0, 1 + f.int(b.length - 1));
    case 5: // recordCount / lastOffsetDelta mismatch, CRC made valid again
      dv.setInt32(28, dv.getInt32(44, true) - 1 + f.pick([1, 2, 1000, -2]), true); // V0 lastOffsetDelta ≠ count - 1
      updateLogBatchCrc(b);
      return b;
    case 6:
      dv.setInt32(44, f.pick([-1, -5, 1000, 2 ** 31 - 1]), true); // V0 recordCount (lastOffsetDelta at 28)
      dv.setInt32(28, f.pick([-2, 5, 7]), true); // V0 lastOffsetDelta, never count - 1
      updateLogBatchCrc(b);
      return b.subarray(0, b.length);
    case 7: // unsupported magic
      b[12] = f.pick([3, 5, 255]);
      return b;
    case 8: // zero length batch
      return new Uint8Array(f.pick([0, 1, 12, 13, 47]));
    case 9: // trailing garbage after a good batch
      return concat([b, f.bytes(1 + f.int(60))]);
    case 10: {
      // magic 1 with a hostile statistics length, CRC valid
      const v1 = new Uint8Array(b.length + 4);
      v1.set(b.subarray(0, 48));
      v1.set(b.subarray(48), 52);
      const v = new DataView(v1.buffer);
      v1[12] = 1;
      v.setInt32(8, v1.length - 12, true);
      v.setInt32(48, f.pick([-1, -100, 2 ** 31 - 1, v1.length, -(2 ** 31)]), true);
      updateLogBatchCrc(v1);
      return v1;
    }
    default: {
      // an absurd record count in a non-append-only batch, CRC valid
      dv.setInt32(44, f.pick([-(2 ** 31), -7, 2 ** 31 - 1]), true);
      b[25 + 2] = 0; // attributes: not append-only
      updateLogBatchCrc(b);
      return b;
    }
  }
}

/** Replaces a few characters of `json` or one property value: mostly invalid tables. */
function mutateJson(f: Fuzz, json: string): string {
  if (f.next() < 0.5) {
    const chars = [...json];
    for (let i = 0, n = 1 + f.int(3); i < n; i++)
      chars[f.int(chars.length)] = f.pick(["{", "}", '"', ":", ",", "0", "-", "9", "x", "[", "]", "\\", "\u0000", "é"]);
    return chars.join("");
  }
  const o = JSON.parse(json) as Record<string, unknown>;
  const key = f.pick(Object.keys(o));
  o[key] = f.pick([null, -1, 0, 2 ** 31, 2 ** 53, "x", [], {}, [null], { a: 1 }, true, "".padEnd(300, "z")]);
  if (f.next() < 0.5) o.bucket_count = f.pick([-1, 0, 1, 2 ** 31 - 1, 1e9, 1.5, "2"]);
  if (f.next() < 0.3)
    o.properties = {
      [f.pick(["table.log.format", "table.replication.factor", "table.auto-partition.enabled", "table.log.ttl", "x.y"])]: f.pick([
        "",
        "-1",
        "ARROW",
        "abc",
        "99999999999",
        "true",
      ]),
    };
  return JSON.stringify(o);
}

/** Hostile coordinator requests inside database "fz": only Fluss errors may come back. */
async function coordinatorRound(
  f: Fuzz,
  conn: ServerConnection,
  fz: (t: string) => { databaseName: string; tableName: string },
  validJsons: readonly string[],
): Promise<void> {
  const names = ["p", "t1", "t2", "", "a.b", "x".repeat(300), "../x", "t$", "\u0000"];
  const values = ["2024", "", "a$b", "../..", "x".repeat(300), "é", "1/2", "\u0000", "__"];
  const spec = () => ({
    partitionKeyValues: Array.from({ length: f.int(4) }, () => ({
      key: f.pick(["dt", "r", "id", "zz", ""]),
      value: f.pick(values),
    })),
  });
  const jobs: Promise<unknown>[] = [];
  for (let i = 0; i < 30; i++) {
    switch (f.int(8)) {
      case 0:
        jobs.push(
          conn.request(ApiKey.CREATE_TABLE, {
            tablePath: fz(f.pick(names)),
            tableJson: new TextEncoder().encode(mutateJson(f, f.pick(validJsons))),
            ignoreIfExists: f.next() < 0.5,
          }),
        );
        break;
      case 1:
        jobs.push(
          conn.request(ApiKey.CREATE_TABLE, {
            tablePath: fz(f.pick(names)),
            tableJson: new TextEncoder().encode(f.pick(validJsons)),
            ignoreIfExists: f.next() < 0.5,
          }),
        );
        break;
      case 2:
        jobs.push(conn.request(ApiKey.DROP_TABLE, { tablePath: fz(f.pick(names)), ignoreIfNotExists: f.next() < 0.5 }));
        break;
      case 3:
        jobs.push(
          conn.request(ApiKey.CREATE_PARTITION, {
            tablePath: fz(f.pick(["p", "t1"])),
            partitionSpec: spec(),
            ignoreIfNotExists: f.next() < 0.5,
          }),
        );
        break;
      case 4:
        jobs.push(
          conn.request(ApiKey.DROP_PARTITION, {
            tablePath: fz(f.pick(["p", "t1"])),
            partitionSpec: spec(),
            ignoreIfNotExists: f.next() < 0.5,
          }),
        );
        break;
      case 5:
        jobs.push(
          conn.request(ApiKey.GET_METADATA, {
            tablePath: f.next() < 0.5 ? [fz(f.pick(names))] : [],
            partitionsPath:
              f.next() < 0.5
                ? [{ ...fz(f.pick(["p", "t1"])), partitionName: f.pick(["2024$eu", "", "$", "a$b$c", f.pick(values)]) }]
                : [],
            partitionsId: Array.from({ length: f.int(3) }, () => f.edgeInt()),
          }),
        );
        break;
      case 6:
        jobs.push(
          conn.request(ApiKey.LIST_PARTITION_INFOS, {
            tablePath: fz(f.pick(["p", "t1", "t2"])),
            ...(f.next() < 0.5 ? { partialPartitionSpec: spec() } : {}),
          }),
        );
        break;
      default:
        jobs.push(
          conn.request(ApiKey.GET_TABLE_SCHEMA, {
            tablePath: fz(f.pick(names)),
            ...(f.next() < 0.5 ? { schemaId: f.edgeI32() } : {}),
          }),
        );
    }
  }
  for (const s of await Promise.allSettled(jobs)) {
    if (s.status === "rejected") {
      const e: unknown = s.reason;
      assert.ok(e instanceof FlussError, String(e));
      // client-side encode refusals are CORRUPT_MESSAGE; a server bug would be UNKNOWN_SERVER_ERROR
      assert.notEqual(e.code, ErrorCode.UNKNOWN_SERVER_ERROR, e.message);
    }
  }
}

test("fuzz: the server survives hostile input and keeps every acknowledged record", { timeout: 60_000 }, async () => {
  process.on("uncaughtException", onUncaught);
  process.on("unhandledRejection", onRejection);
  const cluster = await LocalCluster.start({ logger });
  // fixed seed and round count; FUZZ_SEED / FUZZ_ROUNDS only for longer local hunts
  const f = new Fuzz(Number(process.env.FUZZ_SEED ?? 0xf1055));
  let conn = await connect(cluster);
  try {
    const tp = (tableName: string) => ({ databaseName: "fluss", tableName });
    await conn.request(ApiKey.CREATE_TABLE, {
      tablePath: tp("arrow"),
      tableJson: tableJson(LOG_SCHEMA, { bucketCount: 2 }),
      ignoreIfExists: false,
    });
    await conn.request(ApiKey.CREATE_TABLE, {
      tablePath: tp("rows"),
      tableJson: tableJson(LOG_SCHEMA, { bucketCount: 1, logFormat: "INDEXED" }),
      ignoreIfExists: false,
    });
    const arrowId = (await conn.request(ApiKey.GET_TABLE_INFO, { tablePath: tp("arrow") })).tableId;
    const rowsId = (await conn.request(ApiKey.GET_TABLE_INFO, { tablePath: tp("rows") })).tableId;
    const writerId = (await conn.request(ApiKey.INIT_WRITER, { tablePath: [tp("arrow")] })).writerId;
    // coordinator fuzzing stays inside database "fz", away from the tables checked above
    const fz = (tableName: string) => ({ databaseName: "fz", tableName });
    const partSchema = Schema.builder()
      .column("id", DataTypes.INT())
      .column("dt", DataTypes.STRING())
      .column("r", DataTypes.STRING())
      .build();
    const validJsons = [
      new TextDecoder().decode(tableJson(partSchema, { partitionKeys: ["dt", "r"], bucketCount: 2 })),
      new TextDecoder().decode(tableJson(LOG_SCHEMA, { bucketCount: 3 })),
    ];
    const createFz = async (): Promise<void> => {
      await conn.request(ApiKey.CREATE_DATABASE, { databaseName: "fz", ignoreIfExists: true });
      await conn.request(ApiKey.CREATE_TABLE, {
        tablePath: fz("p"),
        tableJson: new TextEncoder().encode(validJsons[0]!),
        ignoreIfExists: true,
      });
    };
    await createFz();
    const rt = LOG_SCHEMA.rowType;
    const expected: Expected = { batches: new Map(), next: 0 };
    const sentIdem: { seq: number; bytes: Uint8Array; base: number }[] = [];
    let seq = 0;
    const keys = Object.values(ApiKey);
    let requestId = 1;

    // appends a good batch to arrow bucket 0 (plain or idempotent) and records the ack
    const goodAppend = async (): Promise<void> => {
      const n = 1 + f.int(5);
      const rows = Array.from({ length: n }, (_, i) => [f.int(1000) + i, f.next() < 0.2 ? null : `r${f.int(99)}`]);
      const idem = f.next() < 0.5;
      const bytes = idem ? arrowBatch(rt, rows, { writerId, batchSequence: seq }) : arrowBatch(rt, rows);
      const tail = Uint8Array.from(bytes.subarray(CRC_AT));
      const r = await conn.request(ApiKey.PRODUCE_LOG, {
        acks: f.pick([-1, 1]),
        tableId: arrowId,
        timeoutMs: 1000,
        bucketsReq: [{ bucketId: 0, records: bytes }],
      });
      const b = r.bucketsResp[0]!;
      assert.equal(b.errorCode, undefined, b.errorMessage);
      assert.equal(b.baseOffset, expected.next);
      expected.batches.set(expected.next, { count: n, tail });
      if (idem)
        sentIdem.push({ seq: seq++, bytes: arrowBatch(rt, rows, { writerId, batchSequence: seq - 1 }), base: expected.next });
      expected.next += n;
    };

    const rounds = Number(process.env.FUZZ_ROUNDS ?? 72);
    for (let round = 0; round < rounds; round++) {
      await goodAppend();
      const kind = round % 9;
      if (kind <= 2) {
        // raw frames on one socket: random bytes, random bodies for every key, truncations, bad lengths
        const parts: Uint8Array[] = [];
        for (let i = 0; i < 60; i++) {
          const k = f.int(10);
          if (k < 6) parts.push(encodeRequestFrame(f.pick(keys), f.int(4), requestId++, f.bytes(f.int(80))));
          else if (k < 8)
            parts.push(encodeRequestFrame(f.int(0x10000) - 0x8000, f.int(0x10000) - 0x8000, requestId++, f.bytes(f.int(20))));
          else parts.push(encodeRequestFrame(ApiKey.API_VERSIONS, 0, requestId++, new Uint8Array(0)));
        }
        // every third round ends the stream with something that must close the connection
        const tail =
          kind === 0
            ? f.pick([
                Uint8Array.of(0x80, 0, 0, 0),
                Uint8Array.of(0xff, 0xff, 0xff, 0xff),
                Uint8Array.of(0x7f, 0xff, 0xff, 0xff, 1, 2),
                Uint8Array.of(0, 0, 0, 3, 1, 2, 3),
                Uint8Array.of(0, 0, 0, 0),
              ])
            : new Uint8Array(0);
        const res = await rawRound(cluster.port, concat([...parts, tail]), 0x7ffffff0);
        for (const fr of res.frames) {
          const p = parseResponseFrame(fr); // every answer is a well-formed frame
          if (p.type !== ResponseType.SUCCESS_RESPONSE) {
            const e = ErrorResponse.decode(p.body);
            assert.notEqual(e.errorCode, ErrorCode.UNKNOWN_SERVER_ERROR, `unexpected server error: ${e.errorMessage}`);
          }
        }
        if (kind !== 0) assert.ok(res.sentinel, "a connection with only framed requests stays usable");
        // the same bytes split at random points, then the socket vanishes mid-frame
        const all = concat(parts);
        const cut = f.int(all.length);
        await new Promise<void>((resolve) => {
          const s = net.connect({ host: "127.0.0.1", port: cluster.port }, () => {
            s.write(all.subarray(0, cut), () => {
              s.destroy();
              resolve();
            });
          });
          s.on("error", () => resolve());
        });
      } else if (kind === 7) {
        await coordinatorRound(f, conn, fz, validJsons);
        if (f.next() < 0.2)
          await conn.request(ApiKey.DROP_DATABASE, { databaseName: "fz", ignoreIfNotExists: true, cascade: true });
        await createFz();
      } else if (kind <= 5) {
        // well-formed requests with hostile field values
        const tableIds = [arrowId, rowsId, -1, 0, 9999, 2 ** 31, 2 ** 53 - 1];
        const jobs: Promise<unknown>[] = [];
        for (let i = 0; i < 25; i++) {
          const which = f.int(4);
          if (which === 0) {
            const req: ProduceLogRequest = {
              acks: f.pick([-1, 0, 1, 2, -2, 100]),
              tableId: f.pick(tableIds),
              timeoutMs: f.edgeI32(),
              bucketsReq: Array.from({ length: 1 + f.int(3) }, () => ({
                bucketId: f.pick([0, 1, 2, -1, 2 ** 31 - 1, f.edgeI32()]),
                ...(f.next() < 0.2 ? { partitionId: f.edgeInt() } : {}),
                records:
                  f.next() < 0.3
                    ? f.bytes(f.int(100))
                    : corruptBatch(
                        f,
                        f.next() < 0.5
                          ? arrowBatch(rt, [
                              [1, "x"],
                              [2, "y"],
                            ])
                          : indexedBatch(rt, [[1, "x"]]),
                      ),
              })),
            };
            // no hostile batch may ever be acknowledged into the checked bucket
            jobs.push(
              conn.request(ApiKey.PRODUCE_LOG, req).then((r) => {
                for (const [j, b] of r.bucketsResp.entries()) {
                  const sent = req.bucketsReq[j]!;
                  if (sent.records.length === 0) {
                    // no batches: nothing appended, base offset -1 (Java returns the empty append info)
                    if (b.errorCode === undefined) assert.equal(b.baseOffset, -1);
                  } else if (req.tableId === arrowId && sent.bucketId === 0 && sent.partitionId === undefined) {
                    assert.notEqual(
                      b.errorCode,
                      undefined,
                      `corrupt batch acknowledged at ${b.baseOffset}: ${Buffer.from(sent.records).toString("hex")}`,
                    );
                  }
                  assert.notEqual(b.errorCode, ErrorCode.UNKNOWN_SERVER_ERROR, b.errorMessage);
                }
              }),
            );
          } else if (which === 1) {
            const req: FetchLogRequest = {
              followerServerId: f.pick([-1, 0, 1, -5]),
              maxBytes: f.edgeI32(),
              tablesReq: [
                {
                  tableId: f.pick(tableIds),
                  projectionPushdownEnabled: f.next() < 0.5,
                  projectedFields: Array.from({ length: f.int(4) }, () => f.pick([0, 1, 2, -1, 5, 2 ** 31 - 1])),
                  bucketsReq: Array.from({ length: 1 + f.int(3) }, () => ({
                    bucketId: f.pick([0, 1, -1, 7, f.edgeI32()]),
                    ...(f.next() < 0.2 ? { partitionId: f.edgeInt() } : {}),
                    fetchOffset: f.pick([0, -2, -1, 1, expected.next, expected.next + 1, f.edgeInt()]),
                    maxFetchBytes: f.edgeI32(),
                  })),
                },
              ],
              ...(f.next() < 0.3 ? { maxWaitMs: f.pick([-1, 0, 10, 50]), minBytes: f.edgeI32() } : {}),
            };
            jobs.push(
              conn.request(ApiKey.FETCH_LOG, req).then((r) => {
                for (const t of r.tablesResp) {
                  for (const b of t.bucketsResp) {
                    assert.notEqual(b.errorCode, ErrorCode.UNKNOWN_SERVER_ERROR, b.errorMessage);
                    if (b.errorCode === undefined) assert.ok(b.highWatermark !== undefined && b.logStartOffset !== undefined);
                  }
                }
              }),
            );
          } else if (which === 2) {
            const req: ListOffsetsRequest = {
              followerServerId: f.pick([-1, 0, 3]),
              offsetType: f.pick([0, 1, 2, 3, 4, -1]),
              tableId: f.pick(tableIds),
              ...(f.next() < 0.2 ? { partitionId: f.edgeInt() } : {}),
              bucketId: Array.from({ length: f.int(4) }, () => f.pick([0, 1, -1, f.edgeI32()])),
              ...(f.next() < 0.7 ? { startTimestamp: f.pick([0, -1, Date.now(), Date.now() + 1e7, f.edgeInt()]) } : {}),
            };
            jobs.push(
              conn.request(ApiKey.LIST_OFFSETS, req).then(
                (r) => {
                  // Java answers a missing timestamp or an unknown type with UNKNOWN_SERVER_ERROR (IllegalArgumentException)
                  for (const b of r.bucketsResp) {
                    if (b.errorCode === ErrorCode.UNKNOWN_SERVER_ERROR)
                      assert.match(b.errorMessage ?? "", /startTimestamp|offset type/);
                  }
                },
                (e: unknown) => {
                  // only the whole-request failures Java has: a missing timestamp, an unknown type
                  assert.ok(
                    e instanceof FlussError &&
                      e.code === ErrorCode.UNKNOWN_SERVER_ERROR &&
                      /startTimestamp|offset type/.test(e.message),
                    String(e),
                  );
                },
              ),
            );
          } else {
            // a duplicate of a remembered idempotent batch gets its original offsets
            const old = sentIdem.length > 0 ? sentIdem[Math.max(0, sentIdem.length - 1 - f.int(5))]! : undefined;
            if (!old) continue;
            jobs.push(
              conn
                .request(ApiKey.PRODUCE_LOG, {
                  acks: -1,
                  tableId: arrowId,
                  timeoutMs: 1000,
                  bucketsReq: [{ bucketId: 0, records: old.bytes.slice() }],
                })
                .then((r) => {
                  assert.deepEqual(r.bucketsResp[0], { bucketId: 0, baseOffset: old.base });
                }),
            );
          }
        }
        const settled = await Promise.allSettled(jobs);
        for (const s of settled) {
          if (s.status === "rejected") {
            const e: unknown = s.reason;
            // whole-request errors must be real Fluss errors, never a server bug
            if (
              !(e instanceof FlussError) ||
              (e.code === ErrorCode.UNKNOWN_SERVER_ERROR && !/startTimestamp|offset type/.test(e.message))
            )
              throw e;
          }
        }
      } else {
        // many connections, each dropped in the middle of a request or a long poll
        const socks = await Promise.all(
          Array.from(
            { length: 20 },
            (_, i) =>
              new Promise<void>((resolve) => {
                const body = API_MESSAGES[ApiKey.FETCH_LOG].request.encode({
                  followerServerId: -1,
                  maxBytes: 1 << 20,
                  maxWaitMs: 5000,
                  minBytes: 1 << 30,
                  tablesReq: [
                    {
                      tableId: arrowId,
                      projectionPushdownEnabled: false,
                      projectedFields: [],
                      bucketsReq: [{ bucketId: 1, fetchOffset: 0, maxFetchBytes: 1 << 20 }],
                    },
                  ],
                });
                const frame = encodeRequestFrame(ApiKey.FETCH_LOG, 0, i, body);
                const s = net.connect({ host: "127.0.0.1", port: cluster.port }, () => {
                  s.write(i % 2 === 0 ? frame : frame.subarray(0, f.int(frame.length)), () =>
                    setTimeout(() => {
                      s.destroy();
                      resolve();
                    }, f.int(20)),
                  );
                });
                s.on("error", () => resolve());
              }),
          ),
        );
        assert.equal(socks.length, 20);
      }

      // health: a fresh connection is served and the log is intact
      conn.close();
      conn = await connect(cluster);
      await conn.request(ApiKey.API_VERSIONS, { clientSoftwareName: "x", clientSoftwareVersion: "1" });
      if (round % 4 === 3 || round === rounds - 1) await checkLog(conn, arrowId, 0, expected, `round ${round}`);
      assertNoProblems(`round ${round}`);
    }
    // the long polls of dropped connections are gone
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((cluster as unknown as { state: { notifier: { waitingBuckets: number } } }).state.notifier.waitingBuckets, 0);
  } finally {
    conn.close();
    await cluster.close();
    process.off("uncaughtException", onUncaught);
    process.off("unhandledRejection", onRejection);
  }
  assertNoProblems("end");
});

/**
 * Volume: at least 200k frames (FUZZ_FRAMES) of every api key, schema-valid bodies
 * (`helpers/fuzz.ts#MessageGenerator`: real table ids, record batches, KV batches and keys
 * where the field holds them) mostly mutated, pipelined over a few connections in chunks
 * closed by a sentinel; some chunks end in a stream-breaking frame (a lying length, a
 * truncated frame) and the socket is dropped. Meanwhile a monitor connection keeps
 * appending and asking ApiVersions: its latency stays low and its log reads back intact.
 * The process's memory stays bounded (no allocation from a length that was never sent).
 */
test("fuzz volume: 200k mutated frames of every api key; other connections unaffected, memory bounded", {
  timeout: 120_000,
}, async () => {
  process.on("uncaughtException", onUncaught);
  process.on("unhandledRejection", onRejection);
  const cluster = await LocalCluster.start({ logger });
  const f = new Fuzz(Number(process.env.FUZZ_SEED ?? 0xb16f055));
  const TARGET = Number(process.env.FUZZ_FRAMES ?? 200_000);
  const conn = await connect(cluster);
  const monitor = await connect(cluster);
  try {
    const tp = (tableName: string) => ({ databaseName: "fluss", tableName });
    await conn.request(ApiKey.CREATE_DATABASE, { databaseName: "fz", ignoreIfExists: true });
    await conn.request(ApiKey.CREATE_TABLE, {
      tablePath: tp("vlog"),
      tableJson: tableJson(LOG_SCHEMA, { bucketCount: 3 }),
      ignoreIfExists: false,
    });
    const logId = (await conn.request(ApiKey.GET_TABLE_INFO, { tablePath: tp("vlog") })).tableId;
    const pk = await createPkTable(
      conn,
      "vkv",
      Schema.builder().column("id", DataTypes.INT()).column("name", DataTypes.STRING()).primaryKey(["id"]).build(),
      { bucketCount: 3 },
    );
    await conn.request(ApiKey.CREATE_TABLE, {
      tablePath: tp("integrity"),
      tableJson: tableJson(LOG_SCHEMA, { bucketCount: 1 }),
      ignoreIfExists: false,
    });
    const integrityId = (await conn.request(ApiKey.GET_TABLE_INFO, { tablePath: tp("integrity") })).tableId;
    const writerId = (await conn.request(ApiKey.INIT_WRITER, { tablePath: [tp("vlog")] })).writerId;
    const rt = LOG_SCHEMA.rowType;

    // what the schema-valid bodies hold where a random value would be refused at once
    const logBatches = [
      arrowBatch(rt, [
        [1, "a"],
        [2, null],
      ]),
      arrowBatch(rt, [[3, "b"]], { writerId, batchSequence: 0 }),
      indexedBatch(rt, [[4, "c"]]),
    ];
    const kvBatches = [
      kvBatch(pk, [{ upsert: [1, "x"] }, { delete: [2, null] }]),
      kvBatch(pk, [{ upsert: [3, "y"] }], { writerId, batchSequence: 0 }),
    ];
    const keys = [pk.keys.key([1]), pk.keys.key([2]), pk.keys.key([3])];
    const validTableJson = tableJson(LOG_SCHEMA, { bucketCount: 2 });
    const hook: FieldHook = (message, field, g) => {
      if (field === "tableId") {
        const id = g.next() < 0.8 ? g.pick([logId, pk.tableId]) : g.edgeInt();
        return id === integrityId ? -1 : id;
      }
      if (field === "bucketId") return g.pick([0, 1, 2, 0, 1, 2, -1, 3]);
      if (field === "databaseName") return g.pick(["fz", "nodb", "nodb", ""]);
      if (field === "records" && message === "PbProduceLogReqForBucket") return g.next() < 0.8 ? g.pick(logBatches) : undefined;
      if (field === "records" && message === "PbPutKvReqForBucket") return g.next() < 0.8 ? g.pick(kvBatches) : undefined;
      if (field === "keys") return g.next() < 0.8 ? g.pick(keys) : undefined;
      if (field === "tableJson") return g.next() < 0.5 ? validTableJson : undefined;
      if (field === "maxWaitMs") return g.pick([0, 0, 1, 5]);
      if (field === "timeoutMs") return 1000;
      if (field === "acks") return g.pick([-1, 1, 0]);
      return undefined;
    };

    // a pool of encoded bodies per api key; keys that write the catalog (an fsync'ed file
    // rewrite each, on the event loop) come up less often
    const gen = new MessageGenerator();
    const catalogKeys: Set<number> = new Set([
      ApiKey.CREATE_DATABASE,
      ApiKey.DROP_DATABASE,
      ApiKey.CREATE_TABLE,
      ApiKey.DROP_TABLE,
      ApiKey.CREATE_PARTITION,
      ApiKey.DROP_PARTITION,
      ApiKey.ALTER_TABLE,
      ApiKey.CREATE_ACLS,
      ApiKey.DROP_ACLS,
      ApiKey.ALTER_CLUSTER_CONFIGS,
      ApiKey.ALTER_DATABASE,
      ApiKey.REGISTER_PRODUCER_OFFSETS,
      ApiKey.DELETE_PRODUCER_OFFSETS,
      ApiKey.ADD_SERVER_TAG,
      ApiKey.REMOVE_SERVER_TAG,
      ApiKey.INIT_WRITER,
    ]);
    const pool: { key: number; bodies: Uint8Array[] }[] = [];
    const weighted: number[] = [];
    for (const key of Object.values(ApiKey)) {
      const codecs = apiMessages(key);
      const bodies: Uint8Array[] = [];
      if (codecs) {
        for (let i = 0; i < 30; i++) {
          try {
            bodies.push(codecs.request.encode(gen.random(codecs.request.name, f, hook)));
          } catch (e) {
            assert.ok(e instanceof FlussError, String(e)); // a hook value the codec refuses
          }
        }
      }
      if (bodies.length === 0) bodies.push(f.bytes(16));
      pool.push({ key, bodies });
      for (let w = catalogKeys.has(key) ? 1 : 30; w > 0; w--) weighted.push(pool.length - 1);
    }
    const keyList: number[] = Object.values(ApiKey);

    let requestId = 1;
    const frame = (): Uint8Array => {
      const { key, bodies } = pool[f.pick(weighted)]!;
      const body = f.pick(bodies);
      const mutated = f.next() < 0.85 ? mutate(f, body, f.pick(pool[f.pick(weighted)]!.bodies)) : body;
      const r = f.next();
      const apiKey = r < 0.03 ? f.int(0x10000) - 0x8000 : r < 0.05 ? f.pick(keyList) : key;
      const version = r < 0.07 ? f.pick([-1, 0, 1, 5, 0x7fff]) : f.int(clientVersionRange(key).max + 1);
      return encodeRequestFrame(apiKey, version, requestId++, mutated);
    };
    const breaker = (): Uint8Array => {
      const good = frame();
      const dv = new DataView(good.buffer, good.byteOffset);
      switch (f.int(4)) {
        case 0:
          dv.setInt32(0, f.pick([-1, -(2 ** 31), 0, 3, 7]));
          return good;
        case 1:
          dv.setInt32(0, f.pick([2 ** 31 - 1, 200 << 20, 0x7fff0000]));
          return good.subarray(0, 4 + f.int(good.length - 4));
        case 2:
          dv.setInt32(0, good.length - 4 + 1 + f.int(1 << 16)); // longer than what follows
          return good;
        default:
          return good.subarray(0, 1 + f.int(good.length - 1)); // truncated
      }
    };

    // memory: sampled all along
    const base = process.memoryUsage();
    let peakRss = base.rss;
    let peakArrayBuffers = base.arrayBuffers;
    const memTimer = setInterval(() => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakArrayBuffers = Math.max(peakArrayBuffers, m.arrayBuffers);
    }, 50);

    // monitor: appends and handshakes must keep being answered quickly
    let monitoring = true;
    let maxLatency = 0;
    let acked = 0;
    const monitorLoop = (async () => {
      while (monitoring) {
        const t0 = Date.now();
        await monitor.request(ApiKey.API_VERSIONS, { clientSoftwareName: "m", clientSoftwareVersion: "1" });
        const r = await monitor.request(ApiKey.PRODUCE_LOG, {
          acks: -1,
          tableId: integrityId,
          timeoutMs: 5000,
          bucketsReq: [{ bucketId: 0, records: arrowBatch(rt, [[acked, `m${acked}`]]) }],
        });
        assert.equal(r.bucketsResp[0]!.errorCode, undefined, r.bucketsResp[0]!.errorMessage);
        assert.equal(r.bucketsResp[0]!.baseOffset, acked);
        acked++;
        maxLatency = Math.max(maxLatency, Date.now() - t0);
        await new Promise((res) => setTimeout(res, 10));
      }
    })();

    let sent = 0;
    let closedByServer = 0;
    const worker = async (): Promise<void> => {
      while (sent < TARGET) {
        const parts: Uint8Array[] = [];
        for (let i = 0; i < 1000; i++) parts.push(frame());
        const breaks = f.next() < 0.1;
        if (breaks) parts.push(breaker());
        sent += parts.length;
        const sentinelId = 0x7ffffff0;
        const outcome = await new Promise<"sentinel" | "closed" | "timeout">((resolve) => {
          const sock = net.connect({ host: "127.0.0.1", port: cluster.port });
          const dec = new FrameDecoder();
          let settledAs: "sentinel" | "closed" | "timeout" | undefined;
          const finish = (how: "sentinel" | "closed" | "timeout"): void => {
            if (settledAs) return;
            settledAs = how;
            clearTimeout(timer);
            sock.destroy();
            resolve(how);
          };
          const timer = setTimeout(() => finish(breaks ? "closed" : "timeout"), breaks ? 2000 : 15_000);
          sock.on("error", () => finish("closed"));
          sock.on("close", () => finish("closed"));
          sock.on("data", (c: Buffer) => {
            let got: Uint8Array[];
            try {
              got = dec.push(c);
            } catch (e) {
              problems.push(`undecodable response stream: ${String(e)}`);
              return finish("closed");
            }
            for (const fr of got) {
              const p = parseResponseFrame(fr); // every answer is a well-formed frame
              if (p.type === ResponseType.ERROR_RESPONSE) ErrorResponse.decode(p.body);
              if (p.type !== ResponseType.SERVER_FAILURE && p.requestId === sentinelId) return finish("sentinel");
            }
          });
          sock.on("connect", () => {
            sock.write(concat(parts));
            // after a stream-breaking frame the sentinel is only more garbage; the socket is dropped
            if (breaks) sock.end();
            else
              sock.write(
                encodeRequestFrame(
                  ApiKey.API_VERSIONS,
                  0,
                  sentinelId,
                  API_MESSAGES[ApiKey.API_VERSIONS].request.encode({ clientSoftwareName: "fuzz", clientSoftwareVersion: "1" }),
                ),
              );
          });
        });
        if (outcome === "closed") closedByServer++;
        assert.ok(
          breaks || outcome === "sentinel",
          `a connection sending only well-framed requests was ${outcome} (after ${sent} frames)`,
        );
        assertNoProblems(`after ${sent} frames`);
      }
    };
    const t0 = Date.now();
    await Promise.all([worker(), worker(), worker(), worker()]);
    const elapsed = Date.now() - t0;
    monitoring = false;
    await monitorLoop;
    clearInterval(memTimer);
    if (process.env.FUZZ_DEBUG)
      console.log({
        sent,
        elapsed,
        closedByServer,
        maxLatency,
        acked,
        peakRssMiB: peakRss >> 20,
        baseRssMiB: base.rss >> 20,
        peakArrayBuffersMiB: peakArrayBuffers >> 20,
      });

    assert.ok(sent >= TARGET, `${sent} frames sent`);
    assert.ok(acked >= 5, `the monitor made progress: ${acked} appends`);
    assert.ok(maxLatency < 5000, `monitor round trip took up to ${maxLatency} ms`);
    // the monitor's log is exactly what it appended
    const got = await readAll(monitor, integrityId, 0);
    assert.equal(got.hw, acked);
    assert.deepEqual([...got.batches.keys()], [...Array(acked).keys()]);
    assert.ok(
      peakArrayBuffers - base.arrayBuffers < 256 << 20,
      `array buffers grew by ${(peakArrayBuffers - base.arrayBuffers) >> 20} MiB`,
    );
    assert.ok(peakRss - base.rss < 768 << 20, `RSS grew by ${(peakRss - base.rss) >> 20} MiB`);
  } finally {
    conn.close();
    monitor.close();
    await cluster.close();
    process.off("uncaughtException", onUncaught);
    process.off("unhandledRejection", onRejection);
  }
  assertNoProblems("end");
});
