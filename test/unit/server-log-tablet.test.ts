import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { LogTablet, type LogTabletOptions } from "../../src/server/storage/log-tablet.js";
import { LogManager } from "../../src/server/storage/log-manager.js";
import { assembleLogBatch, iterateBatches, updateLogBatchCrc } from "../../src/record/log-batch.js";
import { concatBytes } from "../../src/util/bytes.js";
import { ErrorCode, FlussError } from "../../src/rpc/errors.js";

const quiet = { warn: () => undefined };

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "flussjs-log-"));
  try {
    await fn(dir);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

function open(dir: string, options: LogTabletOptions = {}): Promise<LogTablet> {
  return LogTablet.open(dir, { logger: quiet, name: "TableBucket{tableId=1, bucket=0}", ...options });
}

/** A batch of `count` records with a `bodySize`-byte opaque body. */
function batch(count: number, opts: { writerId?: number; seq?: number; bodySize?: number; magic?: number } = {}): Uint8Array {
  const body = new Uint8Array(opts.bodySize ?? 16).map((_, i) => (i * 7 + count) & 0xff);
  return assembleLogBatch(
    {
      magic: opts.magic ?? 0,
      schemaId: 1,
      appendOnly: true,
      recordCount: count,
      writerId: opts.writerId ?? -1,
      batchSequence: opts.seq ?? -1,
    },
    [body],
  );
}

function code(c: number, re?: RegExp) {
  return (e: unknown) => e instanceof FlussError && e.code === c && (re === undefined || re.test(e.message));
}

function offsets(records: Uint8Array): number[][] {
  return [...iterateBatches(records)].map((b) => [b.baseOffset, b.lastOffset]);
}

function segFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((n) => n.endsWith(".log"))
    .sort();
}

test("log: append assigns offsets and timestamps, read returns whole batches", () =>
  withDir(async (dir) => {
    const log = await open(dir);
    assert.equal(log.logStartOffset, 0);
    assert.equal(log.logEndOffset, 0);
    assert.equal(log.highWatermark, 0);

    const r1 = await log.append(batch(3), { nowMs: 1000 });
    assert.deepEqual(r1, { baseOffset: 0, lastOffset: 2, commitTimestamp: 1000, duplicate: false });
    // two batches in one call share the commit timestamp; a zero-record batch takes one offset
    const r2 = await log.append(concatBytes([batch(0), batch(2)]), { nowMs: 2000 });
    assert.deepEqual(r2, { baseOffset: 3, lastOffset: 5, commitTimestamp: 2000, duplicate: false });
    // the clock going back does not make commit timestamps go back
    const r3 = await log.append(batch(1), { nowMs: 1500 });
    assert.equal(r3.commitTimestamp, 2000);
    assert.equal(log.logEndOffset, 7);
    assert.equal(log.highWatermark, 7);

    const all = await log.read(0, 1 << 20);
    assert.deepEqual(offsets(all.records), [
      [0, 2],
      [3, 3],
      [4, 5],
      [6, 6],
    ]);
    assert.equal(all.highWatermark, 7);
    assert.equal(all.logStartOffset, 0);
    const ts = [...iterateBatches(all.records)].map((b) => b.commitTimestamp);
    assert.deepEqual(ts, [1000, 2000, 2000, 2000]);
    for (const b of iterateBatches(all.records)) assert.ok(b.isValid(), "CRC still valid after rewrite");

    // fetching inside a batch starts at that batch
    assert.deepEqual(offsets((await log.read(5, 1 << 20)).records), [
      [4, 5],
      [6, 6],
    ]);
    // at the high watermark: empty
    assert.equal((await log.read(7, 1 << 20)).records.length, 0);
    // out of range
    await assert.rejects(
      log.read(8, 100),
      code(ErrorCode.LOG_OFFSET_OUT_OF_RANGE_EXCEPTION, /offset 8 .* from offset 0 up to 7/),
    );
    await assert.rejects(log.read(-1, 100), code(ErrorCode.LOG_OFFSET_OUT_OF_RANGE_EXCEPTION));
    await log.close();
  }));

