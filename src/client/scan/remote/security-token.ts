/**
 * Credentials for remote storage handed out by the cluster (GetFileSystemSecurityToken,
 * Java `DefaultSecurityTokenManager`): obtained on first use and renewed once
 * `filesystem.security.token.renewal.time-ratio` (0.75) of the time to its
 * `expiration_time` has passed. Java renews on a timer thread; here the renewal happens
 * when the token is next needed past that point, which is before it expires for every
 * request that uses it, and leaves no timer behind. A failed request is asked again only
 * after `filesystem.security.token.renewal.backoff`; meanwhile the last token (while
 * valid) or none is used.
 */
import type { GetFileSystemSecurityTokenResponse } from "../../../rpc/messages.js";

/** A token the cluster handed out. */
export interface ObtainedToken {
  /** The file system's scheme (`s3`, `file`, ...). */
  readonly scheme: string;
  /** S3 session credentials (from the token's JSON), when it carries them. */
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
  /** Epoch ms after which the token is invalid (undefined: never). */
  readonly expirationTime?: number;
  /** File-system settings to apply (`fs.s3a.endpoint`, `fs.s3a.region`, `fs.s3a.path.style.access`). */
  readonly additionInfos: ReadonlyMap<string, string>;
}

/**
 * Reads a GetFileSystemSecurityToken answer. The token is Java's `CredentialsJsonSerde`
 * JSON (`{"version":1,"access_key_id":…,"access_key_secret":…,"security_token":…}`) for
 * S3; other file systems (the local one) send an empty token.
 */
export function parseSecurityToken(resp: GetFileSystemSecurityTokenResponse): ObtainedToken {
  const additionInfos = new Map(resp.additionInfo.map((kv) => [kv.key, kv.value] as const));
  let credentials: ObtainedToken["credentials"];
  if (resp.token.length > 0) {
    try {
      const json = JSON.parse(new TextDecoder().decode(resp.token)) as Record<string, unknown>;
      const id = json.access_key_id;
      const secret = json.access_key_secret;
      const session = json.security_token;
      if (typeof id === "string" && typeof secret === "string") {
        credentials = {
          accessKeyId: id,
          secretAccessKey: secret,
          ...(typeof session === "string" ? { sessionToken: session } : {}),
        };
      }
    } catch {
      // not credentials JSON: a file system without credentials
    }
  }
  return {
    scheme: resp.schema,
    ...(credentials ? { credentials } : {}),
    ...(resp.expirationTime !== undefined && resp.expirationTime > 0 ? { expirationTime: resp.expirationTime } : {}),
    additionInfos,
  };
}

/** Obtains and renews the connection's remote-storage token. */
export class SecurityTokenManager {
  private token: ObtainedToken | undefined;
  /** When to ask for a new token (epoch ms). */
  private renewAt = 0;
  private pending: Promise<ObtainedToken | undefined> | undefined;
  /** The last failure, until the backoff passed. */
  private lastError: unknown;

  constructor(
    private readonly obtain: () => Promise<GetFileSystemSecurityTokenResponse>,
    private readonly renewalRatio: number,
    private readonly retryBackoffMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Why the last request for a token failed (while its backoff lasts). */
  get failure(): unknown {
    return this.lastError;
  }

  /** The current token, asking the cluster for one first when due; undefined when there is none. */
  async current(): Promise<ObtainedToken | undefined> {
    if (this.now() < this.renewAt) return this.valid();
    this.pending ??= this.renew().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private valid(): ObtainedToken | undefined {
    const t = this.token;
    return t && (t.expirationTime === undefined || this.now() < t.expirationTime) ? t : undefined;
  }

  private async renew(): Promise<ObtainedToken | undefined> {
    const asked = this.now();
    try {
      const token = parseSecurityToken(await this.obtain());
      this.token = token;
      this.lastError = undefined;
      // DefaultSecurityTokenManager.calculateRenewalDelay: ratio × (expiration − now)
      this.renewAt =
        token.expirationTime === undefined
          ? Infinity
          : asked + Math.max(0, Math.round(this.renewalRatio * (token.expirationTime - asked)));
    } catch (err) {
      this.lastError = err;
      this.renewAt = asked + this.retryBackoffMs;
    }
    return this.valid();
  }
}
