/**
 * Frames before authentication on a SASL listener are capped at 512 KiB (Kafka's
 * `sasl.server.max.receive.size`): a raw socket announcing a bigger frame is answered
 * SERVER_FAILURE and closed as soon as the length is read, without harming other
 * connections; after authentication the same frame is served.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import {
  DataTypes,
  EARLIEST_OFFSET,
  ErrorCode,
  FlussConnection,
  LocalCluster,
  Schema,
  TableDescriptor,
  TablePath,
} from "../../src/index.js";
import type { ClusterLogger } from "../../src/server/server-state.js";
import { ApiKey } from "../../src/rpc/api-keys.js";
import * as M from "../../src/rpc/messages.js";
import {
  FrameDecoder,
  ResponseType,
  encodeRequestMessage,
  errorFromErrorResponse,
  parseResponseFrame,
  type ResponseFrame,
} from "../../src/rpc/frame.js";
import { uniqueName } from "../helpers/cluster.js";
import { pollN } from "../helpers/records.js";

const PASSWORD = "adm1n-S3cret";
const CAP = 512 * 1024;
const warnings: string[] = [];
const errors: string[] = [];
const logger: ClusterLogger = {
  info: () => {},
  warn: (m) => warnings.push(m),
  error: (m, e) => errors.push(`${m} ${String(e)}`),
};
let cluster: LocalCluster;
let port: number;

before(async () => {
  cluster = await LocalCluster.start({ security: { users: { admin: PASSWORD } }, logger });
  port = Number(cluster.bootstrapServers.split(":")[1]);
});
after(async () => {
  await cluster?.close();
  assert.deepEqual(errors, []);
});

/** A raw connection: frames written as given, answers parsed as they come, and whether the server closed it. */
class RawConnection {
  private readonly decoder = new FrameDecoder({ maxFrameBytes: 1 << 24 });
  private readonly answers: ResponseFrame[] = [];
  private wake: (() => void) | undefined;
  ended = false;

  private constructor(readonly socket: net.Socket) {
    socket.on("data", (chunk: Buffer) => {
      for (const f of this.decoder.push(chunk)) this.answers.push(parseResponseFrame(f));
      this.wake?.();
    });
    const end = () => {
      this.ended = true;
      this.wake?.();
    };
    socket.on("end", end).on("close", end).on("error", end);
  }

  static async open(): Promise<RawConnection> {
    const socket = net.connect({ host: "127.0.0.1", port });
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    return new RawConnection(socket);
  }

  /** The next answer (undefined when the server closed the connection first); fails after 5 s. */
  async next(): Promise<ResponseFrame | undefined> {
    const deadline = Date.now() + 5000;
    while (this.answers.length === 0 && !this.ended) {
      assert.ok(Date.now() < deadline, "no answer within 5 s");
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 100);
      });
    }
    return this.answers.shift();
  }

  /** Waits until the server closed the connection. */
  async closed(): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!this.ended) {
      assert.ok(Date.now() < deadline, "the server did not close the connection within 5 s");
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** ApiVersions whose client name has `nameBytes` characters (a frame of about that size). */
  apiVersions(requestId: number, nameBytes = 6): void {
    this.socket.write(
      encodeRequestMessage(ApiKey.API_VERSIONS, 0, requestId, M.ApiVersionsRequest, {
        clientSoftwareName: "x".repeat(nameBytes),
        clientSoftwareVersion: "1",
      }),
    );
  }

  authenticate(requestId: number): void {
    this.socket.write(
      encodeRequestMessage(ApiKey.AUTHENTICATE, 0, requestId, M.AuthenticateRequest, {
        protocol: "PLAIN",
        token: Buffer.from(`\0admin\0${PASSWORD}`),
      }),
    );
  }
}

async function expectSuccess(conn: RawConnection, requestId: number): Promise<void> {
  const r = await conn.next();
  assert.ok(r, "the connection was closed instead of answered");
  if (r.type === ResponseType.ERROR_RESPONSE) assert.fail(errorFromErrorResponse(M.ErrorResponse.decode(r.body)).message);
  assert.equal(r.type, ResponseType.SUCCESS_RESPONSE);
  assert.equal(r.requestId, requestId);
}