test("log: maxBytes limits whole batches, minOneBatch returns an oversized first batch", () =>
  withDir(async (dir) => {
    const log = await open(dir);
    const b = batch(1, { bodySize: 100 }); // 148 bytes
    for (let i = 0; i < 5; i++) await log.append(b.slice(), { nowMs: 1 });
    assert.deepEqual(offsets((await log.read(0, 2 * 148 + 10)).records), [
      [0, 0],
      [1, 1],
    ]);
    assert.equal((await log.read(0, 2 * 148 + 10)).records.length, 2 * 148);
    assert.deepEqual(offsets((await log.read(1, 10)).records), [[1, 1]]);
    assert.equal((await log.read(1, 10, { minOneBatch: false })).records.length, 0);
    // a partial first read (more than a header, less than the batch) is completed, not redone
    const partial = (await log.read(2, 100)).records;
    assert.deepEqual(offsets(partial), [[2, 2]]);
    assert.deepEqual(partial, (await log.read(2, 148)).records);
    assert.equal((await log.read(4, 100, { upTo: 4 })).records.length, 0);
    // upTo caps the read below the high watermark
    assert.deepEqual(offsets((await log.read(0, 1 << 20, { upTo: 2 })).records), [
      [0, 0],
      [1, 1],
    ]);
    await log.close();
  }));

test("log: malformed batches are rejected without changing the log", () =>
  withDir(async (dir) => {
    const log = await open(dir);
    await log.append(batch(2), { nowMs: 1 });
    const bad = batch(2);
    bad[bad.length - 1]! ^= 0xff;
    await assert.rejects(log.append(bad), code(ErrorCode.CORRUPT_RECORD_EXCEPTION, /crc/));
    await assert.rejects(log.append(batch(2).subarray(0, 40)), code(ErrorCode.CORRUPT_RECORD_EXCEPTION, /truncated|declares/));
    await assert.rejects(log.append(concatBytes([batch(1), new Uint8Array(5)])), code(ErrorCode.CORRUPT_RECORD_EXCEPTION));
    const magic = batch(1);
    magic[12] = 7;
    await assert.rejects(log.append(magic), code(ErrorCode.CORRUPT_RECORD_EXCEPTION, /magic 7/));
    const delta = batch(3);
    new DataView(delta.buffer).setInt32(28, 5, true);
    updateLogBatchCrc(delta);
    await assert.rejects(log.append(delta), code(ErrorCode.CORRUPT_RECORD_EXCEPTION, /last offset delta 5 but 3 records/));
    const negative = batch(3);
    new DataView(negative.buffer).setInt32(44, -2, true);
    updateLogBatchCrc(negative);
    await assert.rejects(log.append(negative), code(ErrorCode.CORRUPT_RECORD_EXCEPTION, /negative record count/));
    assert.equal(log.logEndOffset, 2);
    assert.deepEqual(await log.append(new Uint8Array(0)), {
      baseOffset: -1,
      lastOffset: -1,
      commitTimestamp: -1,
      duplicate: false,
    });
    // V1 batches are accepted too
    const r = await log.append(batch(4, { magic: 1 }), { nowMs: 2 });
    assert.deepEqual([r.baseOffset, r.lastOffset], [2, 5]);
    await log.close();
  }));

test("log: lookupOffsetForTimestamp finds the first batch at or after a timestamp", () =>
  withDir(async (dir) => {
    const log = await open(dir, { indexIntervalBytes: 100, segmentBytes: 500 });
    // offsets 0..9, timestamps 100, 200, ..., 1000, spread over several segments
    for (let i = 0; i < 10; i++) await log.append(batch(1, { bodySize: 60 }), { nowMs: (i + 1) * 100 });
    assert.ok(log.segmentCount > 1);
    assert.equal(await log.lookupOffsetForTimestamp(0), 0);
    assert.equal(await log.lookupOffsetForTimestamp(100), 0);
    assert.equal(await log.lookupOffsetForTimestamp(101), 1);
    assert.equal(await log.lookupOffsetForTimestamp(550), 5);
    assert.equal(await log.lookupOffsetForTimestamp(1000), 9);
    assert.equal(await log.lookupOffsetForTimestamp(1001), 10); // none → high watermark
    await log.close();
    const again = await open(dir, { indexIntervalBytes: 100, segmentBytes: 500 });
    assert.equal(await again.lookupOffsetForTimestamp(701), 7);
    assert.equal(again.localMaxTimestamp, 1000);
    await again.close();
  }));

