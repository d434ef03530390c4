import net from "node:net";
import { ApiKey } from "../rpc/api-keys.js";
import { ErrorCode, FlussError } from "../rpc/errors.js";
import {
  FrameDecoder,
  encodeErrorResponseFrame,
  encodeResponseFrame,
  encodeResponseHeader,
  encodeServerFailureFrame,
  parseRequestHeader,
} from "../rpc/frame.js";
import { BufferPool } from "../util/buffer-pool.js";
import { adoptWithOnRead } from "./direct-reads.js";

/** What a handler learns about the request besides its body. */
export interface RequestContext {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly requestId: number;
  /** Resolves... never; rejects never: aborted when the client's connection goes away. */
  readonly signal: AbortSignal;
  /** "host:port" of the listener the request arrived on (advertised in metadata). */
  readonly localAddress: { host: string; port: number };
  /** The connection's session: who authenticated on it (the AUTHENTICATE handler sets it), from where. */
  readonly session: ConnectionSession;
}

/** Per connection: the principal (Java `FlussPrincipal`) and the client's address. */
export interface ConnectionSession {
  /**
   * Undefined until the connection authenticated (with `requireAuthentication`); otherwise
   * Java's ANONYMOUS principal (`User:ANONYMOUS`).
   */
  principal: { readonly name: string; readonly type: string } | undefined;
  /** IP address of the client. */
  readonly remoteHost: string;
}

/** Java `FlussPrincipal.ANONYMOUS`: the principal of every connection of a PLAINTEXT listener. */
const ANONYMOUS_PRINCIPAL = { name: "ANONYMOUS", type: "User" } as const;

/**
 * A response body sent as chunks (written in one `writev`, uncopied), e.g. FetchLog's
 * records read into pooled buffers; `release` runs once the chunks are written (or will
 * never be), so those buffers can be reused.
 */
export interface ResponseParts {
  readonly chunks: readonly Uint8Array[];
  /** Total bytes of the chunks. */
  readonly length: number;
  readonly release?: () => void;
}

/** Serves one api key: decodes the body, does the work, returns the encoded response body. */
export type RawHandler = (
  body: Uint8Array,
  ctx: RequestContext,
) => Promise<Uint8Array | ResponseParts> | Uint8Array | ResponseParts;

/** Server-side limits. */
export interface RpcServerOptions {
  host: string;
  port: number;
  /** Largest request frame accepted (Java: netty.server.max-request-size, 100 MiB). */
  maxFrameBytes?: number;
  /**
   * Response bytes a connection may have queued unsent before the server stops reading its
   * requests (until the client reads): a client that never reads cannot exhaust memory (16 MiB).
   */
  maxQueuedResponseBytes?: number;
  /** Called for unexpected handler failures (logged by the cluster). */
  onError?: (err: unknown, ctx?: RequestContext) => void;
  /**
   * Called when accepting a connection fails for lack of descriptors (EMFILE/ENFILE; the
   * listener goes on accepting), at most once a second.
   */
  onAcceptError?: (err: NodeJS.ErrnoException) => void;
  /**
   * Api keys whose handlers are done with the request body when their promise settles (they
   * copy whatever they keep): large requests of these keys are received into recycled buffers.
   */
  transientBodyApiKeys?: ReadonlySet<number>;
  /** Bytes of recycled receive buffers at most (128 MiB). */
  receivePoolBytes?: number;
  /**
   * Bytes of incomplete request frames the server allocates across all connections, beyond
   * the recycled buffers (256 MiB). A connection whose frame needs more waits — it is not
   * read — until other frames complete or their connections close. One connection holds at
   * most one incomplete frame, so `maxFrameBytes` bounds it per connection.
   */
  maxIncompleteFrameBytes?: number;
  /**
   * Read each request straight into its frame buffer (default true); false uses `data`
   * events, which cost an allocation per read and a copy per large frame.
   */
  directReads?: boolean;
  /**
   * Test hook consulted before each request is handled: an error code answers the request
   * with that error instead; a delay holds it that long first (the local cluster's
   * `injectError` / `delay`).
   */
  intercept?: (apiKey: number) => RequestFault | undefined;
  /**
   * SASL listener: a connection is served only API_VERSIONS and AUTHENTICATE until the
   * AUTHENTICATE handler sets its session's principal; anything else is answered with
   * AUTHENTICATE_EXCEPTION (Java NettyServerHandler.java:130-139, 330-339).
   */
  requireAuthentication?: boolean;
  /**
   * With `requireAuthentication`: largest frame accepted before the connection authenticated
   * (512 KiB, Kafka's `sasl.server.max.receive.size`; Java Fluss applies `maxFrameBytes` from
   * the first byte, ServerChannelInitializer.java:71). A larger one closes the connection
   * before any of it is allocated; once authenticated, `maxFrameBytes` applies.
   */
  maxUnauthenticatedFrameBytes?: number;
  /**
   * Called when a connection is closed for a malformed frame (negative or oversized length,
   * too short a header), at most once a second: the message and the client's address.
   */
  onBadFrame?: (message: string, remoteHost: string) => void;
}

