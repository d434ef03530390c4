/**
 * The lookup machinery of one connection (Java `LookupClient`): one queue and sender shared
 * by every lookuper of the connection, created on first use and closed with the connection.
 */
import type { ClientContext } from "../context.js";
import type { LookupQuery } from "./lookup-query.js";
import { LookupSender } from "./lookup-sender.js";

const clients = new WeakMap<ClientContext, LookupClient>();

/** The lookup sender of one connection, shared by its lookupers. Not exported from the package. */
export class LookupClient {
  readonly sender: LookupSender;
  private readonly untrack: () => void;
  private closing: Promise<void> | undefined;

  private constructor(private readonly ctx: ClientContext) {
    this.sender = new LookupSender(ctx);
    this.untrack = ctx.track(this);
  }

  /** The lookup client of a connection, created on first use. */
  static of(ctx: ClientContext): LookupClient {
    let c = clients.get(ctx);
    if (!c || c.closing) {
      c = new LookupClient(ctx);
      clients.set(ctx, c);
    }
    return c;
  }

  submit(q: LookupQuery): void {
    this.sender.submit(q);
  }

  /** Completes every queued lookup (no retries from now on), then detaches from the connection. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = this.sender.close().finally(() => {
        this.untrack();
        if (clients.get(this.ctx) === this) clients.delete(this.ctx);
      });
    }
    return this.closing;
  }
}
