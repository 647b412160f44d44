// The dashboard's own routes, mounted before the API's security middleware:
// the page and its assets (open), sign-in and sign-out, and one multiplexed
// watch. Everything else the browser does goes to the normal Kubernetes paths
// with the session cookie, authenticated and authorized like any client.

import type { Context, Hono } from "hono";
import { TugError } from "../../core/errors.ts";
import type { Authenticator } from "../auth/authenticator.ts";
import { remoteAddress } from "../auth/security.ts";
import { readBody } from "../body.ts";
import { assetResponse, buildAssets } from "./assets.ts";
import { CSRF_HEADER, DashboardSessions, SESSION_COOKIE } from "./sessions.ts";
import { multiplexWatches } from "./watch-mux.ts";

export interface DashboardOptions {
  authenticator: Authenticator;
  sessions: DashboardSessions;
}

const SECURITY_HEADERS = {
  "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

function cookie(value: string, maxAge: number): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=${maxAge}`;
}

/** A sign-in must come from the dashboard itself: a cross-site page may not sign a browser in (login CSRF). */
function sameOrigin(c: Context): boolean {
  const origin = c.req.header("origin");
  if (!origin) return true;
  return origin === new URL(c.req.url).origin || new URL(origin).host === c.req.header("host");
}

export function mountDashboard(app: Hono, opts: DashboardOptions): void {
  const assets = buildAssets();
  const { sessions, authenticator } = opts;

  app.get("/", (c) => {
    const res = assetResponse(assets.page, c.req.raw, "no-cache");
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.headers.set(k, v);
    return res;
  });
  app.get(`${assets.base}/:file`, (c) => {
    const a = assets.files.get(c.req.param("file"));
    if (!a) throw new TugError("NotFound", `no dashboard file ${c.req.param("file")}`);
    return assetResponse(a, c.req.raw, "public, max-age=31536000, immutable");
  });

  app.get("/dashboard/session", async (c) => {
    const s = sessions.lookup(c.req.raw);
    const user = s ? await authenticator.authenticate(new Request(c.req.url, { headers: { authorization: `Bearer ${s.token}` } }), remoteAddress(c)) : undefined;
    if (!s || !user) throw new TugError("Unauthorized", "Unauthorized");
    return c.json({ user: user.name, groups: user.groups, csrf: s.csrf }, 200, { "cache-control": "no-store" });
  });

  app.post("/dashboard/session", async (c) => {
    if (!sameOrigin(c)) throw new TugError("Forbidden", "sign-in from another origin");
    if (!/^application\/json\b/i.test(c.req.header("content-type") ?? "")) throw new TugError("UnsupportedMediaType", "sign-in takes application/json");
    const body = (await readBody(c.req.raw)) as { token?: unknown } | undefined;
    const token = typeof body?.token === "string" ? body.token.trim() : "";
    if (!token || /\s/.test(token)) throw new TugError("BadRequest", "a token is required");
    const user = await authenticator.authenticate(new Request(c.req.url, { headers: { authorization: `Bearer ${token}` } }), remoteAddress(c));
    if (!user) throw new TugError("Unauthorized", "that token is not valid");
    const s = sessions.create(token);
    return c.json({ user: user.name, groups: user.groups, csrf: s.csrf }, 200, { "set-cookie": cookie(s.id, 12 * 3600), "cache-control": "no-store" });
  });

  app.delete("/dashboard/session", (c) => {
    const s = sessions.lookup(c.req.raw);
    if (s && c.req.header(CSRF_HEADER) !== s.csrf) throw new TugError("Forbidden", `sign-out needs the ${CSRF_HEADER} header`);
    sessions.end(c.req.raw);
    return c.json({ ok: true }, 200, { "set-cookie": cookie("", 0) });
  });

  // Browsers open at most six HTTP/1.1 connections per host; one stream for every list a page watches keeps them free.
  app.get("/dashboard/watch", (c) => {
    if (!sessions.lookup(c.req.raw) && !c.req.header("authorization")) throw new TugError("Unauthorized", "Unauthorized");
    return multiplexWatches(c, (req) => app.fetch(req, c.env), c.req.queries("path") ?? []);
  });
}
