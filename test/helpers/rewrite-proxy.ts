/**
 * A TCP proxy in front of the embedded cluster that rewrites chosen answers: Metadata
 * (servers advertised at the proxy, so the client stays behind it), FetchLog (e.g. the
 * remote directory a bucket is read from) and GetFileSystemSecurityToken (e.g. a token
 * for a remote storage the cluster itself does not use).
 */
import * as net from "node:net";
import { ApiKey } from "../../src/rpc/api-keys.js";
import {
  encodeResponseMessage,
  FrameDecoder,
  parseRequestHeader,
  parseResponseFrame,
  ResponseType,
} from "../../src/rpc/frame.js";
import { FetchLogResponse, GetFileSystemSecurityTokenResponse, MetadataResponse } from "../../src/rpc/messages.js";

export interface Rewrites {
  /** Changes a FetchLog answer in place. */
  fetchLog?: (resp: FetchLogResponse) => void;
  /** The answer to every GetFileSystemSecurityToken (whatever the cluster said). */
  securityToken?: () => GetFileSystemSecurityTokenResponse;
}

export interface RewriteProxy {
  readonly port: number;
  /** GetFileSystemSecurityToken requests seen. */
  tokenRequests(): number;
  close(): Promise<void>;
}

const lengthPrefixed = (frame: Uint8Array): Buffer => {
  const len = Buffer.alloc(4);
  len.writeInt32BE(frame.length);
  return Buffer.concat([len, frame]);
};

export async function rewritingProxy(target: number, rewrites: Rewrites): Promise<RewriteProxy> {
  const sockets = new Set<net.Socket>();
  let tokens = 0;
  let port = 0;
  const server = net.createServer((down) => {
    const up = net.connect({ host: "127.0.0.1", port: target });
    sockets.add(down).add(up);
    const end = (): void => {
      down.destroy();
      up.destroy();
    };
    down.on("error", end).on("close", end);
    up.on("error", end).on("close", end);
    const reqDec = new FrameDecoder({ maxFrameBytes: 0x7fffffff });
    const resDec = new FrameDecoder({ maxFrameBytes: 0x7fffffff });
    const keyOf = new Map<number, number>();
    down.on("data", (c: Buffer) => {
      for (const fr of reqDec.push(c)) {
        const h = parseRequestHeader(fr);
        keyOf.set(h.requestId, h.apiKey);
        if (h.apiKey === ApiKey.GET_FILESYSTEM_SECURITY_TOKEN) tokens++;
      }
      up.write(c);
    });
    up.on("data", (c: Buffer) => {
      for (const fr of resDec.push(c)) {
        const p = parseResponseFrame(fr);
        if (p.type === ResponseType.SERVER_FAILURE) {
          down.write(lengthPrefixed(fr));
          continue;
        }
        const key = keyOf.get(p.requestId);
        keyOf.delete(p.requestId);
        if (key === ApiKey.GET_FILESYSTEM_SECURITY_TOKEN && rewrites.securityToken) {
          down.write(encodeResponseMessage(p.requestId, GetFileSystemSecurityTokenResponse, rewrites.securityToken()));
          continue;
        }
        if (p.type === ResponseType.SUCCESS_RESPONSE && key === ApiKey.GET_METADATA) {
          const m = MetadataResponse.decode(p.body);
          for (const n of [m.coordinatorServer, ...m.tabletServers]) if (n) n.port = port;
          down.write(encodeResponseMessage(p.requestId, MetadataResponse, m));
          continue;
        }
        if (p.type === ResponseType.SUCCESS_RESPONSE && key === ApiKey.FETCH_LOG && rewrites.fetchLog) {
          const m = FetchLogResponse.decode(p.body);
          rewrites.fetchLog(m);
          down.write(encodeResponseMessage(p.requestId, FetchLogResponse, m));
          continue;
        }
        down.write(lengthPrefixed(fr));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  port = (server.address() as net.AddressInfo).port;
  return {
    port,
    tokenRequests: () => tokens,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
