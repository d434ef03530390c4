/**
 * The console's access token, as Jupyter's: a random token per start, shown in the address
 * printed (`/?token=…`); the first visit trades it for an HttpOnly SameSite=Strict cookie,
 * and every API and event-stream request must carry one of them (or `Authorization: Bearer`).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { FlussError } from "../rpc/errors.js";
import { sendJson } from "./http-util.js";

/** What a request showed: the right token, a wrong or stale one, or none. */
export type TokenCheck = "ok" | "wrong" | "missing";

/** Characters a token set by hand may use (safe in a URL and a cookie unquoted). */
const TOKEN_CHARS = /^[A-Za-z0-9._~-]+$/;

/** A new token: 24 random bytes as 48 hex digits (Jupyter's length). */
export function newAccessToken(): string {
  return randomBytes(24).toString("hex");
}

/** Checks a token given in the options. */
export function checkAccessToken(token: string): string {
  if (!TOKEN_CHARS.test(token)) {
    throw FlussError.client("the console's token must be 1 or more of the characters A-Z a-z 0-9 . _ ~ -");
  }
  return token;
}

/** Cookies are not told apart by port: each console's cookie is named for its port. */
function cookieName(port: number): string {
  return `flussjs-console-${port}`;
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s, "utf8").digest();
}

/** The token checks of one console. */
export class ConsoleAccess {
  private readonly expected: Buffer;
  private readonly cookie: string;

  constructor(
    private readonly token: string,
    port: number,
  ) {
    this.expected = digest(token);
    this.cookie = cookieName(port);
  }

  /** Whether `given` is the token, in constant time (digests of equal length are compared). */
  matches(given: string): boolean {
    return timingSafeEqual(digest(given), this.expected);
  }

  /** The token a request carries: `Authorization: Bearer|token …`, else the console's cookie. */
  private carried(req: IncomingMessage): string | undefined {
    const auth = req.headers.authorization;
    if (auth !== undefined) {
      const m = /^(?:Bearer|token)\s+(\S+)\s*$/i.exec(auth);
      return m ? m[1]! : "";
    }
    for (const part of (req.headers.cookie ?? "").split(";")) {
      const eq = part.indexOf("=");
      if (eq > 0 && part.slice(0, eq).trim() === this.cookie) return part.slice(eq + 1).trim();
    }
    return undefined;
  }

  /** Checks the `?token=` of `url` if there is one, else the header or cookie. */
  check(req: IncomingMessage, url: URL): TokenCheck {
    const given = url.searchParams.get("token") ?? this.carried(req);
    if (given === undefined) return "missing";
    return this.matches(given) ? "ok" : "wrong";
  }

  /**
   * The page opened with the right `?token=`: sets the cookie and sends the browser to the
   * same address without the token (out of the history, the address bar and Referer headers).
   */
  redirectWithCookie(res: ServerResponse, url: URL): void {
    const rest = new URLSearchParams(url.searchParams);
    rest.delete("token");
    const query = rest.toString();
    res.writeHead(302, {
      location: `${url.pathname}${query === "" ? "" : `?${query}`}`,
      "set-cookie": `${this.cookie}=${this.token}; HttpOnly; SameSite=Strict; Path=/`,
      "cache-control": "no-store",
      "content-length": 0,
    });
    res.end();
  }

  /** 401 saying how to get in: a JSON error (API) or a line of text (the page). */
  refuse(res: ServerResponse, check: Exclude<TokenCheck, "ok">, asJson: boolean): void {
    const how =
      "open the address printed when the console started (http://…/?token=…; the token changes at every start) " +
      'or send the header "Authorization: Bearer <token>"';
    const error =
      check === "missing"
        ? `This console needs its access token: ${how}.`
        : `The console's access token is wrong or out of date: ${how}.`;
    res.setHeader("www-authenticate", 'Bearer realm="flussjs console"');
    if (asJson) {
      sendJson(res, 401, { error });
      return;
    }
    res.writeHead(401, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
    res.end(`${error}\n`);
  }
}
