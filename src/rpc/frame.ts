/**
 * Fluss RPC framing (protocol.md §1.1, Java `MessageCodec`). All header integers are
 * big-endian; every frame starts with an int32 length that excludes itself.
 *
 * - request:        len, int16 apiKey, int16 apiVersion, int32 requestId, body
 * - success:        len, int8 0, int32 requestId, body
 * - error response: len, int8 1, int32 requestId, ErrorResponse
 * - server failure: len, int8 2, ErrorResponse (no request id)
 *
 * The `encode*` functions return whole frames including the length prefix. {@link FrameDecoder}
 * yields frames WITHOUT the length prefix, and the `parse*` functions take such frames.
 */

import { ErrorCode, FlussError, defaultErrorMessage } from "./errors.js";
import { ErrorResponse } from "./messages.js";
import type { MessageCodec } from "./protobuf.js";
import { ProtocolError } from "./protobuf.js";

/** Bytes after the length prefix before a request body. */
const REQUEST_HEADER_LENGTH = 8;
/** Bytes after the length prefix before a success/error response body. */
const RESPONSE_HEADER_LENGTH = 5;
/** Bytes after the length prefix before a server-failure body. */
const SERVER_FAILURE_HEADER_LENGTH = 1;
/** Size of the length prefix. */
const LENGTH_PREFIX = 4;

/** Response frame type byte (Java `ResponseType`). */
export const ResponseType = {
  SUCCESS_RESPONSE: 0,
  ERROR_RESPONSE: 1,
  SERVER_FAILURE: 2,
} as const;
export type ResponseType = (typeof ResponseType)[keyof typeof ResponseType];

/** Malformed framing: negative length, frame over the limit, header too short, unknown type. */
export class FrameError extends ProtocolError {}

function header(total: number): { buf: Uint8Array; view: DataView } {
  const buf = new Uint8Array(total);
  return { buf, view: new DataView(buf.buffer) };
}

function frameWithBody(headerLen: number, body: Uint8Array): { buf: Uint8Array; view: DataView } {
  const h = header(LENGTH_PREFIX + headerLen + body.length);
  h.view.setInt32(0, headerLen + body.length);
  h.buf.set(body, LENGTH_PREFIX + headerLen);
  return h;
}

/** A request frame around an already encoded body. */
export function encodeRequestFrame(apiKey: number, apiVersion: number, requestId: number, body: Uint8Array): Uint8Array {
  const { buf, view } = frameWithBody(REQUEST_HEADER_LENGTH, body);
  writeRequestHeader(view, apiKey, apiVersion, requestId, REQUEST_HEADER_LENGTH + body.length);
  return buf;
}

/** A request frame, encoding `msg` straight into the frame buffer (no body copy). */
export function encodeRequestMessage<T>(
  apiKey: number,
  apiVersion: number,
  requestId: number,
  codec: MessageCodec<T>,
  msg: T,
): Uint8Array {
  const buf = codec.encodeWithHeader(msg, LENGTH_PREFIX + REQUEST_HEADER_LENGTH);
  writeRequestHeader(
    new DataView(buf.buffer, buf.byteOffset, buf.byteLength),
    apiKey,
    apiVersion,
    requestId,
    buf.length - LENGTH_PREFIX,
  );
  return buf;
}

/**
 * The 12 bytes in front of a request body of `bodyLength` bytes (length prefix and request
 * header), for sending a frame as header + body chunks.
 */
export function encodeRequestHeader(apiKey: number, apiVersion: number, requestId: number, bodyLength: number): Uint8Array {
  const buf = new Uint8Array(LENGTH_PREFIX + REQUEST_HEADER_LENGTH);
  writeRequestHeader(new DataView(buf.buffer), apiKey, apiVersion, requestId, REQUEST_HEADER_LENGTH + bodyLength);
  return buf;
}

function writeRequestHeader(view: DataView, apiKey: number, apiVersion: number, requestId: number, length: number): void {
  view.setInt32(0, length);
  view.setInt16(4, apiKey);
  view.setInt16(6, apiVersion);
  view.setInt32(8, requestId);
}

/**
 * Writes the length prefix and response header at the start of `buf`, a frame of
 * `frameLength` bytes (prefix included) whose body follows the header.
 */
