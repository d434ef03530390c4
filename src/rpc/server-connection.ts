/**
 * The client side of one TCP connection to one Fluss server: connect, ApiVersions
 * handshake with per-key version negotiation, then pipelined requests correlated by id.
 * Failures never leave a promise hanging: a dead socket, a SERVER_FAILURE frame or an
 * unparseable response fails every pending request at once.
 */

import net from "node:net";
import { readFileSync } from "node:fs";
import { ErrorCode, FlussError } from "./errors.js";
import {
  API_MESSAGES,
  ApiKey,
  ServerType,
  apiKeyName,
  clientVersionRange,
  type MessageApiKey,
  type RequestOf,
  type ResponseOf,
  type VersionRange,
} from "./api-keys.js";
import { ErrorResponse } from "./messages.js";
import { fetchLogBodyOffset } from "./fetch-alignment.js";
import {
  FrameDecoder,
  encodeRequestFrame,
  encodeRequestHeader,
  encodeRequestMessage,
  errorFromErrorResponse,
  parseResponseFrame,
} from "./frame.js";
import type { MessageCodec } from "./protobuf.js";

/** Options of {@link ServerConnection.connect}. */
export interface ServerConnectionOptions {
  host: string;
  port: number;
  /** Time allowed for the TCP connect. */
  connectTimeoutMs: number;
  /**
   * Default time allowed for each request, including the handshake. A request that times
   * out closes the connection: every other pending request fails with NETWORK_EXCEPTION.
   */
  requestTimeoutMs: number;
  /** Time allowed for the ApiVersions handshake (default: `requestTimeoutMs`). */
  handshakeTimeoutMs?: number;
  /** Largest response frame accepted, counting the 4-byte length (default: 2^31-1, like Java). */
  maxFrameBytes?: number;
  /** Sent in the ApiVersions request (default "flussjs"). */
  clientSoftwareName?: string;
  /** Sent in the ApiVersions request (default: this package's version). */
  clientSoftwareVersion?: string;
  /** When set, a server announcing a different `server_type` is rejected. */
  expectedServerType?: "COORDINATOR" | "TABLET_SERVER";
  /**
   * Runs right after the ApiVersions handshake, before the connection is handed out (SASL,
   * protocol.md §11); its failure closes the connection and fails `connect`.
   */
  authenticate?: ConnectionAuthenticator;
}

/**
 * Authenticates a freshly handshaken connection within `timeoutMs` (the handshake's time):
 * resolves when the server accepted the credentials.
 */
export type ConnectionAuthenticator = (conn: ServerConnection, timeoutMs: number) => Promise<void>;

/** Per-request options. */
export interface RequestOptions {
  /** Overrides the connection's request timeout for this request. */
  timeoutMs?: number;
  /**
   * Background work (a scanner's prefetch) that must not keep the process alive on its
   * own: the socket is `unref`'d while only such requests are pending, and their timeout
   * timers are too. Default false: a pending request keeps the process alive.
   */
  background?: boolean;
}

interface Pending {
  readonly apiKey: number;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: FlussError) => void;
  /** Decodes the success body; a throw here kills the connection (Java semantics). */
  readonly decode: ((body: Uint8Array) => unknown) | undefined;
  readonly background: boolean;
  timer: NodeJS.Timeout | undefined;
}

/** A whole frame, or a frame as chunks (header first) written together. */
type OutFrame = Uint8Array | readonly Uint8Array[];

interface QueuedFrame {
  readonly requestId: number;
  readonly frame: OutFrame;
}

const PACKAGE_VERSION = readPackageVersion();

function readPackageVersion(): string {
  try {
    // src/rpc and dist/rpc both sit two levels below the package root.
    const text = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
    const version = (JSON.parse(text) as { version?: unknown }).version;
    return typeof version === "string" ? version : "0.0.0";
  } catch {
    return "0.0.0";
  }
}

function describeCause(err: unknown): string {
  if (err && typeof err === "object") {
    const code = (err as { code?: unknown }).code;
    if (typeof code === "string") return code;
    const message = (err as { message?: unknown }).message;
    if (typeof message === "string" && message.length > 0) return message;
  }
  return String(err);
}

/** One socket to one server with pipelined, id-correlated requests. */
export class ServerConnection {
  private readonly socket: net.Socket;
  private readonly pending = new Map<number, Pending>();
  private readonly queue: QueuedFrame[] = [];
  private readonly closeListeners: ((err: FlussError) => void)[] = [];
  private readonly versions = new Map<number, VersionRange>();
  private nextRequestId = 0;
  /** Pending requests that keep the process alive (not `background`). */
  private foreground = 0;
  private blocked = false;
  private closeError: FlussError | undefined;
  private announcedServerType: number | undefined;

