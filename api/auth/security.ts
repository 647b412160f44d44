// The API's front door: every request but the open ones (health, version,
// the CA for joining boards) must carry a valid credential (401 otherwise)
// and be allowed by the node authorizer or RBAC (403 naming verb and
// resource). The user is left on the context for the handlers.

import type { Context, Hono, MiddlewareHandler } from "hono";
import { TugError } from "../../core/errors.ts";
import { requestAttributes } from "../../core/auth/request-attributes.ts";
import type { UserInfo } from "../../core/auth/user.ts";
import type { Authenticator } from "./authenticator.ts";
import { authorizeRequest, type AuthorizerDeps } from "./authorizer.ts";

/** Paths anyone may read: probes, the version, and the CA a joining board pins. */
export const OPEN_PATHS = new Set(["/healthz", "/livez", "/readyz", "/version", "/mesh/v1/ca"]);
/** Paths that authenticate but do their own authorization (a bootstrap token may only join). */
export const SELF_AUTHORIZED_PATHS = new Set(["/mesh/v1/join"]);

export interface Security {
  authenticator: Authenticator;
  authorizer: AuthorizerDeps;
}

/** The remote address Bun.serve passed in (`env.requestIP`), for rate limiting and logs. */
export function remoteAddress(c: Context): string {
  const env = c.env as { requestIP?: (req: Request) => { address: string } | null } | undefined;
  return env?.requestIP?.(c.req.raw)?.address ?? "local";
}

export function userOf(c: Context): UserInfo | undefined {
  return c.get("user" as never) as UserInfo | undefined;
}

export function securityMiddleware(security: Security): MiddlewareHandler {
  return async (c, next) => {
    const path = c.req.path;
    if (OPEN_PATHS.has(path)) return next();
    const user = await security.authenticator.authenticate(c.req.raw, remoteAddress(c));
    if (!user) throw new TugError("Unauthorized", "Unauthorized");
    c.set("user" as never, user as never);
    if (!SELF_AUTHORIZED_PATHS.has(path)) {
      authorizeRequest(user, requestAttributes(c.req.method, path, new URL(c.req.url).searchParams), security.authorizer);
    }
    return next();
  };
}

export function mountSecurity(app: Hono, security: Security): void {
  app.use("*", securityMiddleware(security));
}