test("log: idempotent writers are deduplicated and sequences enforced", () =>
  withDir(async (dir) => {
    const log = await open(dir, { clock: () => 100 });
    // a new writer must start at sequence 0
    await assert.rejects(
      log.append(batch(1, { writerId: 7, seq: 3 })),
      code(ErrorCode.OUT_OF_ORDER_SEQUENCE_EXCEPTION, /writer 7/),
    );
    const a = await log.append(batch(2, { writerId: 7, seq: 0 }), { nowMs: 10 });
    const b = await log.append(batch(1, { writerId: 7, seq: 1 }), { nowMs: 20 });
    await log.append(batch(1, { writerId: 8, seq: 0 }), { nowMs: 30 });
    // re-sending seq 0 returns the original offsets and appends nothing
    const dup = await log.append(batch(2, { writerId: 7, seq: 0 }), { nowMs: 40 });
    assert.deepEqual(dup, { baseOffset: a.baseOffset, lastOffset: a.lastOffset, commitTimestamp: 10, duplicate: true });
    assert.equal(log.logEndOffset, 4);
    // a gap is rejected
    await assert.rejects(log.append(batch(1, { writerId: 7, seq: 3 })), code(ErrorCode.OUT_OF_ORDER_SEQUENCE_EXCEPTION));
    // several batches of one writer in one request must be consecutive
    const two = await log.append(concatBytes([batch(1, { writerId: 7, seq: 2 }), batch(1, { writerId: 7, seq: 3 })]));
    assert.deepEqual([two.baseOffset, two.lastOffset], [4, 5]);
    assert.equal(b.baseOffset, 2);
    // only the last 5 batches are remembered
    for (let s = 4; s < 9; s++) await log.append(batch(1, { writerId: 7, seq: s }));
    await assert.rejects(log.append(batch(1, { writerId: 7, seq: 3 })), code(ErrorCode.OUT_OF_ORDER_SEQUENCE_EXCEPTION));
    assert.equal((await log.append(batch(1, { writerId: 7, seq: 4 }))).duplicate, true);
    await log.close();
  }));

test("log: writer state is rebuilt from the log after reopen", () =>
  withDir(async (dir) => {
    const log = await open(dir, { clock: () => 100 });
    await log.append(batch(1, { writerId: 3, seq: 0 }), { nowMs: 10 });
    const r = await log.append(batch(2, { writerId: 3, seq: 1 }), { nowMs: 20 });
    await log.append(batch(1), { nowMs: 30 });
    await log.close();

    const again = await open(dir, { clock: () => 100 });
    assert.equal(again.logEndOffset, 4);
    assert.equal(again.highWatermark, 4);
    const dup = await again.append(batch(2, { writerId: 3, seq: 1 }), { nowMs: 40 });
    assert.deepEqual(dup, { baseOffset: r.baseOffset, lastOffset: r.lastOffset, commitTimestamp: 20, duplicate: true });
    await assert.rejects(again.append(batch(1, { writerId: 3, seq: 5 })), code(ErrorCode.OUT_OF_ORDER_SEQUENCE_EXCEPTION));
    const next = await again.append(batch(1, { writerId: 3, seq: 2 }), { nowMs: 50 });
    assert.equal(next.baseOffset, 4);
    assert.equal(next.commitTimestamp, 50);
    await again.close();
  }));

test("log: expired writers are forgotten", () =>
  withDir(async (dir) => {
    const log = await open(dir, { writerExpirationMs: 1000 });
    await log.append(batch(1, { writerId: 1, seq: 0 }), { nowMs: 10 });
    await assert.rejects(
      log.append(batch(1, { writerId: 1, seq: 1 }), { nowMs: 5000 }),
      code(ErrorCode.OUT_OF_ORDER_SEQUENCE_EXCEPTION),
    );
    assert.equal((await log.append(batch(1, { writerId: 1, seq: 0 }), { nowMs: 5000 })).duplicate, false);
    await log.close();
  }));

