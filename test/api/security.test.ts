// Security through a real `tug server` (HTTPS, LMDB, informer, the security
// middleware): no credential or a bad one is 401 except on the open paths;
// repeated bad tokens from one address are 429 and never logged; a
// ServiceAccount bound to `view` in one namespace reads there only; a node
// credential reaches only its own pods' Secrets, its own Node and its own
// pods' status; Secret values never reach the LMDB files.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { captureConsoleLog } from "../support.ts";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { startTestServer, type TestServer } from "./harness.ts";

let server: TestServer;
let capture: ReturnType<typeof captureConsoleLog> | undefined;
/** Everything the server logged with console.log during this file. */
let logged: string[] = [];

beforeAll(async () => {
  capture = captureConsoleLog();
  logged = capture.lines;
  server = await startTestServer();
});

afterAll(async () => {
  await server?.cleanup();
  capture?.restore();
});

/** A request with `token` as bearer (none when undefined); parsed JSON body. */
async function as(token: string | undefined, method: string, path: string, body?: unknown, contentType = "application/json") {
  const headers: Record<string, string> = { "content-type": contentType };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const res = await fetch(server.url + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    tls: { ca: server.caPem },
  });
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed };
}

async function create(path: string, body: unknown) {
  const res = await server.call("POST", path, body);
  expect(res.status).toBe(201);
  return res.body;
}

const pod = (name: string, nodeName: string, secret: string) => ({
  metadata: { name },
  spec: { nodeName, containers: [{ name: "c", image: "x:1" }], volumes: [{ name: "s", secret: { secretName: secret } }] },
});

describe("authentication", () => {
  test.each(["/api/v1/pods", "/apis", "/api", "/api/v1/namespaces/default/secrets", "/tug/v1/bootstrap-tokens"])("no credential on %s -> 401 Status", async (path) => {
    const res = await as(undefined, "GET", path);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ kind: "Status", status: "Failure", reason: "Unauthorized", code: 401 });
  });

  test("the open paths answer without a credential", async () => {
    for (const path of ["/healthz", "/livez", "/readyz"]) {
      const res = await as(undefined, "GET", path);
      expect([path, res.status, res.body]).toEqual([path, 200, "ok"]);
    }
    const version = await as(undefined, "GET", "/version");
    expect(version.status).toBe(200);
    expect(version.body.gitVersion).toBeString();
    const ca = await as(undefined, "GET", "/mesh/v1/ca");
    expect(ca.status).toBe(200);
    expect(ca.body).toBe(server.caPem);
  });

  test("a garbage token -> 401, and so does the admin token with one character changed", async () => {
    expect((await as("garbage", "GET", "/api/v1/pods")).status).toBe(401);
    const flipped = server.adminToken.slice(0, -1) + (server.adminToken.endsWith("A") ? "B" : "A");
    expect((await as(flipped, "GET", "/api/v1/pods")).status).toBe(401);
    expect((await as(server.adminToken, "GET", "/api/v1/pods")).status).toBe(200);
  });
});

describe("a ServiceAccount bound to view in its namespace", () => {
  let saToken: string;

  beforeAll(async () => {
    for (const ns of ["team-a", "team-b"]) await create("/api/v1/namespaces", { metadata: { name: ns } });
    await create("/api/v1/namespaces/team-a/serviceaccounts", { metadata: { name: "reader" } });
    await create("/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings", {
      metadata: { name: "reader-view" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
      subjects: [{ kind: "ServiceAccount", name: "reader", namespace: "team-a" }],
    });
    const tr = await create("/api/v1/namespaces/team-a/serviceaccounts/reader/token", { kind: "TokenRequest", apiVersion: "authentication.k8s.io/v1", spec: {} });
    saToken = tr.status.token;
    expect(saToken).toBeString();
  });

  test("lists pods in its namespace", async () => {
    const res = await as(saToken, "GET", "/api/v1/namespaces/team-a/pods");
    expect(res.status).toBe(200);
    expect(res.body.kind).toBe("PodList");
  });

  test("is refused in another namespace, in Kubernetes' words", async () => {
    const res = await as(saToken, "GET", "/api/v1/namespaces/team-b/pods");
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ kind: "Status", reason: "Forbidden", code: 403 });
    expect(res.body.message).toStartWith('pods is forbidden: User "system:serviceaccount:team-a:reader" cannot list resource "pods" in API group "" in the namespace "team-b"');
  });

  test("view is read-only: creating a pod in its own namespace is refused", async () => {
    const res = await as(saToken, "POST", "/api/v1/namespaces/team-a/pods", { metadata: { name: "p" }, spec: { containers: [{ name: "c", image: "x:1" }] } });
    expect(res.status).toBe(403);
    expect(res.body.message).toStartWith('pods is forbidden: User "system:serviceaccount:team-a:reader" cannot create resource "pods" in API group "" in the namespace "team-a"');
    expect((await server.call("GET", "/api/v1/namespaces/team-a/pods/p")).status).toBe(404);
  });

  test("view does not read Secrets, even in its own namespace", async () => {
    const res = await as(saToken, "GET", "/api/v1/namespaces/team-a/secrets");
    expect(res.status).toBe(403);
  });
});

