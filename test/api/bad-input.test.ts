// A corpus of broken requests thrown at every verb: each must get a
// metav1.Status with a 4xx code matching the HTTP status, never a 500, and
// must write nothing (the global resourceVersion does not move).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "./harness.ts";

let s: TestServer;
beforeAll(async () => {
  // API semantics alone: no controller writes behind the test's back.
  s = await startTestServer(undefined, { disableControllerManager: true });
  await s.call("POST", "/api/v1/namespaces/default/configmaps", { metadata: { name: "cm" }, data: { a: "1" } });
  await s.call("POST", "/apis/apps/v1/namespaces/default/deployments", {
    metadata: { name: "web" },
    spec: { selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "busybox" }] } } },
  });
});
afterAll(async () => {
  await s.cleanup();
});

const deep = "[".repeat(20_000) + "]".repeat(20_000);
const aliasBomb = ["a: &a [x, x, x, x, x, x, x, x, x]", ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`)].join("\n");

/** Bodies that are not a valid object for anything. */
const SYNTAX: Record<string, { body: string | Uint8Array; type: string }> = {
  "truncated JSON": { body: '{"metadata": {"name": "x"', type: "application/json" },
  "not JSON at all": { body: "hello there", type: "application/json" },
  "trailing garbage": { body: '{"metadata":{}} }}', type: "application/json" },
  "invalid UTF-8": { body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), type: "application/json" },
  "binary noise": { body: new Uint8Array(Array.from({ length: 512 }, (_, i) => (i * 7919) % 256)), type: "application/octet-stream" },
  "broken YAML": { body: "metadata:\n  name: x\n\t- bad: [", type: "application/yaml" },
  "two YAML documents": { body: "metadata: {name: a}\n---\nmetadata: {name: b}\n", type: "application/yaml" },
  "YAML alias bomb": { body: aliasBomb, type: "application/yaml" },
  "20,000 levels of nesting": { body: deep, type: "application/json" },
  "4 MiB body": { body: JSON.stringify({ metadata: { name: "big" }, data: { k: "x".repeat(4 * 1024 * 1024) } }), type: "application/json" },
};

/** Well-formed JSON that is not a valid object of the kind addressed. */
const SHAPE: Record<string, unknown> = {
  "null": null,
  "a number": 42,
  "a string": "configmap",
  "an array": [{ metadata: { name: "x" } }],
  "metadata is a number": { metadata: 5 },
  "name is a number": { metadata: { name: 5 } },
  "upper-case name": { metadata: { name: "Not_Valid" } },
  "name too long": { metadata: { name: "a".repeat(254) } },
  "bad label key": { metadata: { name: "x", labels: { "-bad-": "v" } } },
  "label value too long": { metadata: { name: "x", labels: { ok: "v".repeat(64) } } },
  "wrong kind": { kind: "Secret", metadata: { name: "x" } },
  "wrong apiVersion": { apiVersion: "v9", metadata: { name: "x" } },
};

/** Invalid only for a ConfigMap (other kinds keep fields they do not model). */
const CONFIGMAP_SHAPE: Record<string, unknown> = {
  "data is a list": { metadata: { name: "x" }, data: ["a"] },
  "data value is a number": { metadata: { name: "x" }, data: { a: 1 } },
  "binaryData is not base64": { metadata: { name: "x" }, binaryData: { a: "%%%" } },
  // A cluster-scoped kind ignores a namespace, as Kubernetes does; a namespaced one refuses another.
  "another namespace in the body": { metadata: { name: "x", namespace: "kube-system" } },
};

const DEPLOYMENT_SHAPE: Record<string, unknown> = {
  "replicas is a string": { spec: { replicas: "three" } },
  "negative replicas": { spec: { replicas: -2 } },
  "container without image": { spec: { template: { spec: { containers: [{ name: "c" }] } } } },
  "no containers": { spec: { template: { spec: { containers: [] } } } },
  "selector does not match": { spec: { selector: { matchLabels: { app: "other" } } } },
  "port out of range": { spec: { template: { spec: { containers: [{ name: "c", image: "i", ports: [{ containerPort: 70000 }] }] } } } },
  "bad quantity": { spec: { template: { spec: { containers: [{ name: "c", image: "i", resources: { limits: { memory: "12 parsecs" } } }] } } } },
};

async function send(method: string, path: string, body: string | Uint8Array | undefined, type: string) {
  const res = await s.fetch(path, { method, body, headers: { "content-type": type } });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

function expectStatus(r: { status: number; json: any; text: string }, allowed: number[], what: string) {
  if (!allowed.includes(r.status) || r.json?.kind !== "Status" || r.json.code !== r.status) {
    throw new Error(`${what}: got ${r.status} ${r.text.slice(0, 300)}`);
  }
  expect(r.json.status).toBe("Failure");
  expect(r.json.message).toBeString();
  expect(r.text).not.toContain("    at ");
}

const WRITE_TARGETS = [
  { method: "POST", path: "/api/v1/namespaces/default/configmaps" },
  { method: "PUT", path: "/api/v1/namespaces/default/configmaps/cm" },
  { method: "PATCH", path: "/api/v1/namespaces/default/configmaps/cm" },
  { method: "POST", path: "/apis/apps/v1/namespaces/default/deployments" },
  { method: "PUT", path: "/apis/apps/v1/namespaces/default/deployments/web" },
  { method: "PUT", path: "/apis/apps/v1/namespaces/default/deployments/web/status" },
  { method: "PUT", path: "/apis/apps/v1/namespaces/default/deployments/web/scale" },
  { method: "PATCH", path: "/apis/apps/v1/namespaces/default/deployments/web/scale" },
  { method: "POST", path: "/api/v1/namespaces" },
  { method: "DELETE", path: "/api/v1/namespaces/default/configmaps/cm" },
];
const PATCH_TYPES = ["application/merge-patch+json", "application/json-patch+json", "application/strategic-merge-patch+json"];

describe("broken bodies at every verb", () => {
  test("syntax errors and oversized bodies: 400/413 Status, nothing written", async () => {
    const rv = s.registry.store.currentRV();
    for (const t of WRITE_TARGETS) {
      const types = t.method === "PATCH" ? PATCH_TYPES : [undefined];
      for (const [name, { body, type }] of Object.entries(SYNTAX)) {
        for (const pt of types) {
          const r = await send(t.method, t.path, body, pt ?? type);
          expectStatus(r, [400, 413, 415], `${t.method} ${t.path} ${pt ?? ""} with ${name}`);
          if (name === "4 MiB body") expect(r.status).toBe(413);
        }
      }
    }
    expect(s.registry.store.currentRV()).toBe(rv);
  });

  test("well-formed but invalid objects: 400/404/422 Status, nothing written", async () => {
    const rv = s.registry.store.currentRV();
    for (const t of WRITE_TARGETS.filter((w) => w.method !== "DELETE" && !w.path.includes("deployments"))) {
      const types = t.method === "PATCH" ? ["application/merge-patch+json", "application/strategic-merge-patch+json"] : ["application/json"];
      const corpus = t.path.includes("configmaps") ? { ...SHAPE, ...CONFIGMAP_SHAPE } : SHAPE;
      for (const [name, body] of Object.entries(corpus)) {
        for (const type of types) {
          const r = await send(t.method, t.path, JSON.stringify(body), type);
          expectStatus(r, [400, 422], `${t.method} ${t.path} ${type} with ${name}`);
        }
      }
    }
    for (const [name, body] of Object.entries(DEPLOYMENT_SHAPE)) {
      const r = await send("PATCH", "/apis/apps/v1/namespaces/default/deployments/web", JSON.stringify(body), "application/merge-patch+json");
      expectStatus(r, [422], `PATCH deployment with ${name}`);
      expect(r.json.reason).toBe("Invalid");
      expect(r.json.details.causes.length).toBeGreaterThan(0);
    }
    expect(s.registry.store.currentRV()).toBe(rv);
  });

  test("invalid objects name each bad field in details.causes", async () => {
    const r = await send(
      "POST",
      "/apis/apps/v1/namespaces/default/deployments",
      JSON.stringify({ metadata: { name: "Bad_Name", labels: { "a/b/c": "x" } }, spec: { replicas: -1, selector: { matchLabels: { a: "b" } }, template: { metadata: { labels: { a: "b" } }, spec: { containers: [{ name: "c" }] } } } }),
      "application/json",
    );
    expect(r.status).toBe(422);
    const fields = r.json.details.causes.map((c: any) => c.field);
    expect(fields).toContain("metadata.name");
    expect(fields).toContain("spec.replicas");
    expect(fields).toContain("spec.template.spec.containers[0].image");
    expect(fields.some((f: string) => f.startsWith("metadata.labels"))).toBe(true);
    expect(r.json.message).toStartWith('Deployment.apps "Bad_Name" is invalid: ');
  });

  test("bad JSON patches: 422 or 400, nothing written", async () => {
    const rv = s.registry.store.currentRV();
    const ops: unknown[] = [
      [{ op: "test", path: "/data/a", value: "2" }],
      [{ op: "remove", path: "/data/missing" }],
      [{ op: "replace", path: "/nope/deeper", value: 1 }],
      [{ op: "explode", path: "/data" }],
      [{ path: "/data" }],
      { op: "add" },
      [{ op: "add", path: "/metadata/name", value: "renamed" }],
      [{ op: "replace", path: "/data", value: 7 }],
    ];
    for (const body of ops) {
      const r = await send("PATCH", "/api/v1/namespaces/default/configmaps/cm", JSON.stringify(body), "application/json-patch+json");
      expectStatus(r, [400, 409, 422], `json patch ${JSON.stringify(body)}`);
    }
    expect(s.registry.store.currentRV()).toBe(rv);
    expect((await s.call("GET", "/api/v1/namespaces/default/configmaps/cm")).body.data).toEqual({ a: "1" });
  });

  test("unknown paths, kinds, verbs and parameters", async () => {
    const rv = s.registry.store.currentRV();
    const cases: [string, string, number[]][] = [
      ["GET", "/api/v1/namespaces/default/widgets", [404]],
      ["GET", "/apis/widgets.example.com/v1/widgets", [404]],
      ["GET", "/api/v2/pods", [404]],
      ["GET", "/api/v1/pods/orphan-pod-path", [404]],
      ["GET", "/api/v1/namespaces/default/configmaps/cm/status", [404]],
      ["GET", "/api/v1/namespaces/default/configmaps/missing", [404]],
      ["POST", "/api/v1/namespaces/default/configmaps/cm", [405]],
      ["POST", "/api/v1/pods", [405]],
      ["GET", "/api/v1/pods?labelSelector=" + encodeURIComponent("a in (b"), [400]],
      ["GET", "/api/v1/pods?limit=lots", [400]],
      ["GET", "/api/v1/pods?continue=%%%", [400]],
      ["GET", "/nothing/here", [404]],
      ["PATCH", "/api/v1/namespaces/default/configmaps/cm", [415]],
    ];
    for (const [method, path, codes] of cases) {
      const r = await send(method, path, method === "GET" ? undefined : "{}", method === "PATCH" ? "text/plain" : "application/json");
      expectStatus(r, codes, `${method} ${path}`);
    }
    expect(s.registry.store.currentRV()).toBe(rv);
  });

  test("AlreadyExists and Conflict are 409 with the Kubernetes reason", async () => {
    const dup = await send("POST", "/api/v1/namespaces/default/configmaps", JSON.stringify({ metadata: { name: "cm" } }), "application/json");
    expectStatus(dup, [409], "duplicate");
    expect(dup.json).toMatchObject({ reason: "AlreadyExists", message: 'configmaps "cm" already exists', details: { name: "cm" } });
    const stale = await send("PUT", "/api/v1/namespaces/default/configmaps/cm", JSON.stringify({ metadata: { name: "cm", resourceVersion: "1" }, data: {} }), "application/json");
    expectStatus(stale, [409], "stale");
    expect(stale.json.reason).toBe("Conflict");
  });
});
