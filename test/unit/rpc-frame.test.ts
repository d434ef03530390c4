import { test } from "node:test";
import assert from "node:assert/strict";
import {
  FrameDecoder,
  FrameError,
  ResponseType,
  encodeErrorResponseFrame,
  encodeRequestFrame,
  encodeRequestMessage,
  encodeResponseFrame,
  encodeResponseMessage,
  encodeServerFailureFrame,
  errorFromErrorResponse,
  errorResponseFromError,
  makeErrorResponse,
  parseRequestHeader,
  parseResponseFrame,
} from "../../src/rpc/frame.js";
import { ApiVersionsRequest, AuthenticateResponse, ErrorResponse, MetadataRequest } from "../../src/rpc/messages.js";
import { ErrorCode, FlussError } from "../../src/rpc/errors.js";
import { concatBytes } from "../../src/util/bytes.js";
import { fromHex, toHex } from "../../src/util/bytes.js";

const hex = (s: string) => s.replace(/\s+/g, "");

test("ApiVersions request frame (protocol.md §1.3)", () => {
  const expected = hex("00 00 00 16 03 e8 00 00 00 00 00 00 0a 05 66 6c 75 73 73 12 05 30 2e 31 2e 30");
  const msg = { clientSoftwareName: "fluss", clientSoftwareVersion: "0.1.0" };
  assert.equal(toHex(encodeRequestMessage(1000, 0, 0, ApiVersionsRequest, msg)), expected);
  assert.equal(toHex(encodeRequestFrame(1000, 0, 0, ApiVersionsRequest.encode(msg))), expected);
  const header = parseRequestHeader(fromHex(expected).subarray(4));
  assert.equal(header.apiKey, 1000);
  assert.equal(header.apiVersion, 0);
  assert.equal(header.requestId, 0);
  assert.deepEqual(ApiVersionsRequest.decode(header.body), msg);
});

test("error response frame (TABLE_NOT_EXIST, id 42, 'x')", () => {
  const expected = hex("00 00 00 0a 01 00 00 00 2a 08 07 12 01 78");
  assert.equal(toHex(encodeErrorResponseFrame(42, ErrorCode.TABLE_NOT_EXIST, "x")), expected);
  const frame = parseResponseFrame(fromHex(expected).subarray(4));
  if (frame.type === ResponseType.SERVER_FAILURE) assert.fail("expected an error response");
  assert.equal(frame.type, ResponseType.ERROR_RESPONSE);
  assert.equal(frame.requestId, 42);
  const err = errorFromErrorResponse(ErrorResponse.decode(frame.body));
  assert.equal(err.code, 7);
  assert.equal(err.name, "TABLE_NOT_EXIST");
  assert.equal(err.message, "x");
});

test("ErrorResponse with -1 and the default message rule", () => {
  assert.ok(toHex(ErrorResponse.encode(makeErrorResponse(-1, "boom"))).startsWith(hex("08 ff ff ff ff ff ff ff ff ff 01")));
  // default message omitted, and restored on the receiving side
  const resp = makeErrorResponse(ErrorCode.TABLE_NOT_EXIST, "The table does not exist.");
  assert.deepEqual(resp, { errorCode: 7 });
  assert.equal(toHex(encodeErrorResponseFrame(1, 7, "The table does not exist.")), hex("00 00 00 07 01 00 00 00 01 08 07"));
  assert.equal(errorFromErrorResponse(resp).message, "The table does not exist.");
  assert.deepEqual(makeErrorResponse(7, ""), { errorCode: 7 });
  assert.deepEqual(errorResponseFromError(new FlussError(7, "no t")), { errorCode: 7, errorMessage: "no t" });
  const unknown = errorResponseFromError(new Error("kaput"));
  assert.equal(unknown.errorCode, -1);
  assert.match(unknown.errorMessage ?? "", /kaput/);
});