describe("node credentials", () => {
  let n1: string;
  let n2: string;

  beforeAll(async () => {
    n1 = await server.tokens.issueNodeCredential("n1", { consent: true });
    n2 = await server.tokens.issueNodeCredential("n2", { consent: true });
    await create("/api/v1/namespaces", { metadata: { name: "edge" } });
    for (const s of ["s1", "s2", "s3"]) await create("/api/v1/namespaces/edge/secrets", { metadata: { name: s }, stringData: { key: `value-${s}` } });
    await create("/api/v1/namespaces/edge/pods", pod("on-n1", "n1", "s1"));
    await create("/api/v1/namespaces/edge/pods", pod("on-n2", "n2", "s2"));
    await create("/api/v1/nodes", { metadata: { name: "n1" } });
    await create("/api/v1/nodes", { metadata: { name: "n2" } });
  });

  test("a node reads the Secrets its own pods reference, and no other", async () => {
    const own = await as(n1, "GET", "/api/v1/namespaces/edge/secrets/s1");
    expect(own.status).toBe(200);
    expect(Buffer.from(own.body.data.key, "base64").toString()).toBe("value-s1");

    const other = await as(n1, "GET", "/api/v1/namespaces/edge/secrets/s2");
    expect(other.status).toBe(403);
    expect(other.body.message).toStartWith('secrets "s2" is forbidden: User "system:node:n1" cannot get resource "secrets" in API group "" in the namespace "edge"');
    expect((await as(n1, "GET", "/api/v1/namespaces/edge/secrets/s3")).status).toBe(403);
    expect((await as(n2, "GET", "/api/v1/namespaces/edge/secrets/s2")).status).toBe(200);
  });

  test("a node may not list Secrets", async () => {
    expect((await as(n1, "GET", "/api/v1/namespaces/edge/secrets")).status).toBe(403);
    expect((await as(n1, "GET", "/api/v1/secrets")).status).toBe(403);
  });

  test("a node writes its own Node's status, not another's", async () => {
    const patch = { status: { addresses: [{ type: "InternalIP", address: "192.0.2.7" }] } };
    const own = await as(n1, "PATCH", "/api/v1/nodes/n1/status", patch, "application/merge-patch+json");
    expect(own.status).toBe(200);
    expect(own.body.status.addresses).toEqual(patch.status.addresses);
    const other = await as(n1, "PATCH", "/api/v1/nodes/n2/status", patch, "application/merge-patch+json");
    expect(other.status).toBe(403);
    expect(other.body.message).toStartWith('nodes "n2" is forbidden: User "system:node:n1" cannot patch resource "nodes/status" in API group ""');
    expect((await server.call("GET", "/api/v1/nodes/n2")).body.status?.addresses).toBeUndefined();
    // Nor the Node itself (labels, taints): only its own.
    expect((await as(n1, "PATCH", "/api/v1/nodes/n2", { metadata: { labels: { x: "y" } } }, "application/merge-patch+json")).status).toBe(403);
  });

  test("a node writes its own pods' status, not another node's pods'", async () => {
    const patch = { status: { message: "from n1" } };
    expect((await as(n1, "PATCH", "/api/v1/namespaces/edge/pods/on-n1/status", patch, "application/merge-patch+json")).status).toBe(200);
    const other = await as(n1, "PATCH", "/api/v1/namespaces/edge/pods/on-n2/status", patch, "application/merge-patch+json");
    expect(other.status).toBe(403);
    expect((await server.call("GET", "/api/v1/namespaces/edge/pods/on-n2")).body.status?.message).toBeUndefined();
  });

  test("a node may not create a Node of another name", async () => {
    await server.call("DELETE", "/api/v1/nodes/n2");
    const res = await as(n1, "POST", "/api/v1/nodes", { metadata: { name: "n2" } });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ kind: "Status", reason: "Forbidden", code: 403 });
    expect(res.body.message).toBe('nodes "n2" is forbidden: node "n1" is not allowed to create a Node named "n2"');
    // No name, or a YAML body, is checked the same way.
    expect((await as(n1, "POST", "/api/v1/nodes", { metadata: {} })).status).toBe(403);
    const yaml = await fetch(server.url + "/api/v1/nodes", {
      method: "POST",
      headers: { authorization: `Bearer ${n1}`, "content-type": "application/yaml" },
      body: "metadata:\n  name: n2\n",
      tls: { ca: server.caPem },
    });
    expect(yaml.status).toBe(403);
    expect((await server.call("GET", "/api/v1/nodes/n2")).status).toBe(404);
  });

  test("a node may register its own Node", async () => {
    const n3 = await server.tokens.issueNodeCredential("n3", { consent: true });
    expect((await as(n3, "POST", "/api/v1/nodes", { metadata: { name: "n3" } })).status).toBe(201);
  });
});