function writeResponseHeader(buf: Uint8Array, type: ResponseType, requestId: number, frameLength: number): void {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  view.setInt32(0, frameLength - LENGTH_PREFIX);
  view.setInt8(4, type);
  if (type !== ResponseType.SERVER_FAILURE) view.setInt32(5, requestId);
}

/** A SUCCESS_RESPONSE frame around an already encoded response body. */
export function encodeResponseFrame(requestId: number, body: Uint8Array): Uint8Array {
  const { buf } = frameWithBody(RESPONSE_HEADER_LENGTH, body);
  writeResponseHeader(buf, ResponseType.SUCCESS_RESPONSE, requestId, buf.length);
  return buf;
}

/**
 * The 9 bytes in front of a SUCCESS_RESPONSE body of `bodyLength` bytes, for sending a large
 * body as header + body chunks instead of copying it into a frame.
 */
export function encodeResponseHeader(requestId: number, bodyLength: number): Uint8Array {
  const buf = new Uint8Array(LENGTH_PREFIX + RESPONSE_HEADER_LENGTH);
  writeResponseHeader(buf, ResponseType.SUCCESS_RESPONSE, requestId, buf.length + bodyLength);
  return buf;
}

/** A SUCCESS_RESPONSE frame, encoding `msg` straight into the frame buffer. */
export function encodeResponseMessage<T>(requestId: number, codec: MessageCodec<T>, msg: T): Uint8Array {
  const buf = codec.encodeWithHeader(msg, LENGTH_PREFIX + RESPONSE_HEADER_LENGTH);
  writeResponseHeader(buf, ResponseType.SUCCESS_RESPONSE, requestId, buf.length);
  return buf;
}

/**
 * The ErrorResponse message for a code and message, as Java's `ApiError` builds it: the
 * message is omitted when empty or equal to the code's default message.
 */
export function makeErrorResponse(code: number, message?: string): ErrorResponse {
  const resp: ErrorResponse = { errorCode: code };
  if (message !== undefined && message !== "" && message !== defaultErrorMessage(code)) resp.errorMessage = message;
  return resp;
}

/**
 * The ErrorResponse for any thrown value: a {@link FlussError} keeps its code and message
 * (client-only codes become UNKNOWN_SERVER_ERROR); anything else is UNKNOWN_SERVER_ERROR with
 * its stack trace truncated to 2048 characters, like Java.
 */
export function errorResponseFromError(err: unknown): ErrorResponse {
  if (err instanceof FlussError) {
    // CLIENT_ERROR (-2) has no meaning on the wire; keep the message under the generic code.
    return makeErrorResponse(Math.max(err.code, ErrorCode.UNKNOWN_SERVER_ERROR), err.message);
  }
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return makeErrorResponse(ErrorCode.UNKNOWN_SERVER_ERROR, text.slice(0, 2048));
}

/** The FlussError an ErrorResponse stands for (the default message fills in an omitted one). */
export function errorFromErrorResponse(resp: ErrorResponse): FlussError {
  return new FlussError(resp.errorCode, resp.errorMessage);
}

/** An ERROR_RESPONSE frame for request `requestId`. */
export function encodeErrorResponseFrame(requestId: number, code: number, message?: string): Uint8Array {
  const buf = ErrorResponse.encodeWithHeader(makeErrorResponse(code, message), LENGTH_PREFIX + RESPONSE_HEADER_LENGTH);
  writeResponseHeader(buf, ResponseType.ERROR_RESPONSE, requestId, buf.length);
  return buf;
}

/** A SERVER_FAILURE frame (no request id; the receiver closes the connection). */
export function encodeServerFailureFrame(code: number, message?: string): Uint8Array {
  const buf = ErrorResponse.encodeWithHeader(makeErrorResponse(code, message), LENGTH_PREFIX + SERVER_FAILURE_HEADER_LENGTH);
  writeResponseHeader(buf, ResponseType.SERVER_FAILURE, 0, buf.length);
  return buf;
}

/** A parsed request header; `body` is a view into the frame. */
export interface RequestHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly requestId: number;
  readonly body: Uint8Array;
}

