import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import protobuf from "protobufjs";
import { OUTPUT_PATH, PROTO_PATH, camelCase, generateMessages } from "../../scripts/gen-proto.js";
import {
  ApiVersionsResponse,
  ErrorResponse,
  FetchLogRequest,
  GetDatabaseInfoResponse,
  GetTableInfoResponse,
  ListOffsetsRequest,
  LookupResponse,
  MetadataRequest,
  MetadataResponse,
  type PbLiteralValue,
  type PbPredicate,
  PbPutKvRespForBucket,
  CreateTableResponse,
  DatabaseExistsResponse,
  PbListOffsetsRespForBucket as ListOffsetsRespForBucketCodec,
} from "../../src/rpc/messages.js";
import { ProtocolError } from "../../src/rpc/protobuf.js";
import { FlussError } from "../../src/rpc/errors.js";
import { fromHex, toHex } from "../../src/util/bytes.js";

test("committed messages.ts is what the generator produces", () => {
  assert.equal(generateMessages(readFileSync(PROTO_PATH, "utf8")), readFileSync(OUTPUT_PATH, "utf8"));
});

test("camelCase of proto names", () => {
  assert.equal(camelCase("table_json"), "tableJson");
  assert.equal(camelCase("startTimestamp"), "startTimestamp");
  assert.equal(camelCase("timestamp_nano_of_millis_value"), "timestampNanoOfMillisValue");
});

test("empty packed repeated field is written as tag + length 0 (Java protogen)", () => {
  assert.equal(toHex(MetadataRequest.encode({ tablePath: [], partitionsPath: [], partitionsId: [] })), "1a00");
  const req = MetadataRequest.encode({
    tablePath: [{ databaseName: "fluss", tableName: "orders" }],
    partitionsPath: [],
    partitionsId: [],
  });
  assert.equal(toHex(req), "0a0f0a05666c75737312066f72646572731a00");
  assert.deepEqual(MetadataRequest.decode(req), {
    tablePath: [{ databaseName: "fluss", tableName: "orders" }],
    partitionsPath: [],
    partitionsId: [],
  });
  // prost-style (omitted) packed field decodes to an empty list
  assert.deepEqual(MetadataRequest.decode(new Uint8Array(0)).partitionsId, []);
});

test("negative int32 is a 10-byte sign-extended varint", () => {
  assert.equal(toHex(ErrorResponse.encode({ errorCode: -1 })), "08ffffffffffffffffff01");
  assert.deepEqual(ErrorResponse.decode(fromHex("08ffffffffffffffffff01")), { errorCode: -1 });
  assert.equal(toHex(ErrorResponse.encode({ errorCode: -2147483648 })), "0880808080f8ffffffff01");
  assert.deepEqual(ErrorResponse.decode(fromHex("0880808080f8ffffffff01")), { errorCode: -2147483648 });
});

test("int64 values: negatives, above 2^32, up to 2^53-1, round trip", () => {
  const values = [
    0,
    1,
    127,
    128,
    2 ** 31,
    2 ** 32 - 1,
    2 ** 32,
    2 ** 32 + 5,
    1700000000000,
    Number.MAX_SAFE_INTEGER,
    -1,
    -2,
    -(2 ** 32),
    Number.MIN_SAFE_INTEGER,
  ];
  for (const v of values) {
    const msg = { bucketId: 3, offset: v };
    const bytes = ListOffsetsRespForBucketCodec.encode(msg);
    assert.equal(bytes.length, ListOffsetsRespForBucketCodec.encodedSize(msg));
    assert.deepEqual(ListOffsetsRespForBucketCodec.decode(bytes), msg, `value ${v}`);
    // cross-check with protobufjs
    const pj = PJ_LIST_OFFSETS_RESP.decode(bytes).toJSON() as { offset?: string };
    assert.equal(BigInt(pj.offset ?? "0"), BigInt(v), `protobufjs reads ${v}`);
    assert.equal(toHex(PJ_LIST_OFFSETS_RESP.encode({ bucket_id: 3, offset: pjLong(String(v)) }).finish()), toHex(bytes));
  }
  assert.equal(toHex(ListOffsetsRespForBucketCodec.encode({ bucketId: 0, offset: -1 })).slice(4), "20ffffffffffffffffff01");
});

