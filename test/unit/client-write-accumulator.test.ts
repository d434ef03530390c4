import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as arrow from "apache-arrow";
import { Schema } from "../../src/metadata/schema.js";
import { TableDescriptor } from "../../src/metadata/table-descriptor.js";
import { TableInfo } from "../../src/metadata/table-info.js";
import { TablePath } from "../../src/metadata/table-path.js";
import { LogBatchView } from "../../src/record/log-batch.js";
import { readIndexedLogRecords } from "../../src/record/indexed-log.js";
import { ErrorCode, FlussError } from "../../src/rpc/errors.js";
import { AppendMode, NEEDS_NEW_BATCH, NO_MEMORY, RecordAccumulator } from "../../src/client/write/record-accumulator.js";
import { BucketSequenceState, ErrorVerdict, IdempotenceManager, SendDecision } from "../../src/client/write/idempotence.js";
import { CompressionRatioEstimator } from "../../src/client/write/arrow-write-batch.js";
import { TableWriteTarget } from "../../src/client/write/write-target.js";
import type { BatchOwner, WriteBatch } from "../../src/client/write/write-batch.js";
import { WriteResultHandle } from "../../src/client/write/write-handle.js";
import { Sender } from "../../src/client/write/sender.js";
import { Config } from "../../src/client/config.js";
import type { MetadataUpdater } from "../../src/client/metadata.js";
import type { RpcClient } from "../../src/client/rpc-client.js";

function tableInfo(format: "ARROW" | "INDEXED" = "ARROW", compression = "NONE"): TableInfo {
  const schema = new Schema(
    new arrow.Schema([new arrow.Field("id", new arrow.Int32(), false), new arrow.Field("name", new arrow.Utf8(), true)]),
  );
  return TableInfo.of(
    new TablePath("db", "t"),
    7,
    1,
    new TableDescriptor(schema, {
      bucketCount: 4,
      logFormat: format,
      properties: { "table.log.arrow.compression.type": compression },
    }),
    0,
    0,
  );
}

class Owner implements BatchOwner {
  errors: FlussError[] = [];
  recordFailure(e: FlussError): void {
    this.errors.push(e);
  }
}

const ALLOW = AppendMode.ALLOW_NEW_BATCH;

