// Namespace policy over HTTP: LimitRange defaults and bounds, ResourceQuota
// enforcement (403 naming the resource) and its status, and the default
// ServiceAccount of every namespace.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "./harness.ts";
import { eventually } from "../support.ts";

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s.cleanup();
});

const pod = (name: string, resources?: object) => ({ metadata: { name }, spec: { containers: [{ name: "c", image: "busybox", ...(resources ? { resources } : {}) }] } });

describe("LimitRange", () => {
  beforeAll(async () => {
    await s.call("POST", "/api/v1/namespaces", { metadata: { name: "limited" } });
    const r = await s.call("POST", "/api/v1/namespaces/limited/limitranges", {
      metadata: { name: "defaults" },
      spec: { limits: [{ type: "Container", default: { cpu: "500m", memory: "256Mi" }, defaultRequest: { cpu: "100m", memory: "64Mi" }, max: { memory: "1Gi" } }] },
    });
    expect(r.status).toBe(201);
  });

  test("containers without resources get the defaults", async () => {
    const r = await s.call("POST", "/api/v1/namespaces/limited/pods", pod("plain"));
    expect(r.status).toBe(201);
    expect(r.body.spec.containers[0].resources).toEqual({ limits: { cpu: "500m", memory: "256Mi" }, requests: { cpu: "100m", memory: "64Mi" } });
  });

  test("a limit over max is 403 Forbidden naming the resource", async () => {
    const r = await s.call("POST", "/api/v1/namespaces/limited/pods", pod("greedy", { limits: { memory: "2Gi" } }));
    expect(r.status).toBe(403);
    expect(r.body.message).toContain("maximum memory usage per Container is 1Gi, but limit is 2Gi");
  });

  test("a LimitRange whose min is over its max is Invalid", async () => {
    const r = await s.call("POST", "/api/v1/namespaces/limited/limitranges", { metadata: { name: "bad" }, spec: { limits: [{ type: "Container", min: { cpu: "2" }, max: { cpu: "1" } }] } });
    expect(r.status).toBe(422);
  });
});

describe("ResourceQuota", () => {
  beforeAll(async () => {
    await s.call("POST", "/api/v1/namespaces", { metadata: { name: "quota" } });
    const r = await s.call("POST", "/api/v1/namespaces/quota/resourcequotas", {
      metadata: { name: "small" },
      spec: { hard: { pods: "2", "requests.memory": "1Gi", configmaps: "3" } },
    });
    expect(r.status).toBe(201);
  });

  test("pods without the quota'd request are refused", async () => {
    const r = await s.call("POST", "/api/v1/namespaces/quota/pods", pod("bare"));
    expect(r.status).toBe(403);
    expect(r.body.message).toBe('pods "bare" is forbidden: failed quota: small: must specify requests.memory');
  });

  test("creates beyond the quota are 403 with what was requested, used and limited", async () => {
    expect((await s.call("POST", "/api/v1/namespaces/quota/pods", pod("a", { requests: { memory: "600Mi" } }))).status).toBe(201);
    const over = await s.call("POST", "/api/v1/namespaces/quota/pods", pod("b", { requests: { memory: "600Mi" } }));
    expect(over.status).toBe(403);
    expect(over.body).toMatchObject({ kind: "Status", reason: "Forbidden", code: 403 });
    expect(over.body.message).toBe('pods "b" is forbidden: exceeded quota: small, requested: requests.memory=600Mi, used: requests.memory=600Mi, limited: requests.memory=1Gi');
    expect((await s.call("POST", "/api/v1/namespaces/quota/pods", pod("c", { requests: { memory: "100Mi" } }))).status).toBe(201);
    const third = await s.call("POST", "/api/v1/namespaces/quota/pods", pod("d", { requests: { memory: "1Mi" } }));
    expect(third.status).toBe(403);
    expect(third.body.message).toContain("requested: pods=1, used: pods=2, limited: pods=2");
  });

  test("concurrent creates cannot overshoot the quota", async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => s.call("POST", "/api/v1/namespaces/quota/configmaps", { metadata: { name: `cm-${i}` } })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    expect(results.filter((r) => r.status === 403)).toHaveLength(5);
  });

  test("status.used follows what the namespace holds", async () => {
    const q = await eventually(
      () => s.call("GET", "/api/v1/namespaces/quota/resourcequotas/small"),
      (r) => r.body.status?.used?.pods === "2" && r.body.status?.used?.configmaps === "3",
    );
    expect(q.body.status).toEqual({ hard: { pods: "2", "requests.memory": "1Gi", configmaps: "3" }, used: { pods: "2", "requests.memory": "700Mi", configmaps: "3" } });
    await s.call("DELETE", "/api/v1/namespaces/quota/pods/a");
    const after = await eventually(() => s.call("GET", "/api/v1/namespaces/quota/resourcequotas/small"), (r) => r.body.status.used.pods === "1");
    expect(after.body.status.used["requests.memory"]).toBe("100Mi");
    expect((await s.call("POST", "/api/v1/namespaces/quota/pods", pod("e", { requests: { memory: "500Mi" } }))).status).toBe(201);
  });
});

test("every namespace gets a default ServiceAccount", async () => {
  await s.call("POST", "/api/v1/namespaces", { metadata: { name: "fresh" } });
  const sa = await eventually(() => s.call("GET", "/api/v1/namespaces/fresh/serviceaccounts/default"), (r) => r.status === 200);
  expect(sa.body.metadata.name).toBe("default");
  expect((await s.call("GET", "/api/v1/namespaces/kube-system/serviceaccounts/default")).status).toBe(200);
});