test("log: a torn tail is truncated on open and appends continue", () =>
  withDir(async (dir) => {
    const cases: [string, (good: Uint8Array) => Uint8Array][] = [
      ["partial header", (g) => g.subarray(0, 20)],
      ["length beyond EOF", (g) => g.subarray(0, g.length - 3)],
      [
        "bad CRC on the last batch",
        (g) => {
          const c = g.slice();
          c[c.length - 1]! ^= 1;
          return c;
        },
      ],
      ["zeroed pages", (g) => new Uint8Array(g.length + 100)],
    ];
    for (const [what, tear] of cases) {
      const sub = path.join(dir, what.replace(/ /g, "-"));
      const log = await open(sub);
      await log.append(batch(2), { nowMs: 1 });
      await log.append(batch(3), { nowMs: 2 });
      await log.close();
      const file = path.join(sub, segFiles(sub)[0]!);
      const sizeBefore = fs.statSync(file).size;
      const torn = batch(4);
      new DataView(torn.buffer).setInt32(0, 5, true); // as if stamped with base offset 5
      fs.appendFileSync(file, tear(torn));

      const warnings: string[] = [];
      const again = await LogTablet.open(sub, { logger: { warn: (m) => warnings.push(m) } });
      assert.equal(fs.statSync(file).size, sizeBefore, what);
      assert.equal(warnings.length, 1, what);
      assert.match(warnings[0]!, /truncating torn tail/);
      assert.equal(again.logEndOffset, 5, what);
      const r = await again.append(batch(1), { nowMs: 3 });
      assert.equal(r.baseOffset, 5, what);
      assert.deepEqual(offsets((await again.read(0, 1 << 20)).records), [
        [0, 1],
        [2, 4],
        [5, 5],
      ]);
      await again.close();
    }
  }));

test("log: a corrupt batch before the tail is skipped: the batches around it are served, its offsets fail, the log stays writable", () =>
  withDir(async (dir) => {
    const log = await open(dir);
    await log.append(batch(2), { nowMs: 1 });
    await log.append(batch(3), { nowMs: 2 });
    await log.append(batch(1), { nowMs: 3 });
    await log.close();
    const file = path.join(dir, segFiles(dir)[0]!);
    const bytes = fs.readFileSync(file);
    const second = [...iterateBatches(bytes)][1]!.position;
    bytes[second + 60]! ^= 0xff; // inside the second batch's body (offsets 2..4)
    fs.writeFileSync(file, bytes);
    const errors: string[] = [];
    const again = await open(dir, { logger: { warn: () => undefined, error: (m) => errors.push(m) } });
    assert.equal(errors.length, 1);
    assert.ok(errors[0]!.includes(file) && errors[0]!.includes(`position ${second}`), errors[0]);
    assert.match(errors[0]!, /offsets 2 to 4 cannot be read/);
    assert.equal(fs.statSync(file).size, bytes.length, "nothing truncated");
    // before the bad batch: served (and a read from there stops in front of it)
    assert.deepEqual(offsets((await again.read(0, 1 << 20)).records), [[0, 1]]);
    // at it: Fluss's corrupt-record error naming the bucket and the offset
    for (const at of [2, 4]) {
      await assert.rejects(
        again.read(at, 1 << 20),
        code(
          ErrorCode.CORRUPT_RECORD_EXCEPTION,
          new RegExp(`offset ${at} in table bucket TableBucket\\{tableId=1, bucket=0\\}.*resume at offset 5`),
        ),
      );
    }
    // after it: served; appends go on
    assert.deepEqual(offsets((await again.read(5, 1 << 20)).records), [[5, 5]]);
    assert.equal((await again.append(batch(2), { nowMs: 4 })).baseOffset, 6);
    assert.deepEqual(offsets((await again.read(5, 1 << 20)).records), [
      [5, 5],
      [6, 7],
    ]);
    assert.equal(await again.lookupOffsetForTimestamp(4), 6);
    await again.close();
    const third = await open(dir);
    assert.equal(third.logEndOffset, 8);
    await assert.rejects(third.read(3, 100), code(ErrorCode.CORRUPT_RECORD_EXCEPTION));
    await third.close();
  }));