test("server failure frame (code -1, 'boom')", () => {
  const expected = hex("00 00 00 12 02 08 ff ff ff ff ff ff ff ff ff 01 12 04 62 6f 6f 6d");
  assert.equal(toHex(encodeServerFailureFrame(-1, "boom")), expected);
  const frame = parseResponseFrame(fromHex(expected).subarray(4));
  assert.equal(frame.type, ResponseType.SERVER_FAILURE);
  assert.equal("requestId" in frame, false);
  assert.deepEqual(ErrorResponse.decode(frame.body), { errorCode: -1, errorMessage: "boom" });
});

test("Java-style metadata request ends with 1a 00", () => {
  const expected = hex("00 00 00 1b 03 f4 00 00 00 00 00 07 0a 0f 0a 05 66 6c 75 73 73 12 06 6f 72 64 65 72 73 1a 00");
  const msg = { tablePath: [{ databaseName: "fluss", tableName: "orders" }], partitionsPath: [], partitionsId: [] };
  assert.equal(toHex(encodeRequestMessage(1012, 0, 7, MetadataRequest, msg)), expected);
});

test("AuthenticateResponse with empty challenge, success frame", () => {
  const expected = hex("00 00 00 07 00 00 00 00 01 0a 00");
  assert.equal(toHex(encodeResponseMessage(1, AuthenticateResponse, { challenge: new Uint8Array(0) })), expected);
  assert.equal(toHex(encodeResponseFrame(1, fromHex("0a00"))), expected);
  const frame = parseResponseFrame(fromHex(expected).subarray(4));
  assert.equal(frame.type, ResponseType.SUCCESS_RESPONSE);
  assert.equal(toHex(frame.body), "0a00");
  // empty response message → body of 0 bytes
  assert.equal(toHex(encodeResponseFrame(3, new Uint8Array(0))), hex("00 00 00 05 00 00 00 00 03"));
});

test("malformed headers are FrameErrors", () => {
  assert.throws(() => parseRequestHeader(fromHex("03e8")), FrameError);
  assert.throws(() => parseResponseFrame(new Uint8Array(0)), FrameError);
  assert.throws(() => parseResponseFrame(fromHex("07000000")), /unknown response type 7/);
  assert.throws(() => parseResponseFrame(fromHex("0000")), FrameError);
});

test("FrameDecoder splits and joins frames pushed in any chunking", () => {
  const a = encodeResponseFrame(1, fromHex("aabb"));
  const b = encodeResponseFrame(2, new Uint8Array(0));
  const c = encodeResponseFrame(3, new Uint8Array(1000).fill(7));
  const all = concatBytes([a, b, c]);
  const d1 = new FrameDecoder();
  const frames = d1.push(all);
  assert.equal(frames.length, 3);
  assert.equal(toHex(frames[0]!), "0000000001aabb");
  assert.equal(frames[2]!.length, 1005);
  // frames are copies: the decoder reuses its staging buffer
  assert.notEqual(frames[0]!.buffer, all.buffer);

  for (const step of [1, 3, 7, 500]) {
    const d = new FrameDecoder();
    const out: Uint8Array[] = [];
    for (let i = 0; i < all.length; i += step) out.push(...d.push(all.subarray(i, i + step)));
    assert.deepEqual(out.map(toHex), frames.map(toHex), `step ${step}`);
    assert.equal(d.hasPartialFrame, false);
  }
});

/** Feeds `stream` the way a socket with `onread` does: reads of at most `readSize` into nextBuffer(). */
function readThrough(d: FrameDecoder, stream: Uint8Array, readSize: (i: number) => number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let off = 0;
  for (let i = 0; off < stream.length; i++) {
    const into = d.nextBuffer();
    assert.ok(into.length > 0, "nextBuffer is never empty");
    const n = Math.min(into.length, readSize(i), stream.length - off);
    into.set(stream.subarray(off, off + n));
    off += n;
    out.push(...d.received(n));
  }
  return out;
}