/** What {@link RpcServerOptions.intercept} does to one request. */
export interface RequestFault {
  readonly delayMs?: number;
  readonly error?: { readonly code: number; readonly message: string };
}

const DEFAULT_MAX_FRAME = 100 * 1024 * 1024;
const DEFAULT_MAX_QUEUED_RESPONSE_BYTES = 16 * 1024 * 1024;
const DEFAULT_RECEIVE_POOL_BYTES = 128 * 1024 * 1024;
const DEFAULT_MAX_INCOMPLETE_FRAME_BYTES = 256 * 1024 * 1024;
const DEFAULT_MAX_UNAUTHENTICATED_FRAME_BYTES = 512 * 1024;
/** Response bodies from this size are written after their header instead of copied into a frame. */
const LARGE_RESPONSE_BYTES = 16 * 1024;

/**
 * The server side of the Fluss RPC protocol over TCP.
 *
 * Every connection gets its own frame decoder; requests are dispatched as they arrive and
 * answered when their handler finishes, so responses may go out of order (as in Java).
 * Bad input never takes the process down: a malformed frame gets a SERVER_FAILURE frame
 * and that connection is closed; an unknown api key or an undecodable body gets an
 * ERROR_RESPONSE (the Java server stays silent there, which leaves clients waiting for
 * their timeout); a handler failure becomes an ERROR_RESPONSE with its error code.
 */
export class RpcServer {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private boundPort = 0;
  private readonly transient: ReadonlySet<number>;
  private readonly pool: BufferPool;
  /** Test hook state ({@link setUnresponsive}): connections accepted meanwhile wait here. */
  private unresponsive = false;
  private readonly deferred = new Set<net.Socket>();
  private get maxQueuedResponseBytes(): number {
    return this.options.maxQueuedResponseBytes ?? DEFAULT_MAX_QUEUED_RESPONSE_BYTES;
  }
  /** Bytes of incomplete frames allocated now (see maxIncompleteFrameBytes). */
  private incompleteBytes = 0;
  private readonly maxIncompleteBytes: number;
  /** Connections waiting for incomplete-frame budget, oldest first; each retries its reservation. */
  private readonly waiting = new Set<() => boolean>();
  /** When {@link RpcServerOptions.onBadFrame} was last called (once a second at most). */
  private lastBadFrame = 0;

  constructor(
    private readonly handlers: ReadonlyMap<number, RawHandler>,
    private readonly options: RpcServerOptions,
  ) {
    this.transient = options.transientBodyApiKeys ?? new Set();
    this.pool = new BufferPool(options.receivePoolBytes ?? DEFAULT_RECEIVE_POOL_BYTES);
    this.maxIncompleteBytes = options.maxIncompleteFrameBytes ?? DEFAULT_MAX_INCOMPLETE_FRAME_BYTES;
  }

