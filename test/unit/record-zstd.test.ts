/** ZSTD for Arrow buffers (record/arrow/zstd.ts): native encoder, WebAssembly decoder, native fallback. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { CompressionType } from "apache-arrow/fb/compression-type";
import { ErrorCode, FlussError } from "../../src/rpc/errors.js";
import { zstdCompress, zstdDecompress } from "../../src/record/arrow/zstd.js";
import { decodeCompressedBuffer, encodeCompressedBuffer } from "../../src/record/arrow/compression.js";

function same(actual: Uint8Array, expected: Uint8Array, msg?: string): void {
  assert.ok(Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).equals(expected), msg);
}

function sample(n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = 7;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = i % 3 === 0 ? x >>> 24 : i & 0x3f;
  }
  return out;
}

test("round trip at several levels and sizes, with and without the known length", () => {
  for (const n of [1, 100, 65_536, 3_000_001]) {
    const data = sample(n);
    for (const level of [1, 3, 9]) {
      const frame = zstdCompress(data, level);
      same(zstdDecompress(frame, n), data, `n=${n} level=${level} (WebAssembly, sized)`);
      // Our frames carry no content size: without a length the native streaming decoder runs.
      same(zstdDecompress(frame), data, `n=${n} level=${level} (unsized)`);
    }
  }
});

test("Arrow buffer framing uses the length prefix to size the output", () => {
  const data = sample(200_000);
  const encoded = encodeCompressedBuffer({ type: "ZSTD", level: 3 }, data);
  assert.ok(encoded.length < data.length);
  same(decodeCompressedBuffer(CompressionType.ZSTD, encoded), data);
});

test("corrupt frames and wrong lengths are CORRUPT_RECORD_EXCEPTION", () => {
  const frame = zstdCompress(sample(10_000), 3);
  const corrupt = Uint8Array.from(frame);
  corrupt.fill(0xab, 8, 40);
  for (const [bytes, len] of [
    [corrupt, 10_000],
    [corrupt, undefined],
    [frame.subarray(0, frame.length - 5), 10_000],
    [frame, 100],
    [new Uint8Array([1, 2, 3, 4, 5, 6]), undefined],
  ] as const) {
    assert.throws(
      () => zstdDecompress(bytes, len),
      (e: unknown) => e instanceof FlussError && e.code === ErrorCode.CORRUPT_RECORD_EXCEPTION,
    );
  }
  // still usable afterwards
  assert.equal(zstdDecompress(frame, 10_000).length, 10_000);
});