/** Parses a request frame (without its length prefix). */
export function parseRequestHeader(frame: Uint8Array): RequestHeader {
  if (frame.length < REQUEST_HEADER_LENGTH) {
    throw new FrameError(`request frame of ${frame.length} bytes is shorter than the ${REQUEST_HEADER_LENGTH}-byte header`);
  }
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  return {
    apiKey: view.getInt16(0),
    apiVersion: view.getInt16(2),
    requestId: view.getInt32(4),
    body: frame.subarray(REQUEST_HEADER_LENGTH),
  };
}

/** A parsed response frame; `body` is a view into the frame (an ErrorResponse for types 1 and 2). */
export type ResponseFrame =
  | { readonly type: typeof ResponseType.SUCCESS_RESPONSE; readonly requestId: number; readonly body: Uint8Array }
  | { readonly type: typeof ResponseType.ERROR_RESPONSE; readonly requestId: number; readonly body: Uint8Array }
  | { readonly type: typeof ResponseType.SERVER_FAILURE; readonly body: Uint8Array };

/** Parses a response frame (without its length prefix). */
export function parseResponseFrame(frame: Uint8Array): ResponseFrame {
  if (frame.length < 1) throw new FrameError("empty response frame");
  const type = frame[0]!;
  if (type === ResponseType.SERVER_FAILURE) return { type, body: frame.subarray(SERVER_FAILURE_HEADER_LENGTH) };
  if (type !== ResponseType.SUCCESS_RESPONSE && type !== ResponseType.ERROR_RESPONSE) {
    throw new FrameError(`unknown response type ${type}`);
  }
  if (frame.length < RESPONSE_HEADER_LENGTH) {
    throw new FrameError(`response frame of ${frame.length} bytes is shorter than the ${RESPONSE_HEADER_LENGTH}-byte header`);
  }
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  return { type, requestId: view.getInt32(1), body: frame.subarray(RESPONSE_HEADER_LENGTH) };
}

/** Bytes of the buffer that receives frame headers and small frames. */
const STAGING_BYTES = 64 * 1024;
/** An incomplete frame longer than this is received straight into a buffer of its own. */
const DIRECT_MIN_BYTES = 16 * 1024;
/** Bytes of a frame (after its length) shown to `acquire`: a request header. */
const HEAD_BYTES = REQUEST_HEADER_LENGTH;

/** Options of {@link FrameDecoder}. */
export interface FrameDecoderOptions {
  /** Largest frame accepted, counting the 4-byte length (as Netty counts it). */
  readonly maxFrameBytes?: number;
  /**
   * Frames up to this length get their whole buffer as soon as their header arrives; a
   * longer one starts with this much and grows as its bytes arrive, so a peer announcing a
   * huge frame costs only what it actually sends (default 1 MiB).
   */
  readonly eagerFrameBytes?: number;
  /**
   * Offers a reusable buffer (at least `frameLength` bytes) for a large frame, given its first
   * bytes; undefined lets the decoder allocate one.
   */
  readonly acquire?: (frameLength: number, head: Uint8Array) => Uint8Array | undefined;
  /**
   * A budget for the bytes of incomplete frames the decoder allocates (not those offered by
   * `acquire`): `reserve(n, force)` for a whole frame of n bytes before starting it, false to wait
   * (never false when `force`: {@link push} has the bytes in hand already and cannot wait)
   * ({@link blocked} turns true and {@link unblock} retries); `unreserve(n)` once a frame is
   * complete or abandoned.
   */
  readonly budget?: { reserve(bytes: number, force: boolean): boolean; unreserve(bytes: number): void };
  /**
   * Given the first bytes of a large frame, the frame offset that should land 8-aligned in
   * the buffer the decoder allocates for it (-1: none), e.g. fetched Arrow data
   * (`fetch-alignment.ts`), so arrow-js can view it without copying.
   */
  readonly alignAt?: (head: Uint8Array) => number;
}

function uninitialized(n: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(n);
  return new Uint8Array(b.buffer, b.byteOffset, n);
}