describe("Secrets at rest", () => {
  test("the LMDB files hold neither a Secret's value nor its base64, while the API returns it", async () => {
    const plain = `at-rest-${crypto.randomUUID()}`;
    const b64 = Buffer.from(plain).toString("base64");
    await create("/api/v1/namespaces/default/secrets", { metadata: { name: "sealed-one" }, data: { password: b64 } });
    const read = await server.call("GET", "/api/v1/namespaces/default/secrets/sealed-one");
    expect(read.body.data.password).toBe(b64);

    const db = join(server.dataDir, "db");
    const files = (readdirSync(db, { recursive: true }) as string[]).map((f) => join(db, f)).filter((f) => statSync(f).isFile());
    const bytes = Buffer.concat(files.map((f) => readFileSync(f)));
    expect(bytes.length).toBeGreaterThan(0);
    // The scan sees what is stored: the Secret's name is not sealed.
    expect(bytes.includes("sealed-one")).toBe(true);
    expect(bytes.includes(plain)).toBe(false);
    expect(bytes.includes(b64)).toBe(false);
  });
});

// Last: it leaves 127.0.0.1 backing off, which would refuse every later credential here.
describe("guessing", () => {
  test("repeated bad tokens from one address -> 429 TooManyRequests; no secret is logged", async () => {
    const secrets = ["abcdefghijklmnop", "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG", "not-a-token-at-all-xyzzy"];
    const guesses = [`abcdef.${secrets[0]}`, `tugnode.0123456789ab.${secrets[1]}`, secrets[2]!, "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"];
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof as>> | undefined;
    for (let i = 0; i < 8 && statuses.at(-1) !== 429; i++) {
      last = await as(guesses[i % guesses.length], "GET", "/api/v1/pods");
      statuses.push(last.status);
    }
    // Five failures within the window start the back-off (one may be left from the garbage-token test).
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.slice(0, -1).every((s) => s === 401)).toBe(true);
    expect(statuses.length).toBeLessThanOrEqual(6);
    expect(last!.body).toMatchObject({ kind: "Status", reason: "TooManyRequests", code: 429 });
    expect(last!.body.message).toMatch(/too many failed authentication attempts from 127\.0\.0\.1; retry in \d+ s/);

    const auth = logged.filter((l) => l.startsWith("authentication "));
    expect(auth.some((l) => l.includes("authentication failed from 127.0.0.1: bootstrap token abcdef"))).toBe(true);
    expect(auth.some((l) => l.includes("refused for"))).toBe(true);
    for (const s of [...secrets, "c2lnbmF0dXJl", "garbage", server.adminToken.slice(0, -1)]) {
      expect(logged.filter((l) => l.includes(s))).toEqual([]);
    }
  });
});
