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
  const expected = hex(
    "00 00 00 1b 03 f4 00 00 00 00 00 07 0a 0f 0a 05 66 6c 75 73 73 12 06 6f 72 64 65 72 73 1a 00",
  );
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

test("FrameDecoder splits, joins and views frames", () => {
  const a = encodeResponseFrame(1, fromHex("aabb"));
  const b = encodeResponseFrame(2, new Uint8Array(0));
  const c = encodeResponseFrame(3, new Uint8Array(1000).fill(7));
  const all = new Uint8Array(a.length + b.length + c.length);
  all.set(a, 0);
  all.set(b, a.length);
  all.set(c, a.length + b.length);

  // in one chunk: views, no copies
  const d1 = new FrameDecoder();
  const frames = d1.push(all);
  assert.equal(frames.length, 3);
  assert.equal(frames[0]!.buffer, all.buffer);
  assert.equal(toHex(frames[0]!), "0000000001aabb");
  assert.equal(frames[2]!.length, 1005);

  // byte by byte, and in odd-sized chunks
  for (const step of [1, 3, 7, 500]) {
    const d = new FrameDecoder();
    const out: Uint8Array[] = [];
    for (let i = 0; i < all.length; i += step) out.push(...d.push(all.subarray(i, i + step)));
    assert.deepEqual(out.map(toHex), frames.map(toHex), `step ${step}`);
    assert.equal(d.hasPartialFrame, false);
  }
});

test("FrameDecoder rejects negative lengths and frames over the limit", () => {
  const neg = new FrameDecoder();
  assert.throws(() => neg.push(fromHex("ffffffff00")), (e: unknown) => e instanceof FrameError && /negative/.test(e.message));
  assert.throws(() => neg.push(fromHex("00")), FrameError); // stays failed

  const small = new FrameDecoder(16);
  assert.deepEqual(small.push(fromHex("0000000c" + "00".repeat(12))).length, 1); // 4 + 12 = 16 is fine
  assert.throws(() => small.push(fromHex("0000000d")), (e: unknown) => e instanceof FrameError && /exceeds/.test(e.message));
  // length split across chunks is still checked
  const split = new FrameDecoder(16);
  split.push(fromHex("0000"));
  assert.throws(() => split.push(fromHex("0100")), FrameError);
});