/**
 * Splits a byte stream into frames (without their length prefixes). Built for socket reads
 * into buffers it picks (net's `onread` with a buffer function): {@link nextBuffer} says where
 * the next read goes, {@link received} takes the byte count and returns completed frames.
 * Headers and small frames land in one reused staging buffer (small frames are copied out);
 * a large frame is read straight into its own buffer, so its bytes are copied once, by the
 * kernel. {@link push} feeds chunks from `data` events instead (one extra copy).
 *
 * A negative length or a frame over `maxFrameBytes` throws {@link FrameError}; the decoder is
 * unusable afterwards, so the caller should answer SERVER_FAILURE (server) or close.
 */
export class FrameDecoder {
  private maxBytes: number;
  /** Ends the oversized-frame message (e.g. "before authentication"). */
  private limitContext = "";
  private readonly eagerFrameBytes: number;
  private readonly acquire: FrameDecoderOptions["acquire"];
  private readonly alignAt: FrameDecoderOptions["alignAt"];
  /** Where the direct frame starts in its own buffer (0..7), see `alignAt`. */
  private shift = 0;
  private readonly staging = uninitialized(STAGING_BYTES);
  /** Unconsumed bytes of the staging buffer: [start, end). */
  private start = 0;
  private end = 0;
  /** The large frame being received directly, its length and the bytes of it received. */
  private direct: Uint8Array | undefined;
  private directLength = 0;
  private directReceived = 0;
  private failure: FrameError | undefined;
  private readonly budget: FrameDecoderOptions["budget"];
  /** Inside {@link push}: budget reservations cannot wait. */
  private forced = false;
  /** Bytes of the direct buffer reserved from the budget (0 for acquired buffers). */
  private reserved = 0;
  /** A growth (or start) waiting for budget: bytes wanted and the prefix to start with. */
  private pending: { length: number; prefix: Uint8Array } | undefined;

  constructor(options: FrameDecoderOptions = {}) {
    this.maxBytes = options.maxFrameBytes ?? 0x7fffffff;
    this.eagerFrameBytes = options.eagerFrameBytes ?? 1024 * 1024;
    this.acquire = options.acquire;
    this.alignAt = options.alignAt;
    this.budget = options.budget;
  }

  /** Largest frame accepted now, counting the 4-byte length. */
  get maxFrameBytes(): number {
    return this.maxBytes;
  }

  /**
   * Changes the largest frame accepted (counting the 4-byte length) for the frames whose
   * length is read from now on, e.g. a lower cap until a connection authenticated;
   * `context` ends the message of a frame refused for its size.
   */
  setMaxFrameBytes(bytes: number, context?: string): void {
    this.maxBytes = bytes;
    this.limitContext = context === undefined ? "" : ` ${context}`;
  }

  /** True while an incomplete frame waits for budget: do not read until {@link unblock}. */
  get blocked(): boolean {
    return this.pending !== undefined;
  }

  /** Retries the reservation a {@link blocked} decoder waits for; true once it may read again. */
  unblock(): boolean {
    const p = this.pending;
    if (!p) return true;
    this.pending = undefined;
    this.startDirect(p.length, p.prefix);
    return this.pending === undefined;
  }

  /**
   * Drops an incomplete frame (the connection is gone) and returns its buffer, so a lent one
   * can go back to its pool; the budget it held is given back.
   */
  abandon(): Uint8Array | undefined {
    const d = this.direct;
    this.direct = undefined;
    this.pending = undefined;
    this.release();
    return d;
  }

  private release(): void {
    if (this.reserved > 0) this.budget?.unreserve(this.reserved);
    this.reserved = 0;
  }

  /** Where the next bytes of the stream should be written (never empty). */
  nextBuffer(): Uint8Array {
    const d = this.direct;
    if (d) return d.subarray(this.directReceived, Math.min(d.length, this.directLength));
    return this.staging.subarray(this.end);
  }

  /** `n` bytes were written at the start of the last {@link nextBuffer}; returns completed frames. */
  received(n: number): Uint8Array[] {
    if (this.failure) throw this.failure;
    const frames: Uint8Array[] = [];
    const d = this.direct;
    if (d) {
      this.directReceived += n;
      if (this.directReceived < this.directLength) {
        if (this.directReceived === d.length) this.growDirect(d);
      } else {
        frames.push(d.length === this.directLength ? d : d.subarray(0, this.directLength));
        this.direct = undefined;
        this.release();
      }
      return frames;
    }
    this.end += n;
    this.drainStaging(frames);
    return frames;
  }

