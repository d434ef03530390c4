import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { ServerConnection } from "../../src/rpc/server-connection.js";
import {
  FrameDecoder,
  encodeErrorResponseFrame,
  encodeResponseFrame,
  encodeResponseMessage,
  encodeServerFailureFrame,
  parseRequestHeader,
  type RequestHeader,
} from "../../src/rpc/frame.js";
import {
  ApiVersionsRequest,
  ApiVersionsResponse,
  DatabaseExistsRequest,
  DatabaseExistsResponse,
  ListTablesRequest,
  ListTablesResponse,
  type PbApiVersion,
  ProduceLogRequest,
  ProduceLogResponse,
} from "../../src/rpc/messages.js";
import { encodeProduceLogRequestChunks } from "../../src/rpc/produce-encoding.js";
import { ApiKey, COORDINATOR_API_KEYS, TABLET_SERVER_API_KEYS, apiKeyName, clientVersionRange } from "../../src/rpc/api-keys.js";
import { ErrorCode, FlussError } from "../../src/rpc/errors.js";

// --- a tiny fake server speaking Fluss framing ----------------------------------------------

interface FakeOptions {
  versions?: PbApiVersion[];
  serverType?: number;
  /** Called for every non-handshake request. */
  onRequest?: (req: RequestHeader, socket: net.Socket) => void;
}

interface Fake {
  port: number;
  handshakes: { header: RequestHeader; msg: ApiVersionsRequest }[];
  sockets: Set<net.Socket>;
  close(): Promise<void>;
}

const DEFAULT_VERSIONS: PbApiVersion[] = [
  { apiKey: ApiKey.API_VERSIONS, minVersion: 0, maxVersion: 0 },
  { apiKey: ApiKey.DATABASE_EXISTS, minVersion: 0, maxVersion: 0 },
  { apiKey: ApiKey.LIST_TABLES, minVersion: 0, maxVersion: 0 },
  { apiKey: ApiKey.PUT_KV, minVersion: 0, maxVersion: 5 },
  { apiKey: ApiKey.LOOKUP, minVersion: 3, maxVersion: 4 },
];