test("int64 beyond the safe range is rejected on decode and encode", () => {
  const big = PJ_LIST_OFFSETS_RESP.encode({ bucket_id: 1, offset: pjLong("9007199254740993") }).finish();
  assert.throws(() => ListOffsetsRespForBucketCodec.decode(big), ProtocolError);
  const neg = PJ_LIST_OFFSETS_RESP.encode({ bucket_id: 1, offset: pjLong("-9007199254740993") }).finish();
  assert.throws(() => ListOffsetsRespForBucketCodec.decode(neg), ProtocolError);
  assert.throws(() => ListOffsetsRespForBucketCodec.encode({ bucketId: 1, offset: 2 ** 53 }), /offset/);
  assert.throws(() => ListOffsetsRespForBucketCodec.encode({ bucketId: 1.5 }), /bucketId/);
});

test("missing required fields fail encode and decode with a ProtocolError naming them", () => {
  assert.throws(
    () =>
      GetTableInfoResponse.encode({
        tableId: 1,
        schemaId: 0,
        createdTime: 0,
        modifiedTime: 0,
      } as unknown as GetTableInfoResponse),
    (e: unknown) => e instanceof ProtocolError && e instanceof FlussError && /GetTableInfoResponse.*tableJson/.test(e.message),
  );
  assert.throws(() => ErrorResponse.decode(fromHex("120178")), /ErrorResponse.*errorCode/);
  assert.throws(() => DatabaseExistsResponse.decode(new Uint8Array(0)), /exists/);
  // nested required field
  assert.throws(() => MetadataResponse.decode(fromHex("0a020801")), /PbServerNode.*host/);
});

test("unknown fields of every wire type are skipped", () => {
  // field 1 = 5 (known); 9 varint; 10 fixed64; 11 length-delimited; 12 group; 13 fixed32
  const hex = "0805" + "4896" + "01" + "510102030405060708" + "5a03616263" + "63" + "0801" + "64" + "6d01020304";
  assert.deepEqual(ErrorResponse.decode(fromHex(hex)), { errorCode: 5 });
  assert.throws(() => ErrorResponse.decode(fromHex("0805" + "4e")), ProtocolError); // wire type 6
  assert.throws(() => ErrorResponse.decode(fromHex("0805" + "5a05616263")), ProtocolError); // truncated
});

test("bool: only varint 1 is true; empty message body is empty", () => {
  assert.deepEqual(DatabaseExistsResponse.decode(fromHex("0801")), { exists: true });
  assert.deepEqual(DatabaseExistsResponse.decode(fromHex("0802")), { exists: false });
  assert.deepEqual(DatabaseExistsResponse.decode(fromHex("0800")), { exists: false });
  assert.equal(CreateTableResponse.encode({}).length, 0);
  assert.deepEqual(CreateTableResponse.decode(fromHex("0801")), {});
});

test("packable repeated fields accept packed and unpacked forms", () => {
  // ListOffsetsRequest.bucket_id (5, packed): unpacked elements 28 01 28 02, then packed 2a 02 03 04
  const req = fromHex("08ffffffffffffffffff01" + "1000" + "1807" + "2801" + "2802" + "2a020304");
  assert.deepEqual(ListOffsetsRequest.decode(req), { followerServerId: -1, offsetType: 0, tableId: 7, bucketId: [1, 2, 3, 4] });
  // re-encoded packed
  assert.equal(
    toHex(ListOffsetsRequest.encode({ followerServerId: -1, offsetType: 0, tableId: 7, bucketId: [1, 2, 3, 4] })),
    "08ffffffffffffffffff01100018072a0401020304",
  );
});

test("bytes decode as zero-copy views; strings round trip UTF-8", () => {
  const json = new TextEncoder().encode('{"k":"v"}');
  const bytes = GetDatabaseInfoResponse.encode({ databaseJson: json, createdTime: 1, modifiedTime: 2 });
  const decoded = GetDatabaseInfoResponse.decode(bytes);
  assert.deepEqual([...decoded.databaseJson], [...json]);
  assert.equal(decoded.databaseJson.buffer, bytes.buffer);
  const msg = { errorCode: 7, errorMessage: `tablé 表 🚀 ${"x".repeat(200)}` };
  assert.deepEqual(ErrorResponse.decode(ErrorResponse.encode(msg)), msg);
  assert.equal(ErrorResponse.encodedSize(msg), ErrorResponse.encode(msg).length);
});

