/**
 * Seeded fuzzing of the client's side: mutated responses.
 * 1. Every response codec decodes mutated bodies of schema-valid responses (record
 *    batches where responses carry them) without anything but a FlussError escaping, and
 *    mutated log batches go through the batch readers the same way.
 * 2. The public client runs writers, upserts, lookups, scanners and admin calls through a
 *    proxy that mutates a share of the cluster's response frames (bodies, headers, lengths;
 *    not the ApiVersions handshake): every call settles with a result or a FlussError
 *    within its timeouts, nothing escapes as an uncaught exception or unhandled rejection,
 *    the same client works again once the answers are sound, and close() completes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import {
  Config,
  DataTypes,
  EARLIEST_OFFSET,
  FlussConnection,
  FlussError,
  LocalCluster,
  OffsetSpec,
  Schema,
  TableDescriptor,
  TablePath,
} from "../../src/index.js";
import { ApiKey, apiMessages } from "../../src/rpc/api-keys.js";
import { FrameDecoder, ResponseType, parseRequestHeader, parseResponseFrame } from "../../src/rpc/frame.js";
import { MetadataResponse } from "../../src/rpc/messages.js";
import { iterateBatches } from "../../src/record/log-batch.js";
import { readArrowLogBatch } from "../../src/record/arrow/arrow-log.js";
import { readCompactedLogRecords, readIndexedLogRecords, buildCompactedLogBatch } from "../../src/record/indexed-log.js";
import { toArrowSchema } from "../../src/metadata/arrow-types.js";
import { Fuzz, MessageGenerator, mutate, type FieldHook } from "./helpers/fuzz.js";
import { LOG_SCHEMA, arrowBatch, indexedBatch } from "./server-test-util.js";

const problems: string[] = [];
const onUncaught = (err: unknown): void => void problems.push(`uncaught: ${String((err as Error)?.stack ?? err)}`);
const onRejection = (err: unknown): void => void problems.push(`unhandled rejection: ${String((err as Error)?.stack ?? err)}`);

/**
 * Runs `fn`; anything thrown must be a FlussError (or, with `anyError`, an Error: the row
 * decoders throw RangeErrors that the scanner turns into CORRUPT_RECORD_EXCEPTION), and
 * no single decode may take long (a length read from the bytes driving a loop).
 */
function onlyFlussErrors(where: string, fn: () => void, anyError = false): boolean {
  const t0 = performance.now();
  try {
    fn();
    return true;
  } catch (e) {
    if (!(e instanceof FlussError) && !(anyError && e instanceof Error))
      problems.push(`${where}: ${String((e as Error)?.stack ?? e)}`);
    return false;
  } finally {
    const ms = performance.now() - t0;
    if (ms > 1000) problems.push(`${where}: took ${Math.round(ms)} ms`);
  }
}

