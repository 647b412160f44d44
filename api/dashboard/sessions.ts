// Dashboard sign-in sessions, in memory: a random session id (the HttpOnly
// cookie) maps to the bearer token the person signed in with and a CSRF
// token. The token itself stays on the server and is verified again on every
// request, so a revoked token ends its sessions and RBAC sees the same user.
// A restart signs everyone out, which is acceptable for a board's dashboard.

import { randomBytes } from "node:crypto";
import { TugError } from "../../core/errors.ts";
import type { SessionCredentials } from "../auth/security.ts";

export const SESSION_COOKIE = "tug-session";
export const CSRF_HEADER = "x-tug-csrf";
const TTL_MS = 12 * 3600_000;
const MAX_SESSIONS = 256;

interface Session {
  token: string;
  csrf: string;
  expires: number;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function cookieValue(req: Request, name: string): string | undefined {
  const header = req.headers.get("cookie");
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export class DashboardSessions implements SessionCredentials {
  // Map keeps insertion order: the first entry is the oldest session.
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Starts a session for a token already verified by the authenticator. */
  create(token: string): { id: string; csrf: string } {
    this.prune();
    while (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    const id = randomBytes(32).toString("base64url");
    const csrf = randomBytes(24).toString("base64url");
    this.sessions.set(id, { token, csrf, expires: this.now() + TTL_MS });
    return { id, csrf };
  }

  /** The session of a request's cookie, if it is live. */
  lookup(req: Request): Session | undefined {
    const id = cookieValue(req, SESSION_COOKIE);
    const s = id ? this.sessions.get(id) : undefined;
    if (!s) return undefined;
    if (s.expires <= this.now()) {
      this.sessions.delete(id!);
      return undefined;
    }
    return s;
  }

  end(req: Request): void {
    const id = cookieValue(req, SESSION_COOKIE);
    if (id) this.sessions.delete(id);
  }

  /**
   * The bearer token behind a request's session cookie, or undefined without
   * a live session. A state-changing request must also carry the session's
   * CSRF token in a header (SameSite=Strict is the first guard, this the second).
   */
  bearerFor(req: Request): string | undefined {
    const s = this.lookup(req);
    if (!s) return undefined;
    if (!SAFE_METHODS.has(req.method.toUpperCase()) && req.headers.get(CSRF_HEADER) !== s.csrf) {
      throw new TugError("Forbidden", `${req.method} with a dashboard session needs the ${CSRF_HEADER} header`);
    }
    return s.token;
  }

  private prune(): void {
    const now = this.now();
    for (const [id, s] of this.sessions) if (s.expires <= now) this.sessions.delete(id);
  }
}