  private constructor(
    socket: net.Socket,
    inbox: Inbox,
    private readonly options: ServerConnectionOptions,
  ) {
    this.socket = socket;
    inbox.attach(
      (frames) => this.onFrames(frames),
      (err) => this.fail(asFlussError(err, `bad frame from ${this.address}`)),
    );
    socket.on("drain", () => this.flush());
    socket.on("error", (err) =>
      this.fail(this.networkError(`connection to ${this.address} closed (${describeCause(err)})`, err)),
    );
    socket.on("end", () => this.fail(this.networkError(`connection to ${this.address} closed by the server`)));
    socket.on("close", () => this.fail(this.networkError(`connection to ${this.address} closed`)));
    // an idle connection does not keep the process alive: a script that forgets close()
    // still exits once its work is done (see `holdFor`)
    socket.unref();
  }

  /**
   * Opens a connection, performs the ApiVersions handshake and authenticates (when
   * `authenticate` is set). Fails with NETWORK_EXCEPTION
   * when the server cannot be reached within `connectTimeoutMs`.
   */
  static async connect(options: ServerConnectionOptions): Promise<ServerConnection> {
    const inbox = new Inbox(
      // the server is trusted with its announced lengths: a large response gets its whole buffer at once
      new FrameDecoder({
        maxFrameBytes: options.maxFrameBytes ?? 0x7fffffff,
        eagerFrameBytes: CLIENT_EAGER_FRAME_BYTES,
        // fetched Arrow data lands 8-aligned, so arrow-js views it without copying
        alignAt: (head) => (conn?.isFetchResponse(head) ? fetchLogBodyOffset(head) : -1),
      }),
    );
    let conn: ServerConnection | undefined;
    const socket = await openSocket(options, inbox);
    conn = new ServerConnection(socket, inbox, options);
    try {
      await conn.handshake();
      await options.authenticate?.(conn, options.handshakeTimeoutMs ?? options.requestTimeoutMs);
    } catch (err) {
      conn.close();
      throw err;
    }
    return conn;
  }