describe("RecordAccumulator", () => {
  test("memory counts uncompressed bytes: compressible rows cannot outgrow the buffer (bound plus one batch)", () => {
    const batchSize = 64 * 1024;
    const total = 1 << 20;
    const acc = new RecordAccumulator({ batchSize, lingerMs: 100, bufferMemory: total });
    const target = new TableWriteTarget(tableInfo("ARROW", "ZSTD"), acc.batchSize);
    // learned: the rows compress 100:1
    (target as unknown as { arrow: { estimator: CompressionRatioEstimator } }).arrow.estimator.ratio = 0.01;
    const owner = new Owner();
    const text = "abcdefgh".repeat(128); // 1 KiB
    const batches = new Set<WriteBatch>();
    let rows = 0;
    for (;;) {
      const r = acc.append(target.queue(-1, rows % 4), [rows, text], owner, ALLOW);
      if (r === NO_MEMORY) break;
      assert.ok(typeof r === "object");
      batches.add(r);
      rows++;
      assert.ok(rows < 100_000, "memory is never exhausted");
    }
    let held = 0;
    for (const b of batches) held += (b as unknown as { uncompressedSizeInBytes(): number }).uncompressedSizeInBytes();
    const oneBatch = 4 * batchSize; // a batch's uncompressed cap
    assert.ok(acc.usedMemory <= total, `accounted ${acc.usedMemory}`);
    assert.ok(held <= total + oneBatch, `batches hold ${held} uncompressed bytes for a ${total}-byte buffer`);
    assert.ok(held >= total / 2, `only ${held} bytes held: memory is used`);
    for (const b of batches) {
      const u = (b as unknown as { uncompressedSizeInBytes(): number }).uncompressedSizeInBytes();
      assert.ok(u <= oneBatch + 2048, `a batch holds ${u} bytes`);
    }
  });

  test("fills a batch up to the batch size, then starts a new one (rows never split)", () => {
    const acc = new RecordAccumulator({ batchSize: 2048, lingerMs: 100, bufferMemory: 1 << 20 });
    const target = new TableWriteTarget(tableInfo(), acc.batchSize);
    const q = target.queue(-1, 0);
    const owner = new Owner();
    let fullCalls = 0;
    const lingers: number[] = [];
    acc.onFull = () => fullCalls++;
    acc.onLinger = (at) => lingers.push(at);
    const batches = new Set<WriteBatch>();
    for (let i = 0; i < 1000; i++) {
      const r = acc.append(q, [i, `name-${i}`], owner, ALLOW);
      assert.ok(typeof r === "object");
      batches.add(r);
    }
    assert.ok(batches.size > 3, `${batches.size} batches`);
    assert.equal(q.batches.length, batches.size);
    assert.equal(fullCalls, batches.size - 1, "a full batch is sent at once");
    assert.equal(lingers.length, batches.size);
    const total = q.batches.reduce((n, b) => n + b.recordCount, 0);
    assert.equal(total, 1000);
    for (const b of q.batches.slice(0, -1)) {
      assert.ok(b.closed);
      const bytes = b.serialize();
      assert.ok(bytes.length <= 2048 * 1.2, `batch of ${bytes.length} bytes`);
    }
    assert.ok(acc.active.has(q));
    assert.equal(acc.incomplete.size, batches.size);
  });

  test("without ALLOW_NEW_BATCH a full/absent batch is reported (sticky switching)", () => {
    const acc = new RecordAccumulator({ batchSize: 1024, lingerMs: 100, bufferMemory: 1 << 20 });
    const q = new TableWriteTarget(tableInfo(), acc.batchSize).queue(-1, 1);
    const owner = new Owner();
    assert.equal(acc.append(q, [1, "a"], owner, 0), NEEDS_NEW_BATCH);
    assert.ok(typeof acc.append(q, [1, "a"], owner, ALLOW) === "object");
    assert.ok(typeof acc.append(q, [2, "b"], owner, 0) === "object");
  });

  test("INDEXED batches encode rows as they come", () => {
    const acc = new RecordAccumulator({ batchSize: 1 << 16, lingerMs: 100, bufferMemory: 1 << 20 });
    const info = tableInfo("INDEXED");
    const q = new TableWriteTarget(info, acc.batchSize).queue(-1, 0);
    const owner = new Owner();
    for (let i = 0; i < 10; i++) acc.append(q, [i, i % 2 ? null : `n${i}`], owner, ALLOW);
    const b = q.batches[0]!;
    b.writerId = 5;
    b.batchSequence = 3;
    const view = new LogBatchView(b.serialize(), 0);
    assert.equal(view.recordCount, 10);
    assert.equal(view.writerId, 5);
    assert.equal(view.batchSequence, 3);
    assert.ok(view.isAppendOnly);
    const rows = readIndexedLogRecords(view, info.rowType).map((r) => r.row);
    assert.deepEqual(rows[0], [0, "n0"]);
    assert.deepEqual(rows[1], [1, null]);
    // re-stamping for a retry under a new writer id keeps the CRC valid
    b.writerId = 9;
    b.batchSequence = 0;
    const again = new LogBatchView(b.serialize(), 0);
    assert.equal(again.writerId, 9);
    assert.equal(again.batchSequence, 0);
    assert.ok(again.isValid());
  });

  test("memory: no room → NO_MEMORY; waiters are served in FIFO order as batches complete", () => {
    const acc = new RecordAccumulator({ batchSize: 1024, lingerMs: 100, bufferMemory: 2048 });
    const target = new TableWriteTarget(tableInfo(), acc.batchSize);
    const owner = new Owner();
    const b0 = acc.append(target.queue(-1, 0), [1, "a"], owner, ALLOW) as WriteBatch;
    const b1 = acc.append(target.queue(-1, 1), [2, "b"], owner, ALLOW) as WriteBatch;
    assert.equal(acc.usedMemory, 2048);
    assert.equal(acc.append(target.queue(-1, 2), [3, "c"], owner, ALLOW), NO_MEMORY);
    // appending to an open batch needs no memory
    assert.ok(typeof acc.append(target.queue(-1, 0), [4, "d"], owner, ALLOW) === "object");

    const order: string[] = [];
    let firstServed = false;
    acc.waitForMemory(() => {
      order.push("w1");
      const r = acc.append(target.queue(-1, 2), [3, "c"], owner, ALLOW | AppendMode.AS_WAITER);
      firstServed = r !== NO_MEMORY;
      return firstServed;
    });
    acc.waitForMemory(() => {
      order.push("w2");
      return acc.append(target.queue(-1, 3), [5, "e"], owner, ALLOW | AppendMode.AS_WAITER) !== NO_MEMORY;
    });
    assert.ok(acc.exhausted);
    // a newcomer may not overtake the waiters
    assert.equal(acc.append(target.queue(-1, 3), [6, "f"], owner, ALLOW), NO_MEMORY);
    b0.succeed(0);
    acc.batchDone(b0);
    assert.ok(firstServed);
    assert.deepEqual(order, ["w1", "w2"]); // w2 tried but there was room for one batch only
    assert.ok(acc.exhausted);
    b1.fail(new FlussError(ErrorCode.RECORD_TOO_LARGE_EXCEPTION, "x"));
    acc.batchDone(b1);
    assert.deepEqual(order, ["w1", "w2", "w2"]);
    assert.equal(acc.exhausted, false);
    assert.equal(owner.errors.length, 1, "the owner hears about the failure");
  });

  test("retried batches go back ahead of newer batches", () => {
    const acc = new RecordAccumulator({ batchSize: 1024, lingerMs: 100, bufferMemory: 1 << 20 });
    const q = new TableWriteTarget(tableInfo(), acc.batchSize).queue(-1, 0);
    const owner = new Owner();
    const a = acc.append(q, [1, "a"], owner, ALLOW) as WriteBatch;
    a.closed = true;
    const b = acc.append(q, [2, "b"], owner, ALLOW) as WriteBatch;
    b.closed = true;
    const c = acc.append(q, [3, "c"], owner, ALLOW) as WriteBatch;
    q.batches.splice(0, 2); // a and b are "in flight"
    acc.reenqueue(q, b);
    acc.reenqueue(q, a);
    assert.deepEqual(q.batches, [a, b, c]);
  });

  test("flush makes everything ready", () => {
    const acc = new RecordAccumulator({ batchSize: 1024, lingerMs: 100, bufferMemory: 1 << 20 });
    let ready = 0;
    acc.onReady = () => ready++;
    acc.beginFlush();
    assert.ok(acc.flushing);
    assert.equal(ready, 1);
    acc.endFlush();
    assert.equal(acc.flushing, false);
  });
});