test("client decoders: mutated responses of every api key and mutated log batches raise FlussErrors only", {
  timeout: 60_000,
}, () => {
  const f = new Fuzz(Number(process.env.FUZZ_SEED ?? 0xc11e47));
  const rt = LOG_SCHEMA.rowType;
  const batches = [
    arrowBatch(rt, [
      [1, "a"],
      [2, null],
      [3, "ccc"],
    ]),
    indexedBatch(rt, [
      [1, "x"],
      [2, "y"],
    ]),
    buildCompactedLogBatch({
      rowType: rt,
      rows: [
        [1, "x"],
        [null, "z"],
      ],
      schemaId: 1,
      appendOnly: true,
    }),
  ];
  const hook: FieldHook = (_message, field, g) => {
    if (field === "records") return g.next() < 0.8 ? g.pick(batches) : undefined;
    return undefined;
  };
  const gen = new MessageGenerator();
  const rounds = Number(process.env.FUZZ_DECODES ?? 1500);
  let decodes = 0;
  for (const key of Object.values(ApiKey)) {
    const codecs = apiMessages(key);
    if (!codecs) continue;
    const valid: Uint8Array[] = [];
    for (let i = 0; i < 20; i++) {
      try {
        valid.push(codecs.response.encode(gen.random(codecs.response.name, f, hook)));
      } catch (e) {
        assert.ok(e instanceof FlussError, String(e));
      }
    }
    for (const v of valid)
      assert.ok(
        onlyFlussErrors(`${codecs.response.name} valid`, () => codecs.response.decode(v)),
        `a valid ${codecs.response.name} decodes`,
      );
    for (let i = 0; i < rounds; i++) {
      const m = mutate(f, f.pick(valid), f.pick(valid));
      onlyFlussErrors(`${codecs.response.name} ${Buffer.from(m).toString("hex")}`, () => codecs.response.decode(m));
      decodes++;
    }
  }
  // log batches as the scanners read them
  const schema = toArrowSchema(rt);
  for (let i = 0; i < 30_000; i++) {
    const which = f.int(batches.length);
    const m = mutate(f, batches[which]!);
    onlyFlussErrors(
      `batch ${which} ${Buffer.from(m).toString("hex")}`,
      () => {
        for (const v of iterateBatches(m)) {
          if (which === 0) {
            const c = readArrowLogBatch(v, schema);
            if (c.batch) for (const child of c.batch.data.children) void child.length;
          } else if (which === 1) readIndexedLogRecords(v, rt);
          else readCompactedLogRecords(v, rt);
        }
      },
      which !== 0,
    );
    decodes++;
  }
  assert.deepEqual(problems, []);
  assert.ok(decodes > 50_000, `${decodes} decodes`);
});

/**
 * A TCP proxy to `target` forwarding requests as they are and mutating a share of the
 * response frames: their bodies mostly, sometimes the header, rarely the length (then
 * the stream is cut after it, since nothing after it can be framed).
 */