test("FrameDecoder receives large frames straight into their own buffers, small ones via staging", () => {
  const sizes = [10, 200_000, 3, 40_000, 16_384, 16_385, 70_000, 0, 1_500_000, 12];
  const bodies = sizes.map((n, i) => Uint8Array.from({ length: n }, (_, j) => (i * 31 + j * 7) & 0xff));
  const stream = concatBytes(bodies.map((body, i) => encodeResponseFrame(i, body)));
  const expected = bodies.map((body, i) => toHex(encodeResponseFrame(i, body).subarray(4)));
  for (const readSize of [() => 65536, () => 1, (i: number) => ((i * 7919) % 90_000) + 1, () => 8]) {
    const d = new FrameDecoder();
    const frames = readThrough(d, stream, readSize);
    assert.deepEqual(frames.map(toHex), expected);
    assert.equal(d.hasPartialFrame, false);
  }
});

test("FrameDecoder takes buffers offered by acquire for large frames and shows it the header", () => {
  const body = new Uint8Array(100_000).fill(9);
  const frame = encodeRequestFrame(5, 0, 77, body);
  const offered = new Uint8Array(256 * 1024);
  const seen: { length: number; apiKey: number }[] = [];
  const d = new FrameDecoder({
    acquire: (length, head) => {
      seen.push({ length, apiKey: (head[0]! << 8) | head[1]! });
      return offered;
    },
  });
  const frames = readThrough(d, concatBytes([frame, encodeRequestFrame(1, 0, 78, new Uint8Array(5))]), () => 4096);
  assert.deepEqual(seen, [{ length: frame.length - 4, apiKey: 5 }]);
  assert.equal(frames.length, 2);
  assert.equal(frames[0]!.buffer, offered.buffer);
  assert.equal(frames[0]!.length, frame.length - 4);
  assert.equal(toHex(frames[0]!), toHex(frame.subarray(4)));
  assert.equal(frames[1]!.length, 8 + 5);
  // a too-small offer is not used
  const d2 = new FrameDecoder({ acquire: () => new Uint8Array(10) });
  const [f] = readThrough(d2, frame, () => 65536);
  assert.equal(toHex(f!), toHex(frame.subarray(4)));
});

test("FrameDecoder grows the buffer of a frame longer than eagerFrameBytes as its bytes arrive", () => {
  const d = new FrameDecoder({ eagerFrameBytes: 32 * 1024 });
  // a peer announces 50 MB but sends 40 KB: the buffer it costs stays near what was sent
  const announced = concatBytes([Uint8Array.of(0x02, 0xfa, 0xf0, 0x80), new Uint8Array(40_000).fill(1)]);
  readThrough(d, announced, () => 65536);
  assert.ok(d.hasPartialFrame);
  assert.ok(d.nextBuffer().buffer.byteLength <= 128 * 1024, `buffer of ${d.nextBuffer().buffer.byteLength} bytes`);
  // and a long frame still arrives whole
  const body = Uint8Array.from({ length: 300_000 }, (_, j) => j & 0xff);
  const d2 = new FrameDecoder({ eagerFrameBytes: 32 * 1024 });
  const [f] = readThrough(d2, encodeResponseFrame(9, body), () => 10_000);
  assert.equal(toHex(f!.subarray(5)), toHex(body));
});

test("FrameDecoder rejects negative lengths and frames over the limit", () => {
  const neg = new FrameDecoder();
  assert.throws(
    () => neg.push(fromHex("ffffffff00")),
    (e: unknown) => e instanceof FrameError && /negative/.test(e.message),
  );
  assert.throws(() => neg.push(fromHex("00")), FrameError); // stays failed

  const small = new FrameDecoder({ maxFrameBytes: 16 });
  assert.deepEqual(small.push(fromHex(`0000000c${"00".repeat(12)}`)).length, 1); // 4 + 12 = 16 is fine
  assert.throws(
    () => small.push(fromHex("0000000d")),
    (e: unknown) => e instanceof FrameError && /exceeds/.test(e.message),
  );
  // length split across chunks is still checked
  const split = new FrameDecoder({ maxFrameBytes: 16 });
  split.push(fromHex("0000"));
  assert.throws(() => split.push(fromHex("0100")), FrameError);
});