test("log: a corrupt header in an old segment loses only that segment's rest; a corrupt active-segment end is moved aside", () =>
  withDir(async (dir) => {
    const log = await open(dir, { segmentBytes: 250 });
    for (let i = 0; i < 8; i++) await log.append(batch(2, { bodySize: 52 }), { nowMs: i }); // 100 bytes each, 2 per segment
    await log.close();
    const files = segFiles(dir);
    assert.equal(files.length, 4);
    // the second batch header of the first segment: a length pointing nowhere
    const first = path.join(dir, files[0]!);
    const bytes = fs.readFileSync(first);
    bytes.writeInt32LE(0x7fff0000, 100 + 8);
    fs.writeFileSync(first, bytes);
    const errors: string[] = [];
    const again = await open(dir, { segmentBytes: 250, logger: { warn: () => undefined, error: (m) => errors.push(m) } });
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /offsets 2 to 3 cannot be read/);
    assert.equal(again.logEndOffset, 16);
    assert.deepEqual(offsets((await again.read(0, 1 << 20)).records), [[0, 1]]);
    await assert.rejects(again.read(3, 1 << 20), code(ErrorCode.CORRUPT_RECORD_EXCEPTION, /offset 3 .*resume at offset 4/));
    assert.deepEqual(offsets((await again.read(4, 1 << 20)).records), [
      [4, 5],
      [6, 7],
    ]);
    await again.close();

    // the last batch of the active segment, damaged mid-file (not a torn tail: zeros are not what follows)
    const last = path.join(dir, segFiles(dir).at(-1)!);
    const lb = fs.readFileSync(last);
    lb.writeInt32LE(-5, 100 + 8); // its last batch's length
    fs.writeFileSync(last, lb);
    const errors2: string[] = [];
    const third = await open(dir, { segmentBytes: 250, logger: { warn: () => undefined, error: (m) => errors2.push(m) } });
    assert.equal(errors2.length, 2, errors2.join("\n")); // the old segment's damage is reported again
    assert.match(errors2[1]!, /moved to .*\.corrupt-100 and the log continues at offset 14/);
    assert.ok(fs.existsSync(`${last}.corrupt-100`));
    assert.equal(third.logEndOffset, 14);
    assert.equal((await third.append(batch(1), { nowMs: 20 })).baseOffset, 14);
    await third.close();
  }));

test("log: segments roll at the configured size and reads cross them", () =>
  withDir(async (dir) => {
    const log = await open(dir, { segmentBytes: 400, indexIntervalBytes: 64 });
    const sizes: number[] = [];
    for (let i = 0; i < 20; i++) {
      const b = batch(2, { bodySize: 52 }); // 100 bytes
      sizes.push(b.length);
      await log.append(b, { nowMs: i });
    }
    assert.equal(log.logEndOffset, 40);
    const files = segFiles(dir);
    assert.equal(files.length, 5);
    assert.deepEqual(files.slice(0, 2), ["00000000000000000000.log", "00000000000000000008.log"]);
    for (const f of files) assert.ok(fs.statSync(path.join(dir, f)).size <= 400);

    // read everything by following the returned batches, as a fetcher would
    async function readAll(l: LogTablet): Promise<number[][]> {
      const seen: number[][] = [];
      let off = 0;
      while (off < l.highWatermark) {
        const { records } = await l.read(off, 250);
        const got = offsets(records);
        assert.ok(got.length > 0);
        seen.push(...got);
        off = got.at(-1)![1]! + 1;
      }
      return seen;
    }
    const expected = Array.from({ length: 20 }, (_, i) => [2 * i, 2 * i + 1]);
    assert.deepEqual(await readAll(log), expected);
    assert.deepEqual(offsets((await log.read(17, 1)).records), [[16, 17]]);
    await log.close();

    const again = await open(dir, { segmentBytes: 400, indexIntervalBytes: 64 });
    assert.equal(again.segmentCount, 5);
    assert.equal(again.logEndOffset, 40);
    assert.deepEqual(await readAll(again), expected);
    assert.equal((await again.append(batch(1), { nowMs: 99 })).baseOffset, 40);
    await again.close();
  }));

