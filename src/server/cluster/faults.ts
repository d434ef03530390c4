/**
 * Injected request failures and delays of the local cluster's test hooks
 * (`LocalCluster.injectError` / `delay`): consulted by each server's {@link RpcServer}
 * before a request is handled.
 */
import { ApiKey, apiKeyName, type ApiKeyName } from "../../rpc/api-keys.js";
import { ErrorCode, FlussError, defaultErrorMessage, errorName } from "../../rpc/errors.js";
import type { RequestFault } from "../rpc-server.js";

/** A server of the cluster: a tablet server id, or the coordinator. */
export type ServerRef = number | "coordinator";

interface InjectedError {
  readonly apiKey: number;
  readonly code: number;
  remaining: number;
  readonly server: ServerRef | undefined;
}

/** Resolves an api key given as its number or Java's name ("PRODUCE_LOG"). */
export function resolveApiKey(apiKey: number | ApiKeyName | string): number {
  if (typeof apiKey === "number") {
    if (apiKeyName(apiKey).startsWith("UNKNOWN_")) throw FlussError.client(`apiKey ${apiKey} is not a Fluss api key`);
    return apiKey;
  }
  const key = (ApiKey as Record<string, number>)[apiKey];
  if (key === undefined) throw FlussError.client(`apiKey '${apiKey}' is not a Fluss api key name (e.g. "PRODUCE_LOG")`);
  return key;
}

/** The faults in force; cheap to consult when there are none. */
export class FaultInjector {
  private readonly errors: InjectedError[] = [];
  /** ms by `${apiKey}/${server ?? "*"}`. */
  private readonly delays = new Map<string, number>();

  /** The next `count` requests of `apiKey` (on `server`, or on any server) fail with `code`. */
  addError(apiKey: number, code: number, count: number, server: ServerRef | undefined): void {
    if (!Number.isInteger(code) || code < ErrorCode.UNKNOWN_SERVER_ERROR || code === ErrorCode.NONE) {
      throw FlussError.client(`errorCode ${code} is not a server error code (UNKNOWN_SERVER_ERROR -1 or above, not NONE)`);
    }
    if (!Number.isInteger(count) || count < 0) throw FlussError.client(`count must be a non-negative integer, got ${count}`);
    if (count > 0) this.errors.push({ apiKey, code, remaining: count, server });
  }

  /** Every request of `apiKey` (on `server`, or on any server) waits `ms` first; 0 removes it. */
  setDelay(apiKey: number, ms: number, server: ServerRef | undefined): void {
    if (!Number.isFinite(ms) || ms < 0) throw FlussError.client(`ms must be a non-negative number, got ${ms}`);
    const key = `${apiKey}/${server ?? "*"}`;
    if (ms === 0) this.delays.delete(key);
    else this.delays.set(key, ms);
  }

  /** The interceptor for one server's requests. */
  interceptorFor(server: ServerRef, alsoMatches?: ServerRef): (apiKey: number) => RequestFault | undefined {
    const matches = (s: ServerRef | undefined): boolean => s === undefined || s === server || s === alsoMatches;
    return (apiKey) => {
      if (this.errors.length === 0 && this.delays.size === 0) return undefined;
      let delayMs = 0;
      if (this.delays.size > 0) {
        delayMs = Math.max(
          this.delays.get(`${apiKey}/*`) ?? 0,
          this.delays.get(`${apiKey}/${server}`) ?? 0,
          alsoMatches === undefined ? 0 : (this.delays.get(`${apiKey}/${alsoMatches}`) ?? 0),
        );
      }
      let error: RequestFault["error"];
      const i = this.errors.findIndex((e) => e.apiKey === apiKey && matches(e.server));
      if (i >= 0) {
        const e = this.errors[i]!;
        if (--e.remaining === 0) this.errors.splice(i, 1);
        const text = defaultErrorMessage(e.code) || errorName(e.code);
        error = { code: e.code, message: `${text} (injected into ${apiKeyName(apiKey)})` };
      }
      if (delayMs === 0 && error === undefined) return undefined;
      return { ...(delayMs > 0 ? { delayMs } : {}), ...(error ? { error } : {}) };
    };
  }

  clear(): void {
    this.errors.length = 0;
    this.delays.clear();
  }
}
