// The dashboard's server side without a browser: assets (caching and
// compression), sign-in and its cookie, the session as a credential for the
// Kubernetes paths (CSRF header on writes, RBAC of the token's own user),
// sign-out, and the multiplexed watch.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../api/harness.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(undefined, { disableControllerManager: true, disableScheduler: true });
});
afterAll(async () => {
  await server?.cleanup();
});

const raw = (path: string, init: RequestInit = {}) => fetch(server.url + path, { ...init, tls: { ca: server.caPem } });

async function signIn(token: string): Promise<{ cookie: string; csrf: string; user: string }> {
  const res = await raw("/dashboard/session", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token }) });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { csrf: string; user: string };
  return { cookie: res.headers.get("set-cookie")!.split(";")[0]!, csrf: body.csrf, user: body.user };
}

test("the page is open; its assets are compressed and cached for good", async () => {
  const page = await raw("/", { headers: { "accept-encoding": "gzip" } });
  expect(page.status).toBe(200);
  expect(page.headers.get("cache-control")).toBe("no-cache");
  expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
  const html = await page.text();
  const base = /\/dashboard\/[0-9a-f]{12}/.exec(html)![0];
  const again = await raw("/", { headers: { "if-none-match": page.headers.get("etag")! } });
  expect(again.status).toBe(304);
  const js = await raw(`${base}/app.mjs`, { headers: { "accept-encoding": "br" } });
  expect(js.status).toBe(200);
  expect(js.headers.get("content-encoding")).toBe("br");
  expect(js.headers.get("cache-control")).toContain("immutable");
  expect(js.headers.get("content-type")).toContain("javascript");
  expect(await js.text()).toContain("signInForm");
  expect((await raw(`${base}/nope.mjs`)).status).toBe(404);
});

test("a bad token gets no session; a good one gets a strict, HttpOnly, Secure cookie", async () => {
  const bad = await raw("/dashboard/session", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token: "x".repeat(43) }) });
  expect(bad.status).toBe(401);
  expect(bad.headers.get("set-cookie")).toBeNull();
  const res = await raw("/dashboard/session", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token: server.adminToken }) });
  const cookie = res.headers.get("set-cookie")!;
  for (const attr of ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"]) expect(cookie).toContain(attr);
  expect(cookie).not.toContain(server.adminToken);
  // Another site may not sign a browser in.
  const cross = await raw("/dashboard/session", { method: "POST", headers: { "content-type": "application/json", origin: "https://evil.example" }, body: JSON.stringify({ token: server.adminToken }) });
  expect(cross.status).toBe(403);
});

test("the session is a credential for the API; writes need the CSRF header", async () => {
  const s = await signIn(server.adminToken);
  expect(s.user).toBe("admin");
  expect((await raw("/api/v1/namespaces", { headers: { cookie: s.cookie } })).status).toBe(200);
  const create = (headers: Record<string, string>) => raw("/api/v1/namespaces", { method: "POST", headers: { cookie: s.cookie, "content-type": "application/json", ...headers }, body: JSON.stringify({ metadata: { name: `dash-csrf-${process.pid}` } }) });
  expect((await create({})).status).toBe(403);
  expect((await create({ "x-tug-csrf": "wrong" })).status).toBe(403);
  expect((await create({ "x-tug-csrf": s.csrf })).status).toBe(201);
  expect((await raw("/dashboard/session", { headers: { cookie: s.cookie } })).status).toBe(200);
  // Sign-out needs the header too, then the cookie is worthless.
  expect((await raw("/dashboard/session", { method: "DELETE", headers: { cookie: s.cookie } })).status).toBe(403);
  const out = await raw("/dashboard/session", { method: "DELETE", headers: { cookie: s.cookie, "x-tug-csrf": s.csrf } });
  expect(out.headers.get("set-cookie")).toContain("Max-Age=0");
  expect((await raw("/api/v1/namespaces", { headers: { cookie: s.cookie } })).status).toBe(401);
  expect((await raw("/dashboard/session", { headers: { cookie: s.cookie } })).status).toBe(401);
});

test("a session acts as the user of its token: a node's token may not read Secrets", async () => {
  const token = await server.tokens.issueNodeCredential(`dash-node-${process.pid}`, { consent: true });
  const s = await signIn(token);
  expect(s.user).toBe(`system:node:dash-node-${process.pid}`);
  expect((await raw("/api/v1/secrets", { headers: { cookie: s.cookie } })).status).toBe(403);
});

test("one stream carries several watches, each authorized on its own", async () => {
  const token = await server.tokens.issueNodeCredential(`dash-watch-${process.pid}`, { consent: true });
  const node = await signIn(token);
  const admin = await signIn(server.adminToken);
  const read = async (cookie: string, enough: (text: string) => boolean) => {
    const res = await raw("/dashboard/watch?path=/api/v1/namespaces&path=/api/v1/secrets", { headers: { cookie } });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = "";
    const until = Date.now() + 5000;
    while (!enough(text) && Date.now() < until) {
      const r = await Promise.race([reader.read(), Bun.sleep(200).then(() => undefined)]);
      if (r?.done) break;
      if (r?.value) text += new TextDecoder().decode(r.value);
    }
    await reader.cancel().catch(() => undefined);
    return text.split("\n").filter(Boolean);
  };
  const asAdmin = await read(admin.cookie, (t) => t.includes('"kube-system"'));
  expect(asAdmin.some((l) => l.startsWith('0 {"type":"ADDED"') && l.includes('"kube-system"'))).toBe(true);
  const asNode = await read(node.cookie, (t) => /^1 /m.test(t));
  expect(asNode.find((l) => l.startsWith("1 "))).toContain('"type":"ERROR"');
  expect(asNode.find((l) => l.startsWith("1 "))).toContain("Forbidden");
  expect((await raw("/dashboard/watch?path=/api/v1/namespaces")).status).toBe(401);
  expect((await raw("/dashboard/watch?path=/healthz", { headers: { cookie: admin.cookie } })).status).toBe(400);
}, 20_000);