test("complex messages match protobufjs byte for byte (non-empty packed fields)", () => {
  const meta: MetadataResponse = {
    coordinatorServer: { nodeId: 0, host: "127.0.0.1", port: 9123 },
    tabletServers: [{ nodeId: 1, host: "localhost", port: 9124, rack: "r1" }],
    tableMetadata: [
      {
        tablePath: { databaseName: "fluss", tableName: "t" },
        tableId: 2 ** 40,
        schemaId: 1,
        tableJson: new TextEncoder().encode("{}"),
        bucketMetadata: [
          { bucketId: 0, leaderId: 1, replicaId: [1], leaderEpoch: 0 },
          { bucketId: 1, replicaId: [1, 2, 300] },
        ],
        createdTime: 1700000000123,
        modifiedTime: 1700000000456,
      },
    ],
    partitionMetadata: [{ tableId: 3, partitionName: "2024", partitionId: 9, bucketMetadata: [{ bucketId: 0, replicaId: [5] }] }],
  };
  const ours = MetadataResponse.encode(meta);
  assert.deepEqual(MetadataResponse.decode(ours), meta);
  const T = PJ_ROOT.lookupType("fluss.MetadataResponse");
  const viaPj = T.encode(T.decode(ours)).finish();
  assert.equal(toHex(viaPj), toHex(ours));
});

test("floats, doubles, recursive messages and repeated bytes", () => {
  const lit: PbLiteralValue = {
    literalType: 6,
    isNull: false,
    doubleValue: 3.25,
    floatValue: 1.5,
    bigintValue: -5,
    stringValue: "s",
  };
  const pred: PbPredicate = {
    type: 1,
    compound: {
      function: 0,
      children: [
        { type: 0, leaf: { function: 0, fieldId: 2, literals: [lit] } },
        { type: 0, leaf: { function: 6, fieldId: 3, literals: [] } },
      ],
    },
  };
  const req: FetchLogRequest = {
    followerServerId: -1,
    maxBytes: 16 * 1024 * 1024,
    tablesReq: [
      {
        tableId: 5,
        projectionPushdownEnabled: true,
        projectedFields: [0, 2],
        bucketsReq: [{ bucketId: 0, fetchOffset: 0, maxFetchBytes: 1024 }],
        filterPredicate: pred,
        filterSchemaId: 1,
      },
    ],
    maxWaitMs: 500,
  };
  const bytes = FetchLogRequest.encode(req);
  assert.deepEqual(FetchLogRequest.decode(bytes), req);
  const T = PJ_ROOT.lookupType("fluss.FetchLogRequest");
  assert.equal(toHex(T.encode(T.decode(bytes)).finish()), toHex(bytes));

  const put: PbPutKvRespForBucket = { bucketId: 1, pressure: 0.5 };
  assert.deepEqual(PbPutKvRespForBucket.decode(PbPutKvRespForBucket.encode(put)), put);

  const lookup: LookupResponse = {
    bucketsResp: [{ bucketId: 0, values: [{ values: fromHex("0102") }, {}] }],
  };
  const decoded = LookupResponse.decode(LookupResponse.encode(lookup));
  assert.equal(decoded.bucketsResp[0]!.values.length, 2);
  assert.equal(decoded.bucketsResp[0]!.values[1]!.values, undefined);
  assert.equal(toHex(decoded.bucketsResp[0]!.values[0]!.values!), "0102");
});

test("ApiVersionsResponse server_type absent vs present", () => {
  const a: ApiVersionsResponse = { apiVersions: [{ apiKey: 1000, minVersion: 0, maxVersion: 0 }] };
  assert.deepEqual(ApiVersionsResponse.decode(ApiVersionsResponse.encode(a)), a);
  const b: ApiVersionsResponse = { apiVersions: [], serverType: 2 };
  assert.deepEqual(ApiVersionsResponse.decode(ApiVersionsResponse.encode(b)), b);
});

// --- helpers -------------------------------------------------------------------------------

const PJ_ROOT = protobuf.parse(readFileSync(PROTO_PATH, "utf8"), { keepCase: true }).root;
PJ_ROOT.resolveAll();
/** A protobufjs Long for an int64 string (protobufjs' own types hide `fromString`). */
function pjLong(s: string): number {
  return (protobuf.util.Long as unknown as { fromString(v: string): number }).fromString(s);
}
const PJ_LIST_OFFSETS_RESP = PJ_ROOT.lookupType("fluss.PbListOffsetsRespForBucket");