/** The SERVER_FAILURE naming the pre-authentication limit, then the close. */
async function expectRefused(conn: RawConnection, frameBytes: number): Promise<void> {
  const r = await conn.next();
  assert.ok(r && r.type === ResponseType.SERVER_FAILURE, `expected SERVER_FAILURE, got ${JSON.stringify(r)}`);
  const err = errorFromErrorResponse(M.ErrorResponse.decode(r.body));
  assert.equal(err.code, ErrorCode.CORRUPT_MESSAGE);
  assert.match(err.message, new RegExp(`frame of ${frameBytes} bytes exceeds the maximum of ${CAP} bytes before authentication`));
  await conn.closed();
}

function saslConnect(): Promise<FlussConnection> {
  return FlussConnection.connect({
    "bootstrap.servers": cluster.bootstrapServers,
    "client.security.protocol": "SASL",
    "client.security.sasl.username": "admin",
    "client.security.sasl.password": PASSWORD,
  });
}

test("a big length prefix before authentication closes that connection at once; the others are served", async () => {
  // a bystander half-way through its handshake, and an authenticated client
  const bystander = await RawConnection.open();
  bystander.apiVersions(1);
  await expectSuccess(bystander, 1);
  await using client = await saslConnect();

  // 64 MiB announced (under the 100 MiB frame limit), only the header sent: refused on the length alone
  const attacker = await RawConnection.open();
  const head = Buffer.alloc(12);
  head.writeInt32BE(64 * 1024 * 1024, 0);
  head.writeInt16BE(ApiKey.API_VERSIONS, 4);
  attacker.socket.write(head);
  await expectRefused(attacker, 64 * 1024 * 1024 + 4);
  assert.ok(
    warnings.some((w) =>
      /Closed the connection from 127\.0\.0\.1 to the server 0: frame of 67108868 bytes .* before authentication/.test(w),
    ),
    warnings.join("\n"),
  );

  bystander.authenticate(2);
  await expectSuccess(bystander, 2);
  bystander.apiVersions(3);
  await expectSuccess(bystander, 3);
  bystander.socket.destroy();
  assert.ok((await client.getAdmin().listDatabases()).includes("fluss"));
});

test("a frame over 512 KiB is refused before authentication and served after it", async () => {
  const size = 600 * 1024;
  const before = await RawConnection.open();
  before.apiVersions(1, size);
  const frameBytes = encodeRequestMessage(ApiKey.API_VERSIONS, 0, 1, M.ApiVersionsRequest, {
    clientSoftwareName: "x".repeat(size),
    clientSoftwareVersion: "1",
  }).length;
  await expectRefused(before, frameBytes);

  const authed = await RawConnection.open();
  authed.apiVersions(1);
  await expectSuccess(authed, 1);
  authed.authenticate(2);
  await expectSuccess(authed, 2);
  authed.apiVersions(3, size);
  await expectSuccess(authed, 3);
  authed.socket.destroy();

  // through the public API: a 700 KiB row written and read back over SASL
  await using conn = await saslConnect();
  const db = uniqueName("preauth");
  const path = new TablePath(db, "big_rows");
  const admin = conn.getAdmin();
  await admin.createDatabase(db);
  await admin.createTable(path, new TableDescriptor(Schema.fromColumns([{ name: "s", type: DataTypes.STRING() }])));
  const table = await conn.getTable(path);
  const writer = await table.newAppendWriter();
  const big = "y".repeat(700 * 1024);
  await writer.append({ s: big }).wait();
  await writer.close();
  const scanner = await table.newScan().createLogScanner();
  await scanner.subscribe(0, EARLIEST_OFFSET);
  const got = await pollN(scanner, 1);
  assert.equal((got[0]!.row as { s: string }).s.length, big.length);
  await scanner.close();
});
