/**
 * What tables, writers, scanners and lookupers of one connection share. Kept apart from
 * `connection.ts` so that those modules do not import the connection (no import cycle).
 */
import type { FlussAdmin } from "./admin.js";
import type { Config } from "./config.js";
import type { MetadataUpdater } from "./metadata.js";
import type { RpcClient } from "./rpc-client.js";
import type { RemoteStorage } from "./scan/remote/remote-storage.js";

/** Something the connection must flush or close when it closes (writers, scanners). */
export interface ConnectionResource {
  close(): Promise<void>;
}

/** What tables, writers and scanners share: one per connection. Not exported from the package. */
export interface ClientContext {
  readonly config: Config;
  readonly rpc: RpcClient;
  readonly metadata: MetadataUpdater;
  readonly admin: FlussAdmin;
  /** Remote (tiered) log storage: file systems, tokens, the download bound. */
  readonly remoteStorage: RemoteStorage;
  /** Registers a resource closed with the connection; returns the unregister function. */
  track(resource: ConnectionResource): () => void;
}