async function startFake(opts: FakeOptions = {}): Promise<Fake> {
  const handshakes: Fake["handshakes"] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    const decoder = new FrameDecoder();
    socket.on("data", (chunk) => {
      for (const frame of decoder.push(chunk)) {
        const req = parseRequestHeader(frame);
        if (req.apiKey === ApiKey.API_VERSIONS) {
          handshakes.push({ header: req, msg: ApiVersionsRequest.decode(req.body) });
          const resp: ApiVersionsResponse = { apiVersions: opts.versions ?? DEFAULT_VERSIONS };
          if (opts.serverType !== undefined) resp.serverType = opts.serverType;
          socket.write(encodeResponseMessage(req.requestId, ApiVersionsResponse, resp));
        } else {
          opts.onRequest?.(req, socket);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    handshakes,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function connect(port: number, extra: Partial<Parameters<typeof ServerConnection.connect>[0]> = {}) {
  return ServerConnection.connect({ host: "127.0.0.1", port, connectTimeoutMs: 2000, requestTimeoutMs: 2000, ...extra });
}

function isFluss(code: number, pattern?: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof FlussError, `expected FlussError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return true;
  };
}

// --- tests -----------------------------------------------------------------------------------

test("api key table", () => {
  assert.equal(ApiKey.GET_METADATA, 1012);
  assert.equal(apiKeyName(1064), "LIST_KV_SNAPSHOTS");
  assert.equal(apiKeyName(999), "UNKNOWN_API_KEY_999");
  assert.deepEqual(clientVersionRange(ApiKey.PUT_KV), { min: 0, max: 2 });
  assert.deepEqual(clientVersionRange(ApiKey.GET_METADATA), { min: 0, max: 0 });
  assert.ok(COORDINATOR_API_KEYS.has(ApiKey.CREATE_TABLE) && !TABLET_SERVER_API_KEYS.has(ApiKey.CREATE_TABLE));
  assert.ok(TABLET_SERVER_API_KEYS.has(ApiKey.PRODUCE_LOG) && !COORDINATOR_API_KEYS.has(ApiKey.PRODUCE_LOG));
  assert.ok(TABLET_SERVER_API_KEYS.has(ApiKey.GET_METADATA) && COORDINATOR_API_KEYS.has(ApiKey.GET_METADATA));
  for (let k = 1000; k <= 1064; k++) assert.ok(COORDINATOR_API_KEYS.has(k) || TABLET_SERVER_API_KEYS.has(k), `key ${k}`);
});

test("handshake: ApiVersions with id 0, name and version; version negotiation", async () => {
  const fake = await startFake();
  const conn = await connect(fake.port);
  try {
    assert.equal(fake.handshakes.length, 1);
    const hs = fake.handshakes[0]!;
    assert.equal(hs.header.requestId, 0);
    assert.equal(hs.header.apiVersion, 0);
    assert.equal(hs.msg.clientSoftwareName, "flussjs");
    assert.match(hs.msg.clientSoftwareVersion, /^\d+\.\d+\.\d+/);
    assert.equal(conn.address, `127.0.0.1:${fake.port}`);
    assert.equal(conn.closed, false);
    assert.equal(conn.negotiatedVersion(ApiKey.PUT_KV), 2); // min(client 2, server 5)
    assert.throws(() => conn.negotiatedVersion(ApiKey.LOOKUP), isFluss(ErrorCode.UNSUPPORTED_VERSION, /LOOKUP/)); // server 3..4 > client 1
    assert.throws(
      () => conn.negotiatedVersion(ApiKey.CREATE_TABLE),
      isFluss(ErrorCode.UNSUPPORTED_VERSION, /does not support API CREATE_TABLE/),
    );
    assert.equal(conn.supports(ApiKey.LIST_TABLES), true);
    await assert.rejects(
      conn.request(ApiKey.CREATE_TABLE, {
        tablePath: { databaseName: "a", tableName: "b" },
        tableJson: new Uint8Array(),
        ignoreIfExists: false,
      }),
      isFluss(ErrorCode.UNSUPPORTED_VERSION),
    );
  } finally {
    conn.close();
    await fake.close();
  }
});

test("handshake: server_type mismatch is rejected, absent is accepted", async () => {
  const ts = await startFake({ serverType: 2 });
  await assert.rejects(
    connect(ts.port, { expectedServerType: "COORDINATOR" }),
    isFluss(ErrorCode.NETWORK_EXCEPTION, /TABLET_SERVER, expected a COORDINATOR/),
  );
  const ok = await connect(ts.port, { expectedServerType: "TABLET_SERVER" });
  assert.equal(ok.serverType, 2);
  ok.close();
  await ts.close();
  const none = await startFake();
  const c = await connect(none.port, { expectedServerType: "COORDINATOR" });
  assert.equal(c.serverType, undefined);
  c.close();
  await none.close();
});

test("pipelined requests answered out of order", async () => {
  const held: RequestHeader[] = [];
  let socketRef: net.Socket | undefined;
  const fake = await startFake({
    onRequest: (req, socket) => {
      socketRef = socket;
      held.push(req);
      if (held.length === 3) {
        // answer in reverse order, all in one write
        const frames = held.reverse().map((r) => {
          const name = DatabaseExistsRequest.decode(r.body).databaseName;
          return encodeResponseMessage(r.requestId, DatabaseExistsResponse, { exists: name === "yes" });
        });
        socketRef.write(Buffer.concat(frames));
      }
    },
  });
  const conn = await connect(fake.port);
  try {
    const results = await Promise.all([
      conn.request(ApiKey.DATABASE_EXISTS, { databaseName: "yes" }),
      conn.request(ApiKey.DATABASE_EXISTS, { databaseName: "no" }),
      conn.request(ApiKey.DATABASE_EXISTS, { databaseName: "yes" }),
    ]);
    assert.deepEqual(
      results.map((r) => r.exists),
      [true, false, true],
    );
    assert.deepEqual(held.map((r) => r.requestId).sort(), [1, 2, 3]);
    assert.equal(conn.inFlight, 0);
  } finally {
    conn.close();
    await fake.close();
  }
});

test("error response fails only that request; raw requests work", async () => {
  const fake = await startFake({
    onRequest: (req, socket) => {
      if (req.apiKey === ApiKey.LIST_TABLES) {
        const db = ListTablesRequest.decode(req.body).databaseName;
        if (db === "missing")
          socket.write(encodeErrorResponseFrame(req.requestId, ErrorCode.DATABASE_NOT_EXIST, "Database missing does not exist."));
        else socket.write(encodeResponseMessage(req.requestId, ListTablesResponse, { tableName: ["a", "b"] }));
      }
    },
  });
  const conn = await connect(fake.port);
  try {
    await assert.rejects(
      conn.request(ApiKey.LIST_TABLES, { databaseName: "missing" }),
      isFluss(ErrorCode.DATABASE_NOT_EXIST, /missing does not exist/),
    );
    assert.deepEqual((await conn.request(ApiKey.LIST_TABLES, { databaseName: "fluss" })).tableName, ["a", "b"]);
    const raw = await conn.requestRaw(ApiKey.LIST_TABLES, ListTablesRequest.encode({ databaseName: "x" }));
    assert.deepEqual(ListTablesResponse.decode(raw).tableName, ["a", "b"]);
    assert.equal(conn.closed, false);
  } finally {
    conn.close();
    await fake.close();
  }
});

test("server failure closes the connection and fails every pending request", async () => {
  let count = 0;
  const fake = await startFake({
    onRequest: (_req, socket) => {
      if (++count === 2) socket.write(encodeServerFailureFrame(ErrorCode.CORRUPT_MESSAGE, "bad frame"));
    },
  });
  const conn = await connect(fake.port);
  let closedWith: FlussError | undefined;
  conn.onClose((e) => (closedWith = e));
  const a = conn.request(ApiKey.DATABASE_EXISTS, { databaseName: "a" });
  const b = conn.request(ApiKey.DATABASE_EXISTS, { databaseName: "b" });
  await assert.rejects(a, isFluss(ErrorCode.CORRUPT_MESSAGE, /bad frame/));
  await assert.rejects(b, isFluss(ErrorCode.CORRUPT_MESSAGE, /bad frame/));
  assert.equal(conn.closed, true);
  assert.equal(closedWith?.code, ErrorCode.CORRUPT_MESSAGE);
  await assert.rejects(conn.request(ApiKey.DATABASE_EXISTS, { databaseName: "c" }), FlussError);
  await fake.close();
});

test("unparseable response (missing required field) closes the connection", async () => {
  const fake = await startFake({
    onRequest: (req, socket) => socket.write(encodeResponseFrame(req.requestId, new Uint8Array(0))), // DatabaseExistsResponse needs `exists`
  });
  const conn = await connect(fake.port);
  await assert.rejects(conn.request(ApiKey.DATABASE_EXISTS, { databaseName: "a" }), isFluss(ErrorCode.CORRUPT_MESSAGE, /exists/));
  assert.equal(conn.closed, true);
  await fake.close();
});

test("timeout names the api key and address, and closes the connection: the other pending requests fail as network errors", async () => {
  const held: RequestHeader[] = [];
  const fake = await startFake({
    onRequest: (req) => {
      held.push(req); // never answered
    },
  });
  const conn = await connect(fake.port, { requestTimeoutMs: 5000 });
  try {
    const started = Date.now();
    const other = conn.request(ApiKey.DATABASE_EXISTS, { databaseName: "other" });
    await assert.rejects(
      conn.request(ApiKey.DATABASE_EXISTS, { databaseName: "slow" }, { timeoutMs: 100 }),
      isFluss(ErrorCode.REQUEST_TIME_OUT, new RegExp(`DATABASE_EXISTS.*127\\.0\\.0\\.1:${fake.port}`)),
    );
    await assert.rejects(
      other,
      isFluss(ErrorCode.NETWORK_EXCEPTION, /closed: request DATABASE_EXISTS .* timed out after 100 ms/),
    );
    assert.ok(Date.now() - started < 1000);
    assert.equal(conn.closed, true);
    await assert.rejects(conn.request(ApiKey.DATABASE_EXISTS, { databaseName: "next" }), isFluss(ErrorCode.NETWORK_EXCEPTION));
    // the server sees the socket go away
    const deadline = Date.now() + 2000;
    while (fake.sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(fake.sockets.size, 0);
  } finally {
    conn.close();
    await fake.close();
  }
});

test("server dying mid-request fails pending requests with NETWORK_EXCEPTION", async () => {
  const fake = await startFake({ onRequest: (_req, socket) => socket.destroy() });
  const conn = await connect(fake.port);
  let closed = false;
  conn.onClose(() => (closed = true));
  await assert.rejects(
    conn.request(ApiKey.DATABASE_EXISTS, { databaseName: "a" }),
    isFluss(ErrorCode.NETWORK_EXCEPTION, new RegExp(`connection to 127\\.0\\.0\\.1:${fake.port} closed`)),
  );
  assert.equal(closed, true);
  assert.equal(conn.closed, true);
  await fake.close();
});

test("close() fails pending requests with 'closed by client'", async () => {
  const fake = await startFake({ onRequest: () => undefined });
  const conn = await connect(fake.port);
  const p = conn.request(ApiKey.DATABASE_EXISTS, { databaseName: "a" });
  conn.close();
  await assert.rejects(p, isFluss(ErrorCode.NETWORK_EXCEPTION, /closed by client/));
  let late: FlussError | undefined;
  conn.onClose((e) => (late = e));
  assert.match(late?.message ?? "", /closed by client/);
  await fake.close();
});

test("connect to a closed port fails fast with the address and cause", async () => {
  const fake = await startFake();
  const port = fake.port;
  await fake.close();
  const started = Date.now();
  await assert.rejects(
    connect(port, { connectTimeoutMs: 3000 }),
    isFluss(ErrorCode.NETWORK_EXCEPTION, new RegExp(`cannot connect to 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`)),
  );
  assert.ok(Date.now() - started < 3000);
});

test("a response frame over maxFrameBytes closes the connection", async () => {
  const fake = await startFake({
    onRequest: (req, socket) =>
      socket.write(encodeResponseMessage(req.requestId, ListTablesResponse, { tableName: ["x".repeat(500)] })),
  });
  const conn = await connect(fake.port, { maxFrameBytes: 256 });
  await assert.rejects(
    conn.request(ApiKey.LIST_TABLES, { databaseName: "a" }),
    isFluss(ErrorCode.CORRUPT_MESSAGE, /exceeds the maximum of 256/),
  );
  assert.equal(conn.closed, true);
  await fake.close();
});

test("write backpressure: many large requests all get through", async () => {
  const fake = await startFake({
    onRequest: (req, socket) =>
      socket.write(encodeResponseMessage(req.requestId, ListTablesResponse, { tableName: [String(req.body.length)] })),
  });
  const conn = await connect(fake.port, { requestTimeoutMs: 20000 });
  try {
    const name = "d".repeat(256 * 1024);
    const all = await Promise.all(Array.from({ length: 64 }, () => conn.request(ApiKey.LIST_TABLES, { databaseName: name })));
    assert.equal(all.length, 64);
    for (const r of all) assert.equal(r.tableName[0], String(name.length + 4));
  } finally {
    conn.close();
    await fake.close();
  }
});

// --- requestParts: a body given as chunks, written with the frame header in one go ------------

const PRODUCE_VERSIONS: PbApiVersion[] = [...DEFAULT_VERSIONS, { apiKey: ApiKey.PRODUCE_LOG, minVersion: 0, maxVersion: 0 }];

/** Answers each ProduceLog with one bucket entry per request bucket, base offset = records length. */
function answerProduce(req: RequestHeader, socket: net.Socket): void {
  const msg = ProduceLogRequest.decode(req.body);
  const bucketsResp = msg.bucketsReq.map((b) => ({ bucketId: b.bucketId, baseOffset: b.records.length }));
  socket.write(encodeResponseMessage(req.requestId, ProduceLogResponse, { bucketsResp }));
}

test("requestParts: header + chunks arrive as one frame equal to the generated encoding", async () => {
  const received: RequestHeader[] = [];
  const fake = await startFake({
    versions: PRODUCE_VERSIONS,
    onRequest: (req, socket) => {
      received.push({ ...req, body: Uint8Array.from(req.body) });
      if (req.apiKey === ApiKey.PRODUCE_LOG) answerProduce(req, socket);
      else socket.write(encodeResponseMessage(req.requestId, DatabaseExistsResponse, { exists: true }));
    },
  });
  const conn = await connect(fake.port);
  try {
    const records = [new Uint8Array(48).fill(1), new Uint8Array(0), new Uint8Array(300_000).fill(2), new Uint8Array(5).fill(3)];
    const body = encodeProduceLogRequestChunks({ acks: -1, tableId: 7, timeoutMs: 1000, bucketsReq: [{ bucketId: 2, records }] });
    const resp = await conn.requestParts(ApiKey.PRODUCE_LOG, body);
    assert.deepEqual(resp.bucketsResp, [{ bucketId: 2, baseOffset: 300_053 }]);
    // a plain request in between keeps ids and framing in step
    assert.equal((await conn.request(ApiKey.DATABASE_EXISTS, { databaseName: "x" })).exists, true);
    const again = await conn.requestParts(ApiKey.PRODUCE_LOG, body);
    assert.equal(again.bucketsResp[0]!.baseOffset, 300_053);
    const produced = received.filter((r) => r.apiKey === ApiKey.PRODUCE_LOG);
    assert.deepEqual(
      produced.map((r) => [r.apiVersion, r.requestId]),
      [
        [0, 1],
        [0, 3],
      ],
    );
    const concat = Buffer.concat(records);
    const expected = ProduceLogRequest.encode({
      acks: -1,
      tableId: 7,
      timeoutMs: 1000,
      bucketsReq: [{ bucketId: 2, records: concat }],
    });
    for (const r of produced) assert.ok(Buffer.from(r.body).equals(Buffer.from(expected)));
  } finally {
    conn.close();
    await fake.close();
  }
});

test("requestParts: backpressure with many multi-chunk requests, in order", async () => {
  const order: number[] = [];
  const fake = await startFake({
    versions: PRODUCE_VERSIONS,
    onRequest: (req, socket) => {
      order.push(ProduceLogRequest.decode(req.body).bucketsReq[0]!.bucketId);
      answerProduce(req, socket);
    },
  });
  const conn = await connect(fake.port, { requestTimeoutMs: 20000 });
  try {
    const chunk = new Uint8Array(128 * 1024).fill(9);
    const all = await Promise.all(
      Array.from({ length: 48 }, (_, i) =>
        conn.requestParts(
          ApiKey.PRODUCE_LOG,
          encodeProduceLogRequestChunks({
            acks: 1,
            tableId: 1,
            timeoutMs: 1,
            bucketsReq: [{ bucketId: i, records: [chunk, chunk, chunk] }],
          }),
        ),
      ),
    );
    assert.deepEqual(
      all.map((r) => r.bucketsResp[0]!.baseOffset),
      Array.from({ length: 48 }, () => 3 * chunk.length),
    );
    assert.deepEqual(
      order,
      Array.from({ length: 48 }, (_, i) => i),
    );
    assert.equal(conn.inFlight, 0);
  } finally {
    conn.close();
    await fake.close();
  }
});

test("requestParts: timeout, unsupported key, closed connection and server death fail like request", async () => {
  let die = false;
  const fake = await startFake({
    versions: PRODUCE_VERSIONS,
    onRequest: (_req, socket) => {
      if (die) socket.destroy(); // else: never answers
    },
  });
  let conn = await connect(fake.port);
  const body = encodeProduceLogRequestChunks({
    acks: 1,
    tableId: 1,
    timeoutMs: 1,
    bucketsReq: [{ bucketId: 0, records: [new Uint8Array(64)] }],
  });
  try {
    await assert.rejects(conn.requestParts(ApiKey.FETCH_LOG, body), isFluss(ErrorCode.UNSUPPORTED_VERSION));
    await assert.rejects(
      conn.requestParts(ApiKey.PRODUCE_LOG, body, { timeoutMs: 50 }),
      isFluss(ErrorCode.REQUEST_TIME_OUT, /PRODUCE_LOG/),
    );
    await assert.rejects(conn.requestParts(ApiKey.PRODUCE_LOG, body), isFluss(ErrorCode.NETWORK_EXCEPTION, /timed out/));
    conn.close();
    conn = await connect(fake.port);
    die = true;
    await assert.rejects(conn.requestParts(ApiKey.PRODUCE_LOG, body), isFluss(ErrorCode.NETWORK_EXCEPTION));
    await assert.rejects(conn.requestParts(ApiKey.PRODUCE_LOG, body), isFluss(ErrorCode.NETWORK_EXCEPTION));
  } finally {
    conn.close();
    await fake.close();
  }
});