async function mutatingProxy(
  target: number,
  f: Fuzz,
  rate: () => number,
): Promise<{ port: number; mutated: () => number; close(): Promise<void> }> {
  let mutated = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((down) => {
    const up = net.connect({ host: "127.0.0.1", port: target });
    sockets.add(down).add(up);
    const dec = new FrameDecoder({ maxFrameBytes: 0x7fffffff });
    const end = (): void => {
      down.destroy();
      up.destroy();
    };
    down.on("error", end).on("close", end);
    up.on("error", end).on("close", end);
    // requests pass unchanged; their ids tell which responses are metadata
    const reqDec = new FrameDecoder({ maxFrameBytes: 0x7fffffff });
    const metadataIds = new Set<number>();
    // handshake answers pass unmutated: one that decodes but lists other versions is an
    // older server to the client, which then rightly refuses those APIs on that connection
    const handshakeIds = new Set<number>();
    down.on("data", (c: Buffer) => {
      for (const fr of reqDec.push(c)) {
        const h = parseRequestHeader(fr);
        if (h.apiKey === ApiKey.GET_METADATA) metadataIds.add(h.requestId);
        if (h.apiKey === ApiKey.API_VERSIONS) handshakeIds.add(h.requestId);
      }
      up.write(c);
    });
    up.on("data", (c: Buffer) => {
      for (let fr of dec.push(c)) {
        // the cluster advertises its own port: point the client back at the proxy
        const p = parseResponseFrame(fr);
        if (p.type === ResponseType.SUCCESS_RESPONSE && metadataIds.delete(p.requestId)) {
          const m = MetadataResponse.decode(p.body);
          for (const n of [m.coordinatorServer, ...m.tabletServers]) if (n) n.port = port;
          fr = Uint8Array.from([...fr.subarray(0, 5), ...MetadataResponse.encode(m)]);
        }
        let body = fr;
        let cut = false;
        const handshake = p.type === ResponseType.SUCCESS_RESPONSE && handshakeIds.delete(p.requestId);
        if (!handshake && f.next() < rate()) {
          mutated++;
          const r = f.next();
          if (r < 0.8) body = Uint8Array.from([...fr.subarray(0, 5), ...mutate(f, fr.subarray(5))]);
          else if (r < 0.95) body = mutate(f, fr);
          else cut = true;
          if (cut) {
            const len = Buffer.alloc(4);
            len.writeInt32BE(f.pick([-1, 0, 2, 2 ** 31 - 1, fr.length + 1000]));
            down.write(Buffer.concat([len, fr.subarray(0, f.int(fr.length))]));
            down.end();
            up.destroy();
            return;
          }
        }
        const len = Buffer.alloc(4);
        len.writeInt32BE(body.length);
        down.write(Buffer.concat([len, body]));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    mutated: () => mutated,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

test("client through a proxy mutating responses: every call settles with a result or a FlussError, close() completes", {
  timeout: 60_000,
}, async () => {
  process.on("uncaughtException", onUncaught);
  process.on("unhandledRejection", onRejection);
  const f = new Fuzz(Number(process.env.FUZZ_SEED ?? 0x9e0c5));
  const cluster = await LocalCluster.start();
  let rate = 0;
  const proxy = await mutatingProxy(cluster.port, f, () => rate);
  const RUN_MS = Number(process.env.FUZZ_MS ?? 4000);
  try {
    // tables made without the proxy
    const direct = await FlussConnection.connect(new Config({ "bootstrap.servers": cluster.bootstrapServers }));
    const admin0 = direct.getAdmin();
    await admin0.createDatabase("cf");
    const logPath = new TablePath("cf", "log");
    const pkPath = new TablePath("cf", "kv");
    await admin0.createTable(
      logPath,
      new TableDescriptor(
        Schema.fromColumns([
          { name: "id", type: DataTypes.INT() },
          { name: "s", type: DataTypes.STRING() },
        ]),
        { bucketCount: 2 },
      ),
    );
    await admin0.createTable(
      pkPath,
      new TableDescriptor(
        Schema.fromColumns(
          [
            { name: "k", type: DataTypes.INT() },
            { name: "s", type: DataTypes.STRING() },
          ],
          ["k"],
        ),
        { bucketCount: 2 },
      ),
    );
    const seed = (await direct.getTable(logPath)).newAppendWriter();
    for (let i = 0; i < 200; i++) seed.append({ id: i, s: `s${i}` });
    await seed.close();
    await direct.close();

    const conn = await FlussConnection.connect(
      new Config({
        "bootstrap.servers": `127.0.0.1:${proxy.port}`,
        "request.timeout.ms": 1500,
        "connect.timeout.ms": 2000,
        "writer.delivery.timeout.ms": 3000,
        "writer.batch.timeout.ms": 5,
      }),
    );
    const admin = conn.getAdmin();
    const logTable = await conn.getTable(logPath);
    const pkTable = await conn.getTable(pkPath);
    rate = 0.25;
    const outcomes = { ok: 0, failed: 0 };
    const codes = new Map<string, number>();
    let stop = false;
    // every call must settle well within request timeout + retries
    const call = async <T>(what: string, fn: () => Promise<T>): Promise<void> => {
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<"hung">((resolve) => (timer = setTimeout(() => resolve("hung"), 15_000)));
      try {
        const r = await Promise.race([fn(), hung]);
        if (r === "hung") problems.push(`${what} did not settle within 15 s`);
        else outcomes.ok++;
      } catch (e) {
        outcomes.failed++;
        if (!(e instanceof FlussError)) problems.push(`${what}: ${String((e as Error)?.stack ?? e)}`);
        else {
          if (!codes.has(`${what} ${e.name}`) && process.env.FUZZ_DEBUG) console.log(`first ${what} ${e.name}: ${e.stack}`);
          codes.set(`${what} ${e.name}`, (codes.get(`${what} ${e.name}`) ?? 0) + 1);
        }
      } finally {
        clearTimeout(timer);
      }
    };
    const loop = async (what: string, fn: (i: number) => Promise<unknown>): Promise<void> => {
      for (let i = 0; !stop; i++) {
        await call(what, () => fn(i));
        await new Promise((r) => setImmediate(r)); // a call failing at once must not starve the loop
      }
    };
    const writer = logTable.newAppendWriter();
    const upserter = pkTable.newUpsert();
    const lookuper = pkTable.newLookup();
    const scanner = await logTable.newScan().createLogScanner();
    await call("subscribe", async () => {
      await scanner.subscribe(0, EARLIEST_OFFSET);
      await scanner.subscribe(1, EARLIEST_OFFSET);
    });
    // at least RUN_MS, and on until enough responses were mutated (a loaded machine sends fewer)
    const started = Date.now();
    const timer = setInterval(() => {
      const elapsed = Date.now() - started;
      if ((elapsed >= RUN_MS && proxy.mutated() > 50) || elapsed >= 4 * RUN_MS) stop = true;
    }, 50);
    await Promise.all([
      loop("append", async (i) => {
        for (let j = 0; j < 20; j++) writer.append({ id: i * 20 + j, s: "w" });
        await writer.flush();
      }),
      loop("upsert", async (i) => {
        for (let j = 0; j < 20; j++) upserter.upsert({ k: (i * 20 + j) % 100, s: `u${i}` });
        await upserter.flush();
      }),
      loop("lookup", (i) => Promise.all(Array.from({ length: 10 }, (_, j) => lookuper.lookup({ k: (i + j) % 100 })))),
      loop("poll", () => scanner.poll(200)),
      loop("admin", async (i) => {
        switch (i % 5) {
          case 0:
            return admin.listDatabases();
          case 1:
            return admin.getTableInfo(logPath);
          case 2:
            return admin.listOffsets(logPath, [0, 1], OffsetSpec.latest());
          case 3:
            return admin.listTables("cf");
          default:
            return admin.tableExists(pkPath);
        }
      }),
    ]);
    clearInterval(timer);
    // once the responses are sound again, the same client works again
    rate = 0;
    const recovered: Record<string, number> = {};
    const recover = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
      const t0 = Date.now();
      let last: unknown;
      while (Date.now() - t0 < 20_000) {
        try {
          await fn();
          recovered[what] = Date.now() - t0;
          return;
        } catch (e) {
          last = e;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      problems.push(`${what} still failing 20 s after the responses became sound: ${String((last as Error)?.stack ?? last)}`);
    };
    await Promise.all([
      recover("append", async () => {
        writer.append({ id: -1, s: "after" });
        await writer.flush();
      }),
      // written until read back: a fabricated per-bucket error for a batch the server did
      // append makes the writer renumber the batches after it (as Java's
      // adjustSequencesDueToFailedBatch), so the next one can be taken for a duplicate. A
      // real server never answers so; what this checks is that the same client works again.
      recover("upsert and lookup", async () => {
        upserter.upsert({ k: 1, s: "after" });
        await upserter.flush();
        assert.deepEqual(await lookuper.lookup({ k: 1 }), { k: 1, s: "after" });
      }),
      recover("admin", () => admin.listOffsets(logPath, [0, 1], OffsetSpec.latest())),
      recover("poll", async () => {
        try {
          await scanner.poll(100);
        } catch (e) {
          // a batch that failed its CRC stops its bucket at that offset until it is
          // subscribed again (Java's CompletedFetch, Kafka's consumer): the user's remedy
          if (e instanceof FlussError && /record batch|fetched record batches/.test(e.message)) {
            await scanner.subscribe(0, EARLIEST_OFFSET);
            await scanner.subscribe(1, EARLIEST_OFFSET);
          }
          throw e;
        }
      }),
    ]);
    const closing = Date.now();
    await call("close writer", () => writer.close());
    await call("close upserter", () => upserter.close());
    await call("close scanner", () => scanner.close());
    await conn.close();
    assert.ok(Date.now() - closing < 15_000, `close took ${Date.now() - closing} ms`);
    if (process.env.FUZZ_DEBUG)
      console.log({ ...outcomes, mutated: proxy.mutated(), codes: Object.fromEntries(codes), recovered });
    assert.ok(proxy.mutated() > 50, `${proxy.mutated()} responses mutated`);
    assert.ok(outcomes.ok > 0 && outcomes.failed > 0, JSON.stringify(outcomes));
  } finally {
    await proxy.close();
    await cluster.close();
    process.off("uncaughtException", onUncaught);
    process.off("unhandledRejection", onRejection);
  }
  assert.deepEqual(problems, []);
});
