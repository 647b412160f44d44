// The API's front door: every request but the open ones (health, version,
// the CA for joining boards) must carry a valid credential (401 otherwise)
// and be allowed by the node authorizer or RBAC (403 naming verb and
// resource); a node may create only the Node of its own name. The user is
// left on the context for the handlers.

import type { Context, Hono, MiddlewareHandler } from "hono";
import { TugError } from "../../core/errors.ts";
import { nodeCreateRestriction } from "../../core/auth/node-authorizer.ts";
import { requestAttributes, type RequestAttributes } from "../../core/auth/request-attributes.ts";
import { SYSTEM_NODES, type UserInfo } from "../../core/auth/user.ts";
import { JOIN_PATHS } from "../../core/auth/join-token.ts";
import { readBody } from "../body.ts";
import type { Authenticator } from "./authenticator.ts";
import { authorizeRequest, type AuthorizerDeps } from "./authorizer.ts";

/** Paths anyone may read: probes, the version, and the CA a joining board pins. */
export const OPEN_PATHS = new Set<string>(["/healthz", "/livez", "/readyz", "/version", JOIN_PATHS.ca]);
/** Paths that authenticate but do their own authorization (a bootstrap token may only join). */
export const SELF_AUTHORIZED_PATHS = new Set<string>([JOIN_PATHS.join]);

export interface Security {
  authenticator: Authenticator;
  authorizer: AuthorizerDeps;
  /** The dashboard's cookie sessions: a request without an Authorization header may carry one instead. */
  sessions?: SessionCredentials;
}

/**
 * Maps a request's session cookie to the bearer token it was signed in with
 * (undefined: no live session). Throws Forbidden for a state-changing request
 * without the session's CSRF header.
 */
export interface SessionCredentials {
  bearerFor(req: Request): string | undefined;
}

/** The request as the authenticator should see it: a session cookie becomes the bearer token behind it. */
function withSessionCredential(req: Request, sessions: SessionCredentials | undefined): Request {
  if (!sessions || req.headers.has("authorization")) return req;
  const token = sessions.bearerFor(req);
  return token ? new Request(req.url, { method: req.method, headers: { authorization: `Bearer ${token}` } }) : req;
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
    const user = await security.authenticator.authenticate(withSessionCredential(c.req.raw, security.sessions), remoteAddress(c));
    if (!user) throw new TugError("Unauthorized", "Unauthorized");
    c.set("user" as never, user as never);
    if (!SELF_AUTHORIZED_PATHS.has(path)) {
      const attrs = requestAttributes(c.req.method, path, new URL(c.req.url).searchParams);
      authorizeRequest(user, attrs, security.authorizer);
      await checkNodeCreate(c, user, attrs);
    }
    return next();
  };
}

/**
 * NodeRestriction for `POST /api/v1/nodes`: the URL names no Node, so the
 * node authorizer let the create through and the body's name is checked here
 * (a node may create only its own Node). Reads a clone; the handler reads the body again.
 */
async function checkNodeCreate(c: Context, user: UserInfo, attrs: RequestAttributes): Promise<void> {
  if (!user.groups.includes(SYSTEM_NODES) || !attrs.resourceRequest || attrs.resource !== "nodes" || attrs.verb !== "create" || attrs.subresource) return;
  // clone() is typed with Node's Request (undici's) under @types/node; at run time it is Bun's.
  const object = await readBody(c.req.raw.clone() as Request);
  const reason = nodeCreateRestriction(user, attrs, object);
  if (reason === undefined) return;
  const name = (object as { metadata?: { name?: unknown } } | undefined)?.metadata?.name;
  const subject = typeof name === "string" && name !== "" ? `nodes ${JSON.stringify(name)}` : "nodes";
  throw new TugError("Forbidden", `${subject} is forbidden: ${reason}`, { name: typeof name === "string" ? name : undefined, group: "", kind: "nodes" });
}

export function mountSecurity(app: Hono, security: Security): void {
  app.use("*", securityMiddleware(security));
}