describe("CompressionRatioEstimator", () => {
  test("degrades fast, improves slowly", () => {
    const e = new CompressionRatioEstimator();
    e.update(0.5);
    assert.equal(e.ratio, 0.995);
    e.update(0.9);
    assert.ok(Math.abs(e.ratio - 0.99) < 1e-9);
    e.update(1.2);
    assert.equal(e.ratio, 1.2);
    e.update(1.21);
    assert.ok(Math.abs(e.ratio - 1.25) < 1e-9);
  });
});

describe("IdempotenceManager", () => {
  function setup(maxInflight = 5) {
    let nextId = 100;
    const m = new IdempotenceManager(true, maxInflight, async () => nextId++);
    const acc = new RecordAccumulator({ batchSize: 1024, lingerMs: 0, bufferMemory: 1 << 20 });
    const q = new TableWriteTarget(tableInfo(), 1024).queue(-1, 0);
    const owner = new Owner();
    const mk = (): WriteBatch => {
      const b = acc.append(q, [1, "x"], owner, ALLOW) as WriteBatch;
      b.closed = true;
      return b;
    };
    return { m, st: q.sequences, mk };
  }

  test("waits for a writer id; then sequences 0,1,2 per bucket; in-flight cap", async () => {
    const { m, st, mk } = setup(2);
    const b0 = mk();
    assert.equal(m.prepare(st, b0), SendDecision.WAIT);
    await m.ensureWriterId();
    assert.equal(m.writerId, 100);
    assert.equal(m.prepare(st, b0), SendDecision.SEND);
    m.onSent(st, b0);
    const b1 = mk();
    assert.equal(m.prepare(st, b1), SendDecision.SEND);
    m.onSent(st, b1);
    const b2 = mk();
    assert.equal(m.prepare(st, b2), SendDecision.WAIT, "at most 2 in flight");
    assert.deepEqual([b0.batchSequence, b1.batchSequence], [0, 1]);
    m.onReturned(st, b0);
    m.onSuccess(st, b0);
    assert.equal(m.prepare(st, b2), SendDecision.SEND);
    assert.equal(b2.batchSequence, 2);
    assert.equal(b2.writerId, 100);
  });

  test("OUT_OF_ORDER for an already acknowledged sequence is success (lost response), not an endless retry", async () => {
    const { m, st, mk } = setup();
    await m.ensureWriterId();
    const [b0, b1] = [mk(), mk()];
    for (const b of [b0, b1]) {
      m.prepare(st, b);
      m.onSent(st, b);
    }
    // b0's connection died (retry), b1 succeeded
    m.onReturned(st, b0);
    assert.equal(m.verdict(st, b0, ErrorCode.NETWORK_EXCEPTION), ErrorVerdict.DEFAULT);
    m.onReturned(st, b1);
    m.onSuccess(st, b1);
    // the retry of b0 need not even be sent
    assert.equal(m.prepare(st, b0), SendDecision.ALREADY_COMMITTED);
    assert.equal(m.verdict(st, b0, ErrorCode.OUT_OF_ORDER_SEQUENCE_EXCEPTION), ErrorVerdict.SUCCESS);
    assert.equal(m.verdict(st, b0, ErrorCode.DUPLICATE_SEQUENCE_EXCEPTION), ErrorVerdict.SUCCESS);
    assert.equal(m.writerId, 100, "no writer reset");
  });

  test("a retried batch waits for lower sequences and goes out in order", async () => {
    const { m, st, mk } = setup();
    await m.ensureWriterId();
    const [b0, b1, b2] = [mk(), mk(), mk()];
    for (const b of [b0, b1, b2]) {
      m.prepare(st, b);
      m.onSent(st, b);
    }
    // b1 and b2 fail retriably while b0 is still in flight: b1 may follow b0 at once
    m.onReturned(st, b1);
    m.onReturned(st, b2);
    assert.equal(m.prepare(st, b1), SendDecision.SEND);
    m.onSent(st, b1);
    assert.equal(m.prepare(st, b2), SendDecision.SEND);
    m.onSent(st, b2);
    // now all three fail (connection lost): they go out again strictly one after another
    for (const b of [b0, b1, b2]) m.onReturned(st, b);
    assert.equal(m.prepare(st, b0), SendDecision.SEND);
    m.onSent(st, b0);
    assert.equal(m.prepare(st, b1), SendDecision.SEND);
    m.onSent(st, b1);
    m.onReturned(st, b0);
    m.onSuccess(st, b0);
    assert.equal(m.prepare(st, b2), SendDecision.SEND);
    assert.deepEqual([b0.batchSequence, b1.batchSequence, b2.batchSequence], [0, 1, 2]);
    assert.equal(m.writerId, 100);
  });

  test("stale responses of an old writer id never reset the current writer", async () => {
    const { m, st, mk } = setup();
    await m.ensureWriterId();
    const old = mk();
    m.prepare(st, old);
    m.onSent(st, old);
    m.resetWriterId();
    await m.ensureWriterId();
    assert.equal(m.writerId, 101);
    m.onReturned(st, old);
    assert.equal(m.verdict(st, old, ErrorCode.OUT_OF_ORDER_SEQUENCE_EXCEPTION), ErrorVerdict.RETRY);
    assert.equal(m.verdict(st, old, ErrorCode.UNKNOWN_WRITER_ID_EXCEPTION), ErrorVerdict.RETRY);
    assert.equal(m.writerId, 101);
    // sent under the old writer id: never silently renumbered (it may be stored under the
    // old id); the sender fails it when an attempt went unanswered, else restamps it
    assert.equal(m.prepare(st, old), SendDecision.STALE_WRITER);
    assert.deepEqual([old.writerId, old.batchSequence], [100, 0]);
    m.restamp(old);
    // known not stored: the bucket restarts at 0 under the new writer id
    assert.equal(m.prepare(st, old), SendDecision.SEND);
    assert.equal(old.writerId, 101);
    assert.equal(old.batchSequence, 0);
  });

  test("UNKNOWN_WRITER_ID re-initialises the writer and restarts sequences", async () => {
    const { m, st, mk } = setup();
    await m.ensureWriterId();
    const b = mk();
    m.prepare(st, b);
    m.onSent(st, b);
    m.onReturned(st, b);
    assert.equal(m.verdict(st, b, ErrorCode.UNKNOWN_WRITER_ID_EXCEPTION), ErrorVerdict.RETRY);
    assert.equal(m.ready, false);
    assert.equal(m.prepare(st, b), SendDecision.WAIT);
    await m.ensureWriterId();
    assert.equal(m.prepare(st, b), SendDecision.STALE_WRITER);
    m.restamp(b);
    assert.equal(m.prepare(st, b), SendDecision.SEND);
    assert.deepEqual([b.writerId, b.batchSequence], [101, 0]);
  });

  test("a batch never sent keeps being numbered under whatever writer id is current", async () => {
    const { m, st, mk } = setup();
    await m.ensureWriterId();
    const b = mk();
    m.resetWriterId();
    await m.ensureWriterId();
    assert.equal(m.prepare(st, b), SendDecision.SEND);
    assert.deepEqual([b.writerId, b.batchSequence], [101, 0]);
  });

  test("a batch rejected for good closes the sequence gap of later batches", async () => {
    const { m, st, mk } = setup();
    await m.ensureWriterId();
    const [b0, b1, b2] = [mk(), mk(), mk()];
    for (const b of [b0, b1]) {
      m.prepare(st, b);
      m.onSent(st, b);
    }
    m.onReturned(st, b0);
    m.onFinalFailure(st, b0, [b2], true);
    assert.equal(b1.batchSequence, 0, "in-flight b1 renumbered");
    // b1's answer is OUT_OF_ORDER (sent as 1): retry with its new number, no writer reset
    m.onReturned(st, b1);
    assert.equal(m.verdict(st, b1, ErrorCode.OUT_OF_ORDER_SEQUENCE_EXCEPTION), ErrorVerdict.RETRY);
    assert.equal(m.writerId, 100);
    assert.equal(m.prepare(st, b1), SendDecision.SEND);
    m.onSent(st, b1);
    assert.equal(m.prepare(st, b2), SendDecision.SEND);
    assert.equal(b2.batchSequence, 1);
  });

  test("OUT_OF_ORDER for exactly the next sequence means the server lost our state: new writer id", async () => {
    const { m, st, mk } = setup();
    await m.ensureWriterId();
    const b = mk();
    m.prepare(st, b);
    m.onSent(st, b);
    m.onReturned(st, b);
    assert.equal(m.verdict(st, b, ErrorCode.OUT_OF_ORDER_SEQUENCE_EXCEPTION), ErrorVerdict.RETRY);
    assert.equal(m.ready, false);
  });

  test("disabled: no writer id, no sequences, only the in-flight cap", () => {
    const m = new IdempotenceManager(false, 1, async () => 1);
    const st = new BucketSequenceState();
    const acc = new RecordAccumulator({ batchSize: 1024, lingerMs: 0, bufferMemory: 1 << 20 });
    const q = new TableWriteTarget(tableInfo(), 1024).queue(-1, 0);
    const b = acc.append(q, [1, "x"], new Owner(), ALLOW) as WriteBatch;
    assert.equal(m.prepare(st, b), SendDecision.SEND);
    assert.deepEqual([b.writerId, b.batchSequence], [-1, -1]);
    m.onSent(st, b);
    assert.equal(m.prepare(st, b), SendDecision.WAIT);
  });
});