test("log: a torn tail in the segment before the last drops the last one; older ones must be intact", () =>
  withDir(async (dir) => {
    // a roll syncs the old segment in the background: a machine crash can tear its tail
    // while the next segment already exists
    const log = await open(dir, { segmentBytes: 250 });
    for (let i = 0; i < 6; i++) await log.append(batch(2, { bodySize: 52 }), { nowMs: i }); // 100 bytes each
    await log.close();
    const files = segFiles(dir);
    assert.equal(files.length, 3);
    const middle = path.join(dir, files[1]!);
    const goodSize = fs.statSync(middle).size;
    fs.appendFileSync(middle, batch(1).subarray(0, 30)); // a torn write at its end

    const warnings: string[] = [];
    const again = await open(dir, { segmentBytes: 250, logger: { warn: (m) => warnings.push(m) } });
    assert.equal(fs.statSync(middle).size, goodSize);
    assert.deepEqual(segFiles(dir), files.slice(0, 2));
    assert.equal(again.logEndOffset, 8);
    assert.equal(warnings.length, 2);
    assert.match(warnings[1]!, /removing .*00000000000000000008\.log/);
    assert.equal((await again.append(batch(1), { nowMs: 9 })).baseOffset, 8);
    await again.close();

    // the same damage two segments before the end is corruption, not a torn write: reported,
    // nothing removed, and as it holds no offsets every offset stays readable
    const dir2 = path.join(dir, "older");
    const log2 = await open(dir2, { segmentBytes: 250 });
    for (let i = 0; i < 8; i++) await log2.append(batch(2, { bodySize: 52 }), { nowMs: i });
    await log2.close();
    assert.equal(segFiles(dir2).length, 4);
    fs.appendFileSync(path.join(dir2, segFiles(dir2)[1]!), batch(1).subarray(0, 30));
    const errors: string[] = [];
    const reopened = await open(dir2, { segmentBytes: 250, logger: { warn: () => undefined, error: (m) => errors.push(m) } });
    assert.equal(segFiles(dir2).length, 4);
    assert.match(errors[0]!, /no offset is lost/);
    for (let off = 0; off < 16; off += 2) assert.deepEqual(offsets((await reopened.read(off, 100)).records), [[off, off + 1]]);
    await reopened.close();
  }));

test("log: a batch larger than the segment size gets its own segment", () =>
  withDir(async (dir) => {
    const log = await open(dir, { segmentBytes: 200 });
    await log.append(batch(1), { nowMs: 1 });
    await log.append(batch(1, { bodySize: 500 }), { nowMs: 1 });
    await log.append(batch(1), { nowMs: 1 });
    assert.equal(log.segmentCount, 3);
    assert.deepEqual(offsets((await log.read(1, 10)).records), [[1, 1]]);
    await log.close();
  }));

test("log: closed logs refuse work; delete removes the directory", () =>
  withDir(async (dir) => {
    const sub = path.join(dir, "t");
    const log = await open(sub);
    await log.append(batch(1));
    await log.delete();
    assert.equal(fs.existsSync(sub), false);
    await assert.rejects(log.append(batch(1)), code(ErrorCode.LOG_STORAGE_EXCEPTION, /closed/));
    await assert.rejects(log.read(0, 10), code(ErrorCode.LOG_STORAGE_EXCEPTION));
  }));

test("log: concurrent appends are serialized", () =>
  withDir(async (dir) => {
    const log = await open(dir);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => log.append(batch(1 + (i % 3)))));
    let next = 0;
    for (const r of results) {
      assert.equal(r.baseOffset, next);
      next = r.lastOffset + 1;
    }
    assert.equal(log.logEndOffset, next);
    await log.close();
  }));