  /** Feeds a chunk received elsewhere (copied in); returns the frames it completes. */
  push(chunk: Uint8Array): Uint8Array[] {
    this.forced = true;
    try {
      return this.pushChunk(chunk);
    } finally {
      this.forced = false;
    }
  }

  private pushChunk(chunk: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = [];
    let off = 0;
    while (off < chunk.length) {
      const into = this.nextBuffer();
      const n = Math.min(into.length, chunk.length - off);
      into.set(chunk.subarray(off, off + n));
      off += n;
      for (const f of this.received(n)) frames.push(f);
    }
    return frames;
  }

  /** Whether bytes of an incomplete frame are buffered. */
  get hasPartialFrame(): boolean {
    return this.direct !== undefined || this.pending !== undefined || this.end > this.start;
  }

  private drainStaging(frames: Uint8Array[]): void {
    const s = this.staging;
    while (this.end - this.start >= LENGTH_PREFIX) {
      const at = this.start;
      const len = (s[at]! << 24) | (s[at + 1]! << 16) | (s[at + 2]! << 8) | s[at + 3]! | 0;
      this.checkLength(len);
      const body = at + LENGTH_PREFIX;
      const have = this.end - body;
      if (have >= len) {
        const frame = Buffer.allocUnsafe(len); // small: from Node's shared slab
        frame.set(s.subarray(body, body + len));
        frames.push(frame);
        this.start = body + len;
      } else {
        if (len > DIRECT_MIN_BYTES && have >= HEAD_BYTES) {
          this.startDirect(len, s.subarray(body, this.end));
          this.start = this.end = 0;
          return;
        }
        break;
      }
    }
    // keep the incomplete rest (under DIRECT_MIN_BYTES + header) at the front: room for the next read
    if (this.start > 0) {
      s.copyWithin(0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
  }

  private startDirect(length: number, prefix: Uint8Array): void {
    const offered = this.acquire?.(length, prefix.subarray(0, HEAD_BYTES));
    let buf: Uint8Array;
    if (offered && offered.length >= length) {
      buf = offered;
    } else {
      // The whole frame is reserved up front (allocation still follows the bytes received):
      // a frame once started can always complete, so waiting frames cannot deadlock.
      if (this.budget && !this.budget.reserve(length, this.forced)) {
        // keep the prefix (it sits in the staging buffer, which is reset) until budget frees
        this.pending = { length, prefix: prefix.slice() };
        this.direct = undefined;
        return;
      }
      this.reserved += this.budget ? length : 0;
      const at = this.alignAt ? this.alignAt(prefix) : -1;
      this.shift = at >= 0 ? (8 - (at % 8)) % 8 : 0;
      buf = this.allocShifted(Math.min(length, Math.max(this.eagerFrameBytes, 2 * prefix.length)));
    }
    buf.set(prefix);
    this.direct = buf;
    this.directLength = length;
    this.directReceived = prefix.length;
  }

  /** The direct buffer is full but the frame is not: double it (up to the frame's length). */
  private growDirect(full: Uint8Array): void {
    // (own buffers only: an acquired one holds its whole frame; the budget was reserved whole)
    const size = Math.min(this.directLength, full.length * 2);
    const bigger = this.allocShifted(size);
    bigger.set(full);
    this.direct = bigger;
  }

  /** `n` fresh bytes starting {@link shift} bytes into their ArrayBuffer. */
  private allocShifted(n: number): Uint8Array {
    return this.shift === 0 ? uninitialized(n) : uninitialized(n + this.shift).subarray(this.shift);
  }

  private checkLength(len: number): void {
    if (len < 0) {
      this.failure = new FrameError(`negative frame length ${len}`);
      throw this.failure;
    }
    if (len + LENGTH_PREFIX > this.maxBytes) {
      this.failure = new FrameError(
        `frame of ${len + LENGTH_PREFIX} bytes exceeds the maximum of ${this.maxBytes} bytes${this.limitContext}`,
      );
      throw this.failure;
    }
  }
}