  /** `host:port` of the server. */
  get address(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  /** Whether the connection is closed (no request can succeed any more). */
  get closed(): boolean {
    return this.closeError !== undefined;
  }

  /** `server_type` from the handshake (1 coordinator, 2 tablet server), if the server sent one. */
  get serverType(): number | undefined {
    return this.announcedServerType;
  }

  /** Number of requests awaiting a response. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Registers a callback run once when the connection closes (at once if already closed). */
  onClose(callback: (err: FlussError) => void): void {
    if (this.closeError) callback(this.closeError);
    else this.closeListeners.push(callback);
  }

  /** @internal Whether a response frame (its first bytes) answers a pending FetchLog. */
  isFetchResponse(head: Uint8Array): boolean {
    if (head.length < 5) return false;
    const requestId = (head[1]! << 24) | (head[2]! << 16) | (head[3]! << 8) | head[4]! | 0;
    return this.pending.get(requestId)?.apiKey === ApiKey.FETCH_LOG;
  }

  /** The server's version range for `apiKey`, if it serves the key. */
  serverVersions(apiKey: number): VersionRange | undefined {
    return this.versions.get(apiKey);
  }

  /** Whether the server serves `apiKey` in a version this client can speak. */
  supports(apiKey: number): boolean {
    try {
      this.negotiatedVersion(apiKey);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The version used for `apiKey` on this connection: min(client max, server max), provided
   * it is not below either minimum. Throws UNSUPPORTED_VERSION otherwise.
   */
  negotiatedVersion(apiKey: number): number {
    const server = this.versions.get(apiKey);
    if (!server) {
      throw new FlussError(
        ErrorCode.UNSUPPORTED_VERSION,
        `server ${this.address} does not support API ${apiKeyName(apiKey)} (${apiKey})`,
      );
    }
    const client = clientVersionRange(apiKey);
    const version = Math.min(client.max, server.max);
    if (Math.max(client.min, server.min) > version) {
      throw new FlussError(
        ErrorCode.UNSUPPORTED_VERSION,
        `API ${apiKeyName(apiKey)} (${apiKey}): server ${this.address} supports versions ${server.min}..${server.max}, ` +
          `this client ${client.min}..${client.max}`,
      );
    }
    return version;
  }

  /** The version to send `apiKey` with, or why no request can be sent (closed, unsupported). */
  private versionOrError(apiKey: number): number | Error {
    if (this.closeError) return this.closeError;
    try {
      return this.negotiatedVersion(apiKey);
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  }

  /** Sends a typed request with the negotiated version and decodes the response. */
  request<K extends MessageApiKey>(apiKey: K, message: RequestOf<K>, options?: RequestOptions): Promise<ResponseOf<K>> {
    const codecs = API_MESSAGES[apiKey] as unknown as {
      request: MessageCodec<RequestOf<K>>;
      response: MessageCodec<ResponseOf<K>>;
    };
    const version = this.versionOrError(apiKey);
    if (version instanceof Error) return Promise.reject(version);
    return this.send(
      apiKey,
      (id) => encodeRequestMessage(apiKey, version, id, codecs.request, message),
      (body) => codecs.response.decode(body),
      options,
    ) as Promise<ResponseOf<K>>;
  }

  /**
   * Sends an already encoded request body and resolves with the raw response body (a view
   * into the received frame). `version` defaults to the negotiated one.
   */
  requestRaw(apiKey: number, body: Uint8Array, version?: number, options?: RequestOptions): Promise<Uint8Array> {
    const v = version ?? this.versionOrError(apiKey);
    if (v instanceof Error) return Promise.reject(v);
    return this.send(apiKey, (id) => encodeRequestFrame(apiKey, v, id, body), undefined, options) as Promise<Uint8Array>;
  }

  /**
   * Sends a typed request whose body is already encoded as `body` chunks (e.g. by
   * `encodeProduceLogRequestChunks`) and decodes the response. The chunks go out behind
   * the frame header in one corked write (writev), without being copied; the caller keeps
   * them unchanged until the promise settles. Same version negotiation, backpressure,
   * timeout and failure handling as {@link request}.
   */
  requestParts<K extends MessageApiKey>(
    apiKey: K,
    body: readonly Uint8Array[],
    options?: RequestOptions,
  ): Promise<ResponseOf<K>> {
    const codecs = API_MESSAGES[apiKey] as unknown as { response: MessageCodec<ResponseOf<K>> };
    const version = this.versionOrError(apiKey);
    if (version instanceof Error) return Promise.reject(version);
    let bodyLength = 0;
    for (const c of body) bodyLength += c.length;
    return this.send(
      apiKey,
      (id) => [encodeRequestHeader(apiKey, version, id, bodyLength), ...body],
      (resp) => codecs.response.decode(resp),
      options,
    ) as Promise<ResponseOf<K>>;
  }

  /** Closes the connection; every pending request fails with NETWORK_EXCEPTION. */
  close(): void {
    this.fail(this.networkError(`connection to ${this.address} closed by client`));
  }

  // ---------------------------------------------------------------------------------------

  private async handshake(): Promise<void> {
    // Java's first request: API_VERSIONS at its own version 0 with request id 0.
    const codecs = API_MESSAGES[ApiKey.API_VERSIONS];
    const request = {
      clientSoftwareName: this.options.clientSoftwareName ?? "flussjs",
      clientSoftwareVersion: this.options.clientSoftwareVersion ?? PACKAGE_VERSION,
    };
    const resp = (await this.send(
      ApiKey.API_VERSIONS,
      (id) => encodeRequestMessage(ApiKey.API_VERSIONS, 0, id, codecs.request, request),
      (body) => codecs.response.decode(body),
      this.options.handshakeTimeoutMs === undefined ? undefined : { timeoutMs: this.options.handshakeTimeoutMs },
    )) as ResponseOf<typeof ApiKey.API_VERSIONS>;
    for (const v of resp.apiVersions) this.versions.set(v.apiKey, { min: v.minVersion, max: v.maxVersion });
    this.announcedServerType = resp.serverType;
    const mismatch = this.serverTypeMismatch(this.options.expectedServerType);
    if (mismatch) throw mismatch;
  }

  /**
   * The error for using this connection as a server of type `expected` when the server
   * announced another `server_type` (none announced: accepted). Java closes such a
   * connection with InvalidServerTypeException, an invalid-metadata (retriable) error
   * (ServerConnection.java:375-391): the address now belongs to another server.
   */
  serverTypeMismatch(expected: "COORDINATOR" | "TABLET_SERVER" | undefined): FlussError | undefined {
    const announced = this.announcedServerType;
    if (expected === undefined || announced === undefined || announced === ServerType[expected]) return undefined;
    const actual =
      announced === ServerType.COORDINATOR
        ? "COORDINATOR"
        : announced === ServerType.TABLET_SERVER
          ? "TABLET_SERVER"
          : `UNKNOWN (${announced})`;
    return new FlussError(
      ErrorCode.NETWORK_EXCEPTION,
      `server type mismatch: server ${this.address} is a ${actual}, expected a ${expected} (stale metadata)`,
    );
  }

  private send(
    apiKey: number,
    build: (requestId: number) => OutFrame,
    decode: ((body: Uint8Array) => unknown) | undefined,
    options: RequestOptions | undefined,
  ): Promise<unknown> {
    if (this.closeError) return Promise.reject(this.closeError);
    const requestId = this.nextRequestId;
    let frame: OutFrame;
    try {
      frame = build(requestId);
    } catch (err) {
      return Promise.reject(err);
    }
    // Java counts up from 0; keep ids non-negative by wrapping at 2^31 (as Rust does).
    this.nextRequestId = (requestId + 1) & 0x7fffffff;
    return new Promise<unknown>((resolve, reject) => {
      const background = options?.background === true;
      const entry: Pending = { apiKey, resolve, reject, decode, background, timer: undefined };
      const timeoutMs = options?.timeoutMs ?? this.options.requestTimeoutMs;
      if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
        entry.timer = setTimeout(() => this.timeOut(requestId, timeoutMs), timeoutMs);
        if (background) entry.timer.unref();
      }
      this.pending.set(requestId, entry);
      this.holdFor(entry, 1);
      if (this.blocked) this.queue.push({ requestId, frame });
      else this.blocked = !this.write(frame);
    });
  }

  /** Writes one frame; false when the socket buffer is full (wait for "drain"). */
  private write(frame: OutFrame): boolean {
    const socket = this.socket;
    if (frame instanceof Uint8Array) return socket.write(frame);
    // Corked, the chunks leave in one writev when uncorked; the buffered length only
    // grows meanwhile, so the last write's answer holds for the whole frame.
    socket.cork();
    let ok = true;
    for (const chunk of frame) if (chunk.length > 0) ok = socket.write(chunk);
    socket.uncork();
    return ok;
  }

  private flush(): void {
    this.blocked = false;
    while (this.queue.length > 0 && !this.blocked && !this.closeError) {
      const next = this.queue.shift()!;
      this.blocked = !this.write(next.frame);
    }
  }

  /**
   * Counts a foreground request in (+1) or out (-1): the socket is ref'd (keeps the process
   * alive) exactly while foreground requests are pending.
   */
  private holdFor(entry: Pending, delta: 1 | -1): void {
    if (entry.background) return;
    this.foreground += delta;
    if (delta === 1 && this.foreground === 1) this.socket.ref();
    else if (this.foreground === 0) this.socket.unref();
  }

  private timeOut(requestId: number, timeoutMs: number): void {
    const entry = this.pending.get(requestId);
    if (!entry) return;
    this.pending.delete(requestId);
    this.holdFor(entry, -1);
    // Not sent yet: no point sending it now.
    const queued = this.queue.findIndex((q) => q.requestId === requestId);
    if (queued >= 0) this.queue.splice(queued, 1);
    const message = `request ${apiKeyName(entry.apiKey)} (id ${requestId}) to ${this.address} timed out after ${timeoutMs} ms`;
    entry.reject(new FlussError(ErrorCode.REQUEST_TIME_OUT, message));
    // A server that does not answer one request within its timeout is not trusted with the
    // others: the connection closes, every other pending request fails as a network error
    // (their callers refresh metadata and reconnect), and the next request opens a new one.
    // Answers that might still come on this socket are never read.
    this.fail(this.networkError(`connection to ${this.address} closed: ${message}`));
  }

  private onFrames(frames: Uint8Array[]): void {
    if (this.closeError) return;
    for (const frame of frames) {
      if (this.closeError) return;
      try {
        this.handleFrame(frame);
      } catch (err) {
        // Unparseable response: like Java, the whole connection is unusable.
        this.fail(asFlussError(err, `unparseable response from ${this.address}`));
        return;
      }
    }
  }

  private handleFrame(frame: Uint8Array): void {
    const resp = parseResponseFrame(frame);
    if (resp.type === 2) {
      const error = errorFromErrorResponse(ErrorResponse.decode(resp.body));
      this.fail(error);
      return;
    }
    const entry = this.pending.get(resp.requestId);
    if (resp.type === 1) {
      const error = errorFromErrorResponse(ErrorResponse.decode(resp.body));
      if (!entry) return; // timed out earlier
      this.complete(resp.requestId, entry);
      entry.reject(error);
      return;
    }
    if (!entry) return; // timed out earlier
    const value = entry.decode ? entry.decode(resp.body) : resp.body;
    this.complete(resp.requestId, entry);
    entry.resolve(value);
  }

  private complete(requestId: number, entry: Pending): void {
    this.pending.delete(requestId);
    this.holdFor(entry, -1);
    if (entry.timer) clearTimeout(entry.timer);
  }

  private networkError(message: string, cause?: unknown): FlussError {
    return new FlussError(ErrorCode.NETWORK_EXCEPTION, message, cause === undefined ? undefined : { cause });
  }

  /** Closes the socket and fails everything pending with `error` (first call wins). */
  private fail(error: FlussError): void {
    if (this.closeError) return;
    this.closeError = error;
    this.socket.destroy();
    this.queue.length = 0;
    const entries = [...this.pending.values()];
    this.pending.clear();
    this.foreground = 0;
    for (const entry of entries) {
      if (entry.timer) clearTimeout(entry.timer);
      entry.reject(error);
    }
    const listeners = this.closeListeners.splice(0);
    for (const listener of listeners) {
      try {
        listener(error);
      } catch {
        // a listener's failure must not stop the others
      }
    }
  }
}

function asFlussError(err: unknown, context: string): FlussError {
  if (err instanceof FlussError) return err;
  return new FlussError(ErrorCode.CORRUPT_MESSAGE, `${context}: ${describeCause(err)}`, { cause: err, retriable: false });
}

/** Idle time before the first TCP keepalive probe. */
const KEEPALIVE_INITIAL_DELAY_MS = 10_000;

/** Responses up to this size get their whole receive buffer as soon as their header arrives. */
const CLIENT_EAGER_FRAME_BYTES = 64 * 1024 * 1024;

/**
 * Where a connection's socket reads go: straight into the decoder's buffers (net's `onread`),
 * so there is no allocation per read and a large response lands in its final buffer. Frames
 * completed before the connection attaches (none are expected: the server speaks when spoken
 * to) are held for it.
 */
class Inbox {
  private held: Uint8Array[] = [];
  private heldError: unknown;
  private sink: ((frames: Uint8Array[]) => void) | undefined;
  private errorSink: ((err: unknown) => void) | undefined;

  constructor(readonly decoder: FrameDecoder) {}

  readonly onread: net.OnReadOpts = {
    buffer: () => this.decoder.nextBuffer(),
    callback: (bytesRead: number) => {
      let frames: Uint8Array[];
      try {
        frames = this.decoder.received(bytesRead);
      } catch (err) {
        if (this.errorSink) this.errorSink(err);
        else this.heldError ??= err;
        return true;
      }
      if (this.sink) this.sink(frames);
      else this.held.push(...frames);
      return true;
    },
  };

  attach(sink: (frames: Uint8Array[]) => void, errorSink: (err: unknown) => void): void {
    this.sink = sink;
    this.errorSink = errorSink;
    if (this.held.length > 0) sink(this.held.splice(0));
    if (this.heldError !== undefined) errorSink(this.heldError);
  }
}

function openSocket(options: ServerConnectionOptions, inbox: Inbox): Promise<net.Socket> {
  const address = `${options.host}:${options.port}`;
  return new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect({ host: options.host, port: options.port, onread: inbox.onread });
    const fail = (reason: string, cause?: unknown) => {
      clearTimeout(timer);
      socket.destroy();
      reject(
        new FlussError(
          ErrorCode.NETWORK_EXCEPTION,
          `cannot connect to ${address} (${reason})`,
          cause === undefined ? undefined : { cause },
        ),
      );
    };
    const onError = (err: Error) => fail(describeCause(err), err);
    const timer = setTimeout(() => fail(`timed out after ${options.connectTimeoutMs} ms`), options.connectTimeoutMs);
    socket.once("error", onError);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.off("error", onError);
      socket.setNoDelay(true);
      // a peer that vanished without a FIN/RST (host down, network cut) is noticed by the OS
      socket.setKeepAlive(true, KEEPALIVE_INITIAL_DELAY_MS);
      resolve(socket);
    });
  });
}