  /** Bytes of incomplete request frames held right now (recycled buffers aside). */
  get incompleteFrameBytes(): number {
    return this.incompleteBytes;
  }

  /** Bytes of recycled receive buffers lent to requests being received or handled. */
  get receivePoolLentBytes(): number {
    return this.pool.lentBytes;
  }

  private readonly budget = {
    reserve: (bytes: number, force: boolean): boolean => {
      // the first frame always proceeds, so a frame up to maxFrameBytes can always complete
      if (!force && this.incompleteBytes > 0 && this.incompleteBytes + bytes > this.maxIncompleteBytes) return false;
      this.incompleteBytes += bytes;
      return true;
    },
    unreserve: (bytes: number): void => {
      this.incompleteBytes -= bytes;
      for (const retry of this.waiting) {
        if (!retry()) break;
      }
    },
  };

  /** Starts listening; resolves with the bound port (useful with port 0). */
  async listen(): Promise<number> {
    // paused: a connection's reads start once accept() has chosen how to receive them
    const server = net.createServer({ pauseOnConnect: true }, (socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    let lastAcceptError = 0;
    server.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EMFILE" || err.code === "ENFILE") {
        const now = Date.now();
        if (now - lastAcceptError < 1000) return;
        lastAcceptError = now;
        (this.options.onAcceptError ?? this.options.onError)?.(err);
        return;
      }
      this.options.onError?.(err);
    });
    const addr = server.address();
    this.boundPort = typeof addr === "object" && addr ? addr.port : this.options.port;
    return this.boundPort;
  }

  get port(): number {
    return this.boundPort;
  }

  /** Number of open client connections. */
  get connectionCount(): number {
    return this.sockets.size;
  }

  /** Stops accepting, closes every connection and waits for the listener to shut. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    for (const s of this.deferred) s.destroy();
    this.deferred.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Closes every open connection (the listener stays): clients see their connections drop. */
  dropConnections(): void {
    for (const s of [...this.sockets]) s.destroy();
    for (const s of [...this.deferred]) s.destroy();
  }

  /**
   * Test hook: while `true` the server behaves like a hung process (SIGSTOP): it reads no
   * request, writes no response (those already computed are held), and new connections
   * are accepted by the kernel but not served. `false` resumes all of it, in order.
   */
  setUnresponsive(unresponsive: boolean): void {
    if (unresponsive === this.unresponsive) return;
    this.unresponsive = unresponsive;
    for (const s of this.sockets) {
      if (unresponsive) {
        s.pause();
        s.cork();
      } else {
        s.uncork();
        s.resume();
      }
    }
    if (!unresponsive) {
      const waiting = [...this.deferred];
      this.deferred.clear();
      for (const s of waiting) if (!s.destroyed) this.accept(s);
    }
  }

  private accept(accepted: net.Socket): void {
    if (this.unresponsive) {
      this.deferred.add(accepted);
      accepted.once("close", () => this.deferred.delete(accepted));
      return;
    }
    const maxFrameBytes = this.options.maxFrameBytes ?? DEFAULT_MAX_FRAME;
    const decoder = new FrameDecoder({
      maxFrameBytes,
      acquire: (length, head) => (this.transient.has(apiKeyOf(head)) ? this.pool.acquire(length) : undefined),
      budget: this.budget,
    });
    // a SASL listener caps frames until the connection authenticated (Kafka's
    // sasl.server.max.receive.size): a stranger cannot make the server allocate 100 MiB
    let capped = this.options.requireAuthentication === true;
    if (capped) {
      const cap = this.options.maxUnauthenticatedFrameBytes ?? DEFAULT_MAX_UNAUTHENTICATED_FRAME_BYTES;
      decoder.setMaxFrameBytes(Math.min(cap, maxFrameBytes), "before authentication");
    }
    // a frame waiting for budget: not read until it gets it (then resumed, in arrival order)
    const retry = (): boolean => {
      if (!decoder.unblock()) return false;
      this.waiting.delete(retry);
      if (open && !this.unresponsive && socket.writableLength <= this.maxQueuedResponseBytes) socket.resume();
      return true;
    };
    const abort = new AbortController();
    let open = true;
    const isOpen = () => open;
    let localAddress = { host: this.options.host, port: this.boundPort };
    const session: ConnectionSession = {
      principal: this.options.requireAuthentication ? undefined : ANONYMOUS_PRINCIPAL,
      remoteHost: (accepted.remoteAddress ?? "").replace(/^::ffff:/, ""),
    };
    const take = (frames: () => Uint8Array[]) => {
      // the AUTHENTICATE handler set the principal before answering: what the client sends
      // from then on may use the full frame size
      if (capped && session.principal !== undefined) {
        capped = false;
        decoder.setMaxFrameBytes(maxFrameBytes);
      }
      let completed: Uint8Array[];
      try {
        completed = frames();
      } catch (err) {
        // oversized or negative length: answer like Netty's exceptionCaught, then hang up
        const msg = err instanceof Error ? err.message : String(err);
        if (open) socket.end(encodeServerFailureFrame(ErrorCode.CORRUPT_MESSAGE, msg));
        finish();
        this.reportBadFrame(msg, session.remoteHost);
        return;
      }
      for (const frame of completed) this.dispatch(frame, socket, abort.signal, localAddress, isOpen, session);
      if (decoder.blocked && open) {
        socket.pause();
        this.waiting.add(retry);
      }
    };
    const adopted =
      this.options.directReads === false
        ? undefined
        : adoptWithOnRead(accepted, {
            buffer: () => decoder.nextBuffer(),
            callback: (n) => (take(() => decoder.received(n)), true),
          });
    const socket = adopted ?? accepted;
    this.sockets.add(socket);
    socket.setNoDelay(true);
    // a wildcard listener advertises the address this client actually reached
    const wildcard = ["", "0.0.0.0", "::", "[::]"].includes(this.options.host);
    const reached = (socket.localAddress ?? "").replace(/^::ffff:/, "");
    localAddress = { host: wildcard && reached ? reached : this.options.host, port: this.boundPort };
    const finish = () => {
      if (!open) return;
      open = false;
      this.sockets.delete(socket);
      this.waiting.delete(retry);
      // an incomplete frame's buffer goes back to the pool, its budget to the others
      const partial = decoder.abandon();
      if (partial) this.pool.release(partial);
      abort.abort();
    };
    socket.on("close", finish);
    // backpressure: stop reading requests while too many response bytes wait for the client
    socket.on("drain", () => {
      if (!this.unresponsive && !decoder.blocked) socket.resume();
    });
    socket.on("error", finish); // a client vanishing mid-request is normal
    if (!adopted) {
      socket.on("data", (chunk: Buffer) => take(() => decoder.push(chunk)));
      socket.resume();
    }
  }

  private reportBadFrame(message: string, remoteHost: string): void {
    const report = this.options.onBadFrame;
    if (report === undefined) return;
    const now = Date.now();
    if (now - this.lastBadFrame < 1000) return;
    this.lastBadFrame = now;
    report(message, remoteHost);
  }

  private dispatch(
    frame: Uint8Array,
    socket: net.Socket,
    signal: AbortSignal,
    localAddress: { host: string; port: number },
    isOpen: () => boolean,
    session: ConnectionSession,
  ): void {
    let header: ReturnType<typeof parseRequestHeader>;
    try {
      header = parseRequestHeader(frame);
    } catch (err) {
      if (isOpen()) socket.end(encodeServerFailureFrame(ErrorCode.CORRUPT_MESSAGE, (err as Error).message));
      socket.destroySoon?.();
      this.reportBadFrame((err as Error).message, session.remoteHost);
      return;
    }
    const { apiKey, apiVersion, requestId, body } = header;
    const send = (...chunks: Uint8Array[]) => {
      if (!isOpen() || socket.destroyed) return;
      socket.cork();
      for (const c of chunks) socket.write(c);
      socket.uncork();
      if (socket.writableLength > this.maxQueuedResponseBytes) socket.pause();
    };
    if (session.principal === undefined && apiKey !== ApiKey.API_VERSIONS && apiKey !== ApiKey.AUTHENTICATE) {
      this.pool.release(frame);
      send(
        encodeErrorResponseFrame(
          requestId,
          ErrorCode.AUTHENTICATE_EXCEPTION,
          "The connection has not completed authentication yet. This may be caused by a missing or incorrect " +
            "configuration of 'client.security.protocol' on the client side.",
        ),
      );
      return;
    }
    const handler = this.handlers.get(apiKey);
    if (!handler) {
      this.pool.release(frame);
      send(
        encodeErrorResponseFrame(requestId, ErrorCode.UNSUPPORTED_VERSION, `api key ${apiKey} is not supported by this server`),
      );
      return;
    }
    const ctx: RequestContext = { apiKey, apiVersion, requestId, signal, localAddress, session };
    const fault = this.options.intercept?.(apiKey);
    let result: Promise<Uint8Array | ResponseParts>;
    if (fault === undefined) {
      try {
        result = Promise.resolve(handler(body, ctx));
      } catch (err) {
        result = Promise.reject(err);
      }
    } else {
      const run = (): Promise<Uint8Array | ResponseParts> => {
        if (fault.error) return Promise.reject(new FlussError(fault.error.code, fault.error.message));
        return Promise.resolve().then(() => handler(body, ctx));
      };
      const ms = fault.delayMs ?? 0;
      result = ms > 0 ? new Promise<void>((resolve) => setTimeout(resolve, ms)).then(run) : run();
    }
    // the frame may be a recycled buffer (transient-body keys): it goes back once answered
    const done = () => {
      if (this.transient.has(apiKey)) this.pool.release(frame);
    };
    result.then(
      (resp) => {
        if (!(resp instanceof Uint8Array)) {
          // chunks (fetched records in pooled buffers): released once written
          const release = resp.release;
          if (!isOpen() || socket.destroyed) {
            release?.();
          } else {
            socket.cork();
            const n = resp.chunks.length;
            socket.write(encodeResponseHeader(requestId, resp.length), n === 0 && release ? () => release() : undefined);
            for (let i = 0; i < n; i++) socket.write(resp.chunks[i]!, i === n - 1 && release ? () => release() : undefined);
            socket.uncork();
            if (socket.writableLength > this.maxQueuedResponseBytes) socket.pause();
          }
        } else if (resp.length < LARGE_RESPONSE_BYTES) {
          send(encodeResponseFrame(requestId, resp));
        } else {
          // a large body (fetched records) goes out after its header in one writev, uncopied
          send(encodeResponseHeader(requestId, resp.length), resp);
        }
        done();
      },
      (err: unknown) => {
        // CLIENT_ERROR (-2) has no meaning on the wire: such an error is a server bug
        if (err instanceof FlussError && err.code >= ErrorCode.UNKNOWN_SERVER_ERROR) {
          send(encodeErrorResponseFrame(requestId, err.code, err.message));
        } else {
          this.options.onError?.(err, ctx);
          const msg = err instanceof Error ? (err.stack ?? err.message) : String(err);
          send(encodeErrorResponseFrame(requestId, ErrorCode.UNKNOWN_SERVER_ERROR, msg.slice(0, 2048)));
        }
        done();
      },
    );
  }
}

/** Api key of a request frame from its first bytes (-1 if too short). */
function apiKeyOf(head: Uint8Array): number {
  return head.length >= 2 ? (((head[0]! << 8) | head[1]!) << 16) >> 16 : -1;
}