describe("WriteResultHandle", () => {
  test("awaiting a handle yields a non-thenable accepted write; wait() follows the batch", async () => {
    const acc = new RecordAccumulator({ batchSize: 1024, lingerMs: 0, bufferMemory: 1 << 20 });
    const q = new TableWriteTarget(tableInfo(), 1024).queue(-1, 0);
    const b = acc.append(q, [1, "x"], new Owner(), ALLOW) as WriteBatch;
    const h = WriteResultHandle.create(b.result);
    const accepted = await h;
    assert.equal((accepted as { then?: unknown }).then, undefined);
    let done = false;
    const w = accepted.wait().then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(done, false);
    b.succeed(42);
    await w;
    await h.wait();
  });

  test("pending handles resolve on admission; failures reject without unhandled rejections", async () => {
    const h = WriteResultHandle.create();
    assert.equal(h.isAccepted, false);
    let admitted = false;
    const p = h.then(() => (admitted = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(admitted, false);
    const h2 = WriteResultHandle.create();
    void h2.wait(); // never handled by the caller
    h2.reject(new FlussError(ErrorCode.PARTITION_NOT_EXISTS, "gone"));
    await assert.rejects(h2.wait(), /gone/);
    await assert.rejects(Promise.resolve(h2), /gone/);
    const acc = new RecordAccumulator({ batchSize: 1024, lingerMs: 0, bufferMemory: 1 << 20 });
    const q = new TableWriteTarget(tableInfo(), 1024).queue(-1, 0);
    const b = acc.append(q, [1, "x"], new Owner(), ALLOW) as WriteBatch;
    h.accept(b.result);
    await p;
    assert.ok(admitted);
  });
});

describe("Sender", () => {
  test("a batch that fills up inside a synchronous loop of appends is written at once, not when the loop ends", async () => {
    const acc = new RecordAccumulator({ batchSize: 2048, lingerMs: 60_000, bufferMemory: 1 << 20 });
    const target = new TableWriteTarget(tableInfo("INDEXED"), acc.batchSize);
    const q = target.queue(-1, 0);
    const written: number[] = [];
    let loopStep = -1;
    // a connection that notes when each request is written, answering none of them
    const conn = {
      closed: false,
      requestParts: () => {
        written.push(loopStep);
        return new Promise(() => undefined);
      },
    };
    const rpc = { connection: async () => conn } as unknown as RpcClient;
    const leader = { id: 1, host: "127.0.0.1", port: 1 };
    const metadata = { leaderFor: () => leader } as unknown as MetadataUpdater;
    const idem = new IdempotenceManager(false, 5, async () => 0);
    const sender = new Sender(acc, idem, metadata, rpc, new Config());
    const owner = new Owner();
    // the first request opens the channel (asynchronously)
    acc.append(q, [0, "first"], owner, ALLOW);
    acc.beginFlush();
    await new Promise((r) => setTimeout(r, 20));
    acc.endFlush();
    assert.deepEqual(written, [-1]);
    for (loopStep = 0; loopStep < 200; loopStep++) acc.append(q, [loopStep, `name-${loopStep}`], owner, ALLOW);
    // several batches filled up during the loop: each was written before the loop went on
    assert.ok(written.length >= 3, `written at loop steps ${written.join(", ")}`);
    assert.ok(
      written.slice(1).every((step) => step >= 0 && step < 199),
      `written at loop steps ${written.join(", ")}`,
    );
    sender.close();
  });
});

describe("Sender KV backpressure (Java RecordAccumulator.updateThrottle)", () => {
  function pkInfo(): TableInfo {
    const schema = new Schema(
      new arrow.Schema([new arrow.Field("id", new arrow.Int32(), false), new arrow.Field("v", new arrow.Utf8(), true)]),
      { primaryKeys: ["id"] },
    );
    return TableInfo.of(new TablePath("db", "pk"), 8, 1, new TableDescriptor(schema, { bucketCount: 1 }), 0, 0);
  }

  /** A sender whose connection answers each PutKv with `answer()`, noting when requests are written. */
  function harness(answer: () => unknown, maxThrottleMs: number) {
    const acc = new RecordAccumulator({ batchSize: 1 << 20, lingerMs: 0, bufferMemory: 1 << 22 });
    const q = new TableWriteTarget(pkInfo(), acc.batchSize).queue(-1, 0);
    const sentAt: number[] = [];
    const conn = {
      closed: false,
      requestParts: () => {
        sentAt.push(Date.now());
        return Promise.resolve(answer());
      },
    };
    const rpc = { connection: async () => conn } as unknown as RpcClient;
    const metadata = { leaderFor: () => ({ id: 1, host: "127.0.0.1", port: 1 }) } as unknown as MetadataUpdater;
    const idem = new IdempotenceManager(false, 5, async () => 0);
    const config = new Config({ "client.writer.kv-backpressure.max-throttle": "400ms", "writer.retries": 5 });
    assert.equal(config.get("writer.kv-backpressure.max-throttle.ms"), maxThrottleMs);
    const sender = new Sender(acc, idem, metadata, rpc, config);
    const owner = new Owner();
    const write = (k: number) => {
      const b = acc.append(q, { key: new Uint8Array([k]), values: [k, "x"], targetColumns: undefined }, owner, ALLOW);
      assert.ok(typeof b === "object");
      return WriteResultHandle.create(b.result);
    };
    return { sender, sentAt, write, owner };
  }

  test("a bucket reported under pressure p is held back max·p² before its next batch", async () => {
    const h = harness(() => ({ bucketsResp: [{ bucketId: 0, logEndOffset: 1, pressure: 0.5 }] }), 400);
    await h.write(1).wait();
    await h.write(2).wait();
    assert.equal(h.sentAt.length, 2);
    const gap = h.sentAt[1]! - h.sentAt[0]!;
    assert.ok(gap >= 95 && gap < 350, `second batch after ${gap} ms (expected ~100 ms = 400 · 0.5²)`);
    h.sender.close();
  });

  test("no pressure: no hold; a STORAGE_BACKPRESSURE rejection holds the bucket for the whole window, then the retry succeeds", async () => {
    let n = 0;
    const h = harness(() => {
      n++;
      if (n === 2)
        return { bucketsResp: [{ bucketId: 0, errorCode: ErrorCode.STORAGE_BACKPRESSURE_EXCEPTION, errorMessage: "slow down" }] };
      return { bucketsResp: [{ bucketId: 0, logEndOffset: n }] };
    }, 400);
    await h.write(1).wait();
    await h.write(2).wait();
    assert.equal(h.sentAt.length, 3);
    const retryGap = h.sentAt[2]! - h.sentAt[1]!;
    assert.ok(retryGap >= 395, `retry after ${retryGap} ms (expected the 400 ms window)`);
    h.sender.close();
  });
});