test("log manager: lazy open, layout, drop table/partition, close", () =>
  withDir(async (dir) => {
    const mgr = new LogManager(dir, { logger: quiet });
    const a = await mgr.getOrCreate(1, undefined, 0);
    assert.equal(a, await mgr.getOrCreate(1, undefined, 0));
    assert.equal(a.name, "TableBucket{tableId=1, bucket=0}");
    await a.append(batch(2));
    const p = await mgr.getOrCreate(2, 5, 1);
    assert.equal(p.name, "TableBucket{tableId=2, partitionId=5, bucket=1}");
    await p.append(batch(1));
    const q = await mgr.getOrCreate(2, 6, 0);
    await q.append(batch(1));
    assert.ok(fs.existsSync(path.join(dir, "log", "1", "0", "00000000000000000000.log")));
    assert.ok(fs.existsSync(path.join(dir, "log", "2", "p5", "1")));

    await mgr.dropPartition(2, 5);
    assert.equal(fs.existsSync(path.join(dir, "log", "2", "p5")), false);
    assert.ok(fs.existsSync(path.join(dir, "log", "2", "p6")));
    assert.equal(mgr.getIfOpen(2, 5, 1), undefined);
    await mgr.dropTable(2);
    assert.equal(fs.existsSync(path.join(dir, "log", "2")), false);
    // a re-created bucket starts empty
    assert.equal((await mgr.getOrCreate(2, 5, 1)).logEndOffset, 0);
    await mgr.closeAll();
    await assert.rejects(mgr.getOrCreate(1, undefined, 0), code(ErrorCode.LOG_STORAGE_EXCEPTION));

    const mgr2 = new LogManager(dir, { logger: quiet });
    assert.equal((await mgr2.getOrCreate(1, undefined, 0)).logEndOffset, 2);
    await mgr2.closeAll();
  }));

test("syncEveryAppend and the default (page cache + flush) both keep appended data across reopen", async () => {
  for (const syncEveryAppend of [true, false]) {
    await withDir(async (dir) => {
      const log = await open(dir, { syncEveryAppend });
      await log.append(batch(1));
      await log.flush();
      await log.append(batch(2));
      await log.close();
      const again = await open(dir, { syncEveryAppend });
      assert.equal(again.logEndOffset, 3, `syncEveryAppend=${syncEveryAppend}`);
      await again.close();
    });
  }
});

test("open segment files stay under maxOpenSegmentFiles: idle ones are closed and reopened on use", () =>
  withDir(async (dir) => {
    const fdCount = (): number => (fs.existsSync("/proc/self/fd") ? fs.readdirSync("/proc/self/fd").length : 0);
    const before = fdCount();
    const mgr = new LogManager(dir, { logger: quiet, maxOpenSegmentFiles: 4, syncEveryAppend: false, flushIntervalMs: 20 });
    const n = 40;
    for (let round = 0; round < 3; round++) {
      for (let b = 0; b < n; b++) {
        const log = await mgr.getOrCreate(1, undefined, b);
        assert.equal((await log.append(batch(1 + round), { nowMs: round })).baseOffset, [0, 1, 3][round]);
        assert.ok(mgr.openFiles.openCount <= 4);
      }
      await new Promise((r) => setTimeout(r, 40)); // the periodic flush reopens dirty files to sync them
      assert.ok(mgr.openFiles.openCount <= 4);
      if (before > 0) assert.ok(fdCount() - before <= 4 + 2, `${fdCount() - before} descriptors more`);
    }
    for (let b = 0; b < n; b++) {
      assert.deepEqual(offsets((await (await mgr.getOrCreate(1, undefined, b)).read(0, 1 << 20)).records), [
        [0, 0],
        [1, 2],
        [3, 5],
      ]);
    }
    await mgr.closeAll();
    assert.equal(mgr.openFiles.openCount, 0);
    if (before > 0) assert.ok(fdCount() <= before + 1);
    const again = new LogManager(dir, { logger: quiet, maxOpenSegmentFiles: 4 });
    for (let b = 0; b < n; b++) assert.equal((await again.getOrCreate(1, undefined, b)).logEndOffset, 6);
    await again.closeAll();
  }));
